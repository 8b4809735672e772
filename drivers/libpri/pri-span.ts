/**
 * PriSignalling: ISDN PRI signalling of one E1 span through libpri, ITU-T Q.921 (LAPD) and
 * Q.931 as profiled by ETSI EN 300 102 (EuroISDN E1, which China's ITU-style PRI follows), for
 * either side of the link: `cpe` (user side, what the appliance is towards a carrier) or `net`
 * (network side, what the simulated exchange is).
 *
 * The D channel is in memory: frames from the line come in through `receiveFrame()`, frames for
 * the line leave through the `transmit` callback. A card driver (sim or DAHDI) wires those two to
 * its DChannel. Like Asterisk's sig_pri, this object knows nothing of B-channel audio; it reports
 * call progress as typed events and takes call-control verbs named after the Q.931 messages.
 *
 * Call levels follow sig_pri's `enum sig_pri_call_level` (SETUP → PROCEEDING → ALERTING →
 * CONNECT), plus `releasing` once DISCONNECT/RELEASE has been sent or received.
 *
 * Timers. libpri keeps its own Q.921/Q.931 timers (T200, T203, T303, T305, T308 …) stamped with
 * gettimeofday(), and the Debian build exports only `pri_schedule_run()`, which compares them
 * with gettimeofday() too. We therefore turn libpri's absolute stamp into a delay against the host
 * wall time (`Date.now()`, the same source libpri reads) and wait that delay on the injected
 * Clock. The caveat: the Clock decides when we look, but libpri decides what has expired by the
 * real wall clock, so a ManualClock cannot make libpri's timers fire early, and a wall-clock
 * step (NTP) stretches or shortens them. Run spans on the system clock.
 */
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import { InvalidTransitionError } from '../../appliance/core/errors.js';
import type { Logger } from '../../appliance/core/log.js';
import { DriverError } from '../types.js';
import {
  loadLibPri,
  PRI_CPE,
  PRI_DEBUG_Q921_STATE,
  PRI_DEBUG_Q931_DUMP,
  PRI_DEBUG_Q931_STATE,
  PRI_INTERNATIONAL_ISDN,
  PRI_LAYER_1_ALAW,
  PRI_LOCAL_ISDN,
  PRI_NATIONAL_ISDN,
  PRI_NETWORK,
  PRI_PRES_ALLOWED,
  PRI_PRES_NETWORK_NUMBER,
  PRI_PRES_RESTRICTED,
  PRI_PRES_RESTRICTION,
  PRI_PRES_UNAVAILABLE,
  PRI_PRES_USER_NUMBER_UNSCREENED,
  PRI_SWITCH_EUROISDN_E1,
  PRI_TRANS_CAP_SPEECH,
  PRI_UNKNOWN,
  type LibPri,
  type PriEvent,
  type PriHandle,
  type Q931Call,
} from './ffi.js';

/** Q.850 causes this module uses by name. */
export const Q850 = {
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  CALL_REJECTED: 21,
  NORMAL_UNSPECIFIED: 31,
  REQUESTED_CHAN_UNAVAIL: 44,
} as const;

/** Q.931 §4.5.10 presentation indicator. */
export type Presentation = 'allowed' | 'restricted' | 'unavailable';
/** Q.931 §4.5.8 type of number, with the ISDN/E.164 numbering plan. */
export type NumberPlan = 'unknown' | 'international' | 'national' | 'local';

export const PriCallLevels = ['setup', 'proceeding', 'alerting', 'connect', 'releasing'] as const;
export type PriCallLevel = (typeof PriCallLevels)[number];

/** Allowed level changes; `releasing` is terminal until libpri frees the call record. */
const nextLevels: Readonly<Record<PriCallLevel, readonly PriCallLevel[]>> = {
  setup: ['proceeding', 'alerting', 'connect', 'releasing'],
  proceeding: ['alerting', 'connect', 'releasing'],
  alerting: ['connect', 'releasing'],
  connect: ['releasing'],
  releasing: [],
};

export interface PriRing {
  readonly channel: number;
  readonly calling: string;
  readonly callingName: string;
  readonly called: string;
  readonly presentation: Presentation;
  /** Sending complete (en-bloc); false means more digits may follow (overlap). */
  readonly complete: boolean;
}

export interface PriHangup {
  readonly channel: number;
  /** Q.850 cause value. */
  readonly cause: number;
  readonly causeText: string;
  /** Which side cleared first. */
  readonly by: 'local' | 'remote';
}

export interface PriSignallingEvents {
  dchanUp: { readonly spanNo: number };
  dchanDown: { readonly spanNo: number };
  ring: PriRing;
  proceeding: { readonly channel: number };
  progress: { readonly channel: number; readonly inband: boolean };
  ringing: { readonly channel: number; readonly inband: boolean };
  answer: { readonly channel: number };
  hangup: PriHangup;
  restart: { readonly channel: number };
  restartAck: { readonly channel: number };
  configError: { readonly err: string };
}
type EventName = keyof PriSignallingEvents;
type Listener<K extends EventName> = (payload: PriSignallingEvents[K]) => void;

export interface PriSignallingOptions {
  spanNo: number;
  side: 'cpe' | 'net';
  /** Called with each frame for the D channel (LAPD frame + 2 FCS bytes), outside libpri. */
  transmit: (frame: Uint8Array) => void;
  /** Log Q.921 state and Q.931 messages at debug level. */
  debug?: boolean;
  /**
   * Overrides of libpri's protocol timers by their Q.921/Q.931 names (ms; N200 and K are counts),
   * e.g. `{ T200: 1000, T203: 10000, N200: 3, T309: 6000 }`, libpri's EuroISDN defaults.
   */
  timers?: Readonly<Record<string, number>>;
}

export interface PriSignallingDeps {
  clock: Clock;
  log: Logger;
  /** Defaults to the system libpri. */
  libpri?: LibPri;
}

export interface SetupParams {
  channel: number;
  called: string;
  calling: string;
  callingName?: string;
  presentation?: Presentation;
  plan?: NumberPlan;
}

/** Why a setup did not go out; not errors, a caller picks another channel or route. */
export type SetupResult = 'sent' | 'dchan-down' | 'channel-busy';

interface CallRecord {
  readonly channel: number;
  readonly call: Q931Call;
  readonly direction: 'inbound' | 'outbound';
  level: PriCallLevel;
  /** Set once `hangup` has been emitted for this call. */
  reported: boolean;
  localCause: number | null;
}

const planCode: Readonly<Record<NumberPlan, number>> = {
  unknown: PRI_UNKNOWN,
  international: PRI_INTERNATIONAL_ISDN,
  national: PRI_NATIONAL_ISDN,
  local: PRI_LOCAL_ISDN,
};

const presCode: Readonly<Record<Presentation, number>> = {
  allowed: PRI_PRES_ALLOWED | PRI_PRES_USER_NUMBER_UNSCREENED,
  restricted: PRI_PRES_RESTRICTED | PRI_PRES_USER_NUMBER_UNSCREENED,
  unavailable: PRI_PRES_UNAVAILABLE | PRI_PRES_NETWORK_NUMBER,
};

function presentationOf(code: number): Presentation {
  switch (code & PRI_PRES_RESTRICTION) {
    case PRI_PRES_ALLOWED:
      return 'allowed';
    case PRI_PRES_RESTRICTED:
      return 'restricted';
    default:
      return 'unavailable';
  }
}

// libpri.h PRI_PROG_INBAND_AVAILABLE: Q.931 §4.5.23 progress description 8.
const PRI_PROG_INBAND_AVAILABLE = 1 << 3;

export class PriSignalling {
  readonly spanNo: number;
  readonly side: 'cpe' | 'net';
  private readonly lib: LibPri;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly transmit: (frame: Uint8Array) => void;
  private readonly pri: PriHandle;
  private readonly releaseIo: () => void;
  private readonly stopMessages: () => void;
  private readonly rxq: Uint8Array[] = [];
  private readonly outbox: Uint8Array[] = [];
  private readonly calls = new Map<number, CallRecord>();
  private readonly listeners = new Map<EventName, Set<Listener<never>>>();
  private timer: TimerHandle | null = null;
  private timerDue: number | null = null;
  private pumpQueued = false;
  private closed = false;
  private up = false;

  constructor(opts: PriSignallingOptions, deps: PriSignallingDeps) {
    this.spanNo = opts.spanNo;
    this.side = opts.side;
    this.transmit = opts.transmit;
    this.clock = deps.clock;
    this.log = deps.log.child({ mod: 'drivers.libpri', spanNo: opts.spanNo, side: opts.side });
    this.lib = deps.libpri ?? loadLibPri();
    const { pri, release } = this.lib.newCb(opts.side === 'cpe' ? PRI_CPE : PRI_NETWORK, PRI_SWITCH_EUROISDN_E1, {
      read: (into) => {
        const frame = this.rxq.shift();
        if (!frame) return 0;
        const n = Math.min(frame.length, into.length);
        into.set(frame.subarray(0, n));
        return n;
      },
      write: (frame) => {
        this.outbox.push(frame);
      },
    });
    this.pri = pri;
    this.releaseIo = release;
    this.stopMessages = this.lib.onMessage(pri, (level, text) => {
      if (level === 'error') this.log.warn({ text }, 'libpri error');
      else this.log.debug({ text }, 'libpri message');
    });
    for (const [name, value] of Object.entries(opts.timers ?? {})) this.lib.setTimer(pri, name, value);
    if (opts.debug) this.lib.setDebug(pri, PRI_DEBUG_Q921_STATE | PRI_DEBUG_Q931_STATE | PRI_DEBUG_Q931_DUMP);
    // pri_new_cb has already queued the first SABME (NET and CPE both start Q.921 establishment).
    this.settle();
  }

  /** Q.921 multiple-frame established. */
  get dchanUp(): boolean {
    return this.up;
  }

  /** The level of the call on `channel`, or null when the channel is idle. */
  callLevel(channel: number): PriCallLevel | null {
    return this.calls.get(channel)?.level ?? null;
  }

  on<K extends EventName>(event: K, fn: Listener<K>): this {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(fn as Listener<never>);
    return this;
  }

  off<K extends EventName>(event: K, fn: Listener<K>): this {
    this.listeners.get(event)?.delete(fn as Listener<never>);
    return this;
  }

  /** A frame from the D channel (with its 2 FCS bytes). Copied; handled on the next turn. */
  receiveFrame(frame: Uint8Array): void {
    if (this.closed) return;
    this.rxq.push(frame.slice());
    if (!this.pumpQueued) {
      this.pumpQueued = true;
      setImmediate(() => this.pump());
    }
  }

  /** Q.931 SETUP on `channel` (exclusive), speech, A-law. */
  setup(p: SetupParams): SetupResult {
    this.assertOpen('pri_setup');
    if (!this.up) return 'dchan-down';
    if (this.calls.has(p.channel)) return 'channel-busy';
    const call = this.lib.newCall(this.pri);
    if (call === null) throw new DriverError('pri_new_call', null, 'libpri could not allocate a call');
    const plan = planCode[p.plan ?? 'unknown'];
    const rc = this.lib.setup(this.pri, call, {
      channel: p.channel,
      exclusive: true,
      transferCapability: PRI_TRANS_CAP_SPEECH,
      userLayer1: PRI_LAYER_1_ALAW,
      called: p.called,
      calledPlan: plan,
      complete: true,
      calling: p.calling,
      callingName: p.callingName ?? '',
      callingPlan: plan,
      callingPres: presCode[p.presentation ?? 'allowed'],
    });
    if (rc !== 0) {
      this.lib.destroyCall(this.pri, call);
      this.settle();
      throw new DriverError('pri_setup', null, `pri_setup failed on channel ${p.channel}`);
    }
    this.calls.set(p.channel, { channel: p.channel, call, direction: 'outbound', level: 'setup', reported: false, localCause: null });
    this.settle();
    return 'sent';
  }

  /** CALL PROCEEDING for an inbound call (libpri `pri_proceeding`). */
  proceeding(channel: number): void {
    const rec = this.inbound('pri_proceeding', channel);
    this.move(rec, 'proceeding');
    this.check('pri_proceeding', this.lib.proceeding(this.pri, rec.call, channel, false));
  }

  /** PROGRESS with "in-band information available" (early media). */
  progress(channel: number): void {
    const rec = this.inbound('pri_progress', channel);
    this.check('pri_progress', this.lib.progress(this.pri, rec.call, channel, true));
  }

  /** ALERTING for an inbound call (libpri names this `pri_acknowledge`). */
  alerting(channel: number, inband = false): void {
    const rec = this.inbound('pri_acknowledge', channel);
    this.move(rec, 'alerting');
    this.check('pri_acknowledge', this.lib.acknowledge(this.pri, rec.call, channel, inband));
  }

  /** CONNECT for an inbound call. */
  answer(channel: number): void {
    const rec = this.inbound('pri_answer', channel);
    this.move(rec, 'connect');
    this.check('pri_answer', this.lib.answer(this.pri, rec.call, channel, false));
  }

  /**
   * Clear the call on `channel` with a Q.850 cause: DISCONNECT (or RELEASE COMPLETE for a call
   * not yet answered by us, as libpri decides). `hangup` is emitted once the call is cleared.
   */
  hangup(channel: number, cause: number = Q850.NORMAL_CLEARING): void {
    this.assertOpen('pri_hangup');
    const rec = this.calls.get(channel);
    if (!rec) throw new DriverError('pri_hangup', null, `no call on channel ${channel}`);
    if (rec.level === 'releasing') return;
    rec.localCause = cause;
    if (rec.direction === 'inbound' && rec.level === 'setup') {
      // libpri 1.6 sends nothing for a hangup in Call Present state (the call is not "alive"
      // until answered in some way): go through CALL PROCEEDING, then DISCONNECT (Q.931 §5.3.2).
      this.lib.proceeding(this.pri, rec.call, channel, false);
    }
    this.move(rec, 'releasing');
    this.check('pri_hangup', this.lib.hangup(this.pri, rec.call, cause));
  }

  /** RESTART one channel (Q.931 §5.5); the far end answers RESTART ACKNOWLEDGE. */
  restart(channel: number): void {
    this.assertOpen('pri_reset');
    this.check('pri_reset', this.lib.reset(this.pri, channel));
  }

  /**
   * Stops timers and releases the koffi callbacks. The libpri controller itself stays allocated
   * and unused: libpri has no destructor for it (see ffi.ts).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    this.rxq.length = 0;
    this.outbox.length = 0;
    this.calls.clear();
    this.stopMessages();
    this.releaseIo();
    this.listeners.clear();
  }

  private pump(): void {
    this.pumpQueued = false;
    if (this.closed) return;
    while (this.rxq.length > 0 && !this.closed) {
      const ev = this.lib.checkEvent(this.pri);
      if (ev) this.handle(ev);
      this.flush();
    }
    this.settle();
  }

  private onTimer(): void {
    this.timer = null;
    this.timerDue = null;
    if (this.closed) return;
    for (let ev = this.lib.scheduleRun(this.pri); ev !== null && !this.closed; ev = this.lib.scheduleRun(this.pri)) {
      this.handle(ev);
      this.flush();
    }
    this.settle();
  }

  /** After any libpri call: send what it wrote and re-arm its next timer. */
  private settle(): void {
    if (this.closed) return;
    this.flush();
    const due = this.lib.scheduleNext(this.pri);
    if (due === this.timerDue) return;
    this.timer?.cancel();
    this.timer = null;
    this.timerDue = due;
    if (due === null) return;
    // libpri's stamps are gettimeofday(); Date.now() is the same clock (see the file header).
    this.timer = this.clock.setTimeout(() => this.onTimer(), Math.max(1, due - Date.now()));
  }

  private flush(): void {
    while (this.outbox.length > 0 && !this.closed) {
      const frame = this.outbox.shift();
      if (frame) this.transmit(frame);
    }
  }

  private handle(ev: PriEvent): void {
    switch (ev.e) {
      case 'dchan-up':
        this.up = true;
        this.emit('dchanUp', { spanNo: this.spanNo });
        return;
      case 'dchan-down':
        this.up = false;
        this.emit('dchanDown', { spanNo: this.spanNo });
        return;
      case 'config-err':
        this.log.warn({ err: ev.err }, 'libpri config error');
        this.emit('configError', { err: ev.err });
        return;
      case 'restart':
        this.dropCall(ev.channel);
        this.emit('restart', { channel: ev.channel });
        return;
      case 'restart-ack':
        this.emit('restartAck', { channel: ev.channel });
        return;
      case 'ring':
        this.onRing(ev);
        return;
      case 'proceeding':
      case 'ringing':
      case 'answer': {
        const rec = this.byCall(ev.call);
        if (!rec) return;
        const level = ev.e === 'answer' ? 'connect' : ev.e === 'ringing' ? 'alerting' : 'proceeding';
        if (!nextLevels[rec.level].includes(level)) return;
        rec.level = level;
        if (ev.e === 'ringing') this.emit('ringing', { channel: rec.channel, inband: (ev.progressMask & PRI_PROG_INBAND_AVAILABLE) !== 0 });
        else if (ev.e === 'answer') this.emit('answer', { channel: rec.channel });
        else this.emit('proceeding', { channel: rec.channel });
        return;
      }
      case 'progress': {
        const rec = this.byCall(ev.call);
        if (rec) this.emit('progress', { channel: rec.channel, inband: (ev.progressMask & PRI_PROG_INBAND_AVAILABLE) !== 0 });
        return;
      }
      case 'hangup-req': {
        // DISCONNECT received: Q.931 §5.3.4 — answer with RELEASE (libpri does, on pri_hangup).
        const rec = this.byCall(ev.call);
        if (!rec) return;
        this.report(rec, ev.cause, 'remote');
        if (rec.level !== 'releasing') {
          rec.level = 'releasing';
          this.lib.hangup(this.pri, rec.call, ev.cause);
        }
        return;
      }
      case 'hangup': {
        // RELEASE or RELEASE COMPLETE received: libpri waits for pri_hangup to free the record.
        const rec = this.byCall(ev.call);
        if (!rec) return;
        this.calls.delete(rec.channel);
        this.report(rec, rec.localCause ?? ev.cause, rec.localCause === null ? 'remote' : 'local');
        this.lib.hangup(this.pri, ev.call, ev.cause);
        return;
      }
      case 'hangup-ack': {
        // RELEASE COMPLETE after our RELEASE: the call record is gone.
        const rec = this.byCall(ev.call);
        if (!rec) return;
        this.calls.delete(rec.channel);
        this.report(rec, rec.localCause ?? ev.cause, rec.localCause === null ? 'remote' : 'local');
        return;
      }
      default:
        this.log.debug({ event: ev.e }, 'libpri event ignored');
    }
  }

  private onRing(ev: Extract<PriEvent, { e: 'ring' }>): void {
    if (this.calls.has(ev.channel) || ev.channel <= 0) {
      // Q.931 §5.2.3.1: the requested exclusive channel is not available.
      // As in hangup(): libpri needs a response before it will send the clearing message.
      this.lib.proceeding(this.pri, ev.call, 0, false);
      this.lib.hangup(this.pri, ev.call, Q850.REQUESTED_CHAN_UNAVAIL);
      return;
    }
    this.calls.set(ev.channel, { channel: ev.channel, call: ev.call, direction: 'inbound', level: 'setup', reported: false, localCause: null });
    this.emit('ring', {
      channel: ev.channel,
      calling: ev.callingNum,
      callingName: ev.callingName,
      called: ev.calledNum,
      presentation: presentationOf(ev.callingPres),
      complete: ev.complete,
    });
  }

  private report(rec: CallRecord, cause: number, by: 'local' | 'remote'): void {
    if (rec.reported) return;
    rec.reported = true;
    this.emit('hangup', { channel: rec.channel, cause, causeText: this.lib.causeText(cause), by });
  }

  private dropCall(channel: number): void {
    const rec = this.calls.get(channel);
    if (!rec) return;
    this.calls.delete(channel);
    this.report(rec, Q850.NORMAL_UNSPECIFIED, 'remote');
  }

  private byCall(call: Q931Call): CallRecord | undefined {
    for (const rec of this.calls.values()) if (rec.call === call) return rec;
    return undefined;
  }

  private inbound(fn: string, channel: number): CallRecord {
    this.assertOpen(fn);
    const rec = this.calls.get(channel);
    if (!rec) throw new DriverError(fn, null, `no call on channel ${channel}`);
    if (rec.direction !== 'inbound') throw new InvalidTransitionError('pri call', `outbound-${rec.level}`, fn);
    return rec;
  }

  private move(rec: CallRecord, to: PriCallLevel): void {
    if (!nextLevels[rec.level].includes(to)) throw new InvalidTransitionError('pri call', rec.level, to);
    rec.level = to;
  }

  private check(fn: string, rc: number): void {
    this.settle();
    if (rc !== 0) throw new DriverError(fn, null, `${fn} returned ${rc}`);
  }

  private assertOpen(fn: string): void {
    if (this.closed) throw new DriverError(fn, null, `span ${this.spanNo} PRI signalling is closed`);
  }

  private emit<K extends EventName>(event: K, payload: PriSignallingEvents[K]): void {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        (fn as Listener<K>)(payload);
      } catch (err) {
        this.log.error({ err, event }, 'pri listener failed');
      }
    }
  }
}
