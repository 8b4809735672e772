/**
 * The request handler used until registrar, dialogs and the B2BUA exist (issue 3): every request
 * that needs a user is challenged with RFC 7616 Digest (SHA-256 and MD5, qop=auth, a fresh nonce),
 * the way an appliance without any credentials answers, identically for every user (RELIABILITY.md
 * S8). Nothing can authenticate yet: there is no credential store, so nothing is ever accepted.
 */
import { randomBytes } from 'node:crypto';
import { challengeValue, serializeAuth } from '../message/index.js';
import type { RequestHandler } from './endpoint.js';

export const CHALLENGED_METHODS = ['INVITE', 'BYE', 'REGISTER', 'INFO', 'UPDATE', 'REFER', 'NOTIFY', 'SUBSCRIBE'] as const;

export function challengeAll(realm: string): RequestHandler {
  return {
    methods: CHALLENGED_METHODS,
    onRequest(_req, tx, endpoint) {
      const nonce = randomBytes(16).toString('hex');
      const challenge = (algorithm: string): [string, string] => [
        'WWW-Authenticate',
        serializeAuth(challengeValue({ realm, nonce, opaque: null, stale: false, algorithm, qop: ['auth'], domain: null, userhash: false }), 'challenge'),
      ];
      // RFC 7616 §3.7: "the server ... SHOULD list [challenges] in the order of preference, most preferred first" (SHA-256, then MD5).
      endpoint.respond(tx, 401, undefined, [challenge('SHA-256'), challenge('MD5')]);
    },
  };
}
