import test from 'ava';
import { EventEmitter } from 'node:events';
import type { PriSignalling } from './pri-span.js';
import { priTdmSignalling } from './tdm-adapter.js';

class FakePri extends EventEmitter {
  readonly spanNo = 1;
  readonly verbs: string[] = [];
  readonly busy = new Set<number>();
  up = true;
  callLevel(ch: number): string | null {
    return this.busy.has(ch) ? 'connect' : null;
  }
  setup(p: { channel: number; called: string }): string {
    if (!this.up) return 'dchan-down';
    this.verbs.push(`setup ${p.channel} ${p.called}`);
    return 'sent';
  }
  alerting(ch: number, inband: boolean): void {
    this.verbs.push(`alerting ${ch} ${inband}`);
  }
  answer(ch: number): void {
    this.verbs.push(`answer ${ch}`);
  }
  hangup(ch: number, cause: number): void {
    this.verbs.push(`hangup ${ch} ${cause}`);
  }
}

test('PRI: Q.931 events by B channel become TdmSignalling events; PROGRESS with in-band info is early media', (t) => {
  const pri = new FakePri();
  const port = priTdmSignalling(pri as unknown as PriSignalling);
  const seen: unknown[] = [];
  for (const k of ['ring', 'ringing', 'answer', 'hangup'] as const) port.on(k, (e: unknown) => seen.push([k, e]));
  pri.emit('ring', { channel: 3, calling: '1', callingName: 'N', called: '95598', presentation: 'unavailable', complete: true });
  pri.emit('progress', { channel: 4, inband: false });
  pri.emit('progress', { channel: 4, inband: true });
  pri.emit('hangup', { channel: 3, cause: 16, causeText: 'Normal Clearing', by: 'remote' });
  t.deepEqual(seen, [
    ['ring', { timeslot: 3, calling: '1', callingName: 'N', called: '95598', presentation: 'unavailable' }],
    ['ringing', { timeslot: 4, inband: true }],
    ['hangup', { timeslot: 3, cause: 16, by: 'remote' }],
  ]);
});

test('PRI setup takes the lowest idle B channel; D channel down is link-down', (t) => {
  const pri = new FakePri();
  const port = priTdmSignalling(pri as unknown as PriSignalling);
  pri.busy.add(1);
  t.deepEqual(port.setup({ called: '138', calling: '95598' }), { ok: true, timeslot: 2 });
  pri.up = false;
  t.deepEqual(port.setup({ called: '138', calling: '95598' }), { ok: false, reason: 'link-down' });
  port.alerting(2);
  port.hangup(2, 17);
  t.deepEqual(pri.verbs, ['setup 2 138', 'alerting 2 false', 'hangup 2 17']);
});
