/**
 * The ACD's store port (DESIGN.md: each domain module declares its own port). acd-store.ts
 * implements it on SQLite with Kysely; testing/memory-acd-store.ts in memory for simulations.
 * Writes are synchronous; the ACD writes a tick's events and changed agent rows with one
 * `saveTick` call, one transaction (at the end of the tick, or on flush()/stop()), so a crash
 * never leaves an agent row without the event that explains it.
 */
import type { AnyAcdEventRecord } from './acd-events.js';
import type { AgentConfig, AgentState, AgentStatus, CustomerTier, QueueConfig } from './model.js';

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
  /** Several agents' rows in one transaction (the ACD writes a tick's changes at once). */
  saveAgentStates(rows: readonly AgentStateRecord[]): void;
  /** A tick's events and changed agent rows in ONE transaction (all or nothing). */
  saveTick(events: readonly AnyAcdEventRecord[], rows: readonly AgentStateRecord[]): void;
  saveCallback(row: CallbackRecord): void;
  pendingCallbacks(): CallbackRecord[];
  /** Raw events with from ≤ at < to, in order. */
  events(from: number, to: number): AnyAcdEventRecord[];
  saveIntervalStats(rows: readonly IntervalStatsRecord[]): void;
  intervalStats(queueId: string, from: number, to: number): IntervalStatsRecord[];
  /** Stored agent status/state rows (for restore after a restart). */
  agentStates(): AgentStateRecord[];
  // Configuration (migration 0009): what the operator set up, loaded at start.
  saveQueueConfig(cfg: QueueConfig): void;
  /** Also removes the queue's memberships. */
  deleteQueueConfig(queueId: string): void;
  saveAgentConfig(cfg: AgentConfig): void;
  deleteAgentConfig(agentId: string): void;
  /**
   * Every stored queue and agent, as raw JSON values: the ACD checks them with the same
   * schemas as REST input (acd-schemas.ts) before applying them.
   */
  loadConfig(): { queues: unknown[]; agents: unknown[] };
}
