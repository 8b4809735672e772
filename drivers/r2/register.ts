/**
 * Compelled inter-register signalling, ITU-T Q.441 §4.3 with China No.1 meanings (china-no1.ts):
 * the outgoing register sends forward Group I/II signals, the incoming register answers each
 * with a backward Group A/B signal.
 *
 * Q.441 §4.3.1, the compelled cycle: "the outgoing register sends a forward signal; the incoming
 * register, on recognizing it, sends a backward signal; the outgoing register, on recognizing the
 * backward signal, stops the forward signal; the incoming register, on recognizing the end of the
 * forward signal, stops the backward signal; the outgoing register, on recognizing the end of the
 * backward signal, may send the next forward signal". An incoming register that must speak while
 * the forward side is silent (China: the number has no "end of dialling" signal, so it decides
 * after a silence) sends a *pulsed* backward signal of 150 ms (ITU-T Q.442, pulse transmission of backward
 * signals and Group B: 150 ± 50 ms), which the outgoing register treats like a
 * compelled one.
 *
 * Sequence implemented (China No.1, DNIS then ANI):
 *   → I (DNIS digit) ← A-1 … → last DNIS digit ← A-6 → KA ← A-1 → ANI digit ← A-1 … → I-15
 *   ← A-3 → KD (Group II) ← B-x
 * `aniAfterDigits` lets the incoming register ask for ANI earlier (after that many DNIS digits).
 *
 * Both registers are driven by tone changes (signal or null) and keep their timers on the Clock:
 * every wait for the far end's next step is bounded by `mfTimeoutMs` (Q.476 advises 15 s for the
 * outgoing register); expiry ends the call with Q.850 102 (recovery on timer expiry).
 */
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import { InvalidTransitionError } from '../../appliance/core/errors.js';
import { GroupA, GroupI, Q850, digitSignal, groupAFailure, groupBOutcome, signalDigit } from './china-no1.js';

export interface RegisterTimers {
  /** Longest wait for the far end's next tone change (default 15 000 ms). */
  mfTimeoutMs: number;
  /** Incoming: silence after which the number is taken as complete (default 4 000 ms). */
  endOfDialMs: number;
  /** Incoming: length of a pulsed backward signal (default 150 ms). */
  pulseMs: number;
}

export const DEFAULT_REGISTER_TIMERS: RegisterTimers = { mfTimeoutMs: 15_000, endOfDialMs: 4_000, pulseMs: 150 };

export type RegisterResult =
  | { readonly ok: true; readonly groupB: number }
  | { readonly ok: false; readonly cause: number; readonly reason: string };

/** What the incoming register has collected when it asks for a Group B decision. */
export interface RegisterOffer {
  readonly called: string;
  readonly calling: string;
  /** KA (calling subscriber category), null when ANI was not requested. */
  readonly ka: number | null;
  /** KD (Group II calling service category). */
  readonly kd: number;
}

interface Io {
  /** Start (1–15) or stop (null) our tone. */
  send(signal: number | null): void;
  clock: Clock;
}

export interface OutgoingParams {
  called: string;
  calling: string;
  ka: number;
  kd: number;
}

/** The outgoing (forward) register. */
export class OutgoingRegister {
  private phase: 'group-a' | 'group-b' | 'done' = 'group-a';
  private mode: 'dnis' | 'ani' = 'dnis';
  private dnisSent = 0;
  private aniSent = 0;
  private pending: number | null = null;
  private final: RegisterResult | null = null;
  private timer: TimerHandle | null = null;
  /** Every backward signal recognised, in order (for logs and tests). */
  readonly heard: number[] = [];

  constructor(
    private readonly params: OutgoingParams,
    private readonly io: Io,
    private readonly timers: RegisterTimers,
    private readonly onDone: (r: RegisterResult) => void,
  ) {
    for (const d of params.called + params.calling) digitSignal(d);
    if (params.called.length === 0) throw new RangeError('R2: an outgoing call needs at least one called digit');
  }

  get done(): boolean {
    return this.phase === 'done';
  }

  start(): void {
    this.io.send(this.nextDnis());
    this.arm();
  }

  /** A change of the backward tone: a signal recognised, or null when it ended. */
  onBackward(signal: number | null): void {
    if (this.phase === 'done') return;
    this.timer?.cancel();
    if (signal !== null) {
      this.heard.push(signal);
      // Q.441 §4.3.1: on recognising the backward signal, stop the forward signal.
      this.io.send(null);
      this.decide(signal);
      this.arm();
      return;
    }
    if (this.final) {
      this.finish(this.final);
      return;
    }
    const next = this.pending;
    this.pending = null;
    if (next !== null) this.io.send(next);
    this.arm();
  }

  /** Abandon (line cleared): stop the tone and the timer, report nothing. */
  abort(): void {
    this.phase = 'done';
    this.timer?.cancel();
    this.io.send(null);
  }

  private decide(signal: number): void {
    if (this.phase === 'group-b') {
      const o = groupBOutcome(signal);
      this.final = o.free ? { ok: true, groupB: signal } : { ok: false, cause: o.cause, reason: `Group B signal B-${signal}` };
      return;
    }
    const failure = groupAFailure(signal);
    if (failure !== null) {
      this.final = { ok: false, cause: failure, reason: `Group A signal A-${signal}` };
      return;
    }
    switch (signal) {
      case GroupA.SEND_NEXT:
        this.pending = this.mode === 'ani' ? this.nextAni() : this.nextDnis();
        return;
      case GroupA.RESEND_FROM_FIRST:
        this.mode = 'dnis';
        this.dnisSent = 0;
        this.pending = this.nextDnis();
        return;
      case GroupA.ADDRESS_COMPLETE_GROUP_B:
        this.phase = 'group-b';
        this.pending = this.params.kd;
        return;
      case GroupA.SEND_KA_AND_ANI:
        this.mode = 'ani';
        this.aniSent = 0;
        this.pending = this.params.ka;
        return;
      default:
        this.final = { ok: false, cause: Q850.PROTOCOL_ERROR, reason: `unexpected Group A signal A-${signal}` };
    }
  }

  /** The next DNIS digit's signal, or null when all were sent (China: then stay silent). */
  private nextDnis(): number | null {
    const d = this.params.called[this.dnisSent];
    if (d === undefined) return null;
    this.dnisSent++;
    return digitSignal(d);
  }

  private nextAni(): number {
    const d = this.params.calling[this.aniSent];
    if (d === undefined) {
      this.mode = 'dnis';
      return GroupI.END_OF_ANI;
    }
    this.aniSent++;
    return digitSignal(d);
  }

  private arm(): void {
    this.timer = this.io.clock.setTimeout(() => {
      this.io.send(null);
      this.finish({ ok: false, cause: Q850.RECOVERY_ON_TIMER_EXPIRE, reason: 'no backward signal change within the MF timeout' });
    }, this.timers.mfTimeoutMs);
  }

  private finish(r: RegisterResult): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.timer?.cancel();
    this.onDone(r);
  }
}

export interface IncomingOptions {
  /** Whether the collected called number is complete (the local numbering plan). */
  dnisComplete: (dnis: string) => boolean;
  /** Ask for KA + ANI. */
  wantAni: boolean;
  /** Ask for ANI once this many DNIS digits are in (default: when the DNIS is complete). */
  aniAfterDigits?: number;
}

type Expect = 'dnis' | 'ka' | 'ani' | 'kd' | 'decide' | 'b-sent' | 'done';

/** The incoming (backward) register. */
export class IncomingRegister {
  private expect: Expect = 'dnis';
  private forwardOn = false;
  private dnis = '';
  private ani = '';
  private ka: number | null = null;
  private kd = 0;
  private dnisEnded = false;
  private aniDone = false;
  private groupB = 0;
  private timer: TimerHandle | null = null;
  private pulse: TimerHandle | null = null;
  /** Every forward signal recognised, in order. */
  readonly heard: number[] = [];

  constructor(
    private readonly opts: IncomingOptions,
    private readonly io: Io,
    private readonly timers: RegisterTimers,
    private readonly hooks: { offer(o: RegisterOffer): void; done(r: RegisterResult): void },
  ) {}

  get done(): boolean {
    return this.expect === 'done';
  }

  /** Waiting for the appliance's Group B decision. */
  get deciding(): boolean {
    return this.expect === 'decide';
  }

  /** Seizure acknowledged: wait for the first forward signal. */
  start(): void {
    this.arm(this.timers.mfTimeoutMs);
  }

  onForward(signal: number | null): void {
    if (this.expect === 'done') return;
    this.timer?.cancel();
    if (signal === null) {
      this.forwardOn = false;
      // Q.441 §4.3.1: on recognising the end of the forward signal, stop the backward signal.
      if (!this.pulse) this.io.send(null);
      if (this.expect === 'b-sent') {
        this.finish({ ok: true, groupB: this.groupB });
        return;
      }
      const silenceMeansEnd = this.expect === 'dnis' && this.dnis.length > 0;
      this.arm(silenceMeansEnd ? this.timers.endOfDialMs : this.timers.mfTimeoutMs, silenceMeansEnd);
      return;
    }
    this.forwardOn = true;
    this.heard.push(signal);
    this.respond(this.answerTo(signal));
  }

  /** The appliance's decision: send Group B signal `b` (B-1 free … B-5 unallocated). */
  decide(b: number): void {
    if (this.expect !== 'decide') throw new InvalidTransitionError('r2 incoming register', this.expect, `B-${b}`);
    this.expect = 'b-sent';
    this.groupB = b;
    this.respond(b);
  }

  abort(): void {
    this.expect = 'done';
    this.timer?.cancel();
    this.pulse?.cancel();
    this.io.send(null);
  }

  private answerTo(signal: number): number | null {
    switch (this.expect) {
      case 'dnis': {
        const d = signalDigit(signal);
        if (d !== null) this.dnis += d;
        else if (signal === GroupI.END_OF_ANI) this.dnisEnded = true;
        return this.afterAddressSignal();
      }
      case 'ka':
        this.ka = signal;
        this.expect = 'ani';
        return GroupA.SEND_NEXT;
      case 'ani': {
        const d = signalDigit(signal);
        if (d !== null) {
          this.ani += d;
          return GroupA.SEND_NEXT;
        }
        this.aniDone = true;
        this.expect = 'dnis';
        return this.afterAddressSignal();
      }
      case 'kd':
        this.kd = signal;
        this.expect = 'decide';
        this.hooks.offer({ called: this.dnis, calling: this.ani, ka: this.ka, kd: this.kd });
        return null;
      default:
        // A forward signal while we wait for the decision (KD repeated) or after B: nothing new to say.
        return null;
    }
  }

  private afterAddressSignal(): number {
    const complete = this.dnisEnded || this.opts.dnisComplete(this.dnis);
    const aniNow = complete || (this.opts.aniAfterDigits !== undefined && this.dnis.length >= this.opts.aniAfterDigits);
    if (this.opts.wantAni && !this.aniDone && aniNow) {
      this.expect = 'ka';
      return GroupA.SEND_KA_AND_ANI;
    }
    if (complete) {
      this.expect = 'kd';
      return GroupA.ADDRESS_COMPLETE_GROUP_B;
    }
    return GroupA.SEND_NEXT;
  }

  /** Compelled when the forward tone is on; pulsed (Q.442) when the forward side is silent. */
  private respond(signal: number | null): void {
    if (signal === null) {
      if (this.expect === 'decide') return;
      this.arm(this.timers.mfTimeoutMs);
      return;
    }
    this.io.send(signal);
    if (!this.forwardOn) {
      this.pulse = this.io.clock.setTimeout(() => {
        this.pulse = null;
        this.io.send(null);
      }, this.timers.pulseMs);
    }
    this.arm(this.timers.mfTimeoutMs);
  }

  private arm(ms: number, endOfDial = false): void {
    this.timer = this.io.clock.setTimeout(() => {
      if (endOfDial && this.expect === 'dnis') {
        this.dnisEnded = true;
        this.respond(this.afterAddressSignal());
        return;
      }
      if (this.expect === 'decide') return;
      this.io.send(null);
      this.finish({ ok: false, cause: Q850.RECOVERY_ON_TIMER_EXPIRE, reason: `no forward signal within the MF timeout (expecting ${this.expect})` });
    }, ms);
  }

  private finish(r: RegisterResult): void {
    if (this.expect === 'done') return;
    this.expect = 'done';
    this.timer?.cancel();
    this.hooks.done(r);
  }
}
