/**
 * Versioned IVR flows in SQLite (store/migrations/0007-ivr.ts) through Kysely. Lifecycle:
 *
 *   saveDraft  → validated on save (FlowValidationError names node and field); replaces the
 *                flow's draft, or opens version max+1 as the draft
 *   publish    → re-validated (queues or prompts may have gone since the draft was saved); the
 *                published version becomes `retired`, the chosen one `published`, in one
 *                transaction — an invalid flow never replaces the live one
 *   rollback   → publish of an older (retired) version
 *
 * It implements FlowSource (`published`) for sub-flows and routing, and counts node traffic
 * (visits and abandons per day) from the IVR events for path reports.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../core/clock.js';
import { ConflictError, InvalidTransitionError, NotFoundError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Database, IvrFlowsTable } from '../store/schema.js';
import { FlowSchema, type Flow } from './flow-schema.js';
import type { FlowSource, ValidationCatalogue } from './ports.js';
import { assertValidFlow } from './validator.js';
import './events.js';

export const FlowStatuses = ['draft', 'published', 'retired'] as const;
export type FlowStatus = (typeof FlowStatuses)[number];

export interface FlowVersionInfo {
  flowId: string;
  version: number;
  name: string;
  status: FlowStatus;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  publishedAt: number | null;
  publishedBy: string | null;
}

export interface NodeTraffic {
  nodeId: string;
  visits: number;
  abandons: number;
}

type Row = Selectable<IvrFlowsTable>;

const DAY = 86_400_000;

export class FlowStore implements FlowSource {
  constructor(
    private readonly deps: {
      db: Kysely<Database>;
      clock: Clock;
      /** What names are checked against on save and publish. */
      catalogue: () => ValidationCatalogue;
      /** For the traffic `day` column (China: 480). */
      utcOffsetMinutes?: number;
    },
  ) {}

  /** Validate and store as the flow's draft; returns the draft's version. */
  async saveDraft(json: unknown, actor: string): Promise<{ flowId: string; version: number }> {
    const flow = assertValidFlow(json, this.deps.catalogue());
    const now = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (tx) => {
      const draft = await tx.selectFrom('ivr_flows').select('version').where('flow_id', '=', flow.id).where('status', '=', 'draft').executeTakeFirst();
      if (draft) {
        await tx
          .updateTable('ivr_flows')
          .set({ name: flow.name, definition: JSON.stringify({ ...flow, version: draft.version }), updated_at: now, created_by: actor })
          .where('flow_id', '=', flow.id)
          .where('version', '=', draft.version)
          .execute();
        return { flowId: flow.id, version: draft.version };
      }
      const max = await tx.selectFrom('ivr_flows').select((eb) => eb.fn.max('version').as('v')).where('flow_id', '=', flow.id).executeTakeFirst();
      const version = Number(max?.v ?? 0) + 1;
      await tx
        .insertInto('ivr_flows')
        .values({
          flow_id: flow.id,
          version,
          name: flow.name,
          status: 'draft',
          definition: JSON.stringify({ ...flow, version }),
          created_at: now,
          created_by: actor,
          updated_at: now,
          published_at: null,
          published_by: null,
        })
        .execute();
      return { flowId: flow.id, version };
    });
  }

  /** Make `version` the live one. Throws FlowValidationError if it no longer validates. */
  async publish(flowId: string, version: number, actor: string): Promise<void> {
    const row = await this.row(flowId, version);
    if (row.status === 'published') throw new InvalidTransitionError(`flow ${flowId} v${version}`, row.status, 'published');
    assertValidFlow(JSON.parse(row.definition), this.deps.catalogue());
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (tx) => {
      await tx.updateTable('ivr_flows').set({ status: 'retired', updated_at: now }).where('flow_id', '=', flowId).where('status', '=', 'published').execute();
      const r = await tx
        .updateTable('ivr_flows')
        .set({ status: 'published', published_at: now, published_by: actor, updated_at: now })
        .where('flow_id', '=', flowId)
        .where('version', '=', version)
        .where('status', '=', row.status)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new ConflictError(`flow ${flowId} v${version} changed while publishing`);
    });
  }

  /** Republish an older version (the current one is retired). */
  async rollback(flowId: string, toVersion: number, actor: string): Promise<void> {
    const row = await this.row(flowId, toVersion);
    if (row.status !== 'retired') throw new InvalidTransitionError(`flow ${flowId} v${toVersion}`, row.status, 'published');
    await this.publish(flowId, toVersion, actor);
  }

  async published(flowId: string): Promise<Flow | null> {
    const row = await this.deps.db.selectFrom('ivr_flows').selectAll().where('flow_id', '=', flowId).where('status', '=', 'published').executeTakeFirst();
    return row ? FlowSchema.parse(JSON.parse(row.definition)) : null;
  }

  async get(flowId: string, version: number): Promise<Flow> {
    return FlowSchema.parse(JSON.parse((await this.row(flowId, version)).definition));
  }

  async versions(flowId: string): Promise<FlowVersionInfo[]> {
    const rows = await this.deps.db.selectFrom('ivr_flows').selectAll().where('flow_id', '=', flowId).orderBy('version', 'desc').execute();
    return rows.map(info);
  }

  /** One line per flow: its published version, or its draft when never published. */
  async list(): Promise<FlowVersionInfo[]> {
    const rows = await this.deps.db.selectFrom('ivr_flows').selectAll().orderBy('flow_id').orderBy('version', 'desc').execute();
    const best = new Map<string, Row>();
    for (const r of rows) {
      const cur = best.get(r.flow_id);
      if (!cur || (r.status === 'published' && cur.status !== 'published')) best.set(r.flow_id, r);
    }
    return [...best.values()].map(info);
  }

  /** Count visits and abandons per node from the IVR events; returns the unsubscribe function. */
  recordTraffic(events: Pick<EventBus, 'on'>): () => void {
    const pending: Array<Promise<unknown>> = [];
    const bump = (flowId: string, version: number, nodeId: string, col: 'visits' | 'abandons'): void => {
      const day = this.day();
      const p = this.deps.db
        .insertInto('ivr_node_traffic')
        .values({ day, flow_id: flowId, version, node_id: nodeId, visits: col === 'visits' ? 1 : 0, abandons: col === 'abandons' ? 1 : 0 })
        .onConflict((oc) => oc.columns(['day', 'flow_id', 'version', 'node_id']).doUpdateSet((eb) => ({ [col]: eb(eb.ref(`ivr_node_traffic.${col}`), '+', 1) })))
        .execute();
      pending.push(p);
      void p.finally(() => pending.splice(pending.indexOf(p), 1)).catch(() => undefined);
    };
    const offVisit = events.on('ivr.node.visited', (e) => bump(e.payload.flowId, e.payload.flowVersion, e.payload.nodeId, 'visits'));
    const offAbandon = events.on('ivr.flow.abandoned', (e) => {
      const last = e.payload.lastNode;
      if (!last) return;
      const [flowId, nodeId] = last.includes(':') ? (last.split(':') as [string, string]) : [e.payload.flowId, last];
      bump(flowId, flowId === e.payload.flowId ? e.payload.flowVersion : 0, nodeId, 'abandons');
    });
    this.flushTraffic = async () => {
      await Promise.allSettled([...pending]);
    };
    return () => {
      offVisit();
      offAbandon();
    };
  }

  /** Resolves when traffic writes issued so far are done (tests, shutdown). */
  flushTraffic: () => Promise<void> = async () => undefined;

  async traffic(flowId: string, version: number, day: string): Promise<NodeTraffic[]> {
    const rows = await this.deps.db
      .selectFrom('ivr_node_traffic')
      .select(['node_id', 'visits', 'abandons'])
      .where('flow_id', '=', flowId)
      .where('version', '=', version)
      .where('day', '=', day)
      .orderBy('node_id')
      .execute();
    return rows.map((r) => ({ nodeId: r.node_id, visits: r.visits, abandons: r.abandons }));
  }

  /** Today's date for traffic rows, in the configured offset. */
  day(at = this.deps.clock.now()): string {
    return new Date(Math.floor((at + (this.deps.utcOffsetMinutes ?? 480) * 60_000) / DAY) * DAY).toISOString().slice(0, 10);
  }

  private async row(flowId: string, version: number): Promise<Row> {
    const row = await this.deps.db.selectFrom('ivr_flows').selectAll().where('flow_id', '=', flowId).where('version', '=', version).executeTakeFirst();
    if (!row) throw new NotFoundError('flow', `${flowId} v${version}`);
    return row;
  }
}

function info(r: Row): FlowVersionInfo {
  return {
    flowId: r.flow_id,
    version: r.version,
    name: r.name,
    status: r.status,
    createdAt: r.created_at,
    createdBy: r.created_by,
    updatedAt: r.updated_at,
    publishedAt: r.published_at,
    publishedBy: r.published_by,
  };
}
