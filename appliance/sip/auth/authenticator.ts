/**
 * Server-side Digest authentication of SIP requests: RFC 3261 §22 with RFC 7616 (SHA-256 and
 * MD5, qop=auth) and RFC 8760 (SHA-256 in SIP). `authenticate(request, source)` answers either
 * `{ ok: true, user }` or `{ ok: false, reason, response }` where `response` is the status and
 * headers to send (401 with challenges, or 403). Who holds credentials is a port
 * (ExtensionDirectory, implemented by registrar/extension-service.ts); what happens on failures
 * (bans, account backoff, security events) is another (AuthGuard, security/auth-guard.ts).
 *
 *   RFC 3261 §22.2: "the UAS ... MUST respond with 401 (Unauthorized) ... [and] MUST include a
 *     WWW-Authenticate header field".
 *   RFC 7616 §3.7: a server offering several algorithms sends one challenge per algorithm "in the
 *     order of preference, most preferred first": SHA-256, then MD5, all with the same nonce.
 *   RELIABILITY.md S8 / design §5.4: "Send one identical 401 for existing and non-existing users.
 *     Hash or compute a dummy digest for non-existing users so timing matches." An unknown user,
 *     a wrong password, a disabled extension and a locked account all get the same 401 (fresh
 *     nonce, same headers), after the same amount of hashing.
 *   RELIABILITY.md S10 (d): credentials that verify but name another user than the request's
 *     From (and, for REGISTER, To) user get 403: "a valid phone authenticating as another user".
 */
import type { Clock } from '../../core/clock.js';
import { ParseError } from '../../core/errors.js';
import { challengeValue, digestCredentials, isSipUri, serializeAuth, type DigestCredentials, type NameAddr, type SipRequest } from '../message/index.js';
import type { Source } from '../transport/index.js';
import { digestResponse, SERVER_ALGORITHMS, sameDigest, serverAlgorithm, type ServerAlgorithm } from './digest.js';
import { NonceCounts, NonceService } from './nonce.js';

/** What the directory knows about one auth user: never the password, only H(A1) per algorithm. */
export interface DirectoryEntry {
  /** The extension number (AOR user part). */
  extension: string;
  authUser: string;
  ha1: Readonly<Record<ServerAlgorithm, string>>;
  enabled: boolean;
}

/** The credential store port. Synchronous: SQLite lookups are, and a promise would add timing noise. */
export interface ExtensionDirectory {
  credentials(authUser: string): DirectoryEntry | null;
}

export const AuthFailureReasons = [
  'no-credentials', 'malformed', 'unsupported', 'bad-nonce', 'stale', 'unknown-user', 'wrong-password', 'disabled', 'replay', 'locked', 'identity-mismatch',
] as const;
export type AuthFailureReason = (typeof AuthFailureReasons)[number];

/** Reasons that are an attempt at a credential (counted towards bans and account backoff, RELIABILITY.md S9). */
export const COUNTED_FAILURES: ReadonlySet<AuthFailureReason> = new Set(['unknown-user', 'wrong-password', 'disabled', 'replay', 'identity-mismatch']);

export interface AuthFailure {
  ip: string;
  /** The username the credentials named (untrusted text). */
  account: string;
  callId: string;
  method: string;
  reason: AuthFailureReason;
}

/** Failure policy port (security/auth-guard.ts): account locks and failure accounting. */
export interface AuthGuard {
  /** True while the account refuses authentication from this address (answered like a wrong password). */
  locked(account: string, ip: string): boolean;
  failed(f: AuthFailure): void;
  succeeded(account: string, ip: string): void;
}

export interface AuthenticatedUser {
  extension: string;
  authUser: string;
  algorithm: ServerAlgorithm;
}

export interface AuthResponse {
  status: 401 | 403 | 407;
  headers: Array<[string, string]>;
}

export type AuthResult = { ok: true; user: AuthenticatedUser } | { ok: false; reason: AuthFailureReason; response: AuthResponse };

/** Which request identity must name the authenticated user (S10 d). */
export type IdentityCheck = 'from' | 'from-and-to' | 'none';

export interface AuthenticatorOptions {
  clock: Pick<Clock, 'now'>;
  realm: string;
  directory: ExtensionDirectory;
  guard?: AuthGuard;
  /** 'www': 401 + WWW-Authenticate / Authorization (a UAS, registrar); 'proxy': 407 + Proxy-*. */
  mode?: 'www' | 'proxy';
  /**
   * Algorithms challenged (in this order) and accepted; default SHA-256 then MD5 (RFC 7616 §3.7). Some clients cannot
   * skip a challenge they do not know: baresip 1.0 (libre) fails the whole REGISTER with ENOSYS on any non-MD5
   * challenge, so a site with such phones configures ['MD5'].
   */
  algorithms?: readonly ServerAlgorithm[];
  nonceSecret?: Buffer;
  nonceLifetimeMs?: number;
  maxTrackedNonces?: number;
}

/** The identity check used by default per method: REGISTER binds the To AOR, so both must name the user. */
export function defaultIdentityCheck(method: string): IdentityCheck {
  return method === 'REGISTER' ? 'from-and-to' : 'from';
}

export class DigestAuthenticator {
  readonly realm: string;
  readonly nonces: NonceService;
  readonly algorithms: readonly ServerAlgorithm[];
  private readonly counts: NonceCounts;
  private readonly opts: AuthenticatorOptions;
  private readonly opaque: string;
  private lastPrune = -Infinity;
  /** H(A1) stand-ins for users that do not exist, so they cost the same hashing as real ones. */
  private readonly dummy: Record<ServerAlgorithm, string>;

  constructor(opts: AuthenticatorOptions) {
    this.opts = opts;
    this.realm = opts.realm;
    this.algorithms = opts.algorithms && opts.algorithms.length > 0 ? [...new Set(opts.algorithms)] : SERVER_ALGORITHMS;
    this.nonces = new NonceService({
      clock: opts.clock,
      ...(opts.nonceSecret ? { secret: opts.nonceSecret } : {}),
      ...(opts.nonceLifetimeMs === undefined ? {} : { lifetimeMs: opts.nonceLifetimeMs }),
    });
    this.counts = new NonceCounts(opts.maxTrackedNonces);
    this.opaque = this.nonces.opaque(opts.realm);
    this.dummy = { 'SHA-256': '0'.repeat(64), MD5: '0'.repeat(32) };
  }

  authenticate(req: SipRequest, source: Pick<Source, 'host'>, identity: IdentityCheck = defaultIdentityCheck(req.method)): AuthResult {
    const ip = source.host;
    const now = this.opts.clock.now();
    // Forget stale nonces' counts at most once a second (the scan is linear in the table).
    if (now - this.lastPrune >= 1000) {
      this.lastPrune = now;
      this.counts.prune(now - this.nonces.lifetimeMs);
    }
    const picked = this.pickCredentials(req);
    if (picked.kind !== 'ok') return this.challenge(req, ip, picked.kind, false, null);
    const { creds, alg } = picked;
    // RFC 7616 §3.4: the opaque "MUST be returned by the client unchanged".
    if (creds.opaque !== null && creds.opaque !== this.opaque) return this.challenge(req, ip, 'bad-nonce', false, null);
    // RFC 7616 §3.4: qop "MUST be one of the alternatives the server indicated"; we only offer "auth".
    if (creds.qop === null || creds.qop.toLowerCase() !== 'auth' || creds.cnonce === null || creds.nc === null || creds.userhash)
      return this.challenge(req, ip, 'unsupported', false, null);
    const nonce = this.nonces.check(creds.nonce, ip);
    if (nonce.kind === 'invalid') return this.challenge(req, ip, 'bad-nonce', false, null);

    // From here on the same work is done whether or not the user exists (S8).
    const entry = this.opts.directory.credentials(creds.username);
    const ha1 = entry?.ha1[alg] ?? this.dummy[alg];
    const expected = digestResponse({
      alg,
      ha1,
      method: req.method,
      uri: creds.uri,
      nonce: creds.nonce,
      qop: { qop: 'auth', nc: creds.nc, cnonce: creds.cnonce },
    });
    const digestOk = sameDigest(expected, creds.response);
    const locked = this.opts.guard?.locked(creds.username, ip) ?? false;
    if (!entry) return this.challenge(req, ip, 'unknown-user', false, creds.username);
    if (!digestOk) return this.challenge(req, ip, 'wrong-password', false, creds.username);
    if (!entry.enabled) return this.challenge(req, ip, 'disabled', false, creds.username);
    if (locked) return this.challenge(req, ip, 'locked', false, creds.username);
    // RFC 7616 §3.3 stale: "The server should only set stale to true if it receives a request for which the nonce is invalid but with a
    // valid digest for that nonce."
    if (nonce.kind === 'stale') return this.challenge(req, ip, 'stale', true, creds.username);
    // RFC 7616 §5.5: "the server would be able to detect [a replay] ... by the repeated nonce-count value".
    const count = this.counts.use(creds.nonce, nonce.issuedAt, parseInt(creds.nc, 16));
    if (count === 'untracked') return this.challenge(req, ip, 'stale', true, creds.username);
    if (count === 'replay') return this.challenge(req, ip, 'replay', false, creds.username);
    if (!identityMatches(req, entry, identity)) {
      this.opts.guard?.failed(this.failure(req, ip, creds.username, 'identity-mismatch'));
      return { ok: false, reason: 'identity-mismatch', response: { status: 403, headers: [] } };
    }
    this.opts.guard?.succeeded(creds.username, ip);
    return { ok: true, user: { extension: entry.extension, authUser: entry.authUser, algorithm: alg } };
  }

  /**
   * calls/ports.ts InviteGuard: `{ ok: true, user }` or the status and headers to answer with (structural: sip/ does not import
   * calls/). Same checks as `authenticate`, From identity bound to the credentials.
   */
  check(req: SipRequest, source: Pick<Source, 'host'>): { ok: true; user: AuthenticatedUser } | { ok: false; status: number; headers: ReadonlyArray<[string, string]> } {
    const r = this.authenticate(req, source);
    return r.ok ? r : { ok: false, status: r.response.status, headers: r.response.headers };
  }

  /** A fresh challenge for a request (what `authenticate` sends when there are no credentials). */
  challengeFor(ip: string, stale = false): AuthResponse {
    const nonce = this.nonces.issue(ip);
    const name = this.opts.mode === 'proxy' ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    const headers: Array<[string, string]> = this.algorithms.map((algorithm) => [
      name,
      serializeAuth(challengeValue({ realm: this.realm, nonce, opaque: this.opaque, stale, algorithm, qop: ['auth'], domain: null, userhash: false }), 'challenge'),
    ]);
    return { status: this.opts.mode === 'proxy' ? 407 : 401, headers };
  }

  private challenge(req: SipRequest, ip: string, reason: AuthFailureReason, stale: boolean, account: string | null): AuthResult {
    if (account !== null && COUNTED_FAILURES.has(reason)) this.opts.guard?.failed(this.failure(req, ip, account, reason));
    return { ok: false, reason, response: this.challengeFor(ip, stale) };
  }

  private failure(req: SipRequest, ip: string, account: string, reason: AuthFailureReason): AuthFailure {
    return { ip, account, callId: req.callId() ?? '', method: req.method, reason };
  }

  /** The first Digest credentials for our realm with an algorithm we verify (RFC 3261 §22.4: one per realm). */
  private pickCredentials(req: SipRequest): { kind: 'ok'; creds: DigestCredentials; alg: ServerAlgorithm } | { kind: 'no-credentials' | 'malformed' | 'unsupported' } {
    let values;
    try {
      values = this.opts.mode === 'proxy' ? req.proxyAuthorization() : req.authorization();
    } catch (err) {
      if (err instanceof ParseError) return { kind: 'malformed' };
      throw err;
    }
    let seen: 'no-credentials' | 'malformed' | 'unsupported' = 'no-credentials';
    for (const v of values) {
      if (v.scheme.toLowerCase() !== 'digest') continue;
      let creds: DigestCredentials;
      try {
        creds = digestCredentials(v);
      } catch (err) {
        if (!(err instanceof ParseError)) throw err;
        seen = 'malformed';
        continue;
      }
      if (creds.realm !== this.realm) continue;
      const alg = serverAlgorithm(creds.algorithm);
      if (alg === null || !this.algorithms.includes(alg)) {
        seen = 'unsupported';
        continue;
      }
      return { kind: 'ok', creds, alg };
    }
    return { kind: seen };
  }
}

/** User part of a From/To SIP URI (null for tel: and other schemes). */
function userOf(na: NameAddr | undefined): string | null {
  return na && isSipUri(na.uri) ? na.uri.user : null;
}

function identityMatches(req: SipRequest, entry: DirectoryEntry, check: IdentityCheck): boolean {
  if (check === 'none') return true;
  const names = new Set([entry.extension, entry.authUser]);
  const fromUser = userOf(req.from());
  if (fromUser === null || !names.has(fromUser)) return false;
  if (check === 'from') return true;
  const toUser = userOf(req.to());
  return toUser !== null && names.has(toUser);
}
