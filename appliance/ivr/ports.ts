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

/** 留言: record the caller, then turn the message into a work order. */
export interface VoicemailPort {
  /** Records until maxMs, '#', or the caller hanging up (what was recorded is kept then). */
  record(req: { callId: string; channel: Channel; maxMs: number; signal: AbortSignal }): Promise<{ recording: string; durationMs: number }>;
  createWorkOrder(req: {
    callId: string;
    orderType: string;
    caller: string;
    recording: string;
    durationMs: number;
    vars: Readonly<Variables>;
  }): Promise<{ orderId: string }>;
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
