import test from 'ava';
import { systemClock } from '../../appliance/core/clock.js';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { DriverError, type SpanConfig } from '../types.js';
import { SimExchange } from './exchange.js';
import { bindPri } from './pri-link.js';
import { SimulatedCard } from './sim-card.js';

const NET: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 0, signalling: 'pri_net' };

test('with no far end: D channel never comes up, calls are refused as values, expectations time out on the clock', async (t) => {
  const clock = new ManualClock();
  const card = new SimulatedCard({}, { clock, log: silentLogger() });
  const span = await card.openSpan(2, NET);
  const ex = new SimExchange({ span }, { clock, signallingClock: systemClock, log: silentLogger() });
  t.teardown(async () => {
    ex.close();
    await card.close();
  });
  t.false(ex.dchanUp);
  t.deepEqual(ex.placeCall({ calling: '1', called: '95598' }), { ok: false, reason: 'dchan-down' });
  const up = ex.waitDchanUp(1000);
  const call = ex.expectCall(500);
  clock.advance(500);
  await t.throwsAsync(call, { instanceOf: DriverError, message: /no call from the appliance within 500 ms/ });
  clock.advance(500);
  await t.throwsAsync(up, { instanceOf: DriverError, message: /D channel not up within 1000 ms/ });
  ex.close();
  t.throws(() => ex.placeCall({ calling: '1', called: '2' }), { instanceOf: DriverError, message: /closed/ });
});

test('PRI needs a D channel: binding to a span without one is a DriverError', async (t) => {
  const clock = new ManualClock();
  const card = new SimulatedCard({}, { clock, log: silentLogger() });
  const span = await card.openSpan(1, { ...NET, signalling: 'none' });
  t.throws(() => bindPri(span, { side: 'cpe' }, { clock, log: silentLogger() }), { instanceOf: DriverError, message: /no D channel/ });
  await card.close();
});
