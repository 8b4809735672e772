import test from 'ava';
import { EVENT_NAME, EventBus, type AnyAppEvent } from './events.js';
import { silentLogger } from './log.js';
import { ManualClock } from './testing/manual-clock.js';

test('publish reaches typed and wildcard subscribers with id and time', (t) => {
  const clock = new ManualClock(1_700_000_000_000);
  const bus = new EventBus({ clock, log: silentLogger() });
  const typed: string[] = [];
  const any: AnyAppEvent[] = [];
  bus.on('appliance.lifecycle.started', (e) => typed.push(e.payload.version));
  bus.onAny((e) => any.push(e));
  const ev = bus.publish('appliance.lifecycle.started', { version: '1.2.3' });
  t.deepEqual(typed, ['1.2.3']);
  t.is(any.length, 1);
  t.is(any[0]?.id, ev.id);
  t.is(ev.at, 1_700_000_000_000);
  t.regex(ev.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
});

test('a throwing subscriber does not stop the others', (t) => {
  const bus = new EventBus({ clock: new ManualClock(), log: silentLogger() });
  let reached = 0;
  bus.on('appliance.lifecycle.stopped', () => {
    throw new Error('boom');
  });
  bus.on('appliance.lifecycle.stopped', () => reached++);
  t.notThrows(() => bus.publish('appliance.lifecycle.stopped', { reason: 'test' }));
  t.is(reached, 1);
});

test('unsubscribe stops delivery', (t) => {
  const bus = new EventBus({ clock: new ManualClock(), log: silentLogger() });
  let n = 0;
  const off = bus.onAny(() => n++);
  bus.publish('appliance.lifecycle.stopped', { reason: 'a' });
  off();
  bus.publish('appliance.lifecycle.stopped', { reason: 'b' });
  t.is(n, 1);
});

test('event names follow domain.noun.verb-ed', (t) => {
  t.true(EVENT_NAME.test('queue.caller.joined'));
  t.true(EVENT_NAME.test('span.alarm.raised'));
  t.false(EVENT_NAME.test('queue.join'));
  t.false(EVENT_NAME.test('Queue.Caller.Joined'));
});
