/**
 * IVR events (core/events.ts, by declaration merging). Every node visit is published so
 * reports can count path traffic per node and edge; a run ends with `completed` (the flow
 * reached an exit: hangup, queue, transfer, end of flow) or `abandoned` (the caller hung up
 * inside the IVR, at `lastNode`). Both carry the variables, which go into the call record.
 */
import type { Variables } from './ports.js';

export const IvrOutcomes = ['ended', 'hungup', 'enqueued', 'transferred', 'voicemail', 'failed'] as const;
export type IvrOutcome = (typeof IvrOutcomes)[number];

export interface IvrNodeVisited {
  callId: string;
  channelId: string;
  flowId: string;
  flowVersion: number;
  nodeId: string;
  verb: string;
  /** 1 for the first node of the call. */
  seq: number;
  /** The node this visit came from (null for the start node). */
  from: string | null;
}

export interface IvrRunSummary {
  callId: string;
  channelId: string;
  flowId: string;
  flowVersion: number;
  lastNode: string | null;
  /** Node ids in visit order (flow-qualified inside sub-flows: `sub-flow:node`). */
  path: string[];
  vars: Variables;
  durationMs: number;
}

/** A caller's message, stored (voicemail-box.ts); a subscriber makes a work order of it. */
export interface VoicemailRecorded {
  messageId: string;
  callId: string;
  caller: string;
  accountNo: string | null;
  orderType: string;
  recording: string;
  recordingId: string | null;
  durationMs: number;
  endedBy: string;
  vars: Variables;
}

declare module '../core/events.js' {
  interface EventMap {
    'ivr.voicemail.recorded': VoicemailRecorded;
    'ivr.node.visited': IvrNodeVisited;
    'ivr.flow.completed': IvrRunSummary & { outcome: IvrOutcome; queue?: string; transferredTo?: string };
    'ivr.flow.abandoned': IvrRunSummary & { cause: number };
  }
}
