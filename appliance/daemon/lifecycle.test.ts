import test from 'ava';
import { InvalidTransitionError } from '../core/errors.js';
import { EventBus, type AnyAppEvent } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { Lifecycle, type Drainable } from './lifecycle.js';

class FakeCalls implements Drainable {
  readonly name = 'calls';
  accepting = true;
  calls = 0;
  forceClosed = 0;

  stopAccepting(): void {
    this.accepting = false;
  }

  active(): number {
    return this.calls;
  }

  forceClose(): void {
    this.forceClosed += 1;
    this.calls = 0;
  }
}

function setup(drainLimitMs = 30_000) {
  const clock = new ManualClock();
  const log = silentLogger();
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const lifecycle = new Lifecycle({ clock, bus, log, drainLimitMs, pollMs: 100 });
  const closed: string[] = [];
  lifecycle.onClose('db', () => void closed.push('db'));
  lifecycle.onClose('webhooks', () => void closed.push('webhooks'));
  lifecycle.onClose('http', (forced) => void closed.push(forced ? 'http(forced)' : 'http'));
  return { clock, lifecycle, events, closed };
}

const settle = () => new Promise<void>((r) => setImmediate(r));

test('starting → ready → draining → stopped, with an event on each change', async (t) => {
  const { lifecycle, events, closed } = setup();
  t.is(lifecycle.state, 'starting');
  t.false(lifecycle.isReady());
  lifecycle.markReady('1.2.3');
  t.is(lifecycle.state, 'ready');
  t.true(lifecycle.isReady());
  const result = await lifecycle.signal('SIGTERM');
  t.is(lifecycle.state, 'stopped');
  t.false(result.forced);
  t.deepEqual(closed, ['http', 'webhooks', 'db'], 'closers run last-registered-first');
  t.deepEqual(
    events.map((e) => e.type),
    ['appliance.lifecycle.started', 'appliance.lifecycle.draining', 'appliance.lifecycle.stopped'],
  );
  t.deepEqual(events[0]?.payload, { version: '1.2.3' });
});

test('illegal transitions throw InvalidTransitionError', async (t) => {
  const { lifecycle } = setup();
  lifecycle.markReady('1');
  const err = t.throws(() => lifecycle.markReady('1'), { instanceOf: InvalidTransitionError });
  t.is(err?.from, 'ready');
  t.is(err?.to, 'ready');
  await lifecycle.shutdown('test');
  t.throws(() => lifecycle.markReady('1'), { instanceOf: InvalidTransitionError });
});

test('drain stops accepting and waits for active calls to finish', async (t) => {
  const { clock, lifecycle, events, closed } = setup(30_000);
  const calls = new FakeCalls();
  calls.calls = 2;
  lifecycle.register(calls);
  lifecycle.markReady('1');

  let done = false;
  const stopping = lifecycle.signal('SIGTERM').then((r) => {
    done = true;
    return r;
  });
  await settle();
  t.is(lifecycle.state, 'draining');
  t.false(calls.accepting, 'no new calls once draining');
  t.deepEqual(events.find((e) => e.type === 'appliance.lifecycle.draining')?.payload, {
    activeCalls: 2,
    limitMs: 30_000,
  });

  await clock.advanceAsync(10_000, 100);
  t.false(done, 'still waiting while calls are active');
  t.deepEqual(closed, [], 'nothing closed while calls are active');
  calls.calls = 1;
  await clock.advanceAsync(5_000, 100);
  t.false(done);
  calls.calls = 0;
  await clock.advanceAsync(200, 100);
  const result = await stopping;
  t.true(done);
  t.false(result.forced);
  t.is(calls.forceClosed, 0, 'calls that finished are not force-closed');
  t.true(result.drainedMs >= 15_000 && result.drainedMs <= 15_200, `drained in ${result.drainedMs} ms`);
  t.deepEqual(closed, ['http', 'webhooks', 'db']);
  t.is(lifecycle.state, 'stopped');
});

test('drain force-closes active calls at the drain limit, not before', async (t) => {
  const { clock, lifecycle, closed } = setup(20_000);
  const calls = new FakeCalls();
  calls.calls = 3;
  lifecycle.register(calls);
  lifecycle.markReady('1');
  const stopping = lifecycle.signal('SIGTERM');

  await clock.advanceAsync(19_900, 100);
  t.is(calls.forceClosed, 0, 'not yet at 19.9 s');
  t.is(lifecycle.state, 'draining');
  await clock.advanceAsync(200, 100);
  const result = await stopping;
  t.is(calls.forceClosed, 1);
  t.true(result.forced);
  t.deepEqual(result.forcedActive, { calls: 3 });
  t.is(result.drainedMs, 20_000);
  t.deepEqual(closed, ['http(forced)', 'webhooks', 'db']);
});

test('a second signal forces the stop at once', async (t) => {
  const { clock, lifecycle, closed } = setup(60_000);
  const calls = new FakeCalls();
  calls.calls = 1;
  lifecycle.register(calls);
  lifecycle.markReady('1');
  const first = lifecycle.signal('SIGTERM');
  await clock.advanceAsync(1_000, 100);
  t.is(lifecycle.state, 'draining');
  const second = lifecycle.signal('SIGTERM');
  t.is(second, first, 'both signals share one shutdown');
  const result = await second;
  t.is(calls.forceClosed, 1);
  t.true(result.forced);
  t.is(result.drainedMs, 1_000, 'did not wait for the 60 s limit');
  t.deepEqual(closed, ['http(forced)', 'webhooks', 'db']);
  t.is(clock.pendingTimers, 0, 'drain timers cancelled');
});

test('no active work: stop is immediate and leaves no timer', async (t) => {
  const { clock, lifecycle } = setup();
  lifecycle.register(new FakeCalls());
  lifecycle.markReady('1');
  const result = await lifecycle.shutdown('test');
  t.false(result.forced);
  t.is(result.drainedMs, 0);
  t.is(clock.pendingTimers, 0);
});

test('a Drainable registered while draining is told to stop accepting', async (t) => {
  const { clock, lifecycle } = setup(1_000);
  const a = new FakeCalls();
  a.calls = 1;
  lifecycle.register(a);
  lifecycle.markReady('1');
  const stopping = lifecycle.shutdown('test');
  const late = new FakeCalls();
  lifecycle.register(late);
  t.false(late.accepting);
  await clock.advanceAsync(1_000, 100);
  await stopping;
});

test('a failing closer does not stop the others and is reported', async (t) => {
  const { lifecycle, closed } = setup();
  lifecycle.onClose('broken', () => {
    throw new Error('boom');
  });
  lifecycle.markReady('1');
  const result = await lifecycle.shutdown('test');
  t.deepEqual(closed, ['http', 'webhooks', 'db']);
  t.deepEqual(
    result.closeErrors.map((e) => e.name),
    ['broken'],
  );
});

test('abortStart closes what was opened without draining', async (t) => {
  const { lifecycle, closed, events } = setup();
  const result = await lifecycle.abortStart('boot failed');
  t.is(lifecycle.state, 'stopped');
  t.deepEqual(closed, ['http(forced)', 'webhooks', 'db'], 'nothing to wait for: closed at once');
  t.false(result.forced);
  t.deepEqual(
    events.map((e) => e.type),
    ['appliance.lifecycle.stopped'],
  );
});
