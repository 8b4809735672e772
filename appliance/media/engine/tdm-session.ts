/**
 * One TDM leg inside a media worker: an E1 B channel (drivers/types.ts TdmChannel, G.711
 * A-law, 160-byte frames every 20 ms) whose frames live on the main thread and cross to this
 * worker through two shared frame rings (tdm-ring.ts). Each tick it reads the line's frame
 * into `input` (idle A-law when the line delivered nothing: an underrun, counted) and writes
 * the mixed frame to the line's ring.
 *
 * DTMF towards the line is in-band (Q.23 tone pairs replacing the leg's audio while they
 * play), because a B channel has no RFC 4733: an RFC 4733 digit relayed from a bridged SIP leg
 * arrives here through `sendDtmf` and is heard on the line as tones. DTMF from the line is
 * detected on the main thread (appliance/channel), where the card's frames already are.
 *
 * It offers the same surface worker-core.ts uses for an RTP session, so bridges, players and
 * recordings treat both alike.
 */
import { FRAME_SAMPLES, SILENCE_CODE, type G711Law } from '../codec/g711.js';
import { estimateQuality } from '../rtp/mos.js';
import { dtmfToneSpec } from '../tones/dtmf-tones.js';
import { ToneGenerator } from '../tones/generator.js';
import type { LegStats } from './protocol.js';
import { FrameRing } from './tdm-ring.js';

export interface TdmSessionOptions {
  id: string;
  rx: SharedArrayBuffer;
  tx: SharedArrayBuffer;
  /** Backlog (frames) above which the oldest line frames are skipped (latency bound). */
  maxFill: number;
}

export class TdmSession {
  readonly id: string;
  readonly law: G711Law = 'PCMA';
  readonly input = new Uint8Array(FRAME_SAMPLES);
  private readonly rx: FrameRing;
  private readonly tx: FrameRing;
  private readonly maxFill: number;
  private readonly dtmfQueue: Array<{ digits: readonly string[]; durationMs: number }> = [];
  private dtmf: ToneGenerator | null = null;
  private readonly dtmfFrame = new Uint8Array(FRAME_SAMPLES);
  private framesIn = 0;
  private readonly rxState = { refilling: true };
  private framesOut = 0;

  constructor(opts: TdmSessionOptions) {
    this.id = opts.id;
    this.rx = new FrameRing(opts.rx);
    this.tx = new FrameRing(opts.tx);
    this.maxFill = opts.maxFill;
  }

  /** Take this tick's line frame into `input`. */
  pull(): Uint8Array {
    if (this.rx.readCushioned(this.input, this.maxFill, this.rxState)) this.framesIn++;
    else this.input.fill(SILENCE_CODE.PCMA);
    return this.input;
  }

  housekeeping(_nowMs: number): void {}

  sendDtmf(digits: readonly string[], durationMs: number): void {
    this.dtmfQueue.push({ digits, durationMs });
  }

  /** This tick's frame towards the line (DTMF tones, while queued, replace the audio). */
  send(frame: Uint8Array): void {
    if (!this.dtmf && this.dtmfQueue.length > 0) {
      const d = this.dtmfQueue.shift() as { digits: readonly string[]; durationMs: number };
      this.dtmf = new ToneGenerator(dtmfToneSpec(d.digits, d.durationMs), 'PCMA');
    }
    let out = frame;
    if (this.dtmf) {
      out = this.dtmf.nextFrame(this.dtmfFrame);
      if (this.dtmf.done) this.dtmf = null;
    }
    if (this.tx.write(out)) this.framesOut++;
  }

  stats(): LegStats {
    const rx = this.rx.stats();
    const tx = this.tx.stats();
    const expected = this.framesIn + rx.underruns;
    const lost = rx.underruns + rx.slips + rx.overflows;
    const lossPercent = expected > 0 ? Math.min(100, (lost * 100) / (expected + rx.slips)) : 0;
    const q = estimateQuality({ latencyMs: 0, jitterMs: 0, lossPercent, jitterBufferMs: 20 * this.maxFill });
    return {
      packetsSent: this.framesOut,
      packetsReceived: this.framesIn,
      packetsLost: rx.underruns + rx.overflows,
      jitterMs: 0,
      rttMs: null,
      mos: Math.round(q.mos * 100) / 100,
      malformed: 0,
      foreignDropped: 0,
      unknownPayload: 0,
      oversized: 0,
      ssrcChanges: 0,
      concealedFrames: rx.underruns,
      lateDropped: rx.slips + tx.overflows,
      dtmfReceived: 0,
    };
  }

  close(): void {}
}
