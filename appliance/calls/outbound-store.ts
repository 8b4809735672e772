/**
 * Outbound routes and classes of service in SQLite (`outbound_routes`, `class_of_service`,
 * migration 0017). A route row holds its configuration as JSON, checked again with
 * OutboundRouteSchema when read (a row that no longer validates is skipped and reported in
 * `issues`). An extension without a class-of-service row is `internal`: it cannot dial out until
 * an administrator says so (issue 3: toll-fraud guards, "international blocked by default").
 */
import type { FieldIssue } from '../core/errors.js';
import type { Store } from '../store/database.js';
import { readJsonConfig } from '../store/json-config.js';
import { SyncQueries } from '../store/sync-query.js';
import { OutboundRouteSchema, type ClassOfService, type OutboundRoute, type OutboundRouteInput } from './outbound-routes.js';

type OutboundTables = {
  outbound_routes: { id: string; priority: number; config: string; enabled: number; created_at: number; updated_at: number };
  class_of_service: { extension: string; class: ClassOfService; updated_at: number };
};

export interface OutboundStorePort {
  routes(): OutboundRoute[];
  route(id: string): OutboundRoute | null;
  saveRoute(input: OutboundRouteInput): OutboundRoute;
  removeRoute(id: string): boolean;
  classOf(extension: string): ClassOfService;
  classes(): Array<{ extension: string; class: ClassOfService }>;
  setClass(extension: string, cls: ClassOfService): void;
  clearClass(extension: string): boolean;
}

export class SqliteOutboundStore implements OutboundStorePort {
  issues: FieldIssue[] = [];
  private readonly q: SyncQueries;

  constructor(
    private readonly store: Pick<Store, 'sqlite' | 'db'>,
    private readonly now: () => number,
  ) {
    this.q = new SyncQueries(store.sqlite);
  }

  private get db() {
    return this.store.db.withTables<OutboundTables>();
  }

  routes(): OutboundRoute[] {
    const rows = this.q.all(this.db.selectFrom('outbound_routes').select(['id', 'config']).orderBy('priority').orderBy('id').compile());
    this.issues = [];
    return rows.map((r) => this.parse(r.id, r.config)).filter((r): r is OutboundRoute => r !== null);
  }

  route(id: string): OutboundRoute | null {
    const r = this.q.first(this.db.selectFrom('outbound_routes').select(['id', 'config']).where('id', '=', id).compile());
    return r ? this.parse(r.id, r.config) : null;
  }

  saveRoute(input: OutboundRouteInput): OutboundRoute {
    const r = OutboundRouteSchema.parse(input);
    const now = this.now();
    const values = { id: r.id, priority: r.priority, config: JSON.stringify(r), enabled: r.enabled ? 1 : 0, created_at: now, updated_at: now };
    this.q.run(
      this.db
        .insertInto('outbound_routes')
        .values(values)
        .onConflict((oc) => oc.column('id').doUpdateSet({ priority: values.priority, config: values.config, enabled: values.enabled, updated_at: now }))
        .compile(),
    );
    return r;
  }

  removeRoute(id: string): boolean {
    return this.q.run(this.db.deleteFrom('outbound_routes').where('id', '=', id).compile()) > 0;
  }

  classOf(extension: string): ClassOfService {
    return this.q.first(this.db.selectFrom('class_of_service').select('class').where('extension', '=', extension).compile())?.class ?? 'internal';
  }

  classes(): Array<{ extension: string; class: ClassOfService }> {
    return this.q.all(this.db.selectFrom('class_of_service').select(['extension', 'class']).orderBy('extension').compile());
  }

  setClass(extension: string, cls: ClassOfService): void {
    const now = this.now();
    this.q.run(
      this.db
        .insertInto('class_of_service')
        .values({ extension, class: cls, updated_at: now })
        .onConflict((oc) => oc.column('extension').doUpdateSet({ class: cls, updated_at: now }))
        .compile(),
    );
  }

  clearClass(extension: string): boolean {
    return this.q.run(this.db.deleteFrom('class_of_service').where('extension', '=', extension).compile()) > 0;
  }

  private parse(id: string, json: string): OutboundRoute | null {
    const r = readJsonConfig(OutboundRouteSchema, `outbound_routes.${id}`, json);
    if (r.ok) return r.value;
    this.issues.push(...r.issues);
    return null;
  }
}
