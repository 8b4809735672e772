import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { silentLogger } from '../core/log.js';
import { BillingSimulator } from '../customers/testing/billing-simulator.js';
import { wireBusiness } from './wire-business.js';

const MIN = 60_000;

/** Let real HTTP I/O finish (no clock time passes). */
async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((res) => setImmediate(res));
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((res) => setTimeout(res, 5));
  if (!cond()) throw new Error('condition not reached');
}

test('with a billing system configured, the daemon pulls customers on the Clock and tiers them', async (t) => {
  const h = await startApiHarness();
  t.teardown(() => h.close());
  const sim = new BillingSimulator({ clock: h.clock });
  await sim.start();
  t.teardown(() => sim.stop());
  sim.seed(60, h.clock.now());
  const business = wireBusiness({
    store: h.store,
    clock: h.clock,
    bus: h.bus,
    log: silentLogger(),
    registry: h.api.registry,
    audit: h.api.audit,
    integrations: { billing: { baseUrl: sim.url, token: sim.token }, billingSyncMinutes: 5 },
  });
  t.truthy(business.background.find((s) => s.name === 'billing-sync'));
  for (const s of business.background) await s.start();
  t.teardown(async () => {
    for (const s of business.background) await s.stop();
  });
  const count = () => h.store.sqlite.prepare('SELECT count(*) FROM customers').pluck().get() as number;
  await h.clock.advanceAsync(5 * MIN - 1);
  t.is(count(), 0, 'nothing before the interval');
  h.clock.advance(1);
  await waitFor(() => count() === 60);
  const critical = h.store.sqlite.prepare("SELECT count(*) FROM customers WHERE tier = 'critical'").pluck().get() as number;
  t.true(critical > 0, 'tier rules ran on the synced records');
  // The history and sending routes are on the registry.
  const c = h.store.sqlite.prepare('SELECT id FROM customers LIMIT 1').pluck().get() as string;
  t.is((await h.call('GET', `/customers/${c}/history`)).status, 200);
  const deliveries = (await (await h.call('GET', '/knowledge/articles/kb_x/deliveries')).json()) as { channels: string[] };
  t.deepEqual(deliveries.channels, ['fax'], 'no SMS gateway or mail relay configured: fax outbox only');
});

test('without a billing system there is no sync service', async (t) => {
  const h = await startApiHarness();
  t.teardown(() => h.close());
  const business = wireBusiness({ store: h.store, clock: h.clock, bus: h.bus, log: silentLogger(), registry: h.api.registry, audit: h.api.audit });
  t.falsy(business.background.find((s) => s.name === 'billing-sync'));
  t.is(business.extras.billingSync, null);
});
