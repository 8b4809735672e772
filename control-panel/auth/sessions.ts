/**
 * Server-side sessions (RELIABILITY.md W6; OWASP ASVS 5.0 V7). The cookie carries 256 random
 * bits; the table keeps only their SHA-256, so a copy of the database does not hold usable
 * cookies. Each session has its own CSRF token (csrf.ts).
 *
 * Timeouts run on the injected Clock: idle 30 min (15 min for holders of an administrative
 * function, permissions.ts ADMIN_FUNCTIONS) and an absolute 12 h from sign-in (ASVS 4.0.3
 * 3.3.2 L2: "re-authenticate at least every 12 hours or 30 minutes of inactivity"). An expired
 * session is deleted when it is next presented. A new session (new id) is made at sign-in and
 * after any change of privileges or password, because users.ts deletes the user's sessions
 * whenever those change.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../appliance/core/clock.js';
import { NotFoundError } from '../../appliance/core/errors.js';
import { newId } from '../../appliance/core/ids.js';
import type { AuditLog } from '../../appliance/ops/audit.js';
import type { Database } from '../../appliance/store/schema.js';
import type { Actor } from './users.js';

export const IDLE_MS = 30 * 60_000;
export const ADMIN_IDLE_MS = 15 * 60_000;
export const ABSOLUTE_MS = 12 * 60 * 60_000;
/** last_seen_at is written at most this often per session. */
const TOUCH_EVERY_MS = 5_000;

export interface Session {
  id: string;
  userId: string;
  csrfToken: string;
  ip: string;
  userAgent: string;
  idleMs: number;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export interface SessionListItem extends Session {
  login: string;
  displayName: string;
}

export type Resolved = { ok: true; session: Session } | { ok: false; reason: 'unknown' | 'idle' | 'expired' };

type Row = Selectable<Database['panel_sessions']>;

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function toSession(r: Row): Session {
  return {
    id: r.id,
    userId: r.user_id,
    csrfToken: r.csrf_token,
    ip: r.ip,
    userAgent: r.user_agent,
    idleMs: r.idle_ms,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
  };
}

export class Sessions {
  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock; audit: AuditLog }) {}

  /** Start a session; returns the cookie value (shown nowhere else) and the session. */
  async create(userId: string, info: { ip: string; userAgent: string; privileged: boolean }): Promise<{ token: string; session: Session }> {
    const now = this.deps.clock.now();
    const token = randomBytes(32).toString('base64url');
    const row: Row = {
      id: newId('ses', this.deps.clock),
      token_hash: tokenHash(token),
      user_id: userId,
      csrf_token: randomBytes(32).toString('base64url'),
      ip: info.ip,
      user_agent: info.userAgent.slice(0, 300),
      idle_ms: info.privileged ? ADMIN_IDLE_MS : IDLE_MS,
      created_at: now,
      last_seen_at: now,
      expires_at: now + ABSOLUTE_MS,
    };
    await this.deps.db.deleteFrom('panel_sessions').where('expires_at', '<=', now).execute();
    await this.deps.db.insertInto('panel_sessions').values(row).execute();
    return { token, session: toSession(row) };
  }

  /** Look up a cookie value; expired sessions are deleted and reported as such. */
  async resolve(token: string): Promise<Resolved> {
    const row = await this.deps.db.selectFrom('panel_sessions').selectAll().where('token_hash', '=', tokenHash(token)).executeTakeFirst();
    if (!row) return { ok: false, reason: 'unknown' };
    const now = this.deps.clock.now();
    const reason = now >= row.expires_at ? 'expired' : now - row.last_seen_at >= row.idle_ms ? 'idle' : null;
    if (reason) {
      await this.deps.db.deleteFrom('panel_sessions').where('id', '=', row.id).execute();
      return { ok: false, reason };
    }
    if (now - row.last_seen_at >= TOUCH_EVERY_MS) {
      await this.deps.db.updateTable('panel_sessions').set({ last_seen_at: now }).where('id', '=', row.id).execute();
      row.last_seen_at = now;
    }
    return { ok: true, session: toSession(row) };
  }

  /** Sign-out: the session is gone server-side, so replaying the cookie gets nothing. */
  async end(sessionId: string): Promise<void> {
    await this.deps.db.deleteFrom('panel_sessions').where('id', '=', sessionId).execute();
  }

  /** Live sessions, newest first (the administrator's session list). */
  async list(): Promise<SessionListItem[]> {
    const now = this.deps.clock.now();
    const rows = await this.deps.db
      .selectFrom('panel_sessions')
      .innerJoin('panel_users', 'panel_users.id', 'panel_sessions.user_id')
      .selectAll('panel_sessions')
      .select(['panel_users.login', 'panel_users.display_name'])
      .where('panel_sessions.expires_at', '>', now)
      .orderBy('panel_sessions.created_at', 'desc')
      .execute();
    return rows
      .filter((r) => now - r.last_seen_at < r.idle_ms)
      .map((r) => ({ ...toSession(r), login: r.login, displayName: r.display_name }));
  }

  /** Forced sign-out by an administrator, audited. */
  async revoke(sessionId: string, by: Actor): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('panel_sessions').select(['id', 'user_id', 'ip', 'created_at']).where('id', '=', sessionId).executeTakeFirst();
      if (!row) throw new NotFoundError('session', sessionId);
      await trx.deleteFrom('panel_sessions').where('id', '=', sessionId).execute();
      await this.deps.audit.record(
        { ...by, action: 'session.revoked', target: row.user_id, before: { session: row.id, ip: row.ip, createdAt: row.created_at } },
        trx,
      );
    });
  }

  async countForUser(userId: string): Promise<number> {
    const rows = await this.deps.db.selectFrom('panel_sessions').select('id').where('user_id', '=', userId).execute();
    return rows.length;
  }
}
