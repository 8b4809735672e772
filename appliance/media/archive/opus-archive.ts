/**
 * The Opus archive (issue 4 "Recording": "Optional Opus (Ogg) archive transcoding in the
 * background"): every `intervalMs` of the injected clock, complete recordings closed at least
 * `afterMs` ago and not yet archived are transcoded one after another (opus-transcode.ts: sox →
 * opusenc at nice 10) next to their WAV. Each result is a row (archive-store.ts): the copy's
 * path, size and hash, or why it failed — a failed one is tried again after `retryMs`, never in a
 * loop. The WAV stays: the recording volume deletes it only when full, under the
 * overwrite-oldest-archived policy, because this copy exists (recording-volume.ts).
 *
 * At 24 kbit/s a stereo call is 3 KB/s instead of 16 KB/s of A-law WAV: a fifth of the disk.
 * Not less: below about 24 kbit/s libopus codes a stereo pair as (near) mono — measured here,
 * the caller's and the agent's voices came back identical on both sides at 16 kbit/s — and the
 * archive must keep who said what (MIN_STEREO_KBPS, enforced by the configuration schema).
 * One run at a time; `stop` aborts the transcode in progress (its `.part` is removed).
 */
import path from 'node:path';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { toAppError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { SqliteArchiveStore } from './archive-store.js';
import { archivePathFor, opusTranscoder, type Transcoder } from './opus-transcode.js';

/** The lowest bit rate at which the two sides of a call stay apart in Opus (see above). */
export const MIN_STEREO_KBPS = 24;

export interface OpusArchiveOptions {
  /** Archive recordings closed at least this long ago. */
  afterMs: number;
  bitrateKbps: number;
  intervalMs: number;
  /** Recordings per run at most. */
  batch: number;
  /** A failed recording is tried again after this long (default one day). */
  retryMs?: number;
}

export interface OpusArchiveDeps {
  clock: Clock;
  log: Logger;
  store: SqliteArchiveStore;
  /** Default: the real sox | opusenc pipeline. */
  transcode?: Transcoder;
}

export interface ArchiveRun {
  archived: number;
  failed: number;
  bytesIn: number;
  bytesOut: number;
}

export class OpusArchiver {
  private timer: TimerHandle | null = null;
  private running: Promise<ArchiveRun> | null = null;
  private readonly abort = new AbortController();
  /** Totals since start, for metrics and the status page. */
  readonly totals: ArchiveRun = { archived: 0, failed: 0, bytesIn: 0, bytesOut: 0 };

  constructor(
    private readonly deps: OpusArchiveDeps,
    private readonly o: OpusArchiveOptions,
  ) {}

  start(): void {
    this.timer ??= this.deps.clock.setInterval(() => void this.runOnce(), this.o.intervalMs);
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  /** One pass over what is due (a pass already running is joined, not doubled). */
  runOnce(): Promise<ArchiveRun> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<ArchiveRun> {
    const run: ArchiveRun = { archived: 0, failed: 0, bytesIn: 0, bytesOut: 0 };
    const now = this.deps.clock.now();
    const due = this.deps.store.due(now - this.o.afterMs, now, this.o.batch);
    const transcode = this.deps.transcode ?? opusTranscoder;
    for (const r of due) {
      if (this.abort.signal.aborted) break;
      try {
        const copy = await transcode(r.path, archivePathFor(r.path), { bitrateKbps: this.o.bitrateKbps, signal: this.abort.signal });
        this.deps.store.archived(r.id, { path: copy.path, size: copy.size, sha256: copy.sha256, bitrateKbps: this.o.bitrateKbps }, this.deps.clock.now());
        run.archived++;
        run.bytesIn += r.size;
        run.bytesOut += copy.size;
      } catch (err) {
        if (this.abort.signal.aborted) break;
        const reason = toAppError(err).message;
        const at = this.deps.clock.now();
        this.deps.store.failed(r.id, reason, this.o.bitrateKbps, at, at + (this.o.retryMs ?? 86_400_000));
        this.deps.log.warn({ recordingId: r.id, file: path.basename(r.path), err: reason }, 'recording not archived');
        run.failed++;
      }
    }
    for (const k of ['archived', 'failed', 'bytesIn', 'bytesOut'] as const) this.totals[k] += run[k];
    if (run.archived + run.failed > 0) this.deps.log.info(run, 'recording archive pass');
    return run;
  }
}
