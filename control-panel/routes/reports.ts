/**
 * Standard reports (issue 9 "Reports"; SEEDS.md "Management" statistics [W 6], agent work
 * quality [L 5]; formulas from ../shared/METRICS.md §3, each named on the page):
 *
 *   /reports                index: standard reports and the saved custom reports one may run
 *   /reports/acd[.csv]      queue interval report by 15/30 min, day, week, month
 *   /reports/agents[.csv]   agent performance
 *   /reports/ivr[.csv]      IVR node traffic, exit points, self-service completion
 *   /reports/workorders[.csv] work orders by type / category / department / priority / source
 *
 * Pages need reports:view; every .csv needs reports:export (an agent or QA role cannot export).
 * Queries are GET forms validated with zod; bad input re-renders the form with the fields named
 * (422). Tables and SVG charts are escaped by html.ts; CSV goes through reports/csv.ts.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { Granularities, type Granularity } from '../../appliance/acd/report-rollup.js';
import type { AgentReport, IntervalReport, QueueMetricsRow } from '../../appliance/acd/reports.js';
import { ServiceLevelVariants } from '../../appliance/acd/metrics.js';
import { zodIssues } from '../../appliance/core/config.js';
import type { FieldIssue } from '../../appliance/core/errors.js';
import type { IvrTrafficReport } from '../../appliance/ivr/reports.js';
import { resolveRange } from '../../appliance/reports/datasets.js';
import { periodLabel, periodStart } from '../../appliance/acd/report-rollup.js';
import { WorkOrderDimensions, type WorkOrderReport } from '../../appliance/workorders/reports.js';
import { html, type SafeHtml } from '../html.js';
import { ctx, type PanelContext, type PanelServices } from '../http/context.js';
import { render } from '../layout.js';
import { sendCsv, toCsv, type CsvValue } from '../reports/csv.js';
import type { ReportMessageKey } from '../reports/i18n.js';
import { reportServices, type ReportServices } from '../reports/services.js';
import { chart } from '../reports/svg-chart.js';
import { capNotice, dateInput, dur, exportLink, formulasBox, listParam, noData, pct, queryForm, round, rt, secs, select, TABLE_ROW_CAP } from '../reports/views.js';
import type { PanelRoute } from './types.js';

const DAY = 86_400_000;
const OCCUPANCY_MAX_DAYS = 7;
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD').refine((s) => !Number.isNaN(Date.parse(s)), 'not a date');

const RangeQuery = { from: Day.optional(), to: Day.optional() };
const AcdQuery = z.object({ ...RangeQuery, g: z.enum(Granularities).default('day'), sl: z.enum(ServiceLevelVariants).default('recommended'), queue: z.array(z.string().max(64)).max(100) });
const AgentQuery = z.object({ ...RangeQuery, agent: z.array(z.string().max(64)).max(200), queue: z.array(z.string().max(64)).max(100) });
const IvrQuery = z.object({ ...RangeQuery, flow: z.string().max(64).optional() });
const WoQuery = z.object({ ...RangeQuery, by: z.enum(WorkOrderDimensions).default('type'), type: z.string().max(64).optional() });

interface Range {
  fromDay: string;
  toDay: string;
  from: number;
  to: number;
}

function raw(req: Request): Record<string, unknown> {
  const q = req.query as Record<string, unknown>;
  const one = (k: string): string | undefined => (typeof q[k] === 'string' && q[k] !== '' ? (q[k] as string) : undefined);
  return {
    from: one('from'),
    to: one('to'),
    g: one('g'),
    sl: one('sl'),
    by: one('by'),
    type: one('type'),
    flow: one('flow'),
    queue: listParam(q['queue']),
    agent: listParam(q['agent']),
  };
}

function parse<T extends z.ZodType>(schema: T, req: Request): { value: z.output<T> | null; issues: FieldIssue[] } {
  const r = schema.safeParse(raw(req));
  return r.success ? { value: r.data, issues: [] } : { value: null, issues: zodIssues(r.error) };
}

/** Local day range; default the last 7 days up to today. */
function range(rs: ReportServices, now: number, q: { from?: string | undefined; to?: string | undefined }, maxDays: number): { range: Range; issues: FieldIssue[] } {
  const off = rs.utcOffsetMinutes;
  const today = periodLabel(periodStart(now, 'day', off), 'day', off);
  const toDay = q.to ?? today;
  const fromDay = q.from ?? periodLabel(Date.parse(`${toDay}T00:00:00Z`) - 6 * DAY, 'day', 0);
  const { from, to } = resolveRange({ kind: 'fixed', from: fromDay, to: toDay }, now, off);
  const issues: FieldIssue[] = [];
  if (to <= from) issues.push({ path: 'to', message: 'the end is before the start' });
  else if ((to - from) / DAY > maxDays) issues.push({ path: 'to', message: 'rep.range-too-long' });
  return { range: { fromDay, toDay, from, to }, issues };
}

function qs(params: Record<string, string | readonly string[] | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of typeof v === 'string' ? [v] : (v ?? [])) u.append(k, x);
  return u.toString();
}

function invalid(issues: readonly FieldIssue[], name: string): boolean {
  return issues.some((i) => i.path === name || i.path.startsWith(`${name}.`));
}

function section(c: PanelContext, id: string, title: ReportMessageKey, body: SafeHtml): SafeHtml {
  return html`<section class="report" id="${id}"><p><a href="/reports" hx-get="/reports" hx-target="#main" hx-push-url="true">${rt(c)('rep.title')}</a></p><h1>${rt(c)(title)}</h1>${body}</section>`;
}

function page(req: Request, res: Response, status: number, body: SafeHtml): void {
  render(req, res, { title: 'nav.reports', status }, body);
}

// ------------------------------------------------------------------ ACD interval report

function acdRows(r: IntervalReport): QueueMetricsRow[] {
  return [...r.rows, ...r.totals];
}

function acdCsv(c: PanelContext, r: IntervalReport): string {
  const t = rt(c);
  const header = [
    'queue_id',
    t('rep.queue'),
    t('rep.period'),
    `${t('rep.threshold')} (s)`,
    t('rep.offered'),
    t('rep.answered'),
    'Ans≤T',
    t('rep.abandoned'),
    t('rep.abandoned-short'),
    t('rep.callbacks'),
    t('rep.overflowed'),
    `${t('rep.sl')} % [${r.formulas.serviceLevel}]`,
    t('rep.asa'),
    `${t('rep.talk')} (s)`,
    `${t('rep.hold')} (s)`,
    `${t('rep.acw')} (s)`,
    t('rep.aht'),
    `${t('rep.abandon-rate')} % [${r.formulas.abandon}]`,
    `Ab/Q %`,
    `${t('rep.occupancy')} %`,
  ];
  const rows = acdRows(r).map((x): CsvValue[] => [
    x.queueId,
    x.queueName,
    x.label === 'total' ? t('rep.total') : x.label,
    x.serviceLevelMs === null ? t('rep.mixed') : x.serviceLevelMs / 1000,
    x.counts.offered,
    x.counts.answered,
    x.counts.answeredWithin,
    x.counts.abandoned,
    x.counts.abandonedShort,
    x.counts.callbacks,
    x.counts.overflowed,
    round(x.serviceLevel),
    round(x.asaMs === null ? null : x.asaMs / 1000),
    round(x.aht.talkMs === null ? null : x.aht.talkMs / 1000),
    round(x.aht.holdMs === null ? null : x.aht.holdMs / 1000),
    round(x.aht.acwMs === null ? null : x.aht.acwMs / 1000),
    round(x.aht.ahtMs === null ? null : x.aht.ahtMs / 1000),
    round(x.abandon.headline.value),
    round(x.abandon.raw.value),
    round(x.occupancy),
  ]);
  return toCsv(header, rows);
}

function acdView(c: PanelContext, r: IntervalReport, form: SafeHtml, exportHref: string): SafeHtml {
  const t = rt(c);
  const byPeriod = new Map<number, QueueMetricsRow[]>();
  for (const x of r.rows) byPeriod.set(x.periodStart, [...(byPeriod.get(x.periodStart) ?? []), x]);
  const periods = [...byPeriod.keys()].sort((a, b) => a - b);
  const labels = periods.map((p) => byPeriod.get(p)![0]!.label);
  const sumBy = (f: (x: QueueMetricsRow) => number) => periods.map((p) => byPeriod.get(p)!.reduce((a, x) => a + f(x), 0));
  const queueNames = new Map(r.rows.map((x) => [x.queueId, x.queueName]));
  const slSeries = [...queueNames].slice(0, 8).map(([q, name]) => ({
    name,
    values: periods.map((p) => byPeriod.get(p)!.find((x) => x.queueId === q)?.serviceLevel ?? null),
  }));
  const many = periods.length > 60;
  const rows = acdRows(r);
  const row = (x: QueueMetricsRow): SafeHtml => html`<tr class="${x.label === 'total' ? 'total' : ''}" data-queue="${x.queueId}" data-period="${x.label}">
<td>${x.queueName}</td><td>${x.label === 'total' ? t('rep.total') : x.label}</td><td>${x.serviceLevelMs === null ? t('rep.mixed') : `${x.serviceLevelMs / 1000}s`}</td>
<td class="n offered">${x.counts.offered}</td><td class="n answered">${x.counts.answered}</td><td class="n abandoned">${x.counts.abandoned}</td><td class="n short">${x.counts.abandonedShort}</td>
<td class="n callbacks">${x.counts.callbacks}</td><td class="n overflowed">${x.counts.overflowed}</td><td class="n sl">${pct(x.serviceLevel)}</td><td class="n asa">${secs(x.asaMs)}</td>
<td class="n talk">${secs(x.aht.talkMs)}</td><td class="n hold">${secs(x.aht.holdMs)}</td><td class="n acw">${secs(x.aht.acwMs)}</td><td class="n aht">${secs(x.aht.ahtMs)}</td>
<td class="n abandon">${pct(x.abandon.headline.value)}</td><td class="n occupancy">${pct(x.occupancy)}</td></tr>`;
  return html`${form}${exportLink(c, exportHref)}
${r.rows.length === 0
  ? noData(c)
  : html`${chart({ id: 'acd-volume', kind: many ? 'line' : 'bar', title: t('rep.chart.volume'), labels, series: [{ name: t('rep.offered'), values: sumBy((x) => x.counts.offered) }, { name: t('rep.answered'), values: sumBy((x) => x.counts.answered) }] })}
${chart({ id: 'acd-sl', kind: 'line', title: `${t('rep.chart.sl')} (${r.formulas.serviceLevel})`, labels, series: slSeries, yMax: 100 })}
${capNotice(c, rows.length)}
<table id="report-table" class="report-table"><thead><tr><th>${t('rep.queue')}</th><th>${t('rep.period')}</th><th>${t('rep.threshold')}</th><th>${t('rep.offered')}</th><th>${t('rep.answered')}</th><th>${t('rep.abandoned')}</th><th>${t('rep.abandoned-short')}</th><th>${t('rep.callbacks')}</th><th>${t('rep.overflowed')}</th>
<th title="${r.formulas.serviceLevel}">${t('rep.sl')} · ${t(`rep.sl.${r.query.slVariant}`)}</th><th title="${r.formulas.asa}">${t('rep.asa')}</th><th>${t('rep.talk')}</th><th>${t('rep.hold')}</th><th>${t('rep.acw')}</th><th title="${r.formulas.aht}">${t('rep.aht')}</th><th title="${r.formulas.abandon}">${t('rep.abandon-rate')}</th><th title="${r.formulas.occupancy}">${t('rep.occupancy')}</th></tr></thead>
<tbody>${rows.slice(0, TABLE_ROW_CAP).map(row)}</tbody></table>`}
${formulasBox(c, [
  ['rep.sl', r.formulas.serviceLevel],
  ['rep.asa', r.formulas.asa],
  ['rep.aht', r.formulas.aht],
  ['rep.abandon-rate', `${r.formulas.abandon}; ${r.formulas.abandonRaw}`],
  ['rep.occupancy', r.formulas.occupancy],
])}`;
}

// ------------------------------------------------------------------ agent report

function agentCsv(c: PanelContext, r: AgentReport): string {
  const t = rt(c);
  const reasonName = (x: string): string => x || t('rep.no-reason');
  const header = [
    'agent_id',
    t('rep.agent'),
    `${t('rep.logged')} (s)`,
    `${t('rep.ready')} (s)`,
    `${t('rep.ringing')} (s)`,
    `${t('rep.in-call')} (s)`,
    `${t('rep.wrap')} (s)`,
    `${t('rep.break')} (s)`,
    ...r.breakReasons.map((x) => `${t('rep.break-reason', { reason: reasonName(x) })} (s)`),
    t('rep.handled'),
    `${t('rep.talk')} (s)`,
    `${t('rep.hold')} (s)`,
    `${t('rep.acw')} (s)`,
    t('rep.aht'),
    `${t('rep.occupancy')} %`,
  ];
  const s = (ms: number): number => ms / 1000;
  return toCsv(
    header,
    r.rows.map((x) => [
      x.agentId,
      x.agentName,
      s(x.times.loggedInMs),
      s(x.times.readyMs),
      s(x.times.offeredMs),
      s(x.times.inCallMs),
      s(x.times.wrapMs),
      s(x.times.breakMs),
      ...r.breakReasons.map((b) => s(x.times.breaks[b] ?? 0)),
      x.handled,
      s(x.talkMs),
      s(x.holdMs),
      s(x.acwMs),
      round(x.ahtMs === null ? null : x.ahtMs / 1000),
      round(x.occupancy),
    ]),
  );
}

function agentView(c: PanelContext, r: AgentReport, form: SafeHtml, exportHref: string): SafeHtml {
  const t = rt(c);
  const reasonName = (x: string): string => x || t('rep.no-reason');
  return html`${form}${exportLink(c, exportHref)}
${r.rows.length === 0
  ? noData(c)
  : html`${chart({ id: 'agents-handled', kind: 'bar', title: t('rep.chart.handled'), labels: r.rows.map((x) => x.agentName), series: [{ name: t('rep.handled'), values: r.rows.map((x) => x.handled) }] })}
<table id="report-table" class="report-table"><thead><tr><th>${t('rep.agent')}</th><th>${t('rep.logged')}</th><th>${t('rep.ready')}</th><th>${t('rep.ringing')}</th><th>${t('rep.in-call')}</th><th>${t('rep.wrap')}</th><th>${t('rep.break')}</th>
${r.breakReasons.map((b) => html`<th>${t('rep.break-reason', { reason: reasonName(b) })}</th>`)}<th>${t('rep.handled')}</th><th title="${r.formulas.aht}">${t('rep.aht')}</th><th title="${r.formulas.occupancy}">${t('rep.occupancy')}</th></tr></thead>
<tbody>${r.rows.slice(0, TABLE_ROW_CAP).map(
      (x) => html`<tr data-agent="${x.agentId}"><td>${x.agentName}</td><td class="n logged">${dur(x.times.loggedInMs)}</td><td class="n ready">${dur(x.times.readyMs)}</td><td class="n ringing">${dur(x.times.offeredMs)}</td><td class="n in-call">${dur(x.times.inCallMs)}</td><td class="n wrap">${dur(x.times.wrapMs)}</td><td class="n break">${dur(x.times.breakMs)}</td>
${r.breakReasons.map((b) => html`<td class="n break-reason">${dur(x.times.breaks[b] ?? 0)}</td>`)}<td class="n handled">${x.handled}</td><td class="n aht">${secs(x.ahtMs)}</td><td class="n occupancy">${pct(x.occupancy)}</td></tr>`,
    )}</tbody></table>`}
${formulasBox(c, [
  ['rep.aht', r.formulas.aht],
  ['rep.occupancy', r.formulas.occupancy],
])}`;
}

// ------------------------------------------------------------------ IVR report

function ivrCsv(c: PanelContext, r: IvrTrafficReport): string {
  const t = rt(c);
  const header = ['flow_id', t('rep.flow'), 'version', t('rep.node'), t('rep.verb'), t('rep.visits'), t('rep.abandons'), `${t('rep.leave-pct')}`, t('rep.entries'), t('rep.to-agent'), t('rep.self-served'), `${t('rep.self-service')} % [${r.formula}]`];
  const rows: CsvValue[][] = [];
  for (const f of r.flows) {
    rows.push([f.flowId, f.name, f.version, '', '', '', f.abandoned, '', f.entries, f.toAgent, f.selfServed, round(f.selfServicePct)]);
    for (const n of f.nodes) rows.push([f.flowId, f.name, f.version, n.nodeId, n.verb ?? '', n.visits, n.abandons, round(n.leavePct), '', '', '', '']);
  }
  return toCsv(header, rows);
}

function ivrView(c: PanelContext, r: IvrTrafficReport, form: SafeHtml, exportHref: string): SafeHtml {
  const t = rt(c);
  return html`${form}${exportLink(c, exportHref)}
${r.flows.length === 0
  ? noData(c)
  : r.flows.map(
      (f, i) => html`<section class="ivr-flow" data-flow="${f.flowId}" data-version="${f.version}"><h2>${f.name} (v${f.version})</h2>
<dl class="kpi"><dt>${t('rep.entries')}</dt><dd class="entries">${f.entries}</dd><dt>${t('rep.to-agent')}</dt><dd class="to-agent">${f.toAgent}</dd><dt>${t('rep.abandoned')}</dt><dd class="abandoned">${f.abandoned}</dd><dt>${t('rep.self-served')}</dt><dd class="self-served">${f.selfServed}</dd><dt title="${r.formula}">${t('rep.self-service')}</dt><dd class="self-service">${pct(f.selfServicePct)}</dd></dl>
${chart({ id: `ivr-${i}`, kind: 'bar', title: `${t('rep.chart.nodes')} · ${f.name}`, labels: f.nodes.slice(0, 30).map((n) => n.nodeId), series: [{ name: t('rep.visits'), values: f.nodes.slice(0, 30).map((n) => n.visits) }, { name: t('rep.abandons'), values: f.nodes.slice(0, 30).map((n) => n.abandons) }] })}
<table class="report-table"><thead><tr><th>${t('rep.node')}</th><th>${t('rep.verb')}</th><th>${t('rep.visits')}</th><th>${t('rep.abandons')}</th><th>${t('rep.leave-pct')}</th></tr></thead>
<tbody>${f.nodes.slice(0, TABLE_ROW_CAP).map((n) => html`<tr data-node="${n.nodeId}"><td>${n.nodeId}</td><td>${n.verb ?? ''}</td><td class="n visits">${n.visits}</td><td class="n abandons">${n.abandons}</td><td class="n leave">${pct(n.leavePct)}</td></tr>`)}</tbody></table></section>`,
    )}
${formulasBox(c, [['rep.self-service', r.formula]])}`;
}

// ------------------------------------------------------------------ work-order report

function woCsv(c: PanelContext, r: WorkOrderReport): string {
  const t = rt(c);
  const header = [
    'key',
    t(`rep.by.${r.query.by}`),
    t('rep.created'),
    t('rep.open'),
    t('rep.closed'),
    t('rep.cancelled'),
    t('rep.overdue'),
    t('rep.breached'),
    `${t('rep.sla-compliance')} % [${r.formulas.slaCompliance}]`,
    t('rep.satisfied'),
    t('rep.dissatisfied'),
    t('rep.unreachable'),
    `${t('rep.satisfaction')} % [${r.formulas.satisfaction}]`,
    t('rep.resolve-h'),
  ];
  const line = (key: string, name: string, x: WorkOrderReport['total']): CsvValue[] => [
    key,
    name,
    x.created,
    x.open,
    x.closed,
    x.cancelled,
    x.overdue,
    x.breached,
    round(x.slaCompliancePct),
    x.satisfied,
    x.dissatisfied,
    x.unreachable,
    round(x.satisfactionPct),
    round(x.avgResolveMs === null ? null : x.avgResolveMs / 3_600_000),
  ];
  return toCsv(header, [...r.rows.map((x) => line(x.key, x.name || t('rep.none'), x)), line('', t('rep.total'), r.total)]);
}

function woView(c: PanelContext, r: WorkOrderReport, form: SafeHtml, exportHref: string): SafeHtml {
  const t = rt(c);
  const rowHtml = (key: string, name: string, x: WorkOrderReport['total'], cls = ''): SafeHtml => html`<tr class="${cls}" data-key="${key}"><td>${name}</td><td class="n created">${x.created}</td><td class="n open">${x.open}</td><td class="n closed">${x.closed}</td><td class="n overdue">${x.overdue}</td><td class="n breached">${x.breached}</td><td class="n sla">${pct(x.slaCompliancePct)}</td><td class="n satisfied">${x.satisfied}</td><td class="n dissatisfied">${x.dissatisfied}</td><td class="n unreachable">${x.unreachable}</td><td class="n satisfaction">${pct(x.satisfactionPct)}</td><td class="n resolve">${x.avgResolveMs === null ? '—' : (x.avgResolveMs / 3_600_000).toFixed(1)}</td></tr>`;
  return html`${form}${exportLink(c, exportHref)}
${r.rows.length === 0
  ? noData(c)
  : html`${chart({ id: 'wo-counts', kind: 'bar', title: t('rep.chart.orders'), labels: r.rows.slice(0, 30).map((x) => x.name || t('rep.none')), series: [{ name: t('rep.created'), values: r.rows.slice(0, 30).map((x) => x.created) }, { name: t('rep.closed'), values: r.rows.slice(0, 30).map((x) => x.closed) }, { name: t('rep.overdue'), values: r.rows.slice(0, 30).map((x) => x.overdue) }] })}
<table id="report-table" class="report-table"><thead><tr><th>${t(`rep.by.${r.query.by}`)}</th><th>${t('rep.created')}</th><th>${t('rep.open')}</th><th>${t('rep.closed')}</th><th title="${r.formulas.overdue}">${t('rep.overdue')}</th><th>${t('rep.breached')}</th><th title="${r.formulas.slaCompliance}">${t('rep.sla-compliance')}</th><th>${t('rep.satisfied')}</th><th>${t('rep.dissatisfied')}</th><th>${t('rep.unreachable')}</th><th title="${r.formulas.satisfaction}">${t('rep.satisfaction')}</th><th>${t('rep.resolve-h')}</th></tr></thead>
<tbody>${r.rows.slice(0, TABLE_ROW_CAP).map((x) => rowHtml(x.key, x.name || t('rep.none'), x))}${rowHtml('', t('rep.total'), r.total, 'total')}</tbody></table>`}
${formulasBox(c, [
  ['rep.sla-compliance', r.formulas.slaCompliance],
  ['rep.overdue', r.formulas.overdue],
  ['rep.satisfaction', r.formulas.satisfaction],
])}`;
}

// ------------------------------------------------------------------ routes

export function reportRoutes(s: PanelServices, rs: ReportServices = reportServices(s)): PanelRoute[] {
  const granularityOptions = (c: PanelContext) => Granularities.map((g: Granularity) => ({ value: g, label: rt(c)(`rep.g.${g}`) }));

  async function acd(req: Request, res: Response, csv: boolean): Promise<void> {
    const c = ctx(res);
    const t = rt(c);
    const p = parse(AcdQuery, req);
    const g = p.value?.g ?? 'day';
    const rg = range(rs, s.clock.now(), p.value ?? {}, g === '15m' || g === '30m' ? 31 : 366);
    const issues = [...p.issues, ...rg.issues];
    const queues = await rs.acd.queues();
    const chosen = p.value?.queue ?? listParam(req.query['queue']);
    const form = queryForm(
      c,
      '/reports/acd',
      html`${dateInput('from', t('rep.from'), rg.range.fromDay, invalid(issues, 'from'))}${dateInput('to', t('rep.to'), rg.range.toDay, invalid(issues, 'to'))}
${select('g', t('rep.granularity'), granularityOptions(c), [g], { invalid: invalid(issues, 'g') })}
${select('sl', t('rep.sl-variant'), ServiceLevelVariants.map((v) => ({ value: v, label: t(`rep.sl.${v}`) })), [p.value?.sl ?? 'recommended'], { invalid: invalid(issues, 'sl') })}
${select('queue', t('rep.queues'), queues.map((q) => ({ value: q.id, label: q.name })), chosen, { multiple: true, invalid: invalid(issues, 'queue') })}`,
      issues,
    );
    if (!p.value || issues.length) {
      if (csv) res.status(422).type('text/plain').send(issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
      else page(req, res, 422, section(c, 'report-acd', 'rep.acd', form));
      return;
    }
    // Occupancy replays the raw agent event log; beyond a week that is too slow (bench/reports.bench.ts) until agent interval aggregates are stored.
    const r = await rs.acd.intervalReport({ from: rg.range.from, to: rg.range.to, granularity: g, queueIds: p.value.queue, slVariant: p.value.sl, occupancy: rg.range.to - rg.range.from <= OCCUPANCY_MAX_DAYS * DAY });
    const query = qs({ from: rg.range.fromDay, to: rg.range.toDay, g, sl: p.value.sl, queue: p.value.queue });
    if (csv) sendCsv(res, `acd-${g}-${rg.range.fromDay}-${rg.range.toDay}.csv`, acdCsv(c, r));
    else page(req, res, 200, section(c, 'report-acd', 'rep.acd', acdView(c, r, form, `/reports/acd.csv?${query}`)));
  }

  async function agents(req: Request, res: Response, csv: boolean): Promise<void> {
    const c = ctx(res);
    const t = rt(c);
    const p = parse(AgentQuery, req);
    const rg = range(rs, s.clock.now(), p.value ?? {}, 366);
    const issues = [...p.issues, ...rg.issues];
    const form = queryForm(
      c,
      '/reports/agents',
      html`${dateInput('from', t('rep.from'), rg.range.fromDay, invalid(issues, 'from'))}${dateInput('to', t('rep.to'), rg.range.toDay, invalid(issues, 'to'))}
${select('agent', t('rep.agents-filter'), (await rs.acd.agents()).map((a) => ({ value: a.id, label: a.name })), p.value?.agent ?? [], { multiple: true })}
${select('queue', t('rep.queues'), (await rs.acd.queues()).map((q) => ({ value: q.id, label: q.name })), p.value?.queue ?? [], { multiple: true })}`,
      issues,
    );
    if (!p.value || issues.length) {
      if (csv) res.status(422).type('text/plain').send(issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
      else page(req, res, 422, section(c, 'report-agents', 'rep.agents', form));
      return;
    }
    const r = await rs.acd.agentReport({ from: rg.range.from, to: rg.range.to, agentIds: p.value.agent, queueIds: p.value.queue });
    const query = qs({ from: rg.range.fromDay, to: rg.range.toDay, agent: p.value.agent, queue: p.value.queue });
    if (csv) sendCsv(res, `agents-${rg.range.fromDay}-${rg.range.toDay}.csv`, agentCsv(c, r));
    else page(req, res, 200, section(c, 'report-agents', 'rep.agents', agentView(c, r, form, `/reports/agents.csv?${query}`)));
  }

  async function ivr(req: Request, res: Response, csv: boolean): Promise<void> {
    const c = ctx(res);
    const t = rt(c);
    const p = parse(IvrQuery, req);
    const rg = range(rs, s.clock.now(), p.value ?? {}, 366);
    const issues = [...p.issues, ...rg.issues];
    const flows = await rs.ivr.flows();
    const form = queryForm(
      c,
      '/reports/ivr',
      html`${dateInput('from', t('rep.from'), rg.range.fromDay, invalid(issues, 'from'))}${dateInput('to', t('rep.to'), rg.range.toDay, invalid(issues, 'to'))}
${select('flow', t('rep.flow'), [{ value: '', label: t('rep.all') }, ...flows.map((f) => ({ value: f.id, label: f.name }))], [p.value?.flow ?? ''])}`,
      issues,
    );
    if (!p.value || issues.length) {
      if (csv) res.status(422).type('text/plain').send(issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
      else page(req, res, 422, section(c, 'report-ivr', 'rep.ivr', form));
      return;
    }
    const r = await rs.ivr.traffic({ fromDay: rg.range.fromDay, toDay: rg.range.toDay, ...(p.value.flow && { flowId: p.value.flow }) });
    const query = qs({ from: rg.range.fromDay, to: rg.range.toDay, flow: p.value.flow });
    if (csv) sendCsv(res, `ivr-${rg.range.fromDay}-${rg.range.toDay}.csv`, ivrCsv(c, r));
    else page(req, res, 200, section(c, 'report-ivr', 'rep.ivr', ivrView(c, r, form, `/reports/ivr.csv?${query}`)));
  }

  async function workorders(req: Request, res: Response, csv: boolean): Promise<void> {
    const c = ctx(res);
    const t = rt(c);
    const p = parse(WoQuery, req);
    const rg = range(rs, s.clock.now(), p.value ?? {}, 366);
    const issues = [...p.issues, ...rg.issues];
    const types = await rs.workorders.types();
    const form = queryForm(
      c,
      '/reports/workorders',
      html`${dateInput('from', t('rep.from'), rg.range.fromDay, invalid(issues, 'from'))}${dateInput('to', t('rep.to'), rg.range.toDay, invalid(issues, 'to'))}
${select('by', t('rep.group-by'), WorkOrderDimensions.map((d) => ({ value: d, label: t(`rep.by.${d}`) })), [p.value?.by ?? 'type'], { invalid: invalid(issues, 'by') })}
${select('type', t('rep.type'), [{ value: '', label: t('rep.all') }, ...types.map((x) => ({ value: x.id, label: x.name }))], [p.value?.type ?? ''])}`,
      issues,
    );
    if (!p.value || issues.length) {
      if (csv) res.status(422).type('text/plain').send(issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
      else page(req, res, 422, section(c, 'report-workorders', 'rep.workorders', form));
      return;
    }
    const r = await rs.workorders.summary({ from: rg.range.from, to: rg.range.to, by: p.value.by, now: s.clock.now(), ...(p.value.type && { typeId: p.value.type }) });
    const query = qs({ from: rg.range.fromDay, to: rg.range.toDay, by: p.value.by, type: p.value.type });
    if (csv) sendCsv(res, `workorders-${p.value.by}-${rg.range.fromDay}-${rg.range.toDay}.csv`, woCsv(c, r));
    else page(req, res, 200, section(c, 'report-workorders', 'rep.workorders', woView(c, r, form, `/reports/workorders.csv?${query}`)));
  }

  const index = async (req: Request, res: Response): Promise<void> => {
    const c = ctx(res);
    const t = rt(c);
    const user = c.user!;
    const saved = await rs.definitions.listVisible({ userId: user.id, roles: user.roles });
    const std: Array<[string, ReportMessageKey, ReportMessageKey]> = [
      ['/reports/acd', 'rep.acd', 'rep.acd.desc'],
      ['/reports/agents', 'rep.agents', 'rep.agents.desc'],
      ['/reports/ivr', 'rep.ivr', 'rep.ivr.desc'],
      ['/reports/workorders', 'rep.workorders', 'rep.workorders.desc'],
    ];
    const canCreate = c.access?.permissions.can('reports', 'create') ?? false;
    page(
      req,
      res,
      200,
      html`<section class="reports" id="reports-index"><h1>${t('rep.title')}</h1>
<h2>${t('rep.standard')}</h2><ul class="report-list">${std.map(([href, title, desc]) => html`<li><a href="${href}" hx-get="${href}" hx-target="#main" hx-push-url="true">${t(title)}</a> — ${t(desc)}</li>`)}</ul>
<h2>${t('rep.custom.list')}</h2>
${saved.length
  ? html`<ul class="custom-list" id="custom-reports">${saved.map((r) => html`<li data-report="${r.id}"><a href="${`/reports/custom/${r.id}`}" hx-get="${`/reports/custom/${r.id}`}" hx-target="#main" hx-push-url="true">${r.name}</a> · ${t(`ds.${r.dataset}` as ReportMessageKey)} · ${r.mine ? t('rep.custom.mine') : t('rep.custom.shared-with-me')}</li>`)}</ul>`
  : html`<p>${t('rep.custom.none')}</p>`}
${canCreate ? html`<p><a href="/reports/custom/new" hx-get="/reports/custom/new" hx-target="#main" hx-push-url="true" id="new-custom">${t('rep.custom.new')}</a></p>` : ''}
</section>`,
    );
  };

  return [
    { method: 'get', path: '/reports', access: ['reports', 'view'], handler: index },
    { method: 'get', path: '/reports/acd', access: ['reports', 'view'], handler: (req, res) => acd(req, res, false) },
    { method: 'get', path: '/reports/acd.csv', access: ['reports', 'export'], handler: (req, res) => acd(req, res, true) },
    { method: 'get', path: '/reports/agents', access: ['reports', 'view'], handler: (req, res) => agents(req, res, false) },
    { method: 'get', path: '/reports/agents.csv', access: ['reports', 'export'], handler: (req, res) => agents(req, res, true) },
    { method: 'get', path: '/reports/ivr', access: ['reports', 'view'], handler: (req, res) => ivr(req, res, false) },
    { method: 'get', path: '/reports/ivr.csv', access: ['reports', 'export'], handler: (req, res) => ivr(req, res, true) },
    { method: 'get', path: '/reports/workorders', access: ['reports', 'view'], handler: (req, res) => workorders(req, res, false) },
    { method: 'get', path: '/reports/workorders.csv', access: ['reports', 'export'], handler: (req, res) => workorders(req, res, true) },
  ];
}
