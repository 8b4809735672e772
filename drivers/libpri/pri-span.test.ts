import test from 'ava';
import { systemClock } from '../../appliance/core/clock.js';
import { silentLogger } from '../../appliance/core/log.js';
import { InvalidTransitionError } from '../../appliance/core/errors.js';
import { DriverError } from '../types.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { eventLayout, liveCallbacks } from './ffi.js';
import { PriSignalling, Q850, type PriSignallingEvents } from './pri-span.js';

/**
 * A virtual crossover cable for the D channel: whatever one end transmits the other receives.
 * Frames sent before the far end is plugged in wait in the cable (libpri sends SABME from inside
 * pri_new_cb, before the second controller exists). `cut()` drops frames, as a pulled cable would.
 */
class VirtualCable {
  private readonly ends: [PriSignalling | null, PriSignalling | null] = [null, null];
  private readonly waiting: [Uint8Array[], Uint8Array[]] = [[], []];
  framesCarried = 0;
  cutting = false;

  transmitFrom(side: 0 | 1): (frame: Uint8Array) => void {
    const to = side === 0 ? 1 : 0;
    return (frame) => {
      if (this.cutting) return;
      this.framesCarried++;
      const end = this.ends[to];
      if (end) end.receiveFrame(frame);
      else this.waiting[to].push(frame);
    };
  }

  plug(side: 0 | 1, end: PriSignalling): void {
    this.ends[side] = end;
    for (const f of this.waiting[side].splice(0)) end.receiveFrame(f);
  }
}

function rig(timers?: Record<string, number>): { cpe: PriSignalling; net: PriSignalling; cable: VirtualCable; close(): void } {
  const cable = new VirtualCable();
  const deps = { clock: systemClock, log: silentLogger() };
  const cpe = new PriSignalling({ spanNo: 1, side: 'cpe', transmit: cable.transmitFrom(0), ...(timers ? { timers } : {}) }, deps);
  const net = new PriSignalling({ spanNo: 2, side: 'net', transmit: cable.transmitFrom(1), ...(timers ? { timers } : {}) }, deps);
  cable.plug(0, cpe);
  cable.plug(1, net);
  return {
    cpe,
    net,
    cable,
    close() {
      cpe.close();
      net.close();
    },
  };
}

function next<K extends keyof PriSignallingEvents>(sig: PriSignalling, event: K, ms = 3000): Promise<PriSignallingEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sig.off(event, fn);
      reject(new Error(`timed out waiting for ${event} on span ${sig.spanNo}`));
    }, ms);
    const fn = (p: PriSignallingEvents[K]): void => {
      clearTimeout(timer);
      sig.off(event, fn);
      resolve(p);
    };
    sig.on(event, fn);
  });
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await new Promise((r) => setTimeout(r, 1));
}

async function bothUp(r: ReturnType<typeof rig>): Promise<void> {
  const waits: Promise<unknown>[] = [];
  if (!r.cpe.dchanUp) waits.push(next(r.cpe, 'dchanUp'));
  if (!r.net.dchanUp) waits.push(next(r.net, 'dchanUp'));
  await Promise.all(waits);
}

test('pri_event view offsets match the C offsetof table (NATIVE-PROBE.md)', (t) => {
  t.deepEqual(eventLayout.ring, { channel: 4, callingnum: 276, callednum: 796, complete: 1848, call: 1856 });
  t.is(eventLayout.answer.call, 24);
  t.deepEqual(eventLayout.proceeding, { cause: 20, call: 24 });
  t.deepEqual(eventLayout.hangup, { cause: 8, call: 16, aocUnits: 24 });
  t.is(eventLayout.keypad.digits, 16);
});

test.serial('close() unregisters every koffi callback it registered (io pair + global message hooks)', async (t) => {
  const before = liveCallbacks();
  const r = rig();
  t.is(liveCallbacks(), before + 2 * 2 + 2);
  await bothUp(r);
  r.close();
  t.is(liveCallbacks(), before);
});

test.serial('libpri timers are armed on the injected Clock and cancelled by close()', (t) => {
  const clock = new ManualClock();
  const sent: Uint8Array[] = [];
  const cpe = new PriSignalling({ spanNo: 9, side: 'cpe', transmit: (f) => sent.push(f) }, { clock, log: silentLogger() });
  // pri_new_cb sent SABME and started T200 (Q.921 §5.5.1.1): one pending timer on our clock.
  t.is(sent.length, 1);
  t.is(sent[0]?.length, 5, 'SABME: address (2) + control (1) + FCS (2)');
  t.is(clock.pendingTimers, 1);
  cpe.close();
  t.is(clock.pendingTimers, 0);
});

test('D channel comes up on both ends of a CPE-NET crossover', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const started = performance.now();
  await bothUp(r);
  t.log(`D channel up after ${(performance.now() - started).toFixed(1)} ms, ${r.cable.framesCarried} frames`);
  t.true(r.cpe.dchanUp);
  t.true(r.net.dchanUp);
});

test('NET call to CPE: ring with numbers, alerting, answer, hangup 16 on both sides; second call busy 17', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  await bothUp(r);

  const ring = next(r.cpe, 'ring');
  t.is(r.net.setup({ channel: 1, called: '95598', calling: '037160001234', presentation: 'allowed', plan: 'national' }), 'sent');
  const rang = await ring;
  t.like(rang, { channel: 1, called: '95598', calling: '037160001234', presentation: 'allowed', complete: true });
  t.is(r.cpe.callLevel(1), 'setup');

  const proceeding = next(r.net, 'proceeding');
  r.cpe.proceeding(1);
  t.deepEqual(await proceeding, { channel: 1 });

  const ringing = next(r.net, 'ringing');
  r.cpe.alerting(1);
  t.like(await ringing, { channel: 1 });
  t.is(r.net.callLevel(1), 'alerting');

  const answered = next(r.net, 'answer');
  r.cpe.answer(1);
  t.deepEqual(await answered, { channel: 1 });
  t.is(r.net.callLevel(1), 'connect');
  t.is(r.cpe.callLevel(1), 'connect');

  const netHangup = next(r.net, 'hangup');
  const cpeHangup = next(r.cpe, 'hangup');
  r.cpe.hangup(1, Q850.NORMAL_CLEARING);
  t.like(await netHangup, { channel: 1, cause: 16, by: 'remote', causeText: 'Normal Clearing' });
  t.like(await cpeHangup, { channel: 1, cause: 16, by: 'local' });
  t.is(r.cpe.callLevel(1), null);

  // Second call: the CPE rejects it, user busy.
  const ring2 = next(r.cpe, 'ring');
  t.is(r.net.setup({ channel: 2, called: '95598', calling: '037160005678' }), 'sent');
  t.like(await ring2, { channel: 2, calling: '037160005678' });
  const busyNet = next(r.net, 'hangup');
  const busyCpe = next(r.cpe, 'hangup');
  r.cpe.hangup(2, Q850.USER_BUSY);
  t.like(await busyNet, { channel: 2, cause: 17, by: 'remote', causeText: 'User busy' });
  t.like(await busyCpe, { channel: 2, cause: 17, by: 'local' });
  // The NET side reported the hangup on DISCONNECT; the channel is free after RELEASE COMPLETE.
  await until(() => r.net.callLevel(2) === null);
  t.is(r.net.callLevel(2), null);
  t.is(r.cpe.callLevel(2), null);
});

test('CPE-originated call: NET sees the ring, answers, NET clears', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  await bothUp(r);

  const ring = next(r.net, 'ring');
  t.is(r.cpe.setup({ channel: 5, called: '13800138000', calling: '95598', presentation: 'restricted' }), 'sent');
  t.like(await ring, { channel: 5, called: '13800138000', calling: '95598', presentation: 'restricted' });

  const ringing = next(r.cpe, 'ringing');
  r.net.alerting(5, true);
  t.like(await ringing, { channel: 5, inband: true });

  const answered = next(r.cpe, 'answer');
  r.net.answer(5);
  await answered;

  const cpeHangup = next(r.cpe, 'hangup');
  const netHangup = next(r.net, 'hangup');
  r.net.hangup(5, Q850.NORMAL_CLEARING);
  t.like(await cpeHangup, { channel: 5, cause: 16, by: 'remote' });
  t.like(await netHangup, { channel: 5, cause: 16, by: 'local' });
});

test('setup outcomes are values; verbs out of order are typed errors', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  t.is(r.cpe.setup({ channel: 1, called: '1', calling: '2' }), 'dchan-down');
  await bothUp(r);

  const ring = next(r.net, 'ring');
  t.is(r.cpe.setup({ channel: 3, called: '1', calling: '2' }), 'sent');
  t.is(r.cpe.setup({ channel: 3, called: '1', calling: '2' }), 'channel-busy');
  await ring;

  // The CPE placed this call: it cannot answer it.
  t.throws(() => r.cpe.answer(3), { instanceOf: InvalidTransitionError });
  t.throws(() => r.net.answer(7), { instanceOf: DriverError });
  r.net.answer(3);
  t.throws(() => r.net.alerting(3), { instanceOf: InvalidTransitionError });

  const cleared = next(r.cpe, 'hangup');
  r.net.hangup(3, Q850.NORMAL_CLEARING);
  await cleared;
  r.close();
  t.throws(() => r.cpe.setup({ channel: 1, called: '1', calling: '2' }), { instanceOf: DriverError });
});

test('RESTART of a channel reaches the far end and is acknowledged', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  await bothUp(r);
  const restart = next(r.cpe, 'restart');
  const ack = next(r.net, 'restartAck');
  r.net.restart(4);
  t.deepEqual(await restart, { channel: 4 });
  t.deepEqual(await ack, { channel: 4 });
});

test('100 sequential calls complete back to back', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  await bothUp(r);
  r.cpe.on('ring', (e) => r.cpe.answer(e.channel));
  r.net.on('answer', (e) => r.net.hangup(e.channel, Q850.NORMAL_CLEARING));
  const started = performance.now();
  for (let i = 0; i < 100; i++) {
    const channel = (i % 30) + 1 + ((i % 30) + 1 >= 16 ? 1 : 0);
    const done = next(r.cpe, 'hangup');
    t.is(r.net.setup({ channel, called: '95598', calling: String(10000 + i) }), 'sent');
    const h = await done;
    if (h.cause !== 16) t.fail(`call ${i} cleared with ${h.cause}`);
  }
  const ms = performance.now() - started;
  t.log(`100 calls in ${ms.toFixed(0)} ms (${(ms / 100).toFixed(2)} ms/call), ${r.cable.framesCarried} frames`);
  t.pass();
});

test('cable cut: D channel drops on both ends (T203 + N200×T200), the call is cleared, and comes back', async (t) => {
  // Shortened timers so the test runs in about a second of real time (libpri's timers are wall-clock).
  const r = rig({ T200: 100, T203: 400, N200: 2, T309: 200 });
  t.teardown(() => r.close());
  await bothUp(r);
  const ring = next(r.cpe, 'ring');
  r.net.setup({ channel: 1, called: '95598', calling: '1234' });
  await ring;
  const answered = next(r.net, 'answer');
  r.cpe.answer(1);
  await answered;

  const cut = performance.now();
  const downs = Promise.all([next(r.cpe, 'dchanDown'), next(r.net, 'dchanDown')]);
  const cleared = Promise.all([next(r.cpe, 'hangup'), next(r.net, 'hangup')]);
  r.cable.cutting = true;
  await downs;
  const downMs = performance.now() - cut;
  const [cpeGone, netGone] = await cleared;
  const clearedMs = performance.now() - cut;
  t.log(`D channel down after ${downMs.toFixed(0)} ms, call cleared after ${clearedMs.toFixed(0)} ms (cause ${cpeGone.cause})`);
  t.true(downMs >= 400, 'not before T203');
  t.false(r.cpe.dchanUp);
  t.is(cpeGone.channel, 1);
  t.is(netGone.channel, 1);
  t.is(r.cpe.callLevel(1), null);

  const ups = Promise.all([next(r.cpe, 'dchanUp'), next(r.net, 'dchanUp')]);
  r.cable.cutting = false;
  await ups;
  t.true(r.cpe.dchanUp && r.net.dchanUp);
});
