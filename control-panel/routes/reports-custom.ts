/**
 * Custom reports (issue 9: "custom reports and saved queries (pick a dataset, fields, filters,
 * grouping and aggregates, save, share …) built on a safe query model (never raw SQL from the
 * browser)"; RELIABILITY.md W3). The form posts field names only; the definition is validated by
 * appliance/reports/definition.ts against the dataset's allow-lists, and a refusal re-renders
 * the form (422) naming every failing field. Saved reports run through appliance/reports/datasets.ts.
 *
 *   GET  /reports/custom/new[?dataset=…]   reports:create
 *   POST /reports/custom                   reports:create
 *   GET  /reports/custom/:id               reports:view   (owner, or shared with one of the user's roles)
 *   GET  /reports/custom/:id/export.csv    reports:export
 *   GET  /reports/custom/:id/edit          reports:edit   (owner only)
 *   POST /reports/custom/:id               reports:edit   (owner only)
 *   POST /reports/custom/:id/delete        reports:delete (owner only)
 */
import type { Request, Response } from 'express';
import { AppError, NotFoundError, ValidationError, type FieldIssue } from '../../appliance/core/errors.js';
import { runReport, measureFormula, type ReportResult } from '../../appliance/reports/datasets.js';
import { Catalogue, ChartTypes, DatasetNames, FilterOps, type DatasetName } from '../../appliance/reports/definition.js';
import type { ReportActor, SavedReport } from '../../appliance/reports/definition-store.js';
import { html, type SafeHtml } from '../html.js';
import { deny } from '../http/guards.js';
import { ctx, type PanelContext, type PanelServices } from '../http/context.js';
import { csrfField, render, renderError } from '../layout.js';
import { sendCsv, toCsv } from '../reports/csv.js';
import type { ReportMessageKey } from '../reports/i18n.js';
import { reportServices, type ReportServices } from '../reports/services.js';
import { chart } from '../reports/svg-chart.js';
import { capNotice, exportLink, noData, round, rt, TABLE_ROW_CAP } from '../reports/views.js';
import type { PanelRoute } from './types.js';

const FILTER_ROWS = 3;

function body(req: Request): Record<string, unknown> {
  return (req.body as Record<string, unknown> | undefined) ?? {};
}

function str(req: Request, name: string, max = 500): string {
  const v = body(req)[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

function list(req: Request, name: string): string[] {
  const v = body(req)[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string').slice(0, 50);
}

function num(s: string): number | string {
  return /^\d{1,6}$/.test(s) ? Number(s) : s;
}

/** The posted form → a definition candidate (validated by the store, never trusted here). */
function draftFrom(req: Request): Record<string, unknown> {
  const filters = [];
  for (let i = 0; i < FILTER_ROWS; i++) {
    const field = str(req, `filter_field_${i}`, 64);
    if (!field) continue;
    filters.push({ field, op: str(req, `filter_op_${i}`, 8), values: str(req, `filter_values_${i}`, 2000).split(/[,，]/).map((x) => x.trim()).filter(Boolean) });
  }
  const kind = str(req, 'range_kind', 16);
  const sortBy = str(req, 'sort_by', 64);
  return {
    name: str(req, 'name', 200),
    description: str(req, 'description', 1000),
    dataset: str(req, 'dataset', 32),
    dimensions: list(req, 'dimensions'),
    measures: list(req, 'measures'),
    filters,
    range: kind === 'fixed' ? { kind, from: str(req, 'range_from', 10), to: str(req, 'range_to', 10) } : { kind: 'last-days', days: num(str(req, 'range_days', 6)) },
    ...(sortBy && { sort: { by: sortBy, dir: str(req, 'sort_dir', 4) || 'desc' } }),
    limit: num(str(req, 'limit', 6) || '200'),
    chart: str(req, 'chart', 8) || 'bar',
    sharedRoles: list(req, 'sharedRoles'),
  };
}

function actor(c: PanelContext): ReportActor {
  return { userId: c.user!.id, roles: c.user!.roles, ip: c.ip };
}

type Draft = Record<string, unknown> & { dataset?: unknown };

function asDataset(v: unknown): DatasetName {
  return (DatasetNames as readonly unknown[]).includes(v) ? (v as DatasetName) : 'acd-intervals';
}

async function editor(s: PanelServices, c: PanelContext, action: string, draft: Draft, issues: readonly FieldIssue[]): Promise<SafeHtml> {
  const t = rt(c);
  const dataset = asDataset(draft.dataset);
  const cat = Catalogue[dataset];
  const dims = Array.isArray(draft['dimensions']) ? (draft['dimensions'] as string[]) : [];
  const measures = Array.isArray(draft['measures']) ? (draft['measures'] as string[]) : [];
  const filters = Array.isArray(draft['filters']) ? (draft['filters'] as Array<{ field?: string; op?: string; values?: string[] }>) : [];
  const range = (draft['range'] ?? { kind: 'last-days', days: 7 }) as { kind?: string; days?: unknown; from?: string; to?: string };
  const sort = draft['sort'] as { by?: string; dir?: string } | undefined;
  const shared = Array.isArray(draft['sharedRoles']) ? (draft['sharedRoles'] as string[]) : [];
  const roles = await s.users.listRoles();
  const bad = (p: string): boolean => issues.some((i) => i.path === p || i.path.startsWith(`${p}.`));
  const cls = (p: string): string => (bad(p) ? 'field invalid' : 'field');
  const checks = (name: string, options: readonly string[], chosen: readonly string[]): SafeHtml =>
    html`${options.map((o) => html`<label><input type="checkbox" name="${name}" value="${o}"${chosen.includes(o) ? html` checked` : ''}> ${o}</label> `)}`;
  const sel = (name: string, options: ReadonlyArray<{ value: string; label: string }>, chosen: string): SafeHtml =>
    html`<select name="${name}" id="${`f-${name}`}">${options.map((o) => html`<option value="${o.value}"${o.value === chosen ? html` selected` : ''}>${o.label}</option>`)}</select>`;
  const fieldOptions = [{ value: '', label: '—' }, ...cat.dimensions.map((d) => ({ value: d, label: d }))];
  return html`<form method="get" action="/reports/custom/new" class="dataset-pick"><p class="field"><label for="f-pick">${t('rep.custom.choose-dataset')}</label>
<select id="f-pick" name="dataset">${DatasetNames.map((d) => html`<option value="${d}"${d === dataset ? html` selected` : ''}>${t(`ds.${d}` as ReportMessageKey)}</option>`)}</select> <button type="submit">${t('rep.run')}</button></p></form>
<form method="post" action="${action}" hx-post="${action}" hx-target="#main" id="custom-editor">${csrfField(c)}
${issues.length ? html`<div class="error" role="alert"><ul id="issues">${issues.map((i) => html`<li data-path="${i.path}">${i.path}: ${i.message}</li>`)}</ul></div>` : ''}
<input type="hidden" name="dataset" value="${dataset}">
<p class="${cls('dataset')}">${t('rep.custom.dataset')}: <strong>${t(`ds.${dataset}` as ReportMessageKey)}</strong></p>
<p class="${cls('name')}"><label for="f-name">${t('rep.custom.name')}</label><input id="f-name" name="name" value="${typeof draft['name'] === 'string' ? draft['name'] : ''}" maxlength="100" required${bad('name') ? html` aria-invalid="true"` : ''}></p>
<p class="${cls('description')}"><label for="f-description">${t('rep.custom.description')}</label><input id="f-description" name="description" value="${typeof draft['description'] === 'string' ? draft['description'] : ''}" maxlength="500"></p>
<fieldset class="${cls('dimensions')}"><legend>${t('rep.custom.dimensions')}</legend>${checks('dimensions', cat.dimensions, dims)}</fieldset>
<fieldset class="${cls('measures')}"><legend>${t('rep.custom.measures')}</legend>${checks('measures', cat.measures, measures)}</fieldset>
<fieldset class="${cls('filters')}"><legend>${t('rep.custom.filters')}</legend>${Array.from({ length: FILTER_ROWS }, (_, i) => {
    const f = filters[i] ?? {};
    return html`<p>${sel(`filter_field_${i}`, fieldOptions, f.field ?? '')} ${sel(`filter_op_${i}`, FilterOps.map((o) => ({ value: o, label: t(`rep.op.${o}`) })), f.op ?? 'eq')} <input name="${`filter_values_${i}`}" value="${(f.values ?? []).join(',')}" placeholder="${t('rep.custom.filter-values')}"></p>`;
  })}</fieldset>
<fieldset class="${cls('range')}"><legend>${t('rep.custom.range')}</legend>
<label><input type="radio" name="range_kind" value="last-days"${range.kind !== 'fixed' ? html` checked` : ''}> ${t('rep.custom.last-days')}</label> <input name="range_days" value="${range.kind !== 'fixed' ? String(range.days ?? 7) : '7'}" size="4">
<label><input type="radio" name="range_kind" value="fixed"${range.kind === 'fixed' ? html` checked` : ''}> ${t('rep.from')}</label> <input type="date" name="range_from" value="${range.from ?? ''}"> ${t('rep.to')} <input type="date" name="range_to" value="${range.to ?? ''}"></fieldset>
<p class="${cls('sort')}"><label for="f-sort_by">${t('rep.custom.sort')}</label>${sel('sort_by', [{ value: '', label: '—' }, ...[...cat.dimensions, ...cat.measures].map((x) => ({ value: x, label: x }))], sort?.by ?? '')} ${sel('sort_dir', [{ value: 'desc', label: t('rep.custom.desc') }, { value: 'asc', label: t('rep.custom.asc') }], sort?.dir ?? 'desc')}</p>
<p class="${cls('limit')}"><label for="f-limit">${t('rep.custom.limit')}</label><input id="f-limit" name="limit" value="${String(draft['limit'] ?? 200)}" size="5"></p>
<p class="${cls('chart')}"><label for="f-chart">${t('rep.custom.chart')}</label>${sel('chart', ChartTypes.map((x) => ({ value: x, label: t(`rep.chart.${x}`) })), typeof draft['chart'] === 'string' ? draft['chart'] : 'bar')}</p>
<fieldset class="${cls('sharedRoles')}"><legend>${t('rep.custom.shared')}</legend>${roles.map((r) => html`<label><input type="checkbox" name="sharedRoles" value="${r.id}"${shared.includes(r.id) ? html` checked` : ''}> ${c.t(`role.${r.id}`) === `role.${r.id}` ? r.name : c.t(`role.${r.id}`)}</label> `)}</fieldset>
<p><button type="submit">${t('rep.custom.save')}</button></p>
</form>`;
}

function resultView(c: PanelContext, saved: SavedReport, r: ReportResult, canChange: { edit: boolean; del: boolean }): SafeHtml {
  const t = rt(c);
  const d = saved.definition;
  const rowLabel = (row: ReportResult['rows'][number]): string => row.labels.join(' · ') || t('rep.total');
  const first = d.measures[0]!;
  const chartHtml =
    d.chart === 'none' || r.rows.length === 0
      ? html``
      : chart({ id: 'custom-chart', kind: d.chart, title: `${d.name} · ${first}`, labels: r.rows.slice(0, 100).map(rowLabel), series: [{ name: first, values: r.rows.slice(0, 100).map((x) => x.values[0] ?? null) }] });
  return html`<section class="report custom-report" id="custom-report" data-report="${saved.id}">
<p><a href="/reports" hx-get="/reports" hx-target="#main" hx-push-url="true">${t('rep.title')}</a></p>
<h1>${d.name}</h1>${d.description ? html`<p>${d.description}</p>` : ''}
<p>${t('rep.custom.dataset')}: ${t(`ds.${d.dataset}` as ReportMessageKey)}</p>
${exportLink(c, `/reports/custom/${saved.id}/export.csv`)}
${canChange.edit ? html`<p><a href="${`/reports/custom/${saved.id}/edit`}" hx-get="${`/reports/custom/${saved.id}/edit`}" hx-target="#main" hx-push-url="true">${t('rep.custom.edit')}</a></p>` : ''}
${canChange.del ? html`<form method="post" action="${`/reports/custom/${saved.id}/delete`}" class="inline">${csrfField(c)}<button type="submit" id="delete-report">${t('rep.custom.delete')}</button></form>` : ''}
${r.rows.length === 0
  ? noData(c)
  : html`${chartHtml}${capNotice(c, r.rows.length)}
<table id="report-table" class="report-table"><thead><tr>${r.columns.map((col) => html`<th${col.formula ? html` title="${col.formula}"` : ''} data-col="${col.key}">${col.key}</th>`)}</tr></thead>
<tbody>${r.rows.slice(0, TABLE_ROW_CAP).map((row) => html`<tr>${row.labels.map((l) => html`<td>${l}</td>`)}${row.values.map((v) => html`<td class="n">${v === null ? '—' : String(round(v))}</td>`)}</tr>`)}</tbody></table>
${r.truncated ? html`<p class="notice">+${r.truncated}</p>` : ''}`}
<details class="formulas"><summary>${t('rep.formulas')}</summary><dl>${d.measures.map((m) => html`<dt>${m}</dt><dd><code>${measureFormula(d.dataset, m)}</code></dd>`)}</dl></details>
</section>`;
}

export function customReportRoutes(s: PanelServices, rs: ReportServices = reportServices(s)): PanelRoute[] {
  const page = (req: Request, res: Response, status: number, body: SafeHtml): void => render(req, res, { title: 'nav.reports', status }, body);

  const wrap = (status: number, c: PanelContext, body: SafeHtml): SafeHtml =>
    html`<section class="report" id="custom-editor-page"><p><a href="/reports">${rt(c)('rep.title')}</a></p><h1>${rt(c)(status === 201 ? 'rep.custom.new' : 'rep.custom')}</h1>${body}</section>`;

  async function failed(req: Request, res: Response, err: unknown, onValidation: (issues: readonly FieldIssue[]) => Promise<void>): Promise<void> {
    if (err instanceof ValidationError) return onValidation(err.issues);
    if (err instanceof NotFoundError) return renderError(req, res, 404, 'error.not-found');
    if (err instanceof AppError && err.code === 'FORBIDDEN') return deny(req, res, s, 403, 'report:not-owner');
    if (err instanceof AppError && err.code === 'CONFLICT') return renderError(req, res, 409, 'error.validation');
    throw err;
  }

  const loadVisible = async (req: Request, res: Response): Promise<SavedReport | null> => {
    try {
      return await rs.definitions.getVisible(String(req.params['id']), actor(ctx(res)));
    } catch (err) {
      await failed(req, res, err, async () => renderError(req, res, 404, 'error.not-found'));
      return null;
    }
  };

  return [
    {
      method: 'get',
      path: '/reports/custom/new',
      access: ['reports', 'create'],
      handler: async (req, res) => {
        const c = ctx(res);
        const dataset = asDataset(req.query['dataset']);
        const defaults: Draft = { dataset, dimensions: [Catalogue[dataset].dimensions[0]], measures: [Catalogue[dataset].measures[0]], range: { kind: 'last-days', days: 7 } };
        page(req, res, 200, wrap(201, c, await editor(s, c, '/reports/custom', defaults, [])));
      },
    },
    {
      method: 'post',
      path: '/reports/custom',
      access: ['reports', 'create'],
      handler: async (req, res) => {
        const c = ctx(res);
        const draft = draftFrom(req);
        try {
          const r = await rs.definitions.create(draft, actor(c));
          if (req.get('HX-Request') === 'true') res.setHeader('HX-Location', `/reports/custom/${r.id}`);
          res.redirect(303, `/reports/custom/${r.id}`);
        } catch (err) {
          await failed(req, res, err, async (issues) => page(req, res, 422, wrap(201, c, await editor(s, c, '/reports/custom', draft, issues))));
        }
      },
    },
    {
      method: 'get',
      path: '/reports/custom/:id',
      access: ['reports', 'view'],
      handler: async (req, res) => {
        const c = ctx(res);
        const saved = await loadVisible(req, res);
        if (!saved) return;
        const result = await runReport(rs, saved.definition, s.clock.now());
        const mine = saved.owner === c.user!.id;
        const can = { edit: mine && (c.access?.permissions.can('reports', 'edit') ?? false), del: mine && (c.access?.permissions.can('reports', 'delete') ?? false) };
        page(req, res, 200, resultView(c, saved, result, can));
      },
    },
    {
      method: 'get',
      path: '/reports/custom/:id/export.csv',
      access: ['reports', 'export'],
      handler: async (req, res) => {
        const saved = await loadVisible(req, res);
        if (!saved) return;
        const r = await runReport(rs, saved.definition, s.clock.now());
        const csv = toCsv(
          r.columns.map((col) => (col.formula && col.formula !== `Σ ${col.key}` ? `${col.key} [${col.formula}]` : col.key)),
          r.rows.map((row) => [...row.labels, ...row.values.map((v) => round(v, 4))]),
        );
        sendCsv(res, `${saved.definition.name}.csv`, csv);
      },
    },
    {
      method: 'get',
      path: '/reports/custom/:id/edit',
      access: ['reports', 'edit'],
      handler: async (req, res) => {
        const c = ctx(res);
        const saved = await loadVisible(req, res);
        if (!saved) return;
        if (saved.owner !== c.user!.id) return deny(req, res, s, 403, 'report:not-owner');
        page(req, res, 200, wrap(200, c, await editor(s, c, `/reports/custom/${saved.id}`, saved.definition as unknown as Draft, [])));
      },
    },
    {
      method: 'post',
      path: '/reports/custom/:id',
      access: ['reports', 'edit'],
      handler: async (req, res) => {
        const c = ctx(res);
        const id = String(req.params['id']);
        const draft = draftFrom(req);
        try {
          await rs.definitions.update(id, draft, actor(c));
          if (req.get('HX-Request') === 'true') res.setHeader('HX-Location', `/reports/custom/${id}`);
          res.redirect(303, `/reports/custom/${id}`);
        } catch (err) {
          await failed(req, res, err, async (issues) => page(req, res, 422, wrap(200, c, await editor(s, c, `/reports/custom/${id}`, draft, issues))));
        }
      },
    },
    {
      method: 'post',
      path: '/reports/custom/:id/delete',
      access: ['reports', 'delete'],
      handler: async (req, res) => {
        const c = ctx(res);
        try {
          await rs.definitions.delete(String(req.params['id']), actor(c));
          res.redirect(303, '/reports');
        } catch (err) {
          await failed(req, res, err, async () => renderError(req, res, 404, 'error.not-found'));
        }
      },
    },
  ];
}

