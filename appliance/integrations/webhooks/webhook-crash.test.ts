/**
 * Issue 2 acceptance: "a kill -9 during webhook delivery that loses no queued delivery".
 * A child process (testing/crash-child.ts) publishes N events to a receiver that holds its
 * requests open; the test kills it with SIGKILL while requests are in flight, starts a fresh child on the
 * same database, and checks that every event reached the receiver (at-least-once: duplicates
 * are allowed and counted by X-Hotline-Delivery) and that the database shows all delivered.
 * Real time and real processes; bounded well under 20 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import BetterSqlite3 from 'better-sqlite3';
import { verifySignature } from './signature.js';
import { startReceiver } from './testing/receiver.js';

const FIXTURE = fileURLToPath(new URL('./testing/crash-child.ts', import.meta.url));
const EVENTS = 12;
/** The child's webhooks.concurrency (testing/crash-child.ts). */
const CONCURRENCY = 3;
// Generous: two tsx child processes start on a possibly loaded 2-core CI box; the test is about loss, not speed.
const DEADLINE_MS = 60_000;

interface Child {
  proc: ChildProcess;
  lines: AsyncIterator<string>;
  stderr: () => string;
}

function child(args: string[]): Child {
  const proc = spawn(process.execPath, ['--import=tsx', FIXTURE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  return { proc, lines, stderr: () => err };
}

async function nextJson(c: Child): Promise<Record<string, unknown>> {
  const { value, done } = await c.lines.next();
  if (done) throw new Error(`child exited early: ${c.stderr()}`);
  return JSON.parse(value) as Record<string, unknown>;
}

/** Resolves when the process has ended (at once if it already has). */
async function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await once(proc, 'exit');
}

async function until(what: string, cond: () => boolean, deadline: number): Promise<void> {
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('kill -9 during delivery loses no queued delivery; a fresh process delivers them all', async (t) => {
  const started = Date.now();
  const deadline = started + DEADLINE_MS;
  const dir = mkdtempSync(path.join(tmpdir(), 'webhooks-crash-'));
  const file = path.join(dir, 'appliance.db');
  // While the first process runs, the receiver holds every request open (a slow endpoint), so
  // the kill always lands with requests in flight; afterwards it answers after 100 ms.
  let phase: 'first' | 'second' = 'first';
  const rec = await startReceiver(() => (phase === 'first' ? 'hang' : { status: 200, delayMs: 100 }));
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await rec.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // 1. First process: subscribe, publish, start sending; kill -9 while requests are open.
  const first = child([file, rec.url, 'publish', String(EVENTS)]);
  children.push(first.proc);
  const out = await nextJson(first);
  const published = out['published'] as string[];
  t.is(published.length, EVENTS);
  await rec.waitFor(CONCURRENCY);
  t.is(rec.open, CONCURRENCY, 'the kill lands with requests in flight');
  first.proc.kill('SIGKILL');
  await exited(first.proc);
  t.is(first.proc.signalCode, 'SIGKILL');
  const receivedBeforeKill = rec.requests.length;
  phase = 'second';

  const db = new BetterSqlite3(file);
  t.teardown(() => db.close());
  const statuses = (): Record<string, number> =>
    Object.fromEntries(
      (db.prepare('SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status').all() as { status: string; n: number }[]).map(
        (r) => [r.status, r.n],
      ),
    );
  const afterKill = statuses();
  t.log('after kill -9:', afterKill, `received so far: ${receivedBeforeKill}`);
  t.is(Object.values(afterKill).reduce((a, b) => a + b, 0), EVENTS, 'every published event is queued on disk');
  t.deepEqual(
    afterKill,
    { delivering: CONCURRENCY, pending: EVENTS - CONCURRENCY },
    'cut off mid-request, or not tried yet: nothing delivered, nothing lost',
  );

  // 2. Fresh process on the same file: recovers `delivering` rows and sends everything.
  const second = child([file, rec.url, 'drain']);
  children.push(second.proc);
  t.deepEqual(await nextJson(second), { ready: true });
  await until('all deliveries delivered', () => statuses()['delivered'] === EVENTS, deadline);
  second.proc.kill('SIGTERM');
  await exited(second.proc);
  t.is(second.proc.exitCode, 0, `signal ${second.proc.signalCode}; stderr: ${second.stderr()}`);

  const secret = (db.prepare('SELECT secret FROM webhook_subscriptions').get() as { secret: string }).secret;
  const receivedEvents = new Set<string>();
  const perDelivery = new Map<string, number>();
  for (const req of rec.requests) {
    t.true(verifySignature({ secret, header: req.signature, body: req.body, now: Date.now() }).ok);
    receivedEvents.add((JSON.parse(req.body) as { id: string }).id);
    perDelivery.set(req.deliveryId, (perDelivery.get(req.deliveryId) ?? 0) + 1);
  }
  t.deepEqual([...receivedEvents].sort(), [...published].sort(), 'the receiver got every event id');
  const duplicates = rec.requests.length - perDelivery.size;
  t.is(perDelivery.size, EVENTS);
  t.is(duplicates, CONCURRENCY, 'only the deliveries cut off by the kill were sent twice');
  t.deepEqual(statuses(), { delivered: EVENTS });
  const elapsed = Date.now() - started;
  t.log(`requests ${rec.requests.length}, duplicates ${duplicates}, elapsed ${elapsed} ms`);
  t.true(elapsed < DEADLINE_MS);
});
