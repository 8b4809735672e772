/**
 * SimR2Exchange: the carrier's switch at the far end of a simulated E1 CAS span running China
 * No.1 MFC-R2. It is drivers/r2's R2Signalling in the forward role: it seizes a circuit, sends
 * the called number and, when asked (A-6), KA and the calling number, then follows the call by
 * line signals. How a placed call ended is a value (`R2DialOutcome`, with the Q.850 cause), as
 * with the PRI exchange (exchange.ts).
 */
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import type { Logger } from '../../appliance/core/log.js';
import { Q850 } from '../r2/china-no1.js';
import type { R2Mf } from '../r2/ffi.js';
import { R2Signalling, type R2Timers } from '../r2/r2-span.js';
import { DriverError, type Span } from '../types.js';

export const R2ExchangeCallStates = ['seized', 'ringing', 'answered', 'released'] as const;
export type R2ExchangeCallState = (typeof R2ExchangeCallStates)[number];

export type R2DialOutcome =
  | { readonly outcome: 'answered' }
  | { readonly outcome: 'busy' | 'no-answer' | 'failed'; readonly cause: number; readonly reason: string };

export interface R2PlaceCallParams {
  called: string;
  calling: string;
  timeslot?: number;
  ka?: number;
  kd?: number;
}

export class R2ExchangeCall {
  private stateNow: R2ExchangeCallState = 'seized';
  private ended: { cause: number; by: 'local' | 'remote'; reason: string } | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly timeslot: number,
    private readonly r2: R2Signalling,
    private readonly clock: Clock,
  ) {}

  get state(): R2ExchangeCallState {
    return this.stateNow;
  }

  /** How the call ended, once released. */
  get clearing(): { cause: number; by: 'local' | 'remote'; reason: string } | null {
    return this.ended;
  }

  /** Resolves once the call is `answered` or released, with the outcome. */
  outcome(timeoutMs: number): Promise<R2DialOutcome> {
    return this.waitFor((s) => s === 'answered' || s === 'released', timeoutMs, 'an outcome').then(() => {
      const e = this.ended;
      if (this.stateNow === 'answered' || !e) return { outcome: 'answered' } as const;
      const kind = e.cause === Q850.USER_BUSY ? 'busy' : e.cause === Q850.NO_ANSWER ? 'no-answer' : 'failed';
      return { outcome: kind, cause: e.cause, reason: e.reason };
    });
  }

  waitFor(pred: R2ExchangeCallState | ((s: R2ExchangeCallState) => boolean), timeoutMs: number, label = String(pred)): Promise<void> {
    const ok = typeof pred === 'function' ? pred : (s: R2ExchangeCallState) => s === pred;
    return new Promise((resolve, reject) => {
      if (ok(this.stateNow)) return resolve();
      let timer: TimerHandle | null = null;
      const w = (): void => {
        if (!ok(this.stateNow)) return;
        timer?.cancel();
        this.waiters.delete(w);
        resolve();
      };
      this.waiters.add(w);
      timer = this.clock.setTimeout(() => {
        this.waiters.delete(w);
        reject(new DriverError('sim_r2_expect', null, `R2 call on timeslot ${this.timeslot}: no ${label} within ${timeoutMs} ms (state ${this.stateNow})`));
      }, timeoutMs);
    });
  }

  /** Clear-forward. */
  hangup(cause: number = Q850.NORMAL_CLEARING): void {
    if (this.stateNow !== 'released') this.r2.hangup(this.timeslot, cause);
  }

  /** Exchange side. */
  move(to: R2ExchangeCallState, ended?: { cause: number; by: 'local' | 'remote'; reason: string }): void {
    if (this.stateNow === 'released') return;
    this.stateNow = to;
    if (ended) this.ended = ended;
    for (const w of [...this.waiters]) w();
  }
}

export interface SimR2ExchangeDeps {
  clock: Clock;
  log: Logger;
  mf?: R2Mf;
}

export class SimR2Exchange {
  readonly r2: R2Signalling;
  private readonly calls = new Map<number, R2ExchangeCall>();
  private readonly clock: Clock;

  constructor(opts: { span: Span; timers?: Partial<R2Timers> }, deps: SimR2ExchangeDeps) {
    this.clock = deps.clock;
    this.r2 = new R2Signalling(
      { spanNo: opts.span.spanNo, channels: opts.span.bChannels, ...(opts.timers ? { timers: opts.timers } : {}) },
      { clock: deps.clock, log: deps.log.child({ mod: 'drivers.sim.r2-exchange' }), ...(deps.mf ? { mf: deps.mf } : {}) },
    );
    this.r2.on('ringing', ({ timeslot }) => this.calls.get(timeslot)?.move('ringing'));
    this.r2.on('answer', ({ timeslot }) => this.calls.get(timeslot)?.move('answered'));
    this.r2.on('hangup', ({ timeslot, cause, by, reason }) => this.calls.get(timeslot)?.move('released', { cause, by, reason }));
    this.r2.on('idle', ({ timeslot }) => {
      this.calls.get(timeslot)?.move('released', { cause: Q850.NORMAL_CLEARING, by: 'remote', reason: 'idle' });
      this.calls.delete(timeslot);
    });
  }

  /** Seize a circuit towards the appliance and send the address. */
  placeCall(p: R2PlaceCallParams): { ok: true; call: R2ExchangeCall } | { ok: false; reason: string } {
    const d = this.r2.dial(p);
    if (!d.ok) return d;
    const call = new R2ExchangeCall(d.timeslot, this.r2, this.clock);
    this.calls.set(d.timeslot, call);
    return { ok: true, call };
  }

  close(): void {
    this.r2.close();
  }
}
