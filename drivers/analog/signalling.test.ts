import test from 'ava';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { SimulatedCard } from '../sim/sim-card.js';
import type { CallerId, TdmHangup, TdmOffer } from '../types.js';
import { spandspCallerId } from './caller-id.js';
import { FxoLine, FxsLine } from './lines.js';
import { AnalogSignalling, nextPortStates } from './signalling.js';

/**
 * Port 1 (FXS) plays the exchange ringing the appliance's line on port 5 (FXO); port 2 (FXS) is
 * the appliance's extension, with a phone (FXO port 6) on its cord.
 */
async function bench() {
  const clock = new ManualClock();
  const log = silentLogger();
  const card = new SimulatedCard({}, { clock, log });
  card.wireAnalog(1, 5);
  card.wireAnalog(2, 6);
  const deps = { clock, callerId: spandspCallerId };
  const exchange = new FxsLine(await card.openAnalogPort(1), deps);
  const line = new FxoLine(await card.openAnalogPort(5), deps, { answerAfterRings: Infinity });
  const extension = new FxsLine(await card.openAnalogPort(2), deps);
  const phone = new FxoLine(await card.openAnalogPort(6), deps, { answerAfterRings: Infinity });
  const sig = new AnalogSignalling(
    [
      { kind: 'fxo', line, did: '95598' },
      { kind: 'fxs', line: extension, callerIdMethod: 'fsk-v23' },
    ],
    { clock, log },
  );
  const events: string[] = [];
  const offers: TdmOffer[] = [];
  const hangups: TdmHangup[] = [];
  sig.on('ring', (o) => offers.push(o));
  sig.on('ringing', (e) => events.push(`ringing ${e.timeslot}`));
  sig.on('answer', (e) => events.push(`answer ${e.timeslot}`));
  sig.on('hangup', (h) => hangups.push(h));
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 20) {
      clock.advance(20);
      await Promise.resolve();
    }
  };
  const close = async (): Promise<void> => {
    sig.close();
    for (const l of [exchange, line, extension, phone]) l.close();
    await card.close();
  };
  return { clock, card, exchange, line, extension, phone, sig, events, offers, hangups, run, close };
}

const CALLER: CallerId = { number: '13800138000', name: 'ZHANG SAN', presentation: 'allowed', method: 'fsk-v23' };

test('FXO: a ringing line is offered with its caller-ID and the line DID, answered by seizing, cleared by the far end', async (t) => {
  const b = await bench();
  t.teardown(b.close);
  b.exchange.ring(CALLER);
  await b.run(2500);
  t.deepEqual(b.offers, [{ timeslot: 5, calling: '13800138000', callingName: 'ZHANG SAN', called: '95598', presentation: 'allowed' }]);
  t.is(b.sig.stateOf(5), 'offered');
  t.is(b.line.port.hook, 'on', 'not answered before the appliance says so');
  b.sig.answer(5);
  t.is(b.line.port.hook, 'off');
  t.deepEqual(b.events, ['answer 5']);
  // The exchange signals the far end's clearing by a line reversal.
  b.exchange.farEndCleared('polarity-reversal');
  await b.run(40);
  t.deepEqual(b.hangups, [{ timeslot: 5, cause: 16, by: 'remote' }]);
  t.is(b.line.port.hook, 'on');
  t.is(b.sig.stateOf(5), 'idle');
});

test('FXO: without caller-ID the call is offered at the second ring as unavailable', async (t) => {
  const b = await bench();
  t.teardown(b.close);
  b.exchange.ring();
  await b.run(4900);
  t.is(b.offers.length, 0, 'not before the second ring');
  await b.run(200);
  t.is(b.offers.length, 1);
  t.like(b.offers[0], { calling: '', presentation: 'unavailable', called: '95598' });
});

test('FXO: the caller giving up (rings stop) clears the offered call by the remote side', async (t) => {
  const b = await bench();
  t.teardown(b.close);
  b.exchange.ring(CALLER);
  await b.run(2500);
  t.is(b.offers.length, 1);
  // The first ring started at 0 and there is no second: abandoned 6 s after the last ring began.
  b.exchange.stopRing();
  await b.run(3000);
  t.is(b.hangups.length, 0, 'a ring gap is not yet an abandon');
  await b.run(1000);
  t.deepEqual(b.hangups, [{ timeslot: 5, cause: 16, by: 'remote' }]);
  t.is(b.sig.stateOf(5), 'idle');
});

test('FXO: our hangup releases the line (on hook) and reports a local clearing', async (t) => {
  const b = await bench();
  t.teardown(b.close);
  b.exchange.ring(CALLER);
  await b.run(2500);
  b.sig.answer(5);
  b.sig.hangup(5, 16);
  t.is(b.line.port.hook, 'on');
  t.deepEqual(b.hangups, [{ timeslot: 5, cause: 16, by: 'local' }]);
  // A second call on the same line works again.
  await b.run(6000);
  b.exchange.ring(CALLER);
  await b.run(2500);
  t.is(b.offers.length, 2);
});

test('FXS: setup rings the phone with the caller-ID in the audio; off hook is the answer, on hook the clearing', async (t) => {
  const b = await bench();
  t.teardown(b.close);
  const heard: CallerId[] = [];
  b.phone.on('caller-id', (c) => heard.push(c));
  const r = b.sig.setup({ timeslot: 2, called: '8001', calling: '13800138000', callingName: 'ZHANG SAN' });
  t.deepEqual(r, { ok: true, timeslot: 2 });
  await Promise.resolve();
  t.deepEqual(b.events, ['ringing 2']);
  t.deepEqual(b.sig.setup({ timeslot: 2, called: '8001', calling: '1' }), { ok: false, reason: 'busy' }, 'one call per port');
  await b.run(2500);
  t.deepEqual(heard, [{ number: '13800138000', name: 'ZHANG SAN', presentation: 'allowed', method: 'fsk-v23' }]);
  b.phone.answer();
  await b.run(20);
  t.deepEqual(b.events, ['ringing 2', 'answer 2']);
  t.is(b.sig.stateOf(2), 'connected');
  b.phone.hangup();
  await b.run(20);
  t.deepEqual(b.hangups, [{ timeslot: 2, cause: 16, by: 'remote' }]);
});

test('FXS: clearing a ringing phone stops the ring; an FXO port or an off-hook phone is not dialable', async (t) => {
  const b = await bench();
  t.teardown(b.close);
  const rings: number[] = [];
  b.phone.on('ring', (n) => rings.push(n));
  t.true(b.sig.setup({ timeslot: 2, called: '8001', calling: '1' }).ok);
  await b.run(100);
  b.sig.hangup(2, 19);
  await b.run(6000);
  t.deepEqual(rings, [1], 'no ring after the clearing');
  t.deepEqual(b.hangups, [{ timeslot: 2, cause: 19, by: 'local' }]);
  t.deepEqual(b.sig.setup({ timeslot: 5, called: '8001', calling: '1' }), { ok: false, reason: 'no-circuit' });
  t.deepEqual(b.sig.setup({ timeslot: 7, called: '8001', calling: '1' }), { ok: false, reason: 'no-circuit' });
  b.phone.answer();
  t.deepEqual(b.sig.setup({ timeslot: 2, called: '8001', calling: '1' }), { ok: false, reason: 'busy' });
});

test('the port state table has no way out of idle but a call', (t) => {
  t.deepEqual([...nextPortStates.idle].sort(), ['incoming', 'ringing-out']);
  for (const [from, tos] of Object.entries(nextPortStates)) if (from !== 'idle') t.true(tos.includes('idle'), `${from} can be cleared`);
});
