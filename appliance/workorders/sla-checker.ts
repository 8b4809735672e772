/**
 * Fires SLA warnings and breaches when they come due. `tick()` reads the clocks whose
 * next_check_at has passed, evaluates them (sla.ts `evaluate`), and in one transaction updates
 * the clocks, appends a `sla-warn` / `sla-breach` row to workorder_events and refreshes the
 * order's sla_state; after commit it publishes `workorder.sla.warned` / `workorder.sla.breached`.
 *
 * `start()` sleeps on the injected Clock until the earliest next_check_at (capped, so rows
 * written by another process are picked up too); the service calls `reschedule()` after every
 * action. With ManualClock a warning at 16 000 ms fires at exactly 16 000 ms, a breach of a 20 s
 * target at exactly 20 001 ms.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { Assignee, SlaMetric } from './model.js';
import { dueAt, elapsedMs, evaluate, nextCheckAt } from './sla.js';
import { clockState, type CalendarSource, type SlaClocks } from './sla-clocks.js';
import type { SlaEventPayload } from './workorder-events.js';
import type { WorkOrderStore } from './workorder-store.js';

export interface SlaCheckerDeps {
  ws: WorkOrderStore;
  clocks: SlaClocks;
  calendars: CalendarSource;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  /** Longest sleep between checks, so clocks written elsewhere are not missed. Default 60 s. */
  maxSleepMs?: number;
  /** Rows handled per transaction. Default 500. */
  batch?: number;
}

export interface SlaFiring {
  type: 'workorder.sla.warned' | 'workorder.sla.breached' | 'workorder.sla.escalated';
  payload: SlaEventPayload;
}

export class SlaChecker {
  private timer: TimerHandle | null = null;
  /** When the pending timer fires (null when none). */
  private wakeAt: number | null = null;
  private running = false;

  constructor(private readonly deps: SlaCheckerDeps) {}

  /** Fire everything due by now; returns what was published. */
  tick(): SlaFiring[] {
    const { ws, clock } = this.deps;
    const batch = this.deps.batch ?? 500;
    const out: SlaFiring[] = [];
    for (;;) {
      const now = clock.now();
      const earliest = ws.earliestSlaCheck();
      if (earliest === null || earliest > now) break;
      const fired = ws.transaction(() => this.checkBatch(now, batch));
      out.push(...fired.list);
      if (fired.rows < batch) break;
    }
    for (const f of out) this.deps.bus.publish(f.type, f.payload);
    return out;
  }

  private checkBatch(now: number, batch: number): { rows: number; list: SlaFiring[] } {
    const { ws, calendars } = this.deps;
    const rows = ws.dueSla(now, batch);
    const list: SlaFiring[] = [];
    const touched = new Set<string>();
    for (const r of rows) {
      const cal = calendars(r.calendar_id);
      const { fired, state } = evaluate(clockState(r), cal, now);
      ws.updateSla(r.id, { warned: state.warned, breached_at: state.breachedAt, escalated: state.escalated, next_check_at: nextCheckAt(state, cal) });
      if (fired.length === 0) continue;
      const order = ws.getOrder(r.order_id);
      if (!order) continue;
      const notify = this.notifyList(order.id, order.step_round, order.acceptor_id);
      for (const f of fired) {
        const percent = f.kind === 'warn' ? f.percent : 100;
        ws.insertEvent({
          order_id: order.id,
          at: now,
          actor: 'system',
          actor_ip: null,
          channel: 'system',
          // An escalation is a later stage of the breach: the same history action, with its level in data.
          action: f.kind === 'warn' ? 'sla-warn' : 'sla-breach',
          from_status: order.status,
          to_status: order.status,
          step_id: r.step_id,
          note: null,
          data: JSON.stringify({ metric: r.metric, percent, targetMs: r.target_ms, ...(f.kind === 'escalate' ? { level: f.level } : {}) }),
          version: order.version,
        });
        list.push({
          type: f.kind === 'warn' ? 'workorder.sla.warned' : f.kind === 'breach' ? 'workorder.sla.breached' : 'workorder.sla.escalated',
          payload: {
            orderId: order.id,
            number: order.number,
            metric: r.metric as SlaMetric,
            stepId: r.step_id,
            targetMs: r.target_ms,
            elapsedMs: elapsedMs(state, cal, now),
            dueAt: dueAt(state, cal),
            percent,
            notify,
            ...(f.kind === 'escalate' ? { level: f.level } : {}),
          },
        });
      }
      touched.add(order.id);
    }
    for (const id of touched) {
      const s = this.deps.clocks.summary(id);
      ws.updateOrderSla(id, { due_at: s.dueAt, sla_state: s.slaState });
    }
    return { rows: rows.length, list };
  }

  private notifyList(orderId: string, round: number, acceptorId: string | null): Assignee[] {
    const out: Assignee[] = this.deps.ws
      .assignmentsOf(orderId, round)
      .filter((a) => a.status === 'pending')
      .map((a) => ({ kind: a.assignee_kind as Assignee['kind'], id: a.assignee_id }));
    if (acceptorId) out.push({ kind: 'user', id: acceptorId });
    return out;
  }

  /** Run on the clock until stop(). */
  start(): void {
    this.running = true;
    this.reschedule();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
    this.wakeAt = null;
  }

  /**
   * A clock was written whose next check is `at`: re-arm only if that is sooner than the pending
   * timer (cheaper than reschedule() on every create; the hot path of a busy hotline).
   */
  wake(at: number | null): void {
    if (!this.running || at === null) return;
    if (this.timer !== null && this.wakeAt !== null && this.wakeAt <= at) return;
    this.reschedule();
  }

  /** Sleep until the earliest next check (call after anything that changed clocks). */
  reschedule(): void {
    if (!this.running) return;
    this.timer?.cancel();
    const maxSleep = this.deps.maxSleepMs ?? 60_000;
    const next = this.deps.ws.earliestSlaCheck();
    const now = this.deps.clock.now();
    const delay = next === null ? maxSleep : Math.min(maxSleep, Math.max(0, next - now));
    this.wakeAt = now + delay;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      this.wakeAt = null;
      try {
        this.tick();
      } catch (err) {
        this.deps.log.error({ err }, 'sla check failed');
      }
      this.reschedule();
    }, delay);
  }
}
