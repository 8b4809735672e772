/** A customer service on a real temporary SQLite file, a ManualClock and a bus that records events. */
import path from 'node:path';
import { EventBus, type AnyAppEvent } from '../../core/events.js';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { openStore, type Store } from '../../store/database.js';
import { CustomerService } from '../customer-service.js';
import type { CreateCustomerInput } from '../schemas.js';

export interface CustomerRig {
  store: Store;
  clock: ManualClock;
  bus: EventBus;
  svc: CustomerService;
  events: AnyAppEvent[];
  close(): Promise<void>;
}

export function openCustomerRig(): CustomerRig {
  const clock = new ManualClock();
  const log = silentLogger();
  const store = openStore({ file: path.join(tempDir('cust-'), 'appliance.db'), clock, log });
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const svc = new CustomerService({ store, clock, bus, log, phone: { defaultAreaCode: '0371' } });
  return { store, clock, bus, svc, events, close: () => store.close() };
}

export const agent = { id: 'user:agent1', ip: '10.0.0.11' };

export function hospital(extra: Partial<CreateCustomerInput> = {}): CreateCustomerInput {
  return {
    name: '郑州市第一人民医院',
    kind: 'public',
    criticalLoad: true,
    attributes: { monthlyKwh: 250_000, voltageKv: 10 },
    accounts: [{ accountNo: '041000000001', meterNo: '100000000001', arrearsCents: 0, monthlyKwh: 250_000 }],
    contacts: [{ name: '王电工', relation: '电工' }],
    phones: [{ number: '0371-6555 1234', label: '值班室' }, { number: '13903710001', label: '电工手机', contact: 0 }],
    addresses: [{ text: '郑州市金水区经三路12号', areaCode: '41010501' }],
    ...extra,
  };
}

export function resident(extra: Partial<CreateCustomerInput> = {}): CreateCustomerInput {
  return {
    name: '李秀英',
    accounts: [{ accountNo: '041000000002', meterNo: '100000000002', arrearsCents: 12_000, monthlyKwh: 180 }],
    phones: [{ number: '+86 138 0013 8000' }],
    addresses: [{ text: '郑州市中原区建设路8号', areaCode: '41010201' }],
    ...extra,
  };
}

/** Row counts of every customer table (to assert a refused write changed nothing). */
export function customerCounts(store: Store): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of ['customers', 'customer_accounts', 'customer_contacts', 'customer_phones', 'customer_addresses', 'customer_corrections']) {
    out[t] = (store.sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  }
  return out;
}
