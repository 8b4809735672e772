/**
 * Trunk configurations in SQLite (`sip_trunks`, migration 0017): one row per trunk, its
 * configuration as JSON. Rows are checked again with TrunkSchema when read: a row that no
 * longer validates is skipped and reported in `issues`, never half-used.
 */
import type { FieldIssue } from '../../core/errors.js';
import type { Store } from '../../store/database.js';
import { readJsonConfig } from '../../store/json-config.js';
import { SyncQueries } from '../../store/sync-query.js';
import { TrunkSchema, type TrunkConfig, type TrunkInput } from './trunk-schema.js';

type TrunkTables = {
  sip_trunks: { id: string; config: string; enabled: number; created_at: number; updated_at: number };
};

export interface TrunkStorePort {
  list(): TrunkConfig[];
  get(id: string): TrunkConfig | null;
  save(input: TrunkInput): TrunkConfig;
  remove(id: string): boolean;
}

export class SqliteTrunkStore implements TrunkStorePort {
  issues: FieldIssue[] = [];
  private readonly q: SyncQueries;

  constructor(
    private readonly store: Pick<Store, 'sqlite' | 'db'>,
    private readonly now: () => number,
  ) {
    this.q = new SyncQueries(store.sqlite);
  }

  private get db() {
    return this.store.db.withTables<TrunkTables>();
  }

  list(): TrunkConfig[] {
    const rows = this.q.all(this.db.selectFrom('sip_trunks').select(['id', 'config']).orderBy('id').compile());
    this.issues = [];
    const out: TrunkConfig[] = [];
    for (const r of rows) {
      const t = this.parse(r.id, r.config);
      if (t) out.push(t);
    }
    return out;
  }

  get(id: string): TrunkConfig | null {
    const r = this.q.first(this.db.selectFrom('sip_trunks').select(['id', 'config']).where('id', '=', id).compile());
    return r ? this.parse(r.id, r.config) : null;
  }

  save(input: TrunkInput): TrunkConfig {
    const t = TrunkSchema.parse(input);
    const now = this.now();
    const values = { id: t.id, config: JSON.stringify(t), enabled: t.enabled ? 1 : 0, created_at: now, updated_at: now };
    this.q.run(
      this.db
        .insertInto('sip_trunks')
        .values(values)
        .onConflict((oc) => oc.column('id').doUpdateSet({ config: values.config, enabled: values.enabled, updated_at: now }))
        .compile(),
    );
    return t;
  }

  remove(id: string): boolean {
    return this.q.run(this.db.deleteFrom('sip_trunks').where('id', '=', id).compile()) > 0;
  }

  private parse(id: string, json: string): TrunkConfig | null {
    const r = readJsonConfig(TrunkSchema, `sip_trunks.${id}`, json);
    if (r.ok) return r.value;
    this.issues.push(...r.issues);
    return null;
  }
}

/** In memory (tests, a daemon without a database). */
export class MemoryTrunkStore implements TrunkStorePort {
  private readonly rows = new Map<string, TrunkConfig>();

  list(): TrunkConfig[] {
    return [...this.rows.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): TrunkConfig | null {
    return this.rows.get(id) ?? null;
  }

  save(input: TrunkInput): TrunkConfig {
    const t = TrunkSchema.parse(input);
    this.rows.set(t.id, t);
    return t;
  }

  remove(id: string): boolean {
    return this.rows.delete(id);
  }
}
