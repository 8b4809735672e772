/**
 * The IVR's OutagePort (ivr/ports.ts): where a caller is, which outages cover that area, and
 * "notify me when restored" requests.
 *
 * Locating a caller (issue 7 "Outage announcements": "when the caller's account or area is
 * under a known outage"):
 *   1. the caller's number matches a customer (customers/CustomerService.lookupByPhone): the
 *      primary (else first) address's supply-area code and the first account;
 *   2. otherwise the number's landline area code (0371 …) through `areaCodeMap` (telephone
 *      area code → supply-area prefix, e.g. 0371 → 4101), so a caller from a Zhengzhou
 *      landline still hears about a city-wide outage;
 *   3. otherwise nothing is announced.
 * Outages come from the GIS adapter (gis-lookup.ts); a GIS failure is the caller's problem
 * only in that nothing is announced — the verb logs it and carries on to the menu.
 */
import type { Logger } from '../core/log.js';
import type { Customer, CallerMatch } from '../customers/model.js';
import type { PhoneNumber } from '../customers/phone.js';
import type { CallerLocation, OutageNotice, OutagePort } from '../ivr/ports.js';
import type { OutageNotifyStore } from './outage-notify-store.js';

/** What the outage service needs from customers (CustomerService satisfies it). */
export interface CustomerDirectory {
  lookupByPhone(raw: string): { phone: PhoneNumber | null; matches: CallerMatch[] };
  get(id: string): Customer;
}

export interface OutageSource {
  outages(q: { area: string }, signal: AbortSignal): Promise<OutageNotice[]>;
}

export interface OutageServiceDeps {
  gis: OutageSource;
  notify: Pick<OutageNotifyStore, 'request'>;
  customers?: CustomerDirectory;
  /** Telephone area code (with its 0) → supply-area prefix. */
  areaCodeMap?: Readonly<Record<string, string>>;
  log?: Logger;
}

export class OutageService implements OutagePort {
  constructor(private readonly deps: OutageServiceDeps) {}

  async locate(caller: string): Promise<CallerLocation> {
    const found = this.deps.customers?.lookupByPhone(caller);
    for (const m of found?.matches ?? []) {
      const c = this.deps.customers!.get(m.customerId);
      const address = c.addresses.find((a) => a.primary) ?? c.addresses[0];
      if (address) return { area: address.areaCode, accountNo: c.accounts[0]?.accountNo ?? null, source: 'customer' };
    }
    const areaCode = found?.phone?.areaCode ?? null;
    const mapped = areaCode ? this.deps.areaCodeMap?.[areaCode] : undefined;
    if (mapped) return { area: mapped, accountNo: null, source: 'area-code' };
    return { area: null, accountNo: null, source: 'none' };
  }

  outages(area: string, signal: AbortSignal): Promise<OutageNotice[]> {
    return this.deps.gis.outages({ area }, signal);
  }

  requestNotification(req: { callId: string; caller: string; outageId: string; area: string; accountNo: string | null }): Promise<{ requestId: string; duplicate: boolean }> {
    return this.deps.notify.request(req);
  }
}
