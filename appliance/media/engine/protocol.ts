/**
 * The message protocol between the main thread (control plane) and a media worker
 * (DESIGN.md "Call model": "the media engine runs in worker threads and owns all RTP sockets;
 * the main thread never touches audio"). Every message carries the protocol version `v`;
 * both sides validate what crosses the boundary with these zod schemas and drop (and log)
 * anything else, so a bug on one side shows up as a named validation issue, not as a crash.
 *
 *   main → worker   { v, id, cmd: Command }                       a request
 *   worker → main   { v, kind: 'reply', id, ok: true, result }    its answer
 *                   { v, kind: 'reply', id, ok: false, error: { code, message } }
 *                   { v, kind: 'event', event: WorkerEvent }      unsolicited
 */
import { z } from 'zod';
import { G711Laws } from '../codec/g711.js';
import { ToneSpecSchema } from '../tones/tone-plan.js';
import { BridgeSides, TapModes } from '../mixer/mixer.js';
import { RecordingEncodings, RecordingOutcomes } from '../recorder/recorder.js';

export const PROTOCOL_VERSION = 1;

/**
 * Messages one side posts within a turn of its event loop, sent as one batch (an array, handled
 * in order) when there are several: a postMessage costs a structured clone and a wake-up of the
 * other thread, and a call's setup posts several (a 1000-CPS SIP load spent 7 % of the main
 * thread in postMessage, one per command). The batch goes out in the same loop turn
 * (setImmediate: after the I/O callbacks of this turn), so nothing waits a timer.
 */
export class Outbox {
  private queue: unknown[] = [];
  private scheduled = false;

  constructor(private readonly send: (m: unknown) => void) {}

  post(m: unknown): void {
    this.queue.push(m);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Send what is queued now (before a message that must not overtake it). */
  flush(): void {
    this.scheduled = false;
    const q = this.queue;
    if (q.length === 0) return;
    this.queue = [];
    this.send(q.length === 1 ? q[0] : q);
  }
}

const Id = z.string().min(1).max(128);
export const AddressSchema = z.object({ address: z.string().min(1).max(64), port: z.number().int().min(1).max(65535) });
export type Address = z.infer<typeof AddressSchema>;
const Digit = z.string().regex(/^[0-9*#A-D]$/);
/** drivers/spandsp/fax.ts FaxModems, repeated so the protocol does not load koffi. */
export const FaxModemNames = ['v27ter', 'v29', 'v17'] as const;

export const WorkerConfigSchema = z.object({
  index: z.number().int().min(0),
  rtpPortMin: z.number().int().min(1024).max(65534),
  rtpPortMax: z.number().int().min(1025).max(65535),
  bindAddress: z.string().min(1),
  tickMs: z.number().int().min(5).max(100),
  /** A tick that starts this late (ms after its deadline) counts as late. */
  lateThresholdMs: z.number().min(0),
});
export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;

/** A frame ring's memory: header + a power-of-two count of 160-byte frames (tdm-ring.ts). */
const SharedRingSchema = z.custom<SharedArrayBuffer>(
  (v) => v instanceof SharedArrayBuffer && v.byteLength > 32 && (v.byteLength - 32) % 160 === 0,
  { message: 'expected a SharedArrayBuffer frame ring' },
);

export const PlaySourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('wav'), path: z.string().min(1) }),
  z.object({ kind: z.literal('tone'), spec: ToneSpecSchema }),
]);
export type PlaySource = z.infer<typeof PlaySourceSchema>;

export const CommandSchema = z.discriminatedUnion('cmd', [
  z.object({
    cmd: z.literal('endpoint.create'),
    endpointId: Id,
    codec: z.enum(G711Laws),
    remote: AddressSchema.nullable(),
    telephoneEventPt: z.number().int().min(96).max(127),
    rtpTimeoutMs: z.number().int().min(0),
    /** Search the leg's audio for DTMF from the start (as `endpoint.inband-dtmf` on), saving a round trip per call. */
    inbandDtmf: z.boolean().optional(),
  }),
  /**
   * A TDM leg (an E1 B channel on the main thread): its frames cross in two shared frame rings
   * (tdm-ring.ts), `rx` line → worker and `tx` worker → line. Added in protocol 1 alongside the
   * RTP endpoint; a worker without it answers VALIDATION naming `cmd`.
   */
  z.object({
    cmd: z.literal('endpoint.create-tdm'),
    endpointId: Id,
    rx: SharedRingSchema,
    tx: SharedRingSchema,
    maxFill: z.number().int().min(1).max(64),
  }),
  z.object({ cmd: z.literal('endpoint.remote'), endpointId: Id, remote: AddressSchema }),
  z.object({ cmd: z.literal('endpoint.dtmf'), endpointId: Id, digits: z.array(Digit).min(1).max(64), durationMs: z.number().int().min(40).max(5000) }),
  z.object({ cmd: z.literal('endpoint.close'), endpointId: Id }),
  /** Q.24 in-band DTMF detection on a leg's received audio (dtmf/inband.ts), on or off. */
  z.object({ cmd: z.literal('endpoint.inband-dtmf'), endpointId: Id, on: z.boolean() }),
  /** A T.30 fax terminal on a leg (fax-session.ts): send `file` (TIFF-F) or receive into it. */
  z.object({
    cmd: z.literal('fax.start'),
    faxId: Id,
    endpointId: Id,
    role: z.enum(['caller', 'answerer']),
    direction: z.enum(['send', 'receive']),
    file: z.string().min(1),
    ident: z.string().max(20),
    modems: z.array(z.enum(FaxModemNames)).min(1),
    ecm: z.boolean(),
  }),
  z.object({ cmd: z.literal('fax.stop'), faxId: Id }),
  /** `echo`: a lone member hears itself (a diagnostic echo line, calls/diagnostic.ts). */
  z.object({ cmd: z.literal('bridge.create'), bridgeId: Id, echo: z.boolean().optional() }),
  z.object({ cmd: z.literal('bridge.add'), bridgeId: Id, endpointId: Id, side: z.enum(BridgeSides) }),
  z.object({ cmd: z.literal('bridge.remove'), bridgeId: Id, endpointId: Id }),
  z.object({
    cmd: z.literal('bridge.tap'),
    bridgeId: Id,
    endpointId: Id,
    tap: z.object({ mode: z.enum(TapModes), target: Id.nullable() }).nullable(),
  }),
  z.object({ cmd: z.literal('bridge.destroy'), bridgeId: Id }),
  z.object({ cmd: z.literal('play.start'), playId: Id, endpointId: Id, source: PlaySourceSchema, mix: z.boolean() }),
  z.object({ cmd: z.literal('play.stop'), playId: Id }),
  z.object({
    cmd: z.literal('record.start'),
    recordingId: Id,
    bridgeId: Id,
    callId: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/),
    dir: z.string().min(1),
    encoding: z.enum(RecordingEncodings),
    beep: z.boolean(),
    startedAt: z.number(),
  }),
  z.object({ cmd: z.literal('record.pause'), recordingId: Id }),
  z.object({ cmd: z.literal('record.resume'), recordingId: Id }),
  z.object({ cmd: z.literal('record.stop'), recordingId: Id }),
  z.object({ cmd: z.literal('worker.stats') }),
]);
export type Command = z.infer<typeof CommandSchema>;
export type CommandName = Command['cmd'];

export const RequestSchema = z.object({ v: z.literal(PROTOCOL_VERSION), id: z.number().int(), cmd: CommandSchema });
export type Request = z.infer<typeof RequestSchema>;

export const LegStatsSchema = z.object({
  packetsSent: z.number(),
  packetsReceived: z.number(),
  packetsLost: z.number(),
  jitterMs: z.number(),
  rttMs: z.number().nullable(),
  mos: z.number(),
  malformed: z.number(),
  foreignDropped: z.number(),
  unknownPayload: z.number(),
  oversized: z.number(),
  ssrcChanges: z.number(),
  concealedFrames: z.number(),
  lateDropped: z.number(),
  dtmfReceived: z.number(),
});
export type LegStats = z.infer<typeof LegStatsSchema>;

/** Statistics of a leg whose worker died: nothing could be asked of it. */
export function lostLegStats(): LegStats {
  return {
    packetsSent: 0,
    packetsReceived: 0,
    packetsLost: 0,
    jitterMs: 0,
    rttMs: null,
    mos: 0,
    malformed: 0,
    foreignDropped: 0,
    unknownPayload: 0,
    oversized: 0,
    ssrcChanges: 0,
    concealedFrames: 0,
    lateDropped: 0,
    dtmfReceived: 0,
  };
}

export const TickStatsSchema = z.object({
  ticks: z.number(),
  lateTicks: z.number(),
  /** Ticks run back to back to catch up after a stall. */
  catchUpTicks: z.number(),
  skippedTicks: z.number(),
  maxLatenessMs: z.number(),
  /** Time spent inside ticks, ms. */
  busyMs: z.number(),
  endpoints: z.number(),
  bridges: z.number(),
  recordings: z.number(),
  /** Event-loop utilization of the worker thread since it started (ticks + socket I/O), ms. */
  loopActiveMs: z.number(),
  loopIdleMs: z.number(),
});
export type TickStats = z.infer<typeof TickStatsSchema>;

export const RecordingClosedSchema = z.object({
  recordingId: Id,
  callId: z.string(),
  path: z.string(),
  outcome: z.enum(RecordingOutcomes),
  reason: z.string().nullable(),
  sha256: z.string(),
  durationMs: z.number(),
  size: z.number(),
  encoding: z.enum(RecordingEncodings),
  marks: z.array(z.object({ fromMs: z.number(), toMs: z.number() })),
});

export const FaxDoneSchema = z.object({
  type: z.literal('fax.done'),
  faxId: Id,
  endpointId: Id,
  ok: z.boolean(),
  completionCode: z.number().int(),
  completionText: z.string(),
  reason: z.enum(['completed', 'stopped', 'endpoint-closed']),
  pages: z.number().int(),
  bitRate: z.number().int(),
  ecm: z.boolean(),
  remoteIdent: z.string(),
  seconds: z.number(),
});

export const WorkerEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('endpoint.dtmf'),
    endpointId: Id,
    digit: Digit,
    durationMs: z.number(),
    /** Where the digit was heard; absent from older workers (RFC 4733). */
    source: z.enum(['rfc4733', 'inband']).optional(),
  }),
  z.object({ type: z.literal('fax.page'), faxId: Id, endpointId: Id, pages: z.number().int() }),
  FaxDoneSchema,
  z.object({
    type: z.literal('endpoint.rtcp'),
    endpointId: Id,
    fractionLost: z.number(),
    cumulativeLost: z.number(),
    jitterMs: z.number(),
    rttMs: z.number().nullable(),
  }),
  z.object({ type: z.literal('endpoint.timeout'), endpointId: Id, silentMs: z.number() }),
  z.object({ type: z.literal('play.done'), playId: Id, endpointId: Id, reason: z.enum(['finished', 'stopped', 'error', 'endpoint-closed']), error: z.string().nullable() }),
  RecordingClosedSchema.extend({ type: z.literal('recording.closed') }),
  z.object({ type: z.literal('recording.alarm'), recordingId: Id, callId: z.string(), reason: z.string(), dir: z.string() }),
  z.object({ type: z.literal('log'), level: z.enum(['debug', 'info', 'warn', 'error']), msg: z.string(), fields: z.record(z.string(), z.unknown()) }),
]);
export type WorkerEvent = z.infer<typeof WorkerEventSchema>;

export const ReplySchema = z.discriminatedUnion('ok', [
  z.object({ v: z.literal(PROTOCOL_VERSION), kind: z.literal('reply'), id: z.number().int(), ok: z.literal(true), result: z.unknown() }),
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    kind: z.literal('reply'),
    id: z.number().int(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
]);
export const WorkerMessageSchema = z.union([
  ReplySchema,
  z.object({ v: z.literal(PROTOCOL_VERSION), kind: z.literal('event'), event: WorkerEventSchema }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;

/** Results of the commands that return something. */
export interface CommandResults {
  'endpoint.create': { localAddress: string; localPort: number };
  'endpoint.close': LegStats;
  'worker.stats': TickStats;
  'record.stop': z.infer<typeof RecordingClosedSchema>;
  /** The final path the file will have (`.part` until closed). */
  'record.start': { path: string };
  /** Offset into the recording where the pause starts / ends, ms. */
  'record.pause': { atMs: number };
  'record.resume': { atMs: number };
}
export type ResultOf<C extends CommandName> = C extends keyof CommandResults ? CommandResults[C] : null;
