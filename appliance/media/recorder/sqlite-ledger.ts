/**
 * The recording ledger on SQLite (migration 0020 `recordings`): Kysely-built queries run
 * synchronously (store/sync-query.ts), so a row is committed before the call returns — the
 * engine writes 'open' before any audio can be lost, and the closing row in the same turn as
 * the worker's event.
 */
import type { CompiledQuery } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Store } from '../../store/database.js';
import type { RecordingsTable } from '../../store/schema.js';
import { SyncQueries } from '../../store/sync-query.js';
import type { RecordingLedger, RecordingRow } from './ledger.js';
import type { PauseMark, RecordingClosed } from './recorder.js';

function toRow(r: RecordingsTable): RecordingRow {
  return {
    id: r.id,
    callId: r.call_id,
    path: r.path,
    legs: JSON.parse(r.legs) as RecordingRow['legs'],
    encoding: r.encoding,
    state: r.state,
    reason: r.reason,
    startedAt: r.started_at,
    closedAt: r.closed_at,
    durationMs: r.duration_ms,
    size: r.size,
    sha256: r.sha256,
    marks: JSON.parse(r.marks) as PauseMark[],
    pauseFromMs: r.pause_from_ms,
  };
}

/** The ledger's row changes, compiled and not run (run here, or by the write-behind thread: write-behind-ledger.ts). */
export class LedgerStatements {
  constructor(private readonly db: Store['db']) {}

  opened(id: string, r: Parameters<RecordingLedger['opened']>[0]): CompiledQuery<unknown> {
    return this.db
      .insertInto('recordings')
      .values({ id, call_id: r.callId, path: r.path, legs: JSON.stringify(r.legs), encoding: r.encoding, state: 'open', started_at: r.startedAt, marks: '[]' })
      .compile();
  }

  paused(id: string, atMs: number): CompiledQuery<unknown> {
    return this.db.updateTable('recordings').set({ pause_from_ms: Math.round(atMs) }).where('id', '=', id).where('pause_from_ms', 'is', null).compile();
  }

  resumed(id: string, marks: PauseMark[]): CompiledQuery<unknown> {
    return this.db.updateTable('recordings').set({ marks: JSON.stringify(marks), pause_from_ms: null }).where('id', '=', id).compile();
  }

  /** Complete the row opened for this file. */
  closed(id: string, e: RecordingClosed, closedAt: number): CompiledQuery<unknown> {
    return this.db.updateTable('recordings').set(closedValues(e, closedAt)).where('id', '=', id).compile();
  }

  /** A final file the ledger never opened a row for. */
  registered(id: string, e: RecordingClosed, closedAt: number): CompiledQuery<unknown> {
    return this.db
      .insertInto('recordings')
      .values({ id, call_id: e.callId, path: e.path, legs: '[]', encoding: e.encoding, started_at: closedAt - Math.round(e.durationMs), ...closedValues(e, closedAt) })
      .compile();
  }

  lost(id: string, reason: string, at: number): CompiledQuery<unknown> {
    return this.db.updateTable('recordings').set({ state: 'lost', reason, closed_at: at, pause_from_ms: null }).where('id', '=', id).compile();
  }
}

/** The columns a closed recording sets. */
export function closedValues(e: RecordingClosed, closedAt: number) {
  return {
    state: e.outcome,
    reason: e.reason,
    closed_at: closedAt,
    duration_ms: Math.round(e.durationMs),
    size: e.size,
    sha256: e.sha256 || null,
    marks: JSON.stringify(e.marks),
    pause_from_ms: null,
  };
}

export class SqliteRecordingLedger implements RecordingLedger {
  private readonly q: SyncQueries;
  private readonly statements: LedgerStatements;

  constructor(
    private readonly store: Pick<Store, 'sqlite' | 'db'>,
    private readonly clock: Pick<Clock, 'now'>,
  ) {
    this.q = new SyncQueries(store.sqlite);
    this.statements = new LedgerStatements(store.db);
  }

  opened(r: Parameters<RecordingLedger['opened']>[0]): string {
    const id = newId('rec', this.clock);
    this.q.run(this.statements.opened(id, r));
    return id;
  }

  paused(id: string, atMs: number): void {
    this.q.run(this.statements.paused(id, atMs));
  }

  resumed(id: string, atMs: number): void {
    this.q.transaction(() => {
      const row = this.get(id);
      if (!row || row.pauseFromMs === null) return;
      this.q.run(this.statements.resumed(id, [...row.marks, { fromMs: row.pauseFromMs, toMs: Math.round(atMs) }]));
    });
  }

  closed(e: RecordingClosed, closedAt: number): RecordingRow {
    return this.q.transaction(() => {
      const known = this.byPath(e.path);
      if (known) {
        this.q.run(this.statements.closed(known.id, e, closedAt));
        return this.get(known.id) as RecordingRow;
      }
      const id = newId('rec', this.clock);
      this.q.run(this.statements.registered(id, e, closedAt));
      return this.get(id) as RecordingRow;
    });
  }

  lost(id: string, reason: string, at: number): void {
    this.q.run(this.statements.lost(id, reason, at));
  }

  byPath(path: string): RecordingRow | null {
    const r = this.q.first(this.store.db.selectFrom('recordings').selectAll().where('path', '=', path).compile());
    return r ? toRow(r) : null;
  }

  get(id: string): RecordingRow | null {
    const r = this.q.first(this.store.db.selectFrom('recordings').selectAll().where('id', '=', id).compile());
    return r ? toRow(r) : null;
  }

  open(): RecordingRow[] {
    return this.q.all(this.store.db.selectFrom('recordings').selectAll().where('state', '=', 'open').orderBy('started_at').compile()).map(toRow);
  }

  /** The newest rows (of one call when `callId` is given), newest first. */
  list(o: { callId?: string; limit?: number } = {}): RecordingRow[] {
    let q = this.store.db.selectFrom('recordings').selectAll();
    if (o.callId) q = q.where('call_id', '=', o.callId);
    return this.q.all(q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(o.limit ?? 100).compile()).map(toRow);
  }

  /** Every row of a call, oldest first. */
  forCall(callId: string): RecordingRow[] {
    return this.q.all(this.store.db.selectFrom('recordings').selectAll().where('call_id', '=', callId).orderBy('started_at').compile()).map(toRow);
  }
}
