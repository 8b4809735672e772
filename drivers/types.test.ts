import test from 'ava';
import { assertFrame, DriverError, E1_BEARER_TIMESLOTS, FRAME_BYTES } from './types.js';

test('an E1 has 30 bearer timeslots, 1–15 and 17–31', (t) => {
  t.is(E1_BEARER_TIMESLOTS.length, 30);
  t.false(E1_BEARER_TIMESLOTS.includes(0));
  t.false(E1_BEARER_TIMESLOTS.includes(16));
  t.is(E1_BEARER_TIMESLOTS[0], 1);
  t.is(E1_BEARER_TIMESLOTS[29], 31);
});

test('TDM frames are 160 bytes (20 ms of 8 kHz A-law); anything else is a DriverError', (t) => {
  t.is(FRAME_BYTES, 160);
  t.notThrows(() => assertFrame('write', new Uint8Array(160)));
  const err = t.throws(() => assertFrame('write', new Uint8Array(80)), { instanceOf: DriverError });
  t.is(err?.code, 'DRIVER');
  t.is(err?.call, 'write');
});
