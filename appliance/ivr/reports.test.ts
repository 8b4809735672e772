import path from 'node:path';
import test from 'ava';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from '../store/database.js';
import { FlowStore } from './flow-store.js';
import { IvrReports, SELF_SERVICE_FORMULA } from './reports.js';

const flow = {
  id: 'main',
  name: '主菜单',
  version: 1,
  lang: 'zh',
  start: 'welcome',
  vars: {},
  nodes: {
    welcome: { verb: 'play', prompts: ['welcome'], next: 'menu' },
    menu: { verb: 'menu', prompt: ['menu'], options: { '1': 'balance', '0': 'agent' } },
    balance: { verb: 'say', kind: 'money', value: '12.5', next: 'bye' },
    bye: { verb: 'hangup' },
    agent: { verb: 'enqueue', queue: 'q1' },
  },
};

test('IVR traffic: entries, to agent, where callers leave and the self-service completion rate', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 1, 0));
  const log = silentLogger();
  const store = openStore({ file: path.join(tempDir('ivr-rep-'), 'a.db'), clock, log });
  t.teardown(() => store.close());
  await store.db
    .insertInto('ivr_flows')
    .values({ flow_id: 'main', version: 1, name: '主菜单', status: 'published', definition: JSON.stringify(flow), created_at: 0, created_by: 't', updated_at: 0, published_at: 0, published_by: 't' })
    .execute();
  const bus = new EventBus({ clock, log });
  const flows = new FlowStore({ db: store.db, clock, catalogue: () => ({ queues: new Set(), prompts: new Set(), flows: new Set() }) as never });
  flows.recordTraffic(bus);
  const visit = (callId: string, nodeId: string, verb: string): void => {
    bus.publish('ivr.node.visited', { callId, channelId: callId, flowId: 'main', flowVersion: 1, nodeId, verb, seq: 1, from: null });
  };
  const hangup = (callId: string, lastNode: string): void => {
    bus.publish('ivr.flow.abandoned', { callId, channelId: callId, flowId: 'main', flowVersion: 1, lastNode, path: [], vars: {}, durationMs: 1, cause: 16 });
  };
  // 10 callers: 4 self-served (balance → bye), 3 to an agent, 2 hung up at the menu, 1 during the balance.
  for (let i = 0; i < 10; i++) {
    visit(`c${i}`, 'welcome', 'play');
    visit(`c${i}`, 'menu', 'menu');
  }
  for (let i = 0; i < 5; i++) visit(`b${i}`, 'balance', 'say');
  for (let i = 0; i < 4; i++) visit(`b${i}`, 'bye', 'hangup');
  hangup('b4', 'balance');
  for (let i = 0; i < 3; i++) visit(`a${i}`, 'agent', 'enqueue');
  hangup('m1', 'menu');
  hangup('m2', 'menu');
  // The next day, outside the range.
  clock.advance(86_400_000);
  visit('x', 'welcome', 'play');
  await flows.flushTraffic();

  const reports = new IvrReports({ db: store.db });
  const r = await reports.traffic({ fromDay: '2026-01-05', toDay: '2026-01-05' });
  t.is(r.formula, SELF_SERVICE_FORMULA);
  t.is(r.flows.length, 1);
  const f = r.flows[0]!;
  t.like(f, { flowId: 'main', name: '主菜单', entries: 10, toAgent: 3, abandoned: 3, selfServed: 4, selfServicePct: 40 });
  const menu = f.nodes.find((n) => n.nodeId === 'menu')!;
  t.like(menu, { verb: 'menu', visits: 10, abandons: 2, leavePct: 20 });
  t.is(f.nodes.find((n) => n.nodeId === 'balance')!.leavePct, 20);
  t.deepEqual(f.nodes.map((n) => n.nodeId).slice(0, 2), ['menu', 'welcome']);
  const both = await reports.traffic({ fromDay: '2026-01-05', toDay: '2026-01-06' });
  t.is(both.flows[0]!.entries, 11);
  t.deepEqual(await reports.flows(), [{ id: 'main', name: '主菜单' }]);
  t.deepEqual((await reports.traffic({ fromDay: '2026-01-05', toDay: '2026-01-05', flowId: 'other' })).flows, []);
});
