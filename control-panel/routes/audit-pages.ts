/**
 * The audit log page (issue 9 "Audit: every administrative and business action (who, when,
 * IP, what, before/after) in an append-only log with search and export"), on ops/audit.ts.
 * Search by actor, action (exact or `prefix*`), target, client address and a time range (UTC,
 * `from` inclusive, `to` exclusive); newest first, 50 a page, paged with the log's own
 * cursor (stable while new rows arrive). CSV export of the same filter (`audit.csv`) needs
 * `audit:export`: RFC 4180 with a UTF-8 BOM, and every cell that a spreadsheet would run as a
 * formula (leading = + - @ tab CR) defused by ops/audit.ts `csvCell` (OWASP "CSV Injection").
 * Invalid filters re-render the form with the fields marked (422); nothing is searched.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../../appliance/core/errors.js';
import type { AuditEntry, AuditFilter } from '../../appliance/ops/audit.js';
import type { ErrorLogSource } from '../../appliance/ops/error-log.js';
import { html, type SafeHtml } from '../html.js';
import { ctx, type PanelContext, type PanelServices } from '../http/context.js';
import { queryStr } from '../http/form.js';
import { fieldErrors, render } from '../layout.js';
import { BOM, sendCsv } from '../reports/csv.js';
import { errorLogLinks } from './error-log-pages.js';
import type { PanelRoute } from './types.js';

export const AUDIT_PAGE_SIZE = 50;

const FIELDS = ['actor', 'action', 'target', 'ip', 'from', 'to'] as const;
type Field = (typeof FIELDS)[number];
export type AuditForm = Record<Field, string>;

const text = (max: number) => z.string().max(max, 'field.invalid').refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'field.invalid');
const time = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'field.invalid').refine((v) => Number.isFinite(Date.parse(`${v}Z`)), 'field.invalid');
const FilterSchema = z.strictObject({
  actor: text(200),
  action: text(100),
  target: text(200),
  ip: z.string().regex(/^[0-9A-Fa-f.:]{1,45}$/, 'field.invalid'),
  from: time,
  to: time,
});

/** The form's fields as an AuditFilter (empty fields are no condition); throws ValidationError. */
export function auditFilter(form: AuditForm): AuditFilter {
  const given = Object.fromEntries(FIELDS.filter((f) => form[f].trim() !== '').map((f) => [f, form[f].trim()]));
  const r = FilterSchema.partial().safeParse(given);
  if (!r.success) {
    const byField = new Map<string, FieldIssue>();
    for (const i of r.error.issues) {
      const path = String(i.path[0] ?? 'actor');
      if (!byField.has(path)) byField.set(path, { path, message: i.message.startsWith('field.') ? i.message : 'field.invalid' });
    }
    const issues = [...byField.values()];
    throw new ValidationError('invalid audit filter', issues);
  }
  const v = r.data;
  const out: AuditFilter = {
    ...(v.actor !== undefined && { actor: v.actor }),
    ...(v.action !== undefined && { action: v.action }),
    ...(v.target !== undefined && { target: v.target }),
    ...(v.ip !== undefined && { ip: v.ip }),
    ...(v.from !== undefined && { from: Date.parse(`${v.from}Z`) }),
    ...(v.to !== undefined && { to: Date.parse(`${v.to}Z`) }),
  };
  if (out.from !== undefined && out.to !== undefined && out.to <= out.from) throw new ValidationError('invalid audit filter', [{ path: 'to', message: 'field.invalid' }]);
  return out;
}

function readForm(req: Request): AuditForm {
  return Object.fromEntries(FIELDS.map((f) => [f, queryStr(req, f, 300)])) as AuditForm;
}

function queryOf(form: AuditForm, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  for (const f of FIELDS) if (form[f] !== '') p.set(f, form[f]);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

function fmt(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function json(v: unknown): string {
  return v === null || v === undefined ? '' : JSON.stringify(v, null, 1);
}

function filterForm(c: PanelContext, form: AuditForm, errors: Map<string, string> | undefined): SafeHtml {
  const input = (name: Field, label: `audit.${string}`, opts: { type?: string; help?: `audit.${string}` } = {}): SafeHtml => {
    const err = errors?.get(name);
    return html`<p class="${err ? 'field invalid' : 'field'}"><label for="${`f-${name}`}">${c.t(label)}</label>
<input id="${`f-${name}`}" name="${name}" type="${opts.type ?? 'text'}" value="${form[name]}"${err ? html` aria-invalid="true"` : ''}>${opts.help ? html`<small>${c.t(opts.help)}</small>` : ''}${err ? html`<span class="err">${err}</span>` : ''}</p>`;
  };
  return html`<form method="get" action="/admin/audit" hx-get="/admin/audit" hx-target="#main" hx-push-url="true" id="audit-search" class="filters">
${input('actor', 'audit.actor', { help: 'audit.actor-help' })}
${input('action', 'audit.action', { help: 'audit.action-help' })}
${input('target', 'audit.target')}
${input('ip', 'audit.ip')}
${input('from', 'audit.from', { type: 'datetime-local', help: 'audit.time-help' })}
${input('to', 'audit.to', { type: 'datetime-local' })}
<button type="submit" id="audit-search-submit">${c.t('audit.search')}</button>
</form>`;
}

interface PageData {
  form: AuditForm;
  items: AuditEntry[];
  nextCursor: string | null;
  cursor: string;
  issues?: readonly FieldIssue[];
  names: Map<string, string>;
  errorLog?: ErrorLogSource | undefined;
}

function auditPartial(c: PanelContext, d: PageData): SafeHtml {
  const errors = d.issues ? fieldErrors(c, d.issues) : undefined;
  const canExport = c.access?.permissions.can('audit', 'export') ?? false;
  const who = (actor: string): string => {
    const n = d.names.get(actor);
    return n ? `${n} (${actor})` : actor;
  };
  return html`<section class="audit">
<h1>${c.t('audit.title')}</h1>
${d.issues ? html`<p class="notice-error" role="alert">${c.t('error.validation')}</p>` : ''}
${filterForm(c, d.form, errors)}
${canExport && !d.issues ? html`<p><a href="${`/admin/audit.csv${queryOf(d.form)}`}" id="audit-export" download>${c.t('audit.export')}</a></p>` : ''}
${errorLogLinks(c, d.errorLog)}
${d.items.length === 0
  ? html`<p class="empty" id="audit-empty">${c.t('audit.none')}</p>`
  : html`<table id="audit">
<thead><tr><th>${c.t('audit.at')}</th><th>${c.t('audit.actor')}</th><th>${c.t('audit.ip')}</th><th>${c.t('audit.action')}</th><th>${c.t('audit.target')}</th><th>${c.t('audit.change')}</th></tr></thead>
<tbody>${d.items.map(
      (e) => html`<tr data-id="${e.id}">
<td>${fmt(e.at)}</td><td class="actor">${who(e.actor)}</td><td class="ip">${e.ip ?? ''}</td><td class="action">${e.action}</td><td class="target">${e.target ?? ''}</td>
<td>${e.before !== null || e.after !== null
        ? html`<details><summary>${c.t('audit.change')}</summary>${e.before !== null ? html`<h4>${c.t('audit.before')}</h4><pre class="before">${json(e.before)}</pre>` : ''}${e.after !== null ? html`<h4>${c.t('audit.after')}</h4><pre class="after">${json(e.after)}</pre>` : ''}</details>`
        : ''}</td>
</tr>`,
    )}</tbody>
</table>`}
<p class="pager">${d.cursor ? html`<a href="${`/admin/audit${queryOf(d.form)}`}" hx-get="${`/admin/audit${queryOf(d.form)}`}" hx-target="#main" hx-push-url="true" id="audit-first">${c.t('audit.first')}</a> ` : ''}${d.nextCursor
    ? html`<a href="${`/admin/audit${queryOf(d.form, { cursor: d.nextCursor })}`}" hx-get="${`/admin/audit${queryOf(d.form, { cursor: d.nextCursor })}`}" hx-target="#main" hx-push-url="true" id="audit-next">${c.t('audit.next')}</a>`
    : ''}</p>
</section>`;
}

/** `user:<id>` → the user's login, for the actor column. */
async function actorNames(s: PanelServices): Promise<Map<string, string>> {
  return new Map((await s.users.list()).map((u) => [`user:${u.id}`, u.login]));
}

export function auditRoutes(s: PanelServices, errorLog?: ErrorLogSource): PanelRoute[] {
  const show = async (req: Request, res: Response): Promise<void> => {
    const form = readForm(req);
    const cursor = queryStr(req, 'cursor', 100);
    const names = await actorNames(s);
    try {
      const page = await s.audit.search({ ...auditFilter(form), limit: AUDIT_PAGE_SIZE, ...(cursor && { cursor }) });
      render(req, res, { title: 'audit.title' }, auditPartial(ctx(res), { form, items: page.items, nextCursor: page.nextCursor, cursor, names, errorLog }));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      render(req, res, { title: 'audit.title', status: 422 }, auditPartial(ctx(res), { form, items: [], nextCursor: null, cursor: '', issues: err.issues.map((i) => (i.path === 'cursor' ? { ...i, message: 'field.invalid' } : i)), names }));
    }
  };

  const exportCsv = async (req: Request, res: Response): Promise<void> => {
    let filter: AuditFilter;
    try {
      filter = auditFilter(readForm(req));
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      res.status(422).type('text/plain').send('invalid filter\n');
      return;
    }
    const csv = await s.audit.exportCsv(filter);
    await s.audit.record({ actor: `user:${ctx(res).user?.id ?? ''}`, ip: ctx(res).ip, action: 'audit.exported', after: { filter } });
    sendCsv(res, `audit-${new Date(s.clock.now()).toISOString().slice(0, 10)}.csv`, BOM + csv);
  };

  return [
    { method: 'get', path: '/admin/audit', access: ['audit', 'view'], handler: show },
    { method: 'get', path: '/admin/audit.csv', access: ['audit', 'export'], handler: exportCsv },
  ];
}
