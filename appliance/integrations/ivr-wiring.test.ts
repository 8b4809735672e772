import path from 'node:path';
import test from 'ava';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { DEFAULT_FLOW_NEEDS, DEFAULT_PROMPTS_ZH } from '../ivr/flows/index.js';
import { simulateFlow } from '../ivr/simulator.js';
import { FakeCalendar, validationCatalogue } from '../ivr/testing/fakes.js';
import { openStore } from '../store/database.js';
import { wireIvr, promptText } from './ivr-wiring.js';

test('demo wiring: simulators started, default flow published, a simulated call hears a real balance and installation stage', async (t) => {
  const clock = new ManualClock();
  const log = silentLogger();
  const dir = tempDir('ivr-wire-');
  const store = openStore({ file: path.join(dir, 'appliance.db'), clock, log });
  const catalogue = () =>
    validationCatalogue({ prompts: Object.keys(DEFAULT_PROMPTS_ZH), queues: [...DEFAULT_FLOW_NEEDS.queues], adapters: [...DEFAULT_FLOW_NEEDS.adapters], calendars: [...DEFAULT_FLOW_NEEDS.calendars] });
  const ivr = await wireIvr({ store, clock, log, bus: new EventBus({ clock, log }), promptDir: path.join(dir, 'prompts'), catalogue, simulators: true });
  t.deepEqual(Object.keys(ivr.lookups).sort(), ['billing', 'gis', 'installation']);
  t.true(await ivr.seedDefaultFlow());
  t.false(await ivr.seedDefaultFlow(), 'only on first start');
  const flow = (await ivr.flows.published('hotline-95598'))!;
  const deps = { ...ivr.panel.simulationDeps(), calendar: new FakeCalendar('open') };
  const bill = await simulateFlow({ flow, keys: '1 041000000007 1', startAt: clock.now(), deps, promptText });
  t.true(bill.steps.some((s) => s.nodeId === 'bill-balance'), bill.steps.map((s) => s.nodeId).join(','));
  t.is(bill.result.vars.arrears, '0.00');
  t.is(bill.result.vars.balance, '450.53'); // (7 × 13 579) mod 50 000 fen
  const inst = await simulateFlow({ flow, keys: '5 2026010003#', startAt: clock.now(), deps, promptText });
  t.true(inst.transcript.some((e) => e.kind === 'tts' && e.value.startsWith('供电方案答复。')), JSON.stringify(inst.transcript.slice(-6)));
  const reading = await simulateFlow({ flow, keys: '4 041000000007 12345# 1', startAt: clock.now(), deps, promptText });
  t.is(reading.result.vars.reading_id, 'simulated', 'a simulation never submits a real meter reading');
  await ivr.stop();
  await store.close();
});
