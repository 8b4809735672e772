/**
 * hw-test analog: the card's FXS and FXO ports with a phone cord between them (FXS 1 ↔ FXO 5,
 * FXS 2 ↔ FXO 6), driven by drivers/analog/lines.ts with spandsp's caller-ID modems.
 *
 *  - FXS rings a simulated phone with caller-ID: China's cadence (1 s on, 4 s off), the caller-ID
 *    as line audio 500 ms after the first ring (ETSI EN 300 659-1 ring-first), in V.23 FSK, Bell
 *    202 FSK and DTMF; the phone (an FXO line on the other end of the cord) decodes it from the
 *    audio it hears, goes off hook at the second ring, and the FXS sees the answer (ring trip).
 *    The card's own caller-ID event is not used: only the audio carries the number.
 *  - FXO answers a simulated line: the exchange side (FXS 2) rings with a withheld caller-ID; the
 *    appliance's FXO line reports the absence reason, answers, and detects the far end's
 *    disconnect by polarity reversal, and in a second call by busy tone (450 Hz, 0.35/0.35 s),
 *    going back on hook each time.
 *
 * Needs the simulated card's analog cords (`needs: ['analog-cord']`): skipped on a real card.
 */
import { spandspCallerId } from '../../drivers/analog/caller-id.js';
import { FxoLine, FxsLine, type FxoDisconnect } from '../../drivers/analog/lines.js';
import type { AnalogEvent, CallerId } from '../../drivers/types.js';
import { rigTest, type SimRig } from '../harness/rig.js';

async function cord(rig: SimRig, fxsPort: number, fxoPort: number, methods?: readonly CallerId['method'][]): Promise<{ fxs: FxsLine; fxo: FxoLine; fxoEvents: AnalogEvent[] }> {
  rig.card.wireAnalog(fxsPort, fxoPort);
  const deps = { clock: rig.clock, callerId: spandspCallerId };
  const fxsPortH = await rig.card.openAnalogPort(fxsPort);
  const fxoPortH = await rig.card.openAnalogPort(fxoPort);
  const fxoEvents: AnalogEvent[] = [];
  fxoPortH.on('event', (e) => fxoEvents.push(e));
  return { fxs: new FxsLine(fxsPortH, deps), fxo: new FxoLine(fxoPortH, deps, methods ? { callerIdMethods: methods } : {}), fxoEvents };
}

for (const method of ['fsk-v23', 'fsk-bell202', 'dtmf'] as const) {
  rigTest(`analog: FXS rings a phone with ${method} caller-ID in the audio between rings; the phone answers at ring 2 (ring trip)`, { needs: ['analog-cord'] }, async (t, rig) => {
    // A phone understands its country's one caller-ID method (V.23 and Bell 202 FSK are close enough to cross-decode).
    const { fxs, fxo, fxoEvents } = await cord(rig, 1, 5, [method]);
    t.teardown(() => {
      fxs.close();
      fxo.close();
    });
    const cid: CallerId = { number: '13800138000', ...(method === 'dtmf' ? {} : { name: 'LI SI' }), presentation: 'allowed', method };
    const heard: CallerId[] = [];
    const rings: Array<[number, number]> = [];
    fxo.on('caller-id', (c) => heard.push(c));
    fxo.on('ring', (n) => rings.push([n, rig.now]));
    let answeredAt = -1;
    fxs.on('off-hook', () => (answeredAt = rig.now));
    const t0 = rig.now;
    fxs.ring(cid);
    await rig.until(() => answeredAt >= 0, 8000, 'phone off hook');
    t.log(`caller-ID decoded from the line audio; answered ${answeredAt - t0} ms after the first ring`);
    t.deepEqual(heard, [cid], 'the phone decoded the caller-ID from the audio');
    t.deepEqual(rings.map(([n]) => n), [1, 2]);
    t.true(answeredAt - t0 >= 5000 && answeredAt - t0 <= 5100, 'off hook at the second ring (1 s on + 4 s off)');
    t.false(fxoEvents.some((e) => e.type === 'caller-id'), 'no caller-ID event shortcut: audio only');
    t.is(fxs.port.hook, 'off');
    // The ring was tripped: no further ring-start reaches the phone.
    const ringsBefore = fxoEvents.filter((e) => e.type === 'ring-start').length;
    await rig.run(6000);
    t.is(fxoEvents.filter((e) => e.type === 'ring-start').length, ringsBefore);
  });
}

rigTest('analog: FXO answers a line with a withheld caller-ID, then detects the far end’s disconnect by polarity reversal and by busy tone', { needs: ['analog-cord'] }, async (t, rig) => {
  const { fxs: exchange, fxo: line } = await cord(rig, 2, 6);
  t.teardown(() => {
    exchange.close();
    line.close();
  });
  const heard: CallerId[] = [];
  const disconnects: Array<[FxoDisconnect, number]> = [];
  line.on('caller-id', (c) => heard.push(c));
  line.on('disconnect', (r) => disconnects.push([r, rig.now]));

  exchange.ring({ number: '', presentation: 'restricted', method: 'fsk-v23' });
  await rig.until(() => line.state === 'answered', 8000, 'FXO answers');
  t.deepEqual(heard, [{ number: '', presentation: 'restricted', method: 'fsk-v23' }]);
  t.is(line.port.hook, 'off');
  await rig.run(1000);
  t.is(line.state, 'answered', 'no false disconnect on a quiet line');
  const reversedAt = rig.now;
  exchange.farEndCleared('polarity-reversal');
  await rig.until(() => line.state === 'disconnected', 200, 'disconnect on reversal');
  t.deepEqual(disconnects.map(([r]) => r), ['polarity-reversal']);
  t.true((disconnects[0]?.[1] ?? Infinity) - reversedAt <= 20);
  t.is(line.port.hook, 'on', 'the FXO released the line');

  // Second call: the far end hangs up and the exchange plays busy tone.
  await rig.run(500);
  exchange.ring({ number: '037160001234', presentation: 'allowed', method: 'dtmf' });
  await rig.until(() => line.state === 'answered', 8000, 'FXO answers again');
  t.like(heard[1], { number: '037160001234', method: 'dtmf' });
  const busyAt = rig.now;
  exchange.farEndCleared('busy-tone');
  await rig.until(() => line.state === 'disconnected', 3000, 'disconnect on busy tone');
  const ms = (disconnects[1]?.[1] ?? 0) - busyAt;
  t.log(`busy tone recognised after ${ms} ms (two bursts and the pause between)`);
  t.deepEqual(disconnects.map(([r]) => r), ['polarity-reversal', 'busy-tone']);
  t.true(ms >= 1000 && ms <= 1500);
  t.is(line.port.hook, 'on');
});
