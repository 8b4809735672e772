/**
 * Callback visits (回访), issue 8 "Callback visits": "rules that select closed orders for a
 * visit (all complaints, a sample of others), assignment to agents, click-to-dial from the list,
 * outcome (satisfied / not / unreachable with reason), reopen on dissatisfaction; statistics"
 * — seed [W 5]: "supervisor assigns, agent calls back from the list with click-to-dial, records
 * result or why not reached; satisfaction statistics".
 *
 *   - selection: on `workorder.order.closed` the first active rule (by position) matching the
 *     order's type or kind decides; a sample percent below 100 picks orders by a hash of the
 *     order id, so the choice is reproducible and spread evenly;
 *   - scheduling: attempts happen only inside calling hours (a business calendar: no calls at
 *     night or on holidays); an unreachable customer is retried after `retryDelayMinutes` of
 *     calling time, up to `maxAttempts`, then the visit fails as unreachable;
 *   - outcome: satisfied / dissatisfied / unreachable is recorded on the visit and, in the same
 *     transaction, as the order's `visit` action — a dissatisfied visit reopens the order
 *     (transitions.ts `closed --visit--> accepted`);
 *   - click-to-dial publishes `workorder.visit.dial-requested` (telephony subscribes; this
 *     module never imports it);
 *   - statistics: satisfaction rate = satisfied / (satisfied + dissatisfied), by type, kind,
 *     department or agent.
 */
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import type { Store } from '../store/database.js';
import type { BusinessCalendar } from './calendar.js';
import { OrderKinds, VisitResults, type Actor, type VisitResult } from './model.js';
import { parseWith } from './schemas.js';
import { SyncQueries } from '../store/sync-query.js';
import { ActionForbiddenError, Roles } from './transitions.js';
import type { WorkOrderService } from './workorder-service.js';
import './workorder-events.js';

export const VisitStatuses = ['pending', 'assigned', 'done', 'failed', 'cancelled'] as const;
export type VisitStatus = (typeof VisitStatuses)[number];

export const VisitRuleSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'id must be lower-case letters, digits or -'),
  name: z.string().trim().min(1).max(100),
  position: z.number().int().min(0).default(0),
  typeId: z.string().min(1).nullable().default(null),
  kind: z.enum(OrderKinds).nullable().default(null),
  samplePercent: z.number().int().min(0).max(100),
  dueMinutes: z.number().int().positive().default(2880),
  active: z.boolean().default(true),
});
export type VisitRuleInput = z.input<typeof VisitRuleSchema>;
export type VisitRule = z.infer<typeof VisitRuleSchema>;

export const VisitOutcomeSchema = z
  .strictObject({
    version: z.number().int().positive(),
    outcome: z.enum(VisitResults),
    reason: z.string().trim().max(2000).optional(),
    callId: z.string().min(1).max(64).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.outcome !== 'satisfied' && !v.reason) ctx.addIssue({ code: 'custom', path: ['reason'], message: `a ${v.outcome} outcome needs a reason` });
  });
export type VisitOutcomeInput = z.input<typeof VisitOutcomeSchema>;

export interface Visit {
  id: string;
  orderId: string;
  ruleId: string | null;
  round: number;
  typeId: string;
  kind: string;
  departmentId: string | null;
  status: VisitStatus;
  agentId: string | null;
  contactPhone: string | null;
  nextAttemptAt: number;
  dueAt: number;
  attempts: number;
  result: VisitResult | null;
  reason: string | null;
  createdAt: number;
  completedAt: number | null;
  version: number;
}

export interface VisitAttempt {
  at: number;
  agentId: string;
  outcome: VisitResult;
  reason: string | null;
  callId: string | null;
}

export interface VisitStatsRow {
  key: string | null;
  visits: number;
  satisfied: number;
  dissatisfied: number;
  unreachable: number;
  /** satisfied / (satisfied + dissatisfied); null when nobody was reached. */
  satisfactionRate: number | null;
}

export interface VisitServiceDeps {
  store: Pick<Store, 'sqlite' | 'db'>;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  orders: WorkOrderService;
  /** Calendar id of calling hours (a business calendar); null = any time. */
  callingCalendarId?: string | null;
  /** Attempts before an unreachable customer's visit fails. Default 3. */
  maxAttempts?: number;
  /** Calling-hours minutes between attempts. Default 120. */
  retryDelayMinutes?: number;
}

export interface VisitEventPayload {
  visitId: string;
  orderId: string;
  agentId: string | null;
  status: VisitStatus;
  result: VisitResult | null;
}

declare module '../core/events.js' {
  interface EventMap {
    'workorder.visit.selected': VisitEventPayload;
    'workorder.visit.assigned': VisitEventPayload;
    'workorder.visit.recorded': VisitEventPayload & { outcome: VisitResult; attempts: number; reopened: boolean };
    'workorder.visit.dial-requested': { visitId: string; orderId: string; agentId: string; number: string };
  }
}

/** FNV-1a over the id, 0–99: the same order is always in or out of a sample. */
export function sampleBucket(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 100;
}

type VisitRow = {
  id: string;
  order_id: string;
  rule_id: string | null;
  round: number;
  type_id: string;
  kind: string;
  department_id: string | null;
  status: string;
  agent_id: string | null;
  contact_phone: string | null;
  next_attempt_at: number;
  due_at: number;
  attempts: number;
  result: string | null;
  reason: string | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  version: number;
};

const toVisit = (r: VisitRow): Visit => ({
  id: r.id,
  orderId: r.order_id,
  ruleId: r.rule_id,
  round: r.round,
  typeId: r.type_id,
  kind: r.kind,
  departmentId: r.department_id,
  status: r.status as VisitStatus,
  agentId: r.agent_id,
  contactPhone: r.contact_phone,
  nextAttemptAt: r.next_attempt_at,
  dueAt: r.due_at,
  attempts: r.attempts,
  result: r.result as VisitResult | null,
  reason: r.reason,
  createdAt: r.created_at,
  completedAt: r.completed_at,
  version: r.version,
});

export class VisitService {
  private readonly q: SyncQueries;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: VisitServiceDeps) {
    this.q = new SyncQueries(deps.store.sqlite);
  }

  private get db(): VisitServiceDeps['store']['db'] {
    return this.deps.store.db;
  }

  /** Select closed orders as they close (call stop() to detach). */
  start(): void {
    this.unsubscribe ??= this.deps.bus.on('workorder.order.closed', (e) => {
      try {
        this.select(e.payload.orderId);
      } catch (err) {
        this.deps.log.error({ err, orderId: e.payload.orderId }, 'visit selection failed');
      }
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private calendar(): BusinessCalendar {
    return this.deps.orders.calendar(this.deps.callingCalendarId ?? null);
  }

  /** The first calling-hours instant at or after `at` (+ `minutes` of calling time). */
  private callingTime(at: number, minutes = 0): number {
    const cal = this.calendar();
    // addBusinessMs(from, 0) is `from` itself; one business ms later, minus one, is the first working instant.
    return cal.addBusinessMs(at, minutes * 60_000 + 1) - 1;
  }

  // ------------------------------------------------------------------ rules

  saveRule(input: VisitRuleInput): VisitRule {
    const r = parseWith(VisitRuleSchema, input, 'visit rule');
    if (r.typeId !== null) this.deps.orders.getType(r.typeId);
    if (r.typeId !== null && r.kind !== null)
      throw new ValidationError('a rule matches a type or a kind', [{ path: 'kind', message: 'give typeId or kind, not both' }]);
    const now = this.deps.clock.now();
    this.q.run(
      this.db
        .insertInto('visit_rules')
        .values({ id: r.id, name: r.name, position: r.position, type_id: r.typeId, kind: r.kind, sample_percent: r.samplePercent, due_minutes: r.dueMinutes, active: r.active ? 1 : 0, created_at: now, updated_at: now })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({ name: r.name, position: r.position, type_id: r.typeId, kind: r.kind, sample_percent: r.samplePercent, due_minutes: r.dueMinutes, active: r.active ? 1 : 0, updated_at: now }),
        )
        .compile(),
    );
    return r;
  }

  listRules(): VisitRule[] {
    return this.q
      .all(this.db.selectFrom('visit_rules').selectAll().orderBy('position').orderBy('id').compile())
      .map((r) => ({
        id: r.id,
        name: r.name,
        position: r.position,
        typeId: r.type_id,
        kind: r.kind as VisitRule['kind'],
        samplePercent: r.sample_percent,
        dueMinutes: r.due_minutes,
        active: r.active === 1,
      }));
  }

  // ------------------------------------------------------------------ selection

  /** Decide whether a closed order gets a visit; returns the visit or null. Idempotent per close. */
  select(orderId: string): Visit | null {
    const order = this.deps.orders.get(orderId);
    if (order.status !== 'closed') return null;
    const kind = this.deps.orders.getType(order.typeId).kind;
    const rule = this.listRules().find((r) => r.active && (r.typeId === null || r.typeId === order.typeId) && (r.kind === null || r.kind === kind));
    if (!rule || sampleBucket(`${order.id}:${order.reopenCount}`) >= rule.samplePercent) return null;
    const existing = this.q.first(this.db.selectFrom('workorder_visits').selectAll().where('order_id', '=', order.id).where('round', '=', order.reopenCount).compile());
    if (existing) return toVisit(existing);
    const now = this.deps.clock.now();
    const dept = this.q.first(
      this.db
        .selectFrom('workorder_assignments')
        .select('assignee_id')
        .where('order_id', '=', order.id)
        .where('assignee_kind', '=', 'department')
        .where('status', '=', 'replied')
        .orderBy('id', 'desc')
        .limit(1)
        .compile(),
    );
    const row: VisitRow = {
      id: newId('vis', this.deps.clock),
      order_id: order.id,
      rule_id: rule.id,
      round: order.reopenCount,
      type_id: order.typeId,
      kind,
      department_id: dept?.assignee_id ?? null,
      status: 'pending',
      agent_id: null,
      contact_phone: order.contactPhone,
      next_attempt_at: this.callingTime(now),
      due_at: this.callingTime(now, rule.dueMinutes),
      attempts: 0,
      result: null,
      reason: null,
      created_at: now,
      updated_at: now,
      completed_at: null,
      version: 1,
    };
    this.q.run(this.db.insertInto('workorder_visits').values(row).compile());
    this.deps.bus.publish('workorder.visit.selected', { visitId: row.id, orderId: order.id, agentId: null, status: 'pending', result: null });
    return toVisit(row);
  }

  // ------------------------------------------------------------------ assignment

  /** A supervisor hands visits to an agent (pending or reassigned). */
  assign(visitIds: readonly string[], agentId: string, actor: Actor): Visit[] {
    if (!actor.roles.includes(Roles.supervisor)) throw new ActionForbiddenError('visit', 'only a supervisor assigns callback visits');
    const now = this.deps.clock.now();
    const out = this.q.transaction(() =>
      visitIds.map((id) => {
        const v = this.getRow(id);
        if (v.status !== 'pending' && v.status !== 'assigned') throw new ConflictError(`visit ${id} is ${v.status}`);
        this.q.run(
          this.db.updateTable('workorder_visits').set({ status: 'assigned', agent_id: agentId, updated_at: now, version: v.version + 1 }).where('id', '=', id).compile(),
        );
        return this.get(id);
      }),
    );
    for (const v of out) this.deps.bus.publish('workorder.visit.assigned', { visitId: v.id, orderId: v.orderId, agentId, status: v.status, result: null });
    return out;
  }

  /** Spread every pending visit over these agents, fewest open visits first. */
  autoAssign(agentIds: readonly string[], actor: Actor): Visit[] {
    if (agentIds.length === 0) throw new ValidationError('no agents', [{ path: 'agentIds', message: 'name at least one agent' }]);
    const load = new Map(agentIds.map((a) => [a, 0]));
    for (const r of this.q.all(
      this.db.selectFrom('workorder_visits').select(['agent_id', (eb) => eb.fn.countAll<number>().as('n')]).where('status', '=', 'assigned').groupBy('agent_id').compile(),
    )) {
      if (r.agent_id !== null && load.has(r.agent_id)) load.set(r.agent_id, r.n);
    }
    const pending = this.q.all(this.db.selectFrom('workorder_visits').select('id').where('status', '=', 'pending').orderBy('due_at').compile());
    const plan = new Map<string, string[]>();
    for (const p of pending) {
      const agent = [...load].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0]![0];
      load.set(agent, load.get(agent)! + 1);
      plan.set(agent, [...(plan.get(agent) ?? []), p.id]);
    }
    return [...plan].flatMap(([agent, ids]) => this.assign(ids, agent, actor));
  }

  // ------------------------------------------------------------------ the agent's list

  /** The agent's visits callable now (inside calling hours, retry time reached), soonest due first. */
  queue(agentId: string, limit = 100): Visit[] {
    const now = this.deps.clock.now();
    if (!this.calendar().isWorkingAt(now)) return [];
    return this.q
      .all(
        this.db
          .selectFrom('workorder_visits')
          .selectAll()
          .where('agent_id', '=', agentId)
          .where('status', '=', 'assigned')
          .where('next_attempt_at', '<=', now)
          .orderBy('due_at')
          .limit(limit)
          .compile(),
      )
      .map(toVisit);
  }

  list(filter: { status?: VisitStatus; agentId?: string; orderId?: string; limit?: number } = {}): Visit[] {
    let q = this.db.selectFrom('workorder_visits').selectAll();
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.agentId) q = q.where('agent_id', '=', filter.agentId);
    if (filter.orderId) q = q.where('order_id', '=', filter.orderId);
    return this.q.all(q.orderBy('created_at', 'desc').limit(filter.limit ?? 200).compile()).map(toVisit);
  }

  get(id: string): Visit {
    return toVisit(this.getRow(id));
  }

  attempts(id: string): VisitAttempt[] {
    this.getRow(id);
    return this.q
      .all(this.db.selectFrom('workorder_visit_attempts').selectAll().where('visit_id', '=', id).orderBy('id').compile())
      .map((a) => ({ at: a.at, agentId: a.agent_id, outcome: a.outcome as VisitResult, reason: a.reason, callId: a.call_id }));
  }

  /** Click-to-dial: ask telephony (by event) to call the customer for this visit. */
  dial(id: string, actor: Actor): { number: string } {
    const v = this.getRow(id);
    this.assertAgent(v, actor);
    if (!v.contact_phone) throw new ValidationError('no number', [{ path: 'contactPhone', message: 'the order has no contact phone' }]);
    this.deps.bus.publish('workorder.visit.dial-requested', { visitId: v.id, orderId: v.order_id, agentId: actor.id, number: v.contact_phone });
    return { number: v.contact_phone };
  }

  // ------------------------------------------------------------------ outcome

  /**
   * Record one attempt. Satisfied or dissatisfied ends the visit and takes the order's `visit`
   * action (dissatisfied reopens it); unreachable schedules a retry inside calling hours, and
   * the last allowed attempt ends the visit as unreachable. All in one transaction.
   */
  record(id: string, input: VisitOutcomeInput, actor: Actor): Visit {
    const o = parseWith(VisitOutcomeSchema, input, 'visit outcome');
    let publish: (() => void) | undefined;
    this.q.transaction(() => {
      const v = this.getRow(id);
      if (v.version !== o.version) throw new ConflictError(`visit ${id} has changed (version ${v.version}, you acted on ${o.version}); reload it`);
      if (v.status !== 'assigned') throw new ConflictError(`visit ${id} is ${v.status}, not assigned`);
      this.assertAgent(v, actor);
      const now = this.deps.clock.now();
      const attempts = v.attempts + 1;
      this.q.run(
        this.db
          .insertInto('workorder_visit_attempts')
          .values({ visit_id: id, at: now, agent_id: actor.id, outcome: o.outcome, reason: o.reason ?? null, call_id: o.callId ?? null })
          .compile(),
      );
      const final = o.outcome !== 'unreachable' || attempts >= (this.deps.maxAttempts ?? 3);
      this.q.run(
        this.db
          .updateTable('workorder_visits')
          .set(
            final
              ? { status: o.outcome === 'unreachable' ? 'failed' : 'done', result: o.outcome, reason: o.reason ?? null, attempts, completed_at: now, updated_at: now, version: v.version + 1 }
              : { attempts, reason: o.reason ?? null, next_attempt_at: this.callingTime(now, this.deps.retryDelayMinutes ?? 120), updated_at: now, version: v.version + 1 },
          )
          .where('id', '=', id)
          .compile(),
      );
      let reopened = false;
      if (final) {
        const order = this.deps.orders.get(v.order_id);
        // Last: act() commits its own savepoint and publishes the order events.
        const after = this.deps.orders.act(v.order_id, { action: 'visit', version: order.version, result: o.outcome, ...(o.reason ? { reason: o.reason } : {}) }, actor);
        reopened = after.status === 'accepted';
      }
      publish = () =>
        this.deps.bus.publish('workorder.visit.recorded', {
          visitId: id,
          orderId: v.order_id,
          agentId: actor.id,
          status: final ? (o.outcome === 'unreachable' ? 'failed' : 'done') : 'assigned',
          result: final ? o.outcome : null,
          outcome: o.outcome,
          attempts,
          reopened,
        });
    });
    publish?.();
    return this.get(id);
  }

  private assertAgent(v: VisitRow, actor: Actor): void {
    if (v.agent_id !== actor.id && !actor.roles.includes(Roles.supervisor))
      throw new ActionForbiddenError('visit', 'this visit is assigned to someone else');
  }

  // ------------------------------------------------------------------ statistics

  /** Satisfaction by type, kind, department or agent over visits completed in [from, to). */
  stats(by: 'type' | 'kind' | 'department' | 'agent', range: { from?: number; to?: number } = {}): VisitStatsRow[] {
    const col = ({ type: 'type_id', kind: 'kind', department: 'department_id', agent: 'agent_id' } as const)[by];
    let q = this.db
      .selectFrom('workorder_visits')
      .select((eb) => [
        eb.ref(col).as('key'),
        eb.fn.countAll<number>().as('visits'),
        eb.fn.sum<number>(eb.case().when('result', '=', 'satisfied').then(1).else(0).end()).as('satisfied'),
        eb.fn.sum<number>(eb.case().when('result', '=', 'dissatisfied').then(1).else(0).end()).as('dissatisfied'),
        eb.fn.sum<number>(eb.case().when('result', '=', 'unreachable').then(1).else(0).end()).as('unreachable'),
      ])
      .where('completed_at', 'is not', null);
    if (range.from !== undefined) q = q.where('completed_at', '>=', range.from);
    if (range.to !== undefined) q = q.where('completed_at', '<', range.to);
    return this.q.all(q.groupBy(col).orderBy(col).compile()).map((r) => {
      const reached = r.satisfied + r.dissatisfied;
      return {
        key: r.key as string | null,
        visits: r.visits,
        satisfied: r.satisfied,
        dissatisfied: r.dissatisfied,
        unreachable: r.unreachable,
        satisfactionRate: reached === 0 ? null : r.satisfied / reached,
      };
    });
  }

  private getRow(id: string): VisitRow {
    const r = this.q.first(this.db.selectFrom('workorder_visits').selectAll().where('id', '=', id).compile());
    if (!r) throw new NotFoundError('visit', id);
    return r as VisitRow;
  }
}
