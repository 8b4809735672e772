/**
 * The per-order SLA clocks (workorder_sla rows): started, stopped, paused and resumed by the
 * service inside the action's transaction, following sla.ts `clockTriggers` and the pause rule
 * (an order that is suspended or waiting for the customer consumes no SLA time). Each row keeps
 * `due_at` and `next_check_at` current, so the checker only reads rows that have something due.
 */
import type { Insertable } from 'kysely';
import type { WorkorderSlaTable } from '../store/schema.js';
import type { BusinessCalendar } from './calendar.js';
import type { AreaClass, Priority, SlaState } from './model.js';
import { dueAt, elapsedMs, matchPolicy, nextCheckAt, pause, resume, type ClockState, type PolicyMetric, type SlaPolicy } from './sla.js';
import type { SlaRow, WorkOrderStore } from './workorder-store.js';

/** Looks a calendar up by id; null is round the clock. */
export type CalendarSource = (id: string | null) => BusinessCalendar;

export interface ClockOrder {
  id: string;
  typeId: string;
  priority: Priority;
  areaClass: AreaClass | null;
}

export function clockState(r: SlaRow): ClockState {
  return {
    targetMs: r.target_ms,
    warnPercents: JSON.parse(r.warn_percents) as number[],
    consumedMs: r.consumed_ms,
    runningSince: r.running_since,
    warned: r.warned,
    breachedAt: r.breached_at,
    escalateAfterMs: (JSON.parse(r.escalate_minutes) as number[]).map((m) => m * 60_000),
    escalated: r.escalated,
  };
}

const ACTIVE = new Set(['running', 'paused']);

export class SlaClocks {
  private policies: SlaPolicy[] | null = null;

  constructor(
    private readonly ws: WorkOrderStore,
    private readonly calendars: CalendarSource,
  ) {}

  /** Forget cached policies (after a policy is added or changed). */
  invalidatePolicies(): void {
    this.policies = null;
  }

  private activePolicies(): SlaPolicy[] {
    this.policies ??= this.ws.activePolicies().map((p) => ({
      id: p.id,
      typeId: p.type_id,
      priority: p.priority as Priority | null,
      areaClass: p.area_class as AreaClass | null,
      metric: p.metric as PolicyMetric,
      targetMinutes: p.target_minutes,
      calendarId: p.calendar_id,
      warnPercents: JSON.parse(p.warn_percents) as number[],
      escalateMinutes: JSON.parse(p.escalate_minutes) as number[],
    }));
    return this.policies;
  }

  /** Start a clock per metric that has a policy and no active clock yet. */
  start(order: ClockOrder, metrics: readonly PolicyMetric[], now: number): void {
    if (metrics.length === 0) return;
    for (const row of this.plan(order, metrics, now, this.ws.slaOf(order.id))) this.ws.insertSla(row);
  }

  /**
   * The rows `start` would insert, given the order's existing clocks (`[]` for a new order, so
   * create needs no read): create computes the order's due instant from them before inserting.
   */
  plan(order: ClockOrder, metrics: readonly PolicyMetric[], now: number, existing: readonly SlaRow[]): Array<Insertable<WorkorderSlaTable>> {
    const out: Array<Insertable<WorkorderSlaTable>> = [];
    for (const metric of metrics) {
      if (existing.some((r) => r.metric === metric && ACTIVE.has(r.status))) continue;
      const policy = matchPolicy(this.activePolicies(), order, metric);
      if (!policy) continue;
      out.push(this.runningRow(order.id, metric, null, policy.id, policy.calendarId, policy.targetMinutes * 60_000, policy.warnPercents, now, policy.escalateMinutes));
    }
    return out;
  }

  /** A workflow step's own limit (business minutes on the type's calendar). */
  startStep(orderId: string, stepId: string, limitMinutes: number, calendarId: string | null, now: number): void {
    this.ws.insertSla(this.runningRow(orderId, 'step', stepId, null, calendarId, limitMinutes * 60_000, [80], now));
  }

  private runningRow(
    orderId: string,
    metric: string,
    stepId: string | null,
    policyId: string | null,
    calendarId: string | null,
    targetMs: number,
    warnPercents: number[],
    now: number,
    escalateMinutes: readonly number[] = [],
  ): Insertable<WorkorderSlaTable> {
    const escalateAfterMs = escalateMinutes.map((m) => m * 60_000);
    const state: ClockState = { targetMs, warnPercents, consumedMs: 0, runningSince: now, warned: 0, breachedAt: null, escalateAfterMs, escalated: 0 };
    const cal = this.calendars(calendarId);
    return {
      order_id: orderId,
      metric,
      step_id: stepId,
      policy_id: policyId,
      calendar_id: calendarId,
      target_ms: targetMs,
      warn_percents: JSON.stringify(warnPercents),
      escalate_minutes: JSON.stringify(escalateMinutes),
      consumed_ms: 0,
      running_since: now,
      due_at: dueAt(state, cal),
      warned: 0,
      next_check_at: nextCheckAt(state, cal),
      status: 'running',
      created_at: now,
    };
  }

  /** Stop active clocks of these metrics as met (or `cancelled`), banking their time. */
  stop(orderId: string, metrics: readonly string[], now: number, as: 'met' | 'cancelled' = 'met'): void {
    for (const r of this.ws.slaOf(orderId)) {
      if (!ACTIVE.has(r.status) || !metrics.includes(r.metric)) continue;
      const cal = this.calendars(r.calendar_id);
      this.ws.updateSla(r.id, {
        status: as,
        consumed_ms: elapsedMs(clockState(r), cal, now),
        running_since: null,
        next_check_at: null,
        met_at: as === 'met' ? now : null,
      });
    }
  }

  stopAll(orderId: string, now: number, as: 'met' | 'cancelled'): void {
    this.stop(orderId, ['accept', 'arrival', 'restore', 'reply', 'resolve', 'step'], now, as);
  }

  pauseAll(orderId: string, now: number): void {
    for (const r of this.ws.slaOf(orderId)) {
      if (r.status !== 'running') continue;
      const s = pause(clockState(r), this.calendars(r.calendar_id), now);
      this.ws.updateSla(r.id, { status: 'paused', consumed_ms: s.consumedMs, running_since: null, due_at: null, next_check_at: null });
    }
  }

  resumeAll(orderId: string, now: number): void {
    for (const r of this.ws.slaOf(orderId)) {
      if (r.status !== 'paused') continue;
      const cal = this.calendars(r.calendar_id);
      const s = resume(clockState(r), now);
      this.ws.updateSla(r.id, { status: 'running', running_since: now, due_at: dueAt(s, cal), next_check_at: nextCheckAt(s, cal) });
    }
  }

  /** The order's list fields: earliest due instant of its running clocks, and its worst state. */
  summary(orderId: string): { dueAt: number | null; slaState: SlaState } {
    let due: number | null = null;
    let state: SlaState = 'ok';
    for (const r of this.ws.slaOf(orderId)) {
      if (r.status === 'cancelled') continue;
      if (r.status === 'running' && r.due_at !== null) due = due === null ? r.due_at : Math.min(due, r.due_at);
      if (r.breached_at !== null) state = 'breached';
      else if (r.warned > 0 && state === 'ok' && ACTIVE.has(r.status)) state = 'warned';
    }
    return { dueAt: due, slaState: state };
  }
}
