/**
 * The TDM path through the media engine (issue 4 "TDM channel streams", issue 5 TDM legs):
 * `channels` B channels (default 240 = 8 E1 spans) each put into the engine as a TDM leg
 * (shared frame rings, appliance/media/engine/tdm-ring.ts), bridged in pairs, optionally all
 * recorded. The main thread plays the card: every 20 ms of wall time each line delivers one
 * 160-byte A-law frame and takes one back, as the sim or DAHDI card does.
 *
 * Reports frames per second each way, ring slips/underruns (audible damage), main-thread and
 * worker event-loop utilisation, CPU per 100 channels, and line→worker→line latency of a marker
 * through one bridged pair.
 *   npm run bench -- tdm-media [channels=240] [seconds=10] [workers=2] [record=0]
 */
import os from 'node:os';
import { systemClock } from '../appliance/core/clock.js';
import { silentLogger } from '../appliance/core/log.js';
import { tempDir } from '../appliance/core/testing/temp-dir.js';
import { MediaEngine } from '../appliance/media/engine/media-engine.js';
import type { TdmEndpoint, TdmLine } from '../appliance/media/engine/tdm-endpoint.js';

const channels = Number(process.argv[2] ?? 240) & ~1;
const seconds = Number(process.argv[3] ?? 10);
const workers = Number(process.argv[4] ?? 2);
const record = process.argv[5] === '1';

const IDLE = 0xd5;

class Line implements TdmLine {
  private fn: ((f: Uint8Array) => void) | null = null;
  readonly frame = new Uint8Array(160);
  written = 0;
  /** Set for the marker: the frame index at which non-idle audio came back. */
  lastNonIdleAt = -1;
  tick = 0;
  constructor(seed: number) {
    for (let i = 0; i < 160; i++) this.frame[i] = (seed * 31 + i * 7) & 0xff;
  }
  on(_e: 'frame', fn: (f: Uint8Array) => void): void {
    this.fn = fn;
  }
  off(): void {
    this.fn = null;
  }
  write(f: Uint8Array): void {
    this.written++;
    if (f[0] !== IDLE) this.lastNonIdleAt = this.tick;
  }
  deliver(frame: Uint8Array = this.frame): void {
    this.tick++;
    this.fn?.(frame);
  }
}

const engine = new MediaEngine({
  workers,
  rtpPortMin: 47000,
  rtpPortMax: 47999,
  bindAddress: '127.0.0.1',
  recordingsDir: tempDir('tdm-bench-rec-'),
  clock: systemClock,
  log: silentLogger(),
});
await engine.start();

const lines: Line[] = [];
const eps: TdmEndpoint[] = [];
for (let i = 0; i < channels; i += 2) {
  const a = new Line(i);
  const b = new Line(i + 1);
  const affinity = `call-${i}`;
  const ea = await engine.createTdmEndpoint({ line: a, affinity });
  const eb = await engine.createTdmEndpoint({ line: b, affinity });
  const br = await engine.createBridge({ affinity });
  await br.add(ea, { side: 'caller' });
  await br.add(eb, { side: 'agent' });
  if (record) await br.record({ callId: `bench-${i}`, encoding: 'alaw' });
  lines.push(a, b);
  eps.push(ea, eb);
}
// The marker pair: line 0 sends idle except one loud frame; line 1 sees it come back.
const marker = new Uint8Array(160).fill(0x2a);
const idle = new Uint8Array(160).fill(IDLE);
const markerLine = lines[0] as Line;
const probeLine = lines[1] as Line;
const latencies: number[] = [];
let markerSentAt = -1;

const elu0 = performance.eventLoopUtilization();
const stats0 = await engine.workerStats();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let n = 0;
let lateTicks = 0;
await new Promise<void>((done) => {
  const step = (): void => {
    const now = performance.now();
    if (now - (t0 + n * 20) > 10) lateTicks++;
    n++;
    for (const l of lines) {
      if (l === markerLine) {
        const sendMarker = n % 25 === 0;
        l.deliver(sendMarker ? marker : idle);
        if (sendMarker) {
          markerSentAt = probeLine.tick;
          probeLine.lastNonIdleAt = -1;
        }
      } else l.deliver();
    }
    if (markerSentAt >= 0 && probeLine.lastNonIdleAt >= 0) {
      latencies.push((probeLine.lastNonIdleAt - markerSentAt) * 20);
      markerSentAt = -1;
    }
    if (now - t0 >= seconds * 1000) return done();
    // lint-allow: timers (bench: the card's wall-clock pacing)
    setTimeout(step, Math.max(0, t0 + n * 20 - performance.now()));
  };
  step();
});
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const elu = performance.eventLoopUtilization(elu0);
const stats1 = await engine.workerStats();

let slips = 0;
let underruns = 0;
let lineUnderruns = 0;
let toLine = 0;
let fromLine = 0;
for (const ep of eps) {
  const s = ep.lineStats();
  slips += s.rx.slips + s.tx.overflows;
  underruns += s.rx.underruns;
  lineUnderruns += s.lineUnderruns;
  toLine += s.framesToLine;
  fromLine += s.framesFromLine;
}
const workerActive = stats1.reduce((s, w, i) => s + w.loopActiveMs - (stats0[i]?.loopActiveMs ?? 0), 0);
const workerLate = stats1.reduce((s, w, i) => s + w.lateTicks - (stats0[i]?.lateTicks ?? 0), 0);
const cpuMs = (cpu.user + cpu.system) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;

console.log(`tdm-media: ${channels} TDM legs in ${channels / 2} bridges${record ? ', all recorded' : ''}, ${workers} worker(s), ${(wallMs / 1000).toFixed(1)} s, ${os.availableParallelism()} cores`);
console.log(`  frames line→engine ${(fromLine / (wallMs / 1000)).toFixed(0)}/s, engine→line ${(toLine / (wallMs / 1000)).toFixed(0)}/s (expected ${channels * 50}/s each way)`);
console.log(`  damage: slips ${slips}, worker underruns ${underruns} (${((underruns * 100) / Math.max(1, fromLine)).toFixed(3)} %), line underruns ${lineUnderruns} (${((lineUnderruns * 100) / Math.max(1, fromLine)).toFixed(3)} %)`);
console.log(`  main thread: event-loop utilisation ${(elu.utilization * 100).toFixed(1)} %, late card ticks ${lateTicks}/${n}`);
console.log(`  workers: active ${((workerActive / wallMs) * 100).toFixed(1)} % of one core in total, late ticks ${workerLate}`);
console.log(`  process CPU ${((cpuMs / wallMs) * 100).toFixed(1)} % of one core = ${((cpuMs / wallMs) * 100 * (100 / channels)).toFixed(2)} % per 100 channels`);
console.log(`  marker latency line → worker → line: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${latencies.at(-1)} ms (${latencies.length} markers, 20 ms resolution)`);
await engine.stop();
