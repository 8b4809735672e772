/**
 * One R2 circuit (a CAS timeslot): the Q.421 line state machine (line.ts) on the timeslot's ABCD
 * bits, and during call set-up the Q.441 register (register.ts) talking MF tones (mf.ts) on the
 * same timeslot's B channel. It turns both into call events in the appliance's vocabulary (ring
 * with called/calling, ringing, answer, hangup with a Q.850 cause) and takes the call-control
 * verbs. R2Signalling (r2-span.ts) owns one per bearer.
 *
 * The line is level-triggered: after every transition the far end's current A/B code is offered
 * to the new state once more, so a condition that was already on the line (e.g. the far end idle
 * when we enter `out-clearing`) is acted on without waiting for another bit change.
 */
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import { InvalidTransitionError } from '../../appliance/core/errors.js';
import type { Logger } from '../../appliance/core/log.js';
import type { TdmChannel } from '../types.js';
import { GroupB, KA_ORDINARY, KD, Q850, abcd, groupBForCause, lineCode, type R2Variant } from './china-no1.js';
import type { R2Mf } from './ffi.js';
import { TX_CODE, lineNext, lineVerb, type LineInput, type LineState } from './line.js';
import { MfTransceiver } from './mf.js';
import { IncomingRegister, OutgoingRegister, type IncomingOptions, type RegisterOffer, type RegisterResult, type RegisterTimers } from './register.js';

export interface R2Timers extends RegisterTimers {
  /** Outgoing: wait for seizure-acknowledged (default 2 000 ms). */
  seizeAckMs: number;
  /** Outgoing: wait for answer after B-1 (default 60 000 ms), then clear with cause 19. */
  answerMs: number;
  /** Outgoing: wait for the release guard after clear-forward (default 2 000 ms), then block. */
  releaseGuardMs: number;
  /** Dual seizure: keep seizing this long before clearing forward (default 100 ms). */
  dualSeizureHoldMs?: number;
}

export interface DialParams {
  called: string;
  calling?: string;
  /** KA, calling subscriber category (default 1, ordinary). */
  ka?: number;
  /** KD, calling service category (default 3, local subscriber). */
  kd?: number;
}

export interface R2CallEvents {
  ring: (e: { timeslot: number } & RegisterOffer) => void;
  ringing: (e: { timeslot: number }) => void;
  answer: (e: { timeslot: number }) => void;
  hangup: (e: { timeslot: number; cause: number; by: 'local' | 'remote'; reason: string }) => void;
  idle: (e: { timeslot: number }) => void;
  blocked: (e: { timeslot: number; by: 'local' | 'remote' }) => void;
  fault: (e: { timeslot: number; reason: string }) => void;
}
export type R2EventName = keyof R2CallEvents;
export type Emit = <E extends R2EventName>(e: E, payload: Parameters<R2CallEvents[E]>[0]) => void;

interface Call {
  readonly direction: 'in' | 'out';
  out: OutgoingRegister | null;
  inc: IncomingRegister | null;
  hungUp: boolean;
  /** Incoming: the appliance answered before the Group B cycle finished. */
  answerPending: boolean;
  /** Incoming: the appliance refused before the offer (cause to use as soon as KD arrives). */
  rejectCause: number | null;
  groupB: number | null;
}

export interface CircuitDeps {
  clock: Clock;
  log: Logger;
  mf?: R2Mf;
  emit: Emit;
}

export class R2Circuit {
  private stateNow: LineState = 'idle';
  private call: Call | null = null;
  private lineTimer: TimerHandle | null = null;
  private answerTimer: TimerHandle | null = null;
  private mf: MfTransceiver | null = null;
  private inProcess = false;
  private detachPending = false;
  private readonly onBits = (bits: number): void => this.line(`rx:${lineCode(bits)}`);
  private readonly onFrame = (frame: Uint8Array): void => this.audio(frame);

  constructor(
    readonly channel: TdmChannel,
    private readonly variant: R2Variant,
    private readonly timers: R2Timers,
    private readonly incoming: IncomingOptions,
    private readonly deps: CircuitDeps,
  ) {
    const cas = channel.cas;
    if (!cas) throw new InvalidTransitionError('r2 circuit', 'ccs', 'cas');
    cas.setTx(abcd(TX_CODE.idle, variant));
    cas.on('change', this.onBits);
    this.line(`rx:${lineCode(cas.rx)}`);
  }

  get timeslot(): number {
    return this.channel.timeslot;
  }

  get state(): LineState {
    return this.stateNow;
  }

  get busy(): boolean {
    return this.stateNow !== 'idle';
  }

  /** Outgoing call: seize and, once acknowledged, send the address. */
  seize(p: DialParams): void {
    const reg = { called: p.called, calling: p.calling ?? '', ka: p.ka ?? KA_ORDINARY, kd: p.kd ?? KD.LOCAL_SUBSCRIBER };
    const next = lineVerb(this.stateNow, 'seize');
    const call = this.newCall('out');
    call.out = new OutgoingRegister(reg, this.io(call), this.timers, (r) => this.outgoingDone(call, r));
    this.call = call;
    this.enter(next, 'seize');
  }

  /** Incoming: tell the caller the subscriber is free (B-1); the Channel's alerting(). */
  alerting(): void {
    const inc = this.requireIncoming('alerting');
    if (inc.deciding) inc.decide(GroupB.FREE_CHARGE);
  }

  answer(): void {
    const call = this.call;
    if (call?.direction !== 'in') throw new InvalidTransitionError('r2 circuit', this.stateNow, 'answer');
    if (call.inc && !call.inc.done) {
      call.answerPending = true;
      if (call.inc.deciding) call.inc.decide(GroupB.FREE_CHARGE);
      return;
    }
    if (call.groupB !== GroupB.FREE_CHARGE) throw new InvalidTransitionError('r2 circuit', `refused (B-${call.groupB})`, 'answer');
    this.enter(lineVerb(this.stateNow, 'answer'), 'answer');
  }

  /** Clear the call with a Q.850 cause: a Group B refusal, clear-back or clear-forward. */
  hangup(cause: number): void {
    const call = this.call;
    if (!call) throw new InvalidTransitionError('r2 circuit', this.stateNow, 'hangup');
    this.reportHangup(call, cause, 'local', 'local hangup');
    if (call.direction === 'out') {
      this.clearForward();
      return;
    }
    const inc = call.inc;
    if (inc && !inc.done) {
      if (inc.deciding) inc.decide(groupBForCause(cause));
      else call.rejectCause = cause;
      return;
    }
    if (this.stateNow === 'in-seized' || this.stateNow === 'in-answered') this.enter(lineVerb(this.stateNow, 'clear-back'), 'clear-back');
  }

  block(): void {
    this.enter(lineVerb(this.stateNow, 'block'), 'block');
  }

  unblock(): void {
    this.enter(lineVerb(this.stateNow, 'unblock'), 'unblock');
  }

  close(): void {
    this.channel.cas?.off('change', this.onBits);
    this.lineTimer?.cancel();
    this.answerTimer?.cancel();
    if (this.call) this.endRegister(this.call);
    this.detachAudio();
    this.call = null;
  }

  // ---- line ----

  private line(input: LineInput): void {
    const next = lineNext(this.stateNow, input);
    if (next === null) {
      if (input.startsWith('rx:')) this.deps.log.debug({ timeslot: this.timeslot, state: this.stateNow, input }, 'r2 line signal ignored');
      return;
    }
    this.enter(next, input);
  }

  private enter(next: LineState, input: LineInput): void {
    const from = this.stateNow;
    this.stateNow = next;
    this.lineTimer?.cancel();
    this.lineTimer = null;
    this.channel.cas?.setTx(abcd(TX_CODE[next], this.variant));
    this.deps.log.debug({ timeslot: this.timeslot, from, to: next, input }, 'r2 line');
    this.act(from, next, input);
    const rx = this.channel.cas?.rx;
    if (rx !== undefined && this.stateNow === next) {
      const again = lineNext(next, `rx:${lineCode(rx)}`);
      if (again !== null && again !== next) this.enter(again, `rx:${lineCode(rx)}`);
    }
  }

  /** Actions for a transition, kept apart from the table. */
  private act(from: LineState, to: LineState, input: LineInput): void {
    const call = this.call;
    switch (to) {
      case 'in-seized':
        if (from === 'idle') this.startIncoming();
        return;
      case 'out-seizing':
        this.lineTimer = this.deps.clock.setTimeout(() => this.line('timeout'), this.timers.seizeAckMs);
        return;
      case 'out-dual-seizure':
        if (call) {
          this.reportHangup(call, Q850.REQUESTED_CHAN_UNAVAIL, 'remote', 'dual seizure');
          this.endRegister(call);
        }
        this.lineTimer = this.deps.clock.setTimeout(() => this.line('timeout'), this.timers.dualSeizureHoldMs ?? 100);
        return;
      case 'out-seized':
        if (call?.out) {
          this.attachAudio('outgoing', (s) => call.out?.onBackward(s));
          call.out.start();
        }
        return;
      case 'out-answered':
        this.answerTimer?.cancel();
        if (call && from === 'out-seized') {
          this.endRegister(call);
          this.deps.emit('answer', { timeslot: this.timeslot });
        }
        return;
      case 'out-clear-back':
        if (call) this.reportHangup(call, Q850.NORMAL_CLEARING, 'remote', 'clear-back');
        this.clearForward();
        return;
      case 'out-clearing':
        if (call) {
          if (input === 'timeout') this.reportHangup(call, Q850.RECOVERY_ON_TIMER_EXPIRE, 'remote', 'no seizure acknowledgement');
          else if (input === 'rx:10') this.reportHangup(call, Q850.NORMAL_UNSPECIFIED, 'remote', 'far end returned to idle');
          this.endRegister(call);
        }
        this.answerTimer?.cancel();
        this.lineTimer = this.deps.clock.setTimeout(() => this.line('timeout'), this.timers.releaseGuardMs);
        return;
      case 'in-clear-back':
        return;
      case 'blocked-local':
        this.deps.emit('blocked', { timeslot: this.timeslot, by: 'local' });
        return;
      case 'blocked-remote':
        if (from === 'out-clearing') this.deps.emit('fault', { timeslot: this.timeslot, reason: 'no release guard after clear-forward; circuit blocked' });
        this.finishCall();
        this.deps.emit('blocked', { timeslot: this.timeslot, by: 'remote' });
        return;
      case 'idle':
        if (call && !call.hungUp) this.reportHangup(call, Q850.NORMAL_CLEARING, 'remote', 'clear-forward');
        this.finishCall();
        this.deps.emit('idle', { timeslot: this.timeslot });
        return;
      default:
        return;
    }
  }

  private clearForward(): void {
    if (this.stateNow === 'out-clearing' || this.stateNow === 'idle') return;
    this.enter(lineVerb(this.stateNow, 'clear-forward'), 'clear-forward');
  }

  // ---- registers ----

  private startIncoming(): void {
    const call = this.newCall('in');
    this.call = call;
    call.inc = new IncomingRegister(this.incoming, this.io(call), this.timers, {
      offer: (o) => {
        if (call.rejectCause !== null) {
          call.inc?.decide(groupBForCause(call.rejectCause));
          return;
        }
        this.deps.emit('ring', { timeslot: this.timeslot, ...o });
      },
      done: (r) => this.incomingDone(call, r),
    });
    this.attachAudio('incoming', (s) => call.inc?.onForward(s));
    call.inc.start();
  }

  private incomingDone(call: Call, r: RegisterResult): void {
    this.detachAudio();
    if (this.call !== call) return;
    if (!r.ok) {
      this.reportHangup(call, r.cause, 'local', r.reason);
      if (this.stateNow === 'in-seized') this.enter(lineVerb(this.stateNow, 'clear-back'), 'clear-back');
      return;
    }
    call.groupB = r.groupB;
    if (r.groupB === GroupB.FREE_CHARGE && call.answerPending) this.enter(lineVerb(this.stateNow, 'answer'), 'answer');
  }

  private outgoingDone(call: Call, r: RegisterResult): void {
    this.detachAudio();
    if (this.call !== call) return;
    if (!r.ok) {
      this.reportHangup(call, r.cause, 'remote', r.reason);
      this.clearForward();
      return;
    }
    call.groupB = r.groupB;
    this.deps.emit('ringing', { timeslot: this.timeslot });
    this.answerTimer = this.deps.clock.setTimeout(() => {
      if (this.call !== call || this.stateNow !== 'out-seized') return;
      this.reportHangup(call, Q850.NO_ANSWER, 'local', 'no answer');
      this.clearForward();
    }, this.timers.answerMs);
  }

  private endRegister(call: Call): void {
    call.out?.abort();
    call.inc?.abort();
    this.detachAudio();
  }

  // ---- audio ----

  private attachAudio(role: 'outgoing' | 'incoming', onSignal: (s: number | null) => void): void {
    this.detachAudio();
    this.mf = new MfTransceiver(role, onSignal, this.deps.mf);
    this.channel.on('frame', this.onFrame);
  }

  private audio(frame: Uint8Array): void {
    const mf = this.mf;
    if (!mf) return;
    this.inProcess = true;
    const out = mf.process(frame);
    this.inProcess = false;
    this.channel.write(out);
    if (this.detachPending) this.detachAudio();
  }

  /** Stop the register's audio; deferred while spandsp is inside the receive call that asked for it. */
  private detachAudio(): void {
    if (this.inProcess) {
      this.detachPending = true;
      return;
    }
    this.detachPending = false;
    this.channel.off('frame', this.onFrame);
    const mf = this.mf;
    this.mf = null;
    mf?.close();
  }

  // ---- helpers ----

  private io(call: Call): { send(s: number | null): void; clock: Clock } {
    return { send: (s) => (this.call === call ? this.mf?.send(s) : undefined), clock: this.deps.clock };
  }

  private newCall(direction: 'in' | 'out'): Call {
    return { direction, out: null, inc: null, hungUp: false, answerPending: false, rejectCause: null, groupB: null };
  }

  private requireIncoming(verb: string): IncomingRegister {
    const inc = this.call?.direction === 'in' ? this.call.inc : null;
    if (!inc) throw new InvalidTransitionError('r2 circuit', this.stateNow, verb);
    return inc;
  }

  private reportHangup(call: Call, cause: number, by: 'local' | 'remote', reason: string): void {
    if (call.hungUp) return;
    call.hungUp = true;
    this.deps.emit('hangup', { timeslot: this.timeslot, cause, by, reason });
  }

  private finishCall(): void {
    this.answerTimer?.cancel();
    if (this.call) this.endRegister(this.call);
    this.call = null;
  }
}
