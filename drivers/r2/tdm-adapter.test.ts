import test from 'ava';
import { EventEmitter } from 'node:events';
import type { TdmSignallingEvents } from '../types.js';
import type { R2Signalling } from './r2-span.js';
import { r2TdmSignalling } from './tdm-adapter.js';

/** The R2Signalling surface the adapter uses, scripted. */
class FakeR2 extends EventEmitter {
  readonly spanNo = 3;
  readonly verbs: string[] = [];
  dialResult: ReturnType<R2Signalling['dial']> = { ok: true, timeslot: 5 };
  dial(p: { called: string; calling?: string; timeslot?: number }): ReturnType<R2Signalling['dial']> {
    this.verbs.push(`dial ${p.called} ${p.calling ?? ''} ${p.timeslot ?? '-'}`);
    return this.dialResult;
  }
  alerting(ts: number): void {
    this.verbs.push(`alerting ${ts}`);
  }
  answer(ts: number): void {
    this.verbs.push(`answer ${ts}`);
  }
  hangup(ts: number, cause: number): void {
    this.verbs.push(`hangup ${ts} ${cause}`);
  }
}

test('R2 events become TdmSignalling events (ANI present → allowed, absent → unavailable)', (t) => {
  const r2 = new FakeR2();
  const port = r2TdmSignalling(r2 as unknown as R2Signalling);
  const seen: Array<[string, unknown]> = [];
  for (const k of ['ring', 'ringing', 'answer', 'hangup', 'proceeding'] as const) port.on(k, (e: TdmSignallingEvents[typeof k]) => seen.push([k, e]));
  r2.emit('ring', { timeslot: 4, called: '95598', calling: '13800138000', ka: 1, kd: 3 });
  r2.emit('ring', { timeslot: 6, called: '95598', calling: '', ka: 1, kd: 3 });
  r2.emit('ringing', { timeslot: 5 });
  r2.emit('answer', { timeslot: 5 });
  r2.emit('hangup', { timeslot: 5, cause: 17, by: 'remote', reason: 'B-3 busy' });
  t.deepEqual(seen, [
    ['ring', { timeslot: 4, calling: '13800138000', callingName: '', called: '95598', presentation: 'allowed' }],
    ['ring', { timeslot: 6, calling: '', callingName: '', called: '95598', presentation: 'unavailable' }],
    ['ringing', { timeslot: 5, inband: true }],
    ['answer', { timeslot: 5 }],
    ['hangup', { timeslot: 5, cause: 17, by: 'remote' }],
  ]);
  t.like(port, { kind: 'r2', spanNo: 3 });
});

test('verbs go to the R2 circuits; refusals are values; proceeding/progress send nothing', (t) => {
  const r2 = new FakeR2();
  const port = r2TdmSignalling(r2 as unknown as R2Signalling);
  t.deepEqual(port.setup({ called: '057188880000', calling: '95598' }), { ok: true, timeslot: 5 });
  r2.dialResult = { ok: false, reason: 'circuit-busy' };
  t.deepEqual(port.setup({ called: '1', calling: '2', timeslot: 9 }), { ok: false, reason: 'busy' });
  r2.dialResult = { ok: false, reason: 'no-circuit' };
  t.deepEqual(port.setup({ called: '1', calling: '2' }), { ok: false, reason: 'no-circuit' });
  port.proceeding(4);
  port.progress(4);
  port.alerting(4);
  port.answer(4);
  port.hangup(4, 16);
  t.deepEqual(r2.verbs, ['dial 057188880000 95598 -', 'dial 1 2 9', 'dial 1 2 -', 'alerting 4', 'answer 4', 'hangup 4 16']);
});
