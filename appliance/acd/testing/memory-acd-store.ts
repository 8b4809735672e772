/** An in-memory AcdStorePort for simulations and engine tests (the SQL one is acd-store.ts). */
import type { AnyAcdEventRecord } from '../acd-events.js';
import type { AcdStorePort, AgentStateRecord, CallbackRecord, IntervalStatsRecord } from '../store-port.js';

export class MemoryAcdStore implements AcdStorePort {
  readonly log: AnyAcdEventRecord[] = [];
  readonly agents = new Map<string, AgentStateRecord>();
  readonly callbacks = new Map<string, CallbackRecord>();
  readonly stats: IntervalStatsRecord[] = [];

  appendEvents(events: readonly AnyAcdEventRecord[]): void {
    this.log.push(...events);
  }

  saveAgentState(row: AgentStateRecord): void {
    this.agents.set(row.agentId, { ...row });
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
}
