/**
 * koffi bindings to Debian's libss7 (package libss7-2.0, upstream 2.0.0, `/usr/lib/x86_64-linux-gnu/
 * libss7.so.2.0`), declared against `/usr/include/libss7.h` of libss7-dev 2.0.0-3. This is the only
 * file of drivers/ss7 that imports koffi; isup-link.ts sees typed functions, branded pointers and
 * decoded events.
 *
 * The 2.0 API differs from the 1.x one most examples show: `ss7_add_link(ss7, transport, fd, slc,
 * adjpc)` replaces `ss7_add_link` + `ss7_set_adjpc`, `isup_new_call(ss7, cic, dpc, outgoing)`
 * replaces `isup_new_call` + `isup_init_call`, and `ss7_schedule_run` returns an int (events are
 * then pulled with `ss7_check_event`).
 *
 * Link I/O. libss7 has no in-memory I/O path: its three transports (DAHDIDCHAN, DAHDIMTP2, TCP —
 * the last unimplemented in 2.0.0) all take an fd, and `ss7_read`/`ss7_write` call read(2)/write(2)
 * on it. We therefore give each link one end of a `socketpair(AF_UNIX, SOCK_SEQPACKET |
 * SOCK_NONBLOCK)` (a "mailbox") and keep the other end here, used only synchronously:
 * - a received signal unit is `send()` into our end, then `ss7_read()` reads exactly that one
 *   datagram (SEQPACKET keeps boundaries) and runs MTP2 on it;
 * - `ss7_write()` makes MTP2 `write()` one signal unit (an MSU from its queue, a retransmission, or
 *   its current FISU/LSSU) into its end, which we `recv()` at once with MSG_DONTWAIT.
 * Nothing ever blocks or polls, no worker thread is needed, and the fd is a buffer, not a device.
 * (NATIVE-PROBE §1's socketpair variant polled the fd on koffi's pool; that is not needed when we
 * are the only writer and reader of the other end.)
 *
 * Frames are SS7 signal units as DAHDI's HDLC channel carries them: the SU followed by 2 FCS
 * bytes. libss7 writes `size + 2` bytes and strips 2 on receive, the same convention as libpri.
 *
 * Rules (shared/NATIVE-PROBE.md, and found here):
 * - The event returned by `ss7_check_event` points into libss7's event ring and is reused: decode
 *   it at once (decodeEvent copies every field out).
 * - `ss7_set_message/_error/_hangup/_notinservice/_call_null` are process-global. libss7 calls the
 *   hangup and call-null hooks *without a NULL check* (dual seizure, unexpected messages, failed
 *   sends), so they are installed on first use and dispatched on the `struct ss7 *`.
 * - Never call into libss7 from inside one of those hooks: queue the work (isup-link.ts does).
 * - libss7 timers are stamped with gettimeofday(), like libpri's.
 * - MTP2 timers are compiled in (ITU: T1 45 s, T2 50 s, T3 1.5 s, T4 normal 8.5 s, emergency 0.5 s,
 *   T7 1.25 s, read from `mtp2_new` in the Debian binary); `ss7_start` aligns with emergency
 *   proving, so a link aligns in about 0.5 s and the linkset is up about 0.6 s later (MTP3 SLTM/SLTA
 *   and the restart delay).
 */
import koffi, { type LibraryHandle, type TypeObject } from 'koffi';
import { DriverError } from '../types.js';

declare const ss7Brand: unique symbol;
declare const callBrand: unique symbol;
/** `struct ss7 *`: one signalling linkset (MTP2 + MTP3 + ISUP). */
export type Ss7Handle = bigint & { readonly [ss7Brand]: true };
/** `struct isup_call *`: libss7's per-CIC record; invalid once freed. */
export type IsupCallPtr = bigint & { readonly [callBrand]: true };

// libss7.h switch types, transports, network indicators
export const SS7_ITU = 1;
export const SS7_TRANSPORT_DAHDIDCHAN = 0;
export const SS7_NI_INT = 0x00;
export const SS7_NI_NAT = 0x02;

// libss7.h debug flags
export const SS7_DEBUG_MTP2 = 1 << 0;
export const SS7_DEBUG_MTP3 = 1 << 1;
export const SS7_DEBUG_ISUP = 1 << 2;

// libss7.h nature of address, presentation, screening, transmission medium
export const SS7_NAI_SUBSCRIBER = 0x01;
export const SS7_NAI_UNKNOWN = 0x02;
export const SS7_NAI_NATIONAL = 0x03;
export const SS7_NAI_INTERNATIONAL = 0x04;
export const SS7_PRESENTATION_ALLOWED = 0x00;
export const SS7_PRESENTATION_RESTRICTED = 0x01;
export const SS7_PRESENTATION_ADDR_NOT_AVAILABLE = 0x02;
export const SS7_SCREENING_USER_PROVIDED_NOT_VERIFIED = 0x00;
export const SS7_SCREENING_NETWORK_PROVIDED = 0x03;
export const SS7_TMR_SPEECH = 0x00;

// libss7.h what the application must do when libss7 asks it to hang up a CIC, and the answers
export const SS7_HANGUP_DO_NOTHING = 0;
export const SS7_HANGUP_SEND_REL = 1;
export const SS7_HANGUP_SEND_RSC = 2;
export const SS7_HANGUP_SEND_RLC = 3;
export const SS7_HANGUP_FREE_CALL = 4;
export const SS7_HANGUP_REEVENT_IAM = 5;
export const SS7_CIC_NOT_EXISTS = 0;
export const SS7_CIC_USED = 1;
export const SS7_CIC_IDLE = 2;
/** libss7.h ISUP message flag: we sent an IAM on this record. */
export const ISUP_SENT_IAM = 1 << 7;
/** libss7's "cause" for a call dropped on dual seizure when the far end controls the circuit. */
export const SS7_CAUSE_TRY_AGAIN = 256;

/** libss7.h event codes (`e` of the ss7_event union). */
export const SS7_EVENT = {
  UP: 1,
  DOWN: 2,
  MTP2_LINK_UP: 3,
  MTP2_LINK_DOWN: 4,
  IAM: 5,
  ACM: 6,
  ANM: 7,
  REL: 8,
  RLC: 9,
  GRS: 10,
  GRA: 11,
  CON: 12,
  COT: 13,
  CCR: 14,
  BLO: 15,
  UBL: 16,
  BLA: 17,
  UBA: 18,
  CGB: 19,
  CGU: 20,
  RSC: 21,
  CPG: 22,
  UCIC: 23,
  CGBA: 32,
  CGUA: 33,
  SAM: 34,
  DIGITTIMEOUT: 35,
} as const;

type CicEventName = 'acm' | 'anm' | 'con' | 'rlc' | 'blo' | 'ubl' | 'bla' | 'uba' | 'rsc' | 'ucic';
type RangeEventName = 'grs' | 'gra' | 'cgb' | 'cgu' | 'cgba' | 'cgua';

/** A libss7 event, copied out of the union at once (see file header). */
export type Ss7Event =
  | { readonly e: 'up' | 'down' | 'mtp2-up' | 'mtp2-down' }
  | {
      readonly e: 'iam';
      readonly cic: number;
      readonly opc: number;
      readonly call: IsupCallPtr;
      readonly transcap: number;
      /** Digits as received; libss7 appends `#` (ST, end of pulsing) to en-bloc numbers. */
      readonly called: string;
      readonly calledNai: number;
      readonly calling: string;
      readonly callingNai: number;
      readonly callingCategory: number;
      readonly presentation: number;
      readonly screening: number;
      /** Q.763 §3.35 nature of connection indicators: continuity check required on this circuit. */
      readonly cotCheckRequired: boolean;
    }
  | {
      /** SAM (subsequent address message, Q.763 subsequent number): this SAM's digits only (`#` is ST). */
      readonly e: 'sam';
      readonly cic: number;
      readonly opc: number;
      readonly digits: string;
      readonly call: IsupCallPtr;
    }
  | { readonly e: 'cot'; readonly cic: number; readonly opc: number; readonly passed: boolean; readonly call: IsupCallPtr }
  | { readonly e: CicEventName; readonly cic: number; readonly opc: number; readonly call: IsupCallPtr }
  | { readonly e: 'rel'; readonly cic: number; readonly opc: number; readonly cause: number; readonly call: IsupCallPtr }
  | { readonly e: 'cpg'; readonly cic: number; readonly opc: number; readonly event: number; readonly call: IsupCallPtr }
  | {
      readonly e: RangeEventName;
      readonly startCic: number;
      readonly endCic: number;
      readonly opc: number;
      /** Range-and-status bits per CIC from startCic (1 = blocked, for CGB/CGBA/GRA). */
      readonly status: readonly number[];
      readonly call: IsupCallPtr;
    }
  | { readonly e: 'other'; readonly code: number };

/** The application hooks libss7 calls while inside one of its functions (see file header). */
export interface Ss7Hooks {
  message(level: 'message' | 'error', text: string): void;
  /** libss7 asks the application to clear `cic` and do `action` (SS7_HANGUP_*); answer SS7_CIC_*. */
  hangup(cic: number, dpc: number, cause: number, action: number): number;
  notInService(cic: number, dpc: number): void;
  /** libss7 is about to free `call`; the application must forget the pointer. */
  callNull(call: IsupCallPtr): void;
}

/** One linkset as ffi.ts gives it to isup-link.ts. */
export interface Ss7Linkset {
  readonly ss7: Ss7Handle;
  /** Hand one received signal unit (with 2 FCS bytes) to MTP2. */
  receive(su: Uint8Array): void;
  /** Ask MTP2 for its next signal unit (copied, with 2 FCS bytes), or null if it wrote nothing. */
  transmit(): Uint8Array | null;
  /** Unregister the hooks, destroy the linkset and close both fds. */
  destroy(): void;
}

export interface LinksetParams {
  pc: number;
  adjPc: number;
  networkIndicator: number;
  slc: number;
  hooks: Ss7Hooks;
}

export interface IamParams {
  cic: number;
  dpc: number;
  called: string;
  calledNai: number;
  calling: string;
  callingNai: number;
  presentation: number;
  screening: number;
  category: number;
  transmissionMedium: number;
}

/** What isup-link.ts gets from this file. */
export interface LibSs7 {
  version(): string;
  openLinkset(p: LinksetParams): Ss7Linkset;
  setDebug(ss7: Ss7Handle, flags: number): void;
  /** `ss7_set_isup_timer(ss7, "t7", ms)`; throws DriverError if libss7 does not know the name. */
  setIsupTimer(ss7: Ss7Handle, name: string, ms: number): void;
  start(ss7: Ss7Handle): void;
  checkEvent(ss7: Ss7Handle): Ss7Event | null;
  /** Absolute gettimeofday ms of libss7's next timer, or null. */
  scheduleNext(ss7: Ss7Handle): number | null;
  scheduleRun(ss7: Ss7Handle): void;
  linkAlarm(link: Ss7Linkset, on: boolean): void;
  newCall(ss7: Ss7Handle, cic: number, dpc: number, outgoing: boolean): IsupCallPtr | null;
  /** isup_set_called/_calling/_calling_party_category/_tmr, then isup_iam. */
  iam(ss7: Ss7Handle, call: IsupCallPtr, p: IamParams): number;
  acm(ss7: Ss7Handle, call: IsupCallPtr): number;
  anm(ss7: Ss7Handle, call: IsupCallPtr): number;
  rel(ss7: Ss7Handle, call: IsupCallPtr, cause: number): number;
  rlc(ss7: Ss7Handle, call: IsupCallPtr): number;
  rsc(ss7: Ss7Handle, call: IsupCallPtr): number;
  grs(ss7: Ss7Handle, call: IsupCallPtr, endCic: number): number;
  gra(ss7: Ss7Handle, call: IsupCallPtr, endCic: number, status: readonly number[]): number;
  /** Q.763 §3.43 circuit group supervision type: 0 maintenance oriented, 1 hardware failure oriented. */
  cgb(ss7: Ss7Handle, call: IsupCallPtr, endCic: number, status: readonly number[], type: 0 | 1): number;
  cgu(ss7: Ss7Handle, call: IsupCallPtr, endCic: number, status: readonly number[], type: 0 | 1): number;
  cgba(ss7: Ss7Handle, call: IsupCallPtr, endCic: number, status: readonly number[]): number;
  cgua(ss7: Ss7Handle, call: IsupCallPtr, endCic: number, status: readonly number[]): number;
  blo(ss7: Ss7Handle, call: IsupCallPtr): number;
  ubl(ss7: Ss7Handle, call: IsupCallPtr): number;
  bla(ss7: Ss7Handle, call: IsupCallPtr): number;
  uba(ss7: Ss7Handle, call: IsupCallPtr): number;
  /**
   * Re-deliver a held IAM (dual seizure, far end controlling). Debian's 2.0.0 still has
   * ISUP_SENT_IAM set on the record at that point, so isup_event_iam would see the glare again;
   * the flag is cleared first (`isup_clear_callflags`).
   */
  eventIam(ss7: Ss7Handle, call: IsupCallPtr, opc: number): number;
  /** Frees the record when no message is pending on it; returns it when it was kept, else null. */
  freeIfClear(ss7: Ss7Handle, call: IsupCallPtr): IsupCallPtr | null;
  freeCall(ss7: Ss7Handle, call: IsupCallPtr): void;
  eventName(code: number): string;
}

const MSG_PROTO = koffi.proto('void hotline_ss7_msg_cb(void *ss7, const char *text)');
const HANGUP_PROTO = koffi.proto('int hotline_ss7_hangup_cb(void *ss7, int cic, unsigned int dpc, int cause, int do_hangup)');
const NIS_PROTO = koffi.proto('void hotline_ss7_nis_cb(void *ss7, int cic, unsigned int dpc)');
const NULL_PROTO = koffi.proto('void hotline_ss7_call_null_cb(void *ss7, void *c, int lock)');
const TIMEVAL = koffi.struct('hotline_ss7_timeval', { tv_sec: 'long', tv_usec: 'long' });

/** libss7.h `ss7_event_iam`, field order exactly as in the header. */
const EV_IAM = koffi.struct('hotline_ss7_event_iam', {
  e: 'int',
  cic: 'int',
  transcap: 'int',
  cot_check_required: 'int',
  cot_performed_on_previous_cic: 'int',
  called_party_num: 'char[50]',
  called_nai: 'uint8_t',
  calling_party_num: 'char[50]',
  calling_party_cat: 'uint8_t',
  calling_nai: 'uint8_t',
  presentation_ind: 'uint8_t',
  screening_ind: 'uint8_t',
  charge_number: 'char[50]',
  charge_nai: 'uint8_t',
  charge_num_plan: 'uint8_t',
  gen_add_num_plan: 'uint8_t',
  gen_add_nai: 'uint8_t',
  gen_add_number: 'char[50]',
  gen_add_pres_ind: 'uint8_t',
  gen_add_type: 'uint8_t',
  gen_dig_number: 'char[50]',
  gen_dig_type: 'uint8_t',
  gen_dig_scheme: 'uint8_t',
  jip_number: 'char[50]',
  lspi_type: 'uint8_t',
  lspi_scheme: 'uint8_t',
  lspi_context: 'uint8_t',
  lspi_spare: 'uint8_t',
  lspi_ident: 'char[50]',
  orig_called_num: 'char[50]',
  orig_called_nai: 'uint8_t',
  orig_called_pres_ind: 'uint8_t',
  orig_called_screening_ind: 'uint8_t',
  redirecting_num: 'char[50]',
  redirecting_num_nai: 'uint8_t',
  redirecting_num_presentation_ind: 'uint8_t',
  redirecting_num_screening_ind: 'uint8_t',
  redirect_counter: 'uint8_t',
  redirect_info: 'uint8_t',
  redirect_info_ind: 'uint8_t',
  redirect_info_orig_reas: 'uint8_t',
  redirect_info_reas: 'uint8_t',
  redirect_info_counter: 'uint8_t',
  generic_name_typeofname: 'uint8_t',
  generic_name_avail: 'uint8_t',
  generic_name_presentation: 'uint8_t',
  echocontrol_ind: 'uint8_t',
  generic_name: 'char[50]',
  oli_ani2: 'int',
  cug_indicator: 'uint8_t',
  cug_interlock_ni: 'char[5]',
  cug_interlock_code: 'unsigned short',
  opc: 'unsigned int',
  got_sent_msg: 'unsigned long',
  call: 'void *',
});
const EV_REL = koffi.struct('hotline_ss7_event_rel', {
  e: 'int',
  cic: 'int',
  cause: 'int',
  opc: 'unsigned int',
  got_sent_msg: 'unsigned long',
  call: 'void *',
});
/** `ss7_event_cic`, also the layout of `ss7_event_rsc`. */
const EV_CIC = koffi.struct('hotline_ss7_event_cic', {
  e: 'int',
  cic: 'int',
  opc: 'unsigned int',
  got_sent_msg: 'unsigned long',
  call: 'void *',
});
const EV_CON = koffi.struct('hotline_ss7_event_con', {
  e: 'int',
  cic: 'int',
  opc: 'unsigned int',
  got_sent_msg: 'unsigned long',
  call: 'void *',
  connected_num: 'char[50]',
  connected_nai: 'uint8_t',
  connected_presentation_ind: 'uint8_t',
  connected_screening_ind: 'uint8_t',
  echocontrol_ind: 'uint8_t',
});
const EV_ANM = koffi.struct('hotline_ss7_event_anm', {
  e: 'int',
  cic: 'int',
  opc: 'unsigned int',
  connected_num: 'char[50]',
  connected_nai: 'uint8_t',
  connected_presentation_ind: 'uint8_t',
  connected_screening_ind: 'uint8_t',
  got_sent_msg: 'unsigned long',
  echocontrol_ind: 'uint8_t',
  call: 'void *',
});
const EV_ACM = koffi.struct('hotline_ss7_event_acm', {
  e: 'int',
  cic: 'int',
  call_ref_ident: 'unsigned int',
  call_ref_pc: 'unsigned int',
  opc: 'unsigned int',
  got_sent_msg: 'unsigned long',
  call: 'void *',
  called_party_status_ind: 'uint8_t',
  echocontrol_ind: 'uint8_t',
});
const EV_CICRANGE = koffi.struct('hotline_ss7_event_cicrange', {
  e: 'int',
  startcic: 'int',
  endcic: 'int',
  sent_endcic: 'int',
  type: 'int',
  sent_type: 'int',
  opc: 'unsigned int',
  status: koffi.array('uint8_t', 255, 'Array'),
  sent_status: koffi.array('unsigned int', 255, 'Array'),
  got_sent_msg: 'unsigned long',
  call: 'void *',
});
/** libss7.h `ss7_event_sam`: `called_party_num` holds the SAM's subsequent number only. */
const EV_SAM = koffi.struct('hotline_ss7_event_sam', {
  e: 'int',
  cic: 'int',
  opc: 'unsigned int',
  called_party_num: 'char[50]',
  called_nai: 'uint8_t',
  cot_check_required: 'int',
  cot_check_passed: 'int',
  cot_performed_on_previous_cic: 'int',
  got_sent_msg: 'unsigned long',
  call: 'void *',
});
/** libss7.h `ss7_event_cot`. */
const EV_COT = koffi.struct('hotline_ss7_event_cot', {
  e: 'int',
  cic: 'int',
  passed: 'int',
  cot_performed_on_previous_cic: 'int',
  opc: 'unsigned int',
  got_sent_msg: 'unsigned long',
  call: 'void *',
});
const EV_CPG = koffi.struct('hotline_ss7_event_cpg', {
  e: 'int',
  cic: 'int',
  opc: 'unsigned int',
  event: 'uint8_t',
  got_sent_msg: 'unsigned long',
  echocontrol_ind: 'uint8_t',
  connected_nai: 'uint8_t',
  connected_presentation_ind: 'uint8_t',
  connected_screening_ind: 'uint8_t',
  connected_num: 'char[50]',
  call: 'void *',
});

/** Offsets of the event views, for the test that compares them with gcc's offsetof on libss7.h. */
export const eventLayout: Readonly<Record<string, number>> = {
  'ss7_event_iam.cic': koffi.offsetof(EV_IAM, 'cic'),
  'ss7_event_iam.called_party_num': koffi.offsetof(EV_IAM, 'called_party_num'),
  'ss7_event_iam.called_nai': koffi.offsetof(EV_IAM, 'called_nai'),
  'ss7_event_iam.calling_party_num': koffi.offsetof(EV_IAM, 'calling_party_num'),
  'ss7_event_iam.calling_party_cat': koffi.offsetof(EV_IAM, 'calling_party_cat'),
  'ss7_event_iam.calling_nai': koffi.offsetof(EV_IAM, 'calling_nai'),
  'ss7_event_iam.presentation_ind': koffi.offsetof(EV_IAM, 'presentation_ind'),
  'ss7_event_iam.screening_ind': koffi.offsetof(EV_IAM, 'screening_ind'),
  'ss7_event_iam.opc': koffi.offsetof(EV_IAM, 'opc'),
  'ss7_event_iam.got_sent_msg': koffi.offsetof(EV_IAM, 'got_sent_msg'),
  'ss7_event_iam.call': koffi.offsetof(EV_IAM, 'call'),
  'ss7_event_rel.cause': koffi.offsetof(EV_REL, 'cause'),
  'ss7_event_rel.opc': koffi.offsetof(EV_REL, 'opc'),
  'ss7_event_rel.call': koffi.offsetof(EV_REL, 'call'),
  'ss7_event_cic.opc': koffi.offsetof(EV_CIC, 'opc'),
  'ss7_event_cic.call': koffi.offsetof(EV_CIC, 'call'),
  'ss7_event_con.call': koffi.offsetof(EV_CON, 'call'),
  'ss7_event_anm.connected_num': koffi.offsetof(EV_ANM, 'connected_num'),
  'ss7_event_anm.got_sent_msg': koffi.offsetof(EV_ANM, 'got_sent_msg'),
  'ss7_event_anm.call': koffi.offsetof(EV_ANM, 'call'),
  'ss7_event_acm.opc': koffi.offsetof(EV_ACM, 'opc'),
  'ss7_event_acm.call': koffi.offsetof(EV_ACM, 'call'),
  'ss7_event_acm.called_party_status_ind': koffi.offsetof(EV_ACM, 'called_party_status_ind'),
  'ss7_event_cicrange.endcic': koffi.offsetof(EV_CICRANGE, 'endcic'),
  'ss7_event_cicrange.opc': koffi.offsetof(EV_CICRANGE, 'opc'),
  'ss7_event_cicrange.status': koffi.offsetof(EV_CICRANGE, 'status'),
  'ss7_event_cicrange.sent_status': koffi.offsetof(EV_CICRANGE, 'sent_status'),
  'ss7_event_cicrange.got_sent_msg': koffi.offsetof(EV_CICRANGE, 'got_sent_msg'),
  'ss7_event_cicrange.call': koffi.offsetof(EV_CICRANGE, 'call'),
  'ss7_event_iam.cot_check_required': koffi.offsetof(EV_IAM, 'cot_check_required'),
  'ss7_event_sam.cic': koffi.offsetof(EV_SAM, 'cic'),
  'ss7_event_sam.opc': koffi.offsetof(EV_SAM, 'opc'),
  'ss7_event_sam.called_party_num': koffi.offsetof(EV_SAM, 'called_party_num'),
  'ss7_event_sam.called_nai': koffi.offsetof(EV_SAM, 'called_nai'),
  'ss7_event_sam.got_sent_msg': koffi.offsetof(EV_SAM, 'got_sent_msg'),
  'ss7_event_sam.call': koffi.offsetof(EV_SAM, 'call'),
  'ss7_event_cot.cic': koffi.offsetof(EV_COT, 'cic'),
  'ss7_event_cot.passed': koffi.offsetof(EV_COT, 'passed'),
  'ss7_event_cot.opc': koffi.offsetof(EV_COT, 'opc'),
  'ss7_event_cot.got_sent_msg': koffi.offsetof(EV_COT, 'got_sent_msg'),
  'ss7_event_cot.call': koffi.offsetof(EV_COT, 'call'),
  'ss7_event_cpg.event': koffi.offsetof(EV_CPG, 'event'),
  'ss7_event_cpg.call': koffi.offsetof(EV_CPG, 'call'),
};

type Decoded = Record<string, unknown>;

const cicEvents: Readonly<Record<number, CicEventName>> = {
  [SS7_EVENT.ACM]: 'acm',
  [SS7_EVENT.ANM]: 'anm',
  [SS7_EVENT.CON]: 'con',
  [SS7_EVENT.RLC]: 'rlc',
  [SS7_EVENT.BLO]: 'blo',
  [SS7_EVENT.UBL]: 'ubl',
  [SS7_EVENT.BLA]: 'bla',
  [SS7_EVENT.UBA]: 'uba',
  [SS7_EVENT.RSC]: 'rsc',
  [SS7_EVENT.UCIC]: 'ucic',
};
const rangeEvents: Readonly<Record<number, RangeEventName>> = {
  [SS7_EVENT.GRS]: 'grs',
  [SS7_EVENT.GRA]: 'gra',
  [SS7_EVENT.CGB]: 'cgb',
  [SS7_EVENT.CGU]: 'cgu',
  [SS7_EVENT.CGBA]: 'cgba',
  [SS7_EVENT.CGUA]: 'cgua',
};

function decodeEvent(ev: bigint): Ss7Event {
  const code = koffi.decode(ev, 'int') as number;
  const d = (t: TypeObject): Decoded => koffi.decode(ev, t) as Decoded;
  const ptr = (v: unknown): IsupCallPtr => v as IsupCallPtr;
  switch (code) {
    case SS7_EVENT.UP:
      return { e: 'up' };
    case SS7_EVENT.DOWN:
      return { e: 'down' };
    case SS7_EVENT.MTP2_LINK_UP:
      return { e: 'mtp2-up' };
    case SS7_EVENT.MTP2_LINK_DOWN:
      return { e: 'mtp2-down' };
    case SS7_EVENT.IAM: {
      const r = d(EV_IAM);
      return {
        e: 'iam',
        cic: r.cic as number,
        opc: r.opc as number,
        call: ptr(r.call),
        transcap: r.transcap as number,
        called: r.called_party_num as string,
        calledNai: r.called_nai as number,
        calling: r.calling_party_num as string,
        callingNai: r.calling_nai as number,
        callingCategory: r.calling_party_cat as number,
        presentation: r.presentation_ind as number,
        screening: r.screening_ind as number,
        cotCheckRequired: (r.cot_check_required as number) !== 0,
      };
    }
    case SS7_EVENT.SAM: {
      const r = d(EV_SAM);
      return { e: 'sam', cic: r.cic as number, opc: r.opc as number, digits: r.called_party_num as string, call: ptr(r.call) };
    }
    case SS7_EVENT.COT: {
      const r = d(EV_COT);
      return { e: 'cot', cic: r.cic as number, opc: r.opc as number, passed: (r.passed as number) !== 0, call: ptr(r.call) };
    }
    case SS7_EVENT.REL: {
      const r = d(EV_REL);
      return { e: 'rel', cic: r.cic as number, opc: r.opc as number, cause: r.cause as number, call: ptr(r.call) };
    }
    case SS7_EVENT.ACM: {
      const r = d(EV_ACM);
      return { e: 'acm', cic: r.cic as number, opc: r.opc as number, call: ptr(r.call) };
    }
    case SS7_EVENT.ANM: {
      const r = d(EV_ANM);
      return { e: 'anm', cic: r.cic as number, opc: r.opc as number, call: ptr(r.call) };
    }
    case SS7_EVENT.CON: {
      const r = d(EV_CON);
      return { e: 'con', cic: r.cic as number, opc: r.opc as number, call: ptr(r.call) };
    }
    case SS7_EVENT.CPG: {
      const r = d(EV_CPG);
      return { e: 'cpg', cic: r.cic as number, opc: r.opc as number, event: r.event as number, call: ptr(r.call) };
    }
    default: {
      const cicName = cicEvents[code];
      if (cicName) {
        const r = d(EV_CIC);
        return { e: cicName, cic: r.cic as number, opc: r.opc as number, call: ptr(r.call) };
      }
      const rangeName = rangeEvents[code];
      if (rangeName) {
        const r = d(EV_CICRANGE);
        const start = r.startcic as number;
        const end = r.endcic as number;
        const status = (r.status as number[]).slice(0, Math.max(0, Math.min(255, end - start + 1)));
        return { e: rangeName, startCic: start, endCic: end, opc: r.opc as number, status, call: ptr(r.call) };
      }
      return { e: 'other', code };
    }
  }
}

/** koffi callbacks currently registered in this process (for leak checks in tests). */
export function liveCallbacks(): number {
  return koffi.stats().callbacks;
}

// sys/socket.h (Linux x86-64)
const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
/** Largest SU libss7 writes: MTP2 header + SIO + 272 octets of SIF + FCS, rounded up. */
const MAX_SU = 512;

let loaded: LibSs7 | null = null;

/** Loads libss7 (and the libc socket calls) once per process. Throws DriverError when missing. */
export function loadLibSs7(path = 'libss7.so.2.0'): LibSs7 {
  if (loaded) return loaded;
  let lib: LibraryHandle;
  let libc: LibraryHandle;
  try {
    lib = koffi.load(path);
    libc = koffi.load('libc.so.6');
  } catch (err) {
    throw new DriverError('dlopen', null, `cannot load ${path}`, { cause: err });
  }
  const c = {
    socketpair: libc.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)'),
    send: libc.func('long send(int fd, const uint8_t *buf, size_t len, int flags)'),
    recv: libc.func('long recv(int fd, _Out_ uint8_t *buf, size_t len, int flags)'),
    close: libc.func('int close(int fd)'),
    errno: libc.func('int *__errno_location(void)'),
  };
  const f = {
    version: lib.func('const char *ss7_get_version(void)'),
    newSs7: lib.func('void *ss7_new(int switchtype)'),
    destroy: lib.func('void ss7_destroy(void *ss7)'),
    addLink: lib.func('int ss7_add_link(void *ss7, int transport, int fd, int slc, unsigned int adjpc)'),
    setPc: lib.func('int ss7_set_pc(void *ss7, unsigned int pc)'),
    setNi: lib.func('int ss7_set_network_ind(void *ss7, int ni)'),
    setDebug: lib.func('void ss7_set_debug(void *ss7, unsigned int flags)'),
    setIsupTimer: lib.func('int ss7_set_isup_timer(void *ss7, const char *name, int ms)'),
    start: lib.func('int ss7_start(void *ss7)'),
    checkEvent: lib.func('void *ss7_check_event(void *ss7)'),
    scheduleNext: lib.func('void *ss7_schedule_next(void *ss7)'),
    scheduleRun: lib.func('int ss7_schedule_run(void *ss7)'),
    read: lib.func('int ss7_read(void *ss7, int fd)'),
    write: lib.func('int ss7_write(void *ss7, int fd)'),
    linkAlarm: lib.func('void ss7_link_alarm(void *ss7, int fd)'),
    linkNoAlarm: lib.func('void ss7_link_noalarm(void *ss7, int fd)'),
    setMessage: lib.func('void ss7_set_message(hotline_ss7_msg_cb *fn)'),
    setError: lib.func('void ss7_set_error(hotline_ss7_msg_cb *fn)'),
    setHangup: lib.func('void ss7_set_hangup(hotline_ss7_hangup_cb *fn)'),
    setNotInService: lib.func('void ss7_set_notinservice(hotline_ss7_nis_cb *fn)'),
    setCallNull: lib.func('void ss7_set_call_null(hotline_ss7_call_null_cb *fn)'),
    event2str: lib.func('const char *ss7_event2str(int event)'),
    newCall: lib.func('void *isup_new_call(void *ss7, int cic, unsigned int dpc, int outgoing)'),
    setCalled: lib.func('void isup_set_called(void *c, const char *called, uint8_t called_nai, void *ss7)'),
    setCalling: lib.func('void isup_set_calling(void *c, const char *calling, uint8_t calling_nai, uint8_t presentation_ind, uint8_t screening_ind)'),
    setCategory: lib.func('void isup_set_calling_party_category(void *c, unsigned int category)'),
    setTmr: lib.func('void isup_set_tmr(void *c, int tmr)'),
    iam: lib.func('int isup_iam(void *ss7, void *c)'),
    acm: lib.func('int isup_acm(void *ss7, void *c)'),
    anm: lib.func('int isup_anm(void *ss7, void *c)'),
    rel: lib.func('int isup_rel(void *ss7, void *c, int cause)'),
    rlc: lib.func('int isup_rlc(void *ss7, void *c)'),
    rsc: lib.func('int isup_rsc(void *ss7, void *c)'),
    grs: lib.func('int isup_grs(void *ss7, void *c, int endcic)'),
    gra: lib.func('int isup_gra(void *ss7, void *c, int endcic, uint8_t *state)'),
    cgb: lib.func('int isup_cgb(void *ss7, void *c, int endcic, uint8_t *state, int type)'),
    cgu: lib.func('int isup_cgu(void *ss7, void *c, int endcic, uint8_t *state, int type)'),
    cgba: lib.func('int isup_cgba(void *ss7, void *c, int endcic, uint8_t *state)'),
    cgua: lib.func('int isup_cgua(void *ss7, void *c, int endcic, uint8_t *state)'),
    blo: lib.func('int isup_blo(void *ss7, void *c)'),
    ubl: lib.func('int isup_ubl(void *ss7, void *c)'),
    bla: lib.func('int isup_bla(void *ss7, void *c)'),
    uba: lib.func('int isup_uba(void *ss7, void *c)'),
    eventIam: lib.func('int isup_event_iam(void *ss7, void *c, int opc)'),
    clearCallFlags: lib.func('void isup_clear_callflags(void *ss7, void *c, unsigned long flags)'),
    freeIfClear: lib.func('void *isup_free_call_if_clear(void *ss7, void *c)'),
    freeCall: lib.func('void isup_free_call(void *ss7, void *c)'),
  };

  // Process-global hooks, installed once and dispatched on the struct ss7 pointer.
  const hooks = new Map<bigint, Ss7Hooks>();
  let installed: bigint[] | null = null;
  const install = (): void => {
    if (installed) return;
    const msg = (level: 'message' | 'error') => (ss7: bigint | null, text: string | null) => {
      if (ss7 !== null) hooks.get(ss7)?.message(level, (text ?? '').trimEnd());
    };
    const cbs = {
      msg: koffi.register(msg('message'), koffi.pointer(MSG_PROTO)),
      err: koffi.register(msg('error'), koffi.pointer(MSG_PROTO)),
      hangup: koffi.register(
        (ss7: bigint | null, cic: number, dpc: number, cause: number, action: number) =>
          (ss7 !== null ? hooks.get(ss7)?.hangup(cic, dpc, cause, action) : undefined) ?? SS7_CIC_NOT_EXISTS,
        koffi.pointer(HANGUP_PROTO),
      ),
      nis: koffi.register((ss7: bigint | null, cic: number, dpc: number) => {
        if (ss7 !== null) hooks.get(ss7)?.notInService(cic, dpc);
      }, koffi.pointer(NIS_PROTO)),
      callNull: koffi.register((ss7: bigint | null, call: bigint | null) => {
        if (ss7 !== null && call !== null) hooks.get(ss7)?.callNull(call as IsupCallPtr);
      }, koffi.pointer(NULL_PROTO)),
    };
    f.setMessage(cbs.msg);
    f.setError(cbs.err);
    f.setHangup(cbs.hangup);
    f.setNotInService(cbs.nis);
    f.setCallNull(cbs.callNull);
    installed = Object.values(cbs);
  };
  const errno = (): number => koffi.decode(c.errno(), 'int') as number;

  loaded = {
    version: () => f.version() as string,
    openLinkset(p) {
      install();
      const sv = [-1, -1];
      if ((c.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) as number) !== 0) {
        throw new DriverError('socketpair', errno(), 'cannot create the MTP2 mailbox socket pair');
      }
      const [linkFd, ourFd] = sv as [number, number];
      const ss7 = f.newSs7(SS7_ITU) as Ss7Handle | null;
      if (ss7 === null) {
        c.close(linkFd);
        c.close(ourFd);
        throw new DriverError('ss7_new', null, 'libss7 refused to create a linkset');
      }
      hooks.set(ss7, p.hooks);
      f.setPc(ss7, p.pc);
      f.setNi(ss7, p.networkIndicator);
      if ((f.addLink(ss7, SS7_TRANSPORT_DAHDIDCHAN, linkFd, p.slc, p.adjPc) as number) !== 0) {
        hooks.delete(ss7);
        f.destroy(ss7);
        c.close(linkFd);
        c.close(ourFd);
        throw new DriverError('ss7_add_link', null, 'libss7 refused the signalling link');
      }
      const buf = new Uint8Array(MAX_SU);
      let open = true;
      return {
        ss7,
        receive(su) {
          if (!open) return;
          if ((c.send(ourFd, su, su.length, MSG_DONTWAIT | MSG_NOSIGNAL) as number) !== su.length) {
            throw new DriverError('send', errno(), 'MTP2 mailbox refused a signal unit');
          }
          f.read(ss7, linkFd);
        },
        transmit() {
          if (!open) return null;
          if ((f.write(ss7, linkFd) as number) <= 0) return null;
          const n = c.recv(ourFd, buf, buf.length, MSG_DONTWAIT) as number;
          return n > 0 ? buf.slice(0, n) : null;
        },
        destroy() {
          if (!open) return;
          open = false;
          hooks.delete(ss7);
          f.destroy(ss7);
          c.close(linkFd);
          c.close(ourFd);
        },
        linkFd,
      } as Ss7Linkset & { linkFd: number };
    },
    setDebug: (ss7, flags) => f.setDebug(ss7, flags),
    setIsupTimer(ss7, name, ms) {
      if ((f.setIsupTimer(ss7, name, ms) as number) !== 0) throw new DriverError('ss7_set_isup_timer', null, `libss7 rejected ISUP timer ${name}=${ms}`);
    },
    start: (ss7) => void f.start(ss7),
    checkEvent(ss7) {
      const ev = f.checkEvent(ss7) as bigint | null;
      return ev === null ? null : decodeEvent(ev);
    },
    scheduleNext(ss7) {
      const tv = f.scheduleNext(ss7) as bigint | null;
      if (tv === null) return null;
      const t = koffi.decode(tv, TIMEVAL) as { tv_sec: number; tv_usec: number };
      return t.tv_sec * 1000 + Math.ceil(t.tv_usec / 1000);
    },
    scheduleRun: (ss7) => void f.scheduleRun(ss7),
    linkAlarm(link, on) {
      const fd = (link as Ss7Linkset & { linkFd: number }).linkFd;
      if (on) f.linkAlarm(link.ss7, fd);
      else f.linkNoAlarm(link.ss7, fd);
    },
    newCall: (ss7, cic, dpc, outgoing) => f.newCall(ss7, cic, dpc, outgoing ? 1 : 0) as IsupCallPtr | null,
    iam(ss7, call, p) {
      // libss7 copies both numbers into the call record (strncpy), so koffi's temporaries are safe.
      f.setCalled(call, p.called, p.calledNai, ss7);
      f.setCalling(call, p.calling, p.callingNai, p.presentation, p.screening);
      f.setCategory(call, p.category);
      f.setTmr(call, p.transmissionMedium);
      return f.iam(ss7, call) as number;
    },
    acm: (ss7, call) => f.acm(ss7, call) as number,
    anm: (ss7, call) => f.anm(ss7, call) as number,
    rel: (ss7, call, cause) => f.rel(ss7, call, cause) as number,
    rlc: (ss7, call) => f.rlc(ss7, call) as number,
    rsc: (ss7, call) => f.rsc(ss7, call) as number,
    grs: (ss7, call, endCic) => f.grs(ss7, call, endCic) as number,
    gra: (ss7, call, endCic, status) => f.gra(ss7, call, endCic, Uint8Array.from(status.length > 0 ? status : [0])) as number,
    cgb: (ss7, call, endCic, status, type) => f.cgb(ss7, call, endCic, statusBytes(status), type) as number,
    cgu: (ss7, call, endCic, status, type) => f.cgu(ss7, call, endCic, statusBytes(status), type) as number,
    cgba: (ss7, call, endCic, status) => f.cgba(ss7, call, endCic, statusBytes(status)) as number,
    cgua: (ss7, call, endCic, status) => f.cgua(ss7, call, endCic, statusBytes(status)) as number,
    blo: (ss7, call) => f.blo(ss7, call) as number,
    ubl: (ss7, call) => f.ubl(ss7, call) as number,
    bla: (ss7, call) => f.bla(ss7, call) as number,
    uba: (ss7, call) => f.uba(ss7, call) as number,
    eventIam(ss7, call, opc) {
      f.clearCallFlags(ss7, call, ISUP_SENT_IAM);
      return f.eventIam(ss7, call, opc) as number;
    },
    freeIfClear: (ss7, call) => f.freeIfClear(ss7, call) as IsupCallPtr | null,
    freeCall: (ss7, call) => void f.freeCall(ss7, call),
    eventName: (code) => f.event2str(code) as string,
  };
  return loaded;
}

/** libss7 reads a range-and-status array of 255 bytes (one per CIC of the range). */
function statusBytes(status: readonly number[]): Uint8Array {
  const out = new Uint8Array(255);
  out.set(status.slice(0, 255));
  return out;
}
