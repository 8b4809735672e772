/**
 * The registrar's and the SIP security's store ports on SQLite (store/migrations/0010):
 * extensions, bindings and bans. Queries are built with Kysely (typed against store/schema.ts),
 * compiled, and run synchronously on better-sqlite3 through SyncQueries, so a REGISTER's binding
 * changes commit (one transaction, synchronous=FULL) before its 200 OK leaves: a phone told it is
 * registered stays registered across a power cut (RELIABILITY.md D1).
 */
import type { Selectable } from 'kysely';
import { systemClock } from '../../core/clock.js';
import type { Store } from '../../store/database.js';
import { ReadCache, tableWritten } from '../../store/read-cache.js';
import type { SipBindingsTable, SipExtensionsTable } from '../../store/schema.js';
import { SyncQueries } from '../../store/sync-query.js';
import type { Ban, BanStore } from '../security/index.js';
import type { Binding, BindingStore } from './bindings.js';

export type ExtensionRow = Selectable<SipExtensionsTable>;
type BindingRow = Selectable<SipBindingsTable>;

export interface ExtensionRecord {
  number: string;
  displayName: string;
  authUser: string;
  realm: string;
  ha1Md5: string;
  ha1Sha256: string;
  enabled: boolean;
  maxContacts: number;
  createdAt: number;
  updatedAt: number;
}

/** Port used by ExtensionService. */
export interface ExtensionStore {
  getExtension(number: string): ExtensionRecord | null;
  extensionByAuthUser(authUser: string): ExtensionRecord | null;
  listExtensions(): ExtensionRecord[];
  insertExtension(r: ExtensionRecord): void;
  updateExtension(r: ExtensionRecord): void;
  deleteExtension(number: string): boolean;
}

function toRecord(r: ExtensionRow): ExtensionRecord {
  return {
    number: r.number,
    displayName: r.display_name,
    authUser: r.auth_user,
    realm: r.realm,
    ha1Md5: r.ha1_md5,
    ha1Sha256: r.ha1_sha256,
    enabled: r.enabled === 1,
    maxContacts: r.max_contacts,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toBinding(r: BindingRow): Binding {
  return {
    aor: r.aor,
    contactKey: r.contact_key,
    contact: r.contact,
    callId: r.call_id,
    cseq: r.cseq,
    q: r.q,
    expiresAt: r.expires_at,
    registeredAt: r.registered_at,
    source: { protocol: r.protocol, host: r.source_host, port: r.source_port, connectionId: r.connection_id },
    userAgent: r.user_agent,
  };
}

export class SqliteSipStore implements ExtensionStore, BindingStore, BanStore {
  private readonly q: SyncQueries;
  /**
   * Extensions by auth user, for the Digest check of every REGISTER and INVITE (in the sip-cps
   * profile the per-request SELECT was 2.5 % of the main thread). A change made here is seen at
   * once (tableWritten); one made by another connection (the CLI) within a second (store/read-cache.ts).
   */
  private readonly byAuthUser: ReadCache<Map<string, ExtensionRecord>>;

  constructor(
    private readonly store: Pick<Store, 'sqlite' | 'db'>,
    now: () => number = () => systemClock.now(),
  ) {
    this.q = new SyncQueries(store.sqlite);
    this.byAuthUser = new ReadCache(store.sqlite, ['sip_extensions'], () => new Map(this.listExtensions().map((r) => [r.authUser, r])), { now });
  }

  private get db(): Store['db'] {
    return this.store.db;
  }

  // ---- extensions ----

  getExtension(number: string): ExtensionRecord | null {
    const r = this.q.first(this.db.selectFrom('sip_extensions').selectAll().where('number', '=', number).compile());
    return r ? toRecord(r) : null;
  }

  extensionByAuthUser(authUser: string): ExtensionRecord | null {
    const r = this.byAuthUser.get().get(authUser);
    return r ? { ...r } : null;
  }

  listExtensions(): ExtensionRecord[] {
    return this.q.all(this.db.selectFrom('sip_extensions').selectAll().orderBy('number').compile()).map(toRecord);
  }

  insertExtension(r: ExtensionRecord): void {
    this.q.run(
      this.db
        .insertInto('sip_extensions')
        .values({
          number: r.number,
          display_name: r.displayName,
          auth_user: r.authUser,
          realm: r.realm,
          ha1_md5: r.ha1Md5,
          ha1_sha256: r.ha1Sha256,
          enabled: r.enabled ? 1 : 0,
          max_contacts: r.maxContacts,
          created_at: r.createdAt,
          updated_at: r.updatedAt,
        })
        .compile(),
    );
    tableWritten(this.store.sqlite, 'sip_extensions');
  }

  updateExtension(r: ExtensionRecord): void {
    this.q.run(
      this.db
        .updateTable('sip_extensions')
        .set({
          display_name: r.displayName,
          auth_user: r.authUser,
          realm: r.realm,
          ha1_md5: r.ha1Md5,
          ha1_sha256: r.ha1Sha256,
          enabled: r.enabled ? 1 : 0,
          max_contacts: r.maxContacts,
          updated_at: r.updatedAt,
        })
        .where('number', '=', r.number)
        .compile(),
    );
    tableWritten(this.store.sqlite, 'sip_extensions');
  }

  deleteExtension(number: string): boolean {
    const deleted = this.q.run(this.db.deleteFrom('sip_extensions').where('number', '=', number).compile()) > 0;
    tableWritten(this.store.sqlite, 'sip_extensions');
    return deleted;
  }

  // ---- bindings ----

  loadBindings(): Binding[] {
    return this.q.all(this.db.selectFrom('sip_bindings').selectAll().orderBy('aor').orderBy('registered_at').compile()).map(toBinding);
  }

  /** Apply one REGISTER's changes atomically. */
  writeBindings(upserts: readonly Binding[], deletes: ReadonlyArray<{ aor: string; contactKey: string }>): void {
    this.store.sqlite.transaction(() => {
      for (const d of deletes) this.q.run(this.db.deleteFrom('sip_bindings').where('aor', '=', d.aor).where('contact_key', '=', d.contactKey).compile());
      for (const b of upserts) {
        const values = {
          aor: b.aor,
          contact_key: b.contactKey,
          contact: b.contact,
          call_id: b.callId,
          cseq: b.cseq,
          q: b.q,
          expires_at: b.expiresAt,
          registered_at: b.registeredAt,
          protocol: b.source.protocol,
          source_host: b.source.host,
          source_port: b.source.port,
          connection_id: b.source.connectionId,
          user_agent: b.userAgent,
        };
        const { aor: _a, contact_key: _k, ...rest } = values;
        this.q.run(this.db.insertInto('sip_bindings').values(values).onConflict((oc) => oc.columns(['aor', 'contact_key']).doUpdateSet(rest)).compile());
      }
    })();
  }

  // ---- bans ----

  loadBans(): Ban[] {
    return this.q.all(this.db.selectFrom('sip_bans').selectAll().compile()).map((r) => ({ ip: r.ip, reason: r.reason, since: r.since, until: r.until }));
  }

  saveBan(b: Ban): void {
    this.q.run(
      this.db
        .insertInto('sip_bans')
        .values({ ip: b.ip, reason: b.reason, since: b.since, until: b.until })
        .onConflict((oc) => oc.column('ip').doUpdateSet({ reason: b.reason, since: b.since, until: b.until }))
        .compile(),
    );
  }

  deleteBan(ip: string): void {
    this.q.run(this.db.deleteFrom('sip_bans').where('ip', '=', ip).compile());
  }
}
