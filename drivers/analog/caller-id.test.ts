import test from 'ava';
import type { CallerId } from '../types.js';
import { CallerIdReceiver, encodeCallerId } from './caller-id.js';

/** Feed audio (with leading/trailing silence) to a receiver in 20 ms blocks. */
function roundTrip(cid: CallerId): CallerId[] {
  const got: CallerId[] = [];
  const rx = new CallerIdReceiver(cid.method, (c) => got.push(c));
  const audio = encodeCallerId(cid);
  const line = new Int16Array(audio.length + 8000);
  line.set(audio, 1600);
  for (let i = 0; i < line.length; i += 160) rx.push(line.subarray(i, i + 160));
  rx.close();
  return got;
}

for (const method of ['fsk-v23', 'fsk-bell202', 'dtmf'] as const) {
  test(`${method}: ${method === 'dtmf' ? 'the number survives' : 'number and name survive'} encode → line audio → receive`, (t) => {
    const cid: CallerId = { number: '13800138000', ...(method === 'dtmf' ? {} : { name: 'ZHANG SAN' }), presentation: 'allowed', method };
    const audio = encodeCallerId(cid);
    t.true(audio.length > 800, `${audio.length} samples of ${method}`);
    t.deepEqual(roundTrip(cid), [cid]);
  });

  test(`${method}: a withheld number arrives as its reason for absence`, (t) => {
    t.deepEqual(roundTrip({ number: '', presentation: 'restricted', method }), [{ number: '', presentation: 'restricted', method }]);
  });
}

test('a receiver for one method hears nothing in another method’s audio', (t) => {
  const got: CallerId[] = [];
  const rx = new CallerIdReceiver('fsk-v23', (c) => got.push(c));
  const audio = encodeCallerId({ number: '95598', presentation: 'allowed', method: 'dtmf' });
  for (let i = 0; i < audio.length; i += 160) rx.push(audio.subarray(i, i + 160));
  rx.close();
  t.deepEqual(got, []);
});
