/**
 * API keys for integrators (issue 2: "API keys (hashed at rest, scoped)").
 *
 * A key looks like `hk_<prefix>_<secret>`: `prefix` is 8 characters of Crockford base32
 * (lower case) shown to operators to tell keys apart, `secret` is 32 random bytes in base64url
 * (RFC 4648 §5). The whole key is returned once, at creation; only its SHA-256 is stored (the
 * secret has 256 bits of entropy, so a slow password hash would add nothing). Verification
 * finds candidates by prefix and compares hashes with crypto.timingSafeEqual.
 *
 * Creating and revoking a key each write an audit row in the same transaction and publish
 * `api.key.created` / `api.key.revoked`. `last_used_at` is written at most once per
 * `touchEveryMs` per key, so a busy integrator does not turn every GET into a write.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { NotFoundError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { AuditLog } from '../ops/audit.js';
import type { Database } from '../store/schema.js';
import { ApiKeyStore, type ApiKeyRow } from './api-key-store.js';
import { isScope, type Scope } from './scopes.js';
import type { SessionUser } from './session-auth.js';

declare module '../core/events.js' {
  interface EventMap {
    'api.key.created': { id: string; name: string; prefix: string; scopes: string[]; actor: string };
    'api.key.revoked': { id: string; actor: string };
    /** A request under /api/v1 presented no, a malformed, an unknown or a revoked key. */
    'api.auth.failed': { reason: AuthFailure; keyPrefix: string | null; ip: string | null; path: string };
  }
}

export type AuthFailure = 'missing' | 'malformed' | 'unknown' | 'revoked';

export const API_KEY_PATTERN = /^hk_([0-9a-z]{8})_([A-Za-z0-9_-]{43})$/;
const PREFIX_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  createdAt: number;
  createdBy: string;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** Set when a signed-in panel user calls instead of a key (session-auth.ts); never on a stored key. */
  session?: SessionUser;
}

export interface CreatedApiKey {
  key: ApiKeyInfo;
  /** The full key, `hk_…`. Shown once; not recoverable afterwards. */
  secret: string;
}

/** Who makes a change, for the audit log: `apikey:<id>`, `user:<id>` or `system`. */
export interface Actor {
  actor: string;
  ip: string | null;
}

export type VerifyResult = { ok: true; key: ApiKeyInfo } | { ok: false; reason: AuthFailure; prefix: string | null };

export interface ApiKeysDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditLog;
  bus: EventBus;
  touchEveryMs?: number;
}

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

function newPrefix(): string {
  let out = '';
  for (const b of randomBytes(8)) out += PREFIX_ALPHABET[b % 32]!;
  return out;
}

function toInfo(r: ApiKeyRow): ApiKeyInfo {
  const scopes = (JSON.parse(r.scopes) as string[]).filter(isScope);
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes,
    createdAt: r.created_at,
    createdBy: r.created_by,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

/** What the audit log keeps of a key: everything but the hash. */
function snapshot(k: ApiKeyInfo): Record<string, unknown> {
  return { id: k.id, name: k.name, prefix: k.prefix, scopes: k.scopes, revokedAt: k.revokedAt };
}

export class ApiKeys {
  private readonly store: ApiKeyStore;
  private readonly lastTouched = new Map<string, number>();
  private readonly touchEveryMs: number;

  constructor(private readonly deps: ApiKeysDeps) {
    this.store = new ApiKeyStore(deps.db);
    this.touchEveryMs = deps.touchEveryMs ?? 60_000;
  }

  async create(input: { name: string; scopes: readonly Scope[] }, by: Actor): Promise<CreatedApiKey> {
    const prefix = newPrefix();
    const secret = `hk_${prefix}_${randomBytes(32).toString('base64url')}`;
    const row: ApiKeyRow = {
      id: newId('key', this.deps.clock),
      name: input.name,
      prefix,
      secret_hash: hashKey(secret).toString('hex'),
      scopes: JSON.stringify([...new Set(input.scopes)]),
      created_at: this.deps.clock.now(),
      created_by: by.actor,
      last_used_at: null,
      revoked_at: null,
    };
    const key = toInfo(row);
    await this.deps.db.transaction().execute(async (trx) => {
      await this.store.insert(row, trx);
      await this.deps.audit.record({ actor: by.actor, ip: by.ip, action: 'api-key.created', target: key.id, after: snapshot(key) }, trx);
    });
    this.deps.bus.publish('api.key.created', { id: key.id, name: key.name, prefix, scopes: key.scopes, actor: by.actor });
    return { key, secret };
  }

  async list(opts: { includeRevoked?: boolean } = {}): Promise<ApiKeyInfo[]> {
    return (await this.store.list({ includeRevoked: opts.includeRevoked ?? false })).map(toInfo);
  }

  async get(id: string): Promise<ApiKeyInfo> {
    const row = await this.store.get(id);
    if (!row) throw new NotFoundError('API key', id);
    return toInfo(row);
  }

  /**
   * Revoke a key; it fails verification from the next request on. Revoking a revoked key
   * changes nothing and writes no audit row. Unknown id: NotFoundError.
   */
  async revoke(id: string, by: Actor): Promise<ApiKeyInfo> {
    const at = this.deps.clock.now();
    const result = await this.deps.db.transaction().execute(async (trx) => {
      const row = await this.store.get(id, trx);
      if (!row) throw new NotFoundError('API key', id);
      const before = toInfo(row);
      if (!(await this.store.revoke(id, at, trx))) return { key: before, changed: false };
      const after = { ...before, revokedAt: at };
      await this.deps.audit.record(
        { actor: by.actor, ip: by.ip, action: 'api-key.revoked', target: id, before: snapshot(before), after: snapshot(after) },
        trx,
      );
      return { key: after, changed: true };
    });
    if (result.changed) this.deps.bus.publish('api.key.revoked', { id, actor: by.actor });
    return result.key;
  }

  /** Check a presented key. Never throws for bad input; says why it failed. */
  async verify(presented: string): Promise<VerifyResult> {
    const m = API_KEY_PATTERN.exec(presented);
    if (!m) return { ok: false, reason: 'malformed', prefix: null };
    const prefix = m[1]!;
    const hash = hashKey(presented);
    let found: ApiKeyRow | undefined;
    for (const row of await this.store.byPrefix(prefix)) {
      const stored = Buffer.from(row.secret_hash, 'hex');
      if (stored.length === hash.length && timingSafeEqual(stored, hash)) found = row;
    }
    if (!found) return { ok: false, reason: 'unknown', prefix };
    if (found.revoked_at !== null) return { ok: false, reason: 'revoked', prefix };
    return { ok: true, key: toInfo(found) };
  }

  /** Record a successful use, at most once per touchEveryMs per key. */
  async markUsed(id: string): Promise<void> {
    const now = this.deps.clock.now();
    const last = this.lastTouched.get(id);
    if (last !== undefined && now - last < this.touchEveryMs) return;
    this.lastTouched.set(id, now);
    await this.store.touch(id, now);
  }
}
