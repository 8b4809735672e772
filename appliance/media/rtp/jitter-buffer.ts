/**
 * Adaptive playout (jitter) buffer for 8 kHz G.711 RTP.
 *
 * Push packets as they arrive; pop one 20 ms frame per playout tick (the worker's clock drives
 * the ticks, so this module has no timers). Playout is by RTP timestamp, so it handles any
 * packetization (10/20/30 ms) and reorder/duplicates without looking at sequence numbers.
 *
 *  - reorder: packets are stored by (extended) timestamp and played in timestamp order;
 *  - duplicate drop: a timestamp already queued is refused;
 *  - late drop: a packet whose samples are all before the playout point is refused;
 *  - loss: a gap with later audio queued is concealed (plc.ts) and skipped;
 *  - underrun (nothing queued): the playout point is held, so the delay grows by one frame;
 *  - adaptive delay: the target is one frame plus 3 × the RFC 3550 A.8 jitter estimate,
 *    clamped to [minDelayMs, maxDelayMs]; while the queue stays more than two frames above the
 *    target for a second, one frame is dropped (the quietest moment available);
 *  - resync: a timestamp jump beyond `resyncMs` (new talk spurt after a long gap, SSRC change
 *    without signalling, a restarted sender) flushes and re-primes.
 */
import { ALAW_TO_LINEAR, FRAME_SAMPLES, SILENCE_CODE, ULAW_TO_LINEAR, decode, encode, type G711Law } from '../codec/g711.js';
import { G711Concealer } from './plc.js';

export interface JitterBufferOptions {
  law: G711Law;
  /** Lowest target playout delay (default 40 ms). */
  minDelayMs?: number;
  /** Highest target playout delay (default 300 ms). */
  maxDelayMs?: number;
  /** Delay before the first frame plays (default 60 ms). */
  initialDelayMs?: number;
  /** Timestamp jump, ahead of or behind the playout point, that triggers a resync (default 1000 ms). */
  resyncMs?: number;
  /** Consecutive underrun time after which the buffer re-primes (default 400 ms). */
  rebufferMs?: number;
}

/** 'empty': a packet with no audio (e.g. all padding), ignored. */
export type PushResult = 'queued' | 'duplicate' | 'late' | 'resync' | 'empty';

export interface PlayoutFrame {
  /** audio: all samples received; concealed: some or all synthesized; silence: nothing to play. */
  kind: 'audio' | 'concealed' | 'silence';
  payload: Uint8Array;
  /** RTP timestamp of the first sample, or null while buffering. */
  timestamp: number | null;
}

export interface JitterBufferStats {
  received: number;
  played: number;
  concealed: number;
  silence: number;
  late: number;
  duplicates: number;
  underruns: number;
  shrinks: number;
  resyncs: number;
  /** Current target delay. */
  targetDelayMs: number;
  /** Audio currently queued ahead of the playout point. */
  bufferedMs: number;
  jitterMs: number;
}

const SAMPLES_PER_MS = 8;
const FRAME_MS = FRAME_SAMPLES / SAMPLES_PER_MS;
const SHRINK_AFTER_FRAMES = 50; // one second above target
const DECODE_TABLE: Readonly<Record<G711Law, Readonly<Int16Array>>> = { PCMA: ALAW_TO_LINEAR, PCMU: ULAW_TO_LINEAR };

type State = 'buffering' | 'playing';

export class JitterBuffer {
  private readonly law: G711Law;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly initialDelayMs: number;
  private readonly resyncUnits: number;
  private readonly rebufferFrames: number;

  private state: State = 'buffering';
  /** Queued audio keyed by extended timestamp. */
  private readonly chunks = new Map<number, Uint8Array>();
  private lastExt: number | null = null;
  private playTs = 0;
  private primeFrames = 0;
  private underrunRun = 0;
  private aboveTargetRun = 0;
  private transitMs: number | null = null;
  private jitter = 0;
  private jitterSamples = 0;

  private readonly plc: G711Concealer;
  private readonly mask = new Uint8Array(FRAME_SAMPLES);
  private readonly rawFrame = new Uint8Array(FRAME_SAMPLES);
  private skipAt: number | null = null;
  private heldFrames = 0;

  readonly stats: Omit<JitterBufferStats, 'targetDelayMs' | 'bufferedMs' | 'jitterMs'> = {
    received: 0,
    played: 0,
    concealed: 0,
    silence: 0,
    late: 0,
    duplicates: 0,
    underruns: 0,
    shrinks: 0,
    resyncs: 0,
  };

  constructor(opts: JitterBufferOptions) {
    this.law = opts.law;
    this.plc = new G711Concealer(opts.law);
    this.minDelayMs = opts.minDelayMs ?? 40;
    this.maxDelayMs = opts.maxDelayMs ?? 300;
    this.initialDelayMs = opts.initialDelayMs ?? 60;
    this.resyncUnits = (opts.resyncMs ?? 1000) * SAMPLES_PER_MS;
    this.rebufferFrames = Math.ceil((opts.rebufferMs ?? 400) / FRAME_MS);
  }

  /** RTP timestamp → extended (unwrapped) timestamp, relative to the previous packet. */
  private unwrap(ts: number): number {
    if (this.lastExt === null) return ts >>> 0;
    const diff = (ts - this.lastExt) | 0; // signed 32-bit distance
    return this.lastExt + diff;
  }

  /** Target playout delay from the jitter estimate. */
  get targetDelayMs(): number {
    const fromJitter = Math.ceil((FRAME_MS + 3 * this.jitter) / FRAME_MS) * FRAME_MS;
    const floor = this.jitterSamples < 16 ? Math.max(this.minDelayMs, this.initialDelayMs) : this.minDelayMs;
    return Math.min(this.maxDelayMs, Math.max(floor, fromJitter));
  }

  get bufferedMs(): number {
    let end = -Infinity;
    let start = Infinity;
    for (const [k, v] of this.chunks) {
      end = Math.max(end, k + v.length);
      start = Math.min(start, k);
    }
    if (end === -Infinity) return 0;
    const from = this.state === 'playing' ? this.playTs : start;
    return Math.max(0, end - from) / SAMPLES_PER_MS;
  }

  snapshot(): JitterBufferStats {
    return { ...this.stats, targetDelayMs: this.targetDelayMs, bufferedMs: this.bufferedMs, jitterMs: this.jitter };
  }

  /** Queue one RTP payload (G.711 bytes, one byte per sample). */
  push(timestamp: number, payload: Uint8Array, arrivalMs: number): PushResult {
    if (payload.length === 0) return 'empty';
    let ext = this.unwrap(timestamp);
    let result: PushResult = 'queued';
    const ref = this.state === 'playing' ? this.playTs : this.lastExt;
    if (ref !== null && Math.abs(ext - ref) > this.resyncUnits) {
      this.resync();
      ext = timestamp >>> 0;
      result = 'resync';
    }
    this.updateJitter(ext, arrivalMs);
    if (this.lastExt === null || ext > this.lastExt) this.lastExt = ext;

    if (this.state === 'playing' && ext + payload.length <= this.playTs) {
      this.stats.late++;
      return 'late';
    }
    if (this.chunks.has(ext)) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    if (this.state === 'playing' && ext < this.playTs) {
      // Partly late: keep the part that can still play.
      const skip = this.playTs - ext;
      this.chunks.set(this.playTs, payload.slice(skip));
    } else {
      this.chunks.set(ext, payload.slice());
    }
    this.stats.received++;
    return result;
  }

  /** RFC 3550 A.8 on milliseconds: the jitter the target delay follows. */
  private updateJitter(ext: number, arrivalMs: number): void {
    const transit = arrivalMs - ext / SAMPLES_PER_MS;
    if (this.transitMs !== null) {
      const d = Math.abs(transit - this.transitMs);
      this.jitter += (d - this.jitter) / 16;
      this.jitterSamples++;
    }
    this.transitMs = transit;
  }

  private resync(): void {
    this.chunks.clear();
    this.state = 'buffering';
    this.primeFrames = 0;
    this.underrunRun = 0;
    this.aboveTargetRun = 0;
    this.lastExt = null;
    this.transitMs = null;
    this.skipAt = null;
    this.heldFrames = 0;
    this.stats.resyncs++;
  }

  private oldestKey(): number | null {
    let min: number | null = null;
    for (const k of this.chunks.keys()) if (min === null || k < min) min = k;
    return min;
  }

  private silence(timestamp: number | null): PlayoutFrame {
    this.stats.silence++;
    return { kind: 'silence', payload: new Uint8Array(FRAME_SAMPLES).fill(SILENCE_CODE[this.law]), timestamp };
  }

  /** Take the next 20 ms frame. Call exactly once per 20 ms of playout. */
  pop(): PlayoutFrame {
    if (this.state === 'buffering') {
      if (this.chunks.size === 0) return this.silence(null);
      this.primeFrames++;
      if (this.primeFrames * FRAME_MS < this.targetDelayMs && this.bufferedMs < this.targetDelayMs + FRAME_MS) {
        return this.silence(null);
      }
      this.state = 'playing';
      this.playTs = this.oldestKey() as number;
      this.underrunRun = 0;
    }

    if (this.chunks.size === 0) {
      // Underrun: hold the playout point, the delay grows by a frame (a late packet can
      // still play). If the packets turn out to be lost, the held frames are reconciled below.
      this.stats.underruns++;
      this.underrunRun++;
      this.heldFrames++;
      if (this.underrunRun >= this.rebufferFrames) {
        this.state = 'buffering';
        this.primeFrames = 0;
        return this.silence(null);
      }
      return this.concealFrame(this.playTs, false);
    }
    this.underrunRun = 0;

    this.maybeShrink();
    this.applySkip();
    this.reconcileHeld();
    const ts = this.playTs;
    const got = this.assemble(ts);
    this.playTs += FRAME_SAMPLES;
    if (got === FRAME_SAMPLES) {
      const payload = this.rawFrame.slice();
      // After an erasure plc.good() blends the frame start with the concealment, in place.
      this.plc.good(payload);
      this.heldFrames = 0;
      this.stats.played++;
      return { kind: 'audio', payload, timestamp: ts >>> 0 };
    }
    return this.concealFrame(ts, got > 0);
  }

  /** Gather the samples for [ts, ts + 160) into this.pcm; returns how many were present. */
  private assemble(ts: number): number {
    this.mask.fill(0);
    const raw = this.rawFrame;
    let got = 0;
    // Deleting and re-adding while iterating a Map is well defined; a re-added remainder is
    // keyed at ts + 160 and skipped.
    for (const [k, v] of this.chunks) {
      const end = k + v.length;
      if (end <= ts) {
        this.chunks.delete(k);
        continue;
      }
      if (k >= ts + FRAME_SAMPLES) continue;
      const from = Math.max(k, ts);
      const to = Math.min(end, ts + FRAME_SAMPLES);
      for (let s = from; s < to; s++) {
        const i = s - ts;
        if (!this.mask[i]) got++;
        this.mask[i] = 1;
        raw[i] = v[s - k] as number;
      }
      this.chunks.delete(k);
      if (end > ts + FRAME_SAMPLES) this.chunks.set(ts + FRAME_SAMPLES, v.subarray(ts + FRAME_SAMPLES - k));
    }
    return got;
  }


  /** Conceal a whole frame, or the missing samples of a partial one. */
  private concealFrame(ts: number, partial: boolean): PlayoutFrame {
    const synth = new Int16Array(FRAME_SAMPLES);
    const exhausted = this.plc.exhausted;
    this.plc.conceal(synth);
    if (partial) {
      const real = decode(this.law, this.rawFrame);
      for (let i = 0; i < FRAME_SAMPLES; i++) if (this.mask[i]) synth[i] = real[i] as number;
    } else if (exhausted) {
      return this.silence(ts >>> 0);
    }
    this.stats.concealed++;
    return { kind: 'concealed', payload: encode(this.law, synth), timestamp: ts >>> 0 };
  }

  /**
   * Frames concealed while holding during an underrun stood in for audio that, if it now shows
   * up as a gap before the oldest queued packet, was lost: skip that many frames of the gap so
   * a burst loss costs exactly its own length and the delay does not grow.
   */
  private reconcileHeld(): void {
    if (this.heldFrames === 0) return;
    const oldest = this.oldestKey();
    if (oldest === null) return;
    const gapFrames = Math.max(0, Math.floor((oldest - this.playTs) / FRAME_SAMPLES));
    const skip = Math.min(this.heldFrames, gapFrames);
    this.playTs += skip * FRAME_SAMPLES;
    this.heldFrames = gapFrames > skip ? this.heldFrames - skip : 0;
  }

  /**
   * Drop one frame when the queue has stayed two frames above target for a second. The frame
   * dropped is the quieter of the next two, so speech is rarely cut; timestamps are not
   * renumbered, the playout point just skips the frame.
   */
  private maybeShrink(): void {
    const excess = this.bufferedMs - this.targetDelayMs;
    if (excess < 2 * FRAME_MS) {
      this.aboveTargetRun = 0;
      return;
    }
    this.aboveTargetRun++;
    if (this.aboveTargetRun < SHRINK_AFTER_FRAMES || this.skipAt !== null) return;
    this.aboveTargetRun = 0;
    const next = this.playTs + FRAME_SAMPLES;
    this.skipAt = this.energyAt(next) < this.energyAt(this.playTs) ? next : this.playTs;
  }

  /** Discard the frame at the playout point if it was chosen for a shrink. */
  private applySkip(): void {
    if (this.skipAt !== this.playTs) return;
    this.skipAt = null;
    this.assemble(this.playTs);
    this.playTs += FRAME_SAMPLES;
    this.stats.shrinks++;
  }

  /** Sum of squares of the queued samples in [ts, ts + 160). */
  private energyAt(ts: number): number {
    const table = DECODE_TABLE[this.law];
    let e = 0;
    for (const [k, v] of this.chunks) {
      const from = Math.max(k, ts);
      const to = Math.min(k + v.length, ts + FRAME_SAMPLES);
      for (let s = from; s < to; s++) {
        const x = table[v[s - k] as number] as number;
        e += x * x;
      }
    }
    return e;
  }
}
