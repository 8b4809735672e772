/**
 * Billing (营销系统) self-service lookups for the IVR, over the protocol of the billing
 * simulator (customers/testing/billing-simulator.ts):
 *
 *   balance-by-account   {account}          → accountNo, name, balance, arrears (yuan, "123.45"),
 *                                             lastPaymentAmount, lastPaymentDate, dueDate
 *   area-by-account      {account}          → accountNo, areaCode (supply area, for outage announcements)
 *   account-by-phone     {phone}            → account, name, areaCode, address, count
 *   submit-meter-reading {account, reading, request_id}
 *                                           → accepted, readingId (POST, idempotent by request_id)
 *
 * Balances are cached 30 s by default (a caller asking twice costs one request); a meter
 * reading is never cached and is retried safely because it carries its own request id.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import { HttpJsonClient, type HttpClientOptions } from './http-client.js';
import { HttpLookupAdapter, SAFE_ID, splitLocal, type HttpLookupOptions, type LookupOpSpec } from './http-lookup.js';

const enc = encodeURIComponent;

export const BILLING_OPS: Readonly<Record<string, LookupOpSpec>> = {
  'balance-by-account': {
    request: (p) => (p.account && SAFE_ID.test(p.account) ? { path: `v1/accounts/${enc(p.account)}/balance` } : null),
    fields: {
      accountNo: 'accountNo',
      name: 'name',
      balance: 'balance',
      arrears: 'arrears',
      lastPaymentAmount: 'lastPayment.amount',
      lastPaymentAt: 'lastPayment.paidAt',
      dueDate: 'dueDate',
    },
    required: ['balance', 'arrears'],
    derive: (d) => ({ lastPaymentDate: splitLocal(d.lastPaymentAt).date }),
    cacheTtlMs: 30_000,
  },
  'area-by-account': {
    request: (p) => (p.account && SAFE_ID.test(p.account) ? { path: `v1/accounts/${enc(p.account)}/balance` } : null),
    fields: { accountNo: 'accountNo', areaCode: 'areaCode' },
    required: ['areaCode'],
    cacheTtlMs: 300_000,
  },
  'account-by-phone': {
    request: (p) => {
      const phone = (p.phone ?? '').replace(/[^0-9]/g, '');
      return phone.length >= 7 ? { path: 'v1/accounts', query: { phone } } : null;
    },
    record: 'accounts.0',
    fields: { account: 'accountNo', name: 'name', areaCode: 'areaCode', address: 'address' },
    required: ['account'],
    derive: (_d, body) => ({ count: Array.isArray((body as { accounts?: unknown })?.accounts) ? (body as { accounts: unknown[] }).accounts.length : 0 }),
    cacheTtlMs: 60_000,
  },
  'submit-meter-reading': {
    request: (p) => {
      const reading = Number(p.reading);
      if (!p.account || !SAFE_ID.test(p.account) || !/^\d{1,9}(\.\d{1,2})?$/.test(p.reading ?? '') || !Number.isFinite(reading)) return null;
      const requestId = p.request_id && /^[\w.-]{1,64}$/.test(p.request_id) ? p.request_id : `${p.account}-${p.reading}`;
      return { path: `v1/accounts/${enc(p.account)}/meter-readings`, method: 'POST', body: { reading, requestId }, idempotent: true };
    },
    fields: { accepted: 'accepted', readingId: 'readingId' },
    required: ['readingId'],
    cacheTtlMs: 0,
  },
};

export interface BillingLookupOptions extends Omit<HttpClientOptions, 'name' | 'clock' | 'log'>, Omit<HttpLookupOptions, 'clock'> {
  clock: Clock;
  log?: Logger;
  name?: string;
}

export function billingLookup(o: BillingLookupOptions): HttpLookupAdapter {
  const client = new HttpJsonClient({ ...o, name: o.name ?? 'billing' });
  return new HttpLookupAdapter(client, BILLING_OPS, o);
}
