/**
 * The ACD's store port (DESIGN.md: each domain module declares its own port). acd-store.ts
 * implements it on SQLite with Kysely; testing/memory-acd-store.ts in memory for simulations.
 * Writes are synchronous so a change is committed before the ACD moves on.
 */
import type { AnyAcdEventRecord } from './acd-events.js';
import type { AgentState, AgentStatus, CustomerTier } from './model.js';

export const CallbackStatuses = ['pending', 'in-progress', 'completed', 'expired', 'failed'] as const;
export type CallbackStatus = (typeof CallbackStatuses)[number];

export interface CallbackRecord {
  id: string;
  queueId: string;
  callId: string;
  number: string;
  tier: CustomerTier;
  priority: number;
  requestedAt: number;
  expiresAt: number;
  attempts: number;
  /** Not before this wall time (retry delay). */
  nextAttemptAt: number;
  status: CallbackStatus;
  agentId: string | null;
  updatedAt: number;
}

export interface AgentStateRecord {
  agentId: string;
  status: AgentStatus;
  breakReason: string | null;
  state: AgentState;
  updatedAt: number;
}

export interface IntervalStatsRecord {
  queueId: string;
  intervalStart: number;
  intervalMs: number;
  serviceLevelMs: number;
  shortAbandonMs: number;
  offered: number;
  answered: number;
  answeredWithin: number;
  abandoned: number;
  abandonedWithin: number;
  abandonedShort: number;
  callbacks: number;
  callbacksWithin: number;
  overflowed: number;
  sumAnswerWaitMs: number;
  maxAnswerWaitMs: number;
  handled: number;
  talkMs: number;
  holdMs: number;
  acwMs: number;
  /** Erlang C agents for 80 % within T at this interval's load; null with no handled calls. */
  agentsRequired: number | null;
}

export interface AcdStorePort {
  appendEvents(events: readonly AnyAcdEventRecord[]): void;
  saveAgentState(row: AgentStateRecord): void;
  saveCallback(row: CallbackRecord): void;
  pendingCallbacks(): CallbackRecord[];
  /** Raw events with from ≤ at < to, in order. */
  events(from: number, to: number): AnyAcdEventRecord[];
  saveIntervalStats(rows: readonly IntervalStatsRecord[]): void;
  intervalStats(queueId: string, from: number, to: number): IntervalStatsRecord[];
}
