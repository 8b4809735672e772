/**
 * ACD report queries (issue 9 "Reports": call statistics by queue, agent, hour, day; the formulas
 * of ../shared/METRICS.md §3 exactly, each result naming the formula it shows). The control panel
 * calls this service; all SQL is here, built with Kysely.
 *
 * Interval report: the stored 15-min aggregates (acd_interval_stats, written by
 * `Acd.closeIntervals`) cover the past; the tail the ACD has not closed yet (e.g. the current
 * quarter hour) is recomputed from the raw event log with the same code (interval-stats.ts),
 * so a report is never short of today's calls. Rows roll up to 30 min, day, week and month
 * (report-rollup.ts) and every ratio is recomputed from summed counts.
 *
 * Occupancy per queue (handle / (handle + available-idle), Amazon's definition): summed over the
 * queue's member agents (acd_memberships) plus any agent who handled one of its calls in the
 * range; an agent in two queues counts in both, since occupancy does not account for concurrency.
 *
 * Agent report: status/state time replayed from acd.agent.*-changed events (the last change
 * before the range gives the state at its start), calls and handle time from acd.call.completed.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { AgentChangePayload, AnyAcdEventRecord } from './acd-events.js';
import { intervalStats } from './interval-stats.js';
import {
  abandonRate,
  averageHandleTime,
  averageSpeedOfAnswer,
  emptyCounts,
  occupancy,
  serviceLevel,
  type AbandonRates,
  type HandleTimes,
  type MetricValue,
  type QueueCounts,
  type ServiceLevelVariant,
  type Thresholds,
} from './metrics.js';
import {
  addAgentTimes,
  addCounts,
  agentPeriodTimes,
  BASE_INTERVAL_MS,
  emptyAgentTimes,
  handleMs,
  periodLabel,
  rollupIntervals,
  type AgentTimes,
  type AgentTransitionRecord,
  type Granularity,
  type QueuePeriod,
} from './report-rollup.js';
import type { IntervalStatsRecord } from './store-port.js';
import { intervalRecordFromRow } from './acd-store.js';

export interface AcdReportsDeps {
  db: Kysely<Database>;
  /** Local time for periods (China: 480). */
  utcOffsetMinutes?: number;
}

export interface IntervalReportQuery {
  from: number;
  to: number;
  granularity: Granularity;
  /** Empty or absent: every queue. */
  queueIds?: readonly string[];
  slVariant?: ServiceLevelVariant;
  /** Compute occupancy (needs the agent event log). Default true. */
  occupancy?: boolean;
}

export interface QueueMetricsRow {
  queueId: string;
  queueName: string;
  periodStart: number;
  label: string;
  serviceLevelMs: number | null;
  shortAbandonMs: number | null;
  counts: QueueCounts;
  serviceLevel: number | null;
  asaMs: number | null;
  aht: HandleTimes;
  abandon: AbandonRates;
  /** Percent; null when no agent time was found or not computed. */
  occupancy: number | null;
}

export interface Formulas {
  serviceLevel: string;
  asa: string;
  aht: string;
  abandon: string;
  abandonRaw: string;
  occupancy: string;
}

export interface IntervalReport {
  query: Required<Omit<IntervalReportQuery, 'queueIds'>> & { queueIds: readonly string[] };
  formulas: Formulas;
  rows: QueueMetricsRow[];
  /** One row per queue over the whole range (label 'total'). */
  totals: QueueMetricsRow[];
  /** Where the stored aggregates end and the recomputed tail begins. */
  storedUntil: number;
}

export interface AgentReportQuery {
  from: number;
  to: number;
  agentIds?: readonly string[];
  /** Count calls of these queues only (status time is per agent, not per queue). */
  queueIds?: readonly string[];
}

export interface AgentReportRow {
  agentId: string;
  agentName: string;
  times: AgentTimes;
  handled: number;
  talkMs: number;
  holdMs: number;
  acwMs: number;
  /** (talk + hold + ACW) / handled. */
  ahtMs: number | null;
  occupancy: number | null;
}

export interface AgentReport {
  query: AgentReportQuery;
  rows: AgentReportRow[];
  /** Every break reason seen, sorted (columns of the break breakdown). */
  breakReasons: string[];
  formulas: { aht: string; occupancy: string };
}

/** A completed call, for custom reports. */
export interface CallFact {
  at: number;
  queueId: string;
  agentId: string;
  talkMs: number;
  holdMs: number;
  acwMs: number;
}

const DEFAULT_THRESHOLDS: Thresholds = { serviceLevelMs: 20_000, shortAbandonMs: 5_000 };
const AGENT_CHANGE_TYPES = ['acd.agent.status-changed', 'acd.agent.state-changed'] as const;

export class AcdReports {
  readonly utcOffsetMinutes: number;

  constructor(private readonly deps: AcdReportsDeps) {
    this.utcOffsetMinutes = deps.utcOffsetMinutes ?? 480;
  }

  private get db(): Kysely<Database> {
    return this.deps.db;
  }

  /** Queues known from configuration or from stored statistics. */
  async queues(): Promise<Array<{ id: string; name: string }>> {
    const configured = await this.db.selectFrom('acd_queues').select(['id', 'name']).execute();
    const seen = await this.db.selectFrom('acd_interval_stats').select('queue_id').distinct().execute();
    const names = new Map(configured.map((q) => [q.id, q.name]));
    for (const s of seen) if (!names.has(s.queue_id)) names.set(s.queue_id, s.queue_id);
    return [...names].map(([id, name]) => ({ id, name })).sort((a, b) => a.id.localeCompare(b.id));
  }

  async agents(): Promise<Array<{ id: string; name: string }>> {
    const rows = await this.db.selectFrom('acd_agents').select(['id', 'name']).orderBy('id').execute();
    return rows;
  }

  /** Base 15-min rows for [from, to): stored where closed, recomputed from raw events after. */
  async baseIntervals(from: number, to: number, queueIds: readonly string[] = []): Promise<{ rows: IntervalStatsRecord[]; storedUntil: number }> {
    let q = this.db
      .selectFrom('acd_interval_stats')
      .selectAll()
      .where('interval_ms', '=', BASE_INTERVAL_MS)
      .where('interval_start', '>=', from)
      .where('interval_start', '<', to);
    if (queueIds.length) q = q.where('queue_id', 'in', queueIds);
    const stored = (await q.orderBy('interval_start').execute()).map(intervalRecordFromRow);
    const last = await this.db
      .selectFrom('acd_interval_stats')
      .select((eb) => eb.fn.max(eb('interval_start', '+', eb.ref('interval_ms'))).as('end'))
      .where('interval_ms', '=', BASE_INTERVAL_MS)
      .where('interval_start', '>=', from)
      .where('interval_start', '<', to)
      .executeTakeFirst();
    const storedUntil = Math.min(to, Math.max(from, Number(last?.end ?? from)));
    if (storedUntil >= to) return { rows: stored, storedUntil };
    const thresholds = await this.thresholds();
    const events = await this.events(storedUntil, to, ['queue.caller.joined', 'queue.caller.answered', 'queue.caller.abandoned', 'queue.callback.requested', 'queue.caller.overflowed', 'acd.call.completed']);
    const fresh = intervalStats(events, BASE_INTERVAL_MS, (id) => thresholds.get(id) ?? DEFAULT_THRESHOLDS).filter(
      (r) => !queueIds.length || queueIds.includes(r.queueId),
    );
    return { rows: [...stored, ...fresh], storedUntil };
  }

  async intervalReport(query: IntervalReportQuery): Promise<IntervalReport> {
    const q = {
      from: query.from,
      to: query.to,
      granularity: query.granularity,
      queueIds: query.queueIds ?? [],
      slVariant: query.slVariant ?? 'recommended',
      occupancy: query.occupancy ?? true,
    };
    const { rows: base, storedUntil } = await this.baseIntervals(q.from, q.to, q.queueIds);
    const periods = rollupIntervals(base, q.granularity, this.utcOffsetMinutes);
    const names = new Map((await this.queues()).map((x) => [x.id, x.name]));
    const totals = new Map<string, QueuePeriod>();
    for (const p of periods) {
      let t = totals.get(p.queueId);
      if (!t) {
        t = { queueId: p.queueId, periodStart: q.from, counts: emptyCounts(), serviceLevelMs: p.serviceLevelMs, shortAbandonMs: p.shortAbandonMs };
        totals.set(p.queueId, t);
      }
      addCounts(t.counts, p.counts);
      if (t.serviceLevelMs !== p.serviceLevelMs) t.serviceLevelMs = null;
      if (t.shortAbandonMs !== p.shortAbandonMs) t.shortAbandonMs = null;
    }
    let occ: { byPeriod: Map<string, AgentTimes>; total: Map<string, AgentTimes> } | null = null;
    if (q.occupancy) occ = await this.queueAgentTimes(q.from, q.to, q.granularity, [...totals.keys()]);
    const metrics = (p: QueuePeriod, label: string, times: AgentTimes | undefined): QueueMetricsRow => {
      const handle = times ? handleMs(times) : 0;
      return {
        queueId: p.queueId,
        queueName: names.get(p.queueId) ?? p.queueId,
        periodStart: p.periodStart,
        label,
        serviceLevelMs: p.serviceLevelMs,
        shortAbandonMs: p.shortAbandonMs,
        counts: p.counts,
        serviceLevel: serviceLevel(p.counts, q.slVariant).value,
        asaMs: averageSpeedOfAnswer(p.counts).value,
        aht: averageHandleTime(p.counts),
        abandon: abandonRate(p.counts),
        occupancy: times ? occupancy(handle, times.readyMs).value : null,
      };
    };
    const empty = serviceLevel(emptyCounts(), q.slVariant);
    return {
      query: q,
      formulas: formulas(empty),
      rows: periods.map((p) => metrics(p, periodLabel(p.periodStart, q.granularity, this.utcOffsetMinutes), occ?.byPeriod.get(`${p.queueId}\u0000${p.periodStart}`))),
      totals: [...totals.values()].sort((a, b) => a.queueId.localeCompare(b.queueId)).map((t) => metrics(t, 'total', occ?.total.get(t.queueId))),
      storedUntil,
    };
  }

  async agentReport(query: AgentReportQuery): Promise<AgentReport> {
    const agentIds = query.agentIds ?? [];
    const queueIds = query.queueIds ?? [];
    const calls = (await this.callFacts(query.from, query.to)).filter(
      (c) => (!queueIds.length || queueIds.includes(c.queueId)) && (!agentIds.length || agentIds.includes(c.agentId)),
    );
    const transitions = await this.transitions(query.from, query.to, agentIds);
    const names = new Map((await this.agents()).map((a) => [a.id, a.name]));
    const ids = new Set([...transitions.keys(), ...calls.map((c) => c.agentId)]);
    if (queueIds.length) {
      const members = await this.members(queueIds);
      for (const id of [...ids]) if (!members.has(id) && !calls.some((c) => c.agentId === id)) ids.delete(id);
    }
    const reasons = new Set<string>();
    const rows = [...ids].sort().map((agentId): AgentReportRow => {
      const times = agentPeriodTimes(transitions.get(agentId) ?? [], query.from, query.to, null, this.utcOffsetMinutes).get(query.from) ?? emptyAgentTimes();
      for (const r of Object.keys(times.breaks)) reasons.add(r);
      const mine = calls.filter((c) => c.agentId === agentId);
      const talkMs = sum(mine.map((c) => c.talkMs));
      const holdMs = sum(mine.map((c) => c.holdMs));
      const acwMs = sum(mine.map((c) => c.acwMs));
      return {
        agentId,
        agentName: names.get(agentId) ?? agentId,
        times,
        handled: mine.length,
        talkMs,
        holdMs,
        acwMs,
        ahtMs: mine.length ? (talkMs + holdMs + acwMs) / mine.length : null,
        occupancy: occupancy(handleMs(times), times.readyMs).value,
      };
    });
    return {
      query,
      rows,
      breakReasons: [...reasons].sort(),
      formulas: { aht: '(talk + hold + ACW) / handled', occupancy: occupancy(0, 0).formula },
    };
  }

  /** Completed calls in [from, to) (acd.call.completed: counted when after-call work ends). */
  async callFacts(from: number, to: number): Promise<CallFact[]> {
    const events = await this.events(from, to, ['acd.call.completed']);
    const out: CallFact[] = [];
    for (const e of events) if (e.type === 'acd.call.completed') out.push({ at: e.at, queueId: e.payload.queueId, agentId: e.payload.agentId, talkMs: e.payload.talkMs, holdMs: e.payload.holdMs, acwMs: e.payload.acwMs });
    return out;
  }

  // ------------------------------------------------------------------ internals

  private async events(from: number, to: number, types: readonly string[]): Promise<AnyAcdEventRecord[]> {
    const rows = await this.db
      .selectFrom('acd_events')
      .select(['id', 'at', 'type', 'queue_id', 'agent_id', 'call_id', 'payload'])
      .where('at', '>=', from)
      .where('at', '<', to)
      .where('type', 'in', types)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({ id: r.id, at: r.at, type: r.type, queueId: r.queue_id, agentId: r.agent_id, callId: r.call_id, payload: JSON.parse(r.payload) }) as AnyAcdEventRecord);
  }

  private async thresholds(): Promise<Map<string, Thresholds>> {
    const out = new Map<string, Thresholds>();
    for (const r of await this.db.selectFrom('acd_queues').select(['id', 'config']).execute()) {
      const cfg = JSON.parse(r.config) as { serviceLevelMs?: unknown; shortAbandonMs?: unknown };
      out.set(r.id, {
        serviceLevelMs: typeof cfg.serviceLevelMs === 'number' ? cfg.serviceLevelMs : DEFAULT_THRESHOLDS.serviceLevelMs,
        shortAbandonMs: typeof cfg.shortAbandonMs === 'number' ? cfg.shortAbandonMs : DEFAULT_THRESHOLDS.shortAbandonMs,
      });
    }
    return out;
  }

  private async members(queueIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    if (!queueIds.length) return out;
    const rows = await this.db.selectFrom('acd_memberships').select(['agent_id', 'queue_id']).where('queue_id', 'in', queueIds).execute();
    for (const r of rows) {
      const s = out.get(r.agent_id) ?? new Set<string>();
      s.add(r.queue_id);
      out.set(r.agent_id, s);
    }
    return out;
  }

  /** Each agent's transitions in [from, to), preceded by its last one before `from`. */
  private async transitions(from: number, to: number, agentIds: readonly string[]): Promise<Map<string, AgentTransitionRecord[]>> {
    let before = this.db
      .selectFrom('acd_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('type', 'in', AGENT_CHANGE_TYPES)
      .where('at', '<', from)
      .where('agent_id', 'is not', null)
      .groupBy('agent_id');
    if (agentIds.length) before = before.where('agent_id', 'in', agentIds);
    const seqs = (await before.execute()).map((r) => Number(r.seq));
    // Two index-friendly queries (by seq, then by time) instead of one OR that scans the log.
    const head = seqs.length
      ? await this.db.selectFrom('acd_events').select(['seq', 'agent_id', 'at', 'payload']).where('seq', 'in', seqs).execute()
      : [];
    let q = this.db
      .selectFrom('acd_events')
      .select(['seq', 'agent_id', 'at', 'payload'])
      .where('at', '>=', from)
      .where('at', '<', to)
      .where('type', 'in', AGENT_CHANGE_TYPES);
    if (agentIds.length) q = q.where('agent_id', 'in', agentIds);
    const rows = [...head.sort((a, b) => a.seq - b.seq), ...(await q.orderBy('seq').execute())];
    const out = new Map<string, AgentTransitionRecord[]>();
    for (const r of rows) {
      if (r.agent_id === null) continue;
      const p = JSON.parse(r.payload) as AgentChangePayload;
      const list = out.get(r.agent_id) ?? [];
      list.push({ at: r.at, status: p.status, state: p.state, breakReason: p.breakReason });
      out.set(r.agent_id, list);
    }
    return out;
  }

  /** Agent time per (queue, period) and per queue over the range, for occupancy. */
  private async queueAgentTimes(
    from: number,
    to: number,
    g: Granularity,
    queueIds: readonly string[],
  ): Promise<{ byPeriod: Map<string, AgentTimes>; total: Map<string, AgentTimes> }> {
    const byPeriod = new Map<string, AgentTimes>();
    const total = new Map<string, AgentTimes>();
    if (!queueIds.length) return { byPeriod, total };
    const agentQueues = await this.members(queueIds);
    for (const c of await this.callFacts(from, to)) {
      if (!queueIds.includes(c.queueId)) continue;
      const s = agentQueues.get(c.agentId) ?? new Set<string>();
      s.add(c.queueId);
      agentQueues.set(c.agentId, s);
    }
    if (!agentQueues.size) return { byPeriod, total };
    const transitions = await this.transitions(from, to, [...agentQueues.keys()]);
    for (const [agentId, queues] of agentQueues) {
      const periods = agentPeriodTimes(transitions.get(agentId) ?? [], from, to, g, this.utcOffsetMinutes);
      for (const queueId of queues) {
        for (const [start, times] of periods) {
          const key = `${queueId}\u0000${start}`;
          const b = byPeriod.get(key) ?? emptyAgentTimes();
          addAgentTimes(b, times);
          byPeriod.set(key, b);
          const t = total.get(queueId) ?? emptyAgentTimes();
          addAgentTimes(t, times);
          total.set(queueId, t);
        }
      }
    }
    return { byPeriod, total };
  }
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function formulas(sl: MetricValue): Formulas {
  const c = emptyCounts();
  const ab = abandonRate(c);
  return {
    serviceLevel: sl.formula,
    asa: averageSpeedOfAnswer(c).formula,
    aht: averageHandleTime(c).formula,
    abandon: ab.headline.formula,
    abandonRaw: ab.raw.formula,
    occupancy: occupancy(0, 0).formula,
  };
}
