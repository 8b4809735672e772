/**
 * The client side of Digest authentication (RFC 3261 §22.2–§22.4, RFC 7616 §3.4): answer a
 * carrier's 401 WWW-Authenticate / 407 Proxy-Authenticate challenge with Authorization /
 * Proxy-Authorization credentials. The hashing is sip/auth/digest.ts (the server's), so both
 * sides compute the same `response`.
 *
 *   RFC 7616 §3.7: "the client SHOULD use the topmost supported challenge" — several challenges
 *     in preference order; we take the first whose algorithm we can compute (SHA-256, MD5).
 *   RFC 7616 §3.4: qop "MUST be one of the alternatives the server indicated"; we answer
 *     `auth`, or RFC 2069 style (no qop, no cnonce, no nc) when none was offered.
 *   RFC 3261 §22.4: "the UAC MUST ... reuse the nonce" on later requests to the same realm with
 *     an incremented nonce-count; the caller keeps `nc` per nonce.
 */
import { randomBytes } from 'node:crypto';
import { digestChallenge, serializeAuth, serializeUri, type AuthValue, type DigestChallenge, type SipRequest, type SipResponse } from '../message/index.js';
import { digestResponse, ha1, serverAlgorithm, type ServerAlgorithm } from '../auth/digest.js';

export interface ClientCredentials {
  username: string;
  password: string;
}

export interface PickedChallenge {
  challenge: DigestChallenge;
  alg: ServerAlgorithm;
  /** Header to answer in: Authorization (401) or Proxy-Authorization (407). */
  header: 'Authorization' | 'Proxy-Authorization';
}

/** The first Digest challenge of a 401/407 we can answer, or null. */
export function pickChallenge(res: SipResponse): PickedChallenge | null {
  const proxy = res.status === 407;
  let values: AuthValue[];
  try {
    values = proxy ? res.proxyAuthenticate() : res.wwwAuthenticate();
  } catch {
    return null;
  }
  for (const v of values) {
    if (v.scheme.toLowerCase() !== 'digest') continue;
    let c: DigestChallenge;
    try {
      c = digestChallenge(v);
    } catch {
      continue;
    }
    const alg = serverAlgorithm(c.algorithm);
    if (!alg) continue;
    if (c.qop.length > 0 && !c.qop.map((q) => q.toLowerCase()).includes('auth')) continue;
    return { challenge: c, alg, header: proxy ? 'Proxy-Authorization' : 'Authorization' };
  }
  return null;
}

/** The credentials header value for `method` on `uri` (the Request-URI as sent). */
export function credentialsFor(p: PickedChallenge, o: ClientCredentials & { method: string; uri: string; nc: number; cnonce?: string }): string {
  const c = p.challenge;
  const withQop = c.qop.length > 0;
  const nc = o.nc.toString(16).padStart(8, '0');
  const cnonce = o.cnonce ?? randomBytes(8).toString('hex');
  const response = digestResponse({
    alg: p.alg,
    ha1: ha1(p.alg, o.username, c.realm, o.password),
    method: o.method,
    uri: o.uri,
    nonce: c.nonce,
    qop: withQop ? { qop: 'auth', nc, cnonce } : null,
  });
  const params = new Map<string, string>([
    ['username', o.username],
    ['realm', c.realm],
    ['nonce', c.nonce],
    ['uri', o.uri],
    ['response', response],
    ['algorithm', c.algorithm],
  ]);
  if (c.opaque !== null) params.set('opaque', c.opaque);
  if (withQop) {
    params.set('qop', 'auth');
    params.set('nc', nc);
    params.set('cnonce', cnonce);
  }
  return serializeAuth({ scheme: 'Digest', params, opaque: null }, 'credentials');
}

/**
 * A ClientAuth (sip/dialog/session.ts) answering challenges to our INVITEs with one set of
 * credentials (a trunk's). The nonce-count runs per nonce (RFC 7616 §3.4: "The nc value is the
 * hexadecimal count of the number of requests ... that the client has sent with the nonce
 * value"); the `uri` is the Request-URI as sent (§22.4 digest-uri).
 */
export function digestClientAuth(creds: ClientCredentials): { authorize(res: SipResponse, req: SipRequest): ['Authorization' | 'Proxy-Authorization', string] | null } {
  const counts = new Map<string, number>();
  return {
    authorize(res, req) {
      const p = pickChallenge(res);
      if (!p) return null;
      const nc = (counts.get(p.challenge.nonce) ?? 0) + 1;
      counts.set(p.challenge.nonce, nc);
      if (counts.size > 16) counts.delete(counts.keys().next().value!);
      return [p.header, credentialsFor(p, { ...creds, method: req.method, uri: serializeUri(req.uri), nc })];
    },
  };
}
