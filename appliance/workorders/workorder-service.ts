/**
 * The work-order service: what REST routes, the control panel and other modules call. It owns
 * the rules of issue 8 "Work orders / Workflow engine": every action
 *
 *   1. is parsed (schemas.ts) — bad input names every failing field;
 *   2. runs in ONE IMMEDIATE transaction that re-reads the order, checks the caller's `version`
 *      (stale → ConflictError), the transition table and the guard (transitions.ts), applies the
 *      workflow (workflow.ts) and SLA clocks (sla-clocks.ts), updates the order with
 *      `WHERE version = ?` and appends one workorder_events row — all or nothing;
 *   3. publishes its `workorder.order.*` event on the bus only after the commit.
 *
 * Calls and recordings are linked by plain id (this module never imports telephony code); time
 * comes only from the injected Clock.
 */
import type { Clock } from '../core/clock.js';
import { ConflictError, InvalidTransitionError, NotFoundError, ValidationError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import type { Store } from '../store/database.js';
import { createCalendar, roundTheClock, type BusinessCalendar } from './calendar.js';
import { importIcsDays, loadCalendar, type IcsImportOptions, type IcsImportResult } from './ical-import.js';
import { compileForm, type FormDefinition } from './forms.js';
import { GroupCommit } from './group-commit.js';
import type {
  Actor,
  Assignee,
  Assignment,
  AssignmentStatus,
  OrderAction,
  OrderEvent,
  OrderStatus,
  WorkOrder,
  AreaClass,
  Priority,
} from './model.js';
import {
  ActionCommandSchema,
  CalendarCreateSchema,
  CalendarDaySchema,
  CategorySchema,
  CreateOrderSchema,
  DepartmentSchema,
  SlaPolicySchema,
  TypeSchema,
  parseWith,
  type ActionCommand,
  type ActionCommandInput,
  type CalendarCreateInput,
  type CalendarDayInput,
  type CategoryInput,
  type CreateOrderInput,
  type DepartmentInput,
  type SlaPolicyInput,
  type TypeInput,
} from './schemas.js';
import { clockTriggers } from './sla.js';
import { SlaChecker } from './sla-checker.js';
import { clockState, SlaClocks, type ClockOrder } from './sla-clocks.js';
import { dueAt, elapsedMs } from './sla.js';
import { assertActionAllowed, assertGuard, assertTransition } from './transitions.js';
import {
  assigneeMatches,
  decideAfterReply,
  planStepEntry,
  resolveAssignees,
  stepAfter,
  stepById,
  type Directory,
  type StepDefinition,
  type WorkflowDefinition,
} from './workflow.js';
import type { OrderEventPayload } from './workorder-events.js';
import { WorkOrderStore, type AssignmentRow, type EventRow, type OrderFilter, type OrderRow } from './workorder-store.js';

export interface WorkOrderServiceDeps {
  store: Pick<Store, 'sqlite' | 'db'>;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  /** Superiors for `relation: superior` steps (the users/permissions module implements it). */
  directory?: Directory;
  /** Local time zone of order numbers (the day in GDyyyymmdd). China: +480. */
  utcOffsetMinutes?: number;
  /** Longest sleep of the SLA checker between looks at the table (default 60 s). */
  slaMaxSleepMs?: number;
}

export interface Department {
  id: string;
  code: string;
  name: string;
  parentId: string | null;
  headUserId: string | null;
  active: boolean;
}

export interface OrderType {
  id: string;
  name: string;
  kind: string;
  form: FormDefinition;
  workflow: WorkflowDefinition;
  calendarId: string | null;
  active: boolean;
}

export interface Category {
  id: string;
  typeId: string;
  parentId: string | null;
  code: string;
  name: string;
  sort: number;
}

export interface SlaClockView {
  metric: string;
  stepId: string | null;
  status: string;
  targetMs: number;
  elapsedMs: number;
  dueAt: number | null;
  warned: number;
  breachedAt: number | null;
  metAt: number | null;
}

export interface TodoItem {
  orderId: string;
  number: string;
  title: string;
  status: string;
  dueAt: number | null;
  /** Why it is on the list: an assignment to handle, or the acceptor's turn. */
  reason: 'assigned' | 'to-dispatch' | 'to-close';
  stepId: string | null;
}

export interface OrderPage {
  items: WorkOrder[];
  nextCursor: string | null;
}

export interface ListRequest extends Omit<OrderFilter, 'after' | 'limit' | 'status'> {
  status?: OrderStatus | readonly OrderStatus[];
  limit?: number;
  cursor?: string;
}

interface CompiledType {
  def: OrderType;
  checkFields: (v: unknown) => Record<string, unknown>;
}

/** What an action handler decided, applied by `act` after the version check. */
interface Effect {
  to: OrderStatus;
  patch?: Partial<Omit<OrderRow, 'id' | 'version'>>;
  stepId?: string | null;
  data?: Record<string, unknown>;
  /** Bus event published after commit. */
  publish: (base: OrderEventPayload) => void;
}

interface ActionContext {
  row: OrderRow;
  from: OrderStatus;
  now: number;
  actor: Actor;
  type: CompiledType;
  round: AssignmentRow[];
  mine: AssignmentRow[];
}

const toAssignee = (a: AssignmentRow): Assignee => ({ kind: a.assignee_kind as Assignee['kind'], id: a.assignee_id });
const parseJson = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

export class WorkOrderService {
  readonly ws: WorkOrderStore;
  readonly clocks: SlaClocks;
  readonly sla: SlaChecker;
  private readonly types = new Map<string, CompiledType>();
  private readonly calendars = new Map<string, BusinessCalendar>();
  private readonly offsetMs: number;
  /** Coalesces createQueued() writes into shared transactions. */
  readonly group: GroupCommit;

  constructor(private readonly deps: WorkOrderServiceDeps) {
    this.ws = new WorkOrderStore(deps.store);
    this.group = new GroupCommit({ transaction: (fn) => this.ws.transaction(fn) });
    this.offsetMs = (deps.utcOffsetMinutes ?? 480) * 60_000;
    const calendarOf = (id: string | null): BusinessCalendar => this.calendar(id);
    this.clocks = new SlaClocks(this.ws, calendarOf);
    this.sla = new SlaChecker({
      ws: this.ws,
      clocks: this.clocks,
      calendars: calendarOf,
      clock: deps.clock,
      bus: deps.bus,
      log: deps.log.child({ mod: 'workorders.sla' }),
      ...(deps.slaMaxSleepMs !== undefined ? { maxSleepMs: deps.slaMaxSleepMs } : {}),
    });
  }

  // ------------------------------------------------------------------ departments

  createDepartment(input: DepartmentInput): Department {
    const d = parseWith(DepartmentSchema, input, 'department');
    const id = d.id ?? newId('dept', this.deps.clock);
    if (d.parentId !== null && !this.ws.getDepartment(d.parentId))
      throw new ValidationError('unknown parent department', [{ path: 'parentId', message: `no department ${d.parentId}` }]);
    const now = this.deps.clock.now();
    try {
      this.ws.insertDepartment({ id, code: d.code, name: d.name, parent_id: d.parentId, head_user_id: d.headUserId, created_at: now, updated_at: now });
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw new ConflictError(`department code ${d.code} or id ${id} exists`);
      throw err;
    }
    return this.department(id);
  }

  /** Rename, re-parent (never under itself or its own descendants), change head, (de)activate. */
  updateDepartment(id: string, patch: { name?: string; parentId?: string | null; headUserId?: string | null; active?: boolean }): Department {
    this.department(id);
    if (patch.parentId) {
      for (let p: string | null = patch.parentId; p !== null; p = this.ws.getDepartment(p)?.parent_id ?? null) {
        if (p === id) throw new ValidationError('department tree cycle', [{ path: 'parentId', message: 'a department cannot sit under itself' }]);
        if (!this.ws.getDepartment(p)) throw new ValidationError('unknown parent department', [{ path: 'parentId', message: `no department ${p}` }]);
      }
    }
    this.ws.updateDepartment(id, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.parentId !== undefined ? { parent_id: patch.parentId } : {}),
      ...(patch.headUserId !== undefined ? { head_user_id: patch.headUserId } : {}),
      ...(patch.active !== undefined ? { active: patch.active ? 1 : 0 } : {}),
      updated_at: this.deps.clock.now(),
    });
    return this.department(id);
  }

  department(id: string): Department {
    const r = this.ws.getDepartment(id);
    if (!r) throw new NotFoundError('department', id);
    return { id: r.id, code: r.code, name: r.name, parentId: r.parent_id, headUserId: r.head_user_id, active: r.active === 1 };
  }

  listDepartments(): Department[] {
    return this.ws.listDepartments().map((r) => ({
      id: r.id,
      code: r.code,
      name: r.name,
      parentId: r.parent_id,
      headUserId: r.head_user_id,
      active: r.active === 1,
    }));
  }

  // ------------------------------------------------------------------ calendars

  createCalendar(input: CalendarCreateInput): BusinessCalendar {
    const c = parseWith(CalendarCreateSchema, input, 'calendar');
    createCalendar(c.definition); // rejects contradictions before anything is written
    const now = this.deps.clock.now();
    this.ws.transaction(() => {
      this.ws.insertCalendar({
        id: c.id,
        name: c.name,
        utc_offset_minutes: c.definition.utcOffsetMinutes,
        weekly: JSON.stringify(c.definition.weekly),
        created_at: now,
        updated_at: now,
      });
      for (const h of c.definition.holidays) this.ws.upsertCalendarDay({ calendar_id: c.id, date: h.date, kind: 'holiday', name: h.name, periods: null });
      for (const w of c.definition.workdays)
        this.ws.upsertCalendarDay({ calendar_id: c.id, date: w.date, kind: 'workday', name: w.name, periods: w.periods ? JSON.stringify(w.periods) : null });
    });
    return this.calendar(c.id);
  }

  /** Mark one date a holiday or a make-up workday (调休). Running clocks keep their due instants until they next change. */
  setCalendarDay(calendarId: string, input: CalendarDayInput): void {
    this.calendar(calendarId);
    const d = parseWith(CalendarDaySchema, input, 'calendar day');
    this.ws.upsertCalendarDay({ calendar_id: calendarId, date: d.date, kind: d.kind, name: d.name, periods: d.periods ? JSON.stringify(d.periods) : null });
    this.calendars.delete(calendarId);
  }

  removeCalendarDay(calendarId: string, date: string): boolean {
    const n = this.ws.deleteCalendarDay(calendarId, date);
    this.calendars.delete(calendarId);
    return n > 0;
  }

  /**
   * Import holidays and make-up workdays (调休) from an iCalendar feed (ical.ts), all or nothing:
   * a bad event fails the whole file; `replace` first removes the calendar's dated exceptions
   * between the file's first and last date (a re-published schedule); `dryRun` reports without
   * storing. The calendar must still be consistent afterwards (checked inside the transaction).
   */
  importCalendarIcs(calendarId: string, ics: string, opts: IcsImportOptions = {}): IcsImportResult {
    try {
      return importIcsDays(this.ws, calendarId, ics, opts);
    } finally {
      this.forgetCalendar(calendarId);
    }
  }

  /** Drop the cached calendar `id` (its days were written elsewhere: the iCal import's thread). */
  forgetCalendar(id: string): void {
    this.calendars.delete(id);
  }

  /** What a worker thread needs to write this service's tables on its own connection (ical-import-thread.ts). */
  threadOptions(): { file: string; clock: Clock } {
    return { file: this.deps.store.sqlite.name, clock: this.deps.clock };
  }

  /** The calendar with this id; null is round the clock. */
  calendar(id: string | null): BusinessCalendar {
    if (id === null) return roundTheClock;
    const cached = this.calendars.get(id);
    if (cached) return cached;
    const cal = loadCalendar(this.ws, id);
    this.calendars.set(id, cal);
    return cal;
  }

  // ------------------------------------------------------------------ types, categories, policies

  createType(input: TypeInput): OrderType {
    const t = parseWith(TypeSchema, input, 'work-order type');
    this.checkWorkflowRefs(t.workflow);
    if (t.calendarId !== null) this.calendar(t.calendarId);
    const now = this.deps.clock.now();
    if (this.ws.getType(t.id)) throw new ConflictError(`work-order type ${t.id} exists`);
    this.ws.insertType({
      id: t.id,
      name: t.name,
      kind: t.kind,
      form: JSON.stringify(t.form),
      workflow: JSON.stringify(t.workflow),
      calendar_id: t.calendarId,
      created_at: now,
      updated_at: now,
    });
    return this.type(t.id).def;
  }

  /** Replace a type's name, form, workflow or calendar. Orders in flight keep their current step ids. */
  updateType(id: string, patch: Partial<Omit<TypeInput, 'id' | 'kind'>> & { active?: boolean }): OrderType {
    const cur = this.type(id).def;
    const t = parseWith(TypeSchema, { ...cur, ...patch, id, kind: cur.kind }, 'work-order type');
    this.checkWorkflowRefs(t.workflow);
    if (t.calendarId !== null) this.calendar(t.calendarId);
    this.ws.updateType(id, {
      name: t.name,
      form: JSON.stringify(t.form),
      workflow: JSON.stringify(t.workflow),
      calendar_id: t.calendarId,
      ...(patch.active !== undefined ? { active: patch.active ? 1 : 0 } : {}),
      updated_at: this.deps.clock.now(),
    });
    this.types.delete(id);
    return this.type(id).def;
  }

  getType(id: string): OrderType {
    return this.type(id).def;
  }

  listTypes(): OrderType[] {
    return this.ws.listTypes().map((r) => this.type(r.id).def);
  }

  private checkWorkflowRefs(wf: WorkflowDefinition): void {
    const issues = wf.steps.flatMap((s, i) =>
      s.assign.by === 'department'
        ? s.assign.departmentIds
            .filter((d) => !this.ws.getDepartment(d))
            .map((d) => ({ path: `workflow.steps.${i}.assign.departmentIds`, message: `no department ${d}` }))
        : [],
    );
    if (issues.length > 0) throw new ValidationError('workflow names unknown departments', issues);
  }

  private type(id: string): CompiledType {
    const cached = this.types.get(id);
    if (cached) return cached;
    const r = this.ws.getType(id);
    if (!r) throw new NotFoundError('work-order type', id);
    const form = JSON.parse(r.form) as FormDefinition;
    const def: OrderType = {
      id: r.id,
      name: r.name,
      kind: r.kind,
      form,
      workflow: JSON.parse(r.workflow) as WorkflowDefinition,
      calendarId: r.calendar_id,
      active: r.active === 1,
    };
    const compiled = { def, checkFields: compileForm(form) };
    this.types.set(id, compiled);
    return compiled;
  }

  createCategory(input: CategoryInput): Category {
    const c = parseWith(CategorySchema, input, 'category');
    this.type(c.typeId);
    if (c.parentId !== null) {
      const parent = this.ws.getCategory(c.parentId);
      if (!parent || parent.type_id !== c.typeId)
        throw new ValidationError('bad parent category', [{ path: 'parentId', message: `no category ${c.parentId} in type ${c.typeId}` }]);
    }
    const id = newId('cat', this.deps.clock);
    try {
      this.ws.insertCategory({ id, type_id: c.typeId, parent_id: c.parentId, code: c.code, name: c.name, sort: c.sort, created_at: this.deps.clock.now() });
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw new ConflictError(`category ${c.code} exists in ${c.typeId}`);
      throw err;
    }
    return { id, typeId: c.typeId, parentId: c.parentId, code: c.code, name: c.name, sort: c.sort };
  }

  listCategories(typeId: string): Category[] {
    return this.ws
      .listCategories(typeId)
      .map((r) => ({ id: r.id, typeId: r.type_id, parentId: r.parent_id, code: r.code, name: r.name, sort: r.sort }));
  }

  createSlaPolicy(input: SlaPolicyInput): string {
    const p = parseWith(SlaPolicySchema, input, 'SLA policy');
    if (p.typeId !== null) this.type(p.typeId);
    if (p.calendarId !== null) this.calendar(p.calendarId);
    const id = p.id ?? newId('sla', this.deps.clock);
    const now = this.deps.clock.now();
    this.ws.insertPolicy({
      id,
      type_id: p.typeId,
      priority: p.priority,
      area_class: p.areaClass,
      metric: p.metric,
      target_minutes: p.targetMinutes,
      calendar_id: p.calendarId,
      warn_percents: JSON.stringify(p.warnPercents),
      escalate_minutes: JSON.stringify(p.escalateMinutes),
      created_at: now,
      updated_at: now,
    });
    this.clocks.invalidatePolicies();
    return id;
  }

  // ------------------------------------------------------------------ orders

  /** Register a new order (status `new`), numbered GDyyyymmdd-NNNNNN for the local day. */
  create(input: CreateOrderInput, actor: Actor): WorkOrder {
    const write = this.prepareCreate(input, actor);
    const r = this.ws.transaction(write);
    r.after();
    return r.value;
  }

  /**
   * Register many orders in one transaction (one fsync): all or nothing. An import that wants
   * "commit the good rows" calls createQueued per row instead.
   */
  createMany(inputs: readonly CreateOrderInput[], actor: Actor): WorkOrder[] {
    const writes = inputs.map((input, i) => {
      try {
        return this.prepareCreate(input, actor);
      } catch (err) {
        if (err instanceof ValidationError)
          throw new ValidationError(`order ${i}: ${err.message}`, err.issues.map((x) => ({ ...x, path: `${i}.${x.path}` })));
        throw err;
      }
    });
    const done = this.ws.transaction(() => writes.map((w) => w()));
    for (const d of done) d.after();
    return done.map((d) => d.value);
  }

  /**
   * Register an order through group commit (group-commit.ts): orders created in the same turn
   * of the event loop share one transaction and one fsync. Resolves after the commit; a bad
   * order rejects alone. What the REST route uses, so concurrent POSTs coalesce.
   */
  createQueued(input: CreateOrderInput, actor: Actor): Promise<WorkOrder> {
    let write: () => { value: WorkOrder; after: () => void };
    try {
      write = this.prepareCreate(input, actor);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.group.run(write);
  }

  /**
   * One order of a bulk import (order-import.ts): validated like `create`, the returned write run
   * inside the importer's transaction and its `after` (bus event, SLA wake) only after the commit.
   */
  prepareImport(input: CreateOrderInput, actor: Actor): () => { value: WorkOrder; after: () => void } {
    return this.prepareCreate(input, actor);
  }

  /**
   * Validate an order (outside any transaction) and return the write that registers it: the
   * number draw, the order row with its SLA summary, links, clocks and the event row. It reads
   * nothing back: the order it returns is built from what it wrote.
   */
  private prepareCreate(input: CreateOrderInput, actor: Actor): () => { value: WorkOrder; after: () => void } {
    const o = parseWith(CreateOrderSchema, input, 'work order');
    const type = this.type(o.typeId);
    if (!type.def.active) throw new ValidationError('inactive type', [{ path: 'typeId', message: `type ${o.typeId} is not active` }]);
    if (o.categoryId !== undefined) {
      const cat = this.ws.getCategory(o.categoryId);
      if (!cat || cat.type_id !== o.typeId)
        throw new ValidationError('bad category', [{ path: 'categoryId', message: `no category ${o.categoryId} in type ${o.typeId}` }]);
    }
    const fields = type.checkFields(o.fields);
    const fieldsJson = JSON.stringify(fields);
    const callIds = [...new Set(o.callIds)];
    const recordingIds = [...new Set(o.recordingIds)];
    const { clock } = this.deps;
    return () => {
      const id = newId('wo', clock);
      const now = clock.now();
      const day = new Date(now + this.offsetMs).toISOString().slice(0, 10).replaceAll('-', '');
      const number = `GD${day}-${String(this.ws.nextSequence(day)).padStart(6, '0')}`;
      const clocks = this.clocks.plan(this.clockOrder(o.typeId, o.priority, o.areaClass ?? null, id), clockTriggers.create.start, now, []);
      let due: number | null = null;
      let nextCheck: number | null = null;
      for (const c of clocks) {
        if (c.due_at != null) due = due === null ? c.due_at : Math.min(due, c.due_at);
        if (c.next_check_at != null) nextCheck = nextCheck === null ? c.next_check_at : Math.min(nextCheck, c.next_check_at);
      }
      const row: OrderRow = {
        id,
        number,
        type_id: o.typeId,
        category_id: o.categoryId ?? null,
        source: o.source,
        priority: o.priority,
        area_class: o.areaClass ?? null,
        status: 'new',
        title: o.title,
        description: o.description,
        fields: fieldsJson,
        customer_id: o.customerId ?? null,
        contact_name: o.contactName ?? null,
        contact_phone: o.contactPhone ?? null,
        address: o.address ?? null,
        created_by: actor.id,
        acceptor_id: null,
        current_step: null,
        step_round: 0,
        resume_status: null,
        urge_count: 0,
        reopen_count: 0,
        visit_result: null,
        sla_state: 'ok',
        due_at: due,
        created_at: now,
        updated_at: now,
        accepted_at: null,
        closed_at: null,
        version: 1,
      };
      this.ws.insertOrder(row);
      for (const c of callIds) this.ws.insertLink(id, 'call', c, now);
      for (const r of recordingIds) this.ws.insertLink(id, 'recording', r, now);
      for (const c of clocks) this.ws.insertSla(c);
      const eventId = this.ws.insertEvent({
        order_id: id,
        at: now,
        actor: actor.id,
        actor_ip: actor.ip ?? null,
        channel: actor.channel,
        action: 'create',
        from_status: null,
        to_status: 'new',
        step_id: null,
        note: null,
        data: JSON.stringify({ source: o.source, callIds: o.callIds }),
        version: 1,
      });
      const base: OrderEventPayload = { orderId: id, number, typeId: o.typeId, action: 'create', fromStatus: null, toStatus: 'new', version: 1, actor: actor.id, stepId: null, note: null, eventId };
      const order = this.toOrder(row, false);
      order.callIds = callIds;
      order.recordingIds = recordingIds;
      return {
        value: order,
        after: () => {
          this.deps.bus.publish('workorder.order.created', base);
          this.sla.wake(nextCheck);
        },
      };
    };
  }

  /**
   * Take one action on an order. `command.version` must be the version the actor saw; if the
   * order changed since, ConflictError and nothing is written.
   */
  act(orderId: string, command: ActionCommandInput, actor: Actor): WorkOrder {
    const cmd = parseWith(ActionCommandSchema, command, `${String((command as { action?: unknown }).action)} action`);
    let publish: (() => void) | undefined;
    this.ws.transaction(() => {
      const row = this.ws.getOrder(orderId);
      if (!row) throw new NotFoundError('work order', orderId);
      if (row.version !== cmd.version)
        throw new ConflictError(`work order ${row.number} has changed (version ${row.version}, you acted on ${cmd.version}); reload it`);
      const from = row.status as OrderStatus;
      assertActionAllowed(from, cmd.action);
      const type = this.type(row.type_id);
      const round = row.step_round > 0 ? this.ws.assignmentsOf(row.id, row.step_round) : [];
      const mine = round.filter((a) => a.status === 'pending' && assigneeMatches(toAssignee(a), actor));
      assertGuard(cmd.action, {
        actor,
        acceptorId: row.acceptor_id,
        holdsAssignment: mine.length > 0,
        acceptRoles: type.def.workflow.acceptRoles,
      });
      const now = this.deps.clock.now();
      const effect = this.apply({ row, from, now, actor, type, round, mine }, cmd);
      assertTransition(from, cmd.action, effect.to);
      const changed = this.ws.updateOrderVersioned(row.id, row.version, { ...effect.patch, status: effect.to, updated_at: now });
      if (changed !== 1) throw new ConflictError(`work order ${row.number} has changed; reload it`);
      this.refreshSla(row.id);
      const note = cmd.note ?? ('reason' in cmd && cmd.reason ? cmd.reason : null);
      const stepId = effect.stepId !== undefined ? effect.stepId : row.current_step;
      const eventId = this.ws.insertEvent({
        order_id: row.id,
        at: now,
        actor: actor.id,
        actor_ip: actor.ip ?? null,
        channel: actor.channel,
        action: cmd.action,
        from_status: from,
        to_status: effect.to,
        step_id: stepId,
        note,
        data: effect.data ? JSON.stringify(effect.data) : null,
        version: row.version + 1,
      });
      const base: OrderEventPayload = {
        orderId: row.id,
        number: row.number,
        typeId: row.type_id,
        action: cmd.action,
        fromStatus: from,
        toStatus: effect.to,
        version: row.version + 1,
        actor: actor.id,
        stepId,
        note,
        eventId,
      };
      publish = () => effect.publish(base);
    });
    publish?.();
    this.sla.reschedule();
    return this.get(orderId);
  }

  private apply(c: ActionContext, cmd: ActionCommand): Effect {
    const bus = this.deps.bus;
    const wf = c.type.def.workflow;
    const order = this.clockOrder(c.row.type_id, c.row.priority as Priority, c.row.area_class as AreaClass | null, c.row.id);
    switch (cmd.action) {
      case 'accept':
        this.clocks.stop(c.row.id, clockTriggers.accept.stop, c.now);
        return {
          to: 'accepted',
          patch: { acceptor_id: c.actor.id, accepted_at: c.now },
          publish: (b) => bus.publish('workorder.order.accepted', b),
        };

      case 'dispatch': {
        const step = wf.steps[0];
        if (!step) throw new InvalidTransitionError('work order', c.from, 'dispatch (this type has no handling steps; close it directly)');
        const assignees = resolveAssignees(step, { acceptorId: c.row.acceptor_id, previousActorId: c.actor.id, chosen: cmd.to, directory: this.deps.directory });
        const round = c.row.step_round + 1;
        this.enterStep(c, step, assignees, round);
        this.clocks.start(order, clockTriggers.dispatch.start, c.now);
        return {
          to: 'in-progress',
          patch: { current_step: step.id, step_round: round },
          stepId: step.id,
          data: { assignees },
          publish: (b) => bus.publish('workorder.order.dispatched', { ...b, assignees }),
        };
      }

      case 'transfer': {
        const a = c.mine[0]!;
        const fromA = toAssignee(a);
        if (fromA.kind === cmd.to.kind && fromA.id === cmd.to.id)
          throw new ValidationError('transfer to the same assignee', [{ path: 'to', message: 'already assigned there' }]);
        if (c.round.some((x) => (x.status === 'pending' || x.status === 'queued') && x.assignee_kind === cmd.to.kind && x.assignee_id === cmd.to.id))
          throw new ValidationError('transfer to a current assignee', [{ path: 'to', message: 'that assignee already holds this step' }]);
        this.ws.updateAssignment(a.id, { status: 'transferred', acted_by: c.actor.id, acted_at: c.now, reply: cmd.note ?? null });
        this.ws.insertAssignment({
          order_id: c.row.id,
          step_id: a.step_id,
          round: a.round,
          seq: a.seq,
          assignee_kind: cmd.to.kind,
          assignee_id: cmd.to.id,
          status: 'pending',
          reply: null,
          acted_by: null,
          created_at: c.now,
          acted_at: null,
        });
        return {
          to: 'in-progress',
          data: { from: fromA, to: cmd.to },
          publish: (b) => bus.publish('workorder.order.transferred', { ...b, from: fromA, to: cmd.to }),
        };
      }

      case 'return': {
        const a = c.mine[0]!;
        this.ws.updateAssignment(a.id, { status: 'returned', acted_by: c.actor.id, acted_at: c.now, reply: cmd.reason });
        this.cancelOpen(c.round, a.id, c.now);
        this.clocks.stop(c.row.id, ['step'], c.now, 'cancelled');
        return {
          to: 'accepted',
          patch: { current_step: null },
          data: { reason: cmd.reason, by: toAssignee(a) },
          publish: (b) => bus.publish('workorder.order.returned', b),
        };
      }

      case 'reply': {
        const a = c.mine[0]!;
        const step = stepById(wf, a.step_id);
        if (!step) throw new InvalidTransitionError('work order', c.from, `reply (step ${a.step_id} is no longer in the workflow)`);
        const decision = decideAfterReply(
          step.mode,
          c.round.map((x) => ({ id: x.id, seq: x.seq, status: x.status as AssignmentStatus })),
          a.id,
        );
        this.ws.updateAssignment(a.id, { status: 'replied', acted_by: c.actor.id, acted_at: c.now, reply: cmd.reply });
        if (decision.activate !== null) this.ws.updateAssignment(decision.activate, { status: 'pending', created_at: c.now });
        for (const id of decision.cancel) this.ws.updateAssignment(id, { status: 'cancelled', acted_at: c.now });
        const data = { reply: cmd.reply, by: toAssignee(a), stepComplete: decision.stepComplete };
        const published = (b: OrderEventPayload): void => {
          bus.publish('workorder.order.replied', { ...b, stepComplete: decision.stepComplete });
        };
        if (!decision.stepComplete) return { to: 'in-progress', data, publish: published };
        this.clocks.stop(c.row.id, ['step'], c.now);
        const next = stepAfter(wf, step.id);
        if (next) {
          const assignees = resolveAssignees(next, { acceptorId: c.row.acceptor_id, previousActorId: c.actor.id, chosen: cmd.to, directory: this.deps.directory });
          const round = c.row.step_round + 1;
          this.enterStep(c, next, assignees, round);
          return {
            to: 'in-progress',
            patch: { current_step: next.id, step_round: round },
            stepId: step.id,
            data: { ...data, nextStep: next.id, assignees },
            publish: published,
          };
        }
        if (cmd.to && cmd.to.length > 0)
          throw new ValidationError('no next step', [{ path: 'to', message: 'this was the last step; the order goes back to its acceptor' }]);
        this.clocks.stop(c.row.id, clockTriggers.replied.stop, c.now);
        return { to: 'replied', patch: { current_step: null }, stepId: step.id, data, publish: published };
      }

      case 'arrive':
        this.clocks.stop(c.row.id, clockTriggers.arrive.stop, c.now);
        this.clocks.start(order, clockTriggers.arrive.start, c.now);
        return { to: 'in-progress', data: { by: toAssignee(c.mine[0]!) }, publish: (b) => bus.publish('workorder.order.arrived', b) };

      case 'urge': {
        const urged = this.urgedOf(c, wf);
        return {
          to: c.from,
          patch: { urge_count: c.row.urge_count + 1 },
          data: { urged },
          publish: (b) => bus.publish('workorder.order.urged', { ...b, urged, urgeCount: c.row.urge_count + 1 }),
        };
      }

      case 'suspend':
      case 'await-customer': {
        this.clocks.pauseAll(c.row.id, c.now);
        const waitingOn = cmd.action === 'await-customer' ? ('customer' as const) : ('other' as const);
        return {
          to: cmd.action === 'suspend' ? 'suspended' : 'waiting-customer',
          patch: { resume_status: c.from },
          data: { reason: cmd.reason },
          publish: (b) => bus.publish('workorder.order.suspended', { ...b, waitingOn }),
        };
      }

      case 'resume': {
        const to = c.row.resume_status as OrderStatus | null;
        if (to === null) throw new InvalidTransitionError('work order', c.from, 'resume (no status to resume to)');
        this.clocks.resumeAll(c.row.id, c.now);
        return { to, patch: { resume_status: null }, publish: (b) => bus.publish('workorder.order.resumed', b) };
      }

      case 'close':
        if (c.from === 'accepted' && !wf.directClose)
          throw new InvalidTransitionError('work order', c.from, 'close (this type must be dispatched and replied first)');
        this.clocks.stop(c.row.id, clockTriggers.close.stop, c.now);
        this.clocks.stopAll(c.row.id, c.now, 'cancelled');
        return { to: 'closed', patch: { closed_at: c.now, current_step: null }, publish: (b) => bus.publish('workorder.order.closed', b) };

      case 'reopen':
        this.clocks.start(order, clockTriggers.reopen.start, c.now);
        return {
          to: 'accepted',
          patch: { reopen_count: c.row.reopen_count + 1, closed_at: null, visit_result: null },
          data: { reason: cmd.reason },
          publish: (b) => bus.publish('workorder.order.reopened', b),
        };

      case 'visit': {
        const reopen = cmd.result === 'dissatisfied';
        if (reopen) this.clocks.start(order, clockTriggers.reopen.start, c.now);
        return {
          to: reopen ? 'accepted' : 'visited',
          patch: reopen
            ? { visit_result: cmd.result, reopen_count: c.row.reopen_count + 1, closed_at: null }
            : { visit_result: cmd.result },
          data: { result: cmd.result, reason: cmd.reason ?? null, reopened: reopen },
          publish: (b) => {
            bus.publish('workorder.order.visited', { ...b, result: cmd.result });
            if (reopen) bus.publish('workorder.order.reopened', b);
          },
        };
      }

      case 'cancel':
        this.clocks.stopAll(c.row.id, c.now, 'cancelled');
        this.cancelOpen(c.round, null, c.now);
        return { to: 'cancelled', data: { reason: cmd.reason }, publish: (b) => bus.publish('workorder.order.cancelled', b) };
    }
  }

  private enterStep(c: ActionContext, step: StepDefinition, assignees: Assignee[], round: number): void {
    for (const p of planStepEntry(step, assignees)) {
      this.ws.insertAssignment({
        order_id: c.row.id,
        step_id: step.id,
        round,
        seq: p.seq,
        assignee_kind: p.assignee.kind,
        assignee_id: p.assignee.id,
        status: p.status,
        reply: null,
        acted_by: null,
        created_at: c.now,
        acted_at: null,
      });
    }
    if (step.limitMinutes !== undefined) this.clocks.startStep(c.row.id, step.id, step.limitMinutes, c.type.def.calendarId, c.now);
  }

  private cancelOpen(round: readonly AssignmentRow[], except: number | null, now: number): void {
    for (const x of round) {
      if (x.id !== except && (x.status === 'pending' || x.status === 'queued')) this.ws.updateAssignment(x.id, { status: 'cancelled', acted_at: now });
    }
  }

  /** Who an urge (催办) is for: the pending assignees, else whoever the order waits on. */
  private urgedOf(c: ActionContext, wf: WorkflowDefinition): Assignee[] {
    const pending = c.round.filter((a) => a.status === 'pending').map(toAssignee);
    if (c.from === 'in-progress' && pending.length > 0) return pending;
    if (c.row.acceptor_id) return [{ kind: 'user', id: c.row.acceptor_id }];
    return wf.acceptRoles.map((id) => ({ kind: 'role' as const, id }));
  }

  private clockOrder(typeId: string, priority: Priority, areaClass: AreaClass | null, id: string): ClockOrder {
    return { id, typeId, priority, areaClass };
  }

  private refreshSla(orderId: string): void {
    const s = this.clocks.summary(orderId);
    this.ws.updateOrderSla(orderId, { due_at: s.dueAt, sla_state: s.slaState });
  }

  // ------------------------------------------------------------------ queries

  get(orderId: string): WorkOrder {
    const r = this.ws.getOrder(orderId);
    if (!r) throw new NotFoundError('work order', orderId);
    return this.toOrder(r);
  }

  getByNumber(number: string): WorkOrder {
    const r = this.ws.getOrderByNumber(number);
    if (!r) throw new NotFoundError('work order', number);
    return this.toOrder(r);
  }

  /** Newest first, keyset-paged (`cursor` from the previous page). */
  list(req: ListRequest = {}): OrderPage {
    const limit = Math.min(Math.max(req.limit ?? 50, 1), 500);
    let after: OrderFilter['after'];
    if (req.cursor) {
      const m = /^(\d+)~(.+)$/.exec(Buffer.from(req.cursor, 'base64url').toString());
      if (!m) throw new ValidationError('bad cursor', [{ path: 'cursor', message: 'not a cursor from a previous page' }]);
      after = { createdAt: Number(m[1]), id: m[2]! };
    }
    const status = req.status === undefined ? undefined : typeof req.status === 'string' ? [req.status as OrderStatus] : req.status;
    const { cursor: _c, limit: _l, status: _s, ...rest } = req;
    const rows = this.ws.listOrders({ ...rest, ...(status ? { status } : {}), ...(after ? { after } : {}), limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => this.toOrder(r, false)),
      nextCursor: rows.length > limit && last ? Buffer.from(`${last.created_at}~${last.id}`).toString('base64url') : null,
    };
  }

  /** The order's flow history, oldest first (for tracking and the flow graph). */
  history(orderId: string): OrderEvent[] {
    this.get(orderId);
    return this.ws.eventsOf(orderId).map(toEvent);
  }

  assignments(orderId: string): Assignment[] {
    return this.ws.assignmentsOf(orderId).map((a) => ({
      id: a.id,
      assignee: toAssignee(a),
      stepId: a.step_id,
      round: a.round,
      seq: a.seq,
      status: a.status as AssignmentStatus,
      reply: a.reply,
      actedBy: a.acted_by,
      createdAt: a.created_at,
      actedAt: a.acted_at,
    }));
  }

  slaClocks(orderId: string): SlaClockView[] {
    const now = this.deps.clock.now();
    return this.ws.slaOf(orderId).map((r) => {
      const cal = this.calendar(r.calendar_id);
      const s = clockState(r);
      return {
        metric: r.metric,
        stepId: r.step_id,
        status: r.status,
        targetMs: r.target_ms,
        elapsedMs: elapsedMs(s, cal, now),
        dueAt: r.status === 'running' ? dueAt(s, cal) : null,
        warned: r.warned,
        breachedAt: r.breached_at,
        metAt: r.met_at,
      };
    });
  }

  /** The personal to-do list (待办工作): assignments for the actor, then orders waiting on them as acceptor. */
  todo(actor: Pick<Actor, 'id' | 'roles' | 'departmentIds'>, limit = 200): TodoItem[] {
    const me: Assignee[] = [
      { kind: 'user', id: actor.id },
      ...actor.departmentIds.map((id) => ({ kind: 'department' as const, id })),
      ...actor.roles.map((id) => ({ kind: 'role' as const, id })),
    ];
    const assigned: TodoItem[] = this.ws.pendingFor(me, limit).map((a) => ({
      orderId: a.order_id,
      number: a.number,
      title: a.title,
      status: a.status,
      dueAt: a.due_at,
      reason: 'assigned',
      stepId: a.step_id,
    }));
    const mine: TodoItem[] = this.ws.waitingOnAcceptor(actor.id, limit).map((o) => ({
      orderId: o.id,
      number: o.number,
      title: o.title,
      status: o.status,
      dueAt: o.due_at,
      reason: o.status === 'accepted' ? 'to-dispatch' : 'to-close',
      stepId: null,
    }));
    return [...assigned, ...mine].slice(0, limit);
  }

  /** Orders linked to a call (screen pop: "this caller already has an open order"). */
  ordersForCall(callId: string): WorkOrder[] {
    return this.ws.ordersLinkedTo('call', callId).map((id) => this.get(id));
  }

  /** Link a recording or attachment to an order after the fact (no status change, no version bump). */
  link(orderId: string, kind: 'call' | 'recording' | 'attachment', ref: string): void {
    this.get(orderId);
    this.ws.insertLink(orderId, kind, ref, this.deps.clock.now());
  }

  private toOrder(r: OrderRow, withLinks = true): WorkOrder {
    const links = withLinks ? this.ws.linksOf(r.id) : [];
    return {
      id: r.id,
      number: r.number,
      typeId: r.type_id,
      categoryId: r.category_id,
      source: r.source as WorkOrder['source'],
      priority: r.priority as Priority,
      areaClass: r.area_class as AreaClass | null,
      status: r.status as OrderStatus,
      title: r.title,
      description: r.description,
      fields: JSON.parse(r.fields) as Record<string, unknown>,
      customerId: r.customer_id,
      contactName: r.contact_name,
      contactPhone: r.contact_phone,
      address: r.address,
      createdBy: r.created_by,
      acceptorId: r.acceptor_id,
      currentStep: r.current_step,
      stepRound: r.step_round,
      resumeStatus: r.resume_status as OrderStatus | null,
      urgeCount: r.urge_count,
      reopenCount: r.reopen_count,
      visitResult: r.visit_result as WorkOrder['visitResult'],
      slaState: r.sla_state as WorkOrder['slaState'],
      dueAt: r.due_at,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      acceptedAt: r.accepted_at,
      closedAt: r.closed_at,
      version: r.version,
      callIds: links.filter((l) => l.kind === 'call').map((l) => l.ref),
      recordingIds: links.filter((l) => l.kind === 'recording').map((l) => l.ref),
    };
  }
}

function toEvent(e: EventRow): OrderEvent {
  return {
    id: e.id,
    orderId: e.order_id,
    at: e.at,
    actor: e.actor,
    actorIp: e.actor_ip,
    channel: e.channel as OrderEvent['channel'],
    action: e.action as OrderAction,
    fromStatus: e.from_status as OrderStatus | null,
    toStatus: e.to_status as OrderStatus,
    stepId: e.step_id,
    note: e.note,
    data: parseJson<Record<string, unknown>>(e.data),
    version: e.version,
  };
}
