/**
 * The recording ledger (issue 4 "Recording": "its row (call id, legs, duration, sha256)
 * committed when closed; a file left open by a crash is repaired (header fixed) and registered
 * at next start ... never a silent loss"). The port the media engine writes through; the
 * SQLite implementation is sqlite-ledger.ts (migration 0020).
 *
 * Life of a row: `opened` when the worker has created the `.part` (state 'open', legs, final
 * path) → `paused` / `resumed` as the agent hides sensitive data (the open pause is kept in
 * the row, so it survives a crash) → `closed` when the file is final (worker: finalize header,
 * fsync, rename, hash). `settle` runs at start, after recovery.ts has repaired every `.part`:
 * each recovered file closes its row as 'interrupted'; rows still 'open' are matched with what
 * the disk holds (a final `.wav` the process died before committing is hashed and committed,
 * nothing at all is 'lost'); a file with no row is registered.
 */
import path from 'node:path';
import { repairWavFile } from '../codec/wav.js';
import type { BridgeSide } from '../mixer/mixer.js';
import { hashFile, type PauseMark, type RecordingClosed, type RecordingEncoding } from './recorder.js';
import type { RecorderFs } from './recorder-fs.js';

export const RecordingStates = ['open', 'complete', 'failed', 'interrupted', 'lost'] as const;
export type RecordingState = (typeof RecordingStates)[number];

export interface RecordingLeg {
  legId: string;
  side: BridgeSide;
}

export interface RecordingRow {
  id: string;
  callId: string;
  path: string;
  legs: RecordingLeg[];
  encoding: RecordingEncoding;
  state: RecordingState;
  reason: string | null;
  startedAt: number;
  closedAt: number | null;
  durationMs: number | null;
  size: number | null;
  sha256: string | null;
  marks: PauseMark[];
  /** Start of a pause not yet resumed (ms into the recording). */
  pauseFromMs: number | null;
}

export interface RecordingLedger {
  /** A recording started; returns its row id. */
  opened(r: { callId: string; path: string; legs: RecordingLeg[]; encoding: RecordingEncoding; startedAt: number }): string;
  paused(id: string, atMs: number): void;
  resumed(id: string, atMs: number): void;
  /** The file is final: complete the row found by path (or register one for an unknown file). */
  closed(e: RecordingClosed, closedAt: number): RecordingRow;
  /** Nothing is left of a recording the row promised. */
  lost(id: string, reason: string, at: number): void;
  byPath(path: string): RecordingRow | null;
  /** Rows still 'open'. */
  open(): RecordingRow[];
}

/** Pause marks of a row closed by a crash: the open pause ends where the audio ends. */
export function marksAtCrash(row: Pick<RecordingRow, 'marks' | 'pauseFromMs'>, durationMs: number): PauseMark[] {
  const marks = row.marks.filter((m) => m.fromMs < durationMs).map((m) => ({ fromMs: m.fromMs, toMs: Math.min(m.toMs, durationMs) }));
  if (row.pauseFromMs !== null && row.pauseFromMs < durationMs) marks.push({ fromMs: row.pauseFromMs, toMs: durationMs });
  return marks;
}

/**
 * Close the row of one repaired file (recovery.ts `recoverPart`): the pause still open at the
 * crash ends where the audio ends; a file too broken to repair is registered 'failed' under
 * the name it was kept as.
 */
export function settleRecovered(ledger: RecordingLedger, r: RecordingClosed, now: number): RecordingRow {
  const row = ledger.byPath(r.path) ?? ledger.byPath(r.path.replace(/\.broken$/, ''));
  const marks = row ? marksAtCrash(row, r.durationMs) : r.marks;
  return ledger.closed(
    { ...r, path: r.path.replace(/\.broken$/, ''), marks, ...(r.outcome === 'failed' ? { reason: `${r.reason ?? 'unreadable'} (kept as ${path.basename(r.path)})` } : {}) },
    now,
  );
}

export interface SettleReport {
  interrupted: number;
  committedAtStart: number;
  lost: number;
}

/**
 * At start, after recoverInterrupted: register the recovered files, then settle rows still
 * 'open' from the disk. Every outcome is a row; nothing is dropped quietly.
 */
export async function settleLedger(
  ledger: RecordingLedger,
  recovered: readonly RecordingClosed[],
  fs: RecorderFs,
  now: number,
): Promise<SettleReport> {
  const report: SettleReport = { interrupted: 0, committedAtStart: 0, lost: 0 };
  for (const r of recovered) if (settleRecovered(ledger, r, now).state === 'interrupted') report.interrupted++;
  for (const row of ledger.open()) {
    let size: number | null = null;
    try {
      size = await fs.size(row.path);
    } catch {
      size = null;
    }
    if (size === null) {
      ledger.lost(row.id, 'no file left at restart', now);
      report.lost++;
      continue;
    }
    // The worker had finalized and renamed the file; only the commit was missing.
    const fixed = await repairWavFile(row.path);
    const { sha256, size: bytes } = await hashFile(fs, row.path);
    ledger.closed(
      {
        callId: row.callId,
        path: row.path,
        outcome: 'complete',
        reason: 'committed at restart',
        sha256,
        durationMs: fixed.durationMs,
        size: bytes,
        encoding: row.encoding,
        marks: marksAtCrash(row, fixed.durationMs),
      },
      now,
    );
    report.committedAtStart++;
  }
  return report;
}
