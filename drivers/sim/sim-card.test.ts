import test from 'ava';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { DriverError, type AnalogEvent, type SpanConfig } from '../types.js';
import { SimulatedCard } from './sim-card.js';

const PRI: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 1, signalling: 'pri_cpe' };
const R2: SpanConfig = { framing: 'cas', crc4: false, lineCode: 'hdb3', timing: 0, signalling: 'r2' };

function card(): { clock: ManualClock; card: SimulatedCard } {
  const clock = new ManualClock();
  return { clock, card: new SimulatedCard({}, { clock, log: silentLogger() }) };
}

test('probe describes a quad E1 with 4 FXS + 4 FXO ports', async (t) => {
  const { card: c } = card();
  const [info] = await c.probe();
  t.like(info, { kind: 'sim', spans: [1, 2, 3, 4] });
  t.deepEqual(info?.analogPorts.map((p) => p.kind), ['fxs', 'fxs', 'fxs', 'fxs', 'fxo', 'fxo', 'fxo', 'fxo']);
  t.regex(info?.name ?? '', /quad-E1 \+ 8 analog/);
});

test('spans: PRI has 30 bearers and a D channel, R2 has 30 bearers with CAS bits, channel numbers as DAHDI', async (t) => {
  const { card: c } = card();
  const pri = await c.openSpan(2, PRI);
  t.is(pri.bChannels.length, 30);
  t.is(pri.dChannel?.timeslot, 16);
  t.is(pri.bChannels[0]?.chanNo, 32);
  t.is(pri.bChannels[0]?.cas, null);
  const r2 = await c.openSpan(3, R2);
  t.is(r2.dChannel, null);
  t.false(r2.bChannels.some((b) => b.timeslot === 16));
  t.not(r2.bChannels[0]?.cas, null);
  const clear = await c.openSpan(4, { ...PRI, signalling: 'none' });
  t.is(clear.bChannels.length, 31);
  await c.close();
});

test('bad span requests are DriverErrors', async (t) => {
  const { card: c } = card();
  await t.throwsAsync(c.openSpan(5, PRI), { instanceOf: DriverError, message: /no span 5/ });
  await t.throwsAsync(c.openSpan(1, { ...PRI, framing: 'cas' }), { instanceOf: DriverError, message: /needs CCS/ });
  await t.throwsAsync(c.openSpan(1, { ...R2, framing: 'ccs' }), { instanceOf: DriverError, message: /needs CAS/ });
  await c.openSpan(1, PRI);
  await t.throwsAsync(c.openSpan(1, PRI), { instanceOf: DriverError, message: /already open/ });
  t.throws(() => c.connect(1, 1), { instanceOf: DriverError });
  c.connect(1, 2);
  t.throws(() => c.connect(2, 3), { instanceOf: DriverError, message: /already has a cable/ });
  const span = c.span(1);
  t.throws(() => span?.bChannels[0]?.write(new Uint8Array(10)), { instanceOf: DriverError });
  t.throws(() => span?.dChannel?.send(new Uint8Array(2)), { instanceOf: DriverError });
  await c.close();
  await t.throwsAsync(c.openSpan(2, PRI), { instanceOf: DriverError, message: /closed/ });
});

test('an open span with no cable goes LOS/RED; a closed span is LOS at the far end', async (t) => {
  const { clock, card: c } = card();
  const s1 = await c.openSpan(1, PRI);
  clock.advance(200);
  t.deepEqual(s1.status().alarms, ['red', 'los']);
  const cable = c.connect(1, 2);
  const s2 = await c.openSpan(2, { ...PRI, signalling: 'pri_net' });
  clock.advance(200);
  t.deepEqual(s1.status().alarms, []);
  await s2.close();
  clock.advance(200);
  t.deepEqual(s1.status().alarms, ['red', 'los']);
  t.true(cable.plugged);
  await c.close();
});

test('CAS bits cross the cable (R2 line signalling)', async (t) => {
  const { clock, card: c } = card();
  c.connect(3, 4);
  const a = await c.openSpan(3, R2);
  const b = await c.openSpan(4, R2);
  clock.advance(200);
  const seen: number[] = [];
  b.bChannels[0]?.cas?.on('change', (v) => seen.push(v));
  a.bChannels[0]?.cas?.setTx(0b0001);
  clock.advance(20);
  t.deepEqual(seen, [0b0001]);
  t.is(b.bChannels[0]?.cas?.rx, 0b0001);
  t.throws(() => a.bChannels[0]?.cas?.setTx(16), { instanceOf: DriverError });
  await c.close();
});

test('line model on the cable: drops are counted and deterministic for a seed', async (t) => {
  const run = async (): Promise<number[]> => {
    const { clock, card: c } = card();
    const cable = c.connect(1, 2, { dropRatio: 0.2, seed: 77 });
    const a = await c.openSpan(1, PRI);
    const b = await c.openSpan(2, { ...PRI, signalling: 'pri_net' });
    clock.advance(200);
    const got: number[] = [];
    b.bChannels[0]?.on('frame', () => got.push(clock.monotonic()));
    for (let i = 0; i < 100; i++) {
      a.bChannels[0]?.write(new Uint8Array(160).fill(i));
      clock.advance(20);
    }
    t.is(cable.stats(2).blocksDropped + got.length, 100);
    await c.close();
    return got;
  };
  const first = await run();
  t.true(first.length > 65 && first.length < 95, `${first.length} of 100 arrived`);
  t.deepEqual(await run(), first);
});

test('analog: FXS rings the wired FXO with caller-ID after the first ring; answering trips the ring', async (t) => {
  const { clock, card: c } = card();
  c.wireAnalog(1, 5);
  const fxs = await c.openAnalogPort(1);
  const fxo = await c.openAnalogPort(5);
  const atPhone: AnalogEvent[] = [];
  const atFxs: AnalogEvent[] = [];
  fxo.on('event', (e) => atPhone.push(e));
  fxs.on('event', (e) => atFxs.push(e));
  fxs.ring([1000, 4000], { number: '037160001234', presentation: 'allowed', method: 'fsk-v23' });
  clock.advance(1500);
  t.deepEqual(atPhone.map((e) => e.type), ['ring-start', 'ring-stop', 'caller-id']);
  t.like(atPhone[2], { callerId: { number: '037160001234' } });
  clock.advance(4000);
  t.is(atPhone.at(-1)?.type, 'ring-start');
  fxo.setHook('off');
  t.is(fxs.hook, 'off');
  t.deepEqual(atPhone.at(-1)?.type, 'ring-stop');
  t.deepEqual(atFxs.map((e) => e.type), ['off-hook']);
  clock.advance(10_000);
  t.is(atPhone.filter((e) => e.type === 'ring-start').length, 2, 'no ringing after ring trip');

  fxo.flash(300);
  fxs.setPolarity(true);
  fxs.setPolarity(true);
  fxo.setHook('on');
  t.deepEqual(atFxs.map((e) => e.type), ['off-hook', 'flash', 'on-hook']);
  t.is(atPhone.filter((e) => e.type === 'polarity-reversal').length, 1);

  // Audio crosses the cord on the tick.
  const heard: number[] = [];
  fxo.audio.on('frame', (f) => heard.push(f[0] ?? -1));
  fxs.audio.write(new Uint8Array(160).fill(0x2a));
  clock.advance(20);
  t.deepEqual(heard, [0x2a]);
  await c.close();
});

test('analog: verbs on the wrong kind of port are DriverErrors', async (t) => {
  const { card: c } = card();
  const fxs = await c.openAnalogPort(2);
  const fxo = await c.openAnalogPort(6);
  t.throws(() => fxo.ring([1000, 4000]), { instanceOf: DriverError, message: /FXO/ });
  t.throws(() => fxs.setHook('off'), { instanceOf: DriverError });
  t.throws(() => fxo.flash(100), { instanceOf: DriverError, message: /seized/ });
  t.throws(() => fxs.ring([1000]), { instanceOf: DriverError, message: /cadence/ });
  t.throws(() => c.wireAnalog(6, 2), { instanceOf: DriverError });
  await t.throwsAsync(c.openAnalogPort(9), { instanceOf: DriverError });
  await c.close();
});
