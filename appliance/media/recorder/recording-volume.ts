/**
 * The recording volume (issue 4 "Recording": "recording volume nearly full raises an alarm and
 * follows a configured policy — never a silent loss"). Every `checkIntervalMs` on the injected
 * Clock it reads the free space of the recordings folder (statfs(2) through `fs.statfs`) and
 * keeps one alarm on the board (ops/alarms.ts):
 *
 *   recording.volume   'major' below `warnFreePercent` free, 'critical' below `fullFreePercent`;
 *                      also 'major' when the free space cannot be read at all
 *
 * Levels come from a transition table with hysteresis: a level is entered when free space
 * falls below its threshold and left only when it is `clearMarginPercent` above it, so a
 * volume hovering at the threshold does not flap the alarm.
 *
 * While the volume is full, `whenFull` says what happens:
 *   stop-new                    new recordings are refused (CallRecordings `gate`); each refusal
 *                               is logged, published (`recording.start.refused`) and counted
 *   overwrite-oldest-archived   the oldest finished recordings that have an archive copy are
 *                               deleted until the volume is back above the full threshold
 *                               plus the margin; without an archive nothing is deleted and
 *                               the alarm says so
 * Recordings already running are never stopped here; a write that still fails is the engine's
 * `recording.write-failed` alarm (engine/engine-alarms.ts).
 */
import { rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { toAppError } from '../../core/errors.js';
import type { EventBus } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import type { AlarmBoard } from '../../ops/alarms.js';

export const WhenFullPolicies = ['stop-new', 'overwrite-oldest-archived'] as const;
export type WhenFull = (typeof WhenFullPolicies)[number];

export const VolumeLevels = ['ok', 'low', 'full'] as const;
export type VolumeLevel = (typeof VolumeLevels)[number];

export const VOLUME_ALARM_ID = 'recording.volume';

declare module '../../core/events.js' {
  interface EventMap {
    'recording.volume.changed': { dir: string; level: VolumeLevel; freePercent: number; freeBytes: number; totalBytes: number; whenFull: WhenFull };
    'recording.start.refused': { dir: string; reason: string; refused: number };
    'recording.file.pruned': { recordingId: string; path: string; size: number };
  }
}

export interface VolumeStats {
  /** Bytes an unprivileged process can still write (f_bavail × f_bsize). */
  freeBytes: number;
  totalBytes: number;
}

export type StatVolume = (dir: string) => Promise<VolumeStats>;

/** statfs(2) of `dir`, or of its nearest existing ancestor (the folder may not be made yet). */
export async function statVolume(dir: string): Promise<VolumeStats> {
  let at = path.resolve(dir);
  for (;;) {
    try {
      const s = await statfs(at);
      return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
    } catch (err) {
      const parent = path.dirname(at);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) throw err;
      at = parent;
    }
  }
}

/** A finished recording whose archive copy exists, so its local file may be deleted. */
export interface ArchivedRecording {
  id: string;
  path: string;
  size: number;
}

/** The recording archive (Opus transcoding, a later step): what may be pruned, and the record that it was. */
export interface RecordingArchive {
  /** Finished recordings with an archive copy still on the volume, oldest first. */
  oldestArchived(limit: number): ArchivedRecording[];
  /** The local file of an archived recording was deleted to make room. */
  pruned(id: string, at: number): void;
}

export interface RecordingVolumeOptions {
  dir: string;
  warnFreePercent: number;
  fullFreePercent: number;
  whenFull: WhenFull;
  checkIntervalMs: number;
  /** Points above a threshold before its level is left (default 2). */
  clearMarginPercent?: number;
}

export interface RecordingVolumeDeps {
  clock: Clock;
  log: Logger;
  bus?: Pick<EventBus, 'publish'>;
  /** Default: statVolume (the real statfs). */
  statfs?: StatVolume;
  /** overwrite-oldest-archived deletes from here; null = no archive yet. */
  archive?: RecordingArchive | null;
  /** Default: fs.rm. */
  remove?: (file: string) => Promise<void>;
}

export interface VolumeStatus {
  dir: string;
  level: VolumeLevel;
  freeBytes: number | null;
  totalBytes: number | null;
  freePercent: number | null;
  whenFull: WhenFull;
  /** New recordings refused since start. */
  refused: number;
  /** Archived files deleted since start. */
  pruned: number;
  /** Why the last check failed, when it did. */
  error: string | null;
}

type AlarmSink = Pick<AlarmBoard, 'raise' | 'clear'>;

interface Thresholds {
  warn: number;
  full: number;
  margin: number;
}

/**
 * The level transition table: for each current level, the level a reading of `free` percent
 * leads to. Falling below a threshold enters its level at once; a level is left only at its
 * threshold plus the margin.
 */
const LEVEL_TRANSITIONS: Record<VolumeLevel, (free: number, t: Thresholds) => VolumeLevel> = {
  ok: (free, t) => (free < t.full ? 'full' : free < t.warn ? 'low' : 'ok'),
  low: (free, t) => (free < t.full ? 'full' : free >= t.warn + t.margin ? 'ok' : 'low'),
  full: (free, t) => (free >= t.warn + t.margin ? 'ok' : free >= t.full + t.margin ? 'low' : 'full'),
};

export function nextVolumeLevel(current: VolumeLevel, freePercent: number, t: Thresholds): VolumeLevel {
  return LEVEL_TRANSITIONS[current](freePercent, t);
}

const PRUNE_BATCH = 200;

export class RecordingVolume {
  private level: VolumeLevel = 'ok';
  private stats: VolumeStats | null = null;
  private error: string | null = null;
  private refused = 0;
  private pruned = 0;
  /** Set by overwrite-oldest-archived when it could not make room; shown in the alarm. */
  private pruneNote: string | null = null;
  private checking: Promise<VolumeStatus> | null = null;
  private alarms: AlarmSink | null = null;
  private readonly t: Thresholds;
  private readonly statfs: StatVolume;
  private readonly remove: (file: string) => Promise<void>;
  private refusedCounter: Counter | null = null;

  constructor(
    private readonly deps: RecordingVolumeDeps,
    private readonly o: RecordingVolumeOptions,
  ) {
    this.t = { warn: o.warnFreePercent, full: o.fullFreePercent, margin: o.clearMarginPercent ?? 2 };
    this.statfs = deps.statfs ?? statVolume;
    this.remove = deps.remove ?? ((file) => rm(file));
  }

  /** CallRecordings `gate`: null = record, else why the new recording is refused. */
  readonly gate = (): string | null => {
    if (this.level !== 'full' || this.o.whenFull !== 'stop-new') return null;
    this.refused++;
    this.refusedCounter?.inc();
    const reason = `recording volume full (${this.percentText()} free, below ${this.t.full}%): new recordings are refused (whenFull: stop-new)`;
    this.deps.log.warn({ dir: this.o.dir, refused: this.refused, freeBytes: this.stats?.freeBytes ?? null }, 'new recording refused: volume full');
    this.deps.bus?.publish('recording.start.refused', { dir: this.o.dir, reason, refused: this.refused });
    this.raiseOrClear();
    return reason;
  };

  /** Check now and every `checkIntervalMs`, keeping the alarm on `alarms`; returns the stop function. */
  start(alarms: AlarmSink): () => void {
    this.alarms = alarms;
    const timer: TimerHandle = this.deps.clock.setInterval(() => void this.check(), this.o.checkIntervalMs);
    void this.check();
    return () => {
      timer.cancel();
      this.alarms = null;
    };
  }

  /** One check (a check already running is joined, not doubled). */
  check(): Promise<VolumeStatus> {
    this.checking ??= this.runCheck().finally(() => (this.checking = null));
    return this.checking;
  }

  status(): VolumeStatus {
    const s = this.stats;
    return {
      dir: this.o.dir,
      level: this.level,
      freeBytes: s?.freeBytes ?? null,
      totalBytes: s?.totalBytes ?? null,
      freePercent: s ? percentOf(s) : null,
      whenFull: this.o.whenFull,
      refused: this.refused,
      pruned: this.pruned,
      error: this.error,
    };
  }

  /** `recording_volume_free_bytes`, `recording_volume_total_bytes`, `recording_refused_total` on `/metrics`. */
  registerMetrics(registry: Registry): void {
    const stats = (): VolumeStats | null => this.stats;
    new Gauge({
      name: 'recording_volume_free_bytes',
      help: 'Free bytes on the recordings volume at the last check',
      registers: [registry],
      collect() {
        const s = stats();
        if (s) this.set(s.freeBytes);
      },
    });
    new Gauge({
      name: 'recording_volume_total_bytes',
      help: 'Size of the recordings volume in bytes at the last check',
      registers: [registry],
      collect() {
        const s = stats();
        if (s) this.set(s.totalBytes);
      },
    });
    this.refusedCounter = new Counter({ name: 'recording_refused_total', help: 'New recordings refused because the recordings volume was full', registers: [registry] });
    this.refusedCounter.inc(this.refused);
  }

  private async runCheck(): Promise<VolumeStatus> {
    let stats: VolumeStats;
    try {
      stats = await this.statfs(this.o.dir);
    } catch (err) {
      this.error = toAppError(err).message;
      this.deps.log.error({ dir: this.o.dir, err: this.error }, 'recording volume check failed');
      this.alarms?.raise(VOLUME_ALARM_ID, this.level === 'full' ? 'critical' : 'major', `cannot read the free space of ${this.o.dir}: ${this.error}`);
      return this.status();
    }
    this.error = null;
    this.apply(stats);
    if (this.level === 'full' && this.o.whenFull === 'overwrite-oldest-archived') {
      const after = await this.prune(stats);
      if (after) this.apply(after);
    } else {
      this.pruneNote = null;
    }
    this.raiseOrClear();
    return this.status();
  }

  private apply(stats: VolumeStats): void {
    this.stats = stats;
    const next = nextVolumeLevel(this.level, percentOf(stats), this.t);
    if (next === this.level) return;
    const from = this.level;
    this.level = next;
    const fields = { dir: this.o.dir, from, level: next, freeBytes: stats.freeBytes, totalBytes: stats.totalBytes, freePercent: round1(percentOf(stats)) };
    if (next === 'ok') this.deps.log.info(fields, 'recording volume has room again');
    else this.deps.log.warn(fields, next === 'full' ? 'recording volume full' : 'recording volume nearly full');
    this.deps.bus?.publish('recording.volume.changed', {
      dir: this.o.dir,
      level: next,
      freePercent: round1(percentOf(stats)),
      freeBytes: stats.freeBytes,
      totalBytes: stats.totalBytes,
      whenFull: this.o.whenFull,
    });
  }

  /** Delete archived recordings, oldest first, until free space is above full + margin; returns the new reading. */
  private async prune(stats: VolumeStats): Promise<VolumeStats | null> {
    const archive = this.deps.archive;
    if (!archive) {
      this.pruneNote = 'no recording archive exists yet, so nothing was deleted';
      return null;
    }
    const wantFree = ((this.t.full + this.t.margin) / 100) * stats.totalBytes;
    let need = wantFree - stats.freeBytes;
    let deleted = 0;
    for (const r of archive.oldestArchived(PRUNE_BATCH)) {
      if (need <= 0) break;
      try {
        await this.remove(r.path);
      } catch (err) {
        this.deps.log.error({ recordingId: r.id, path: r.path, err: toAppError(err).message }, 'archived recording not deleted');
        continue;
      }
      archive.pruned(r.id, this.deps.clock.now());
      this.deps.bus?.publish('recording.file.pruned', { recordingId: r.id, path: r.path, size: r.size });
      this.deps.log.info({ recordingId: r.id, path: r.path, size: r.size }, 'archived recording deleted to make room');
      need -= r.size;
      deleted++;
      this.pruned++;
    }
    this.pruneNote = deleted === 0 ? 'no archived recording left to delete' : need > 0 ? `deleted ${deleted} archived recordings, still short of room` : null;
    if (deleted === 0) return null;
    try {
      return await this.statfs(this.o.dir);
    } catch {
      return null;
    }
  }

  private raiseOrClear(): void {
    const alarms = this.alarms;
    if (!alarms) return;
    if (this.level === 'ok') {
      alarms.clear(VOLUME_ALARM_ID);
      return;
    }
    const where = `recording volume ${this.o.dir}: ${this.percentText()} free (${formatBytes(this.stats?.freeBytes ?? 0)})`;
    if (this.level === 'low') {
      alarms.raise(VOLUME_ALARM_ID, 'major', `${where}; nearly full below ${this.t.warn}% (clears at ${this.t.warn + this.t.margin}%)`);
      return;
    }
    const effect =
      this.o.whenFull === 'stop-new'
        ? `new recordings are refused (${this.refused} so far)`
        : `overwriting the oldest archived recordings${this.pruneNote ? `: ${this.pruneNote}` : ` (${this.pruned} deleted so far)`}`;
    alarms.raise(VOLUME_ALARM_ID, 'critical', `${where}; full below ${this.t.full}% (until ${this.t.full + this.t.margin}%): ${effect}`);
  }

  private percentText(): string {
    return this.stats ? `${round1(percentOf(this.stats))}%` : 'unknown';
  }
}

function percentOf(s: VolumeStats): number {
  return s.totalBytes > 0 ? (s.freeBytes / s.totalBytes) * 100 : 0;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${round1(n / 1024 ** 3)} GiB`;
  if (n >= 1024 ** 2) return `${round1(n / 1024 ** 2)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}
