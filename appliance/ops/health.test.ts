import type { AddressInfo } from 'node:net';
import test from 'ava';
import express from 'express';
import { ManualClock } from '../core/testing/manual-clock.js';
import { AlarmBoard } from './alarms.js';
import { createHealthRouter, type HealthDeps } from './health.js';

async function serve(deps: HealthDeps) {
  const app = express();
  app.use(createHealthRouter(deps));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise((r) => server.close(r)) };
}

function world() {
  const alarms = new AlarmBoard({ clock: new ManualClock() });
  const s = { state: 'ready', dbDown: false };
  const deps: HealthDeps = {
    pingDatabase: () => {
      if (s.dbDown) throw new Error('database is closed');
    },
    state: () => s.state,
    criticalAlarms: () => alarms.critical(),
  };
  return { s, alarms, deps };
}

test('/healthz: 200 while the database answers, 503 naming the failure when not', async (t) => {
  const { s, deps } = world();
  const srv = await serve(deps);
  t.teardown(srv.close);
  let res = await fetch(`${srv.base}/healthz`);
  t.is(res.status, 200);
  t.deepEqual(await res.json(), { status: 'ok', checks: { process: 'ok', database: 'ok' } });
  s.dbDown = true;
  res = await fetch(`${srv.base}/healthz`);
  t.is(res.status, 503);
  t.deepEqual(await res.json(), { status: 'fail', checks: { process: 'ok', database: 'error: database is closed' } });
});

test('/readyz: 200 only when ready with no critical alarm', async (t) => {
  const { s, alarms, deps } = world();
  const srv = await serve(deps);
  t.teardown(srv.close);
  t.is((await fetch(`${srv.base}/readyz`)).status, 200);

  for (const state of ['starting', 'draining', 'stopped']) {
    s.state = state;
    const res = await fetch(`${srv.base}/readyz`);
    t.is(res.status, 503, state);
    t.like(await res.json(), { status: 'not-ready', state });
  }

  s.state = 'ready';
  alarms.raise('disk.data.low', 'major', 'data disk 91% full');
  t.is((await fetch(`${srv.base}/readyz`)).status, 200, 'a major alarm does not make it unready');
  alarms.raise('span.all.red', 'critical', 'every E1 span in red alarm');
  const res = await fetch(`${srv.base}/readyz`);
  t.is(res.status, 503);
  t.deepEqual(await res.json(), {
    status: 'not-ready',
    state: 'ready',
    alarms: [{ id: 'span.all.red', message: 'every E1 span in red alarm' }],
  });
  alarms.clear('span.all.red');
  t.is((await fetch(`${srv.base}/readyz`)).status, 200);
});

test('alarm board keeps the first raise time and lists by age', (t) => {
  const clock = new ManualClock();
  const board = new AlarmBoard({ clock });
  const first = board.raise('a', 'minor', 'one');
  clock.advance(1000);
  board.raise('b', 'critical', 'two');
  const again = board.raise('a', 'critical', 'one, worse');
  t.is(again.since, first.since);
  t.deepEqual(
    board.critical().map((a) => a.id),
    ['a', 'b'],
  );
  t.true(board.clear('a'));
  t.false(board.clear('a'));
});
