/**
 * The recording ledger on SQLite (migration 0020 `recordings`): Kysely-built queries run
 * synchronously (store/sync-query.ts), so a row is committed before the call returns — the
 * engine writes 'open' before any audio can be lost, and the closing row in the same turn as
 * the worker's event.
 */
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

export class SqliteRecordingLedger implements RecordingLedger {
  private readonly q: SyncQueries;

  constructor(
    private readonly store: Pick<Store, 'sqlite' | 'db'>,
    private readonly clock: Pick<Clock, 'now'>,
  ) {
    this.q = new SyncQueries(store.sqlite);
  }

  opened(r: Parameters<RecordingLedger['opened']>[0]): string {
    const id = newId('rec', this.clock);
    this.q.run(
      this.store.db
        .insertInto('recordings')
        .values({ id, call_id: r.callId, path: r.path, legs: JSON.stringify(r.legs), encoding: r.encoding, state: 'open', started_at: r.startedAt, marks: '[]' })
        .compile(),
    );
    return id;
  }

  paused(id: string, atMs: number): void {
    this.q.run(this.store.db.updateTable('recordings').set({ pause_from_ms: Math.round(atMs) }).where('id', '=', id).where('pause_from_ms', 'is', null).compile());
  }

  resumed(id: string, atMs: number): void {
    this.q.transaction(() => {
      const row = this.get(id);
      if (!row || row.pauseFromMs === null) return;
      const marks = [...row.marks, { fromMs: row.pauseFromMs, toMs: Math.round(atMs) }];
      this.q.run(this.store.db.updateTable('recordings').set({ marks: JSON.stringify(marks), pause_from_ms: null }).where('id', '=', id).compile());
    });
  }

  closed(e: RecordingClosed, closedAt: number): RecordingRow {
    return this.q.transaction(() => {
      const done = {
        state: e.outcome,
        reason: e.reason,
        closed_at: closedAt,
        duration_ms: Math.round(e.durationMs),
        size: e.size,
        sha256: e.sha256 || null,
        marks: JSON.stringify(e.marks),
        pause_from_ms: null,
      };
      const known = this.byPath(e.path);
      if (known) {
        this.q.run(this.store.db.updateTable('recordings').set(done).where('id', '=', known.id).compile());
        return this.get(known.id) as RecordingRow;
      }
      const id = newId('rec', this.clock);
      this.q.run(
        this.store.db
          .insertInto('recordings')
          .values({ id, call_id: e.callId, path: e.path, legs: '[]', encoding: e.encoding, started_at: closedAt - Math.round(e.durationMs), ...done })
          .compile(),
      );
      return this.get(id) as RecordingRow;
    });
  }

  lost(id: string, reason: string, at: number): void {
    this.q.run(this.store.db.updateTable('recordings').set({ state: 'lost', reason, closed_at: at, pause_from_ms: null }).where('id', '=', id).compile());
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
