/**
 * Call control's store port (routes and CDRs) and its SQLite implementation on the tables of
 * migration 0011 (store/migrations/0011-calls.ts). Queries are Kysely-built and run on the
 * better-sqlite3 handle through SyncQueries (statements prepared once); a CDR and its legs are one
 * transaction. Routes read back from the database are checked again with RouteSchema: a row that
 * no longer validates is skipped and reported, never half-used. Every INVITE asks for the routes,
 * so the validated list is kept (store/read-cache.ts) until saveRoute (at once) or another
 * connection (the CLI: within a second of `now`) writes; it is frozen, since every caller shares it.
 */
import type { CompiledQuery, Insertable, Kysely } from 'kysely';
import { InsertTemplate } from '../store/insert-template.js';
import type { FieldIssue } from '../core/errors.js';
import type { Store } from '../store/database.js';
import type { Database } from '../store/schema.js';
import { ReadCache, tableWritten } from '../store/read-cache.js';
import { SyncQueries } from '../store/sync-query.js';
import { RouteSchema, targetFromName, targetName, type Route, type RouteInput, type RouteTargetKind } from './dialplan.js';

export interface CdrLeg {
  legId: string;
  tech: 'sip' | 'tdm' | 'analog' | 'internal';
  direction: 'inbound' | 'outbound';
  party: string;
  codec: string | null;
  createdAt: number;
  answeredAt: number | null;
  endedAt: number;
  cause: number;
  endedBy: 'local' | 'remote';
  mos: number | null;
  packetsLost: number | null;
  jitterMs: number | null;
}

/** A transfer the call took part in (migrations 0019 and 0024: calls/transfer.ts, and 'replaces' from calls/replaces.ts). */
export interface CdrTransfer {
  kind: 'blind' | 'attended' | 'replaces';
  at: number;
  transferorLegId: string;
  transfereeLegId: string | null;
  targetLegId: string | null;
  target: string;
  /** Attended: the consultation call whose target leg joined this one (or, on that call's row, this call). */
  replacedCallId: string | null;
  /** Final sipfrag status reported to the transferor: 200, or why the transfer failed. */
  outcome: number;
}

export interface CdrRecord {
  callId: string;
  direction: 'inbound' | 'outbound' | 'internal';
  caller: string;
  called: string;
  routeId: string | null;
  targetKind: RouteTargetKind | null;
  target: string | null;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number;
  cause: number;
  endedBy: 'local' | 'remote';
  legs: CdrLeg[];
  transfers?: CdrTransfer[];
}

export interface CallStorePort {
  routes(): Route[];
  saveRoute(input: RouteInput): Route;
  writeCdr(cdr: CdrRecord): void;
  cdr(callId: string): CdrRecord | null;
}

export class SqliteCallStore implements CallStorePort {
  /** Stored routes that failed validation on the last read, by field. */
  issues: FieldIssue[] = [];
  private readonly q: SyncQueries;
  private readonly routeCache: ReadCache<Route[]>;

  constructor(
    private readonly store: Pick<Store, 'sqlite' | 'db'>,
    private readonly now: () => number,
  ) {
    this.q = new SyncQueries(store.sqlite);
    this.routeCache = new ReadCache(store.sqlite, ['call_routes'], () => this.readRoutes(), { now });
  }

  /** The valid routes, in priority order (a frozen list shared by every caller until the next write). */
  routes(): Route[] {
    return this.routeCache.get();
  }

  private readRoutes(): Route[] {
    const rows = this.all<{ id: string; name: string; priority: number; did_pattern: string; caller_pattern: string | null; target_kind: string; target: string; enabled: number }>(
      this.store.db.selectFrom('call_routes').selectAll().orderBy('priority').orderBy('id').compile(),
    );
    const out: Route[] = [];
    this.issues = [];
    for (const r of rows) {
      const target = targetFromName(r.target_kind, r.target);
      const parsed = RouteSchema.safeParse({ id: r.id, name: r.name, priority: r.priority, did: r.did_pattern, caller: r.caller_pattern, target, enabled: r.enabled === 1 });
      if (parsed.success) out.push(parsed.data);
      else this.issues.push(...parsed.error.issues.map((i) => ({ path: `call_routes.${r.id}.${i.path.join('.')}`, message: i.message })));
    }
    for (const r of out) deepFreeze(r);
    return Object.freeze(out) as Route[];
  }

  saveRoute(input: RouteInput): Route {
    const r = RouteSchema.parse(input);
    const now = this.now();
    const values = {
      id: r.id,
      name: r.name,
      priority: r.priority,
      did_pattern: r.did,
      caller_pattern: r.caller,
      target_kind: r.target.kind,
      target: targetName(r.target),
      enabled: r.enabled ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    const { created_at: _c, id: _id, ...update } = values;
    this.run(this.store.db.insertInto('call_routes').values(values).onConflict((oc) => oc.column('id').doUpdateSet(update)).compile());
    tableWritten(this.store.sqlite, 'call_routes');
    return r;
  }

  writeCdr(c: CdrRecord): void {
    const statements = cdrStatements(this.store.db, c);
    this.store.sqlite.transaction(() => {
      for (const q of statements) this.run(q);
    })();
  }

  cdr(callId: string): CdrRecord | null {
    const db = this.store.db;
    const row = this.all<Record<string, unknown>>(db.selectFrom('cdrs').selectAll().where('call_id', '=', callId).compile())[0];
    if (!row) return null;
    const legs = this.all<Record<string, unknown>>(db.selectFrom('cdr_legs').selectAll().where('call_id', '=', callId).orderBy('position').compile());
    const transfers = this.all<Record<string, unknown>>(db.selectFrom('cdr_transfers').selectAll().where('call_id', '=', callId).orderBy('position').compile());
    return {
      callId,
      direction: row['direction'] as CdrRecord['direction'],
      caller: row['caller'] as string,
      called: row['called'] as string,
      routeId: row['route_id'] as string | null,
      targetKind: row['target_kind'] as RouteTargetKind | null,
      target: row['target'] as string | null,
      startedAt: row['started_at'] as number,
      answeredAt: row['answered_at'] as number | null,
      endedAt: row['ended_at'] as number,
      cause: row['cause'] as number,
      endedBy: row['ended_by'] as 'local' | 'remote',
      legs: legs.map((l) => ({
        legId: l['leg_id'] as string,
        tech: l['tech'] as CdrLeg['tech'],
        direction: l['direction'] as CdrLeg['direction'],
        party: l['party'] as string,
        codec: l['codec'] as string | null,
        createdAt: l['created_at'] as number,
        answeredAt: l['answered_at'] as number | null,
        endedAt: l['ended_at'] as number,
        cause: l['cause'] as number,
        endedBy: l['ended_by'] as 'local' | 'remote',
        mos: l['mos'] as number | null,
        packetsLost: l['packets_lost'] as number | null,
        jitterMs: l['jitter_ms'] as number | null,
      })),
      ...(transfers.length > 0
        ? {
            transfers: transfers.map((x) => ({
              kind: x['kind'] as CdrTransfer['kind'],
              at: x['at'] as number,
              transferorLegId: x['transferor_leg'] as string,
              transfereeLegId: x['transferee_leg'] as string | null,
              targetLegId: x['target_leg'] as string | null,
              target: x['target'] as string,
              replacedCallId: x['replaced_call_id'] as string | null,
              outcome: x['outcome'] as number,
            })),
          }
        : {}),
    };
  }

  private run(q: Pick<CompiledQuery, 'sql' | 'parameters'>): void {
    this.q.run(q);
  }

  private all<T>(q: CompiledQuery): T[] {
    return this.q.all(q) as T[];
  }
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v);
  return Object.freeze(o);
}

/**
 * The statements that store one CDR (its row, its legs, its transfers), compiled and not run:
 * SqliteCallStore runs them in one transaction; the write-behind store (cdr-write-behind.ts)
 * hands them to the writer thread.
 */
interface CdrTemplates {
  cdr: InsertTemplate<Insertable<Database['cdrs']>>;
  leg: InsertTemplate<Insertable<Database['cdr_legs']>>;
  transfer: InsertTemplate<Insertable<Database['cdr_transfers']>>;
}
const templates = new WeakMap<Kysely<Database>, CdrTemplates>();

function cdrTemplates(db: Kysely<Database>): CdrTemplates {
  let t = templates.get(db);
  if (!t) {
    t = {
      cdr: new InsertTemplate((row) => db.insertInto('cdrs').values(row).compile()),
      leg: new InsertTemplate((row) => db.insertInto('cdr_legs').values(row).compile()),
      transfer: new InsertTemplate((row) => db.insertInto('cdr_transfers').values(row).compile()),
    };
    templates.set(db, t);
  }
  return t;
}

/** The statements that write one CDR: its row, a row per leg and per transfer. */
export function cdrStatements(db: Kysely<Database>, c: CdrRecord): Array<{ sql: string; parameters: readonly unknown[] }> {
  const t = cdrTemplates(db);
  const out = [
    t.cdr.bind({
      call_id: c.callId,
      direction: c.direction,
      caller: c.caller,
      called: c.called,
      route_id: c.routeId,
      target_kind: c.targetKind,
      target: c.target,
      started_at: c.startedAt,
      answered_at: c.answeredAt,
      ended_at: c.endedAt,
      duration_ms: c.endedAt - c.startedAt,
      billsec_ms: c.answeredAt === null ? 0 : c.endedAt - c.answeredAt,
      cause: c.cause,
      ended_by: c.endedBy,
      legs: c.legs.length,
    }),
  ];
  c.legs.forEach((l, position) =>
    out.push(
      t.leg.bind({
        call_id: c.callId,
        leg_id: l.legId,
        position,
        tech: l.tech,
        direction: l.direction,
        party: l.party,
        codec: l.codec,
        created_at: l.createdAt,
        answered_at: l.answeredAt,
        ended_at: l.endedAt,
        cause: l.cause,
        ended_by: l.endedBy,
        mos: l.mos,
        packets_lost: l.packetsLost,
        jitter_ms: l.jitterMs,
      }),
    ),
  );
  (c.transfers ?? []).forEach((x, position) =>
    out.push(
      t.transfer.bind({
        call_id: c.callId,
        position,
        kind: x.kind,
        at: x.at,
        transferor_leg: x.transferorLegId,
        transferee_leg: x.transfereeLegId,
        target_leg: x.targetLegId,
        target: x.target,
        replaced_call_id: x.replacedCallId,
        outcome: x.outcome,
      }),
    ),
  );
  return out;
}
