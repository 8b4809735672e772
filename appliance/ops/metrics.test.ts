import type { AddressInfo } from 'node:net';
import test from 'ava';
import express, { Router } from 'express';
import { SystemClock } from '../core/clock.js';
import { createMetrics, UNMATCHED_ROUTE } from './metrics.js';

async function serve() {
  const metrics = createMetrics({ clock: new SystemClock() });
  const app = express();
  app.use(metrics.middleware);
  app.get('/metrics', metrics.handler);
  const api = Router();
  api.get('/things/:id', (req, res) => {
    res.json({ id: req.params['id'] });
  });
  api.post('/things', (_req, res) => {
    res.status(400).json({ error: 'bad' });
  });
  app.use('/api/v1', api);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, metrics, close: () => new Promise((r) => server.close(r)) };
}

test('/metrics exposes process, event-loop lag and HTTP duration by route pattern', async (t) => {
  const srv = await serve();
  t.teardown(srv.close);
  await fetch(`${srv.base}/api/v1/things/1`);
  await fetch(`${srv.base}/api/v1/things/2`);
  await fetch(`${srv.base}/api/v1/things`, { method: 'POST' });
  await fetch(`${srv.base}/no/such/page`);

  const res = await fetch(`${srv.base}/metrics`);
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await res.text();
  t.regex(text, /^process_cpu_user_seconds_total /m);
  t.regex(text, /^process_resident_memory_bytes /m);
  t.regex(text, /^nodejs_eventloop_lag_seconds /m);
  t.regex(text, /^nodejs_eventloop_lag_p99_seconds /m);
  t.regex(
    text,
    /^http_request_duration_seconds_count\{route="\/api\/v1\/things\/:id",method="GET",status="200"\} 2$/m,
    'ids collapse into the route pattern',
  );
  t.regex(text, /^http_request_duration_seconds_count\{route="\/api\/v1\/things",method="POST",status="400"\} 1$/m);
  t.true(
    text.includes(`http_request_duration_seconds_count{route="${UNMATCHED_ROUTE}",method="GET",status="404"} 1\n`),
    'unmatched URLs share one label',
  );
  t.false(text.includes('things/1"'), 'raw URLs are never labels');
});

test('each daemon has its own registry', (t) => {
  const a = createMetrics({ clock: new SystemClock() });
  const b = createMetrics({ clock: new SystemClock() });
  a.httpDuration.observe({ route: '/x', method: 'GET', status: '200' }, 0.01);
  t.not(a.registry, b.registry);
  t.is(b.registry.getSingleMetric('http_request_duration_seconds')?.constructor.name, 'Histogram');
});

test('event-loop lag: ours is how late the loop ran (0 when idle, the block when blocked), per scrape window', async (t) => {
  const { registry } = createMetrics({ clock: new SystemClock() });
  const read = async (name: string): Promise<number> => {
    const m = new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm').exec(await registry.metrics());
    if (!m) throw new Error(`${name} missing`);
    return Number(m[1]);
  };
  const value = (text: string, name: string): number => Number(new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm').exec(text)?.[1]);
  await read('appliance_eventloop_lag_p99_seconds'); // start a fresh window
  await new Promise((r) => setTimeout(r, 400));
  const idle = await registry.metrics();
  t.true(value(idle, 'nodejs_eventloop_lag_p99_seconds') >= 0.019, 'prom-client reports the 20 ms sampling interval itself');
  t.true(value(idle, 'appliance_eventloop_lag_p99_seconds') < 0.008, `idle: ${value(idle, 'appliance_eventloop_lag_p99_seconds')}`);

  await new Promise((r) => setTimeout(r, 50));
  const until = performance.now() + 80;
  while (performance.now() < until); // the main thread blocked for 80 ms
  await new Promise((r) => setTimeout(r, 50));
  const blocked = await registry.metrics();
  const max = value(blocked, 'appliance_eventloop_lag_max_seconds');
  t.true(max >= 0.06 && max < 0.2, `blocked 80 ms: max ${max}`);
  await new Promise((r) => setTimeout(r, 200));
  t.true((await read('appliance_eventloop_lag_max_seconds')) < 0.06, 'the next window starts afresh');
});
