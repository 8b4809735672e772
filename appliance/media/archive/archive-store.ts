/**
 * The archive's rows (migration 0025 `recording_archives`) next to the recording ledger: which
 * complete recordings are due for an Opus copy, what became of each, and — as the recording
 * volume's RecordingArchive port — which WAVs may be deleted when the volume is full because
 * their archive copy exists.
 */
import type { CompiledQuery } from 'kysely';
import type { Store } from '../../store/database.js';
import type { RecordingArchivesTable } from '../../store/schema.js';
import { statementOf, type WriteBehind } from '../../store/write-behind.js';
import { SyncQueries } from '../../store/sync-query.js';
import type { ArchivedRecording, RecordingArchive } from '../recorder/recording-volume.js';

export interface ArchiveCandidate {
  id: string;
  callId: string;
  path: string;
  size: number;
  closedAt: number;
}

export interface ArchiveRow {
  recordingId: string;
  state: 'archived' | 'failed';
  path: string | null;
  size: number | null;
  sha256: string | null;
  bitrateKbps: number;
  reason: string | null;
  archivedAt: number;
  retryAfter: number | null;
  wavPrunedAt: number | null;
}

export class SqliteArchiveStore implements RecordingArchive {
  private readonly q: SyncQueries;

  /** With `writer`, rows are committed by the write-behind thread (no fsync on the main thread). */
  constructor(
    private readonly store: Pick<Store, 'sqlite' | 'db'>,
    private readonly writer: WriteBehind | null = null,
  ) {
    this.q = new SyncQueries(store.sqlite);
  }

  private write(label: string, q: CompiledQuery<unknown>): void {
    if (this.writer) this.writer.submit({ label, statements: [statementOf(q)] });
    else this.q.run(q);
  }

  /** One row per recording: a later outcome (archived after failed) replaces the earlier. */
  private upsert(label: string, recordingId: string, values: Omit<RecordingArchivesTable, 'recording_id'>): void {
    this.write(
      label,
      this.store.db
        .insertInto('recording_archives')
        .values({ recording_id: recordingId, ...values })
        .onConflict((oc) => oc.column('recording_id').doUpdateSet(values))
        .compile(),
    );
  }

  private read(): void {
    this.writer?.drainSync();
  }

  /** Complete recordings closed at or before `closedBefore` with no archive row (or a failed one due again), oldest first. */
  due(closedBefore: number, now: number, limit: number): ArchiveCandidate[] {
    this.read();
    const rows = this.q.all(
      this.store.db
        .selectFrom('recordings as r')
        .leftJoin('recording_archives as a', 'a.recording_id', 'r.id')
        .select(['r.id', 'r.call_id', 'r.path', 'r.size', 'r.closed_at'])
        .where('r.state', '=', 'complete')
        .where('r.closed_at', '<=', closedBefore)
        .where((eb) => eb.or([eb('a.recording_id', 'is', null), eb.and([eb('a.state', '=', 'failed'), eb('a.retry_after', '<=', now)])]))
        .orderBy('r.closed_at')
        .limit(limit)
        .compile(),
    );
    return rows.map((r) => ({ id: r.id, callId: r.call_id, path: r.path, size: r.size ?? 0, closedAt: r.closed_at ?? 0 }));
  }

  archived(recordingId: string, copy: { path: string; size: number; sha256: string; bitrateKbps: number }, at: number): void {
    const values = { state: 'archived' as const, path: copy.path, size: copy.size, sha256: copy.sha256, bitrate_kbps: copy.bitrateKbps, reason: null, archived_at: at, retry_after: null, wav_pruned_at: null };
    this.upsert(`archive ${recordingId}`, recordingId, values);
  }

  failed(recordingId: string, reason: string, bitrateKbps: number, at: number, retryAfter: number): void {
    const values = { state: 'failed' as const, path: null, size: null, sha256: null, bitrate_kbps: bitrateKbps, reason, archived_at: at, retry_after: retryAfter, wav_pruned_at: null };
    this.upsert(`archive ${recordingId} failed`, recordingId, values);
  }

  get(recordingId: string): ArchiveRow | null {
    this.read();
    const r = this.q.first(this.store.db.selectFrom('recording_archives').selectAll().where('recording_id', '=', recordingId).compile());
    if (!r) return null;
    return {
      recordingId: r.recording_id,
      state: r.state,
      path: r.path,
      size: r.size,
      sha256: r.sha256,
      bitrateKbps: r.bitrate_kbps,
      reason: r.reason,
      archivedAt: r.archived_at,
      retryAfter: r.retry_after,
      wavPrunedAt: r.wav_pruned_at,
    };
  }

  /** RecordingArchive: archived recordings whose WAV is still on the volume, oldest recording first. */
  oldestArchived(limit: number): ArchivedRecording[] {
    this.read();
    const rows = this.q.all(
      this.store.db
        .selectFrom('recording_archives as a')
        .innerJoin('recordings as r', 'r.id', 'a.recording_id')
        .select(['r.id', 'r.path', 'r.size'])
        .where('a.state', '=', 'archived')
        .where('a.wav_pruned_at', 'is', null)
        .orderBy('r.started_at')
        .limit(limit)
        .compile(),
    );
    return rows.map((r) => ({ id: r.id, path: r.path, size: r.size ?? 0 }));
  }

  /** RecordingArchive: the WAV of an archived recording was deleted to make room. */
  pruned(recordingId: string, at: number): void {
    this.write(`archive ${recordingId} pruned`, this.store.db.updateTable('recording_archives').set({ wav_pruned_at: at }).where('recording_id', '=', recordingId).compile());
  }
}
