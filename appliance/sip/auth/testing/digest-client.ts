/**
 * The client half of RFC 7616 Digest, for tests only: answer a WWW-Authenticate challenge with
 * an Authorization value the way a phone does (qop=auth, nc, cnonce).
 */
import { credentialsValue, digestChallenge, parseAuth, serializeAuth } from '../../message/index.js';
import { digestResponse, ha1, serverAlgorithm } from '../digest.js';

export interface ClientCredentials {
  username: string;
  password: string;
  method: string;
  uri: string;
  nc?: number;
  cnonce?: string;
  /** Replace the computed response (to send a wrong one). */
  response?: string;
}

export function authorize(challengeHeader: string, c: ClientCredentials): string {
  const ch = digestChallenge(parseAuth(challengeHeader));
  const alg = serverAlgorithm(ch.algorithm);
  if (!alg) throw new Error(`test client cannot do ${ch.algorithm}`);
  const nc = (c.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = c.cnonce ?? 'f2wE4q74';
  const response =
    c.response ??
    digestResponse({ alg, ha1: ha1(alg, c.username, ch.realm, c.password), method: c.method, uri: c.uri, nonce: ch.nonce, qop: { qop: 'auth', nc, cnonce } });
  return serializeAuth(
    credentialsValue({ username: c.username, realm: ch.realm, nonce: ch.nonce, uri: c.uri, response, algorithm: ch.algorithm, cnonce, opaque: ch.opaque, qop: 'auth', nc, userhash: false }),
  );
}
