import path from 'node:path';
import test from 'ava';
import { InvalidTransitionError, NotFoundError } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from '../store/database.js';
import { FlowValidationError } from './errors.js';
import { IvrRunner } from './runner.js';
import { validationCatalogue } from './testing/fakes.js';
import { FlowStore } from './flow-store.js';
import { FakeChannel } from '../channel/testing/fake-channel.js';

const flowV = (prompt: string) => ({
  id: 'hotline',
  name: 'Hotline',
  start: 'p',
  nodes: { p: { verb: 'play', prompts: [prompt], next: 'end' }, end: { verb: 'hangup' } },
});

async function rig() {
  const clock = new ManualClock();
  const store = openStore({ file: path.join(tempDir('ivr-'), 'a.db'), clock, log: silentLogger() });
  let prompts = ['welcome', 'welcome-2', 'welcome-3'];
  const flows = new FlowStore({ db: store.db, clock, catalogue: () => validationCatalogue({ prompts }) });
  return { clock, store, flows, dropPrompt: (p: string) => (prompts = prompts.filter((x) => x !== p)) };
}

test('draft → publish → new draft → publish → rollback keeps one published version', async (t) => {
  const { flows, store, clock } = await rig();
  t.deepEqual(await flows.saveDraft(flowV('welcome'), 'alice'), { flowId: 'hotline', version: 1 });
  t.is(await flows.published('hotline'), null, 'a draft is not live');
  await flows.publish('hotline', 1, 'alice');
  t.deepEqual((await flows.published('hotline'))?.nodes.p, { verb: 'play', prompts: ['welcome'], bargeIn: false, next: 'end' });

  t.deepEqual(await flows.saveDraft(flowV('welcome-2'), 'bob'), { flowId: 'hotline', version: 2 });
  t.deepEqual(await flows.saveDraft(flowV('welcome-3'), 'bob'), { flowId: 'hotline', version: 2 }, 'saving again replaces the draft');
  clock.advance(60_000);
  await flows.publish('hotline', 2, 'bob');
  const live = await flows.published('hotline');
  t.is(live?.version, 2);
  t.deepEqual(live?.nodes.p, { verb: 'play', prompts: ['welcome-3'], bargeIn: false, next: 'end' });
  t.deepEqual(
    (await flows.versions('hotline')).map((v) => [v.version, v.status, v.publishedBy]),
    [
      [2, 'published', 'bob'],
      [1, 'retired', 'alice'],
    ],
  );

  await flows.rollback('hotline', 1, 'carol');
  t.is((await flows.published('hotline'))?.version, 1);
  t.deepEqual((await flows.list()).map((v) => [v.flowId, v.version, v.status]), [['hotline', 1, 'published']]);
  await t.throwsAsync(flows.rollback('hotline', 1, 'carol'), { instanceOf: InvalidTransitionError });
  await t.throwsAsync(flows.publish('hotline', 9, 'carol'), { instanceOf: NotFoundError });
  await store.close();
});

test('an invalid flow is refused on save with node-level problems; the live version stays', async (t) => {
  const { flows, store } = await rig();
  await flows.saveDraft(flowV('welcome'), 'alice');
  await flows.publish('hotline', 1, 'alice');
  const err = await t.throwsAsync(flows.saveDraft(flowV('no-such-prompt'), 'mallory'), { instanceOf: FlowValidationError });
  t.deepEqual(err?.problems.map((p) => [p.node, p.field, p.code]), [['p', 'prompts.0', 'missing-prompt']]);
  t.is((await flows.versions('hotline')).length, 1, 'nothing half-written');
  t.is((await flows.published('hotline'))?.version, 1);
  await store.close();
});

test('publish re-validates: a draft whose prompt was deleted meanwhile is refused', async (t) => {
  const { flows, store, dropPrompt } = await rig();
  await flows.saveDraft(flowV('welcome'), 'alice');
  await flows.publish('hotline', 1, 'alice');
  await flows.saveDraft(flowV('welcome-2'), 'alice');
  dropPrompt('welcome-2');
  await t.throwsAsync(flows.publish('hotline', 2, 'alice'), { instanceOf: FlowValidationError });
  t.is((await flows.published('hotline'))?.version, 1);
  t.is((await flows.versions('hotline'))[0]?.status, 'draft');
  await store.close();
});

test('the schema refuses a second published or draft row for a flow', async (t) => {
  const { store } = await rig();
  const ins = store.sqlite.prepare(
    "INSERT INTO ivr_flows (flow_id, version, name, status, definition, created_at, created_by, updated_at) VALUES ('f', ?, 'f', ?, '{}', 0, 'x', 0)",
  );
  ins.run(1, 'published');
  t.throws(() => ins.run(2, 'published'), { any: true, code: 'SQLITE_CONSTRAINT_UNIQUE' });
  ins.run(2, 'draft');
  t.throws(() => ins.run(3, 'draft'), { any: true, code: 'SQLITE_CONSTRAINT_UNIQUE' });
  t.throws(() => ins.run(4, 'live'), { any: true, code: 'SQLITE_CONSTRAINT_CHECK' });
  await store.close();
});

test('node traffic: visits and where callers left, per day, from a real run', async (t) => {
  const { flows, store, clock } = await rig();
  await flows.saveDraft(flowV('welcome'), 'alice');
  await flows.publish('hotline', 1, 'alice');
  const bus = new EventBus({ clock, log: silentLogger() });
  const off = flows.recordTraffic(bus);
  const flow = (await flows.published('hotline'))!;
  for (const hangUpEarly of [false, true, true]) {
    const channel = new FakeChannel({ clock });
    const done = new IvrRunner({ clock, log: silentLogger(), events: bus, channel, flow }).run();
    await new Promise((r) => setImmediate(r));
    if (hangUpEarly) channel.remoteHangup();
    else await clock.advanceAsync(1000, 100);
    await done;
  }
  off();
  await flows.flushTraffic();
  t.deepEqual(await flows.traffic('hotline', 1, flows.day()), [
    { nodeId: 'end', visits: 1, abandons: 0 },
    { nodeId: 'p', visits: 3, abandons: 2 },
  ]);
  await store.close();
});
