import test from 'ava';
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { SimulatedCard } from '../sim/sim-card.js';
import type { CallerId } from '../types.js';
import { spandspCallerId } from './caller-id.js';
import { FxoLine, FxsLine, Player, PLAYER_LEAD_BLOCKS } from './lines.js';

/** A clock whose interval timers fire `lateness` times their period, as Node's setInterval does on a loaded box. */
function driftingClock(base: ManualClock, lateness: number): Clock {
  return {
    now: () => base.now(),
    monotonic: () => base.monotonic(),
    setTimeout: (fn, ms) => base.setTimeout(fn, ms),
    setInterval: (fn, ms): TimerHandle => base.setInterval(fn, ms * lateness),
    sleep: (ms, signal) => base.sleep(ms, signal),
  };
}

const WANG_WU: CallerId = { number: '037160001234', name: 'WANG WU', presentation: 'allowed', method: 'fsk-v23' };

test('FSK caller-ID survives line players whose timers fire at half rate: the card clock is made up, not gapped', async (t) => {
  const base = new ManualClock();
  const clock = driftingClock(base, 2);
  const card = new SimulatedCard({}, { clock, log: silentLogger() });
  t.teardown(() => card.close());
  card.wireAnalog(1, 5);
  const deps = { clock, callerId: spandspCallerId };
  const exchange = new FxsLine(await card.openAnalogPort(1), deps);
  const line = new FxoLine(await card.openAnalogPort(5), deps, { answerAfterRings: Infinity });
  const heard: CallerId[] = [];
  let rings = 0;
  line.on('caller-id', (c) => heard.push(c));
  line.on('ring', (n) => (rings = n));
  exchange.ring(WANG_WU);
  for (let ms = 0; ms < 4500 && heard.length === 0; ms += 20) base.advance(20);
  t.deepEqual(heard, [WANG_WU]);
  t.is(rings, 1, 'decoded between the first and second ring');
});

test('Player: writes PLAYER_LEAD_BLOCKS ahead, makes up a late timer block for block, skips a stall rather than bursting, stops at the end', (t) => {
  const clock = new ManualClock();
  const written: number[] = [];
  const audio = { write: (f: Uint8Array) => written.push(f.length) };
  const player = new Player({ audio } as never, clock);
  let left = 400;
  player.start(() => (left-- > 0 ? new Int16Array(160) : null));
  t.is(written.length, PLAYER_LEAD_BLOCKS, 'lead written at once');
  clock.advance(20);
  t.is(written.length, PLAYER_LEAD_BLOCKS + 1);
  clock.advance(200);
  t.is(written.length, PLAYER_LEAD_BLOCKS + 11, 'one block per 20 ms of elapsed time');

  const slow = new ManualClock();
  const late = driftingClock(slow, 3);
  const writes: number[] = [];
  const p2 = new Player({ audio: { write: () => writes.push(slow.monotonic()) } } as never, late);
  p2.start(() => new Int16Array(160));
  slow.advance(600);
  t.is(writes.length, PLAYER_LEAD_BLOCKS + 30, 'timers firing every 60 ms still write 50 blocks a second');
  p2.stop();

  const stalled = new ManualClock();
  const n: number[] = [];
  const p3 = new Player({ audio: { write: () => n.push(1) } } as never, driftingClock(stalled, 100));
  p3.start(() => new Int16Array(160));
  stalled.advance(2000);
  t.is(n.length, PLAYER_LEAD_BLOCKS * 2, 'a 2 s stall resumes with the lead, not 100 blocks at once');
  p3.stop();

  clock.advance(20 * 400);
  t.is(written.length, 400, 'every block played once');
  t.is(clock.pendingTimers, 0, 'the timer stops at the end');
});
