/**
 * koffi bindings to Debian's libpri (package libpri1.4, upstream 1.6.0, `/usr/lib/libpri.so.1.4`),
 * declared against `/usr/include/libpri.h`. This is the only file of drivers/libpri that imports
 * koffi; pri-span.ts sees typed functions, branded pointers and decoded events.
 *
 * Rules learnt the hard way (shared/NATIVE-PROBE.md):
 * - `pri_new_cb` calls io_write (Q.921 SABME) before it returns, so the io callbacks are closures
 *   that do not need the `struct pri *`.
 * - io_write must return exactly `len` (the frame plus 2 FCS bytes libpri leaves room for), and the
 *   frame must be copied out of libpri's buffer: `koffi.view` aliases C memory.
 * - io_read returns 0 for "nothing to read"; `pri_check_event` only tests for 0.
 * - The event returned by `pri_check_event`/`pri_schedule_run` is `&ctrl->ev`, overwritten by the
 *   next call on that controller: decodeEvent() copies every field out at once.
 * - `pri_set_message`/`pri_set_error` are process-global; they are registered once here and
 *   dispatched on the `struct pri *`.
 * - libpri 1.6 has no public destructor for a controller. `pri_link_destroy` is exported but frees
 *   only a Q.921 link and crashes on a master controller (SIGSEGV, tried). A closed span's
 *   `struct pri` is therefore left allocated (a few KB; Asterisk never frees them either) and is
 *   never called again.
 * - libpri's scheduler stamps timers with gettimeofday(); `pri_schedule_run_tv` is declared in
 *   the 1.6.0 header but not exported by the Debian build, so only `pri_schedule_run` exists.
 */
import koffi, { type LibraryHandle, type TypeObject } from 'koffi';
import { DriverError } from '../types.js';

declare const priBrand: unique symbol;
declare const callBrand: unique symbol;
/** `struct pri *`: one D-channel controller. */
export type PriHandle = bigint & { readonly [priBrand]: true };
/** `q931_call *`: opaque, invalid once libpri has destroyed the call. */
export type Q931Call = bigint & { readonly [callBrand]: true };

// libpri.h node types and switch types
export const PRI_NETWORK = 1;
export const PRI_CPE = 2;
export const PRI_SWITCH_EUROISDN_E1 = 5;

// libpri.h debug flags
export const PRI_DEBUG_Q921_STATE = 1 << 2;
export const PRI_DEBUG_Q931_DUMP = 1 << 5;
export const PRI_DEBUG_Q931_STATE = 1 << 6;

// libpri.h numbering plans (type of number << 4 | numbering plan)
export const PRI_UNKNOWN = 0x00;
export const PRI_INTERNATIONAL_ISDN = 0x11;
export const PRI_NATIONAL_ISDN = 0x21;
export const PRI_LOCAL_ISDN = 0x41;

// libpri.h presentation: Q.931 §4.5.10 octet 3a, bits 7-6 presentation, bits 2-1 screening
export const PRI_PRES_RESTRICTION = 0x60;
export const PRI_PRES_ALLOWED = 0x00;
export const PRI_PRES_RESTRICTED = 0x20;
export const PRI_PRES_UNAVAILABLE = 0x40;
export const PRI_PRES_USER_NUMBER_UNSCREENED = 0x00;
export const PRI_PRES_NETWORK_NUMBER = 0x03;

// libpri.h bearer: Q.931 §4.5.5 information transfer capability and user layer 1 protocol
export const PRI_TRANS_CAP_SPEECH = 0x00;
export const PRI_TRANS_CAP_3_1K_AUDIO = 0x10;
export const PRI_LAYER_1_ALAW = 0x23;

// libpri.h events
export const PRI_EVENT = {
  DCHAN_UP: 1,
  DCHAN_DOWN: 2,
  RESTART: 3,
  CONFIG_ERR: 4,
  RING: 5,
  HANGUP: 6,
  RINGING: 7,
  ANSWER: 8,
  HANGUP_ACK: 9,
  RESTART_ACK: 10,
  FACILITY: 11,
  INFO_RECEIVED: 12,
  PROCEEDING: 13,
  SETUP_ACK: 14,
  HANGUP_REQ: 15,
  NOTIFY: 16,
  PROGRESS: 17,
  KEYPAD_DIGIT: 18,
  CONNECT_ACK: 27,
} as const;

/** A libpri event, copied out of the `pri_event` union at once (see file header). */
export type PriEvent =
  | { readonly e: 'dchan-up' }
  | { readonly e: 'dchan-down' }
  | { readonly e: 'restart'; readonly channel: number }
  | { readonly e: 'restart-ack'; readonly channel: number }
  | { readonly e: 'config-err'; readonly err: string }
  | {
      readonly e: 'ring';
      readonly channel: number;
      readonly call: Q931Call;
      readonly cref: number;
      readonly callingPres: number;
      readonly callingPlan: number;
      readonly callingNum: string;
      readonly callingName: string;
      readonly calledPlan: number;
      readonly calledNum: string;
      readonly flexible: boolean;
      readonly ctype: number;
      readonly layer1: number;
      readonly complete: boolean;
    }
  | { readonly e: 'info-received'; readonly channel: number; readonly call: Q931Call; readonly calledNum: string; readonly complete: boolean }
  | { readonly e: 'ringing' | 'answer'; readonly channel: number; readonly cref: number; readonly progress: number; readonly progressMask: number; readonly call: Q931Call }
  | { readonly e: 'proceeding' | 'progress'; readonly channel: number; readonly cref: number; readonly progressMask: number; readonly cause: number; readonly call: Q931Call }
  | { readonly e: 'setup-ack' | 'connect-ack'; readonly channel: number; readonly call: Q931Call }
  | { readonly e: 'hangup' | 'hangup-req' | 'hangup-ack'; readonly channel: number; readonly cause: number; readonly cref: number; readonly call: Q931Call }
  | { readonly e: 'keypad-digit'; readonly channel: number; readonly call: Q931Call; readonly digits: string }
  | { readonly e: 'other'; readonly code: number };

/** The frame transport of one controller. */
export interface PriIo {
  /** Copy one received frame (with its 2 FCS bytes) into `into`; return its length, or 0. */
  read(into: Uint8Array): number;
  /** A frame libpri wants sent (already copied, 2 FCS bytes included). Must not call libpri. */
  write(frame: Uint8Array): void;
}

/** What pri-span.ts gets from this file. */
export interface LibPri {
  /** `pri_new_cb(-1, node, switch, io_read, io_write, NULL)`; `release()` unregisters the io callbacks. */
  newCb(nodeType: number, switchType: number, io: PriIo): { pri: PriHandle; release(): void };
  setDebug(pri: PriHandle, flags: number): void;
  /** `pri_set_timer(pri, pri_timer2idx(name), value)`: Q.921/Q.931 timers in ms, counters as counts. */
  setTimer(pri: PriHandle, name: string, value: number): void;
  /** Route pri_message/pri_error text of this controller to `fn`; returns the unsubscribe. */
  onMessage(pri: PriHandle, fn: (level: 'message' | 'error', text: string) => void): () => void;
  checkEvent(pri: PriHandle): PriEvent | null;
  /** Absolute time of the next libpri timer, in gettimeofday milliseconds; null when none. */
  scheduleNext(pri: PriHandle): number | null;
  /** `pri_schedule_run`: runs expired timers (by gettimeofday) until one yields an event. */
  scheduleRun(pri: PriHandle): PriEvent | null;
  newCall(pri: PriHandle): Q931Call | null;
  setup(pri: PriHandle, call: Q931Call, req: SetupRequest): number;
  acknowledge(pri: PriHandle, call: Q931Call, channel: number, inband: boolean): number;
  proceeding(pri: PriHandle, call: Q931Call, channel: number, inband: boolean): number;
  progress(pri: PriHandle, call: Q931Call, channel: number, inband: boolean): number;
  answer(pri: PriHandle, call: Q931Call, channel: number, nonIsdn: boolean): number;
  hangup(pri: PriHandle, call: Q931Call, cause: number): number;
  destroyCall(pri: PriHandle, call: Q931Call): void;
  /** `pri_reset`: send RESTART for one channel. */
  reset(pri: PriHandle, channel: number): number;
  /** `pri_restart` (a no-op since libpri's Q.921 rewrite; kept for completeness). */
  restart(pri: PriHandle): number;
  eventName(code: number): string;
  causeText(cause: number): string;
}

export interface SetupRequest {
  channel: number;
  exclusive: boolean;
  transferCapability: number;
  userLayer1: number;
  called: string;
  calledPlan: number;
  complete: boolean;
  calling: string;
  callingName: string;
  callingPlan: number;
  callingPres: number;
}

const IO_PROTO = koffi.proto('int hotline_pri_io_cb(void *pri, void *buf, int buflen)');
const MSG_PROTO = koffi.proto('void hotline_pri_msg_cb(void *pri, const char *text)');
const TIMEVAL = koffi.struct('hotline_pri_timeval', { tv_sec: 'long', tv_usec: 'long' });

/** libpri.h `pri_event_ring`, up to and including `call`. Field order exactly as in the header. */
const EV_RING = koffi.struct('hotline_pri_event_ring', {
  e: 'int',
  channel: 'int',
  callingpres: 'int',
  callingplanani: 'int',
  callingplan: 'int',
  callingani: 'char[256]',
  callingnum: 'char[256]',
  callingname: 'char[256]',
  calledplan: 'int',
  ani2: 'int',
  callednum: 'char[256]',
  redirectingnum: 'char[256]',
  redirectingname: 'char[256]',
  redirectingreason: 'int',
  callingplanrdnis: 'int',
  useruserinfo: 'char[260]',
  flexible: 'int',
  cref: 'int',
  ctype: 'int',
  layer1: 'int',
  complete: 'int',
  call: 'void *',
});
const EV_ANSWER = koffi.struct('hotline_pri_event_answer', {
  e: 'int',
  channel: 'int',
  cref: 'int',
  progress: 'int',
  progressmask: 'int',
  call: 'void *',
});
const EV_PROCEEDING = koffi.struct('hotline_pri_event_proceeding', {
  e: 'int',
  channel: 'int',
  cref: 'int',
  progress: 'int',
  progressmask: 'int',
  cause: 'int',
  call: 'void *',
});
const EV_HANGUP = koffi.struct('hotline_pri_event_hangup', {
  e: 'int',
  channel: 'int',
  cause: 'int',
  cref: 'int',
  call: 'void *',
  aoc_units: 'long',
});
const EV_SETUP_ACK = koffi.struct('hotline_pri_event_setup_ack', { e: 'int', channel: 'int', call: 'void *' });
const EV_KEYPAD = koffi.struct('hotline_pri_event_keypad_digit', {
  e: 'int',
  channel: 'int',
  call: 'void *',
  digits: 'char[64]',
});
const EV_RESTART = koffi.struct('hotline_pri_event_restart', { e: 'int', channel: 'int' });
const EV_ERROR = koffi.struct('hotline_pri_event_error', { e: 'int', err: 'char[256]' });

/** Offsets of the event views, for the test that checks them against NATIVE-PROBE's C offsetof table. */
export const eventLayout = {
  ring: { channel: koffi.offsetof(EV_RING, 'channel'), callingnum: koffi.offsetof(EV_RING, 'callingnum'), callednum: koffi.offsetof(EV_RING, 'callednum'), complete: koffi.offsetof(EV_RING, 'complete'), call: koffi.offsetof(EV_RING, 'call') },
  answer: { call: koffi.offsetof(EV_ANSWER, 'call') },
  proceeding: { cause: koffi.offsetof(EV_PROCEEDING, 'cause'), call: koffi.offsetof(EV_PROCEEDING, 'call') },
  hangup: { cause: koffi.offsetof(EV_HANGUP, 'cause'), call: koffi.offsetof(EV_HANGUP, 'call'), aocUnits: koffi.offsetof(EV_HANGUP, 'aoc_units') },
  keypad: { digits: koffi.offsetof(EV_KEYPAD, 'digits') },
} as const;

interface Decoded {
  [field: string]: number | string | bigint | null;
}

function channelOf(raw: number): number {
  // libpri encodes channel | ds1 << 8 | explicit << 16 (PRI_CHANNEL/PRI_SPAN/PRI_EXPLICIT); -1 is "any".
  return raw < 0 ? raw : raw & 0xff;
}

function decodeEvent(ev: bigint): PriEvent {
  const code = koffi.decode(ev, 'int') as number;
  const d = (t: TypeObject): Decoded => koffi.decode(ev, t) as Decoded;
  const call = (v: unknown): Q931Call => v as Q931Call;
  switch (code) {
    case PRI_EVENT.DCHAN_UP:
      return { e: 'dchan-up' };
    case PRI_EVENT.DCHAN_DOWN:
      return { e: 'dchan-down' };
    case PRI_EVENT.RESTART:
    case PRI_EVENT.RESTART_ACK: {
      const r = d(EV_RESTART);
      return { e: code === PRI_EVENT.RESTART ? 'restart' : 'restart-ack', channel: channelOf(r.channel as number) };
    }
    case PRI_EVENT.CONFIG_ERR:
      return { e: 'config-err', err: d(EV_ERROR).err as string };
    case PRI_EVENT.RING: {
      const r = d(EV_RING);
      return {
        e: 'ring',
        channel: channelOf(r.channel as number),
        call: call(r.call),
        cref: r.cref as number,
        callingPres: r.callingpres as number,
        callingPlan: r.callingplan as number,
        callingNum: r.callingnum as string,
        callingName: r.callingname as string,
        calledPlan: r.calledplan as number,
        calledNum: r.callednum as string,
        flexible: r.flexible !== 0,
        ctype: r.ctype as number,
        layer1: r.layer1 as number,
        complete: r.complete !== 0,
      };
    }
    case PRI_EVENT.INFO_RECEIVED: {
      // q931.c fills INFO_RECEIVED through the ring view: channel, callednum, complete, call.
      const r = d(EV_RING);
      return { e: 'info-received', channel: channelOf(r.channel as number), call: call(r.call), calledNum: r.callednum as string, complete: r.complete !== 0 };
    }
    case PRI_EVENT.RINGING:
    case PRI_EVENT.ANSWER: {
      const a = d(EV_ANSWER);
      return {
        e: code === PRI_EVENT.RINGING ? 'ringing' : 'answer',
        channel: channelOf(a.channel as number),
        cref: a.cref as number,
        progress: a.progress as number,
        progressMask: a.progressmask as number,
        call: call(a.call),
      };
    }
    case PRI_EVENT.PROCEEDING:
    case PRI_EVENT.PROGRESS: {
      const p = d(EV_PROCEEDING);
      return {
        e: code === PRI_EVENT.PROCEEDING ? 'proceeding' : 'progress',
        channel: channelOf(p.channel as number),
        cref: p.cref as number,
        progressMask: p.progressmask as number,
        cause: p.cause as number,
        call: call(p.call),
      };
    }
    case PRI_EVENT.SETUP_ACK:
    case PRI_EVENT.CONNECT_ACK: {
      const s = d(EV_SETUP_ACK);
      return { e: code === PRI_EVENT.SETUP_ACK ? 'setup-ack' : 'connect-ack', channel: channelOf(s.channel as number), call: call(s.call) };
    }
    case PRI_EVENT.HANGUP:
    case PRI_EVENT.HANGUP_REQ:
    case PRI_EVENT.HANGUP_ACK: {
      const h = d(EV_HANGUP);
      const e = code === PRI_EVENT.HANGUP ? 'hangup' : code === PRI_EVENT.HANGUP_REQ ? 'hangup-req' : 'hangup-ack';
      return { e, channel: channelOf(h.channel as number), cause: h.cause as number, cref: h.cref as number, call: call(h.call) };
    }
    case PRI_EVENT.KEYPAD_DIGIT: {
      const k = d(EV_KEYPAD);
      return { e: 'keypad-digit', channel: channelOf(k.channel as number), call: call(k.call), digits: k.digits as string };
    }
    default:
      return { e: 'other', code };
  }
}

/** koffi callbacks currently registered in this process (for leak checks in tests). */
export function liveCallbacks(): number {
  return koffi.stats().callbacks;
}

let loaded: LibPri | null = null;

/** Loads libpri once per process. Throws DriverError when the library is missing. */
export function loadLibPri(path = 'libpri.so.1.4'): LibPri {
  if (loaded) return loaded;
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (err) {
    throw new DriverError('dlopen', null, `cannot load ${path}`, { cause: err });
  }
  const f = {
    newCb: lib.func('void *pri_new_cb(int fd, int nodetype, int switchtype, hotline_pri_io_cb *rd, hotline_pri_io_cb *wr, void *userdata)'),
    setDebug: lib.func('void pri_set_debug(void *pri, int debug)'),
    timer2idx: lib.func('int pri_timer2idx(const char *name)'),
    setTimer: lib.func('int pri_set_timer(void *pri, int timer, int value)'),
    setMessage: lib.func('void pri_set_message(hotline_pri_msg_cb *fn)'),
    setError: lib.func('void pri_set_error(hotline_pri_msg_cb *fn)'),
    checkEvent: lib.func('void *pri_check_event(void *pri)'),
    scheduleNext: lib.func('void *pri_schedule_next(void *pri)'),
    scheduleRun: lib.func('void *pri_schedule_run(void *pri)'),
    newCall: lib.func('void *pri_new_call(void *pri)'),
    srNew: lib.func('void *pri_sr_new(void)'),
    srFree: lib.func('void pri_sr_free(void *sr)'),
    srSetChannel: lib.func('int pri_sr_set_channel(void *sr, int channel, int exclusive, int nonisdn)'),
    srSetBearer: lib.func('int pri_sr_set_bearer(void *sr, int transmode, int userl1)'),
    srSetCalled: lib.func('int pri_sr_set_called(void *sr, const char *called, int calledplan, int complete)'),
    srSetCaller: lib.func('int pri_sr_set_caller(void *sr, const char *caller, const char *callername, int callerplan, int callerpres)'),
    setup: lib.func('int pri_setup(void *pri, void *call, void *sr)'),
    acknowledge: lib.func('int pri_acknowledge(void *pri, void *call, int channel, int info)'),
    proceeding: lib.func('int pri_proceeding(void *pri, void *call, int channel, int info)'),
    progress: lib.func('int pri_progress(void *pri, void *call, int channel, int info)'),
    answer: lib.func('int pri_answer(void *pri, void *call, int channel, int nonisdn)'),
    hangup: lib.func('int pri_hangup(void *pri, void *call, int cause)'),
    destroyCall: lib.func('void pri_destroycall(void *pri, void *call)'),
    reset: lib.func('int pri_reset(void *pri, int channel)'),
    restart: lib.func('int pri_restart(void *pri)'),
    event2str: lib.func('const char *pri_event2str(int id)'),
    cause2str: lib.func('const char *pri_cause2str(int cause)'),
  };

  // Process-global message/error hooks, dispatched on the controller pointer.
  const listeners = new Map<bigint, (level: 'message' | 'error', text: string) => void>();
  let hooks: { msg: bigint; err: bigint } | null = null;
  const hook = (level: 'message' | 'error') => (pri: bigint | null, text: string | null) => {
    if (pri !== null) listeners.get(pri)?.(level, (text ?? '').trimEnd());
  };

  loaded = {
    newCb(nodeType, switchType, io) {
      const rd = koffi.register((_p: unknown, buf: bigint, n: number) => io.read(new Uint8Array(koffi.view(buf, n))), koffi.pointer(IO_PROTO));
      const wr = koffi.register((_p: unknown, buf: bigint, n: number) => {
        io.write(new Uint8Array(koffi.view(buf, n)).slice());
        return n;
      }, koffi.pointer(IO_PROTO));
      const release = (): void => {
        koffi.unregister(rd);
        koffi.unregister(wr);
      };
      const pri = f.newCb(-1, nodeType, switchType, rd, wr, null) as bigint | null;
      if (pri === null) {
        release();
        throw new DriverError('pri_new_cb', null, 'libpri refused to create a controller');
      }
      return { pri: pri as PriHandle, release };
    },
    setDebug: (pri, flags) => f.setDebug(pri, flags),
    setTimer(pri, name, value) {
      const idx = f.timer2idx(name) as number;
      if (idx < 0 || (f.setTimer(pri, idx, value) as number) !== 0) {
        throw new DriverError('pri_set_timer', null, `libpri rejected timer ${name}=${value}`);
      }
    },
    onMessage(pri, fn) {
      if (!hooks) {
        hooks = {
          msg: koffi.register(hook('message'), koffi.pointer(MSG_PROTO)),
          err: koffi.register(hook('error'), koffi.pointer(MSG_PROTO)),
        };
        f.setMessage(hooks.msg);
        f.setError(hooks.err);
      }
      listeners.set(pri, fn);
      return () => {
        listeners.delete(pri);
        if (listeners.size === 0 && hooks) {
          f.setMessage(null);
          f.setError(null);
          koffi.unregister(hooks.msg);
          koffi.unregister(hooks.err);
          hooks = null;
        }
      };
    },
    checkEvent(pri) {
      const ev = f.checkEvent(pri) as bigint | null;
      return ev === null ? null : decodeEvent(ev);
    },
    scheduleNext(pri) {
      const tv = f.scheduleNext(pri) as bigint | null;
      if (tv === null) return null;
      const t = koffi.decode(tv, TIMEVAL) as { tv_sec: number; tv_usec: number };
      return t.tv_sec * 1000 + Math.ceil(t.tv_usec / 1000);
    },
    scheduleRun(pri) {
      const ev = f.scheduleRun(pri) as bigint | null;
      return ev === null ? null : decodeEvent(ev);
    },
    newCall: (pri) => f.newCall(pri) as Q931Call | null,
    setup(pri, call, req) {
      const sr = f.srNew() as bigint | null;
      if (sr === null) throw new DriverError('pri_sr_new', null, 'out of memory');
      try {
        // libpri 1.6 copies the called/caller strings into the call record during pri_setup.
        f.srSetChannel(sr, req.channel, req.exclusive ? 1 : 0, 0);
        f.srSetBearer(sr, req.transferCapability, req.userLayer1);
        f.srSetCalled(sr, req.called, req.calledPlan, req.complete ? 1 : 0);
        f.srSetCaller(sr, req.calling, req.callingName, req.callingPlan, req.callingPres);
        return f.setup(pri, call, sr) as number;
      } finally {
        f.srFree(sr);
      }
    },
    acknowledge: (pri, call, channel, inband) => f.acknowledge(pri, call, channel, inband ? 1 : 0) as number,
    proceeding: (pri, call, channel, inband) => f.proceeding(pri, call, channel, inband ? 1 : 0) as number,
    progress: (pri, call, channel, inband) => f.progress(pri, call, channel, inband ? 1 : 0) as number,
    answer: (pri, call, channel, nonIsdn) => f.answer(pri, call, channel, nonIsdn ? 1 : 0) as number,
    hangup: (pri, call, cause) => f.hangup(pri, call, cause) as number,
    destroyCall: (pri, call) => f.destroyCall(pri, call),
    reset: (pri, channel) => f.reset(pri, channel) as number,
    restart: (pri) => f.restart(pri) as number,
    eventName: (code) => f.event2str(code) as string,
    causeText: (cause) => f.cause2str(cause) as string,
  };
  return loaded;
}
