/**
 * The customer vocabulary (issue 8 "Customers"; Henan 95598 [E 5.1] customer data: profile,
 * accounts, contacts). Enums are `as const` arrays stored as TEXT with a CHECK in
 * store/migrations/0008-customers-knowledge.ts; the lists must stay equal.
 */
import type { PhoneKind } from './phone.js';
import type { AttrValue, Tier } from './tier.js';

export const CustomerKinds = ['residential', 'business', 'industrial', 'public', 'other'] as const;
export type CustomerKind = (typeof CustomerKinds)[number];

export const AccountStatuses = ['active', 'suspended', 'closed'] as const;
export type AccountStatus = (typeof AccountStatuses)[number];

/** pending: the hotline's value wins over billing syncs; confirmed: billing now agrees; superseded: a later correction replaced it. */
export const CorrectionStatuses = ['pending', 'confirmed', 'superseded'] as const;
export type CorrectionStatus = (typeof CorrectionStatuses)[number];

export interface Account {
  /** 户号 */
  accountNo: string;
  /** 表号 */
  meterNo: string | null;
  status: AccountStatus;
  arrearsCents: number;
  monthlyKwh: number;
}

export interface Contact {
  id: string;
  name: string;
  relation: string;
}

export interface Phone {
  /** Normalised key (phone.ts). */
  number: string;
  kind: PhoneKind;
  areaCode: string | null;
  display: string;
  contactId: string | null;
  label: string;
}

export interface Address {
  id: string;
  text: string;
  /** Supply-area code (行政区划 / 供电所 / 台区), matched by prefix for outages. */
  areaCode: string;
  primary: boolean;
}

export interface Customer {
  id: string;
  billingRef: string | null;
  name: string;
  kind: CustomerKind;
  vip: boolean;
  criticalLoad: boolean;
  attributes: Record<string, AttrValue>;
  tier: Tier;
  tierRule: string | null;
  notes: string;
  createdAt: number;
  updatedAt: number;
  syncedAt: number | null;
  version: number;
  accounts: Account[];
  contacts: Contact[];
  phones: Phone[];
  addresses: Address[];
}

/** What the screen pop needs for a caller, from one index probe. */
export interface CallerMatch {
  customerId: string;
  name: string;
  tier: Tier;
  kind: CustomerKind;
  phoneLabel: string;
}

export interface Correction {
  id: number;
  customerId: string;
  at: number;
  actor: string;
  actorIp: string | null;
  /** `name`, `vip`, `attributes.monthlyKwh`, `phone:+13800138000`, `phone:-…`, `address`. */
  field: string;
  before: unknown;
  after: unknown;
  reason: string;
  status: CorrectionStatus;
  resolvedAt: number | null;
}

/** Who makes a change, recorded on corrections (and by the routes in the audit log). */
export interface CustomerActor {
  id: string;
  ip?: string | null;
}
