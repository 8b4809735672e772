/**
 * Card driver contracts: what the simulated card (drivers/sim) and the real DAHDI driver
 * (drivers/dahdi) both implement, and what the signalling stacks (drivers/libpri, SS7, R2,
 * analog) and the media engine consume.
 *
 * Vocabulary is kept as the specs and DAHDI give it, because operators speak it:
 * - ITU-T G.704 §2.3 (E1 frame structure): "CRC-4" multiframe, FAS/NFAS, timeslot 16 for CAS or
 *   the D channel; G.703 line codes HDB3/AMI.
 * - ITU-T G.732/G.775 and dahdi/user.h `struct dahdi_spaninfo`: alarms RED (local loss of
 *   signal/frame), YELLOW (remote alarm indication), BLUE (AIS), LOS; the counters `bpvcount`,
 *   `crc4count`, `ebitcount`, `fascount`, slips, and `syncsrc`.
 * - ITU-T Q.921: the D channel carries HDLC frames (LAPD).
 * - ITU-T Q.421 / China No.1: R2 line signalling in the ABCD bits of timeslot 16.
 * - ITU-T G.711 A-law, 8 kHz: every B channel moves 160-byte frames of 20 ms.
 *
 * Expected line conditions (alarms, an on-hook, a ring) are events carrying values. A driver that
 * cannot do what it was asked (open failed, ioctl returned -1, a frame of the wrong size) throws
 * DriverError from core/errors, with the failing `call` and the `errno` when there is one.
 */
import { DriverError } from '../appliance/core/errors.js';

export { DriverError };

/** G.711 A-law at 8 kHz, 20 ms per frame: one byte per sample. */
export const SAMPLE_RATE = 8000;
export const FRAME_MS = 20;
export const FRAME_BYTES = (SAMPLE_RATE * FRAME_MS) / 1000;

/** E1 has 32 timeslots: 0 carries FAS/NFAS, 16 carries CAS or the D channel, the rest bearers. */
export const E1_TIMESLOTS = 32;
export const E1_SIGNALLING_TIMESLOT = 16;
/** The 30 bearer timeslots of an E1: 1–15 and 17–31. */
export const E1_BEARER_TIMESLOTS: readonly number[] = Array.from({ length: 31 }, (_, i) => i + 1).filter(
  (ts) => ts !== E1_SIGNALLING_TIMESLOT,
);

/** G.704: CCS (timeslot 16 is a common channel: PRI D channel, SS7 link) or CAS (ABCD bits, R2). */
export const E1Framings = ['ccs', 'cas'] as const;
export type E1Framing = (typeof E1Framings)[number];

export const LineCodes = ['hdb3', 'ami'] as const;
export type LineCode = (typeof LineCodes)[number];

/** Which stack runs on the span. `pri_cpe`/`pri_net` are the two Q.921/Q.931 sides. */
export const SpanSignallings = ['pri_cpe', 'pri_net', 'ss7', 'r2', 'none'] as const;
export type SpanSignalling = (typeof SpanSignallings)[number];

/** dahdi/user.h DAHDI_ALARM_RED / _YELLOW / _BLUE, plus loss of signal reported separately. */
export const SpanAlarms = ['red', 'yellow', 'blue', 'los'] as const;
export type SpanAlarm = (typeof SpanAlarms)[number];

export interface SpanConfig {
  framing: E1Framing;
  /** G.704 §2.3.3 CRC-4 multiframe; China Telecom E1s normally run with CRC-4 on. */
  crc4: boolean;
  lineCode: LineCode;
  /**
   * Timing priority as in DAHDI's `span=` line: 0 never takes clock from this span (we are the
   * master towards it), 1 is the preferred source, 2 the next, and so on.
   */
  timing: number;
  signalling: SpanSignalling;
}

export interface SpanStatus {
  readonly spanNo: number;
  /** Empty when the span is in service. */
  readonly alarms: readonly SpanAlarm[];
  /** Bipolar violations (line code errors). */
  readonly bpvCount: number;
  /** CRC-4 errors in received sub-multiframes. */
  readonly crc4Count: number;
  /** E-bits: CRC-4 errors the far end reports about our signal. */
  readonly ebitCount: number;
  /** Frame alignment signal errors. */
  readonly fasCount: number;
  /** Controlled slips (frame repeated or deleted by a clock mismatch). */
  readonly slips: number;
  /** Span number we currently take clock from; 0 when running from the internal clock. */
  readonly syncSrc: number;
}

/** One B channel: A-law in and out, FRAME_BYTES per frame, one frame every FRAME_MS. */
export interface TdmChannel {
  readonly spanNo: number;
  /** E1 timeslot, 1–31 (16 only on spans without a signalling channel). */
  readonly timeslot: number;
  /** Card-wide channel number (DAHDI numbering: spans packed in order, 31 per E1). */
  readonly chanNo: number;
  readonly codec: 'PCMA';
  /** The receive side: one call per frame from the line. The frame is only valid during the call. */
  on(event: 'frame', fn: (frame: Uint8Array) => void): this;
  off(event: 'frame', fn: (frame: Uint8Array) => void): this;
  /** Queue one frame for the line. Throws DriverError unless `frame.length === FRAME_BYTES`. */
  write(frame: Uint8Array): void;
  /** ABCD bits of this timeslot on a CAS span; null on CCS spans. */
  readonly cas: CasBits | null;
}

/**
 * Q.421 line signalling bits of one timeslot, as a 4-bit number with A in bit 3 … D in bit 0
 * (the order DAHDI's DAHDI_SETTXBITS/DAHDI_GETRXBITS use).
 */
export interface CasBits {
  readonly rx: number;
  setTx(abcd: number): void;
  on(event: 'change', fn: (abcd: number) => void): this;
  off(event: 'change', fn: (abcd: number) => void): this;
}

/** HDLC conditions a D channel reports besides frames (DAHDI_EVENT_ABORT/BADFCS/OVERRUN). */
export const DChannelFaults = ['abort', 'bad-fcs', 'overrun'] as const;
export type DChannelFault = (typeof DChannelFaults)[number];

/**
 * The D channel in HDLC mode. Frames are exchanged the way DAHDI and libpri do: the LAPD frame
 * followed by 2 FCS bytes. The driver computes the FCS on send and checks it on receive, so the
 * two trailing bytes carry no meaning for the reader and may be zero on send.
 */
export interface DChannel {
  readonly spanNo: number;
  readonly timeslot: number;
  send(frame: Uint8Array): void;
  on(event: 'frame', fn: (frame: Uint8Array) => void): this;
  on(event: 'fault', fn: (fault: DChannelFault) => void): this;
  off(event: 'frame', fn: (frame: Uint8Array) => void): this;
  off(event: 'fault', fn: (fault: DChannelFault) => void): this;
}

export interface Span {
  readonly spanNo: number;
  readonly config: SpanConfig;
  /** Bearers in timeslot order (30 on an E1 with a signalling timeslot, 31 without). */
  readonly bChannels: readonly TdmChannel[];
  /** The timeslot-16 HDLC channel on CCS spans running PRI or SS7; null otherwise. */
  readonly dChannel: DChannel | null;
  status(): SpanStatus;
  /** Fired on every change of `status().alarms` (raised and cleared). */
  on(event: 'alarm', fn: (status: SpanStatus) => void): this;
  off(event: 'alarm', fn: (status: SpanStatus) => void): this;
  close(): Promise<void>;
}

/** FXS ports feed a phone (we ring it, it goes off hook); FXO ports face a line (it rings us). */
export const AnalogPortKinds = ['fxs', 'fxo'] as const;
export type AnalogPortKind = (typeof AnalogPortKinds)[number];

/** Caller-ID as sent before or between rings: FSK (ITU-T V.23, ETSI EN 300 659) or DTMF. */
export interface CallerId {
  readonly number: string;
  readonly name?: string;
  /** 'restricted' and 'unavailable' are the "P" and "O" absence reasons of EN 300 659-3. */
  readonly presentation: 'allowed' | 'restricted' | 'unavailable';
  readonly method: 'fsk-v23' | 'fsk-bell202' | 'dtmf';
}

export type AnalogEvent =
  | { readonly type: 'off-hook' }
  | { readonly type: 'on-hook' }
  | { readonly type: 'flash'; readonly ms: number }
  | { readonly type: 'ring-start' }
  | { readonly type: 'ring-stop' }
  | { readonly type: 'polarity-reversal' }
  | { readonly type: 'caller-id'; readonly callerId: CallerId };

export interface AnalogPort {
  readonly portNo: number;
  readonly kind: AnalogPortKind;
  readonly audio: TdmChannel;
  readonly hook: 'on' | 'off';
  /** FXS: hook, flash from the phone. FXO: ring, caller-ID, polarity reversal from the line. */
  on(event: 'event', fn: (e: AnalogEvent) => void): this;
  off(event: 'event', fn: (e: AnalogEvent) => void): this;
  /** FXS only: ring with the given cadence (ms on, ms off …), caller-ID sent after the first ring. */
  ring(cadence: readonly number[], callerId?: CallerId): void;
  /** FXS only. */
  stopRing(): void;
  /** FXS only: reverse battery (answer supervision / disconnect signal towards the phone). */
  setPolarity(reversed: boolean): void;
  /** FXO only: seize (off hook) or release the line. */
  setHook(state: 'on' | 'off'): void;
  /** FXO only: a timed break, to ask the exchange for a transfer. */
  flash(ms: number): void;
  close(): Promise<void>;
}

export interface CardInfo {
  /** e.g. "TE420 quad E1" or "sim quad-E1 + 8 analog". */
  readonly name: string;
  readonly kind: CardDriver['kind'];
  /** Span numbers this card provides. */
  readonly spans: readonly number[];
  readonly analogPorts: readonly { readonly portNo: number; readonly kind: AnalogPortKind }[];
}

/** One card technology. Only the daemon picks a concrete driver (dahdi via dynamic import). */
export interface CardDriver {
  readonly kind: 'dahdi' | 'sim';
  /** Cards present; an empty list (not an error) when there is no hardware. */
  probe(): Promise<CardInfo[]>;
  openSpan(spanNo: number, config: SpanConfig): Promise<Span>;
  openAnalogPort(portNo: number): Promise<AnalogPort>;
  close(): Promise<void>;
}

/** Checks a frame handed to TdmChannel.write; drivers share this so the error is the same everywhere. */
export function assertFrame(call: string, frame: Uint8Array): void {
  if (frame.length !== FRAME_BYTES) {
    throw new DriverError(call, null, `TDM frame must be ${FRAME_BYTES} bytes, got ${frame.length}`);
  }
}

/**
 * A signalling-neutral view of the calls on one span's B channels, for the appliance's TDM legs
 * (appliance/channel/tdm-channel.ts). PRI (Q.931), ISUP (Q.764) and China No.1 R2 (Q.421/Q.441)
 * each map onto it in their own driver (drivers/libpri/tdm-adapter.ts …), so the channel layer
 * never imports a concrete stack. Calls are named by the E1 timeslot of their bearer (the
 * adapters translate CICs); causes are Q.850.
 */
export interface TdmOffer {
  readonly timeslot: number;
  readonly calling: string;
  readonly callingName: string;
  readonly called: string;
  readonly presentation: 'allowed' | 'restricted' | 'unavailable';
}

export interface TdmHangup {
  readonly timeslot: number;
  /** Q.850 cause value. */
  readonly cause: number;
  /** Which side cleared first. */
  readonly by: 'local' | 'remote';
}

export interface TdmSignallingEvents {
  /** An inbound call (SETUP / IAM / seizure with ANI and DNIS complete). */
  ring: TdmOffer;
  /** Outbound: the far end is proceeding (CALL PROCEEDING); not every stack reports it. */
  proceeding: { readonly timeslot: number };
  /** Outbound: the far end alerts (ALERTING / ACM / R2 group B "subscriber free"). */
  ringing: { readonly timeslot: number; readonly inband: boolean };
  /** Outbound: the far end answered (CONNECT / ANM / R2 answer line signal). */
  answer: { readonly timeslot: number };
  /** The call on a timeslot is cleared, reported once per call. */
  hangup: TdmHangup;
}

export interface TdmSetup {
  /** Preferred timeslot; the stack picks an idle one when omitted. */
  readonly timeslot?: number;
  readonly called: string;
  readonly calling: string;
  /** Calling party name, where the stack can carry it (analog caller-ID). */
  readonly callingName?: string;
  readonly presentation?: 'allowed' | 'restricted' | 'unavailable';
}

/** Why an outbound call did not go out: values, so call control can try another route. */
export type TdmSetupResult = { readonly ok: true; readonly timeslot: number } | { readonly ok: false; readonly reason: 'link-down' | 'busy' | 'blocked' | 'no-circuit' };

export interface TdmSignalling {
  /** `analog`: FXS/FXO ports (drivers/analog/signalling.ts), each port a "timeslot" numbered by its port. */
  readonly kind: 'pri' | 'isup' | 'r2' | 'analog';
  readonly spanNo: number;
  on<K extends keyof TdmSignallingEvents>(event: K, fn: (e: TdmSignallingEvents[K]) => void): this;
  off<K extends keyof TdmSignallingEvents>(event: K, fn: (e: TdmSignallingEvents[K]) => void): this;
  setup(p: TdmSetup): TdmSetupResult;
  /** Inbound: CALL PROCEEDING (a no-op where the stack has none). */
  proceeding(timeslot: number): void;
  /** Inbound: ALERTING / ACM / R2 "subscriber free"; `inband` when tones or prompts follow. */
  alerting(timeslot: number, inband?: boolean): void;
  /** Inbound: PROGRESS with in-band information (early media). */
  progress(timeslot: number): void;
  /** Inbound: CONNECT / ANM / R2 answer. */
  answer(timeslot: number): void;
  /** Clear with a Q.850 cause; `hangup` follows once cleared. */
  hangup(timeslot: number, cause: number): void;
}
