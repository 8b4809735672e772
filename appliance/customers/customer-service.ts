/**
 * The customer service (issue 8 "Customers"): what the REST routes, the control panel, the ACD
 * (tier) and the screen pop (caller lookup) call.
 *
 *   - Phone numbers are stored normalised (phone.ts); `lookupByPhone` normalises the caller's
 *     number the same way and probes one index.
 *   - Tiers come from the rule set (tier.ts), re-evaluated whenever a customer or the rule set
 *     changes, and stored so the ACD reads a column, not a rule engine.
 *   - Corrections made at the hotline are versioned edits (stale version → ConflictError),
 *     kept one row per changed field with who, when, from where and why, exportable as CSV,
 *     and they win over billing syncs until billing agrees (then they are `confirmed`).
 *   - Billing records (billing-sync.ts) are applied by `applyBillingRecord`.
 *
 * Every write is one IMMEDIATE transaction; bus events go out after the commit. Time comes
 * from the injected Clock. This module never imports telephony code.
 */
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { zodIssues } from '../core/config.js';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import { csvCell } from '../ops/audit.js';
import type { Store } from '../store/database.js';
import './customer-events.js';
import { CustomerStore, type AccountRow, type CorrectionRow, type CustomerRow, type PhoneRow } from './customer-store.js';
import type { Address, CallerMatch, Correction, CorrectionStatus, Customer, CustomerActor, CustomerKind } from './model.js';
import { parsePhone, type PhoneNumber, type PhoneOptions } from './phone.js';
import {
  CreateCustomerSchema,
  UpdateCustomerSchema,
  type BillingRecord,
  type CreateCustomerInput,
  type UpdateCustomerInput,
} from './schemas.js';
import { defaultTierRules, evaluateTier, TierRuleSetSchema, type Attributes, type AttrValue, type TierResult, type TierRuleSet } from './tier.js';

export interface CustomerServiceDeps {
  store: Pick<Store, 'sqlite' | 'db'>;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  /** Site numbering: area code for bare local numbers (e.g. `0371`). */
  phone?: PhoneOptions;
}

export interface TierRulesView {
  rules: TierRuleSet;
  version: number;
  updatedAt: number | null;
  updatedBy: string | null;
}

export interface CustomerTierView extends TierResult {
  attributes: Attributes;
}

export interface CorrectionQuery {
  customerId?: string;
  status?: CorrectionStatus;
  from?: number;
  to?: number;
  limit?: number;
  afterId?: number;
}

export type BillingOutcome = 'created' | 'updated' | 'unchanged';

export interface BillingApplyResult {
  customerId: string;
  outcome: BillingOutcome;
  /** Fields whose hotline correction was kept over the billing value. */
  keptCorrections: string[];
  /** Fields whose pending correction billing now agrees with. */
  confirmedCorrections: string[];
  /** Phone numbers from billing that could not be parsed. */
  badPhones: string[];
}

export const CORRECTION_CSV_COLUMNS = ['id', 'at', 'customer_id', 'billing_ref', 'field', 'before', 'after', 'reason', 'actor', 'ip', 'status'] as const;

/** Profile fields a correction can name (besides `attributes.*`, `phone:±…`, `address`). */
const ProfileFields = ['name', 'kind', 'vip', 'criticalLoad', 'notes'] as const;
type ProfileField = (typeof ProfileFields)[number];

interface Profile {
  name: string;
  kind: CustomerKind;
  vip: boolean;
  criticalLoad: boolean;
  notes: string;
}

const parseAttrs = (s: string): Record<string, AttrValue> => JSON.parse(s) as Record<string, AttrValue>;

function profileOf(r: CustomerRow): Profile {
  return { name: r.name, kind: r.kind, vip: r.vip === 1, criticalLoad: r.critical_load === 1, notes: r.notes };
}

function profileColumns(p: Partial<Profile>): Partial<Pick<CustomerRow, 'name' | 'kind' | 'vip' | 'critical_load' | 'notes'>> {
  return {
    ...(p.name !== undefined && { name: p.name }),
    ...(p.kind !== undefined && { kind: p.kind }),
    ...(p.vip !== undefined && { vip: p.vip ? 1 : 0 }),
    ...(p.criticalLoad !== undefined && { critical_load: p.criticalLoad ? 1 : 0 }),
    ...(p.notes !== undefined && { notes: p.notes }),
  };
}

/** The flat attribute map tier rules see: stored attributes plus profile flags and account sums. */
export function tierAttributes(r: Pick<CustomerRow, 'kind' | 'vip' | 'critical_load' | 'attributes'>, accounts: readonly Pick<AccountRow, 'arrears_cents' | 'monthly_kwh' | 'status'>[]): Attributes {
  const attrs = parseAttrs(r.attributes);
  const arrearsCents = accounts.reduce((s, a) => s + a.arrears_cents, 0);
  const kwh = accounts.reduce((s, a) => s + a.monthly_kwh, 0);
  return {
    ...attrs,
    kind: r.kind,
    vip: r.vip === 1,
    criticalLoad: r.critical_load === 1,
    arrearsYuan: arrearsCents / 100,
    monthlyKwh: typeof attrs['monthlyKwh'] === 'number' ? attrs['monthlyKwh'] : kwh,
    accountCount: accounts.length,
    activeAccounts: accounts.filter((a) => a.status === 'active').length,
  };
}

export class CustomerService {
  readonly cs: CustomerStore;
  private rules: TierRulesView | null = null;

  constructor(private readonly deps: CustomerServiceDeps) {
    this.cs = new CustomerStore(deps.store);
  }

  /** The same service publishing on another bus (imports hold events back until their commit). */
  withBus(bus: EventBus): CustomerService {
    return new CustomerService({ ...this.deps, bus });
  }

  /** What a worker thread needs to build the same service on its own connection (customer-import-thread.ts). */
  threadOptions(): { file: string; phone: PhoneOptions | undefined } {
    return { file: this.deps.store.sqlite.name, phone: this.deps.phone };
  }

  // ------------------------------------------------------------------ phone numbers

  /** Normalise a number as the site does (default area code from deps). */
  parsePhone(raw: string): PhoneNumber | null {
    const r = parsePhone(raw, this.deps.phone);
    return r.ok ? r.phone : null;
  }

  /**
   * The screen pop: customers owning the caller's number. An unparseable number (withheld,
   * garbage CLI) gives no matches, never an error.
   */
  lookupByPhone(raw: string): { phone: PhoneNumber | null; matches: CallerMatch[] } {
    const phone = this.parsePhone(raw);
    if (!phone) return { phone: null, matches: [] };
    return {
      phone,
      matches: this.cs.callers(phone.key).map((r) => ({ customerId: r.customer_id, name: r.name, tier: r.tier, kind: r.kind, phoneLabel: r.label })),
    };
  }

  findByAccount(accountNo: string): Customer {
    const a = this.cs.getAccount(accountNo.trim());
    if (!a) throw new NotFoundError('account', accountNo);
    return this.get(a.customer_id);
  }

  findByMeter(meterNo: string): Customer[] {
    const ids = [...new Set(this.cs.accountsByMeter(meterNo.trim()).map((a) => a.customer_id))];
    return ids.map((id) => this.get(id));
  }

  /** Customers with an address in areas whose code starts with `areaPrefix` (outage notices). */
  customersInArea(areaPrefix: string, limit = 10_000): string[] {
    return this.cs.customersInArea(areaPrefix, Math.min(Math.max(limit, 1), 100_000));
  }

  // ------------------------------------------------------------------ customers

  create(input: CreateCustomerInput, actor: CustomerActor): Customer {
    const c = this.parseWithPhones(CreateCustomerSchema, input, 'customer', [['phones', 'number']]);
    const issues: FieldIssue[] = [];
    const phones = c.phones.map((p, i) => {
      const r = parsePhone(p.number, this.deps.phone);
      if (!r.ok) issues.push({ path: `phones.${i}.number`, message: `not a phone number (${r.problem})` });
      if (p.contact !== undefined && p.contact >= c.contacts.length)
        issues.push({ path: `phones.${i}.contact`, message: `no contact ${p.contact} in contacts` });
      return r.ok ? { ...p, phone: r.phone } : null;
    });
    const seenAccounts = new Set<string>();
    c.accounts.forEach((a, i) => {
      if (seenAccounts.has(a.accountNo)) issues.push({ path: `accounts.${i}.accountNo`, message: 'listed twice' });
      else if (this.cs.getAccount(a.accountNo)) issues.push({ path: `accounts.${i}.accountNo`, message: `account ${a.accountNo} belongs to another customer` });
      seenAccounts.add(a.accountNo);
    });
    if (c.billingRef !== undefined && this.cs.getByBillingRef(c.billingRef))
      issues.push({ path: 'billingRef', message: `billing customer ${c.billingRef} already exists` });
    if (issues.length > 0) throw new ValidationError('invalid customer', issues);

    const { clock } = this.deps;
    const id = newId('cus', clock);
    this.cs.transaction(() => {
      const now = clock.now();
      this.cs.insertCustomer({
        id,
        billing_ref: c.billingRef ?? null,
        name: c.name,
        kind: c.kind,
        vip: c.vip ? 1 : 0,
        critical_load: c.criticalLoad ? 1 : 0,
        attributes: JSON.stringify(c.attributes),
        tier_rule: null,
        notes: c.notes,
        created_at: now,
        updated_at: now,
        synced_at: null,
      });
      const contactIds = c.contacts.map((ct) => {
        const cid = newId('ct', clock);
        this.cs.insertContact({ id: cid, customer_id: id, name: ct.name, relation: ct.relation });
        return cid;
      });
      for (const p of phones) {
        if (!p) continue;
        this.insertPhone(id, p.phone, p.label, p.contact === undefined ? null : (contactIds[p.contact] ?? null));
      }
      c.addresses.forEach((a, i) => {
        this.cs.insertAddress({ id: newId('addr', clock), customer_id: id, text: a.text, area_code: a.areaCode, is_primary: a.primary || (i === 0 && !c.addresses.some((x) => x.primary)) ? 1 : 0 });
      });
      for (const a of c.accounts) this.upsertAccount(id, a, now);
      this.retier(id);
    });
    this.deps.bus.publish('customer.profile.created', { customerId: id, actor: actor.id, source: 'hotline' });
    return this.get(id);
  }

  get(id: string): Customer {
    const r = this.cs.getCustomer(id);
    if (!r) throw new NotFoundError('customer', id);
    return {
      id: r.id,
      billingRef: r.billing_ref,
      name: r.name,
      kind: r.kind,
      vip: r.vip === 1,
      criticalLoad: r.critical_load === 1,
      attributes: parseAttrs(r.attributes),
      tier: r.tier,
      tierRule: r.tier_rule,
      notes: r.notes,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      syncedAt: r.synced_at,
      version: r.version,
      accounts: this.cs.accountsOf(id).map((a) => ({
        accountNo: a.account_no,
        meterNo: a.meter_no,
        status: a.status,
        arrearsCents: a.arrears_cents,
        monthlyKwh: a.monthly_kwh,
      })),
      contacts: this.cs.contactsOf(id).map((c) => ({ id: c.id, name: c.name, relation: c.relation })),
      phones: this.cs.phonesOf(id).map((p) => ({
        number: p.number,
        kind: p.kind,
        areaCode: p.area_code,
        display: this.displayOf(p),
        contactId: p.contact_id,
        label: p.label,
      })),
      addresses: this.cs.addressesOf(id).map((a) => ({ id: a.id, text: a.text, areaCode: a.area_code, primary: a.is_primary === 1 })),
    };
  }

  /**
   * A correction at the hotline. `input.version` must be the version the agent saw; every
   * field that really changes becomes one correction row (with the reason), earlier pending
   * corrections of the same field are superseded, and the tier is re-evaluated.
   */
  update(id: string, input: UpdateCustomerInput, actor: CustomerActor): { customer: Customer; corrections: Correction[] } {
    const u = this.parseWithPhones(UpdateCustomerSchema, input, 'customer correction', [['addPhones', 'number'], ['removePhones', null]]);
    const issues: FieldIssue[] = [];
    const add = (u.addPhones ?? []).map((p, i) => {
      const r = parsePhone(p.number, this.deps.phone);
      if (!r.ok) issues.push({ path: `addPhones.${i}.number`, message: `not a phone number (${r.problem})` });
      return r.ok ? { phone: r.phone, label: p.label } : null;
    });
    const remove = (u.removePhones ?? []).map((n, i) => {
      const r = parsePhone(n, this.deps.phone);
      if (!r.ok) issues.push({ path: `removePhones.${i}`, message: `not a phone number (${r.problem})` });
      return r.ok ? r.phone.key : null;
    });
    if (issues.length > 0) throw new ValidationError('invalid customer correction', issues);

    const ids: number[] = [];
    let tierChange: { from: string; to: string } | null = null;
    this.cs.transaction(() => {
      const row = this.cs.getCustomer(id);
      if (!row) throw new NotFoundError('customer', id);
      if (row.version !== u.version)
        throw new ConflictError(`customer ${id} has changed (version ${row.version}, you edited ${u.version}); reload it`);
      const now = this.deps.clock.now();
      const changes: { field: string; before: unknown; after: unknown }[] = [];
      const current = profileOf(row);
      const patch: Partial<Profile> = {};
      for (const f of ProfileFields) {
        const v = u[f];
        if (v !== undefined && !isDeepStrictEqual(v, current[f])) {
          (patch as Record<ProfileField, unknown>)[f] = v;
          changes.push({ field: f, before: current[f], after: v });
        }
      }
      const attrs = parseAttrs(row.attributes);
      let attrsChanged = false;
      for (const [k, v] of Object.entries(u.attributes ?? {})) {
        const before = Object.hasOwn(attrs, k) ? attrs[k]! : null;
        if (isDeepStrictEqual(before, v)) continue;
        if (v === null) delete attrs[k];
        else attrs[k] = v;
        attrsChanged = true;
        changes.push({ field: `attributes.${k}`, before, after: v });
      }
      const have = new Map(this.cs.phonesOf(id).map((p) => [p.number, p]));
      add.forEach((p) => {
        if (!p || have.has(p.phone.key)) return;
        this.insertPhone(id, p.phone, p.label, null);
        have.set(p.phone.key, { number: p.phone.key } as PhoneRow);
        changes.push({ field: `phone:+${p.phone.key}`, before: null, after: { number: p.phone.key, label: p.label } });
      });
      remove.forEach((key, i) => {
        if (key === null) return;
        const old = have.get(key);
        if (!old) {
          issues.push({ path: `removePhones.${i}`, message: 'the customer has no such number' });
          return;
        }
        this.cs.deletePhone(id, key);
        have.delete(key);
        changes.push({ field: `phone:-${key}`, before: { number: key, label: old.label }, after: null });
      });
      if (issues.length > 0) throw new ValidationError('invalid customer correction', issues);
      if (u.address) {
        const primary = this.cs.addressesOf(id).find((a) => a.is_primary === 1);
        const before = primary ? { text: primary.text, areaCode: primary.area_code } : null;
        const after = { text: u.address.text, areaCode: u.address.areaCode };
        if (!isDeepStrictEqual(before, after)) {
          this.replacePrimaryAddress(id, after);
          changes.push({ field: 'address', before, after });
        }
      }
      if (changes.length === 0) return;
      const updated = this.cs.updateVersioned(id, row.version, {
        ...profileColumns(patch),
        ...(attrsChanged && { attributes: JSON.stringify(attrs) }),
        updated_at: now,
      });
      if (updated !== 1) throw new ConflictError(`customer ${id} has changed; reload it`);
      const pending = this.cs.pendingCorrections(id);
      for (const ch of changes) {
        const opposite = ch.field.startsWith('phone:') ? `phone:${ch.field[6] === '+' ? '-' : '+'}${ch.field.slice(7)}` : null;
        for (const p of pending) if (p.field === ch.field || p.field === opposite) this.cs.resolveCorrection(p.id, 'superseded', now);
        ids.push(
          this.cs.insertCorrection({
            customer_id: id,
            at: now,
            actor: actor.id,
            actor_ip: actor.ip ?? null,
            field: ch.field,
            before: JSON.stringify(ch.before),
            after: JSON.stringify(ch.after),
            reason: u.reason,
            resolved_at: null,
          }),
        );
      }
      tierChange = this.retier(id);
    });
    const corrections = ids.length === 0 ? [] : this.corrections({ customerId: id, afterId: ids[0]! - 1, limit: ids.length });
    if (ids.length > 0) {
      this.deps.bus.publish('customer.profile.corrected', { customerId: id, actor: actor.id, fields: corrections.map((c) => c.field) });
    }
    this.publishTier(id, tierChange);
    return { customer: this.get(id), corrections };
  }

  // ------------------------------------------------------------------ tiers

  tierRules(): TierRulesView {
    if (!this.rules) {
      const r = this.cs.tierRules();
      this.rules = r
        ? { rules: TierRuleSetSchema.parse(JSON.parse(r.rules)), version: r.version, updatedAt: r.updated_at, updatedBy: r.updated_by }
        : { rules: defaultTierRules, version: 0, updatedAt: null, updatedBy: null };
    }
    return this.rules;
  }

  /** The tier of one customer, with the attributes the rules saw. */
  tier(id: string): CustomerTierView {
    const r = this.cs.getCustomer(id);
    if (!r) throw new NotFoundError('customer', id);
    const attributes = tierAttributes(r, this.cs.accountsOf(id));
    return { ...evaluateTier(this.tierRules().rules, attributes), attributes };
  }

  /**
   * Replace the rule set (validated; stale `expectedVersion` → ConflictError) and re-evaluate
   * every customer's tier in the same transaction. Returns how many tiers changed.
   */
  setTierRules(input: unknown, expectedVersion: number, actor: CustomerActor): { view: TierRulesView; changed: number } {
    const parsed = TierRuleSetSchema.safeParse(input);
    if (!parsed.success) throw new ValidationError('invalid tier rules', zodIssues(parsed.error));
    const set = parsed.data;
    let changed = 0;
    this.cs.transaction(() => {
      const cur = this.cs.tierRules();
      const version = cur?.version ?? 0;
      if (version !== expectedVersion) throw new ConflictError(`tier rules have changed (version ${version}, you edited ${expectedVersion}); reload them`);
      const now = this.deps.clock.now();
      this.cs.saveTierRules(JSON.stringify(set), version + 1, now, actor.id);
      this.rules = { rules: set, version: version + 1, updatedAt: now, updatedBy: actor.id };
      let after = '';
      for (;;) {
        const ids = this.cs.customerIdsAfter(after, 1000);
        for (const cid of ids) if (this.retier(cid)) changed++;
        if (ids.length < 1000) break;
        after = ids[ids.length - 1]!;
      }
    });
    this.rules = null; // re-read on next use (also drops the cache if the transaction rolled back)
    this.deps.bus.publish('customer.tier-rules.changed', { version: this.tierRules().version, actor: actor.id, changed });
    return { view: this.tierRules(), changed };
  }

  // ------------------------------------------------------------------ corrections

  corrections(q: CorrectionQuery = {}): Correction[] {
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
    return this.cs
      .corrections({
        limit,
        ...(q.customerId !== undefined && { customerId: q.customerId }),
        ...(q.status !== undefined && { status: q.status }),
        ...(q.from !== undefined && { from: q.from }),
        ...(q.to !== undefined && { to: q.to }),
        ...(q.afterId !== undefined && { afterId: q.afterId }),
      })
      .map(toCorrection);
  }

  /**
   * Corrections as CSV (RFC 4180, CRLF, formula-looking cells neutralised), oldest first, for
   * the billing department to apply upstream.
   */
  exportCorrectionsCsv(q: Omit<CorrectionQuery, 'limit' | 'afterId'> = {}): string {
    const lines: string[] = [CORRECTION_CSV_COLUMNS.join(',')];
    const refs = new Map<string, string>();
    let afterId: number | undefined;
    for (;;) {
      const page = this.corrections({ ...q, limit: 1000, ...(afterId !== undefined && { afterId }) });
      for (const c of page) {
        if (!refs.has(c.customerId)) refs.set(c.customerId, this.cs.getCustomer(c.customerId)?.billing_ref ?? '');
        lines.push(
          [
            String(c.id),
            new Date(c.at).toISOString(),
            c.customerId,
            refs.get(c.customerId) ?? '',
            c.field,
            c.before === null ? '' : JSON.stringify(c.before),
            c.after === null ? '' : JSON.stringify(c.after),
            c.reason,
            c.actor,
            c.actorIp ?? '',
            c.status,
          ]
            .map(csvCell)
            .join(','),
        );
      }
      if (page.length < 1000) break;
      afterId = page[page.length - 1]!.id;
    }
    return lines.join('\r\n') + '\r\n';
  }

  // ------------------------------------------------------------------ billing

  /**
   * Apply one billing record. Call inside `cs.transaction` (billing-sync.ts does, one page at a
   * time). Fields with a pending hotline correction keep the corrected value unless billing now
   * agrees, which confirms the correction.
   */
  applyBillingRecord(rec: BillingRecord): BillingApplyResult {
    const now = this.deps.clock.now();
    const badPhones: string[] = [];
    const phones = new Map<string, PhoneNumber>();
    for (const raw of rec.phones) {
      const p = this.parsePhone(raw);
      if (p) phones.set(p.key, p);
      else badPhones.push(raw);
    }
    const existing = this.cs.getByBillingRef(rec.customerNo);
    if (!existing) {
      const id = newId('cus', this.deps.clock);
      this.cs.insertCustomer({
        id,
        billing_ref: rec.customerNo,
        name: rec.name,
        kind: rec.kind,
        vip: rec.vip ? 1 : 0,
        critical_load: rec.criticalLoad ? 1 : 0,
        attributes: JSON.stringify(rec.attributes),
        tier_rule: null,
        created_at: now,
        updated_at: now,
        synced_at: now,
      });
      for (const p of phones.values()) this.insertPhone(id, p, 'billing', null);
      if (rec.address) this.replacePrimaryAddress(id, rec.address);
      for (const a of rec.accounts) this.upsertAccount(id, a, now);
      this.retier(id);
      return { customerId: id, outcome: 'created', keptCorrections: [], confirmedCorrections: [], badPhones };
    }

    const id = existing.id;
    const kept: string[] = [];
    const confirmed: string[] = [];
    const pending = new Map<string, CorrectionRow>();
    for (const c of this.cs.pendingCorrections(id)) pending.set(c.field, c);
    /** The value to store for `field`: billing's, unless a pending correction says otherwise. */
    const decide = <T>(field: string, billing: T, current: T): T => {
      const p = pending.get(field);
      if (!p) return billing;
      const corrected = p.after === null ? null : (JSON.parse(p.after) as unknown);
      if (isDeepStrictEqual(corrected, billing)) {
        this.cs.resolveCorrection(p.id, 'confirmed', now);
        confirmed.push(field);
        return billing;
      }
      kept.push(field);
      return current;
    };

    const cur = profileOf(existing);
    const next: Profile = {
      name: decide('name', rec.name, cur.name),
      kind: decide('kind', rec.kind, cur.kind),
      vip: decide('vip', rec.vip, cur.vip),
      criticalLoad: decide('criticalLoad', rec.criticalLoad, cur.criticalLoad),
      notes: cur.notes,
    };
    const curAttrs = parseAttrs(existing.attributes);
    const nextAttrs: Record<string, AttrValue> = { ...rec.attributes };
    for (const field of pending.keys()) {
      if (!field.startsWith('attributes.')) continue;
      const k = field.slice('attributes.'.length);
      const v = decide(field, Object.hasOwn(rec.attributes, k) ? rec.attributes[k]! : null, Object.hasOwn(curAttrs, k) ? curAttrs[k]! : null);
      if (v === null) delete nextAttrs[k];
      else nextAttrs[k] = v;
    }

    // Phones: billing's set, plus numbers the hotline added, minus numbers it removed.
    const want = new Set(phones.keys());
    for (const [field, p] of pending) {
      if (!field.startsWith('phone:')) continue;
      const key = field.slice(7);
      const added = field[6] === '+';
      if (added === want.has(key)) {
        this.cs.resolveCorrection(p.id, 'confirmed', now);
        confirmed.push(field);
      } else {
        kept.push(field);
        if (added) want.add(key);
        else want.delete(key);
      }
    }
    const havePhones = this.cs.phonesOf(id);
    let phonesChanged = false;
    for (const p of havePhones) {
      if (!want.has(p.number)) {
        this.cs.deletePhone(id, p.number);
        phonesChanged = true;
      }
    }
    const haveKeys = new Set(havePhones.map((p) => p.number));
    for (const key of want) {
      if (haveKeys.has(key)) continue;
      const p = phones.get(key) ?? phoneFromKey(key);
      if (!p) continue;
      this.insertPhone(id, p, 'billing', null);
      phonesChanged = true;
    }

    const primary = this.cs.addressesOf(id).find((a) => a.is_primary === 1);
    const curAddress = primary ? { text: primary.text, areaCode: primary.area_code } : null;
    const nextAddress = decide('address', rec.address, curAddress);
    const addressChanged = !isDeepStrictEqual(nextAddress, curAddress);
    if (addressChanged && nextAddress) this.replacePrimaryAddress(id, nextAddress);
    else if (addressChanged) this.cs.deletePrimaryAddresses(id);

    const accountsBefore = JSON.stringify(this.cs.accountsOf(id).map(({ updated_at: _u, address_id: _a, ...a }) => a));
    this.cs.deleteAccountsNotIn(id, rec.accounts.map((a) => a.accountNo));
    for (const a of rec.accounts) this.upsertAccount(id, a, now);
    const accountsChanged = JSON.stringify(this.cs.accountsOf(id).map(({ updated_at: _u, address_id: _a, ...a }) => a)) !== accountsBefore;

    const profileChanged = !isDeepStrictEqual(next, cur) || !isDeepStrictEqual(nextAttrs, curAttrs);
    const changed = profileChanged || phonesChanged || addressChanged || accountsChanged;
    if (changed) {
      this.cs.updateVersioned(id, existing.version, { ...profileColumns(next), attributes: JSON.stringify(nextAttrs), updated_at: now });
    }
    this.cs.updateSystem(id, { synced_at: now });
    this.retier(id);
    return { customerId: id, outcome: changed ? 'updated' : 'unchanged', keptCorrections: kept, confirmedCorrections: confirmed, badPhones };
  }

  // ------------------------------------------------------------------ helpers

  /**
   * parseWith, but when the schema fails the phone numbers are checked too, so one answer names
   * every failing field (a bad name and a bad number together).
   */
  private parseWithPhones<S extends z.ZodType>(schema: S, input: unknown, what: string, lists: [string, string | null][]): z.output<S> {
    const r = schema.safeParse(input);
    if (r.success) return r.data;
    const issues = zodIssues(r.error);
    const seen = new Set(issues.map((i) => i.path));
    for (const [list, key] of lists) {
      const items = (input as Record<string, unknown> | null)?.[list];
      if (!Array.isArray(items)) continue;
      items.forEach((item: unknown, i) => {
        const raw = key === null ? item : (item as Record<string, unknown> | null)?.[key];
        const path = key === null ? `${list}.${i}` : `${list}.${i}.${key}`;
        if (typeof raw !== 'string' || seen.has(path)) return;
        const p = parsePhone(raw, this.deps.phone);
        if (!p.ok) issues.push({ path, message: `not a phone number (${p.problem})` });
      });
    }
    throw new ValidationError(`invalid ${what}`, issues);
  }

  /** Re-evaluate and store one customer's tier; returns the change, or null. */
  private retier(id: string): { from: string; to: string } | null {
    const r = this.cs.getCustomer(id);
    if (!r) return null;
    const t = evaluateTier(this.tierRules().rules, tierAttributes(r, this.cs.accountsOf(id)));
    if (t.tier === r.tier && t.ruleId === r.tier_rule) return null;
    this.cs.updateSystem(id, { tier: t.tier, tier_rule: t.ruleId });
    return t.tier === r.tier ? null : { from: r.tier, to: t.tier };
  }

  private publishTier(id: string, change: { from: string; to: string } | null): void {
    if (change) this.deps.bus.publish('customer.tier.changed', { customerId: id, from: change.from, to: change.to });
  }

  private insertPhone(customerId: string, p: PhoneNumber, label: string, contactId: string | null): void {
    this.cs.insertPhone({ number: p.key, customer_id: customerId, kind: p.kind, area_code: p.areaCode, contact_id: contactId, label });
  }

  private replacePrimaryAddress(customerId: string, a: Pick<Address, 'text' | 'areaCode'>): void {
    this.cs.deletePrimaryAddresses(customerId);
    this.cs.insertAddress({ id: newId('addr', this.deps.clock), customer_id: customerId, text: a.text, area_code: a.areaCode, is_primary: 1 });
  }

  private upsertAccount(customerId: string, a: BillingRecord['accounts'][number], now: number): void {
    this.cs.upsertAccount({
      account_no: a.accountNo,
      customer_id: customerId,
      meter_no: a.meterNo,
      status: a.status,
      arrears_cents: a.arrearsCents,
      monthly_kwh: a.monthlyKwh,
      address_id: null,
      updated_at: now,
    });
  }

  private displayOf(p: PhoneRow): string {
    return phoneFromKey(p.number)?.display ?? p.number;
  }
}

/** A stored key back to a number: `+CC…` abroad, mobile and service keys as they are, landlines under +86. */
function phoneFromKey(key: string): PhoneNumber | null {
  const direct = parsePhone(key);
  if (direct.ok && (key.startsWith('+') || direct.phone.key === key)) return direct.phone;
  const national = parsePhone(`+86${key}`);
  return national.ok ? national.phone : null;
}

function toCorrection(r: CorrectionRow): Correction {
  return {
    id: r.id,
    customerId: r.customer_id,
    at: r.at,
    actor: r.actor,
    actorIp: r.actor_ip,
    field: r.field,
    before: r.before === null ? null : (JSON.parse(r.before) as unknown),
    after: r.after === null ? null : (JSON.parse(r.after) as unknown),
    reason: r.reason,
    status: r.status,
    resolvedAt: r.resolved_at,
  };
}
