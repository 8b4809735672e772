/**
 * Issue 6 benchmark (b), run by `npm run bench -- acd e2e [agents=300] [rate=225] [seconds=60] [talk=1000] [prof=DIR]`:
 * end to end through the REAL daemon with SIPp only.
 *
 *   SIPp UAC = the carrier (trunk-uac.xml): a SIP trunk `carrier` with an IP ACL (127.0.0.1 and
 *     the UAC's own source port, appliance/sip/trunks, auth kind `ip`), so its INVITEs are the
 *     trunk's and carry no Digest credentials, as a carrier's calls do; the DID 9000 is the
 *     Request-URI user, the caller numbers come from an injection file; A-law, BYE after `talk` ms
 *     → inbound route 9000 → ACD queue `bench` (least-recent, wrap-up 0)
 *     → one of `agents` agents, each an extension 3000… whose registered contact (a binding in
 *       the registrar's table, restored at start) is the SIPp UAS; status available
 *     → SIPp UAS (rtp-uas.xml) answers at once, streams A-law back.
 *
 * Reported, each with the load average at that moment: calls distributed per second (agent legs
 * answered over the span between the first and the last), failures (target 0: every call placed
 * that did not reach an agent — a SIPp call "succeeds" even when its caller only waited in the
 * queue, the caller being answered on entry), the ACD's own count of outcomes, mean and p99
 * time-to-agent (CDR: the agent leg's answer minus the caller leg's answer = queue entry, the
 * caller being answered on entering the queue), CPU of the appliance and of both SIPps (% of one
 * core, CpuMeter), the daemon's event-loop lag p99 (/metrics), and where the median call's
 * time-to-agent went (ACD decision, agent-leg set-up, the phone's answer, bridge).
 * `prof=DIR` writes a V8 CPU profile of the daemon's main thread there.
 * Smoke: `npm run bench -- acd e2e agents=20 rate=10 seconds=10`.
 */
import BetterSqlite3 from 'better-sqlite3';
import os from 'node:os';
import path from 'node:path';
import { SqliteAcdStore } from '../../appliance/acd/acd-store.js';
import { queueConfig } from '../../appliance/acd/testing/acd-harness.js';
import { SqliteTrunkStore } from '../../appliance/sip/trunks/trunk-store.js';
import { DB_FILE_NAME } from '../../appliance/store/database.js';
import { args, CpuMeter, eventLoopP99, freeUdpPort, injectionFile, machine, runSipp, seedBindings, sleep, startAppliance, SIPP } from './harness.js';

const o = args({ agents: 300, rate: 225, seconds: 60, talk: 1000, prof: '' });
if (!SIPP) {
  console.log('acd e2e: sipp not installed (Debian package sip-tester): skipped');
  process.exit(0);
}
const load = (): string => `load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
const uasPort = await freeUdpPort();
const uacPort = await freeUdpPort();
const agentIds = Array.from({ length: o.agents }, (_, i) => String(3000 + i));
const app = await startAppliance({
  routes: [{ id: 'acd', name: 'to the bench queue', did: '9000', target: { kind: 'queue', queue: 'bench' } }],
  extensions: agentIds.map((n) => ({ number: n, password: `secret-${n}` })),
  ...(o.prof ? { cpuProfDir: path.resolve(o.prof) } : {}),
  seed: (store) => {
    new SqliteTrunkStore(store, Date.now).save({
      id: 'carrier',
      name: 'SIPp carrier',
      host: '127.0.0.1',
      port: uacPort,
      auth: { kind: 'ip' },
      acl: ['127.0.0.1/32'],
      sourcePort: uacPort,
      qualifySeconds: 0,
      codecs: ['PCMA'],
    });
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
console.log(`appliance pid ${app.pid}; ${o.agents} agents (SIPp UAS :${uasPort}), carrier trunk (SIPp UAC :${uacPort}), calls at ${o.rate}/s for ${o.seconds} s, talk ${o.talk} ms`);

try {
  const total = o.rate * o.seconds;
  const uas = runSipp('rtp-uas.xml', ['-p', String(uasPort), '-l', '10000', '-mp', '36000', '-rtp_threadtasks', '50', '-timeout', `${o.seconds + 90}s`], null);
  await sleep(500);
  // Callers: 2 000 distinct mobile numbers, in sequence.
  const inf = injectionFile(app.dataDir, Array.from({ length: 2000 }, (_, i) => [`1380${String(1_000_000 + i).padStart(7, '0')}`]));
  const uac = runSipp(
    'trunk-uac.xml',
    ['-p', String(uacPort), '-s', '9000', '-inf', inf, '-r', String(o.rate), '-m', String(total), '-l', String(o.rate * 10), '-d', String(o.talk), '-mp', '30000', '-rtp_threadtasks', '50', '-recv_timeout', '20000', '-timeout', `${o.seconds + 60}s`, '-timeout_error'],
    `127.0.0.1:${app.sipPort}`,
  );
  const cpu = new CpuMeter([app.pid, uac.pid, uas.pid]);
  let appCpu = 0;
  let uacCpu = 0;
  let uasCpu = 0;
  let loadDuring = '';
  let lagP99: number | null = null;
  const sampler = (async () => {
    await Promise.race([sleep(o.seconds * 1000), uac.exited]);
    lagP99 = await eventLoopP99(app.httpUrl);
    appCpu = cpu.percent(app.pid);
    uacCpu = cpu.percent(uac.pid);
    uasCpu = cpu.percent(uas.pid);
    loadDuring = load();
  })();
  const code = await uac.exited;
  await sampler;
  cpu.stop();
  await sleep(1500);
  uas.child.kill('SIGTERM');
  const s = uac.stats();
  const db = new BetterSqlite3(path.join(app.dataDir, DB_FILE_NAME), { readonly: true });
  const rows = db
    .prepare(
      // The agent leg that answered: a call may also hold legs of offers that were cancelled or rang out first.
      'SELECT MIN(a.answered_at) AS at, MIN(a.answered_at) - c.answered_at AS tta FROM cdr_legs c JOIN cdr_legs a ON a.call_id = c.call_id AND a.position > 0 AND a.answered_at IS NOT NULL WHERE c.position = 0 AND c.answered_at IS NOT NULL GROUP BY c.call_id',
    )
    .all() as Array<{ at: number; tta: number }>;
  // What the ACD did with the callers (its raw event log): a SIPp call "succeeds" even when its
  // caller only waited in the queue, so a call counts as distributed only when an agent answered.
  const outcomes = db.prepare("SELECT type, COUNT(*) AS n FROM acd_events WHERE type LIKE 'queue.caller.%' GROUP BY type").all() as Array<{ type: string; n: number }>;
  const offers = db.prepare("SELECT json_extract(payload, '$.outcome') AS outcome, COUNT(*) AS n FROM acd_events WHERE type = 'acd.offer.ended' GROUP BY 1").all() as Array<{ outcome: string; n: number }>;
  // Where time-to-agent goes, per distributed call (medians): the ACD's decision (caller joined →
  // offer made), the call layer's set-up of the agent leg (offer → agent INVITE leg created: the
  // RTP endpoint in a media worker), the agent phone's answer (leg created → answered: SIP
  // round trip through both stacks) and the ACD's bridge (answer → queue.caller.answered).
  const split = db
    .prepare(
      `SELECT j.at AS joined, o.at AS offered, a.created_at AS legCreated, a.answered_at AS legAnswered, q.at AS bridged
       FROM acd_events j
       JOIN acd_events o ON o.call_id = j.call_id AND o.type = 'acd.offer.created'
       JOIN acd_events q ON q.call_id = j.call_id AND q.type = 'queue.caller.answered'
       JOIN cdr_legs a ON a.call_id = j.call_id AND a.position > 0 AND a.answered_at IS NOT NULL
       WHERE j.type = 'queue.caller.joined' AND o.at <= a.created_at
       GROUP BY j.call_id HAVING o.at = MAX(o.at)`,
    )
    .all() as Array<{ joined: number; offered: number; legCreated: number; legAnswered: number; bridged: number }>;
  db.close();
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const breakdown = split.length
    ? `decision ${median(split.map((r) => r.offered - r.joined))} ms, agent leg set-up ${median(split.map((r) => r.legCreated - r.offered))} ms, agent answer ${median(split.map((r) => r.legAnswered - r.legCreated))} ms, bridge ${median(split.map((r) => r.bridged - r.legAnswered))} ms (medians of ${split.length} calls)`
    : 'no distributed call to split';
  const tta = rows.map((r) => r.tta).sort((a, b) => a - b);
  const ats = rows.map((r) => r.at).sort((a, b) => a - b);
  const mean = tta.reduce((a, b) => a + b, 0) / Math.max(1, tta.length);
  const p99 = tta[Math.floor(tta.length * 0.99)] ?? 0;
  const sippOk = s?.successful ?? 0;
  const ok = Math.min(sippOk, tta.length);
  const failed = total - ok;
  const spanS = ats.length > 1 ? (ats[ats.length - 1]! - ats[0]!) / 1000 : 0;
  const perSecond = spanS > 0 ? (ats.length - 1) / spanS : 0;
  console.log(
    [
      `calls distributed to an agent ${ok}/${total} (failed ${failed}; SIPp successful ${sippOk})`,
      `distributed ${perSecond.toFixed(0)} calls/s (agent legs answered ${tta.length} over ${spanS.toFixed(1)} s)`,
      `time-to-agent mean ${mean.toFixed(1)} ms p99 ${p99} ms`,
      `CPU appliance ${appCpu.toFixed(0)} %, SIPp UAC ${uacCpu.toFixed(0)} %, UAS ${uasCpu.toFixed(0)} % of one core`,
      `daemon event-loop lag p99 ${lagP99 === null ? '?' : `${(lagP99 * 1000).toFixed(0)} ms`}`,
      `${loadDuring} (at the end of the call window)`,
      failed === 0 && code === 0 ? 'PASS (0 failures)' : `FAIL (sipp exit ${code})`,
    ].join(' | '),
  );
  console.log(`  time-to-agent split: ${breakdown}`);
  console.log(`  ACD: ${outcomes.map((r) => `${r.type.replace('queue.caller.', '')} ${r.n}`).join(', ')}; offers ${offers.map((r) => `${r.outcome} ${r.n}`).join(', ')}`);
  if (failed > 0) {
    const err = uac.errors();
    if (err) console.log(`  first SIPp errors:\n${err.split('\n').slice(0, 8).join('\n')}`);
  }
} finally {
  await app.stop();
}
console.log(`target: >= 225 calls/s with 0 failures, mean time-to-agent < 20 ms; ${load()} now`);
