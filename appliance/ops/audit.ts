/**
 * The audit log (DESIGN.md "Data": "Every change a person makes is in the audit log (who,
 * when, from which IP, what)"). Rows go to the append-only `audit_log` table (store migration
 * 0001: triggers refuse UPDATE and DELETE). A change and its audit row should commit together:
 * pass the change's Kysely transaction to `record`.
 *
 * Actors are `kind:id` strings: `apikey:key_01J…`, `user:42`, `system`. Actions are
 * `noun.verb-ed` (`api-key.created`). `before`/`after` are JSON snapshots (never secrets).
 * Export is CSV per RFC 4180 with cells that a spreadsheet would run as a formula
 * (leading = + - @ tab CR) prefixed by a quote, per the OWASP "CSV Injection" advice.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import type { Database } from '../store/schema.js';

export interface AuditInput {
  actor: string;
  ip?: string | null;
  action: string;
  target?: string | null;
  before?: unknown;
  after?: unknown;
}

export interface AuditEntry {
  id: number;
  /** Wall-clock ms. */
  at: number;
  actor: string;
  ip: string | null;
  action: string;
  target: string | null;
  before: unknown;
  after: unknown;
}

export interface AuditFilter {
  actor?: string;
  /** Exact action, or a prefix ending in `*` (`api-key.*`). */
  action?: string;
  target?: string;
  /** Exact client address the action came from. */
  ip?: string;
  /** Inclusive lower bound, wall-clock ms. */
  from?: number;
  /** Exclusive upper bound, wall-clock ms. */
  to?: number;
}

export interface AuditPageRequest extends AuditFilter {
  limit: number;
  /** From a previous page's `nextCursor`: continue with older entries. */
  cursor?: string;
}

export interface AuditPage {
  /** Newest first. */
  items: AuditEntry[];
  nextCursor: string | null;
}

export const AUDIT_MAX_PAGE = 500;
export const AUDIT_CSV_COLUMNS = ['id', 'at', 'actor', 'ip', 'action', 'target', 'before', 'after'] as const;

type AuditRow = Selectable<Database['audit_log']>;

export class AuditLog {
  constructor(private readonly deps: { db: Kysely<Database>; clock: Pick<Clock, 'now'> }) {}

  /** Append one entry, inside `db` (a transaction) when given. */
  async record(input: AuditInput, db: Kysely<Database> = this.deps.db): Promise<AuditEntry> {
    const at = this.deps.clock.now();
    const row = {
      at,
      actor: input.actor,
      actor_ip: input.ip ?? null,
      action: input.action,
      target: input.target ?? null,
      before: input.before === undefined ? null : JSON.stringify(input.before),
      after: input.after === undefined ? null : JSON.stringify(input.after),
    };
    const { id } = await db.insertInto('audit_log').values(row).returning('id').executeTakeFirstOrThrow();
    return toEntry({ ...row, id });
  }

  async search(req: AuditPageRequest): Promise<AuditPage> {
    const limit = Math.min(Math.max(1, Math.trunc(req.limit)), AUDIT_MAX_PAGE);
    const before = req.cursor === undefined ? undefined : decodeCursor(req.cursor);
    const rows = await this.page(req, before, limit + 1);
    const items = rows.slice(0, limit).map(toEntry);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
  }

  /** Every matching entry, newest first, as CSV text (header line first, CRLF line ends). */
  async exportCsv(filter: AuditFilter): Promise<string> {
    const lines = [AUDIT_CSV_COLUMNS.join(',')];
    let before: number | undefined;
    for (;;) {
      const rows = await this.page(filter, before, 1000);
      for (const r of rows) {
        const e = toEntry(r);
        lines.push(
          [
            String(e.id),
            new Date(e.at).toISOString(),
            e.actor,
            e.ip ?? '',
            e.action,
            e.target ?? '',
            r.before ?? '',
            r.after ?? '',
          ]
            .map(csvCell)
            .join(','),
        );
      }
      const last = rows.at(-1);
      if (rows.length < 1000 || !last) break;
      before = last.id;
    }
    return lines.join('\r\n') + '\r\n';
  }

  private page(filter: AuditFilter, beforeId: number | undefined, limit: number): Promise<AuditRow[]> {
    let q = this.deps.db.selectFrom('audit_log').selectAll();
    if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
    if (filter.target !== undefined) q = q.where('target', '=', filter.target);
    if (filter.ip !== undefined) q = q.where('actor_ip', '=', filter.ip);
    if (filter.action !== undefined) {
      if (filter.action.endsWith('*')) {
        const prefix = filter.action.slice(0, -1);
        q = q.where('action', '>=', prefix).where('action', '<', `${prefix}\u{10FFFF}`);
      } else {
        q = q.where('action', '=', filter.action);
      }
    }
    if (filter.from !== undefined) q = q.where('at', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('at', '<', filter.to);
    if (beforeId !== undefined) q = q.where('id', '<', beforeId);
    return q.orderBy('id', 'desc').limit(limit).execute();
  }
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    ip: r.actor_ip,
    action: r.action,
    target: r.target,
    before: r.before === null ? null : (JSON.parse(r.before) as unknown),
    after: r.after === null ? null : (JSON.parse(r.after) as unknown),
  };
}

function encodeCursor(id: number): string {
  return Buffer.from(`a:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const m = /^a:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new ValidationError('invalid cursor', [{ path: 'cursor', message: 'not a cursor from a previous page' }]);
  return Number(m[1]);
}

/** RFC 4180 §2: fields with comma, quote, CR or LF are quoted, quotes doubled. */
export function csvCell(value: string): string {
  const v = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
