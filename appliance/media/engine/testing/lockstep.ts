/**
 * A media worker run in lock step for tests: a WorkerCore on a ManualClock whose legs are TDM
 * legs (shared frame rings, as for an E1 B channel), with the test playing every line. Each
 * `step` writes one 20 ms A-law frame per line, runs one media tick, and hands back what each
 * line received — so minutes of call (a fax, a tone cadence) run in a fraction of a second,
 * through the same bridge, mixer, player, fax and DTMF code as the worker thread.
 */
import { ManualClock } from '../../../core/testing/manual-clock.js';
import { FRAME_SAMPLES, SILENCE_CODE } from '../../codec/g711.js';
import { nodeRecorderFs, type RecorderFs } from '../../recorder/recorder-fs.js';
import type { MediaDsp } from '../dsp.js';
import type { Command, WorkerEvent } from '../protocol.js';
import { FrameRing } from '../tdm-ring.js';
import { WorkerCore } from '../worker-core.js';

const IDLE = new Uint8Array(FRAME_SAMPLES).fill(SILENCE_CODE.PCMA);

export class LockstepRig {
  readonly clock = new ManualClock();
  readonly events: WorkerEvent[] = [];
  readonly core: WorkerCore;
  private readonly lines = new Map<string, { rx: FrameRing; tx: FrameRing; out: Uint8Array }>();
  private now = 0;

  constructor(o: { dsp?: MediaDsp; recorderFs?: RecorderFs } = {}) {
    this.core = new WorkerCore({
      clock: this.clock,
      sockets: { bindPair: () => Promise.reject(new Error('lockstep rig: TDM legs only')) },
      recorderFs: o.recorderFs ?? nodeRecorderFs,
      emit: (e) => this.events.push(e),
      ...(o.dsp ? { dsp: o.dsp } : {}),
    });
  }

  handle(cmd: Command): Promise<unknown> {
    return this.core.handle(cmd);
  }

  /** A TDM leg `id` whose line the test plays. */
  async line(id: string): Promise<void> {
    const rx = FrameRing.create(8);
    const tx = FrameRing.create(8);
    await this.core.handle({ cmd: 'endpoint.create-tdm', endpointId: id, rx: rx.buffer, tx: tx.buffer, maxFill: 3 });
    this.lines.set(id, { rx, tx, out: new Uint8Array(FRAME_SAMPLES) });
  }

  async bridge(id: string, members: Array<[string, 'caller' | 'agent']>): Promise<void> {
    await this.core.handle({ cmd: 'bridge.create', bridgeId: id });
    for (const [endpointId, side] of members) await this.core.handle({ cmd: 'bridge.add', bridgeId: id, endpointId, side });
  }

  /**
   * One 20 ms step: `frames[id]` (A-law; idle when absent) goes down each line, one tick runs,
   * and the frame each line received comes back (idle while the worker has none yet).
   */
  step(frames: Readonly<Record<string, Uint8Array>> = {}): Record<string, Uint8Array> {
    for (const [id, l] of this.lines) l.rx.write(frames[id] ?? IDLE);
    this.now += 20;
    this.clock.advance(20);
    this.core.tick(this.now);
    const out: Record<string, Uint8Array> = {};
    for (const [id, l] of this.lines) {
      if (!l.tx.read(l.out)) l.out.set(IDLE);
      out[id] = l.out;
    }
    return out;
  }

  /** Events of one type seen so far. */
  of<T extends WorkerEvent['type']>(type: T): Array<Extract<WorkerEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<WorkerEvent, { type: T }> => e.type === type);
  }
}
