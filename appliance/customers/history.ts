/**
 * A customer's history (issue 8 "Customers": "history (calls, work orders, surveys)"): calls,
 * work orders, IVR survey scores and callback visits in one list, newest first, paged with a
 * keyset cursor. The customer module owns no call, survey or work-order data, so each kind comes
 * through a HistorySource port that the daemon's wiring fills (telephony's CDRs, the IVR's
 * survey table, the work-order store): customers never import telephony code (DESIGN.md).
 *
 * Order: (at DESC, kind DESC, id DESC), a total order, so paging neither skips nor repeats an
 * entry even when several share a millisecond. A cursor is that triple of the last entry sent;
 * `windowFor` turns it into what one source must return ("strictly after the cursor" for its
 * own kind). Every source is asked for limit + 1 entries; the merge keeps `limit` and knows
 * whether more exist.
 *
 * Calls are found by the spellings of the customer's numbers as a trunk or phone may deliver
 * them (`phoneSpellings`: national, trunk 0, +86, 0086, 86 before a mobile, the bare subscriber
 * for a landline in the site's own area), since CDRs keep the number as it arrived.
 */
import { ValidationError } from '../core/errors.js';
import type { Customer } from './model.js';
import type { PhoneNumber } from './phone.js';

export const HistoryKinds = ['call', 'survey', 'visit', 'workorder'] as const;
export type HistoryKind = (typeof HistoryKinds)[number];

export interface CallEntry {
  kind: 'call';
  id: string;
  at: number;
  direction: 'inbound' | 'outbound' | 'internal';
  /** The customer's number as the CDR has it. */
  number: string;
  /** The other end: the called number of an inbound call, the caller of an outbound one. */
  otherParty: string;
  answered: boolean;
  durationMs: number;
  endedAt: number;
  /** Where routing sent it (queue id, IVR flow, extension). */
  targetKind: string | null;
  target: string | null;
}

export interface WorkOrderEntry {
  kind: 'workorder';
  id: string;
  at: number;
  number: string;
  typeId: string;
  status: string;
  source: string;
  priority: string;
  title: string;
  closedAt: number | null;
  visitResult: string | null;
}

export interface SurveyEntry {
  kind: 'survey';
  /** `<callId> <survey>`: one entry per survey taken in one call. */
  id: string;
  at: number;
  callId: string;
  survey: string;
  scores: { question: string; score: number }[];
  average: number;
  queue: string | null;
  agentId: string | null;
}

export interface VisitEntry {
  kind: 'visit';
  id: string;
  /** When the visit ended, or when it was selected while still open. */
  at: number;
  orderId: string;
  orderNumber: string;
  status: string;
  result: string | null;
  reason: string | null;
  agentId: string | null;
  attempts: number;
}

export type HistoryEntry = CallEntry | WorkOrderEntry | SurveyEntry | VisitEntry;

export interface HistoryCursor {
  at: number;
  kind: HistoryKind;
  id: string;
}

/**
 * What one source returns for a page: entries ordered (at DESC, id DESC) that come after the
 * cursor. `tie` says what to do with entries at exactly `at`: `all` (the cursor's kind sorts
 * after this one), `none` (it sorts before), or only ids below `idBelow` (the same kind).
 */
export type HistoryWindow = null | { at: number; tie: 'all' | 'none' | { idBelow: string } };

export interface HistoryQuery {
  customerId: string;
  /** Every spelling of every number of the customer (phoneSpellings). */
  numbers: readonly string[];
  window: HistoryWindow;
  limit: number;
}

/** The port: one per kind, filled by the daemon's wiring. */
export interface HistorySource {
  readonly kind: HistoryKind;
  list(q: HistoryQuery): HistoryEntry[];
}

/** The slice of a source's window for kind `k` after `c` (see the file header). */
export function windowFor(k: HistoryKind, c: HistoryCursor | null): HistoryWindow {
  if (c === null) return null;
  if (k < c.kind) return { at: c.at, tie: 'all' };
  if (k > c.kind) return { at: c.at, tie: 'none' };
  return { at: c.at, tie: { idBelow: c.id } };
}

/** Descending by (at, kind, id). */
export function compareEntries(a: Pick<HistoryEntry, 'at' | 'kind' | 'id'>, b: Pick<HistoryEntry, 'at' | 'kind' | 'id'>): number {
  if (a.at !== b.at) return b.at - a.at;
  if (a.kind !== b.kind) return a.kind < b.kind ? 1 : -1;
  return a.id === b.id ? 0 : a.id < b.id ? 1 : -1;
}

export function encodeCursor(c: HistoryCursor): string {
  return Buffer.from(JSON.stringify([c.at, c.kind, c.id]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): HistoryCursor {
  const bad = () => new ValidationError('bad cursor', [{ path: 'cursor', message: 'not a cursor this list gave out' }]);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v.length !== 3) throw bad();
  const [at, kind, id] = v as unknown[];
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || typeof id !== 'string' || !(HistoryKinds as readonly unknown[]).includes(kind)) throw bad();
  return { at, kind: kind as HistoryKind, id };
}

/** Spellings of one normalised number that a CDR may hold (see the file header). */
export function phoneSpellings(p: PhoneNumber, siteAreaCode: string | null = null): string[] {
  const out = new Set<string>([p.key]);
  switch (p.kind) {
    case 'mobile':
      for (const s of [`0${p.key}`, `+86${p.key}`, `86${p.key}`, `0086${p.key}`]) out.add(s);
      break;
    case 'landline':
      for (const s of [`0${p.key}`, `+86${p.key}`, `0086${p.key}`]) out.add(s);
      if (siteAreaCode !== null && p.areaCode === `0${siteAreaCode.replace(/^0/, '')}`) out.add(p.subscriber);
      break;
    case 'international':
      out.add(`00${p.key.slice(1)}`);
      break;
    case 'service':
      break;
  }
  return [...out];
}

export interface HistoryPage {
  items: HistoryEntry[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

export interface CustomerHistoryDeps {
  /** The customer (NotFoundError when unknown). */
  customer(id: string): Pick<Customer, 'id' | 'phones'>;
  /** Parses a stored phone key back into its parts (CustomerService.parsePhone). */
  parsePhone(key: string): PhoneNumber | null;
  sources: readonly HistorySource[];
  /** Area code of the site, for bare local numbers (`0371`). */
  siteAreaCode?: string | null;
}

export class CustomerHistory {
  constructor(private readonly deps: CustomerHistoryDeps) {}

  /** The kinds this appliance can show (a source is wired for each). */
  get kinds(): HistoryKind[] {
    return [...new Set(this.deps.sources.map((s) => s.kind))];
  }

  page(customerId: string, opts: { limit: number; cursor?: string; kinds?: readonly HistoryKind[] }): HistoryPage {
    const customer = this.deps.customer(customerId);
    const cursor = opts.cursor === undefined ? null : decodeCursor(opts.cursor);
    const numbers = customer.phones.flatMap((ph) => {
      // A stored key is the national number without its trunk 0: a landline key parses with it.
      const parsed = [ph.number, `0${ph.number}`].map((s) => this.deps.parsePhone(s)).find((p) => p?.key === ph.number);
      return parsed ? phoneSpellings(parsed, this.deps.siteAreaCode ?? null) : [ph.number];
    });
    const wanted = opts.kinds && opts.kinds.length > 0 ? new Set(opts.kinds) : null;
    const merged: HistoryEntry[] = [];
    for (const s of this.deps.sources) {
      if (wanted && !wanted.has(s.kind)) continue;
      merged.push(...s.list({ customerId: customer.id, numbers: [...new Set(numbers)], window: windowFor(s.kind, cursor), limit: opts.limit + 1 }));
    }
    merged.sort(compareEntries);
    const items = merged.slice(0, opts.limit);
    const last = items.at(-1);
    return { items, nextCursor: merged.length > opts.limit && last ? encodeCursor({ at: last.at, kind: last.kind, id: last.id }) : null };
  }
}
