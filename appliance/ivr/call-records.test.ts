import path from 'node:path';
import test from 'ava';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from '../store/database.js';
import { IvrCallRecords } from './call-records.js';
import { IvrRunner } from './runner.js';
import { FakeEnqueuer, settle } from './testing/fakes.js';
import { parseFlow } from './validator.js';

const flow = parseFlow({
  id: 'survey-then-queue',
  name: 'records',
  start: 'rate',
  vars: { postcall_queue: 'general', postcall_agent: '1002' },
  nodes: {
    rate: { verb: 'survey', survey: 'post-call', questions: [{ id: 'agent', prompt: ['rate-agent'] }, { id: 'solved', prompt: ['rate-solved'] }], next: 'menu' },
    menu: { verb: 'collect', var: 'account', prompt: ['enter-account'], minLength: 3, maxLength: 3, next: 'queue', onFail: 'queue' },
    queue: { verb: 'enqueue', queue: 'general', vars: 'all', onFail: 'queue' },
  },
});

function rig() {
  const clock = new ManualClock();
  const store = openStore({ file: path.join(tempDir('ivr-rec-'), 'a.db'), clock, log: silentLogger() });
  const bus = new EventBus({ clock, log: silentLogger() });
  const records = new IvrCallRecords({ db: store.db, clock });
  const off = records.listen(bus);
  const channel = new FakeChannel({ clock, playMs: 500, caller: '13937100001' });
  const runner = new IvrRunner({ clock, log: silentLogger(), events: bus, channel, flow, callId: 'call-1', deps: { enqueuer: new FakeEnqueuer(), survey: records } });
  return { clock, store, records, off, channel, done: runner.run() };
}

test('an IVR run that reaches a queue is in the call record with its path and variables; survey scores are stored with the call', async (t) => {
  const { clock, store, records, channel, done, off } = rig();
  t.teardown(() => {
    off();
    store.close();
  });
  await settle();
  channel.press('4');
  await settle();
  await clock.advanceAsync(600, 100);
  channel.press('9'); // not a score: asked again
  await clock.advanceAsync(1200, 100);
  channel.press('2');
  await clock.advanceAsync(600, 100);
  channel.press('123');
  await clock.advanceAsync(2000, 100);
  const r = await done;
  t.is(r.outcome, 'enqueued');
  await records.flush();
  const [rec] = await records.ofCall('call-1');
  t.like(rec, { flowId: 'survey-then-queue', outcome: 'enqueued', queue: 'general', lastNode: 'queue' });
  t.deepEqual(rec?.path, ['rate', 'menu', 'queue']);
  t.like(rec?.vars, { account: '123', survey_agent: '4', survey_solved: '2', caller: '13937100001' });
  t.deepEqual(await records.scoresOf('call-1'), [
    { survey: 'post-call', question: 'agent', score: 4, queue: 'general', agentId: '1002' },
    { survey: 'post-call', question: 'solved', score: 2, queue: 'general', agentId: '1002' },
  ]);
});

test('a caller hanging up in the IVR is recorded as abandoned where they left', async (t) => {
  const { clock, store, records, channel, done, off } = rig();
  t.teardown(() => {
    off();
    store.close();
  });
  await settle();
  channel.press('5');
  await clock.advanceAsync(700, 100);
  channel.remoteHangup();
  const r = await done;
  t.is(r.outcome, 'abandoned');
  await records.flush();
  const [rec] = await records.ofCall('call-1');
  t.like(rec, { outcome: 'abandoned', lastNode: 'rate', queue: null });
  t.deepEqual((await records.scoresOf('call-1')).map((s) => [s.question, s.score]), [['agent', 5]], 'the answer given before hanging up is kept');
});
