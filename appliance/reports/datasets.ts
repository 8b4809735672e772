/**
 * Running a custom report definition (definition.ts): load the dataset's facts for the date
 * range from the owning domain service (acd, workorders, ivr), then filter, group and
 * aggregate in memory. Each fact has dimension values (one value, or several for an order
 * assigned to several departments: the fact then counts once per value, as in the standard
 * report) and additive components; every measure is computed from the summed components, so a
 * ratio over a group is the ratio of sums, with the formulas of ../shared/METRICS.md §3
 * (metrics.ts) and workorders/reports.ts, named in the result.
 */
import { periodLabel, periodStart } from '../acd/report-rollup.js';
import type { AcdReports } from '../acd/reports.js';
import { abandonRate, averageHandleTime, averageSpeedOfAnswer, emptyCounts, serviceLevel, type QueueCounts } from '../acd/metrics.js';
import type { IvrReports } from '../ivr/reports.js';
import { isOverdue, WORKORDER_FORMULAS, type WorkOrderReports } from '../workorders/reports.js';
import { Catalogue, type DatasetName, type ReportDefinition, type ReportRange } from './definition.js';

export interface DatasetSources {
  acd: AcdReports;
  workorders: WorkOrderReports;
  ivr: IvrReports;
  utcOffsetMinutes: number;
}

interface Fact {
  dims: Record<string, string | readonly string[]>;
  parts: Record<string, number>;
}

interface MeasureDef {
  formula: string;
  compute(p: Record<string, number>): number | null;
}

export interface ReportColumn {
  key: string;
  kind: 'dimension' | 'measure';
  formula?: string;
}

export interface ReportResultRow {
  dims: string[];
  /** Display names of the dimension values (a queue's name, a type's name…). */
  labels: string[];
  values: Array<number | null>;
}

export interface ReportResult {
  dataset: DatasetName;
  from: number;
  to: number;
  columns: ReportColumn[];
  rows: ReportResultRow[];
  /** Groups beyond `limit` that were left out. */
  truncated: number;
}

const DAY = 86_400_000;
const sec = (ms: number | null): number | null => (ms === null ? null : ms / 1000);
const ratio = (a: number, b: number): number | null => (b > 0 ? (a / b) * 100 : null);
const avg = (a: number, n: number): number | null => (n > 0 ? a / n : null);
const sumOf = (key: string): MeasureDef => ({ formula: `Σ ${key}`, compute: (p) => p[key] ?? 0 });

function counts(p: Record<string, number>): QueueCounts {
  const c = emptyCounts();
  for (const k of Object.keys(c) as Array<keyof QueueCounts>) c[k] = p[k] ?? 0;
  return c;
}

const MEASURES: { [D in DatasetName]: Record<(typeof Catalogue)[D]['measures'][number], MeasureDef> } = {
  'acd-intervals': {
    offered: sumOf('offered'),
    answered: sumOf('answered'),
    answeredWithin: sumOf('answeredWithin'),
    abandoned: sumOf('abandoned'),
    abandonedShort: sumOf('abandonedShort'),
    callbacks: sumOf('callbacks'),
    overflowed: sumOf('overflowed'),
    handled: sumOf('handled'),
    serviceLevelPct: { formula: serviceLevel(emptyCounts(), 'recommended').formula, compute: (p) => serviceLevel(counts(p), 'recommended').value },
    answeredOnlySlPct: { formula: serviceLevel(emptyCounts(), 'answered-only').formula, compute: (p) => serviceLevel(counts(p), 'answered-only').value },
    sl2Pct: { formula: serviceLevel(emptyCounts(), 'sl2').formula, compute: (p) => serviceLevel(counts(p), 'sl2').value },
    asaSec: { formula: averageSpeedOfAnswer(emptyCounts()).formula, compute: (p) => sec(averageSpeedOfAnswer(counts(p)).value) },
    ahtSec: { formula: averageHandleTime(emptyCounts()).formula, compute: (p) => sec(averageHandleTime(counts(p)).ahtMs) },
    abandonPct: { formula: abandonRate(emptyCounts()).headline.formula, compute: (p) => abandonRate(counts(p)).headline.value },
  },
  'agent-calls': {
    calls: sumOf('calls'),
    talkSec: { formula: 'Σ talk', compute: (p) => (p['talkMs'] ?? 0) / 1000 },
    holdSec: { formula: 'Σ hold', compute: (p) => (p['holdMs'] ?? 0) / 1000 },
    acwSec: { formula: 'Σ ACW', compute: (p) => (p['acwMs'] ?? 0) / 1000 },
    avgTalkSec: { formula: 'Σ talk / calls', compute: (p) => sec(avg(p['talkMs'] ?? 0, p['calls'] ?? 0)) },
    ahtSec: { formula: '(talk + hold + ACW) / handled', compute: (p) => sec(avg((p['talkMs'] ?? 0) + (p['holdMs'] ?? 0) + (p['acwMs'] ?? 0), p['calls'] ?? 0)) },
  },
  workorders: {
    count: sumOf('count'),
    open: sumOf('open'),
    closed: sumOf('closed'),
    overdue: { formula: WORKORDER_FORMULAS.overdue, compute: (p) => p['overdue'] ?? 0 },
    breached: sumOf('breached'),
    slaCompliancePct: { formula: WORKORDER_FORMULAS.slaCompliance, compute: (p) => ratio((p['closed'] ?? 0) - (p['closedBreached'] ?? 0), p['closed'] ?? 0) },
    satisfactionPct: { formula: WORKORDER_FORMULAS.satisfaction, compute: (p) => ratio(p['satisfied'] ?? 0, (p['satisfied'] ?? 0) + (p['dissatisfied'] ?? 0)) },
    avgResolveHours: { formula: 'Σ (closed − created) / closed', compute: (p) => { const v = avg(p['resolveMs'] ?? 0, p['resolved'] ?? 0); return v === null ? null : v / 3_600_000; } },
  },
  'ivr-traffic': {
    visits: sumOf('visits'),
    abandons: sumOf('abandons'),
    leavePct: { formula: 'abandons / visits × 100', compute: (p) => ratio(p['abandons'] ?? 0, p['visits'] ?? 0) },
  },
};

export function measureFormula(dataset: DatasetName, measure: string): string {
  return (MEASURES[dataset] as Record<string, MeasureDef>)[measure]?.formula ?? '';
}

/** [from, to) in UTC ms for a range of local days. */
export function resolveRange(range: ReportRange, now: number, utcOffsetMinutes: number): { from: number; to: number } {
  if (range.kind === 'fixed') {
    const off = utcOffsetMinutes * 60_000;
    return { from: Date.parse(`${range.from}T00:00:00Z`) - off, to: Date.parse(`${range.to}T00:00:00Z`) + DAY - off };
  }
  const today = periodStart(now, 'day', utcOffsetMinutes);
  return { from: today - (range.days - 1) * DAY, to: today + DAY };
}

function timeDims(at: number, off: number): Record<string, string> {
  const local = new Date(at + off * 60_000);
  return {
    date: periodLabel(periodStart(at, 'day', off), 'day', off),
    week: periodLabel(periodStart(at, 'week', off), 'week', off),
    month: periodLabel(periodStart(at, 'month', off), 'month', off),
    hour: String(local.getUTCHours()).padStart(2, '0'),
    weekday: String(((local.getUTCDay() + 6) % 7) + 1),
    interval: periodLabel(periodStart(at, '15m', off), '15m', off),
  };
}

async function loadFacts(s: DatasetSources, dataset: DatasetName, from: number, to: number, now: number, names: Map<string, string>): Promise<Fact[]> {
  const off = s.utcOffsetMinutes;
  const name = (dim: string, id: string, label: string): void => void names.set(`${dim}\u0000${id}`, label);
  switch (dataset) {
    case 'acd-intervals': {
      for (const q of await s.acd.queues()) name('queue', q.id, q.name);
      const { rows } = await s.acd.baseIntervals(from, to);
      return rows.map((r) => {
        const { queueId: _q, intervalStart: _s, intervalMs: _m, serviceLevelMs: _t, shortAbandonMs: _a, agentsRequired: _r, ...parts } = r;
        return { dims: { queue: r.queueId, ...timeDims(r.intervalStart, off) }, parts };
      });
    }
    case 'agent-calls': {
      for (const q of await s.acd.queues()) name('queue', q.id, q.name);
      for (const a of await s.acd.agents()) name('agent', a.id, a.name);
      return (await s.acd.callFacts(from, to)).map((c) => ({
        dims: { agent: c.agentId, queue: c.queueId, ...timeDims(c.at, off) },
        parts: { calls: 1, talkMs: c.talkMs, holdMs: c.holdMs, acwMs: c.acwMs },
      }));
    }
    case 'workorders': {
      const facts = await s.workorders.facts(from, to);
      return facts.map((f) => {
        name('type', f.typeId, f.typeName);
        if (f.categoryId) name('category', f.categoryId, f.categoryName);
        for (const d of f.departments) name('department', d.id, d.name);
        const closed = f.status === 'closed' || f.status === 'visited';
        const t = timeDims(f.createdAt, off);
        return {
          dims: {
            type: f.typeId,
            category: f.categoryId,
            department: f.departments.length ? f.departments.map((d) => d.id) : '',
            priority: f.priority,
            source: f.source,
            status: f.status,
            slaState: f.slaState,
            visitResult: f.visitResult ?? '',
            date: t['date']!,
            month: t['month']!,
          },
          parts: {
            count: 1,
            open: !closed && f.status !== 'cancelled' ? 1 : 0,
            closed: closed ? 1 : 0,
            overdue: isOverdue(f, now) ? 1 : 0,
            breached: f.slaState === 'breached' ? 1 : 0,
            closedBreached: closed && f.slaState === 'breached' ? 1 : 0,
            satisfied: f.visitResult === 'satisfied' ? 1 : 0,
            dissatisfied: f.visitResult === 'dissatisfied' ? 1 : 0,
            resolveMs: closed && f.closedAt !== null ? f.closedAt - f.createdAt : 0,
            resolved: closed && f.closedAt !== null ? 1 : 0,
          },
        };
      });
    }
    case 'ivr-traffic': {
      for (const f of await s.ivr.flows()) name('flow', f.id, f.name);
      const fromDay = periodLabel(from, 'day', off);
      const toDay = periodLabel(to - DAY, 'day', off);
      return (await s.ivr.facts(fromDay, toDay)).map((f) => ({
        dims: { flow: f.flowId, node: f.nodeId, verb: f.verb ?? '', date: f.day, month: f.day.slice(0, 7) },
        parts: { visits: f.visits, abandons: f.abandons },
      }));
    }
  }
}

function matches(value: string | readonly string[], op: 'eq' | 'ne' | 'in', values: readonly string[]): boolean {
  const vs = typeof value === 'string' ? [value] : value;
  switch (op) {
    case 'eq':
    case 'in':
      return vs.some((v) => values.includes(v));
    case 'ne':
      return !vs.some((v) => values.includes(v));
  }
}

/** Every combination of the fact's values of `dims` (multi-valued dims expand). */
function combinations(fact: Fact, dims: readonly string[]): string[][] {
  let out: string[][] = [[]];
  for (const d of dims) {
    const v = fact.dims[d] ?? '';
    const vs = typeof v === 'string' ? [v] : v.length ? v : [''];
    out = out.flatMap((prefix) => vs.map((x) => [...prefix, x]));
  }
  return out;
}

export async function runReport(s: DatasetSources, def: ReportDefinition, now: number): Promise<ReportResult> {
  const { from, to } = resolveRange(def.range, now, s.utcOffsetMinutes);
  const names = new Map<string, string>();
  const facts = (await loadFacts(s, def.dataset, from, to, now, names)).filter((f) => def.filters.every((flt) => matches(f.dims[flt.field] ?? '', flt.op, flt.values)));
  const groups = new Map<string, { dims: string[]; parts: Record<string, number> }>();
  for (const f of facts) {
    for (const combo of combinations(f, def.dimensions)) {
      const key = combo.join('\u0000');
      let g = groups.get(key);
      if (!g) {
        g = { dims: combo, parts: {} };
        groups.set(key, g);
      }
      for (const [k, v] of Object.entries(f.parts)) g.parts[k] = (g.parts[k] ?? 0) + v;
    }
  }
  const measures = MEASURES[def.dataset] as Record<string, MeasureDef>;
  let rows: ReportResultRow[] = [...groups.values()].map((g) => ({
    dims: g.dims,
    labels: g.dims.map((v, i) => names.get(`${def.dimensions[i]}\u0000${v}`) ?? v),
    values: def.measures.map((m) => measures[m]!.compute(g.parts)),
  }));
  const sortBy = def.sort ?? (def.dimensions.length ? { by: def.dimensions[0]!, dir: 'asc' as const } : { by: def.measures[0]!, dir: 'desc' as const });
  const di = def.dimensions.indexOf(sortBy.by);
  const mi = def.measures.indexOf(sortBy.by);
  const sign = sortBy.dir === 'asc' ? 1 : -1;
  rows.sort((a, b) => {
    if (di >= 0) return sign * a.dims[di]!.localeCompare(b.dims[di]!);
    const x = a.values[mi] ?? -Infinity;
    const y = b.values[mi] ?? -Infinity;
    return sign * (x - y) || a.dims.join().localeCompare(b.dims.join());
  });
  const truncated = Math.max(0, rows.length - def.limit);
  rows = rows.slice(0, def.limit);
  return {
    dataset: def.dataset,
    from,
    to,
    columns: [
      ...def.dimensions.map((key): ReportColumn => ({ key, kind: 'dimension' })),
      ...def.measures.map((key): ReportColumn => ({ key, kind: 'measure', formula: measures[key]!.formula })),
    ],
    rows,
    truncated,
  };
}
