/**
 * SimSs7Exchange: the carrier's switch at the far end of a simulated E1 running SS7 — an ITU ISUP
 * exchange (Q.764 procedures through libss7) on the span's timeslot-16 signalling link, with its
 * own point code, facing the appliance's. Tests and the demo script it the way they script the PRI
 * exchange (exchange.ts): place calls into the appliance (IAM with calling/called numbers), accept
 * or refuse the calls the appliance places (ACM, ANM, or REL with a Q.850 cause), and clear.
 *
 * The B channel of a call is exposed as `bearer` for audio checks; nothing here keeps time but the
 * expectation timeouts, which use the injected Clock. How a call ended is a value (DialOutcome).
 */
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import type { Logger } from '../../appliance/core/log.js';
import type { LibSs7 } from '../ss7/ffi.js';
import { Q850, type IamResult, type IsupSignalling, type Presentation } from '../ss7/isup-link.js';
import { DriverError, type Span, type TdmChannel } from '../types.js';
import { bindIsup, type IsupLink } from './ss7-link.js';

export const IsupExchangeCallStates = ['setup', 'alerting', 'answered', 'released'] as const;
export type IsupExchangeCallState = (typeof IsupExchangeCallStates)[number];

const order: Readonly<Record<IsupExchangeCallState, number>> = { setup: 0, alerting: 1, answered: 2, released: 3 };

export type IsupDialOutcome =
  | { readonly outcome: 'answered' }
  | { readonly outcome: 'busy' | 'no-answer' | 'failed'; readonly cause: number };

export type IsupPlaceCallResult =
  | { readonly ok: true; readonly call: IsupExchangeCall }
  | { readonly ok: false; readonly reason: Exclude<IamResult, 'sent'> };

export interface IsupPlaceCallParams {
  calling: string;
  called: string;
  /** Circuit; the lowest idle CIC when omitted. */
  cic?: number;
  presentation?: Presentation;
}

export interface SimSs7ExchangeOptions {
  span: Span;
  /** The exchange's point code (default 2) and the appliance's (default 1). */
  pc?: number;
  adjPc?: number;
  cicBase?: number;
  isupTimers?: Readonly<Record<string, number>>;
}

export interface SimSs7ExchangeDeps {
  /** Expectation timeouts. */
  clock: Clock;
  log: Logger;
  /** The clock libss7's timers are polled on (defaults to `clock`; see drivers/ss7/isup-link.ts). */
  signallingClock?: Clock;
  libss7?: LibSs7;
}

function outcomeOf(cause: number): IsupDialOutcome {
  const kind = cause === Q850.USER_BUSY ? 'busy' : cause === Q850.NO_USER_RESPONSE || cause === Q850.NO_ANSWER ? 'no-answer' : 'failed';
  return { outcome: kind, cause };
}

export class IsupExchangeCall {
  private stateNow: IsupExchangeCallState = 'setup';
  private cause: number | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly cic: number,
    /** `in`: placed by the exchange into the appliance; `out`: placed by the appliance. */
    readonly direction: 'in' | 'out',
    readonly calling: string,
    readonly called: string,
    readonly bearer: TdmChannel,
    private readonly isup: IsupSignalling,
    private readonly clock: Clock,
  ) {}

  get state(): IsupExchangeCallState {
    return this.stateNow;
  }

  /** The Q.850 cause the call was cleared with, once released. */
  get clearingCause(): number | null {
    return this.cause;
  }

  /** Resolves when `state` is reached (or passed); rejects on timeout, or when released first. */
  waitFor(state: IsupExchangeCallState, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: TimerHandle | null = null;
      const check = (): boolean => {
        if (order[this.stateNow] >= order[state] && (state === 'released' || this.stateNow !== 'released')) {
          resolve();
          return true;
        }
        if (this.stateNow === 'released') {
          reject(new DriverError('sim_ss7_expect', null, `call on CIC ${this.cic} released (cause ${this.cause}) before ${state}`));
          return true;
        }
        return false;
      };
      if (check()) return;
      const waiter = (): void => {
        if (!check()) return;
        timer?.cancel();
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      timer = this.clock.setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new DriverError('sim_ss7_expect', null, `call on CIC ${this.cic}: no ${state} within ${timeoutMs} ms (state ${this.stateNow})`));
      }, timeoutMs);
    });
  }

  /** For calls the exchange placed: answered, or how it failed. */
  async outcome(timeoutMs: number): Promise<IsupDialOutcome> {
    await this.waitFor('answered', timeoutMs).catch((err: unknown) => {
      if (this.stateNow !== 'released') throw err;
    });
    return this.cause !== null ? outcomeOf(this.cause) : { outcome: 'answered' };
  }

  /** ACM for a call from the appliance. */
  acm(): void {
    this.isup.acm(this.cic);
    this.move('alerting');
  }

  /** ANM for a call from the appliance. */
  anm(): void {
    this.isup.anm(this.cic);
    this.move('answered');
  }

  /** REL with a Q.850 cause (default 16); `released` follows the appliance's RLC. */
  rel(cause: number = Q850.NORMAL_CLEARING): void {
    if (this.stateNow === 'released') return;
    this.cause = cause;
    this.isup.rel(this.cic, cause);
  }

  /** Exchange side. */
  move(to: IsupExchangeCallState): void {
    if (this.stateNow === 'released' || order[to] <= order[this.stateNow]) return;
    this.stateNow = to;
    for (const w of [...this.waiters]) w();
  }

  /** Exchange side. */
  released(cause: number): void {
    this.cause ??= cause;
    this.stateNow = 'released';
    for (const w of [...this.waiters]) w();
  }
}

export class SimSs7Exchange {
  private readonly link: IsupLink;
  private readonly span: Span;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly calls = new Map<number, IsupExchangeCall>();
  private readonly unclaimed: IsupExchangeCall[] = [];
  private readonly claimers: ((c: IsupExchangeCall) => void)[] = [];
  private readonly upWaiters = new Set<() => void>();
  private closed = false;

  constructor(opts: SimSs7ExchangeOptions, deps: SimSs7ExchangeDeps) {
    this.span = opts.span;
    this.clock = deps.clock;
    this.log = deps.log.child({ mod: 'drivers.sim.ss7-exchange', spanNo: opts.span.spanNo });
    this.link = bindIsup(
      opts.span,
      {
        pc: opts.pc ?? 2,
        adjPc: opts.adjPc ?? 1,
        ...(opts.cicBase !== undefined ? { cicBase: opts.cicBase } : {}),
        ...(opts.isupTimers ? { isupTimers: opts.isupTimers } : {}),
      },
      { clock: deps.signallingClock ?? deps.clock, log: deps.log, ...(deps.libss7 ? { libss7: deps.libss7 } : {}) },
    );
    const isup = this.link.isup;
    isup.on('linkUp', () => {
      for (const w of [...this.upWaiters]) w();
    });
    isup.on('iam', (iam) => {
      const call = this.track(iam.cic, 'out', iam.calling, iam.called);
      if (!call) return;
      const claim = this.claimers.shift();
      if (claim) claim(call);
      else this.unclaimed.push(call);
    });
    isup.on('acm', (e) => this.calls.get(e.cic)?.move('alerting'));
    isup.on('anm', (e) => this.calls.get(e.cic)?.move('answered'));
    isup.on('rel', (e) => this.finish(e.cic, e.cause));
    isup.on('rlc', (e) => this.finish(e.cic, Q850.NORMAL_CLEARING));
  }

  /** The ISUP signalling, for what the script API does not cover (GRS, BLO/UBL, …). */
  get isup(): IsupSignalling {
    return this.link.isup;
  }

  get linkUp(): boolean {
    return this.link.isup.linkUp;
  }

  /** Resolves once the linkset is up; rejects after `timeoutMs` on the clock. */
  waitLinkUp(timeoutMs: number): Promise<void> {
    if (this.linkUp) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        timer.cancel();
        this.upWaiters.delete(done);
        resolve();
      };
      const timer = this.clock.setTimeout(() => {
        this.upWaiters.delete(done);
        reject(new DriverError('sim_ss7_expect', null, `span ${this.span.spanNo}: SS7 linkset not up within ${timeoutMs} ms`));
      }, timeoutMs);
      this.upWaiters.add(done);
    });
  }

  /** IAM towards the appliance. Refusals are values, not errors. */
  placeCall(p: IsupPlaceCallParams): IsupPlaceCallResult {
    this.assertOpen('placeCall');
    const isup = this.link.isup;
    const cic = p.cic ?? isup.cics.find((c) => !this.calls.has(c) && isup.callLevel(c) === 'idle' && !isup.blocking(c)?.remote && !isup.blocking(c)?.local);
    if (cic === undefined) return { ok: false, reason: 'cic-busy' };
    const sent = isup.iam({ cic, calling: p.calling, called: p.called, ...(p.presentation ? { presentation: p.presentation } : {}) });
    if (sent !== 'sent') return { ok: false, reason: sent };
    const call = this.track(cic, 'in', p.calling, p.called);
    if (!call) throw new DriverError('isup_iam', null, `span ${this.span.spanNo} has no bearer for CIC ${cic}`);
    return { ok: true, call };
  }

  /** The next call the appliance places towards the exchange. */
  expectCall(timeoutMs: number): Promise<IsupExchangeCall> {
    const ready = this.unclaimed.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const claim = (c: IsupExchangeCall): void => {
        timer.cancel();
        resolve(c);
      };
      const timer = this.clock.setTimeout(() => {
        const i = this.claimers.indexOf(claim);
        if (i >= 0) this.claimers.splice(i, 1);
        reject(new DriverError('sim_ss7_expect', null, `span ${this.span.spanNo}: no IAM from the appliance within ${timeoutMs} ms`));
      }, timeoutMs);
      this.claimers.push(claim);
    });
  }

  /** The call on a CIC, if any. */
  call(cic: number): IsupExchangeCall | null {
    return this.calls.get(cic) ?? null;
  }

  get activeCalls(): number {
    return this.calls.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.link.close();
  }

  private finish(cic: number, cause: number): void {
    const call = this.calls.get(cic);
    if (!call) return;
    this.calls.delete(cic);
    call.released(cause);
    this.log.debug({ cic, cause }, 'call released');
  }

  private track(cic: number, direction: 'in' | 'out', calling: string, called: string): IsupExchangeCall | null {
    const ts = this.link.isup.timeslotOf(cic);
    const bearer = this.span.bChannels.find((b) => b.timeslot === ts);
    if (!bearer) return null;
    const call = new IsupExchangeCall(cic, direction, calling, called, bearer, this.link.isup, this.clock);
    this.calls.set(cic, call);
    return call;
  }

  private assertOpen(call: string): void {
    if (this.closed) throw new DriverError(call, null, `SS7 exchange on span ${this.span.spanNo} is closed`);
  }
}
