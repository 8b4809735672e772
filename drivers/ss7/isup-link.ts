/**
 * IsupSignalling: SS7 signalling of one link through libss7, ITU-T variant — MTP2 (Q.703) on a
 * signalling timeslot (timeslot 16 of an E1), MTP3 (Q.704) with our point code and the adjacent
 * one, and ISUP (Q.763 formats, Q.764 procedures) for the circuits (CICs) of the link's E1.
 *
 * The link is in memory, like drivers/libpri: signal units from the line come in through
 * `receiveFrame()` and leave through the `transmit` callback (SU + 2 FCS bytes, the DAHDI HDLC
 * convention). libss7 insists on an fd, so ffi.ts puts a socketpair between it and us (see there).
 * MTP2 on a real link sends FISUs/LSSUs back to back; here a status unit is sent when it changes
 * (its type, or the sequence numbers that acknowledge MSUs), and repeated every `keepaliveMs` so a
 * link that lost frames (a pulled cable) realigns. MSUs are always sent.
 *
 * CIC management: every bearer timeslot of the E1 has one CIC, `cicBase + timeslot` by default
 * (the usual E1 plan: CIC = timeslot on the first system), both sides must agree.
 *
 * Call levels per CIC (Q.764 §2.1–2.3): idle → setup (IAM sent or received) → alerting (ACM or
 * CPG alerting) → answered (ANM, or CON) → releasing (REL sent) → idle (RLC). A REL from the far
 * end is answered with RLC at once, as Q.764 §2.3.1 b) asks ("on receipt of a release message …
 * the exchange … shall … send a release complete message").
 *
 * Maintenance (Q.764 §2.8, §2.9): GRS on start-up resets our CICs at the far end; a GRS from the
 * far end clears calls in its range and is acknowledged with GRA whose status bits say which
 * CICs we block for maintenance. BLO/UBL block and unblock one CIC (answered with BLA/UBA). We do
 * not send an IAM on a CIC blocked at either end, and refuse an IAM on a CIC we blocked with REL
 * cause 44 (requested circuit not available) — our policy; test calls are not supported.
 *
 * Inbound overlap and continuity (inbound-offer.ts): an IAM whose called number is not complete
 * (no ST, shorter than `incoming.dnisLength`) is held while SAMs bring the rest of the digits
 * (Q.764 §2.1.1.2, T35 from the latest digit, cause 28 on expiry); an IAM that asks for a
 * continuity check is held until the COT message (Q.764 §2.1.8, T8; cause 41 when it fails or
 * never comes), and `continuity` tells the owner to loop the bearer back meanwhile. Only then is
 * `iam` emitted, with the whole number; a call cleared before that is reported as `refused`,
 * never as `iam`/`rel`. We never send SAM or COT ourselves: outbound is en bloc, without a
 * continuity check (libss7 2.0 has no call to send either).
 *
 * Timers. As with libpri, libss7 stamps its timers with gettimeofday(); we wait the difference on
 * the injected Clock, so run signalling on the system clock (a ManualClock cannot make libss7's
 * timers expire early).
 */
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import { InvalidTransitionError } from '../../appliance/core/errors.js';
import type { Logger } from '../../appliance/core/log.js';
import { DriverError, E1_BEARER_TIMESLOTS } from '../types.js';
import { DEFAULT_OFFER_TIMERS, InboundOffer, type OfferDecision } from './inbound-offer.js';
import {
  loadLibSs7,
  SS7_CAUSE_TRY_AGAIN,
  SS7_CIC_IDLE,
  SS7_CIC_NOT_EXISTS,
  SS7_CIC_USED,
  SS7_DEBUG_ISUP,
  SS7_DEBUG_MTP2,
  SS7_DEBUG_MTP3,
  SS7_HANGUP_FREE_CALL,
  SS7_HANGUP_REEVENT_IAM,
  SS7_HANGUP_SEND_REL,
  SS7_HANGUP_SEND_RLC,
  SS7_HANGUP_SEND_RSC,
  SS7_NAI_INTERNATIONAL,
  SS7_NAI_NATIONAL,
  SS7_NAI_SUBSCRIBER,
  SS7_NAI_UNKNOWN,
  SS7_NI_INT,
  SS7_NI_NAT,
  SS7_PRESENTATION_ADDR_NOT_AVAILABLE,
  SS7_PRESENTATION_ALLOWED,
  SS7_PRESENTATION_RESTRICTED,
  SS7_SCREENING_NETWORK_PROVIDED,
  SS7_SCREENING_USER_PROVIDED_NOT_VERIFIED,
  SS7_TMR_SPEECH,
  type IsupCallPtr,
  type LibSs7,
  type Ss7Event,
  type Ss7Linkset,
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
  TEMPORARY_FAILURE: 41,
} as const;

/** Q.763 §3.10 address presentation restricted indicator. */
export type Presentation = 'allowed' | 'restricted' | 'unavailable';
/** Q.763 §3.9 nature of address indicator. */
export type NatureOfAddress = 'subscriber' | 'unknown' | 'national' | 'international';

export const IsupCallLevels = ['idle', 'setup', 'alerting', 'answered', 'releasing'] as const;
export type IsupCallLevel = (typeof IsupCallLevels)[number];

/** Allowed level changes of one CIC (see the file header). */
const nextLevels: Readonly<Record<IsupCallLevel, readonly IsupCallLevel[]>> = {
  idle: ['setup'],
  setup: ['alerting', 'answered', 'releasing', 'idle'],
  alerting: ['answered', 'releasing', 'idle'],
  answered: ['releasing', 'idle'],
  releasing: ['idle'],
};

const naiCode: Readonly<Record<NatureOfAddress, number>> = {
  subscriber: SS7_NAI_SUBSCRIBER,
  unknown: SS7_NAI_UNKNOWN,
  national: SS7_NAI_NATIONAL,
  international: SS7_NAI_INTERNATIONAL,
};
const presCode: Readonly<Record<Presentation, number>> = {
  allowed: SS7_PRESENTATION_ALLOWED,
  restricted: SS7_PRESENTATION_RESTRICTED,
  unavailable: SS7_PRESENTATION_ADDR_NOT_AVAILABLE,
};

function presentationOf(code: number): Presentation {
  return code === SS7_PRESENTATION_ALLOWED ? 'allowed' : code === SS7_PRESENTATION_RESTRICTED ? 'restricted' : 'unavailable';
}

function naiOf(code: number): NatureOfAddress {
  return code === SS7_NAI_SUBSCRIBER ? 'subscriber' : code === SS7_NAI_NATIONAL ? 'national' : code === SS7_NAI_INTERNATIONAL ? 'international' : 'unknown';
}

/** Q.763 §3.11 calling party's category 0x0a: ordinary calling subscriber. */
export const CATEGORY_ORDINARY = 0x0a;

export interface IsupIam {
  readonly cic: number;
  readonly timeslot: number;
  readonly called: string;
  readonly calledNai: NatureOfAddress;
  readonly calling: string;
  readonly callingNai: NatureOfAddress;
  readonly presentation: Presentation;
  readonly callingCategory: number;
  /**
   * The called number is complete (ST, or the configured DNIS length); always true since
   * incomplete IAMs are held until their SAMs complete them.
   */
  readonly complete: boolean;
  /** The number came in overlap (IAM + SAMs). */
  readonly overlap: boolean;
}

export interface IsupRelease {
  readonly cic: number;
  readonly timeslot: number;
  /** Q.850 cause value. */
  readonly cause: number;
  /** `remote`: a REL arrived; `reset`: GRS/RSC cleared the call; `dual-seizure`: lost a glare. */
  readonly reason: 'remote' | 'reset' | 'dual-seizure';
}

export interface IsupCicEvent {
  readonly cic: number;
  readonly timeslot: number;
}

export interface IsupRangeEvent {
  readonly startCic: number;
  readonly endCic: number;
}

export interface IsupSignallingEvents {
  /** MTP3: the linkset towards the adjacent point code is available. */
  linkUp: { readonly linkNo: number };
  linkDown: { readonly linkNo: number };
  iam: IsupIam;
  acm: IsupCicEvent;
  anm: IsupCicEvent;
  /**
   * Continuity check of an inbound call's circuit (Q.764 §2.1.8): `requested` (the IAM asked
   * for one: loop the bearer back until the result), then `passed` or `failed` (COT received).
   */
  continuity: IsupCicEvent & { readonly check: 'requested' | 'passed' | 'failed' };
  /** An inbound call cleared before it was offered (REL sent with `cause`): address incomplete, or continuity failed. */
  refused: IsupCicEvent & { readonly cause: number; readonly why: 'address-incomplete' | 'continuity-failed' | 'continuity-timeout' };
  /** The far end released (REL received; RLC already sent unless `autoRlc` is off), or a reset. */
  rel: IsupRelease;
  /** Our REL was confirmed: the CIC is idle. */
  rlc: IsupCicEvent;
  /** The far end reset a range of our circuits (GRA already sent). */
  grs: IsupRangeEvent;
  /** Our GRS was acknowledged. */
  gra: IsupRangeEvent & { readonly blocked: readonly number[] };
  /** The far end blocked / unblocked a CIC towards us (BLA/UBA already sent). */
  blo: IsupCicEvent;
  ubl: IsupCicEvent;
  /** Our BLO / UBL was acknowledged. */
  bla: IsupCicEvent;
  uba: IsupCicEvent;
  /** The far end blocked / unblocked a group of our CICs (CGB/CGU, Q.764 §2.8.2; CGBA/CGUA already sent). */
  cgb: IsupGroupEvent;
  cgu: IsupGroupEvent;
  /** Our CGB / CGU was acknowledged. */
  cgba: IsupGroupEvent;
  cgua: IsupGroupEvent;
}

/** A circuit group message: its range and the CICs of the range its status field names. */
export interface IsupGroupEvent extends IsupRangeEvent {
  readonly cics: readonly number[];
}
type EventName = keyof IsupSignallingEvents;
type Listener<K extends EventName> = (payload: IsupSignallingEvents[K]) => void;

export interface IsupSignallingOptions {
  /** Our name for the link (span number of its E1). */
  linkNo: number;
  /** Our signalling point code (ITU 14-bit). */
  pc: number;
  /** The adjacent signalling point (the exchange at the other end of the link). */
  adjPc: number;
  /** Q.704 §14.2 network indicator; China's national network is `national`. */
  network?: 'national' | 'international';
  /** Signalling link code (Q.704 §2.2); both ends must agree. */
  slc?: number;
  /** CIC of timeslot N is `cicBase + N` (default 0). */
  cicBase?: number;
  /** Bearer timeslots carried by this link's CICs (default the 30 of an E1). */
  timeslots?: readonly number[];
  /** Called with each signal unit for the signalling timeslot (SU + 2 FCS bytes). */
  transmit: (su: Uint8Array) => void;
  /** Reset all our CICs with GRS when the linkset comes up (Q.764 §2.9.3.1). Default true. */
  grsOnStart?: boolean;
  /** Answer a received REL with RLC at once. Default true; when false call `rlc(cic)`. */
  autoRlc?: boolean;
  /** Re-send the current FISU/LSSU this often (ms). Default 500. */
  keepaliveMs?: number;
  /**
   * Inbound calls: the called number is complete at `dnisLength` digits (ST completes it too);
   * T35 (waiting for the next SAM digit) and T8 (waiting for COT) in ms, Q.764 Annex A defaults.
   */
  incoming?: { dnisLength?: number; t35Ms?: number; t8Ms?: number };
  /** libss7 ISUP timer overrides by name, in ms, e.g. `{ t7: 20000 }`. */
  isupTimers?: Readonly<Record<string, number>>;
  debug?: boolean;
}

export interface IsupSignallingDeps {
  clock: Clock;
  log: Logger;
  libss7?: LibSs7;
}

export interface IamParams {
  /** Circuit, by CIC or by timeslot (one of the two). */
  cic?: number;
  timeslot?: number;
  called: string;
  calling: string;
  presentation?: Presentation;
  calledNai?: NatureOfAddress;
  callingNai?: NatureOfAddress;
  callingCategory?: number;
}

/** Why an IAM did not go out: values, a caller picks another circuit or route. */
export type IamResult = 'sent' | 'link-down' | 'cic-busy' | 'cic-blocked' | 'no-cic';

interface Circuit {
  readonly cic: number;
  readonly timeslot: number;
  level: IsupCallLevel;
  direction: 'inbound' | 'outbound' | null;
  /** libss7's record for this CIC, while it has one. */
  call: IsupCallPtr | null;
  /** We sent BLO (and keep the CIC out of service). */
  localBlocked: boolean;
  /** The far end sent BLO. */
  remoteBlocked: boolean;
  /** A REL arrived and RLC is still owed (autoRlc off). */
  owesRlc: boolean;
  /** An inbound call held before its offer (overlap digits, continuity check). */
  pending: PendingOffer | null;
  /** Our REL clears a call that was never offered: its RLC is not reported. */
  unoffered: boolean;
}

interface PendingOffer {
  readonly gate: InboundOffer;
  readonly iam: Omit<IsupIam, 'called' | 'complete' | 'overlap'>;
  readonly overlap: boolean;
  t35: TimerHandle | null;
  t8: TimerHandle | null;
}

/** Largest GRS range: Q.763 §3.43 range 1–31, i.e. 32 circuits. */
const GRS_MAX = 32;

export class IsupSignalling {
  readonly linkNo: number;
  readonly pc: number;
  readonly adjPc: number;
  private readonly lib: LibSs7;
  private readonly link: Ss7Linkset;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly transmit: (su: Uint8Array) => void;
  private readonly circuits = new Map<number, Circuit>();
  private readonly byTimeslot = new Map<number, Circuit>();
  private readonly listeners = new Map<EventName, Set<Listener<never>>>();
  private readonly rxq: Uint8Array[] = [];
  private readonly deferred: (() => void)[] = [];
  private readonly grsOnStart: boolean;
  private readonly autoRlc: boolean;
  private readonly incoming: { dnisLength?: number; t35Ms: number; t8Ms: number };
  private timer: TimerHandle | null = null;
  private timerDue: number | null = null;
  private readonly keepalive: TimerHandle;
  private lastStatus: Uint8Array | null = null;
  private pumpQueued = false;
  private closed = false;
  private up = false;
  /** Signal units sent and received, for tests and metrics. */
  readonly counters = { suSent: 0, suReceived: 0, msuSent: 0 };

  constructor(opts: IsupSignallingOptions, deps: IsupSignallingDeps) {
    this.linkNo = opts.linkNo;
    this.pc = opts.pc;
    this.adjPc = opts.adjPc;
    this.transmit = opts.transmit;
    this.clock = deps.clock;
    this.grsOnStart = opts.grsOnStart ?? true;
    this.autoRlc = opts.autoRlc ?? true;
    this.incoming = {
      ...(opts.incoming?.dnisLength !== undefined ? { dnisLength: opts.incoming.dnisLength } : {}),
      t35Ms: opts.incoming?.t35Ms ?? DEFAULT_OFFER_TIMERS.t35,
      t8Ms: opts.incoming?.t8Ms ?? DEFAULT_OFFER_TIMERS.t8,
    };
    this.log = deps.log.child({ mod: 'drivers.ss7', linkNo: opts.linkNo, pc: opts.pc });
    const base = opts.cicBase ?? 0;
    for (const ts of opts.timeslots ?? E1_BEARER_TIMESLOTS) {
      const c: Circuit = { cic: base + ts, timeslot: ts, level: 'idle', direction: null, call: null, localBlocked: false, remoteBlocked: false, owesRlc: false, pending: null, unoffered: false };
      this.circuits.set(c.cic, c);
      this.byTimeslot.set(ts, c);
    }
    this.lib = deps.libss7 ?? loadLibSs7();
    this.link = this.lib.openLinkset({
      pc: opts.pc,
      adjPc: opts.adjPc,
      networkIndicator: (opts.network ?? 'national') === 'national' ? SS7_NI_NAT : SS7_NI_INT,
      slc: opts.slc ?? 0,
      hooks: {
        message: (level, text) => {
          if (level === 'error') this.log.warn({ text }, 'libss7 error');
          else this.log.debug({ text }, 'libss7 message');
        },
        hangup: (cic, _dpc, cause, action) => this.onHangupRequest(cic, cause, action),
        notInService: (cic) => this.log.warn({ cic }, 'libss7: circuit not in service'),
        callNull: (call) => {
          for (const c of this.circuits.values()) if (c.call === call) c.call = null;
        },
      },
    });
    const ss7 = this.link.ss7;
    if (opts.debug) this.lib.setDebug(ss7, SS7_DEBUG_MTP2 | SS7_DEBUG_MTP3 | SS7_DEBUG_ISUP);
    for (const [name, ms] of Object.entries(opts.isupTimers ?? {})) this.lib.setIsupTimer(ss7, name, ms);
    this.lib.start(ss7);
    this.keepalive = this.clock.setInterval(() => this.resendStatus(), opts.keepaliveMs ?? 500);
    this.settle();
  }

  /** MTP3 says the linkset is available. */
  get linkUp(): boolean {
    return this.up;
  }

  /** CICs of this link in timeslot order. */
  get cics(): readonly number[] {
    return [...this.byTimeslot.values()].sort((a, b) => a.timeslot - b.timeslot).map((c) => c.cic);
  }

  cicOf(timeslot: number): number | null {
    return this.byTimeslot.get(timeslot)?.cic ?? null;
  }

  timeslotOf(cic: number): number | null {
    return this.circuits.get(cic)?.timeslot ?? null;
  }

  /** The call level of a CIC, or null when the CIC is not ours. */
  callLevel(cic: number): IsupCallLevel | null {
    return this.circuits.get(cic)?.level ?? null;
  }

  /** Blocking state of a CIC (Q.764 §2.8). */
  blocking(cic: number): { local: boolean; remote: boolean } | null {
    const c = this.circuits.get(cic);
    return c ? { local: c.localBlocked, remote: c.remoteBlocked } : null;
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

  /** A signal unit from the signalling timeslot (SU + 2 FCS bytes). Copied; handled on the next turn. */
  receiveFrame(su: Uint8Array): void {
    if (this.closed) return;
    this.rxq.push(su.slice());
    this.queuePump();
  }

  /** IAM on a circuit (Q.764 §2.1.1), en bloc, speech. Refusals are values. */
  iam(p: IamParams): IamResult {
    this.assertOpen('isup_iam');
    const c = p.cic !== undefined ? this.circuits.get(p.cic) : p.timeslot !== undefined ? this.byTimeslot.get(p.timeslot) : undefined;
    if (!c) return 'no-cic';
    if (!this.up) return 'link-down';
    if (c.localBlocked || c.remoteBlocked) return 'cic-blocked';
    if (c.level !== 'idle') return 'cic-busy';
    if (c.call !== null) c.call = this.lib.freeIfClear(this.link.ss7, c.call);
    if (c.call !== null) return 'cic-busy';
    const call = this.lib.newCall(this.link.ss7, c.cic, this.adjPc, true);
    if (call === null) throw new DriverError('isup_new_call', null, `libss7 could not allocate a call for CIC ${c.cic}`);
    c.call = call;
    const rc = this.lib.iam(this.link.ss7, call, {
      cic: c.cic,
      dpc: this.adjPc,
      called: p.called,
      calledNai: naiCode[p.calledNai ?? 'national'],
      calling: p.calling,
      callingNai: naiCode[p.callingNai ?? 'national'],
      presentation: presCode[p.presentation ?? 'allowed'],
      screening: p.presentation === 'unavailable' ? SS7_SCREENING_NETWORK_PROVIDED : SS7_SCREENING_USER_PROVIDED_NOT_VERIFIED,
      category: p.callingCategory ?? CATEGORY_ORDINARY,
      transmissionMedium: SS7_TMR_SPEECH,
    });
    if (rc < 0) {
      // libss7 freed its record on a failed send (and told us through the call-null hook).
      c.call = null;
      this.settle();
      throw new DriverError('isup_iam', null, `isup_iam failed on CIC ${c.cic}`);
    }
    c.level = 'setup';
    c.direction = 'outbound';
    this.settle();
    return 'sent';
  }

  /** ACM for an inbound call (Q.764 §2.1.4): the called party is being alerted. */
  acm(cic: number): void {
    const c = this.inbound('isup_acm', cic);
    this.move(c, 'alerting');
    this.check('isup_acm', this.lib.acm(this.link.ss7, this.ptr(c, 'isup_acm')));
  }

  /** ANM for an inbound call (Q.764 §2.1.7). */
  anm(cic: number): void {
    const c = this.inbound('isup_anm', cic);
    this.move(c, 'answered');
    this.check('isup_anm', this.lib.anm(this.link.ss7, this.ptr(c, 'isup_anm')));
  }

  /** REL with a Q.850 cause (Q.764 §2.3.1 a); `rlc` is emitted when the far end confirms. */
  rel(cic: number, cause: number = Q850.NORMAL_CLEARING): void {
    this.assertOpen('isup_rel');
    const c = this.circuit('isup_rel', cic);
    if (c.level === 'releasing') return;
    if (c.level === 'idle') throw new DriverError('isup_rel', null, `no call on CIC ${cic}`);
    this.move(c, 'releasing');
    this.check('isup_rel', this.lib.rel(this.link.ss7, this.ptr(c, 'isup_rel'), cause));
  }

  /** RLC for a REL received while `autoRlc` is off. */
  rlc(cic: number): void {
    this.assertOpen('isup_rlc');
    const c = this.circuit('isup_rlc', cic);
    if (!c.owesRlc) throw new InvalidTransitionError('isup cic', c.level, 'rlc');
    this.sendRlc(c);
    this.settle();
  }

  /** GRS for our CICs from `startCic` (default: all, in ranges of at most 32). */
  grs(startCic?: number, endCic?: number): void {
    this.assertOpen('isup_grs');
    const all = this.cics;
    const first = startCic ?? all[0];
    const last = endCic ?? all[all.length - 1];
    if (first === undefined || last === undefined) return;
    for (let from = first; from <= last; from += GRS_MAX) {
      const to = Math.min(last, from + GRS_MAX - 1);
      const call = this.lib.newCall(this.link.ss7, from, this.adjPc, false);
      if (call === null) throw new DriverError('isup_new_call', null, `libss7 could not allocate a GRS record for CIC ${from}`);
      this.check('isup_grs', this.lib.grs(this.link.ss7, call, to));
    }
  }

  /** BLO one CIC (Q.764 §2.8.2): the far end must not seize it until UBL. */
  blo(cic: number): void {
    this.assertOpen('isup_blo');
    const c = this.circuit('isup_blo', cic);
    c.localBlocked = true;
    this.check('isup_blo', this.lib.blo(this.link.ss7, this.maintenancePtr(c)));
  }

  /** UBL one CIC. */
  ubl(cic: number): void {
    this.assertOpen('isup_ubl');
    const c = this.circuit('isup_ubl', cic);
    c.localBlocked = false;
    this.check('isup_ubl', this.lib.ubl(this.link.ss7, this.maintenancePtr(c)));
  }

  /**
   * CGB (Q.764 §2.8.2.2, Q.763 §3.43 "circuit group supervision message type"): block CICs
   * `startCic`…`endCic` (one range of at most 32) towards the far end, which answers CGBA.
   * Maintenance-oriented blocking leaves calls in progress up; hardware-failure-oriented
   * blocking is for circuits that cannot carry calls at all.
   */
  cgb(startCic: number, endCic: number, type: 'maintenance' | 'hardware' = 'maintenance'): void {
    this.group('isup_cgb', startCic, endCic, true, type);
  }

  /** CGU: unblock CICs `startCic`…`endCic`; the far end answers CGUA. */
  cgu(startCic: number, endCic: number, type: 'maintenance' | 'hardware' = 'maintenance'): void {
    this.group('isup_cgu', startCic, endCic, false, type);
  }

  /** Tell MTP2 the span is in alarm (RED) or clear; MTP2 realigns when it clears. */
  alarm(on: boolean): void {
    this.assertOpen('ss7_link_alarm');
    this.lib.linkAlarm(this.link, on);
    this.settle();
  }

  /** Stops timers, destroys the libss7 linkset and closes its mailbox. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.circuits.values()) this.dropPending(c);
    this.timer?.cancel();
    this.timer = null;
    this.keepalive.cancel();
    this.rxq.length = 0;
    this.deferred.length = 0;
    this.link.destroy();
    this.listeners.clear();
  }

  private queuePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.pumpQueued = false;
    if (this.closed) return;
    while (this.rxq.length > 0 && !this.closed) {
      const su = this.rxq.shift() as Uint8Array;
      this.counters.suReceived++;
      this.link.receive(su);
      this.drainEvents();
    }
    while (this.deferred.length > 0 && !this.closed) {
      (this.deferred.shift() as () => void)();
      this.drainEvents();
    }
    this.settle();
  }

  private onTimer(): void {
    this.timer = null;
    this.timerDue = null;
    if (this.closed) return;
    this.lib.scheduleRun(this.link.ss7);
    this.drainEvents();
    this.settle();
  }

  private drainEvents(): void {
    for (let ev = this.lib.checkEvent(this.link.ss7); ev !== null && !this.closed; ev = this.lib.checkEvent(this.link.ss7)) {
      this.handle(ev);
    }
  }

  /** After any libss7 call: send what MTP2 has, re-arm its next timer. */
  private settle(): void {
    if (this.closed) return;
    this.flush(false);
    const due = this.lib.scheduleNext(this.link.ss7);
    if (due === this.timerDue) return;
    this.timer?.cancel();
    this.timer = null;
    this.timerDue = due;
    if (due === null) return;
    // libss7's stamps are gettimeofday(); Date.now() reads the same clock (see the file header).
    this.timer = this.clock.setTimeout(() => this.onTimer(), Math.max(1, due - Date.now()));
  }

  /**
   * Pull signal units from MTP2: every queued MSU (and retransmission), then its current status
   * unit, which is sent only when it differs from the last one sent (or `force`).
   */
  private flush(force: boolean): void {
    for (let i = 0; i < 256 && !this.closed; i++) {
      const su = this.link.transmit();
      if (su === null) return;
      // Q.703 §2.2: length indicator 0 = FISU, 1–2 = LSSU, 3+ = MSU (low 6 bits of octet 3).
      const li = (su[2] ?? 0) & 0x3f;
      if (li > 2) {
        this.counters.msuSent++;
        this.send(su);
        continue;
      }
      if (force || !sameBytes(su, this.lastStatus)) {
        this.lastStatus = su;
        this.send(su);
      }
      return;
    }
  }

  private resendStatus(): void {
    if (this.closed) return;
    this.flush(true);
  }

  private send(su: Uint8Array): void {
    this.counters.suSent++;
    try {
      this.transmit(su);
    } catch (err) {
      this.log.error({ err }, 'ss7 transmit failed');
    }
  }

  private handle(ev: Ss7Event): void {
    switch (ev.e) {
      case 'up':
        this.up = true;
        this.emit('linkUp', { linkNo: this.linkNo });
        if (this.grsOnStart) this.grs();
        return;
      case 'down':
        this.up = false;
        this.emit('linkDown', { linkNo: this.linkNo });
        return;
      case 'mtp2-up':
      case 'mtp2-down':
        this.log.debug({ event: ev.e }, 'mtp2 link state');
        return;
      case 'iam':
        this.onIam(ev);
        return;
      case 'sam': {
        const c = this.circuits.get(ev.cic);
        if (c?.pending) this.decide(c, c.pending.gate.sam(ev.digits), true);
        else this.log.debug({ cic: ev.cic }, 'SAM for no held call ignored');
        return;
      }
      case 'cot': {
        const c = this.circuits.get(ev.cic);
        if (!c?.pending) {
          this.log.debug({ cic: ev.cic }, 'COT for no held call ignored');
          return;
        }
        this.emit('continuity', { cic: c.cic, timeslot: c.timeslot, check: ev.passed ? 'passed' : 'failed' });
        if (c.pending) this.decide(c, c.pending.gate.cot(ev.passed), false);
        return;
      }
      case 'acm':
      case 'cpg': {
        const c = this.track(ev.cic, ev.call);
        if (!c || c.direction !== 'outbound' || c.level !== 'setup') return;
        c.level = 'alerting';
        this.emit('acm', { cic: c.cic, timeslot: c.timeslot });
        return;
      }
      case 'anm':
      case 'con': {
        const c = this.track(ev.cic, ev.call);
        if (!c || c.direction !== 'outbound' || (c.level !== 'setup' && c.level !== 'alerting')) return;
        c.level = 'answered';
        this.emit('anm', { cic: c.cic, timeslot: c.timeslot });
        return;
      }
      case 'rel': {
        const c = this.track(ev.cic, ev.call);
        if (!c) {
          // Q.764 §2.3.1 b): always confirm, even on a CIC we do not know.
          this.lib.rlc(this.link.ss7, ev.call);
          this.lib.freeIfClear(this.link.ss7, ev.call);
          return;
        }
        const wasActive = c.level !== 'idle' && !this.dropPending(c);
        c.level = 'idle';
        c.direction = null;
        c.owesRlc = true;
        if (this.autoRlc) this.sendRlc(c);
        if (wasActive) this.emit('rel', { cic: c.cic, timeslot: c.timeslot, cause: ev.cause, reason: 'remote' });
        return;
      }
      case 'rlc': {
        const c = this.track(ev.cic, ev.call);
        this.release(ev.call, c);
        if (!c) return;
        const was = c.level;
        c.level = 'idle';
        c.direction = null;
        const unoffered = c.unoffered;
        c.unoffered = false;
        if (was === 'releasing' && !unoffered) this.emit('rlc', { cic: c.cic, timeslot: c.timeslot });
        return;
      }
      case 'rsc': {
        // Q.764 §2.9.3.1: a reset circuit is released and answered with RLC.
        const c = this.track(ev.cic, ev.call);
        if (c) this.reset(c, 'reset');
        this.lib.rlc(this.link.ss7, ev.call);
        this.release(ev.call, c);
        return;
      }
      case 'grs': {
        const blocked: number[] = [];
        for (let cic = ev.startCic; cic <= ev.endCic; cic++) {
          const c = this.circuits.get(cic);
          if (c) {
            this.reset(c, 'reset');
            c.remoteBlocked = false;
          }
          blocked.push(c?.localBlocked ? 1 : 0);
        }
        this.lib.gra(this.link.ss7, ev.call, ev.endCic, blocked);
        this.lib.freeIfClear(this.link.ss7, ev.call);
        this.emit('grs', { startCic: ev.startCic, endCic: ev.endCic });
        return;
      }
      case 'gra':
        this.lib.freeIfClear(this.link.ss7, ev.call);
        this.emit('gra', { startCic: ev.startCic, endCic: ev.endCic, blocked: ev.status.flatMap((s, i) => (s ? [ev.startCic + i] : [])) });
        return;
      case 'cgb':
      case 'cgu': {
        // Q.764 §2.8.2.3: the status field marks the CICs of the range to (un)block; the acknowledgement repeats it.
        const blocking = ev.e === 'cgb';
        const cics: number[] = [];
        ev.status.forEach((bit, i) => {
          const c = bit ? this.circuits.get(ev.startCic + i) : undefined;
          if (!c) return;
          c.remoteBlocked = blocking;
          cics.push(c.cic);
        });
        if (blocking) this.lib.cgba(this.link.ss7, ev.call, ev.endCic, ev.status);
        else this.lib.cgua(this.link.ss7, ev.call, ev.endCic, ev.status);
        this.lib.freeIfClear(this.link.ss7, ev.call);
        this.emit(ev.e, { startCic: ev.startCic, endCic: ev.endCic, cics });
        return;
      }
      case 'cgba':
      case 'cgua':
        this.lib.freeIfClear(this.link.ss7, ev.call);
        this.emit(ev.e, { startCic: ev.startCic, endCic: ev.endCic, cics: ev.status.flatMap((s, i) => (s ? [ev.startCic + i] : [])) });
        return;
      case 'blo': {
        const c = this.track(ev.cic, ev.call);
        this.lib.bla(this.link.ss7, ev.call);
        this.release(ev.call, c);
        if (!c) return;
        c.remoteBlocked = true;
        this.emit('blo', { cic: c.cic, timeslot: c.timeslot });
        return;
      }
      case 'ubl': {
        const c = this.track(ev.cic, ev.call);
        this.lib.uba(this.link.ss7, ev.call);
        this.release(ev.call, c);
        if (!c) return;
        c.remoteBlocked = false;
        this.emit('ubl', { cic: c.cic, timeslot: c.timeslot });
        return;
      }
      case 'bla':
      case 'uba': {
        const c = this.track(ev.cic, ev.call);
        this.release(ev.call, c);
        if (c) this.emit(ev.e, { cic: c.cic, timeslot: c.timeslot });
        return;
      }
      default:
        this.log.debug({ event: ev.e }, 'libss7 event ignored');
    }
  }

  private onIam(ev: Extract<Ss7Event, { e: 'iam' }>): void {
    const c = this.circuits.get(ev.cic);
    const refuse = (cause: number): void => {
      this.lib.rel(this.link.ss7, ev.call, cause);
    };
    if (!c) {
      this.log.warn({ cic: ev.cic }, 'IAM on a CIC that is not ours');
      refuse(Q850.REQUESTED_CHAN_UNAVAIL);
      return;
    }
    if (c.localBlocked || c.level !== 'idle') {
      refuse(Q850.REQUESTED_CHAN_UNAVAIL);
      return;
    }
    // An IAM from the exchange that blocked the CIC means it is back in service there.
    c.remoteBlocked = false;
    c.call = ev.call;
    c.level = 'setup';
    c.direction = 'inbound';
    c.unoffered = false;
    const gate = new InboundOffer({ called: ev.called, cotCheckRequired: ev.cotCheckRequired }, this.incoming);
    c.pending = {
      gate,
      overlap: gate.collecting,
      t35: null,
      t8: null,
      iam: {
        cic: c.cic,
        timeslot: c.timeslot,
        calledNai: naiOf(ev.calledNai),
        calling: ev.calling,
        callingNai: naiOf(ev.callingNai),
        presentation: presentationOf(ev.presentation),
        callingCategory: ev.callingCategory,
      },
    };
    if (ev.cotCheckRequired) this.emit('continuity', { cic: c.cic, timeslot: c.timeslot, check: 'requested' });
    if (c.pending) this.decide(c, gate.decision(), true);
  }

  /**
   * Act on a held inbound call's gate: (re)arm T35 after digits and T8 while COT is awaited;
   * offer it (`iam`) once complete; or clear it with REL and the gate's cause (`refused`).
   */
  private decide(c: Circuit, d: OfferDecision, digits: boolean): void {
    const p = c.pending;
    if (!p) return;
    if (d.kind === 'wait') {
      if (!p.gate.collecting) {
        p.t35?.cancel();
        p.t35 = null;
      } else if (digits) {
        p.t35?.cancel();
        p.t35 = this.clock.setTimeout(() => this.offerTimer(c, 't35'), this.incoming.t35Ms);
      }
      if (!p.gate.awaitingContinuity) {
        p.t8?.cancel();
        p.t8 = null;
      } else if (!p.t8) p.t8 = this.clock.setTimeout(() => this.offerTimer(c, 't8'), this.incoming.t8Ms);
      return;
    }
    this.dropPending(c);
    if (d.kind === 'offer') {
      this.emit('iam', { ...p.iam, called: d.called, complete: true, overlap: p.overlap });
      return;
    }
    this.log.info({ cic: c.cic, cause: d.cause, why: d.why, called: p.gate.called }, 'inbound call refused before its offer');
    c.unoffered = true;
    c.level = 'releasing';
    if (c.call !== null) this.lib.rel(this.link.ss7, c.call, d.cause);
    this.emit('refused', { cic: c.cic, timeslot: c.timeslot, cause: d.cause, why: d.why });
  }

  private offerTimer(c: Circuit, which: 't35' | 't8'): void {
    const p = c.pending;
    if (this.closed || !p) return;
    p[which] = null;
    this.decide(c, which === 't35' ? p.gate.t35Expired() : p.gate.t8Expired(), false);
    this.settle();
  }

  /** Forget a held inbound call (its timers too); true when there was one. */
  private dropPending(c: Circuit): boolean {
    const p = c.pending;
    if (!p) return false;
    p.t35?.cancel();
    p.t8?.cancel();
    c.pending = null;
    return true;
  }

  /**
   * libss7 asks us to clear a CIC (dual seizure, unexpected message, timer expiry) and to do
   * `action` for it. We are inside libss7: the action is deferred to the next pump.
   */
  private onHangupRequest(cic: number, cause: number, action: number): number {
    const c = this.circuits.get(cic);
    if (!c) return SS7_CIC_NOT_EXISTS;
    if (c.level === 'idle' || c.call === null) return SS7_CIC_IDLE;
    const call = c.call;
    const dualSeizure = action === SS7_HANGUP_REEVENT_IAM;
    const was = c.level;
    const held = this.dropPending(c);
    c.level = 'idle';
    c.direction = null;
    if (was !== 'releasing' && !held) {
      this.emit('rel', {
        cic: c.cic,
        timeslot: c.timeslot,
        cause: cause === SS7_CAUSE_TRY_AGAIN ? Q850.REQUESTED_CHAN_UNAVAIL : cause,
        reason: dualSeizure ? 'dual-seizure' : 'reset',
      });
    }
    const ss7 = this.link.ss7;
    this.deferred.push(() => {
      switch (action) {
        case SS7_HANGUP_SEND_REL:
          c.level = 'releasing';
          this.lib.rel(ss7, call, cause === SS7_CAUSE_TRY_AGAIN ? Q850.NORMAL_CLEARING : cause);
          return;
        case SS7_HANGUP_SEND_RSC:
          this.lib.rsc(ss7, call);
          return;
        case SS7_HANGUP_SEND_RLC:
          this.lib.rlc(ss7, call);
          c.call = this.lib.freeIfClear(ss7, call);
          return;
        case SS7_HANGUP_FREE_CALL:
          this.lib.freeCall(ss7, call);
          c.call = null;
          return;
        case SS7_HANGUP_REEVENT_IAM:
          // Q.764 §2.10.1.4: the exchange that does not control the circuit backs off and
          // handles the incoming IAM instead.
          this.lib.eventIam(ss7, call, this.adjPc);
          return;
        default:
          return;
      }
    });
    this.queuePump();
    return SS7_CIC_USED;
  }

  private sendRlc(c: Circuit): void {
    c.owesRlc = false;
    const call = c.call;
    if (call === null) return;
    this.lib.rlc(this.link.ss7, call);
    c.call = this.lib.freeIfClear(this.link.ss7, call);
  }

  /** A call cleared by a reset (GRS/RSC): report it and forget libss7's record. */
  private reset(c: Circuit, reason: 'reset'): void {
    const was = c.level;
    const held = this.dropPending(c);
    c.level = 'idle';
    c.direction = null;
    c.owesRlc = false;
    c.unoffered = false;
    if (was !== 'idle' && was !== 'releasing' && !held) this.emit('rel', { cic: c.cic, timeslot: c.timeslot, cause: Q850.TEMPORARY_FAILURE, reason });
  }

  private release(call: IsupCallPtr, c: Circuit | undefined): void {
    const kept = this.lib.freeIfClear(this.link.ss7, call);
    if (c && c.call === call) c.call = kept;
  }

  private track(cic: number, call: IsupCallPtr): Circuit | undefined {
    const c = this.circuits.get(cic);
    if (c) c.call = call;
    return c;
  }

  private group(call: 'isup_cgb' | 'isup_cgu', startCic: number, endCic: number, blocking: boolean, type: 'maintenance' | 'hardware'): void {
    this.assertOpen(call);
    if (endCic < startCic || endCic - startCic >= GRS_MAX) throw new DriverError(call, null, `a circuit group is 1–${GRS_MAX} CICs; got ${startCic}–${endCic}`);
    const status: number[] = [];
    for (let cic = startCic; cic <= endCic; cic++) {
      const c = this.circuits.get(cic);
      if (c) c.localBlocked = blocking;
      status.push(c ? 1 : 0);
    }
    const ptr = this.lib.newCall(this.link.ss7, startCic, this.adjPc, false);
    if (ptr === null) throw new DriverError('isup_new_call', null, `libss7 could not allocate a circuit group record for CIC ${startCic}`);
    const rc = blocking ? this.lib.cgb(this.link.ss7, ptr, endCic, status, type === 'hardware' ? 1 : 0) : this.lib.cgu(this.link.ss7, ptr, endCic, status, type === 'hardware' ? 1 : 0);
    this.check(call, rc);
    this.settle();
  }

  private maintenancePtr(c: Circuit): IsupCallPtr {
    if (c.call !== null) return c.call;
    const call = this.lib.newCall(this.link.ss7, c.cic, this.adjPc, false);
    if (call === null) throw new DriverError('isup_new_call', null, `libss7 could not allocate a record for CIC ${c.cic}`);
    c.call = call;
    return call;
  }

  private ptr(c: Circuit, fn: string): IsupCallPtr {
    if (c.call === null) throw new DriverError(fn, null, `CIC ${c.cic} has no libss7 call record`);
    return c.call;
  }

  private circuit(fn: string, cic: number): Circuit {
    const c = this.circuits.get(cic);
    if (!c) throw new DriverError(fn, null, `CIC ${cic} is not on link ${this.linkNo}`);
    return c;
  }

  private inbound(fn: string, cic: number): Circuit {
    this.assertOpen(fn);
    const c = this.circuit(fn, cic);
    if (c.level === 'idle') throw new DriverError(fn, null, `no call on CIC ${cic}`);
    if (c.direction !== 'inbound') throw new InvalidTransitionError('isup call', `outbound-${c.level}`, fn);
    return c;
  }

  private move(c: Circuit, to: IsupCallLevel): void {
    if (!nextLevels[c.level].includes(to)) throw new InvalidTransitionError('isup call', c.level, to);
    c.level = to;
  }

  private check(fn: string, rc: number): void {
    this.settle();
    if (rc < 0) throw new DriverError(fn, null, `${fn} returned ${rc}`);
  }

  private assertOpen(fn: string): void {
    if (this.closed) throw new DriverError(fn, null, `SS7 link ${this.linkNo} is closed`);
  }

  private emit<K extends EventName>(event: K, payload: IsupSignallingEvents[K]): void {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        (fn as Listener<K>)(payload);
      } catch (err) {
        this.log.error({ err, event }, 'isup listener failed');
      }
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array | null): boolean {
  if (b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
