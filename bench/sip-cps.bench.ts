/**
 * Issue 3 benchmark `sip-cps`: sustained SIP calls per second through the REAL daemon, driven
 * by SIPp (bench/sipp/cps-uac.xml) — never by the appliance's own SIP code.
 *
 *   SIPp UAC → INVITE → 401 (digest, as for any phone) → INVITE with credentials → the
 *   diagnostic answer-hangup line (calls/diagnostic.ts) answers, holds 1 s, sends BYE → SIPp 200.
 *
 * `npm run bench -- sip-cps [rates=200,400,600,800,1000] [seconds=60] [hold=1000] [prof=DIR]`
 * Each rate is one step of `seconds` (a ramp); per step: offered and achieved CPS (successful
 * calls / step time), failed %, retransmissions, CPU of the appliance and of SIPp (% of one
 * core, /proc/PID/stat), appliance CPU-seconds per call (the figure a shared box distorts
 * least), appliance RSS, load average. Pass per step: < 0.1 % failed calls. The highest passing
 * step is the sustained CPS. `prof=DIR` writes a V8 CPU profile of the daemon's main thread.
 * Quick smoke run: `npm run bench -- sip-cps rates=50,100 seconds=10`.
 */
import os from 'node:os';
import { args, CpuMeter, injectionFile, machine, rssMiB, runSipp, sleep, startAppliance, SIPP } from './sipp/harness.js';

const o = args({ rates: '200,400,600,800,1000', seconds: 60, hold: 1000, prof: '' });
const rates = o.rates.split(',').map(Number).filter((n) => n > 0);
if (!SIPP) {
  console.log('sip-cps: sipp not installed (Debian package sip-tester): skipped');
  process.exit(0);
}

const app = await startAppliance({
  routes: [{ id: 'cps', name: 'CPS diagnostic line', did: '7000', target: { kind: 'diagnostic', mode: 'answer-hangup', holdMs: o.hold } }],
  extensions: [{ number: '1001', password: 'secret-1001' }],
  ...(o.prof ? { cpuProfDir: o.prof } : {}),
});
console.log(`sip-cps: ${machine()}`);
console.log(`appliance pid ${app.pid} on udp 127.0.0.1:${app.sipPort}; diagnostic answer-hangup, hold ${o.hold} ms; digest auth (MD5) on every INVITE`);

let sustained = 0;
try {
  const inf = injectionFile(app.dataDir, [['1001', 'secret-1001']]);
  for (const rate of rates) {
    const calls = rate * o.seconds;
    const sipp = runSipp(
      'cps-uac.xml',
      ['-s', '7000', '-inf', inf, '-au', '1001', '-ap', 'secret-1001', '-r', String(rate), '-m', String(calls), '-l', String(rate * 10), '-timeout', `${o.seconds + 30}s`, '-timeout_error', '-recv_timeout', '10000', '-mp', '6000'],
      `127.0.0.1:${app.sipPort}`,
    );
    const t0 = performance.now();
    const cpu = new CpuMeter([app.pid, sipp.pid]);
    // Sample CPU over the sustained part (after the first second, before the tail).
    let appCpu = 0;
    let sippCpu = 0;
    let rss = 0;
    const sampler = (async () => {
      await sleep(Math.min(o.seconds * 1000 - 500, 1000));
      const mid = new CpuMeter([app.pid, sipp.pid]);
      await Promise.race([sleep(Math.max(1000, o.seconds * 1000 - 2000)), sipp.exited]);
      appCpu = mid.percent(app.pid);
      sippCpu = mid.percent(sipp.pid);
      rss = rssMiB(app.pid);
    })();
    const code = await sipp.exited;
    await sampler;
    const elapsed = (performance.now() - t0) / 1000;
    const s = sipp.stats();
    const ok = s?.successful ?? 0;
    const failed = s?.failed ?? calls - ok;
    const failedPct = (failed / Math.max(1, ok + failed)) * 100;
    // Calls take hold + ~0.5 s (the tail pause): achieved CPS over the window the calls were started in.
    const achieved = ok / Math.max(1, elapsed - o.hold / 1000 - 0.5);
    const pass = failedPct < 0.1 && code === 0;
    // CPU-seconds per call (whole step, all threads) is what a shared box distorts least.
    const cpuMsPerCall = (cpu.seconds(app.pid) * 1000) / Math.max(1, ok);
    if (pass) sustained = Math.max(sustained, rate);
    console.log(
      [
        `offered ${String(rate).padStart(5)} cps`,
        `achieved ${achieved.toFixed(0).padStart(5)} cps`,
        `calls ${ok}/${calls}`,
        `failed ${failedPct.toFixed(3)} %`,
        `retrans ${s?.retransmissions ?? '?'}`,
        `CPU appliance ${appCpu.toFixed(0)} % SIPp ${sippCpu.toFixed(0)} % (of one core; whole step ${cpu.percent(app.pid).toFixed(0)} / ${cpu.percent(sipp.pid).toFixed(0)})`,
        `appliance ${cpuMsPerCall.toFixed(2)} ms CPU/call (=> ${(1000 / Math.max(0.01, cpuMsPerCall)).toFixed(0)} cps per core)`,
        `RSS ${rss.toFixed(0)} MiB`,
        `load ${(os.loadavg()[0] ?? 0).toFixed(1)}`,
        `${elapsed.toFixed(1)} s`,
        pass ? 'PASS' : `FAIL (sipp exit ${code})`,
      ].join(' | '),
    );
    if (!pass) {
      const err = sipp.errors();
      if (err) console.log(`  first SIPp errors:\n${err.split('\n').slice(0, 12).join('\n')}`);
    }
  }
} finally {
  await app.stop();
}
console.log(`sustained with < 0.1 % failed calls: ${sustained} cps (target 1000 cps on 2 cores); load average now ${os.loadavg()[0]?.toFixed(2)}`);
