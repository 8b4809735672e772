/**
 * The ACD's store port (store-port.ts) on SQLite (store/migrations/0006-acd.ts). Queries are
 * built with Kysely (typed against store/schema.ts), compiled, and run synchronously on the
 * better-sqlite3 handle, as webhook-store.ts does: the ACD writes a tick's events and changed
 * agent rows with one `saveTick` call, which is one transaction (one fsync under synchronous=FULL).
 * Configuration (queues, agents, memberships) lives in the tables of migration 0009; an
 * agent's department in the column of 0026 (a queue's is a field of its config JSON).
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, Selectable } from 'kysely';
import { systemClock, type Clock } from '../core/clock.js';
import type { Sqlite, Store } from '../store/database.js';
import { SyncQueries } from '../store/sync-query.js';
import type { AcdAgentsTable, AcdCallbacksTable, AcdIntervalStatsTable, AcdMembershipsTable } from '../store/schema.js';
import type { AnyAcdEventRecord } from './acd-events.js';
import type { AgentConfig, QueueConfig } from './model.js';
import type { AcdStorePort, AgentStateRecord, CallbackRecord, IntervalStatsRecord } from './store-port.js';

type Statement = BetterSqlite3.Statement<unknown[]>;

/** Rows per multi-row INSERT (7 columns each: well under SQLite's 32 766 bound parameters). */
const ROWS_PER_INSERT = 200;

export class SqliteAcdStore implements AcdStorePort {
  private readonly sqlite: Sqlite;
  private readonly q: SyncQueries;

  constructor(
    private readonly store: Pick<Store, 'sqlite' | 'db'>,
    private readonly clock: Pick<Clock, 'now'> = systemClock,
  ) {
    this.sqlite = store.sqlite;
    this.q = new SyncQueries(store.sqlite);
  }

  private get db(): Store['db'] {
    return this.store.db;
  }

  /**
   * One multi-row INSERT per chunk of ROWS_PER_INSERT events: building and compiling a Kysely
   * query per event cost more than the insert itself in the e2e benchmark profile.
   */
  appendEvents(events: readonly AnyAcdEventRecord[]): void {
    if (events.length === 0) return;
    this.sqlite.transaction(() => {
      for (let i = 0; i < events.length; i += ROWS_PER_INSERT) {
        const rows = events.slice(i, i + ROWS_PER_INSERT).map((e) => ({ id: e.id, at: e.at, type: e.type, queue_id: e.queueId, agent_id: e.agentId, call_id: e.callId, payload: JSON.stringify(e.payload) }));
        this.q.run(this.db.insertInto('acd_events').values(rows).compile());
      }
    })();
  }

  saveAgentState(r: AgentStateRecord): void {
    this.q.run(
      this.db
        .insertInto('acd_agent_states')
        .values({ agent_id: r.agentId, status: r.status, break_reason: r.breakReason, state: r.state, updated_at: r.updatedAt })
        .onConflict((oc) => oc.column('agent_id').doUpdateSet({ status: r.status, break_reason: r.breakReason, state: r.state, updated_at: r.updatedAt }))
        .compile(),
    );
  }

  /** Upsert agent rows, one multi-row statement per chunk (ON CONFLICT takes the `excluded` row's values). */
  saveAgentStates(rows: readonly AgentStateRecord[]): void {
    if (rows.length === 0) return;
    this.sqlite.transaction(() => {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const values = rows.slice(i, i + ROWS_PER_INSERT).map((r) => ({ agent_id: r.agentId, status: r.status, break_reason: r.breakReason, state: r.state, updated_at: r.updatedAt }));
        this.q.run(
          this.db
            .insertInto('acd_agent_states')
            .values(values)
            .onConflict((oc) =>
              oc.column('agent_id').doUpdateSet((eb) => ({
                status: eb.ref('excluded.status'),
                break_reason: eb.ref('excluded.break_reason'),
                state: eb.ref('excluded.state'),
                updated_at: eb.ref('excluded.updated_at'),
              })),
            )
            .compile(),
        );
      }
    })();
  }

  saveTick(events: readonly AnyAcdEventRecord[], rows: readonly AgentStateRecord[]): void {
    if (events.length === 0 && rows.length === 0) return;
    // better-sqlite3: a transaction function called inside another runs as a savepoint of it.
    this.sqlite.transaction(() => {
      this.appendEvents(events);
      this.saveAgentStates(rows);
    })();
  }

  agentStates(): AgentStateRecord[] {
    return this.q.all<{ agent_id: string; status: AgentStateRecord['status']; break_reason: string | null; state: AgentStateRecord['state']; updated_at: number }>(
      this.db.selectFrom('acd_agent_states').selectAll().orderBy('agent_id').compile(),
    ).map((r) => ({ agentId: r.agent_id, status: r.status, breakReason: r.break_reason, state: r.state, updatedAt: r.updated_at }));
  }

  saveCallback(c: CallbackRecord): void {
    const row = {
      id: c.id,
      queue_id: c.queueId,
      call_id: c.callId,
      number: c.number,
      tier: c.tier,
      priority: c.priority,
      requested_at: c.requestedAt,
      expires_at: c.expiresAt,
      attempts: c.attempts,
      next_attempt_at: c.nextAttemptAt,
      status: c.status,
      agent_id: c.agentId,
      updated_at: c.updatedAt,
    };
    this.q.run(
      this.db
        .insertInto('acd_callbacks')
        .values(row)
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({ attempts: c.attempts, next_attempt_at: c.nextAttemptAt, status: c.status, agent_id: c.agentId, updated_at: c.updatedAt }),
        )
        .compile(),
    );
  }

  pendingCallbacks(): CallbackRecord[] {
    return this.q.all<Selectable<AcdCallbacksTable>>(
      this.db.selectFrom('acd_callbacks').selectAll().where('status', 'in', ['pending', 'in-progress']).orderBy('requested_at').compile(),
    ).map((r) => ({
      id: r.id,
      queueId: r.queue_id,
      callId: r.call_id,
      number: r.number,
      tier: r.tier,
      priority: r.priority,
      requestedAt: r.requested_at,
      expiresAt: r.expires_at,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at,
      status: r.status,
      agentId: r.agent_id,
      updatedAt: r.updated_at,
    }));
  }

  events(from: number, to: number): AnyAcdEventRecord[] {
    return this.q.all<{ id: string; at: number; type: string; queue_id: string | null; agent_id: string | null; call_id: string | null; payload: string }>(
      this.db.selectFrom('acd_events').selectAll().where('at', '>=', from).where('at', '<', to).orderBy('seq').compile(),
    ).map((r) => ({ id: r.id, at: r.at, type: r.type, queueId: r.queue_id, agentId: r.agent_id, callId: r.call_id, payload: JSON.parse(r.payload) }) as AnyAcdEventRecord);
  }

  saveIntervalStats(rows: readonly IntervalStatsRecord[]): void {
    this.sqlite.transaction(() => {
      for (const r of rows) {
        const values = {
          queue_id: r.queueId,
          interval_start: r.intervalStart,
          interval_ms: r.intervalMs,
          service_level_ms: r.serviceLevelMs,
          short_abandon_ms: r.shortAbandonMs,
          offered: r.offered,
          answered: r.answered,
          answered_within: r.answeredWithin,
          abandoned: r.abandoned,
          abandoned_within: r.abandonedWithin,
          abandoned_short: r.abandonedShort,
          callbacks: r.callbacks,
          callbacks_within: r.callbacksWithin,
          overflowed: r.overflowed,
          sum_answer_wait_ms: r.sumAnswerWaitMs,
          max_answer_wait_ms: r.maxAnswerWaitMs,
          handled: r.handled,
          talk_ms: r.talkMs,
          hold_ms: r.holdMs,
          acw_ms: r.acwMs,
          agents_required: r.agentsRequired,
        };
        const { queue_id: _q, interval_start: _s, interval_ms: _m, ...update } = values;
        this.q.run(
          this.db
            .insertInto('acd_interval_stats')
            .values(values)
            .onConflict((oc) => oc.columns(['queue_id', 'interval_ms', 'interval_start']).doUpdateSet(update))
            .compile(),
        );
      }
    })();
  }

  intervalStats(queueId: string, from: number, to: number): IntervalStatsRecord[] {
    return this.q.all<Selectable<AcdIntervalStatsTable>>(
      this.db
        .selectFrom('acd_interval_stats')
        .selectAll()
        .where('queue_id', '=', queueId)
        .where('interval_start', '>=', from)
        .where('interval_start', '<', to)
        .orderBy('interval_start')
        .compile(),
    ).map(intervalRecordFromRow);
  }

  saveQueueConfig(cfg: QueueConfig): void {
    const now = this.clock.now();
    const config = JSON.stringify(cfg);
    this.q.run(
      this.db
        .insertInto('acd_queues')
        .values({ id: cfg.id, name: cfg.name, strategy: cfg.strategy, config, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('id').doUpdateSet({ name: cfg.name, strategy: cfg.strategy, config, updated_at: now }))
        .compile(),
    );
  }

  deleteQueueConfig(queueId: string): void {
    this.q.run(this.db.deleteFrom('acd_queues').where('id', '=', queueId).compile());
  }

  saveAgentConfig(cfg: AgentConfig): void {
    const now = this.clock.now();
    const skills = JSON.stringify(cfg.skills);
    const department_id = cfg.departmentId ?? null;
    this.sqlite.transaction(() => {
      this.q.run(
        this.db
          .insertInto('acd_agents')
          .values({ id: cfg.id, name: cfg.name, skills, department_id, created_at: now, updated_at: now })
          .onConflict((oc) => oc.column('id').doUpdateSet({ name: cfg.name, skills, department_id, updated_at: now }))
          .compile(),
      );
      this.q.run(this.db.deleteFrom('acd_memberships').where('agent_id', '=', cfg.id).compile());
      cfg.memberships.forEach((m, position) =>
        this.q.run(
          this.db
            .insertInto('acd_memberships')
            .values({ agent_id: cfg.id, queue_id: m.queueId, position, penalty: m.penalty, wrap_up_ms: m.wrapUpMs ?? null })
            .compile(),
        ),
      );
    })();
  }

  deleteAgentConfig(agentId: string): void {
    this.q.run(this.db.deleteFrom('acd_agents').where('id', '=', agentId).compile());
  }

  loadConfig(): { queues: unknown[]; agents: unknown[] } {
    const queues = this.q.all<{ config: string }>(this.db.selectFrom('acd_queues').select('config').orderBy('created_at').orderBy('id').compile()).map(
      (r) => JSON.parse(r.config) as unknown,
    );
    const members = this.q.all<Selectable<AcdMembershipsTable>>(this.db.selectFrom('acd_memberships').selectAll().orderBy('agent_id').orderBy('position').compile());
    const byAgent = new Map<string, { queueId: string; penalty: number; wrapUpMs?: number }[]>();
    for (const m of members) {
      let list = byAgent.get(m.agent_id);
      if (!list) byAgent.set(m.agent_id, (list = []));
      list.push({ queueId: m.queue_id, penalty: m.penalty, ...(m.wrap_up_ms !== null && { wrapUpMs: m.wrap_up_ms }) });
    }
    const agents = this.q.all<Selectable<AcdAgentsTable>>(this.db.selectFrom('acd_agents').selectAll().orderBy('created_at').orderBy('id').compile()).map((r) => ({
      id: r.id,
      name: r.name,
      ...(r.department_id !== null && { departmentId: r.department_id }),
      skills: JSON.parse(r.skills) as unknown,
      memberships: byAgent.get(r.id) ?? [],
    }));
    return { queues, agents };
  }

}

/** One `acd_interval_stats` row as the ACD's IntervalStatsRecord (the store and the reports read the same table). */
export function intervalRecordFromRow(r: Selectable<AcdIntervalStatsTable>): IntervalStatsRecord {
  return {
    queueId: r.queue_id,
    intervalStart: r.interval_start,
    intervalMs: r.interval_ms,
    serviceLevelMs: r.service_level_ms,
    shortAbandonMs: r.short_abandon_ms,
    offered: r.offered,
    answered: r.answered,
    answeredWithin: r.answered_within,
    abandoned: r.abandoned,
    abandonedWithin: r.abandoned_within,
    abandonedShort: r.abandoned_short,
    callbacks: r.callbacks,
    callbacksWithin: r.callbacks_within,
    overflowed: r.overflowed,
    sumAnswerWaitMs: r.sum_answer_wait_ms,
    maxAnswerWaitMs: r.max_answer_wait_ms,
    handled: r.handled,
    talkMs: r.talk_ms,
    holdMs: r.hold_ms,
    acwMs: r.acw_ms,
    agentsRequired: r.agents_required,
  };
}
