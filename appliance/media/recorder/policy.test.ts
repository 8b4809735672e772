import test from 'ava';
import { ZodError } from 'zod';
import { RecordingPolicySchema, decideRecording } from './policy.js';

test('all: every call starts recording, with the configured encoding and beep', (t) => {
  const p = RecordingPolicySchema.parse({ mode: 'all', encoding: 'pcm16', beep: true });
  t.like(decideRecording(p, { queueId: 'billing' }), { action: 'start', encoding: 'pcm16', beep: true });
  t.like(decideRecording(p, { queueId: null }), { action: 'start' });
});

test('per queue: listed queues follow their rule, others the default, calls outside queues their own rule', (t) => {
  const p = RecordingPolicySchema.parse({ mode: 'per-queue', queues: { complaints: 'always', vip: 'on-demand', internal: 'never' }, defaultRule: 'never', outsideQueues: 'on-demand' });
  t.like(decideRecording(p, { queueId: 'complaints' }), { action: 'start', because: 'queue complaints: always' });
  t.like(decideRecording(p, { queueId: 'vip' }), { action: 'offer' });
  t.like(decideRecording(p, { queueId: 'internal' }), { action: 'skip' });
  t.like(decideRecording(p, { queueId: 'outage' }), { action: 'skip', because: 'queue outage not listed, default: never' });
  t.like(decideRecording(p, { queueId: null }), { action: 'offer' });
});

test('on demand: nothing starts by itself', (t) => {
  const p = RecordingPolicySchema.parse({ mode: 'on-demand', queues: { complaints: 'always' } });
  t.like(decideRecording(p, { queueId: 'complaints' }), { action: 'offer' });
});

test('defaults record everything in A-law without a beep; bad config is refused by name', (t) => {
  t.like(decideRecording(RecordingPolicySchema.parse({}), { queueId: 'x' }), { action: 'start', encoding: 'alaw', beep: false });
  t.throws(() => RecordingPolicySchema.parse({ mode: 'sometimes' }), { instanceOf: ZodError });
  t.throws(() => RecordingPolicySchema.parse({ mode: 'per-queue', queues: { q: 'maybe' } }), { instanceOf: ZodError });
  t.throws(() => RecordingPolicySchema.parse({ mode: 'all', extra: 1 }), { instanceOf: ZodError });
});
