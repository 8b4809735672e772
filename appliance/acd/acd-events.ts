/**
 * Events the ACD publishes on the core bus (core/events.ts, declaration merging) and appends
 * to its raw event log (acd_events). Metrics and interval stats are recomputed from these
 * records alone (metrics.ts, interval-stats.ts), so every payload carries what they need:
 * state events carry both status and state after the change; exits carry the queue wait.
 */
import type { AgentState, AgentStatus, CustomerTier, OverflowReason, OverflowTarget } from './model.js';

export interface AgentChangePayload {
  agentId: string;
  status: AgentStatus;
  state: AgentState;
  /** The previous value of what changed. */
  from: string;
  to: string;
  breakReason: string | null;
  /** Who made a status change: the agent, the ACD (ring-no-answer) or a supervisor. */
  by: 'agent' | 'acd' | 'supervisor';
  callId: string | null;
  queueId: string | null;
}

export interface AcdEventMap {
  'acd.agent.status-changed': AgentChangePayload;
  'acd.agent.state-changed': AgentChangePayload;
  'acd.agent.reconciled': { agentId: string; callId: string | null; was: AgentState; why: string };
  'acd.offer.created': { offerId: string; callId: string; queueId: string; agentIds: string[]; kind: 'inbound' | 'callback' };
  'acd.offer.ended': { offerId: string; callId: string; queueId: string; agentId: string; outcome: 'answered' | 'no-answer' | 'busy' | 'failed' | 'cancelled' };
  'acd.call.completed': { callId: string; queueId: string; agentId: string; talkMs: number; holdMs: number; acwMs: number };
  /** `vars`: the IVR variables the caller brought (screen pop, call record). */
  'queue.caller.joined': { queueId: string; callId: string; tier: CustomerTier; priority: number; position: number; number: string; vars?: Record<string, string> };
  'queue.caller.answered': { queueId: string; callId: string; agentId: string; waitMs: number };
  'queue.caller.abandoned': { queueId: string; callId: string; waitMs: number; position: number };
  'queue.caller.overflowed': { queueId: string; callId: string; waitMs: number; reason: OverflowReason; target: OverflowTarget };
  'queue.caller.rejected': { queueId: string; callId: string; reason: 'full' | 'empty' | 'unknown-queue' };
  'queue.caller.moved': { queueId: string; callId: string; toQueueId: string; toHead: boolean; by: string };
  'queue.callback.requested': { queueId: string; callId: string; callbackId: string; number: string; waitMs: number };
  'queue.callback.attempted': { queueId: string; callbackId: string; attempt: number; agentId: string; outcome: 'answered' | 'no-answer' | 'busy' | 'failed' };
  'queue.callback.completed': { queueId: string; callbackId: string; agentId: string; attempts: number };
  'queue.callback.expired': { queueId: string; callbackId: string; attempts: number; why: 'expired' | 'attempts-exhausted' | 'queue-deleted' };
}

declare module '../core/events.js' {
  interface EventMap extends AcdEventMap {}
}

export type AcdEventType = keyof AcdEventMap;

/** One row of the raw ACD event log. */
export interface AcdEventRecord<T extends AcdEventType = AcdEventType> {
  id: string;
  at: number;
  type: T;
  queueId: string | null;
  agentId: string | null;
  callId: string | null;
  payload: AcdEventMap[T];
}

export type AnyAcdEventRecord = { [K in AcdEventType]: AcdEventRecord<K> }[AcdEventType];
