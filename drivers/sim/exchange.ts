/**
 * SimExchange: the carrier's switch at the far end of a simulated E1, the network side of ISDN
 * PRI (ITU-T Q.931 / ETSI EN 300 102, libpri in NET mode) over a span's D channel. Tests and the
 * demo script it: place calls into the appliance with calling/called numbers, answer or reject
 * the calls the appliance places, play audio on the B channel and record what comes back.
 *
 * A call's audio runs in step with the line: every block the exchange receives on the call's
 * timeslot is recorded (when recording) and answered with the next block of what it plays, so
 * nothing here keeps time but the expectation timeouts, which use the injected Clock.
 *
 * How a call ended is a value (`DialOutcome`, with the Q.850 cause), as in the appliance's dial().
 */
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import type { Logger } from '../../appliance/core/log.js';
import type { LibPri } from '../libpri/ffi.js';
import { Q850, type NumberPlan, type Presentation, type PriHangup, type PriSignalling } from '../libpri/pri-span.js';
import { DriverError, FRAME_BYTES, type Span, type TdmChannel } from '../types.js';
import { bindPri, type PriLink } from './pri-link.js';

/** Where played audio comes from: the next 160-byte A-law block, or null when it has ended. */
export type FrameSource = () => Uint8Array | null;

export const ExchangeCallStates = ['setup', 'proceeding', 'alerting', 'connected', 'released'] as const;
export type ExchangeCallState = (typeof ExchangeCallStates)[number];

const order: Readonly<Record<ExchangeCallState, number>> = { setup: 0, proceeding: 1, alerting: 2, connected: 3, released: 4 };

export type DialOutcome =
  | { readonly outcome: 'answered' }
  | { readonly outcome: 'busy' | 'no-answer' | 'failed'; readonly cause: number; readonly causeText: string };

export type PlaceCallResult =
  | { readonly ok: true; readonly call: ExchangeCall }
  | { readonly ok: false; readonly reason: 'dchan-down' | 'channel-busy' | 'no-channel' };

export interface PlaceCallParams {
  calling: string;
  called: string;
  /** B channel (= E1 timeslot); the lowest idle one when omitted. */
  channel?: number;
  callingName?: string;
  presentation?: Presentation;
  plan?: NumberPlan;
}

export interface SimExchangeOptions {
  span: Span;
  /** libpri timer overrides, e.g. shortened T200/T203 for tests (libpri timers run on wall time). */
  timers?: Readonly<Record<string, number>>;
}

export interface SimExchangeDeps {
  /** Expectation timeouts. */
  clock: Clock;
  log: Logger;
  /** The clock libpri's timers are polled on (defaults to `clock`; see drivers/libpri/pri-span.ts). */
  signallingClock?: Clock;
  libpri?: LibPri;
}

function outcomeOf(h: PriHangup): DialOutcome {
  const kind = h.cause === Q850.USER_BUSY ? 'busy' : h.cause === Q850.NO_USER_RESPONSE || h.cause === Q850.NO_ANSWER ? 'no-answer' : 'failed';
  return { outcome: kind, cause: h.cause, causeText: h.causeText };
}

export class ExchangeCall {
  private stateNow: ExchangeCallState = 'setup';
  private hangupInfo: PriHangup | null = null;
  private source: FrameSource | null = null;
  private recorded: Uint8Array[] | null = null;
  private readonly waiters = new Set<() => void>();
  private readonly onFrame = (frame: Uint8Array): void => this.lineBlock(frame);

  constructor(
    readonly channel: number,
    /** `in`: placed by the exchange into the appliance; `out`: placed by the appliance. */
    readonly direction: 'in' | 'out',
    readonly calling: string,
    readonly called: string,
    private readonly pri: PriSignalling,
    private readonly bearer: TdmChannel,
    private readonly clock: Clock,
  ) {
    bearer.on('frame', this.onFrame);
  }

  get state(): ExchangeCallState {
    return this.stateNow;
  }

  /** The clearing (cause, who cleared), once released. */
  get clearing(): PriHangup | null {
    return this.hangupInfo;
  }

  /** Resolves when `state` is reached (or passed); rejects on timeout, or when released first. */
  waitFor(state: ExchangeCallState, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: TimerHandle | null = null;
      const check = (): boolean => {
        if (order[this.stateNow] >= order[state] && (state === 'released' || this.stateNow !== 'released')) {
          resolve();
          return true;
        }
        if (this.stateNow === 'released') {
          reject(new DriverError('sim_exchange_expect', null, `call on channel ${this.channel} released (cause ${this.hangupInfo?.cause}) before ${state}`));
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
        reject(new DriverError('sim_exchange_expect', null, `call on channel ${this.channel}: no ${state} within ${timeoutMs} ms (state ${this.stateNow})`));
      }, timeoutMs);
    });
  }

  /** For calls the exchange placed: answered, or how it failed. */
  async outcome(timeoutMs: number): Promise<DialOutcome> {
    await this.waitFor('connected', timeoutMs).catch((err: unknown) => {
      if (this.stateNow !== 'released') throw err;
    });
    return this.hangupInfo ? outcomeOf(this.hangupInfo) : { outcome: 'answered' };
  }

  /** ALERTING for a call from the appliance. */
  alerting(): void {
    this.pri.alerting(this.channel);
    this.move('alerting');
  }

  /** CONNECT for a call from the appliance. */
  answer(): void {
    this.pri.answer(this.channel);
    this.move('connected');
  }

  /** DISCONNECT with a Q.850 cause (default 16, normal clearing). */
  hangup(cause: number = Q850.NORMAL_CLEARING): void {
    if (this.stateNow === 'released') return;
    this.pri.hangup(this.channel, cause);
  }

  /** Play blocks on the B channel until the source ends (or `stopPlaying`). */
  play(source: FrameSource | readonly Uint8Array[]): void {
    if (typeof source === 'function') {
      this.source = source;
      return;
    }
    let i = 0;
    this.source = () => source[i++] ?? null;
  }

  stopPlaying(): void {
    this.source = null;
  }

  get playing(): boolean {
    return this.source !== null;
  }

  /** Start (or restart) recording what the exchange hears on the B channel. */
  startRecording(): void {
    this.recorded = [];
  }

  /** Everything recorded so far, as one A-law buffer. */
  recording(): Uint8Array {
    const parts = this.recorded ?? [];
    const out = new Uint8Array(parts.length * FRAME_BYTES);
    parts.forEach((p, i) => out.set(p, i * FRAME_BYTES));
    return out;
  }

  /** Exchange side. */
  move(to: ExchangeCallState): void {
    if (this.stateNow === 'released' || order[to] <= order[this.stateNow]) return;
    this.stateNow = to;
    for (const w of [...this.waiters]) w();
  }

  /** Exchange side. */
  released(h: PriHangup): void {
    this.hangupInfo = h;
    this.source = null;
    this.bearer.off('frame', this.onFrame);
    this.stateNow = 'released';
    for (const w of [...this.waiters]) w();
  }

  private lineBlock(frame: Uint8Array): void {
    this.recorded?.push(frame.slice());
    if (!this.source) return;
    const next = this.source();
    if (next === null) this.source = null;
    else this.bearer.write(next);
  }
}

export class SimExchange {
  private readonly link: PriLink;
  private readonly span: Span;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly calls = new Map<number, ExchangeCall>();
  private readonly unclaimed: ExchangeCall[] = [];
  private readonly claimers: ((c: ExchangeCall) => void)[] = [];
  private readonly upWaiters = new Set<() => void>();
  private closed = false;

  constructor(opts: SimExchangeOptions, deps: SimExchangeDeps) {
    this.span = opts.span;
    this.clock = deps.clock;
    this.log = deps.log.child({ mod: 'drivers.sim.exchange', spanNo: opts.span.spanNo });
    this.link = bindPri(
      opts.span,
      { side: 'net', ...(opts.timers ? { timers: opts.timers } : {}) },
      { clock: deps.signallingClock ?? deps.clock, log: deps.log, ...(deps.libpri ? { libpri: deps.libpri } : {}) },
    );
    const pri = this.link.pri;
    pri.on('dchanUp', () => {
      for (const w of [...this.upWaiters]) w();
    });
    pri.on('ring', (r) => {
      const call = this.track(r.channel, 'out', r.calling, r.called);
      if (!call) return;
      const claim = this.claimers.shift();
      if (claim) claim(call);
      else this.unclaimed.push(call);
    });
    pri.on('proceeding', (e) => this.calls.get(e.channel)?.move('proceeding'));
    pri.on('ringing', (e) => this.calls.get(e.channel)?.move('alerting'));
    pri.on('answer', (e) => this.calls.get(e.channel)?.move('connected'));
    pri.on('hangup', (h) => {
      const call = this.calls.get(h.channel);
      if (!call) return;
      this.calls.delete(h.channel);
      call.released(h);
      this.log.debug({ channel: h.channel, cause: h.cause, by: h.by }, 'call released');
    });
  }

  /** The PRI signalling, for what the script API does not cover (RESTART, …). */
  get pri(): PriSignalling {
    return this.link.pri;
  }

  get dchanUp(): boolean {
    return this.link.pri.dchanUp;
  }

  /** Resolves once Q.921 is up; rejects after `timeoutMs` on the clock. */
  waitDchanUp(timeoutMs: number): Promise<void> {
    if (this.dchanUp) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        timer.cancel();
        this.upWaiters.delete(done);
        resolve();
      };
      const timer = this.clock.setTimeout(() => {
        this.upWaiters.delete(done);
        reject(new DriverError('sim_exchange_expect', null, `span ${this.span.spanNo}: D channel not up within ${timeoutMs} ms`));
      }, timeoutMs);
      this.upWaiters.add(done);
    });
  }

  /** SETUP towards the appliance. Refusals are values, not errors. */
  placeCall(p: PlaceCallParams): PlaceCallResult {
    this.assertOpen('placeCall');
    const channel = p.channel ?? this.span.bChannels.find((b) => !this.calls.has(b.timeslot))?.timeslot;
    if (channel === undefined) return { ok: false, reason: 'no-channel' };
    if (this.calls.has(channel)) return { ok: false, reason: 'channel-busy' };
    const sent = this.link.pri.setup({
      channel,
      calling: p.calling,
      called: p.called,
      ...(p.callingName !== undefined ? { callingName: p.callingName } : {}),
      ...(p.presentation ? { presentation: p.presentation } : {}),
      ...(p.plan ? { plan: p.plan } : {}),
    });
    if (sent !== 'sent') return { ok: false, reason: sent };
    const call = this.track(channel, 'in', p.calling, p.called);
    if (!call) throw new DriverError('pri_setup', null, `span ${this.span.spanNo} has no B channel ${channel}`);
    return { ok: true, call };
  }

  /** The next call the appliance places towards the exchange. */
  expectCall(timeoutMs: number): Promise<ExchangeCall> {
    const ready = this.unclaimed.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const claim = (c: ExchangeCall): void => {
        timer.cancel();
        resolve(c);
      };
      const timer = this.clock.setTimeout(() => {
        const i = this.claimers.indexOf(claim);
        if (i >= 0) this.claimers.splice(i, 1);
        reject(new DriverError('sim_exchange_expect', null, `span ${this.span.spanNo}: no call from the appliance within ${timeoutMs} ms`));
      }, timeoutMs);
      this.claimers.push(claim);
    });
  }

  /** The call on a B channel, if any. */
  call(channel: number): ExchangeCall | null {
    return this.calls.get(channel) ?? null;
  }

  get activeCalls(): number {
    return this.calls.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.link.close();
  }

  private track(channel: number, direction: 'in' | 'out', calling: string, called: string): ExchangeCall | null {
    const bearer = this.span.bChannels.find((b) => b.timeslot === channel);
    if (!bearer) return null;
    const call = new ExchangeCall(channel, direction, calling, called, this.link.pri, bearer, this.clock);
    this.calls.set(channel, call);
    return call;
  }

  private assertOpen(call: string): void {
    if (this.closed) throw new DriverError(call, null, `exchange on span ${this.span.spanNo} is closed`);
  }
}
