/**
 * One call recording: a stereo WAV (caller left, agent right; A-law or 16-bit PCM), written
 * per DESIGN.md "Data":
 *
 *   <dir>/<YYYY>/<MM>/<DD>/<callId>.wav.part   while recording (header sizes 0)
 *   on stop: finalize header → fsync → rename to <callId>.wav → fsync the folder → hash →
 *   only then `onClosed` (the caller commits the `recordings` row)
 *
 * "A recording without fsync came back as 0 bytes after a simulated power cut" — hence the
 * order. A crash leaves the `.part`; recovery.ts repairs it at the next start.
 *
 * Frames arrive every 20 ms from the media tick (synchronous, cheap: a copy into a buffer);
 * the buffer is written every `flushFrames` frames by one chained async write, so a slow disk
 * never blocks the tick. While paused (sensitive data such as ID numbers) silence is written in
 * place of the audio and the span is kept in `marks`. ENOSPC (or any write error) stops this
 * recording cleanly: what reached the disk is finalized and kept, the outcome is `failed` with
 * the reason, and `onAlarm` fires; the call itself is not affected.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { FRAME_SAMPLES, SAMPLE_RATE, SILENCE_CODE } from '../codec/g711.js';
import { encodeHeader, finalizeHeader, type WavFormat } from '../codec/wav.js';
import { errnoCode, type RecorderFile, type RecorderFs } from './recorder-fs.js';

export const RecordingEncodings = ['alaw', 'pcm16'] as const;
export type RecordingEncoding = (typeof RecordingEncodings)[number];

export interface PauseMark {
  /** Offsets into the recording, ms. */
  fromMs: number;
  toMs: number;
}

export const RecordingOutcomes = ['complete', 'failed', 'interrupted'] as const;
export type RecordingOutcome = (typeof RecordingOutcomes)[number];

export interface RecordingClosed {
  callId: string;
  path: string;
  outcome: RecordingOutcome;
  /** Why a recording is not complete: an errno code ('ENOSPC'), 'crash', … */
  reason: string | null;
  sha256: string;
  durationMs: number;
  size: number;
  encoding: RecordingEncoding;
  marks: PauseMark[];
}

export interface RecordingOptions {
  dir: string;
  callId: string;
  encoding: RecordingEncoding;
  /** Wall-clock ms at start: picks the date folder. */
  startedAt: number;
  fs: RecorderFs;
  /** Frames buffered per write (default 50 = 1 s). */
  flushFrames?: number;
}

type State = 'idle' | 'recording' | 'stopping' | 'closed' | 'failed';

const CALL_ID_SAFE = /^[A-Za-z0-9._-]{1,128}$/;

/** `<dir>/<YYYY>/<MM>/<DD>` for a wall-clock time (local date of the appliance). */
export function dateFolder(dir: string, wallMs: number): string {
  const d = new Date(wallMs);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return path.join(dir, String(d.getFullYear()), p2(d.getMonth() + 1), p2(d.getDate()));
}

export class CallRecording {
  readonly callId: string;
  readonly encoding: RecordingEncoding;
  readonly finalPath: string;
  readonly partPath: string;
  private readonly fs: RecorderFs;
  private readonly format: WavFormat;
  private readonly header: Uint8Array;
  private readonly frameBytes: number;
  private readonly flushBytes: number;
  private state: State = 'idle';
  private file: RecorderFile | null = null;
  private buf: Uint8Array;
  private fill = 0;
  /** Bytes of audio handed to write (position of the next write, after the header). */
  private queued = 0;
  /** Bytes of audio the disk accepted. */
  private written = 0;
  private frames = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: string | null = null;
  private pausedAtFrame: number | null = null;
  readonly marks: PauseMark[] = [];

  constructor(opts: RecordingOptions) {
    if (!CALL_ID_SAFE.test(opts.callId)) throw new RangeError(`recording: unsafe call id ${JSON.stringify(opts.callId)}`);
    this.callId = opts.callId;
    this.encoding = opts.encoding;
    this.fs = opts.fs;
    const folder = dateFolder(opts.dir, opts.startedAt);
    this.finalPath = path.join(folder, `${opts.callId}.wav`);
    this.partPath = `${this.finalPath}.part`;
    this.format = { encoding: opts.encoding, channels: 2, sampleRate: SAMPLE_RATE };
    this.header = encodeHeader(this.format);
    this.frameBytes = FRAME_SAMPLES * 2 * (opts.encoding === 'pcm16' ? 2 : 1);
    this.flushBytes = this.frameBytes * (opts.flushFrames ?? 50);
    this.buf = new Uint8Array(this.flushBytes);
  }

  get isRecording(): boolean {
    return this.state === 'recording';
  }

  get paused(): boolean {
    return this.pausedAtFrame !== null;
  }

  get durationMs(): number {
    return (this.frames * FRAME_SAMPLES * 1000) / SAMPLE_RATE;
  }

  /** Create the folder and the `.part` file with a provisional header. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new RangeError(`recording ${this.callId}: start in state ${this.state}`);
    await this.fs.mkdirp(path.dirname(this.partPath));
    this.file = await this.fs.create(this.partPath);
    await this.file.write(this.header, 0);
    this.state = 'recording';
  }

  /** Start (or end) the paused span; returns false when nothing changed. */
  pause(): boolean {
    if (this.state !== 'recording' || this.pausedAtFrame !== null) return false;
    this.pausedAtFrame = this.frames;
    return true;
  }

  resume(): boolean {
    if (this.pausedAtFrame === null) return false;
    this.marks.push({ fromMs: this.frameMs(this.pausedAtFrame), toMs: this.frameMs(this.frames) });
    this.pausedAtFrame = null;
    return true;
  }

  private frameMs(frame: number): number {
    return (frame * FRAME_SAMPLES * 1000) / SAMPLE_RATE;
  }

  /** One 20 ms stereo frame as A-law codes (encoding 'alaw'). */
  pushAlaw(left: Uint8Array, right: Uint8Array): void {
    if (this.state !== 'recording') return;
    const b = this.buf;
    if (this.pausedAtFrame !== null) {
      b.fill(SILENCE_CODE.PCMA, this.fill, this.fill + this.frameBytes);
    } else {
      for (let i = 0; i < FRAME_SAMPLES; i++) {
        b[this.fill + 2 * i] = left[i] as number;
        b[this.fill + 2 * i + 1] = right[i] as number;
      }
    }
    this.commitFrame();
  }

  /** One 20 ms stereo frame as linear samples (encoding 'pcm16'). */
  pushLinear(left: Int16Array, right: Int16Array): void {
    if (this.state !== 'recording') return;
    const b = this.buf;
    if (this.pausedAtFrame !== null) {
      b.fill(0, this.fill, this.fill + this.frameBytes);
    } else {
      let o = this.fill;
      for (let i = 0; i < FRAME_SAMPLES; i++) {
        const l = left[i] as number;
        const r = right[i] as number;
        b[o] = l & 0xff;
        b[o + 1] = (l >> 8) & 0xff;
        b[o + 2] = r & 0xff;
        b[o + 3] = (r >> 8) & 0xff;
        o += 4;
      }
    }
    this.commitFrame();
  }

  private commitFrame(): void {
    this.fill += this.frameBytes;
    this.frames++;
    if (this.fill >= this.flushBytes) this.flush();
  }

  /** Hand the buffered audio to the write chain. */
  private flush(): void {
    if (this.fill === 0 || !this.file) return;
    const chunk = this.buf.subarray(0, this.fill);
    this.buf = new Uint8Array(this.flushBytes);
    this.fill = 0;
    const position = this.header.length + this.queued;
    this.queued += chunk.length;
    const file = this.file;
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        let off = 0;
        while (off < chunk.length) {
          const n = await file.write(chunk.subarray(off), position + off);
          if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
          off += n;
          this.written += n;
        }
      } catch (err) {
        this.failure = errnoCode(err) ?? 'EIO';
        this.state = 'failed';
      }
    });
  }

  /** Set when a write failed (the recording stopped taking frames). */
  get failed(): string | null {
    return this.failure;
  }

  /** Wait for the writes handed over so far (tests and shutdown). */
  async drain(): Promise<void> {
    await this.chain;
  }

  /**
   * Finish the file: flush, finalize the header for the audio the disk accepted, fsync, rename
   * to `.wav`, fsync the folder, hash. Resolves with what the caller should commit.
   */
  async stop(): Promise<RecordingClosed> {
    if (this.state === 'closed' || this.state === 'stopping' || this.state === 'idle') {
      throw new RangeError(`recording ${this.callId}: stop in state ${this.state}`);
    }
    if (this.pausedAtFrame !== null) this.resume();
    if (this.state === 'recording') this.flush();
    this.state = 'stopping';
    await this.chain;
    const file = this.file as RecorderFile;
    const blockAlign = this.frameBytes / FRAME_SAMPLES;
    const dataLength = this.written - (this.written % blockAlign);
    const header = this.header.slice();
    finalizeHeader(header, dataLength);
    await file.write(header, 0);
    await file.sync();
    await file.close();
    await this.fs.rename(this.partPath, this.finalPath);
    await this.fs.syncDir(path.dirname(this.finalPath));
    const { sha256, size } = await hashFile(this.fs, this.finalPath);
    this.state = 'closed';
    return {
      callId: this.callId,
      path: this.finalPath,
      outcome: this.failure ? 'failed' : 'complete',
      reason: this.failure,
      sha256,
      durationMs: (dataLength / blockAlign / SAMPLE_RATE) * 1000,
      size,
      encoding: this.encoding,
      marks: this.marks.slice(),
    };
  }
}

/** sha256 and size of a file, read back through the injected fs. */
export async function hashFile(fs: RecorderFs, file: string): Promise<{ sha256: string; size: number }> {
  const f = await fs.openRead(file);
  const h = createHash('sha256');
  const chunk = new Uint8Array(64 * 1024);
  let pos = 0;
  try {
    for (;;) {
      const n = await f.read(chunk, pos);
      if (n <= 0) break;
      h.update(chunk.subarray(0, n));
      pos += n;
    }
  } finally {
    await f.close();
  }
  return { sha256: h.digest('hex'), size: pos };
}
