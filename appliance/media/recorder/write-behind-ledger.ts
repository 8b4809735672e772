/**
 * The recording ledger written behind (store/write-behind.ts): the rows of the recordings this
 * process starts are changed by the writer thread, so starting and closing a recording never
 * makes the main thread wait for an fsync (in the media benchmark a single 'open' insert on the
 * main thread took up to 300 ms behind the recordings' own write-back).
 *
 * Nothing is weaker than the synchronous ledger: if the process dies before a row is committed,
 * the start-up settle (ledger.ts) finds the file — a `.part` repaired and registered, or a final
 * `.wav` hashed and committed — so a recording is never silently lost. Pause and resume wait for
 * their commit (an agent's action, rare): the span hiding what the customer said is in the row
 * before the call goes on, as with the synchronous ledger. The rows of recordings
 * still open are kept here (id, legs, pause state), so pause/resume/close need no read; every
 * read (REST list, settle at start, a row this process did not open) first waits for what was
 * submitted, then reads through the synchronous ledger.
 */
import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Store } from '../../store/database.js';
import { statementOf, type WriteBehind } from '../../store/write-behind.js';
import type { RecordingLedger, RecordingRow } from './ledger.js';
import type { RecordingClosed } from './recorder.js';
import { LedgerStatements, SqliteRecordingLedger } from './sqlite-ledger.js';

export class WriteBehindRecordingLedger implements RecordingLedger {
  private readonly statements: LedgerStatements;
  private readonly sync: SqliteRecordingLedger;
  /** Rows opened by this process and not closed yet, by file path. */
  private readonly live = new Map<string, RecordingRow>();
  private readonly byId = new Map<string, RecordingRow>();

  constructor(
    store: Pick<Store, 'sqlite' | 'db'>,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly writer: WriteBehind,
  ) {
    this.statements = new LedgerStatements(store.db);
    this.sync = new SqliteRecordingLedger(store, clock);
  }

  opened(r: Parameters<RecordingLedger['opened']>[0]): string {
    const id = newId('rec', this.clock);
    const row: RecordingRow = { id, callId: r.callId, path: r.path, legs: r.legs, encoding: r.encoding, state: 'open', reason: null, startedAt: r.startedAt, closedAt: null, durationMs: null, size: null, sha256: null, marks: [], pauseFromMs: null };
    this.live.set(r.path, row);
    this.byId.set(id, row);
    this.submit(`recording ${id} opened`, this.statements.opened(id, r));
    return id;
  }

  paused(id: string, atMs: number): void {
    const row = this.byId.get(id);
    if (!row) {
      this.writer.drainSync();
      this.sync.paused(id, atMs);
      return;
    }
    if (row.pauseFromMs === null) row.pauseFromMs = Math.round(atMs);
    this.submit(`recording ${id} paused`, this.statements.paused(id, atMs));
    // A pause hides what the customer says (card numbers...): its mark is on disk before we go on.
    this.writer.drainSync();
  }

  resumed(id: string, atMs: number): void {
    const row = this.byId.get(id);
    if (!row) {
      this.writer.drainSync();
      this.sync.resumed(id, atMs);
      return;
    }
    if (row.pauseFromMs === null) return;
    row.marks = [...row.marks, { fromMs: row.pauseFromMs, toMs: Math.round(atMs) }];
    row.pauseFromMs = null;
    this.submit(`recording ${id} resumed`, this.statements.resumed(id, row.marks));
    this.writer.drainSync();
  }

  closed(e: RecordingClosed, closedAt: number): RecordingRow {
    const row = this.live.get(e.path);
    if (!row) {
      this.writer.drainSync();
      return this.sync.closed(e, closedAt);
    }
    this.live.delete(e.path);
    this.byId.delete(row.id);
    this.submit(`recording ${row.id} closed`, this.statements.closed(row.id, e, closedAt));
    return { ...row, state: e.outcome, reason: e.reason, closedAt, durationMs: Math.round(e.durationMs), size: e.size, sha256: e.sha256 || null, marks: e.marks, pauseFromMs: null };
  }

  lost(id: string, reason: string, at: number): void {
    const row = this.byId.get(id);
    if (row) {
      this.live.delete(row.path);
      this.byId.delete(id);
    }
    this.submit(`recording ${id} lost`, this.statements.lost(id, reason, at));
  }

  byPath(path: string): RecordingRow | null {
    this.writer.drainSync();
    return this.sync.byPath(path);
  }

  get(id: string): RecordingRow | null {
    this.writer.drainSync();
    return this.sync.get(id);
  }

  open(): RecordingRow[] {
    this.writer.drainSync();
    return this.sync.open();
  }

  list(o: { callId?: string; limit?: number } = {}): RecordingRow[] {
    this.writer.drainSync();
    return this.sync.list(o);
  }

  forCall(callId: string): RecordingRow[] {
    this.writer.drainSync();
    return this.sync.forCall(callId);
  }

  private submit(label: string, q: { sql: string; parameters: readonly unknown[] }): void {
    this.writer.submit({ label, statements: [statementOf(q)] });
  }
}
