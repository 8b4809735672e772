import test from 'ava';
import { ManualClock } from '../core/testing/manual-clock.js';
import { DtmfScriptSchema, planDtmf, runDtmfScript } from './demo-dtmf.js';

test("a DTMF script keys each step at its time: 'answer+T' from the answer, '+T' after the previous step", async (t) => {
  const steps = DtmfScriptSchema.parse([
    { after: 'answer+3s', digits: '1' },
    { after: '+1.5s', digits: '041000000001' },
    { after: '+800ms', digits: '1' },
    { after: 'answer+20s', digits: '0' },
  ]);
  t.deepEqual(planDtmf(steps).map((s) => s.atMs), [3000, 4500, 5300, 20_000]);
  const clock = new ManualClock();
  await clock.advanceAsync(1234); // answered later than the clock's start
  const keyed: Array<[number, string]> = [];
  const ctl = new AbortController();
  runDtmfScript(clock, steps, (d) => keyed.push([clock.monotonic() - 1234, d]), ctl.signal);
  clock.advance(2999);
  t.deepEqual(keyed, []);
  clock.advance(1);
  t.deepEqual(keyed, [[3000, '1']]);
  clock.advance(17_000);
  t.deepEqual(keyed, [[3000, '1'], [4500, '041000000001'], [5300, '1'], [20_000, '0']]);
  t.is(clock.pendingTimers, 0);
});

test('a released call stops the script; bad steps are refused', (t) => {
  const clock = new ManualClock();
  const keyed: string[] = [];
  const ctl = new AbortController();
  runDtmfScript(clock, [{ after: 'answer+1s', digits: '1' }, { after: '+1s', digits: '2' }], (d) => keyed.push(d), ctl.signal);
  clock.advance(1000);
  ctl.abort();
  clock.advance(5000);
  t.deepEqual(keyed, ['1']);
  t.is(clock.pendingTimers, 0);
  for (const bad of [{ after: '3s', digits: '1' }, { after: 'answer+x', digits: '1' }, { after: '+1s', digits: 'Z' }, { after: '+1s', digits: '' }])
    t.false(DtmfScriptSchema.safeParse([bad]).success, JSON.stringify(bad));
});
