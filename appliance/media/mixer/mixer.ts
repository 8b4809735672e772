/**
 * Who hears whom on a bridge, and the 20 ms mix that follows from it. Pure: no sockets, no
 * timers. A bridge member is either a party (caller, agent, conference member) or a supervisor
 * tap. The hearing rules are those of a call-centre supervisor position (FreeSWITCH
 * `eavesdrop`, Asterisk `ChanSpy` options q/w/B):
 *
 *   listen   the supervisor hears every party; nobody hears the supervisor
 *   whisper  the supervisor hears every party; only the tap's target (the agent) hears the
 *            supervisor — the caller does not
 *   barge    the supervisor hears every party and every party hears the supervisor
 *
 * Parties hear every other party ("sum minus own", n-party conference). A tap never hears
 * another tap. Mixing is done on 16-bit linear samples in 32-bit sums, clipped to int16.
 */
import { FRAME_SAMPLES } from '../codec/g711.js';

export const TapModes = ['listen', 'whisper', 'barge'] as const;
export type TapMode = (typeof TapModes)[number];

export const BridgeSides = ['caller', 'agent'] as const;
/** Which side of the recording a party is on: caller = left channel, agent = right. */
export type BridgeSide = (typeof BridgeSides)[number];

export interface Tap {
  mode: TapMode;
  /** The party a whisper is heard by; null = every agent-side party. */
  target: string | null;
}

export interface MixMember {
  id: string;
  side: BridgeSide;
  /** null for a party; a supervisor tap otherwise. */
  tap: Tap | null;
}

/** Does `listener` hear `speaker`? */
export function hears(listener: MixMember, speaker: MixMember): boolean {
  if (listener.id === speaker.id) return false;
  if (speaker.tap === null) return true;
  if (listener.tap !== null) return false;
  switch (speaker.tap.mode) {
    case 'listen':
      return false;
    case 'barge':
      return true;
    case 'whisper':
      return speaker.tap.target === null ? listener.side === 'agent' : speaker.tap.target === listener.id;
  }
}

/** Clip a 32-bit sum to int16. */
export function clip16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/**
 * Mix one frame for every member. `inputs[i]` is what member `i` sent (linear), `outputs[i]`
 * receives what member `i` hears. Parties get the sum of all parties minus their own, plus
 * the taps they hear; taps get the sum of all parties. Sums are 32-bit, clipped once at the end.
 */
export function mixFrame(members: readonly MixMember[], inputs: readonly Int16Array[], outputs: readonly Int16Array[]): void {
  const n = members.length;
  const len = inputs[0]?.length ?? FRAME_SAMPLES;
  const partySum = scratchFor(0, len);
  const acc = scratchFor(1, len);
  partySum.fill(0, 0, len);
  for (let m = 0; m < n; m++) {
    if ((members[m] as MixMember).tap !== null) continue;
    const x = inputs[m] as Int16Array;
    for (let i = 0; i < len; i++) partySum[i] = (partySum[i] as number) + (x[i] as number);
  }
  for (let l = 0; l < n; l++) {
    const listener = members[l] as MixMember;
    const out = outputs[l] as Int16Array;
    if (listener.tap !== null) {
      for (let i = 0; i < len; i++) out[i] = clip16(partySum[i] as number);
      continue;
    }
    const own = inputs[l] as Int16Array;
    for (let i = 0; i < len; i++) acc[i] = (partySum[i] as number) - (own[i] as number);
    for (let s = 0; s < n; s++) {
      const speaker = members[s] as MixMember;
      if (speaker.tap === null || !hears(listener, speaker)) continue;
      const x = inputs[s] as Int16Array;
      for (let i = 0; i < len; i++) acc[i] = (acc[i] as number) + (x[i] as number);
    }
    for (let i = 0; i < len; i++) out[i] = clip16(acc[i] as number);
  }
}

const scratch: Int32Array[] = [new Int32Array(FRAME_SAMPLES), new Int32Array(FRAME_SAMPLES)];
function scratchFor(i: number, len: number): Int32Array {
  const s = scratch[i] as Int32Array;
  if (s.length >= len) return s;
  const bigger = new Int32Array(len);
  scratch[i] = bigger;
  return bigger;
}
