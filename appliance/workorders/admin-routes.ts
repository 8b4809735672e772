/**
 * `/workorders/admin/*`: the data dictionary and workflow administration of issue 8 and seed
 * "Management" [W 9.2–9.5] (types with their form and workflow definitions, categories and
 * sub-categories, departments, business calendars with holidays and 调休 make-up days and iCal
 * import, SLA policies) plus callback-visit rules. Every body is the service's own zod schema
 * (so a 400 names every failing field), needs `admin:workorders`, and every change is written
 * to the audit log with the key, the IP and what changed.
 */
import { z } from 'zod';
import { queryBool, type RouteRegistry } from '../api/registry.js';
import { CalendarSchema } from './calendar.js';
import { FormSchema } from './forms.js';
import { ImportGate } from '../core/import-gate.js';
import { importCalendarIcsOffThread, type IcsImportThreadOptions } from './ical-import-thread.js';
import { CalendarCreateSchema, CalendarDaySchema, CategorySchema, DepartmentSchema, SlaPolicySchema, TypeSchema } from './schemas.js';
import type { VisitService } from './visit-service.js';
import { VisitRuleSchema } from './visit-service.js';
import { WorkflowSchema } from './workflow.js';
import type { RoutesAudit } from './workorder-routes.js';
import type { WorkOrderService } from './workorder-service.js';

const Id = z.strictObject({ id: z.string().min(1).max(64) });
const CalendarDay = z.strictObject({ id: z.string().min(1).max(64), date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) });
const Json = z.record(z.string(), z.unknown());

export function registerWorkOrderAdminRoutes(
  registry: RouteRegistry,
  svc: WorkOrderService,
  audit: RoutesAudit,
  visits?: VisitService,
  icsThread: Partial<IcsImportThreadOptions> = {},
): void {
  const icsOpts: IcsImportThreadOptions = { ...icsThread, gate: icsThread.gate ?? new ImportGate(svc.threadOptions().clock) };
  const base = '/workorders/admin';
  const tags = ['workorders-admin'];
  const scope = 'admin:workorders' as const;
  const record = (actor: { actor: string; ip: string | null }, action: string, target: string, after: unknown): Promise<unknown> =>
    audit.record({ actor: actor.actor, ip: actor.ip, action, target, after: after as Record<string, unknown> });

  registry.route({
    method: 'get',
    path: `${base}/departments`,
    summary: 'Departments (a tree by parentId)',
    tags,
    scope: 'workorders:read',
    response: { description: 'All departments', schema: z.strictObject({ items: z.array(Json) }) },
    handler: () => ({ items: svc.listDepartments() as unknown as Array<Record<string, unknown>> }),
  });

  registry.route({
    method: 'post',
    path: `${base}/departments`,
    summary: 'Create a department',
    tags,
    scope,
    body: z.strictObject(DepartmentSchema.shape),
    errors: ['VALIDATION', 'CONFLICT'],
    response: { status: 201, description: 'The department', schema: Json },
    handler: async ({ body, actor }) => {
      const d = svc.createDepartment(body);
      await record(actor, 'workorder.department.created', d.id, d);
      return d as unknown as Record<string, unknown>;
    },
  });

  registry.route({
    method: 'patch',
    path: `${base}/departments/:id`,
    summary: 'Rename, re-parent, change the head of or (de)activate a department',
    tags,
    scope,
    params: Id,
    body: z.strictObject({
      name: z.string().trim().min(1).max(100).optional(),
      parentId: z.string().min(1).nullable().optional(),
      headUserId: z.string().min(1).nullable().optional(),
      active: z.boolean().optional(),
    }),
    errors: ['VALIDATION', 'NOT_FOUND'],
    response: { description: 'The department', schema: Json },
    handler: async ({ params, body, actor }) => {
      const patch = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as typeof body;
      const d = svc.updateDepartment(params.id, patch as Parameters<WorkOrderService['updateDepartment']>[1]);
      await record(actor, 'workorder.department.updated', d.id, patch);
      return d as unknown as Record<string, unknown>;
    },
  });

  registry.route({
    method: 'get',
    path: `${base}/types`,
    summary: 'Work-order types with their form and workflow definitions',
    tags,
    scope: 'workorders:read',
    response: { description: 'All types', schema: z.strictObject({ items: z.array(Json) }) },
    handler: () => ({ items: svc.listTypes() as unknown as Array<Record<string, unknown>> }),
  });

  registry.route({
    method: 'post',
    path: `${base}/types`,
    summary: 'Create a work-order type (form definition and workflow)',
    tags,
    scope,
    body: z.strictObject(TypeSchema.shape),
    errors: ['VALIDATION', 'CONFLICT', 'NOT_FOUND'],
    response: { status: 201, description: 'The type', schema: Json },
    handler: async ({ body, actor }) => {
      const ty = svc.createType(body);
      await record(actor, 'workorder.type.created', ty.id, { name: ty.name, kind: ty.kind });
      return ty as unknown as Record<string, unknown>;
    },
  });

  registry.route({
    method: 'patch',
    path: `${base}/types/:id`,
    summary: "Change a type's name, form, workflow, calendar or active flag",
    tags,
    scope,
    params: Id,
    body: z.strictObject({
      name: z.string().trim().min(1).max(100).optional(),
      form: FormSchema.optional(),
      workflow: WorkflowSchema.optional(),
      calendarId: z.string().min(1).nullable().optional(),
      active: z.boolean().optional(),
    }),
    errors: ['VALIDATION', 'NOT_FOUND'],
    response: { description: 'The type', schema: Json },
    handler: async ({ params, body, actor }) => {
      const patch = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
      const ty = svc.updateType(params.id, patch as Parameters<WorkOrderService['updateType']>[1]);
      await record(actor, 'workorder.type.updated', ty.id, { changed: Object.keys(patch) });
      return ty as unknown as Record<string, unknown>;
    },
  });

  registry.route({
    method: 'get',
    path: `${base}/types/:id/categories`,
    summary: 'Categories and sub-categories of a type (data dictionary)',
    tags,
    scope: 'workorders:read',
    params: Id,
    errors: ['NOT_FOUND'],
    response: { description: 'Categories', schema: z.strictObject({ items: z.array(Json) }) },
    handler: ({ params }) => {
      svc.getType(params.id);
      return { items: svc.listCategories(params.id) as unknown as Array<Record<string, unknown>> };
    },
  });

  registry.route({
    method: 'post',
    path: `${base}/categories`,
    summary: 'Create a category or sub-category',
    tags,
    scope,
    body: z.strictObject(CategorySchema.shape),
    errors: ['VALIDATION', 'CONFLICT', 'NOT_FOUND'],
    response: { status: 201, description: 'The category', schema: Json },
    handler: async ({ body, actor }) => {
      const c = svc.createCategory(body);
      await record(actor, 'workorder.category.created', c.id, c);
      return c as unknown as Record<string, unknown>;
    },
  });

  registry.route({
    method: 'post',
    path: `${base}/calendars`,
    summary: 'Create a business calendar (weekly hours, holidays, make-up workdays 调休)',
    tags,
    scope,
    body: z.strictObject({ ...CalendarCreateSchema.shape, definition: CalendarSchema }),
    errors: ['VALIDATION', 'CONFLICT'],
    response: { status: 201, description: 'The calendar definition', schema: Json },
    handler: async ({ body, actor }) => {
      const cal = svc.createCalendar(body);
      await record(actor, 'workorder.calendar.created', body.id, { name: body.name });
      return { id: body.id, ...cal.definition } as unknown as Record<string, unknown>;
    },
  });

  registry.route({
    method: 'get',
    path: `${base}/calendars/:id`,
    summary: 'A business calendar with its dated exceptions',
    tags,
    scope: 'workorders:read',
    params: Id,
    errors: ['NOT_FOUND'],
    response: { description: 'The calendar definition', schema: Json },
    handler: ({ params }) => ({ id: params.id, ...svc.calendar(params.id).definition }) as unknown as Record<string, unknown>,
  });

  registry.route({
    method: 'put',
    path: `${base}/calendars/:id/days/:date`,
    summary: 'Mark a date a holiday or a make-up workday (调休)',
    tags,
    scope,
    params: CalendarDay,
    body: z.strictObject({ kind: CalendarDaySchema.shape.kind, name: CalendarDaySchema.shape.name, periods: CalendarDaySchema.shape.periods }),
    errors: ['VALIDATION', 'NOT_FOUND'],
    response: { status: 204, description: 'Saved' },
    handler: async ({ params, body, actor }) => {
      svc.setCalendarDay(params.id, { ...body, date: params.date });
      await record(actor, 'workorder.calendar.day-set', params.id, { date: params.date, kind: body.kind });
    },
  });

  registry.route({
    method: 'delete',
    path: `${base}/calendars/:id/days/:date`,
    summary: 'Remove a dated exception',
    tags,
    scope,
    params: CalendarDay,
    errors: ['NOT_FOUND'],
    response: { status: 204, description: 'Removed' },
    handler: async ({ params, actor }) => {
      svc.calendar(params.id);
      svc.removeCalendarDay(params.id, params.date);
      await record(actor, 'workorder.calendar.day-removed', params.id, { date: params.date });
    },
  });

  registry.route({
    method: 'post',
    path: `${base}/calendars/:id/ics`,
    summary: 'Import holidays and make-up workdays (调休) from an iCalendar (RFC 5545) file, all or nothing',
    description:
      'Body: the .ics file as `text/calendar`, or JSON `{ "ics": "BEGIN:VCALENDAR…" }`. All-day events (DTSTART;VALUE=DATE, DTEND non-inclusive) become holidays, or make-up workdays when marked `X-HOTLINE-DAY:WORKDAY`, `X-APPLE-SPECIAL-DAY:ALTERNATE-WORKDAY`, CATEGORIES 补班/上班/调休上班/WORKDAY, or a SUMMARY saying 上班/补班/…班. Timed and cancelled events are skipped and listed; a bad event fails the whole file (400, each problem with its line). `replace=true` first removes the dated exceptions between the file\'s first and last date.',
    tags,
    scope,
    params: Id,
    query: z.strictObject({ replace: queryBool().optional(), dryRun: queryBool().optional() }),
    body: z.strictObject({ ics: z.string().min(1).max(2_000_000) }),
    rawBody: { types: ['text/calendar', 'text/plain'], limitBytes: 2_000_000 },
    errors: ['VALIDATION', 'NOT_FOUND', 'PARSE', 'PAYLOAD_TOO_LARGE', 'CONFLICT'],
    response: {
      description: 'What was (or on a dry run would be) imported',
      schema: z.strictObject({
        holidays: z.number().int(),
        workdays: z.number().int(),
        removed: z.number().int(),
        from: z.string().nullable(),
        to: z.string().nullable(),
        skipped: z.array(z.strictObject({ line: z.number().int(), uid: z.string().nullable(), summary: z.string(), reason: z.string() })),
      }),
    },
    handler: async ({ params, query, body, raw, actor }) => {
      const opts = { ...(query.replace !== undefined && { replace: query.replace }), ...(query.dryRun !== undefined && { dryRun: query.dryRun }) };
      const r = await importCalendarIcsOffThread(svc, params.id, raw ?? body!.ics, opts, actor.actor, icsOpts);
      if (!query.dryRun) await record(actor, 'workorder.calendar.imported', params.id, { holidays: r.holidays, workdays: r.workdays, removed: r.removed, from: r.from, to: r.to });
      return r;
    },
  });

  registry.route({
    method: 'post',
    path: `${base}/sla-policies`,
    summary: 'Add an SLA policy (type / priority / area class → target minutes on a calendar)',
    tags,
    scope,
    body: z.strictObject(SlaPolicySchema.shape),
    errors: ['VALIDATION', 'NOT_FOUND', 'CONFLICT'],
    response: { status: 201, description: 'The policy id', schema: z.strictObject({ id: z.string() }) },
    handler: async ({ body, actor }) => {
      const id = svc.createSlaPolicy(body);
      await record(actor, 'workorder.sla-policy.created', id, body);
      return { id };
    },
  });

  if (visits) {
    registry.route({
      method: 'get',
      path: `${base}/visit-rules`,
      summary: 'Callback-visit selection rules, in the order they are tried',
      tags,
      scope: 'workorders:read',
      query: z.strictObject({ activeOnly: queryBool().optional() }),
      response: { description: 'Rules', schema: z.strictObject({ items: z.array(Json) }) },
      handler: ({ query }) => ({ items: visits.listRules().filter((r) => !query.activeOnly || r.active) as unknown as Array<Record<string, unknown>> }),
    });

    registry.route({
      method: 'put',
      path: `${base}/visit-rules/:id`,
      summary: 'Create or replace a callback-visit rule (type or kind, sample percent, due minutes)',
      tags,
      scope,
      params: Id,
      body: z.strictObject(VisitRuleSchema.omit({ id: true }).shape),
      errors: ['VALIDATION', 'NOT_FOUND'],
      response: { description: 'The rule', schema: Json },
      handler: async ({ params, body, actor }) => {
        const r = visits.saveRule({ ...body, id: params.id });
        await record(actor, 'workorder.visit-rule.saved', r.id, r);
        return r as unknown as Record<string, unknown>;
      },
    });
  }
}
