/**
 * Issue 3 benchmark `sip-calls`: concurrent phone-to-phone calls through the B2BUA with G.711
 * A-law RTP both ways, driven by SIPp only:
 *
 *   SIPp UAC (rtp-uac.xml, digest-authenticated caller 1001, streams A-law)
 *     → the REAL daemon: route 8000 → extension 2000 → second leg, media bridged by the engine
 *     → SIPp UAS (rtp-uas.xml, extension 2000's contact, streams A-law back)
 *
 * `npm run bench -- sip-calls [calls=500] [rate=50] [hold=30000]`: `calls` calls started at `rate`
 * per second, each held `hold` ms by the caller, so up to min(calls, rate × hold) run at once.
 * Reported: peak concurrent calls (SIPp), failed calls, RTP packets lost per leg as the engine
 * counted them (CDR legs: loss from sequence gaps, jitter, MOS; expected = answered time / 20 ms),
 * CPU of the appliance and of both SIPps over the plateau, appliance RSS.
 * Pass: every call completes and < 0.1 % packets lost. Smoke: `calls=40 rate=20 hold=8000`.
 */
import BetterSqlite3 from 'better-sqlite3';
import path from 'node:path';
import { DB_FILE_NAME } from '../appliance/store/database.js';
import { args, CpuMeter, freeUdpPort, injectionFile, machine, rssMiB, runSipp, seedBindings, sleep, startAppliance, SIPP } from './sipp/harness.js';

const o = args({ calls: 500, rate: 50, hold: 30_000 });
if (!SIPP) {
  console.log('sip-calls: sipp not installed (Debian package sip-tester): skipped');
  process.exit(0);
}
const uasPort = await freeUdpPort();
const app = await startAppliance({
  routes: [{ id: 'b2bua', name: 'to the SIPp agent', did: '8000', target: { kind: 'extension', extension: '2000' } }],
  extensions: [
    { number: '1001', password: 'secret-1001' },
    { number: '2000', password: 'secret-2000' },
  ],
  seed: (store) => seedBindings(store, [{ aor: '2000', host: '127.0.0.1', port: uasPort }]),
});
console.log(`sip-calls: ${machine()}`);
console.log(`appliance pid ${app.pid}; ${o.calls} calls at ${o.rate}/s held ${o.hold} ms (peak ${Math.min(o.calls, Math.round((o.rate * o.hold) / 1000))} concurrent expected)`);

try {
  const uas = runSipp('rtp-uas.xml', ['-p', String(uasPort), '-mp', '36000', '-rtp_threadtasks', '50', '-timeout', `${Math.ceil(o.calls / o.rate + o.hold / 1000 + 60)}s`], null);
  await sleep(500);
  const inf = injectionFile(app.dataDir, [['1001', 'secret-1001']]);
  const uac = runSipp(
    'rtp-uac.xml',
    ['-s', '8000', '-inf', inf, '-au', '1001', '-ap', 'secret-1001', '-r', String(o.rate), '-m', String(o.calls), '-l', String(o.calls), '-d', String(o.hold), '-mp', '30000', '-rtp_threadtasks', '50', '-recv_timeout', '20000', '-timeout', `${Math.ceil(o.calls / o.rate + o.hold / 1000 + 40)}s`, '-timeout_error'],
    `127.0.0.1:${app.sipPort}`,
  );
  let peak = 0;
  let appCpu = 0;
  let uacCpu = 0;
  let uasCpu = 0;
  let rss = 0;
  const rampS = o.calls / o.rate;
  const plateauS = o.hold / 1000 - rampS;
  const sampler = (async () => {
    // The plateau: every call up (after the ramp), until the first ones end.
    await sleep(rampS * 1000 + 1000);
    const cpu = new CpuMeter([app.pid, uac.pid, uas.pid]);
    await Promise.race([sleep(Math.max(1000, plateauS * 1000 - 2000)), uac.exited]);
    appCpu = cpu.percent(app.pid);
    uacCpu = cpu.percent(uac.pid);
    uasCpu = cpu.percent(uas.pid);
    rss = rssMiB(app.pid);
  })();
  const poll = setInterval(() => (peak = Math.max(peak, uac.stats()?.current ?? 0)), 500);
  const code = await uac.exited;
  clearInterval(poll);
  await sampler;
  await sleep(1500);
  uas.child.kill('SIGTERM');
  const s = uac.stats();
  const db = new BetterSqlite3(path.join(app.dataDir, DB_FILE_NAME), { readonly: true });
  const legs = db
    .prepare("SELECT count(*) AS legs, sum(packets_lost) AS lost, sum(CASE WHEN answered_at IS NULL THEN 0 ELSE (ended_at - answered_at) / 20 END) AS expected, max(jitter_ms) AS jitter, min(mos) AS mos FROM cdr_legs WHERE codec IS NOT NULL")
    .get() as { legs: number; lost: number | null; expected: number | null; jitter: number | null; mos: number | null };
  const cdrs = (db.prepare('SELECT count(*) AS n FROM cdrs WHERE legs = 2 AND answered_at IS NOT NULL').get() as { n: number }).n;
  db.close();
  const lostPct = ((legs.lost ?? 0) / Math.max(1, legs.expected ?? 0)) * 100;
  const ok = s?.successful ?? 0;
  const failed = o.calls - ok;
  const pass = failed === 0 && code === 0 && lostPct < 0.1;
  console.log(
    [
      `calls ${ok}/${o.calls} (failed ${failed})`,
      `peak concurrent ${peak}`,
      `answered 2-leg CDRs ${cdrs}`,
      `RTP lost ${(legs.lost ?? 0)} of ~${legs.expected ?? 0} expected (${lostPct.toFixed(3)} %) over ${legs.legs} legs`,
      `max jitter ${(legs.jitter ?? 0).toFixed(1)} ms, min MOS ${(legs.mos ?? 0).toFixed(2)}`,
      `CPU on the plateau: appliance ${appCpu.toFixed(0)} %, SIPp UAC ${uacCpu.toFixed(0)} %, UAS ${uasCpu.toFixed(0)} % of one core`,
      `appliance RSS ${rss.toFixed(0)} MiB`,
      pass ? 'PASS' : `FAIL (sipp exit ${code})`,
    ].join(' | '),
  );
  if (!pass) {
    const err = uac.errors();
    if (err) console.log(`  first SIPp errors:\n${err.split('\n').slice(0, 10).join('\n')}`);
    const uasErr = uas.errors() || uas.output();
    if (uasErr) console.log(`  SIPp UAS:\n${uasErr.split('\n').slice(0, 10).join('\n')}`);
  }
} finally {
  await app.stop();
}
console.log(`target: >= 500 concurrent with < 0.1 % lost; load average now ${(await import('node:os')).loadavg()[0]?.toFixed(2)}`);
