/** An in-memory AcdStorePort for simulations and engine tests (the SQL one is acd-store.ts). */
import type { AnyAcdEventRecord } from '../acd-events.js';
import type { AgentConfig, QueueConfig } from '../model.js';
import type { AcdStorePort, AgentStateRecord, CallbackRecord, IntervalStatsRecord } from '../store-port.js';

export class MemoryAcdStore implements AcdStorePort {
  readonly log: AnyAcdEventRecord[] = [];
  readonly agents = new Map<string, AgentStateRecord>();
  readonly callbacks = new Map<string, CallbackRecord>();
  readonly stats: IntervalStatsRecord[] = [];
  readonly queues = new Map<string, QueueConfig>();
  readonly agentConfigs = new Map<string, AgentConfig>();

  appendEvents(events: readonly AnyAcdEventRecord[]): void {
    this.log.push(...events);
  }

  saveAgentState(row: AgentStateRecord): void {
    this.agents.set(row.agentId, { ...row });
  }

  saveAgentStates(rows: readonly AgentStateRecord[]): void {
    for (const r of rows) this.saveAgentState(r);
  }

  /** Writes so far (one per tick): tests check a tick is one write. */
  ticks = 0;

  saveTick(events: readonly AnyAcdEventRecord[], rows: readonly AgentStateRecord[]): void {
    this.ticks++;
    this.appendEvents(events);
    this.saveAgentStates(rows);
  }

  saveCallback(row: CallbackRecord): void {
    this.callbacks.set(row.id, { ...row });
  }

  pendingCallbacks(): CallbackRecord[] {
    return [...this.callbacks.values()].filter((c) => c.status === 'pending' || c.status === 'in-progress');
  }

  events(from: number, to: number): AnyAcdEventRecord[] {
    return this.log.filter((e) => e.at >= from && e.at < to);
  }

  saveIntervalStats(rows: readonly IntervalStatsRecord[]): void {
    for (const r of rows) {
      const i = this.stats.findIndex((s) => s.queueId === r.queueId && s.intervalStart === r.intervalStart && s.intervalMs === r.intervalMs);
      if (i >= 0) this.stats[i] = { ...r };
      else this.stats.push({ ...r });
    }
  }

  intervalStats(queueId: string, from: number, to: number): IntervalStatsRecord[] {
    return this.stats.filter((s) => s.queueId === queueId && s.intervalStart >= from && s.intervalStart < to);
  }

  agentStates(): AgentStateRecord[] {
    return [...this.agents.values()].map((r) => ({ ...r }));
  }

  saveQueueConfig(cfg: QueueConfig): void {
    this.queues.set(cfg.id, structuredClone(cfg));
  }

  deleteQueueConfig(queueId: string): void {
    this.queues.delete(queueId);
    for (const [id, a] of this.agentConfigs)
      this.agentConfigs.set(id, { ...a, memberships: a.memberships.filter((m) => m.queueId !== queueId) });
  }

  saveAgentConfig(cfg: AgentConfig): void {
    this.agentConfigs.set(cfg.id, structuredClone(cfg));
  }

  deleteAgentConfig(agentId: string): void {
    this.agentConfigs.delete(agentId);
  }

  loadConfig(): { queues: unknown[]; agents: unknown[] } {
    return { queues: [...this.queues.values()].map((q) => structuredClone(q)), agents: [...this.agentConfigs.values()].map((a) => structuredClone(a)) };
  }
}
