/**
 * Issue 6 benchmark (b), run by `npm run bench -- acd e2e [agents=300] [rate=225] [seconds=60] [talk=1000]`:
 * end to end through the REAL daemon with SIPp only.
 *
 *   SIPp UAC (rtp-uac.xml: digest-authenticated caller, A-law, BYE after `talk` ms)
 *     → route 9000 → ACD queue `bench` (least-recent, wrap-up 0)
 *     → one of `agents` agents (extensions 3000…, static contacts at the SIPp UAS, status available)
 *     → SIPp UAS (rtp-uas.xml) answers at once, streams A-law back.
 *
 * Reported: calls distributed per second (successful calls / the window they were started in),
 * failures (target 0), mean and p99 time-to-agent (CDR: the agent leg's answer minus the caller
 * leg's answer = queue entry, the caller being answered on entering the queue), CPU of the
 * appliance and of both SIPps. Smoke: `npm run bench -- acd e2e agents=20 rate=10 seconds=10`.
 */
import BetterSqlite3 from 'better-sqlite3';
import path from 'node:path';
import { SqliteAcdStore } from '../../appliance/acd/acd-store.js';
import { queueConfig } from '../../appliance/acd/testing/acd-harness.js';
import { DB_FILE_NAME } from '../../appliance/store/database.js';
import { args, CpuMeter, freeUdpPort, injectionFile, machine, runSipp, seedBindings, sleep, startAppliance, SIPP } from './harness.js';

const o = args({ agents: 300, rate: 225, seconds: 60, talk: 1000 });
if (!SIPP) {
  console.log('acd e2e: sipp not installed (Debian package sip-tester): skipped');
  process.exit(0);
}
const uasPort = await freeUdpPort();
const agentIds = Array.from({ length: o.agents }, (_, i) => String(3000 + i));
const app = await startAppliance({
  routes: [{ id: 'acd', name: 'to the bench queue', did: '9000', target: { kind: 'queue', queue: 'bench' } }],
  extensions: [{ number: '1001', password: 'secret-1001' }, ...agentIds.map((n) => ({ number: n, password: `secret-${n}` }))],
  seed: (store) => {
    seedBindings(store, agentIds.map((aor) => ({ aor, host: '127.0.0.1', port: uasPort })));
    const acd = new SqliteAcdStore(store);
    acd.saveQueueConfig(queueConfig('bench', { name: 'bench', strategy: 'least-recent', wrapUpMs: 0, ringTimeoutMs: 10_000 }));
    const now = Date.now();
    for (const id of agentIds) {
      acd.saveAgentConfig({ id, name: `agent ${id}`, skills: {}, memberships: [{ queueId: 'bench', penalty: 0 }] });
      acd.saveAgentState({ agentId: id, status: 'available', breakReason: null, state: 'idle', updatedAt: now });
    }
  },
});
console.log(`acd e2e: ${machine()}`);
console.log(`appliance pid ${app.pid}; ${o.agents} agents (SIPp UAS :${uasPort}), calls at ${o.rate}/s for ${o.seconds} s, talk ${o.talk} ms`);

try {
  const total = o.rate * o.seconds;
  const uas = runSipp('rtp-uas.xml', ['-p', String(uasPort), '-mp', '36000', '-rtp_threadtasks', '50', '-timeout', `${o.seconds + 90}s`], null);
  await sleep(500);
  const inf = injectionFile(app.dataDir, [['1001', 'secret-1001']]);
  const uac = runSipp(
    'rtp-uac.xml',
    ['-s', '9000', '-inf', inf, '-au', '1001', '-ap', 'secret-1001', '-r', String(o.rate), '-m', String(total), '-l', String(o.rate * 10), '-d', String(o.talk), '-mp', '30000', '-rtp_threadtasks', '50', '-recv_timeout', '20000', '-timeout', `${o.seconds + 60}s`, '-timeout_error'],
    `127.0.0.1:${app.sipPort}`,
  );
  const t0 = performance.now();
  const cpu = new CpuMeter([app.pid, uac.pid, uas.pid]);
  let appCpu = 0;
  let uacCpu = 0;
  let uasCpu = 0;
  const sampler = (async () => {
    await Promise.race([sleep(o.seconds * 1000), uac.exited]);
    appCpu = cpu.percent(app.pid);
    uacCpu = cpu.percent(uac.pid);
    uasCpu = cpu.percent(uas.pid);
  })();
  const code = await uac.exited;
  const elapsed = (performance.now() - t0) / 1000;
  await sampler;
  await sleep(1500);
  uas.child.kill('SIGTERM');
  const s = uac.stats();
  const db = new BetterSqlite3(path.join(app.dataDir, DB_FILE_NAME), { readonly: true });
  const rows = db
    .prepare("SELECT a.answered_at - c.answered_at AS tta FROM cdr_legs c JOIN cdr_legs a ON a.call_id = c.call_id AND a.position = 1 WHERE c.position = 0 AND c.answered_at IS NOT NULL AND a.answered_at IS NOT NULL")
    .all() as Array<{ tta: number }>;
  db.close();
  const tta = rows.map((r) => r.tta).sort((a, b) => a - b);
  const mean = tta.reduce((a, b) => a + b, 0) / Math.max(1, tta.length);
  const p99 = tta[Math.floor(tta.length * 0.99)] ?? 0;
  const ok = s?.successful ?? 0;
  const failed = total - ok;
  const perSecond = ok / Math.max(1, elapsed - o.talk / 1000 - 0.5);
  console.log(
    [
      `calls ${ok}/${total} (failed ${failed})`,
      `distributed ${perSecond.toFixed(0)} calls/s`,
      `agent legs answered ${tta.length}`,
      `time-to-agent mean ${mean.toFixed(1)} ms p99 ${p99} ms`,
      `CPU appliance ${appCpu.toFixed(0)} %, SIPp UAC ${uacCpu.toFixed(0)} %, UAS ${uasCpu.toFixed(0)} % of one core`,
      failed === 0 && code === 0 ? 'PASS (0 failures)' : `FAIL (sipp exit ${code})`,
    ].join(' | '),
  );
  if (failed > 0) {
    const err = uac.errors();
    if (err) console.log(`  first SIPp errors:\n${err.split('\n').slice(0, 8).join('\n')}`);
  }
} finally {
  await app.stop();
}
console.log(`target: >= 225 calls/s with 0 failures, mean time-to-agent < 20 ms; load average now ${(await import('node:os')).loadavg()[0]?.toFixed(2)}`);
