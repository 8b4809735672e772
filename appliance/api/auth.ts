/**
 * Request authentication for /api/v1: the key comes in `Authorization: Bearer <key>`
 * (RFC 6750 §2.1; the scheme name is case-insensitive, RFC 9110 §11.1) or in `X-API-Key`.
 * No, a malformed, an unknown or a revoked key → 401 with WWW-Authenticate (RFC 9110 §11.6.1);
 * more than `burst` requests without refill → 429 with Retry-After (token bucket per key);
 * a key without the route's scope → 403 naming the scope. Each failure is logged as a
 * security event and published as `api.auth.failed`; the presented key is never logged.
 * Without a key, a signed-in control-panel session may stand in (session-auth.ts): the panel's
 * verdict is the caller (403 when it refuses), rate-limited per user like a key.
 */
import type { Request } from 'express';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { ApiKeyInfo, ApiKeys, AuthFailure } from './api-keys.js';
import { ForbiddenError, RateLimitedError, UnauthenticatedError } from './error-map.js';
import { defaultRateLimit, TokenBuckets, type RateLimitOptions } from './rate-limit.js';
import type { Authenticate } from './registry.js';
import type { Scope } from './scopes.js';
import type { SessionAuthenticate, SessionVerdict } from './session-auth.js';

export interface AuthDeps {
  apiKeys: ApiKeys;
  clock: Clock;
  log: Logger;
  bus: EventBus;
  rateLimit?: RateLimitOptions;
  /** The control panel's session check (session-auth.ts), once the panel is up; asked only when no key is presented. */
  sessions?: () => SessionAuthenticate | null;
}

const failureMessages: Record<AuthFailure, string> = {
  missing: 'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>',
  malformed: 'invalid API key',
  unknown: 'invalid API key',
  revoked: 'invalid API key',
};

/** The key presented on a request, or null when there is none. */
export function presentedKey(req: Request): string | null {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    return m ? m[1]! : '';
  }
  const header = req.headers['x-api-key'];
  if (typeof header === 'string') return header.trim();
  return null;
}

export function createAuthenticator(deps: AuthDeps): Authenticate {
  const buckets = new TokenBuckets(deps.clock, deps.rateLimit ?? defaultRateLimit);
  const log = deps.log.child({ mod: 'api.auth' });

  const fail = (req: Request, reason: AuthFailure, keyPrefix: string | null): never => {
    const ip = req.ip ?? null;
    log.warn({ security: true, reason, keyPrefix, ip, method: req.method, path: req.originalUrl }, 'api authentication failed');
    deps.bus.publish('api.auth.failed', { reason, keyPrefix, ip, path: req.originalUrl });
    throw new UnauthenticatedError(failureMessages[reason]);
  };

  /** A panel session's verdict as the caller, or the refusal as 403 (the panel audited it). */
  const sessionCaller = (req: Request, scope: Scope, verdict: SessionVerdict): ApiKeyInfo => {
    if (!verdict.ok) {
      log.warn({ security: true, reason: verdict.reason, scope, ip: req.ip, path: req.originalUrl }, 'api session refused');
      throw new ForbiddenError(verdict.message);
    }
    const take = buckets.take(`user:${verdict.user.userId}`);
    if (!take.ok) throw new RateLimitedError(`rate limit exceeded for user ${verdict.user.login}`, take.retryAfterMs);
    const now = deps.clock.now();
    return {
      id: verdict.user.userId,
      name: verdict.user.login,
      prefix: '',
      scopes: verdict.scopes,
      createdAt: now,
      createdBy: `user:${verdict.user.userId}`,
      lastUsedAt: now,
      revokedAt: null,
      session: verdict.user,
    };
  };

  return async (req: Request, scope: Scope): Promise<ApiKeyInfo> => {
    const presented = presentedKey(req);
    if (presented === null) {
      const sessionAuth = deps.sessions?.() ?? null;
      const verdict = sessionAuth ? await sessionAuth(req, scope) : null;
      if (verdict) return sessionCaller(req, scope, verdict);
      return fail(req, 'missing', null);
    }
    const verdict = await deps.apiKeys.verify(presented);
    if (!verdict.ok) return fail(req, verdict.reason, verdict.prefix);
    const key = verdict.key;
    const take = buckets.take(key.id);
    if (!take.ok) {
      log.warn({ security: true, keyId: key.id, ip: req.ip }, 'api rate limit hit');
      throw new RateLimitedError(`rate limit exceeded for API key ${key.prefix}`, take.retryAfterMs);
    }
    if (!key.scopes.includes(scope)) {
      log.warn({ security: true, keyId: key.id, scope, ip: req.ip, path: req.originalUrl }, 'api scope missing');
      throw new ForbiddenError(`API key ${key.prefix} lacks scope ${scope}`);
    }
    try {
      await deps.apiKeys.markUsed(key.id);
    } catch (err) {
      log.warn({ err, keyId: key.id }, 'api key last_used_at not recorded');
    }
    return key;
  };
}
