import test from 'ava';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { SimulatedCard } from '../sim/sim-card.js';
import type { SpanConfig } from '../types.js';
import { Q850 } from './china-no1.js';
import { R2Signalling, type R2CallEvents, type R2SignallingOptions } from './r2-span.js';

const R2: SpanConfig = { framing: 'cas', crc4: false, lineCode: 'hdb3', timing: 0, signalling: 'r2' };

type Ev = { [E in keyof R2CallEvents]: { e: E; at: number } & Parameters<R2CallEvents[E]>[0] }[keyof R2CallEvents];

async function rig(t: import('ava').ExecutionContext, incoming: R2SignallingOptions['incoming'] = { dnisLength: 5 }) {
  const clock = new ManualClock();
  const log = silentLogger();
  const card = new SimulatedCard({ spans: 2, fxsPorts: 0, fxoPorts: 0 }, { clock, log });
  const cable = card.connect(1, 2);
  const s1 = await card.openSpan(1, R2);
  const s2 = await card.openSpan(2, R2);
  const exch = new R2Signalling({ spanNo: 1, channels: s1.bChannels }, { clock, log });
  const app = new R2Signalling({ spanNo: 2, channels: s2.bChannels, ...(incoming ? { incoming } : {}) }, { clock, log });
  const seen: { exch: Ev[]; app: Ev[] } = { exch: [], app: [] };
  for (const [name, sig] of [['exch', exch], ['app', app]] as const) {
    for (const e of ['ring', 'ringing', 'answer', 'hangup', 'idle', 'blocked', 'fault'] as const) {
      sig.on(e, ((p: object) => seen[name].push({ e, at: clock.monotonic(), ...p } as Ev)) as never);
    }
  }
  t.teardown(async () => {
    exch.close();
    app.close();
    await card.close();
  });
  const run = (ms: number): void => {
    for (let i = 0; i < ms; i += 20) clock.advance(20);
  };
  const until = (what: () => boolean, maxMs = 20_000): number => {
    const start = clock.monotonic();
    while (!what()) {
      if (clock.monotonic() - start > maxMs) throw new Error('not reached');
      clock.advance(20);
    }
    return clock.monotonic() - start;
  };
  until(() => s1.inService && s2.inService);
  return { clock, card, cable, exch, app, seen, run, until };
}

test('back to back: 95598 with ANI 13800138000, answer, clear-forward, release', async (t) => {
  const r = await rig(t);
  const d = r.exch.dial({ called: '95598', calling: '13800138000' });
  t.true(d.ok);
  const ts = d.ok ? d.timeslot : 0;
  const setupMs = r.until(() => r.seen.app.some((x) => x.e === 'ring'));
  const ring = r.seen.app.find((x) => x.e === 'ring');
  t.like(ring, { e: 'ring', timeslot: ts, called: '95598', calling: '13800138000', ka: 1, kd: 3 });
  t.log(`register phase to offer: ${setupMs} ms of line time`);
  r.app.alerting(ts);
  r.until(() => r.seen.exch.some((x) => x.e === 'ringing'));
  r.app.answer(ts);
  r.until(() => r.seen.exch.some((x) => x.e === 'answer'));
  t.is(r.app.state(ts), 'in-answered');
  t.is(r.exch.state(ts), 'out-answered');
  r.exch.hangup(ts, Q850.NORMAL_CLEARING);
  r.until(() => r.seen.app.some((x) => x.e === 'idle') && r.seen.exch.some((x) => x.e === 'idle'));
  t.like(r.seen.app.find((x) => x.e === 'hangup'), { cause: 16, by: 'remote' });
  t.is(r.app.state(ts), 'idle');
  t.is(r.exch.state(ts), 'idle');
});

test('busy: the appliance refuses with cause 17, the exchange hears B-2 and clears', async (t) => {
  const r = await rig(t);
  const d = r.exch.dial({ called: '95598', calling: '13800138000' });
  const ts = d.ok ? d.timeslot : 0;
  r.until(() => r.seen.app.some((x) => x.e === 'ring'));
  r.app.hangup(ts, Q850.USER_BUSY);
  r.until(() => r.seen.exch.some((x) => x.e === 'idle') && r.seen.app.some((x) => x.e === 'idle'));
  t.like(r.seen.exch.find((x) => x.e === 'hangup'), { cause: 17, by: 'remote' });
  t.false(r.seen.exch.some((x) => x.e === 'ringing'));
});

test('China idle bits are on the line, and a seizure nobody acknowledges ends with cause 102', async (t) => {
  const r = await rig(t);
  const s1 = r.card.span(1);
  t.is(s1?.bChannels[0]?.cas?.tx, 0b1011);
  t.is(r.card.span(2)?.bChannels[0]?.cas?.rx, 0b1011);
  r.app.close();
  r.card.span(2)?.bChannels[0]?.cas?.setTx(0b1011);
  const d = r.exch.dial({ called: '95598', calling: '1', timeslot: 1 });
  t.true(d.ok);
  r.until(() => r.seen.exch.some((x) => x.e === 'hangup'), 5000);
  t.like(r.seen.exch.find((x) => x.e === 'hangup'), { cause: Q850.RECOVERY_ON_TIMER_EXPIRE, reason: 'no seizure acknowledgement' });
  r.until(() => r.exch.state(1) === 'idle', 1000);
  t.pass();
});

test('ANI asked early (after 1 digit) and number completed by silence (no dnisLength)', async (t) => {
  const r = await rig(t, { aniAfterDigits: 1 });
  const d = r.exch.dial({ called: '95598', calling: '13800138000' });
  t.true(d.ok);
  r.until(() => r.seen.app.some((x) => x.e === 'ring'), 30_000);
  t.like(r.seen.app.find((x) => x.e === 'ring'), { called: '95598', calling: '13800138000' });
});
