/**
 * The IVR's part of the call record (issue 7: "variables carried into the call record and the
 * screen pop"; "survey (1–5 scores stored with the call and its work order)"), in SQLite
 * (store/migrations/0018-ivr-call-records.ts) through Kysely:
 *
 *   ivr.flow.completed / ivr.flow.abandoned → one ivr_call_records row: flow, version, outcome,
 *                                             path, variables, the queue reached;
 *   SurveySink.record                       → ivr_survey_scores, one row per question, with the
 *                                             queue and agent the survey was about (the
 *                                             post-call survey sets postcall_queue / postcall_agent).
 *
 * Writes are issued as the events arrive; `flush()` waits for those in flight (tests, stop).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Database } from '../store/schema.js';
import type { SurveySink, Variables } from './ports.js';
import './events.js';

export interface IvrCallRecord {
  callId: string;
  flowId: string;
  flowVersion: number;
  outcome: string;
  lastNode: string | null;
  path: string[];
  vars: Variables;
  queue: string | null;
  durationMs: number;
  endedAt: number;
}

export interface SurveyScoreRow {
  survey: string;
  question: string;
  score: number;
  queue: string | null;
  agentId: string | null;
}

export class IvrCallRecords implements SurveySink {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock }) {}

  /** Record every IVR run's end from the bus; returns the unsubscribe function. */
  listen(bus: Pick<EventBus, 'on'>): () => void {
    const offDone = bus.on('ivr.flow.completed', (e) => this.track(this.insert({ ...e.payload, outcome: e.payload.outcome, queue: e.payload.queue ?? null, endedAt: e.at })));
    const offGone = bus.on('ivr.flow.abandoned', (e) => this.track(this.insert({ ...e.payload, outcome: 'abandoned', queue: null, endedAt: e.at })));
    return () => {
      offDone();
      offGone();
    };
  }

  async record(req: { callId: string; survey: string; scores: Readonly<Record<string, number>>; vars: Readonly<Variables> }): Promise<void> {
    const at = this.deps.clock.now();
    const rows = Object.entries(req.scores).map(([question, score]) => ({
      call_id: req.callId,
      survey: req.survey,
      question,
      score,
      queue: req.vars.postcall_queue || null,
      agent_id: req.vars.postcall_agent || null,
      recorded_at: at,
    }));
    if (rows.length === 0) return;
    await this.track(
      this.deps.db
        .insertInto('ivr_survey_scores')
        .values(rows)
        .onConflict((oc) => oc.columns(['call_id', 'survey', 'question']).doUpdateSet((eb) => ({ score: eb.ref('excluded.score'), recorded_at: eb.ref('excluded.recorded_at') })))
        .execute(),
    );
  }

  /** The IVR runs of a call, oldest first (a call may run a flow, then a survey). */
  async ofCall(callId: string): Promise<IvrCallRecord[]> {
    const rows = await this.deps.db.selectFrom('ivr_call_records').selectAll().where('call_id', '=', callId).orderBy('ended_at').execute();
    return rows.map((r) => ({
      callId: r.call_id,
      flowId: r.flow_id,
      flowVersion: r.flow_version,
      outcome: r.outcome,
      lastNode: r.last_node,
      path: JSON.parse(r.path) as string[],
      vars: JSON.parse(r.vars) as Variables,
      queue: r.queue,
      durationMs: r.duration_ms,
      endedAt: r.ended_at,
    }));
  }

  async scoresOf(callId: string): Promise<SurveyScoreRow[]> {
    const rows = await this.deps.db.selectFrom('ivr_survey_scores').selectAll().where('call_id', '=', callId).orderBy('question').execute();
    return rows.map((r) => ({ survey: r.survey, question: r.question, score: r.score, queue: r.queue, agentId: r.agent_id }));
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private insert(r: { callId: string; flowId: string; flowVersion: number; outcome: string; lastNode: string | null; path: string[]; vars: Variables; queue: string | null; durationMs: number; endedAt: number }): Promise<unknown> {
    return this.deps.db
      .insertInto('ivr_call_records')
      .values({
        call_id: r.callId,
        flow_id: r.flowId,
        flow_version: r.flowVersion,
        outcome: r.outcome,
        last_node: r.lastNode,
        path: JSON.stringify(r.path),
        vars: JSON.stringify(r.vars),
        queue: r.queue,
        duration_ms: Math.round(r.durationMs),
        ended_at: r.endedAt,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }
}
