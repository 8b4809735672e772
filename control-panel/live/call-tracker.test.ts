import test from 'ava';
import { EventBus } from '../../appliance/core/events.js';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { CallTracker } from './call-tracker.js';

test('IVR inputs, number and queue come together per call; leaving the queue makes it a recent call of the number', (t) => {
  const clock = new ManualClock();
  const bus = new EventBus({ clock, log: silentLogger() });
  const tr = new CallTracker(bus, { maxRecentPerNumber: 2 });
  bus.publish('ivr.flow.completed', { callId: 'c1', channelId: 'c1', flowId: 'f', flowVersion: 1, lastNode: 'q', path: ['a', 'q'], vars: { meterNo: '1' }, durationMs: 1, outcome: 'enqueued' });
  bus.publish('queue.caller.joined', { queueId: 'q1', callId: 'c1', tier: 'vip', priority: 20, position: 1, number: '139' });
  t.like(tr.get('c1'), { number: '139', tier: 'vip', queueId: 'q1', waiting: true, ivrPath: ['a', 'q'], ivrVars: { meterNo: '1' } });
  bus.publish('queue.caller.moved', { queueId: 'q1', callId: 'c1', toQueueId: 'q2', toHead: true, by: 'user:1' });
  t.deepEqual(tr.waiting().map((c) => [c.callId, c.queueId]), [['c1', 'q2']]);
  bus.publish('queue.caller.answered', { queueId: 'q2', callId: 'c1', agentId: 'a1', waitMs: 5 });
  t.deepEqual(tr.waiting(), []);
  t.like(tr.recent('139', 5)[0], { callId: 'c1', outcome: 'answered', agentId: 'a1', queueId: 'q2' });
  for (const id of ['c2', 'c3']) {
    bus.publish('queue.caller.joined', { queueId: 'q1', callId: id, tier: 'standard', priority: 0, position: 1, number: '139' });
    bus.publish('queue.caller.abandoned', { queueId: 'q1', callId: id, waitMs: 1, position: 1 });
  }
  t.deepEqual(tr.recent('139', 5).map((r) => r.callId), ['c3', 'c2'], 'newest first, bounded');
  tr.close();
  bus.publish('queue.caller.joined', { queueId: 'q1', callId: 'c4', tier: 'standard', priority: 0, position: 1, number: '1' });
  t.is(tr.get('c4'), null);
});

test('the variables the enqueue node passed (queue.caller.joined) are the screen pop, even when the IVR run ends after the join', (t) => {
  const clock = new ManualClock();
  const bus = new EventBus({ clock, log: silentLogger() });
  const tr = new CallTracker(bus, { maxRecentPerNumber: 2 });
  bus.publish('queue.caller.joined', { queueId: 'q1', callId: 'c1', tier: 'standard', priority: 0, position: 1, number: '139', vars: { account: '0410' } });
  bus.publish('ivr.flow.completed', { callId: 'c1', channelId: 'c1', flowId: 'f', flowVersion: 1, lastNode: 'q', path: ['a', 'q'], vars: { account: '0410', pin: '1234' }, durationMs: 1, outcome: 'enqueued' });
  t.like(tr.get('c1'), { ivrPath: ['a', 'q'] });
  t.deepEqual(tr.get('c1')?.ivrVars, { account: '0410' });
});
