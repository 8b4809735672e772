/**
 * A RequestHandler for a SipEndpoint that has a registrar but no call control yet: REGISTER
 * goes to the registrar; every other request that needs a user is authenticated first (S10:
 * nothing unauthenticated gets further, MESSAGE and REFER included) and then answered 480
 * (RFC 3261 §21.4.18 "the callee's end system was contacted successfully but the callee is
 * currently unavailable"). The B2BUA's handler replaces this one and delegates REGISTER to
 * `Registrar.handleRegister`.
 */
import type { DigestAuthenticator } from '../auth/index.js';
import type { RequestHandler } from '../ua/endpoint.js';
import type { Registrar } from './registrar.js';

export const AUTHENTICATED_METHODS = ['INVITE', 'BYE', 'REGISTER', 'INFO', 'UPDATE', 'REFER', 'NOTIFY', 'SUBSCRIBE', 'MESSAGE', 'PUBLISH', 'PRACK'] as const;

export function registrarHandler(deps: { registrar: Registrar; authenticator: DigestAuthenticator }): RequestHandler {
  return {
    methods: AUTHENTICATED_METHODS,
    onRequest(req, tx, endpoint) {
      if (req.method === 'REGISTER') {
        deps.registrar.handleRegister(req, tx, endpoint);
        return;
      }
      const auth = deps.authenticator.authenticate(req, tx.source);
      if (!auth.ok) endpoint.respond(tx, auth.response.status, undefined, auth.response.headers);
      else endpoint.respond(tx, 480);
    },
  };
}
