/**
 * One E1 span of the simulated card: its bearers, its timeslot-16 D channel, and the receive-side
 * alarm state with the dahdi_spaninfo counters (dahdi/user.h).
 *
 * Alarm behaviour, ITU-T G.775 / G.732 as DAHDI reports it:
 * - LOS: no signal at the receiver (cable pulled, far span closed). Raised at the first 20 ms
 *   tick without signal and cleared at the first tick with it.
 * - RED: loss of frame alignment. Raised once the signal has been missing for `redAfterMs`
 *   (the integration time), cleared once it has been back for `clearAfterMs`. A span starts in
 *   RED until it first finds frame alignment, as a real framer does.
 * - YELLOW: the far end sends remote alarm indication (G.704 §2.3.2, bit A of the NFAS word);
 *   it does so automatically while it is in RED, or when told to (fault injection).
 * - BLUE: the far end sends AIS (all ones).
 * While RED, LOS or BLUE the span carries nothing: no B-channel blocks, no D-channel frames.
 */
import { EventEmitter } from 'node:events';
import {
  DriverError,
  E1_BEARER_TIMESLOTS,
  E1_SIGNALLING_TIMESLOT,
  E1_TIMESLOTS,
  SpanAlarms,
  type Span,
  type SpanAlarm,
  type SpanConfig,
  type SpanStatus,
} from '../types.js';
import { SimDChannel, SimTdmChannel } from './channels.js';

export interface AlarmTiming {
  /** How long the signal must be missing before RED (default 100 ms). */
  redAfterMs: number;
  /** How long the signal must be back before RED clears (default 100 ms). */
  clearAfterMs: number;
}

/** What the receiver sees in one tick. */
export interface LineCondition {
  readonly signal: boolean;
  readonly ais: boolean;
  readonly rai: boolean;
}

/** DAHDI numbers channels card-wide, 31 per E1 span. */
export function chanNoOf(spanNo: number, timeslot: number): number {
  return (spanNo - 1) * (E1_TIMESLOTS - 1) + timeslot;
}

export function validateSpanConfig(spanNo: number, cfg: SpanConfig): void {
  const ccsOnly = ['pri_cpe', 'pri_net', 'ss7'];
  if (cfg.framing === 'cas' && ccsOnly.includes(cfg.signalling))
    throw new DriverError('DAHDI_SPANCONFIG', null, `span ${spanNo}: ${cfg.signalling} needs CCS framing (timeslot 16 as a common channel)`);
  if (cfg.framing === 'ccs' && cfg.signalling === 'r2')
    throw new DriverError('DAHDI_SPANCONFIG', null, `span ${spanNo}: R2 needs CAS framing (ABCD bits in timeslot 16)`);
  if (!Number.isInteger(cfg.timing) || cfg.timing < 0) throw new DriverError('DAHDI_SPANCONFIG', null, `span ${spanNo}: timing must be an integer ≥ 0`);
}

export class SimSpan implements Span {
  readonly bChannels: readonly SimTdmChannel[];
  readonly dChannel: SimDChannel | null;
  /** Bearers by timeslot (index 0 and the signalling timeslot are empty). */
  readonly byTimeslot: readonly (SimTdmChannel | undefined)[];
  bpvCount = 0;
  crc4Count = 0;
  ebitCount = 0;
  fasCount = 0;
  slips = 0;
  syncSrc = 0;
  /** Fault injection: send RAI towards the far end even when our receiver is fine. */
  forcedRai = false;
  /** Fault injection: send AIS (all ones) towards the far end. */
  sendingAis = false;
  private readonly alarmSet = new Set<SpanAlarm>(['red', 'los']);
  private lossSince: number;
  private signalSince: number | null = null;
  private readonly events = new EventEmitter();
  private closed = false;

  constructor(
    readonly spanNo: number,
    readonly config: SpanConfig,
    private readonly timing: AlarmTiming,
    openedAt: number,
    private readonly onClose: (span: SimSpan) => void,
  ) {
    validateSpanConfig(spanNo, config);
    const hasD = config.framing === 'ccs' && ['pri_cpe', 'pri_net', 'ss7'].includes(config.signalling);
    const timeslots = config.framing === 'cas' || hasD ? E1_BEARER_TIMESLOTS : [...E1_BEARER_TIMESLOTS, E1_SIGNALLING_TIMESLOT].sort((a, b) => a - b);
    const cas = config.framing === 'cas';
    this.bChannels = timeslots.map((ts) => new SimTdmChannel(spanNo, ts, chanNoOf(spanNo, ts), cas));
    const byTs: (SimTdmChannel | undefined)[] = new Array(E1_TIMESLOTS).fill(undefined);
    for (const ch of this.bChannels) byTs[ch.timeslot] = ch;
    this.byTimeslot = byTs;
    this.dChannel = hasD ? new SimDChannel(spanNo) : null;
    this.lossSince = openedAt;
    this.events.setMaxListeners(0);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get alarms(): ReadonlySet<SpanAlarm> {
    return this.alarmSet;
  }

  /** The receiver is framed and not in AIS: traffic flows. */
  get inService(): boolean {
    return !this.alarmSet.has('red') && !this.alarmSet.has('los') && !this.alarmSet.has('blue');
  }

  /** G.704: a span in RED tells the far end so (RAI), as does an injected far-end alarm. */
  get sendingRai(): boolean {
    return this.forcedRai || this.alarmSet.has('red');
  }

  status(): SpanStatus {
    return {
      spanNo: this.spanNo,
      alarms: SpanAlarms.filter((a) => this.alarmSet.has(a)),
      bpvCount: this.bpvCount,
      crc4Count: this.crc4Count,
      ebitCount: this.ebitCount,
      fasCount: this.fasCount,
      slips: this.slips,
      syncSrc: this.syncSrc,
    };
  }

  on(event: 'alarm', fn: (status: SpanStatus) => void): this {
    this.events.on(event, fn);
    return this;
  }

  off(event: 'alarm', fn: (status: SpanStatus) => void): this {
    this.events.off(event, fn);
    return this;
  }

  /** Card side, once per tick: update the alarms from what the receiver sees. */
  receiveLine(cond: LineCondition, now: number): void {
    const before = this.status().alarms.join(',');
    if (!cond.signal) {
      this.signalSince = null;
      this.alarmSet.add('los');
      if (now - this.lossSince >= this.timing.redAfterMs) this.alarmSet.add('red');
    } else {
      this.lossSince = now;
      this.alarmSet.delete('los');
      this.signalSince ??= now;
      if (now - this.signalSince >= this.timing.clearAfterMs) this.alarmSet.delete('red');
    }
    if (cond.signal && cond.ais) this.alarmSet.add('blue');
    else this.alarmSet.delete('blue');
    if (cond.signal && cond.rai && !this.alarmSet.has('red')) this.alarmSet.add('yellow');
    else this.alarmSet.delete('yellow');
    const after = this.status();
    if (after.alarms.join(',') !== before) this.events.emit('alarm', after);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ch of this.bChannels) ch.flushTx();
    this.dChannel?.flushTx();
    this.events.removeAllListeners();
    this.onClose(this);
  }
}
