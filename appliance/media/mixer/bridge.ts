/**
 * A bridge: the media meeting point of one call (DESIGN.md "Call model": recording, taps and
 * consultation are just more ports on it). Each tick the engine writes every member's received
 * 20 ms frame into `slot.input` (G.711 codes in the member's law), calls `mix()`, and sends
 * `slot.output` back to that member.
 *
 * Two parties and no taps take the byte path: each output is the other party's input, passed
 * through the G.711 Table 3/4 transcode table when the laws differ (A ↔ µ). Anything larger
 * (a conference, a supervisor tap) is decoded to linear and mixed by mixer.ts.
 *
 * For the recorder, `sideCodes` / `sideLinear` give the caller (left) and agent (right)
 * channels: the parties on that side, plus a barging supervisor on the agent side.
 *
 * An echo bridge (`echo: true`, the diagnostic echo line) sends a lone member its own input.
 */
import {
  ALAW_TO_LINEAR,
  FRAME_SAMPLES,
  LINEAR_TO_ALAW,
  LINEAR_TO_ULAW,
  SILENCE_CODE,
  ULAW_TO_LINEAR,
  transcode,
  type G711Law,
} from '../codec/g711.js';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { clip16, mixFrame, type BridgeSide, type MixMember, type Tap } from './mixer.js';

export interface BridgeSlot extends MixMember {
  law: G711Law;
  /** What this member sent this tick (codes in `law`). */
  readonly input: Uint8Array;
  /** What this member hears this tick (codes in `law`). */
  readonly output: Uint8Array;
  readonly pcmIn: Int16Array;
  readonly pcmOut: Int16Array;
}

const DECODE: Readonly<Record<G711Law, Readonly<Int16Array>>> = { PCMA: ALAW_TO_LINEAR, PCMU: ULAW_TO_LINEAR };
const ENCODE: Readonly<Record<G711Law, Readonly<Uint8Array>>> = { PCMA: LINEAR_TO_ALAW, PCMU: LINEAR_TO_ULAW };

export class Bridge {
  readonly id: string;
  /** A lone member hears its own input (an echo test line); with two or more, no effect. */
  readonly echo: boolean;
  private readonly slots: BridgeSlot[] = [];
  private readonly sideAcc = new Int32Array(FRAME_SAMPLES);

  constructor(id: string, o: { echo?: boolean } = {}) {
    this.id = id;
    this.echo = o.echo ?? false;
  }

  get members(): readonly BridgeSlot[] {
    return this.slots;
  }

  get size(): number {
    return this.slots.length;
  }

  has(id: string): boolean {
    return this.slots.some((s) => s.id === id);
  }

  slot(id: string): BridgeSlot | undefined {
    return this.slots.find((s) => s.id === id);
  }

  add(id: string, law: G711Law, side: BridgeSide, tap: Tap | null = null): BridgeSlot {
    if (this.has(id)) throw new ConflictError(`bridge ${this.id}: ${id} is already a member`);
    const slot: BridgeSlot = {
      id,
      law,
      side,
      tap,
      input: new Uint8Array(FRAME_SAMPLES).fill(SILENCE_CODE[law]),
      output: new Uint8Array(FRAME_SAMPLES).fill(SILENCE_CODE[law]),
      pcmIn: new Int16Array(FRAME_SAMPLES),
      pcmOut: new Int16Array(FRAME_SAMPLES),
    };
    this.slots.push(slot);
    return slot;
  }

  remove(id: string): boolean {
    const i = this.slots.findIndex((s) => s.id === id);
    if (i < 0) return false;
    this.slots.splice(i, 1);
    return true;
  }

  /** Make a member a supervisor tap (or a party again with `null`); switchable mid-call. */
  setTap(id: string, tap: Tap | null): void {
    const s = this.slot(id);
    if (!s) throw new NotFoundError('bridge member', id);
    if (tap?.target && !this.has(tap.target)) throw new NotFoundError('whisper target', tap.target);
    s.tap = tap;
  }

  /** True when the cheap byte path applies (two parties, no taps). */
  get isPair(): boolean {
    return this.slots.length === 2 && this.slots[0]?.tap === null && this.slots[1]?.tap === null;
  }

  /** Compute every member's output from every member's input. */
  mix(): void {
    const s = this.slots;
    if (s.length === 0) return;
    if (s.length === 1) {
      const only = s[0] as BridgeSlot;
      if (this.echo) only.output.set(only.input);
      else only.output.fill(SILENCE_CODE[only.law]);
      return;
    }
    if (this.isPair) {
      const a = s[0] as BridgeSlot;
      const b = s[1] as BridgeSlot;
      transcode(b.law, a.law, b.input, a.output);
      transcode(a.law, b.law, a.input, b.output);
      return;
    }
    for (const m of s) {
      const t = DECODE[m.law];
      for (let i = 0; i < FRAME_SAMPLES; i++) m.pcmIn[i] = t[m.input[i] as number] as number;
    }
    mixFrame(
      s,
      s.map((m) => m.pcmIn),
      s.map((m) => m.pcmOut),
    );
    for (const m of s) {
      const t = ENCODE[m.law];
      for (let i = 0; i < FRAME_SAMPLES; i++) m.output[i] = t[(m.pcmOut[i] as number) & 0xffff] as number;
    }
  }

  private sideMembers(side: BridgeSide): BridgeSlot[] {
    return this.slots.filter((m) => (m.tap === null ? m.side === side : side === 'agent' && m.tap.mode === 'barge'));
  }

  /** One recording channel as codes in `law` (silence when nobody is on that side). */
  sideCodes(side: BridgeSide, law: G711Law, out: Uint8Array): Uint8Array {
    const ms = this.sideMembers(side);
    if (ms.length === 0) return out.fill(SILENCE_CODE[law]);
    if (ms.length === 1) {
      const m = ms[0] as BridgeSlot;
      return transcode(m.law, law, m.input, out);
    }
    const pcm = this.sideLinear(side, new Int16Array(FRAME_SAMPLES));
    const t = ENCODE[law];
    for (let i = 0; i < FRAME_SAMPLES; i++) out[i] = t[(pcm[i] as number) & 0xffff] as number;
    return out;
  }

  /** One recording channel as linear samples. */
  sideLinear(side: BridgeSide, out: Int16Array): Int16Array {
    const acc = this.sideAcc;
    acc.fill(0);
    for (const m of this.sideMembers(side)) {
      const t = DECODE[m.law];
      for (let i = 0; i < FRAME_SAMPLES; i++) acc[i] = (acc[i] as number) + (t[m.input[i] as number] as number);
    }
    for (let i = 0; i < FRAME_SAMPLES; i++) out[i] = clip16(acc[i] as number);
    return out;
  }
}
