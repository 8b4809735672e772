/**
 * What the IVR needs from the rest of the appliance, as ports (DESIGN.md "Dependency
 * direction": ivr imports only channel and core; the daemon passes implementations in a
 * `deps` object). Integration adapters (billing, GIS, installation), the ACD, call transfer,
 * the work-order calendar, recording + work orders for voicemail, fax and survey storage each
 * sit behind one small interface here. testing/fakes.ts has in-memory versions.
 */
import type { Channel, PlayItem } from '../channel/channel.js';
import type { Flow } from './flow-schema.js';
import type { Lang } from './say/index.js';

export type Variables = Record<string, string>;

/** An integration adapter's answer. `found` data is read with dotted paths by the lookup verb. */
export type LookupResult = { status: 'found'; data: Record<string, unknown> } | { status: 'not-found' };

/**
 * billing (account by phone or 户号, balance, arrears), gis (outage by account/area),
 * installation (报装 progress)… The verb enforces its own timeout and aborts `signal` when it
 * gives up; an adapter should stop work then.
 */
export interface LookupAdapter {
  lookup(op: string, params: Readonly<Variables>, signal: AbortSignal): Promise<LookupResult>;
}

export interface EnqueueRequest {
  callId: string;
  channel: Channel;
  queue: string;
  priority: number;
  skills: readonly string[];
  /** IVR variables for the agent's screen pop. */
  vars: Readonly<Variables>;
}

/** The ACD. `queued`: the ACD owns the channel from now on and the IVR is done. */
export interface Enqueuer {
  enqueue(req: EnqueueRequest): Promise<{ outcome: 'queued' | 'full' | 'closed' | 'unknown-queue' }>;
}

/** Blind transfer to an extension or number. `transferred`: call control owns the channel. */
export interface Transferer {
  transfer(req: { callId: string; channel: Channel; to: string; vars: Readonly<Variables> }): Promise<{
    outcome: 'transferred' | 'busy' | 'no-answer' | 'failed';
  }>;
}

/** The business calendar shared with work orders (workorders/calendar.ts behind an adapter). */
export interface CalendarPort {
  stateAt(calendarId: string, at: number): 'open' | 'closed' | 'holiday';
}

/** How a voicemail recording ended: '#', the maximum length, the caller hanging up, silence, stopped. */
export type MessageEnd = 'key' | 'max' | 'hangup' | 'silence' | 'stopped';

/** One recorded message (a file on disk and, with a ledger, its `recordings` row). */
export interface RecordedMessage {
  recording: string;
  /** The recording ledger's row id, when the engine keeps one. */
  recordingId?: string | null;
  durationMs: number;
  endedBy?: MessageEnd;
}

/**
 * Records the caller's leg alone (calls/message-recorder.ts over the media engine): until
 * maxMs, an end key ('#'), `silenceMs` without speech where the engine can tell, or the caller
 * hanging up / `signal` aborting (what was recorded is kept then).
 */
export interface MessageRecorder {
  record(req: { callId: string; channel: Channel; maxMs: number; signal: AbortSignal; endKeys?: string; silenceMs?: number }): Promise<RecordedMessage>;
}

/** 留言: record the caller, then submit the message (voicemail-box.ts: a row + an event a work order is made from). */
export interface VoicemailPort {
  /** Records until maxMs, '#', or the caller hanging up (what was recorded is kept then). */
  record(req: { callId: string; channel: Channel; maxMs: number; signal: AbortSignal }): Promise<RecordedMessage>;
  /** Store the message; `orderId` when its work order already exists (the subscriber runs synchronously). */
  submit(req: {
    callId: string;
    orderType: string;
    caller: string;
    recording: string;
    recordingId?: string | null;
    durationMs: number;
    endedBy?: MessageEnd;
    vars: Readonly<Variables>;
  }): Promise<{ messageId: string; orderId: string | null }>;
}

/** Fax-on-demand: a document from the library, on this call or to a number. */
export interface FaxPort {
  send(req: { callId: string; channel: Channel; document: string; to: 'caller' | { number: string }; signal: AbortSignal }): Promise<{
    outcome: 'sent' | 'queued' | 'failed';
  }>;
}

/** Survey answers (1–5), stored with the call and its work order. */
export interface SurveySink {
  record(req: { callId: string; survey: string; scores: Readonly<Record<string, number>>; vars: Readonly<Variables> }): Promise<void>;
}

/** Text prompts rendered to audio (espeak-ng or a vendor TTS behind it). */
export interface TtsPort {
  render(text: string, lang: Lang, signal: AbortSignal): Promise<PlayItem>;
}

/** One known outage (停电预告 planned / 故障停电 unplanned), as the GIS or staff recorded it. */
export interface OutageNotice {
  id: string;
  kind: 'planned' | 'unplanned';
  /** active: power is off now; scheduled: a planned outage that has not started. */
  status: 'active' | 'scheduled';
  cause: string;
  /** RFC 3339 with the site's offset ("2026-01-05T09:20:00+08:00"). */
  start: string;
  estimatedRestoration: string | null;
  affectedCustomers: number;
  /** The outage's existing work order, so calls link to it instead of opening duplicates. */
  workOrderId: string | null;
}

/** Where a caller is, for outage announcements. */
export interface CallerLocation {
  /** Supply-area code, or null when neither the customer record nor the number tells. */
  area: string | null;
  accountNo: string | null;
  /** customer: the caller's number matched a customer with an address; area-code: only the number's area code. */
  source: 'customer' | 'area-code' | 'none';
}

/** Outage announcements (integrations/outage-service.ts): GIS outages plus notify-me requests. */
export interface OutagePort {
  locate(caller: string, signal: AbortSignal): Promise<CallerLocation>;
  /** Active and scheduled outages covering the area, most customers first. */
  outages(area: string, signal: AbortSignal): Promise<OutageNotice[]>;
  /** "Notify me when power is restored": stored for the outbound notice (one per caller and outage). */
  requestNotification(req: { callId: string; caller: string; outageId: string; area: string; accountNo: string | null }): Promise<{ requestId: string; duplicate: boolean }>;
}

/** Published flows by id, for sub-flows. */
export interface FlowSource {
  published(flowId: string): Promise<Flow | null>;
}

// ---- what the validator checks names against (synchronous: loaded lists) ----

export interface PromptCatalogue {
  has(name: string, lang: Lang): boolean;
}

export interface ValidationCatalogue {
  prompts: PromptCatalogue;
  queues: { has(queue: string): boolean };
  adapters: { has(adapter: string): boolean };
  calendars?: { has(calendar: string): boolean };
  flows?: { has(flowId: string): boolean };
  documents?: { has(document: string): boolean };
}
