import test from 'ava';
import '../../appliance/acd/acd-events.js';
import { EventBus } from '../../appliance/core/events.js';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { LiveHub, type Projector, type SseSink } from './live-hub.js';
import { parseStream } from './sse.js';

class FakeSink implements SseSink {
  chunks: string[] = [];
  ended = false;
  writableLength = 0;
  /** When set, written bytes stay "unsent" (a slow client). */
  stalled = false;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    if (this.stalled) this.writableLength += Buffer.byteLength(chunk);
    return !this.stalled;
  }
  end(): void {
    this.ended = true;
  }
  messages() {
    return parseStream(this.chunks.join(''));
  }
}

function rig(opts = {}) {
  const clock = new ManualClock();
  const log = silentLogger();
  const bus = new EventBus({ clock, log });
  const hub = new LiveHub({ bus, clock, log }, opts);
  return { clock, bus, hub };
}

const all: Projector = (e) => [{ event: 'signal', data: e.type }];
const joined = (bus: EventBus, callId: string) => bus.publish('queue.caller.joined', { queueId: 'q', callId, tier: 'standard', priority: 0, position: 1, number: '1' });

test('an event published on the bus is written to the subscriber synchronously, with the event id', (t) => {
  const { bus, hub } = rig();
  const sink = new FakeSink();
  hub.subscribe(sink, all);
  const before = sink.chunks.length;
  const e = joined(bus, 'c1');
  t.is(sink.chunks.length, before + 1, 'written inside publish, not on a later tick');
  const m = sink.messages().filter((x) => x.event === 'signal');
  t.deepEqual(m, [{ event: 'signal', data: 'queue.caller.joined', id: e.id }]);
  t.is(hub.stats.sent, 1);
});

test('the projector filters: nothing is written for events it drops', (t) => {
  const { bus, hub } = rig();
  const sink = new FakeSink();
  hub.subscribe(sink, (e) => (e.type === 'queue.caller.joined' && e.payload.callId === 'mine' ? [{ event: 'signal', data: 'x' }] : []));
  joined(bus, 'other');
  joined(bus, 'mine');
  t.is(sink.messages().filter((x) => x.event === 'signal').length, 1);
});

test('heartbeat comments on the injected clock; streams end after maxStreamMs', (t) => {
  const { clock, hub } = rig({ heartbeatMs: 15_000, maxStreamMs: 60_000 });
  const sink = new FakeSink();
  hub.subscribe(sink, all);
  clock.advance(14_999);
  t.false(sink.messages().some((m) => m.comment?.startsWith('hb')));
  clock.advance(1);
  t.is(sink.messages().filter((m) => m.comment?.startsWith('hb')).length, 1);
  clock.advance(30_000);
  t.is(sink.messages().filter((m) => m.comment?.startsWith('hb')).length, 3);
  t.false(sink.ended);
  clock.advance(15_000);
  t.true(sink.ended, 'ended at 60 s so the reconnect re-checks the session');
  t.is(hub.stats.clients, 0);
});

test('Last-Event-ID resume replays only the events after it, through the projector', (t) => {
  const { bus, hub } = rig({ ringSize: 10 });
  const ids = ['a', 'b', 'c', 'd'].map((c) => joined(bus, c).id);
  const sink = new FakeSink();
  hub.subscribe(sink, (e) => (e.type === 'queue.caller.joined' && e.payload.callId !== 'c' ? [{ event: 'signal', data: e.payload.callId }] : []), { lastEventId: ids[1]! });
  t.deepEqual(
    sink.messages().filter((m) => m.event === 'signal').map((m) => [m.data, m.id]),
    [['d', ids[3]]],
  );
  t.is(hub.stats.replayed, 2);
  joined(bus, 'e');
  t.deepEqual(sink.messages().filter((m) => m.event === 'signal').map((m) => m.data), ['d', 'e']);
});

test('a Last-Event-ID that fell out of the bounded ring gets a reset, not a silent gap', (t) => {
  const { bus, hub } = rig({ ringSize: 3 });
  const first = joined(bus, 'a').id;
  let last = '';
  for (const c of ['b', 'c', 'd']) last = joined(bus, c).id;
  const sink = new FakeSink();
  hub.subscribe(sink, all, { lastEventId: first });
  t.deepEqual(sink.messages().filter((m) => m.event).map((m) => m.event), ['reset']);
  t.is(hub.stats.resets, 1);
  t.is(hub.lastId(), last);
});

test('backpressure: a client with more than maxBufferedBytes unsent is dropped; others keep receiving', (t) => {
  const { bus, hub } = rig({ maxBufferedBytes: 2_000 });
  const slow = new FakeSink();
  const fast = new FakeSink();
  hub.subscribe(slow, (e) => [{ event: 'oob', data: 'x'.repeat(500) + e.id }]);
  hub.subscribe(fast, all);
  slow.stalled = true;
  for (let i = 0; i < 10; i++) joined(bus, `c${i}`);
  t.true(slow.ended);
  t.is(hub.stats.dropped, 1);
  t.is(hub.stats.clients, 1);
  t.true(slow.chunks.length < 10);
  t.is(fast.messages().filter((m) => m.event === 'signal').length, 10);
});

test('a throwing projector is logged and skipped; the bus and other clients go on', (t) => {
  const { bus, hub } = rig();
  const bad = new FakeSink();
  const good = new FakeSink();
  hub.subscribe(bad, () => {
    throw new Error('boom');
  });
  hub.subscribe(good, all);
  t.notThrows(() => joined(bus, 'x'));
  t.is(good.messages().filter((m) => m.event === 'signal').length, 1);
});
