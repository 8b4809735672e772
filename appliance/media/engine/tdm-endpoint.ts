/**
 * The main thread's end of a TDM leg in the media engine (issue 4: "each worker owns its RTP
 * sockets and TDM channel streams"). A card's B channel (drivers/types.ts TdmChannel; any
 * object with the same `frame` event and `write`) delivers one 160-byte A-law frame every
 * 20 ms on the main thread. For each one this end
 *
 *   1. copies it into the `rx` ring for the worker (tdm-ring.ts, a SharedArrayBuffer: no
 *      message per frame), and
 *   2. writes the worker's next mixed frame from the `tx` ring back to the line (idle A-law
 *      when the worker has none yet: counted as a line underrun),
 *
 * so the line's clock paces what goes out, and the worker's tick paces what it mixes. Both
 * readers bound the backlog (`maxFill`) by skipping the oldest frames (slips), which keeps the
 * added latency under 2 × maxFill × 20 ms whatever the two clocks do.
 */
import { EventEmitter } from 'node:events';
import { ConflictError } from '../../core/errors.js';
import { SILENCE_CODE } from '../codec/g711.js';
import type { BridgeHandle, EndpointFailure, MediaEngine, WorkerLink } from './media-engine.js';
import { lostLegStats, type LegStats } from './protocol.js';
import { FrameRing, TDM_FRAME_BYTES, type FrameRingStats } from './tdm-ring.js';

/** What the engine needs of a B channel (drivers/types.ts TdmChannel fits). */
export interface TdmLine {
  on(event: 'frame', fn: (frame: Uint8Array) => void): unknown;
  off(event: 'frame', fn: (frame: Uint8Array) => void): unknown;
  write(frame: Uint8Array): void;
}

export interface TdmEndpointOptions {
  line: TdmLine;
  /** Ring capacity in frames, a power of two (default 8 = 160 ms). */
  slots?: number;
  /** Backlog the worker lets stand before slipping (default 3 frames = 60 ms). */
  maxFill?: number;
  affinity?: string;
}

export interface TdmLineStats {
  /** Frames the line delivered. */
  framesFromLine: number;
  /** Frames written to the line. */
  framesToLine: number;
  /** Line writes that found no mixed frame ready (idle sent instead). */
  lineUnderruns: number;
  rx: FrameRingStats;
  tx: FrameRingStats;
}

export class TdmEndpoint {
  /** @internal */
  readonly emitter = new EventEmitter();
  /** The bridge the leg is in. */
  bridge: BridgeHandle | null = null;
  readonly codec = 'PCMA' as const;
  private closed = false;
  private readonly out = new Uint8Array(TDM_FRAME_BYTES);
  private framesFromLine = 0;
  private framesToLine = 0;
  private lineUnderruns = 0;
  private readonly txState = { refilling: true };
  private readonly onFrame = (frame: Uint8Array): void => {
    this.framesFromLine++;
    this.rx.write(frame);
    if (!this.tx.readCushioned(this.out, this.maxFill, this.txState)) {
      this.lineUnderruns++;
      this.out.fill(SILENCE_CODE.PCMA);
    } else this.framesToLine++;
    this.line.write(this.out);
  };

  constructor(
    readonly id: string,
    private readonly line: TdmLine,
    /** @internal */ readonly rx: FrameRing,
    /** @internal */ readonly tx: FrameRing,
    /** @internal */ readonly link: WorkerLink,
    private readonly engine: MediaEngine,
    /** Backlog either ring may hold before the oldest frames are slipped. */
    private readonly maxFill: number,
  ) {}

  /** `failed`: the worker holding the leg died (media-engine.ts onWorkerCrash); the leg is gone. */
  on(event: 'failed', fn: (e: EndpointFailure) => void): this {
    this.emitter.on(event, fn);
    return this;
  }

  /** @internal Start pumping frames (after the worker has the rings). */
  attach(): void {
    this.line.on('frame', this.onFrame);
  }

  /** Send DTMF in-band (Q.23 tone pairs) towards the line. */
  async sendDtmf(digits: string, durationMs = 100): Promise<void> {
    await this.link.request({ cmd: 'endpoint.dtmf', endpointId: this.id, digits: [...digits.toUpperCase()], durationMs });
  }

  lineStats(): TdmLineStats {
    return {
      framesFromLine: this.framesFromLine,
      framesToLine: this.framesToLine,
      lineUnderruns: this.lineUnderruns,
      rx: this.rx.stats(),
      tx: this.tx.stats(),
    };
  }

  /** Stop pumping and drop the worker's leg; resolves to its statistics (for the CDR). */
  async close(): Promise<LegStats> {
    if (this.closed) throw new ConflictError(`endpoint ${this.id} already closed`);
    this.closed = true;
    this.line.off('frame', this.onFrame);
    if (this.bridge) this.bridge.forget(this);
    const stats = this.link.alive ? await this.link.request({ cmd: 'endpoint.close', endpointId: this.id }) : lostLegStats();
    this.engine.forgetEndpoint(this.id, this.link);
    this.emitter.removeAllListeners();
    return stats;
  }
}

export { FrameRing };
