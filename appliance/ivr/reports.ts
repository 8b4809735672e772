/**
 * IVR traffic reports (issue 9 "Reports": IVR node traffic and exit points; SEEDS.md W 4.2 self
 * service). Read from the per-day node counters flow-store.ts keeps (ivr_node_traffic: visits
 * and abandons per node) and the stored flow definitions (for each node's verb).
 *
 * Per flow version over a day range:
 * - entries      = visits of the flow's start node
 * - to agent     = Σ visits of `enqueue` and `transfer` nodes
 * - abandoned    = Σ abandons (callers who hung up inside the IVR, at that node: "where callers leave")
 * - self-served  = entries − to agent − abandoned, floored at 0
 * - self-service completion rate = self-served / entries × 100
 * Counters are per node, not per call, so a caller who reaches two enqueue nodes counts twice
 * in "to agent"; the formula is shown with the figures.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export const SELF_SERVICE_FORMULA = '(entries − to agent − abandoned) / entries × 100';
const TO_AGENT_VERBS: ReadonlySet<string> = new Set(['enqueue', 'transfer']);

export interface IvrTrafficQuery {
  /** Local days, YYYY-MM-DD, inclusive. */
  fromDay: string;
  toDay: string;
  flowId?: string;
}

export interface IvrNodeRow {
  nodeId: string;
  verb: string | null;
  visits: number;
  abandons: number;
  /** abandons / visits × 100 */
  leavePct: number | null;
}

export interface IvrFlowTraffic {
  flowId: string;
  version: number;
  name: string;
  entries: number;
  toAgent: number;
  abandoned: number;
  selfServed: number;
  selfServicePct: number | null;
  nodes: IvrNodeRow[];
}

export interface IvrTrafficReport {
  query: IvrTrafficQuery;
  flows: IvrFlowTraffic[];
  formula: string;
}

/** One counter row, for custom reports. */
export interface IvrTrafficFact {
  day: string;
  flowId: string;
  version: number;
  nodeId: string;
  verb: string | null;
  visits: number;
  abandons: number;
}

interface FlowShape {
  name: string;
  start: string;
  verbs: Map<string, string>;
}

export class IvrReports {
  constructor(private readonly deps: { db: Kysely<Database> }) {}

  async flows(): Promise<Array<{ id: string; name: string }>> {
    const rows = await this.deps.db.selectFrom('ivr_flows').select(['flow_id', 'name']).orderBy('flow_id').orderBy('version', 'desc').execute();
    const seen = new Map<string, string>();
    for (const r of rows) if (!seen.has(r.flow_id)) seen.set(r.flow_id, r.name);
    return [...seen].map(([id, name]) => ({ id, name }));
  }

  async facts(fromDay: string, toDay: string, flowId?: string): Promise<IvrTrafficFact[]> {
    let q = this.deps.db.selectFrom('ivr_node_traffic').selectAll().where('day', '>=', fromDay).where('day', '<=', toDay);
    if (flowId) q = q.where('flow_id', '=', flowId);
    const rows = await q.orderBy('flow_id').orderBy('version').orderBy('day').orderBy('node_id').execute();
    const shapes = await this.shapes([...new Set(rows.map((r) => r.flow_id))]);
    return rows.map((r) => ({
      day: r.day,
      flowId: r.flow_id,
      version: r.version,
      nodeId: r.node_id,
      verb: shapes.get(`${r.flow_id}\u0000${r.version}`)?.verbs.get(r.node_id) ?? null,
      visits: r.visits,
      abandons: r.abandons,
    }));
  }

  async traffic(query: IvrTrafficQuery): Promise<IvrTrafficReport> {
    const facts = await this.facts(query.fromDay, query.toDay, query.flowId);
    const shapes = await this.shapes([...new Set(facts.map((f) => f.flowId))]);
    const byVersion = new Map<string, { flowId: string; version: number; nodes: Map<string, IvrNodeRow> }>();
    for (const f of facts) {
      const key = `${f.flowId}\u0000${f.version}`;
      let v = byVersion.get(key);
      if (!v) {
        v = { flowId: f.flowId, version: f.version, nodes: new Map() };
        byVersion.set(key, v);
      }
      const n = v.nodes.get(f.nodeId) ?? { nodeId: f.nodeId, verb: f.verb, visits: 0, abandons: 0, leavePct: null };
      n.visits += f.visits;
      n.abandons += f.abandons;
      v.nodes.set(f.nodeId, n);
    }
    const flows = [...byVersion.values()].map((v): IvrFlowTraffic => {
      const shape = shapes.get(`${v.flowId}\u0000${v.version}`);
      const nodes = [...v.nodes.values()].map((n) => ({ ...n, leavePct: n.visits > 0 ? (n.abandons / n.visits) * 100 : null }));
      nodes.sort((a, b) => b.visits - a.visits || a.nodeId.localeCompare(b.nodeId));
      const entries = shape ? (v.nodes.get(shape.start)?.visits ?? 0) : 0;
      const toAgent = nodes.filter((n) => n.verb !== null && TO_AGENT_VERBS.has(n.verb)).reduce((a, n) => a + n.visits, 0);
      const abandoned = nodes.reduce((a, n) => a + n.abandons, 0);
      const selfServed = Math.max(0, entries - toAgent - abandoned);
      return {
        flowId: v.flowId,
        version: v.version,
        name: shape?.name ?? v.flowId,
        entries,
        toAgent,
        abandoned,
        selfServed,
        selfServicePct: entries > 0 ? (selfServed / entries) * 100 : null,
        nodes,
      };
    });
    flows.sort((a, b) => a.flowId.localeCompare(b.flowId) || a.version - b.version);
    return { query, flows, formula: SELF_SERVICE_FORMULA };
  }

  private async shapes(flowIds: readonly string[]): Promise<Map<string, FlowShape>> {
    const out = new Map<string, FlowShape>();
    if (!flowIds.length) return out;
    const rows = await this.deps.db.selectFrom('ivr_flows').select(['flow_id', 'version', 'name', 'definition']).where('flow_id', 'in', flowIds).execute();
    for (const r of rows) {
      const def = JSON.parse(r.definition) as { start?: unknown; nodes?: Record<string, { verb?: unknown }> };
      const verbs = new Map<string, string>();
      for (const [id, node] of Object.entries(def.nodes ?? {})) if (typeof node.verb === 'string') verbs.set(id, node.verb);
      out.set(`${r.flow_id}\u0000${r.version}`, { name: r.name, start: typeof def.start === 'string' ? def.start : '', verbs });
    }
    return out;
  }
}
