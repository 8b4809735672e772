/**
 * TDM throughput of the simulated card: how many B channels (20 ms A-law blocks, 50 per second
 * each way) the sim card carries per core. 8 E1 spans cabled in pairs (1↔2, 3↔4, 5↔6, 7↔8),
 * 30 bearers each = 240 channels; every channel writes one block and reads one block per tick.
 * Runs with the line model off and on (drops, corruption, bit errors, periodic slips).
 * Target (issue 5): 240 channels in real time at < 25 % of one core.
 * `npm run bench -- tdm-frames [seconds-of-line-time]`.
 */
import { silentLogger } from '../appliance/core/log.js';
import { ManualClock } from '../appliance/core/testing/manual-clock.js';
import type { LineModelOptions } from '../drivers/sim/line-model.js';
import { SimulatedCard } from '../drivers/sim/sim-card.js';
import type { SimSpan } from '../drivers/sim/sim-span.js';
import { FRAME_BYTES, FRAME_MS, type SpanConfig } from '../drivers/types.js';

const lineSeconds = Number(process.argv[2] ?? 60);
const SPANS = 8;
const CFG: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 0, signalling: 'pri_cpe' };

async function run(label: string, model: LineModelOptions | undefined): Promise<void> {
  const clock = new ManualClock();
  const card = new SimulatedCard({ spans: SPANS }, { clock, log: silentLogger() });
  for (let a = 1; a <= SPANS; a += 2) card.connect(a, a + 1, model);
  const spans: SimSpan[] = [];
  for (let n = 1; n <= SPANS; n++) spans.push(await card.openSpan(n, { ...CFG, signalling: n % 2 ? 'pri_cpe' : 'pri_net' }));
  clock.advance(200);
  const channels = spans.flatMap((s) => s.bChannels);
  let received = 0;
  let checksum = 0;
  for (const ch of channels) ch.on('frame', (f) => {
    received++;
    checksum = (checksum + (f[1] as number)) | 0;
  });
  const block = new Uint8Array(FRAME_BYTES).map((_, i) => (i * 37) & 0xff);
  const ticks = (lineSeconds * 1000) / FRAME_MS;
  const warm = 100;
  for (let i = 0; i < warm; i++) {
    for (const ch of channels) ch.write(block);
    clock.advance(FRAME_MS);
  }
  received = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < ticks; i++) {
    for (const ch of channels) ch.write(block);
    clock.advance(FRAME_MS);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const blocksPerSec = (received / cpuMs) * 1000;
  const realtimeLoad = (cpuMs / (lineSeconds * 1000)) * 100;
  const status = spans[1]?.status();
  console.log(
    `${label.padEnd(26)} ${channels.length} ch, ${lineSeconds} s of line in ${wallMs.toFixed(0)} ms (cpu ${cpuMs.toFixed(0)} ms): ` +
      `${Math.round(blocksPerSec).toLocaleString('en-US')} blocks/s = ${Math.round(blocksPerSec / 50).toLocaleString('en-US')} channels per core; ` +
      `240 ch in real time = ${realtimeLoad.toFixed(2)} % of one core` +
      (model ? `; span 2: bpv ${status?.bpvCount}, crc4 ${status?.crc4Count}, slips ${status?.slips}` : '') +
      ` [${received} blocks, checksum ${checksum & 0xffff}]`,
  );
  await card.close();
}

console.log(`tdm-frames (node ${process.version}): 8 E1 spans cabled in pairs, every B channel writing and reading each 20 ms tick`);
await run('line model off', undefined);
await run('line model on', { dropRatio: 1e-3, corruptRatio: 1e-3, bitErrorRate: 1e-6, slipEveryBlocks: 500, seed: 3 });
