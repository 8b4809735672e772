/**
 * The issue-5 TDM benchmark: channels of TDM audio carried per core by the driver and the
 * signalling, in real time. 8 E1 spans of the simulated card cabled in pairs (1↔2 … 7↔8); the
 * odd spans are the appliance (PRI CPE, libpri), the even ones the simulated exchange (PRI NET,
 * libpri). Each exchange places 30 calls, so all 240 B channels carry a call; every B channel
 * answers each 20 ms block from the line with a block of its own (both ends of every call).
 * The card ticks on the system clock, libpri keeps its Q.921 link up (RR polls) on all 8 D
 * channels, and the process CPU time is measured over `seconds` of wall time.
 *
 * Phases:
 *   driver + signalling      the card, cables, D channels and libpri with 120 calls up;
 *   + TDM legs (DTMF rx)     plus the appliance's TdmSpanLegs/TdmCallChannel on the 120 CPE
 *                            channels, each with spandsp's in-band DTMF receiver on every block
 *                            (the media engine itself is measured by `tdm-media`).
 * Target: 240 channels at < 25 % of one core for driver + signalling.
 *   npm run bench -- tdm [seconds=10]
 */
import os from 'node:os';
import { systemClock } from '../appliance/core/clock.js';
import { silentLogger } from '../appliance/core/log.js';
import { TdmSpanLegs } from '../appliance/channel/tdm/span-legs.js';
import { priTdmSignalling } from '../drivers/libpri/tdm-adapter.js';
import { SimExchange, type ExchangeCall } from '../drivers/sim/exchange.js';
import { bindPri, type PriLink } from '../drivers/sim/pri-link.js';
import { SimulatedCard } from '../drivers/sim/sim-card.js';
import type { SimSpan } from '../drivers/sim/sim-span.js';
import { DtmfReceiver } from '../drivers/spandsp/dtmf.js';
import { FRAME_BYTES, type SpanConfig } from '../drivers/types.js';

const seconds = Number(process.argv[2] ?? 10);
const SPANS = 8;
const CPE: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 1, signalling: 'pri_cpe' };
const NET: SpanConfig = { ...CPE, timing: 0, signalling: 'pri_net' };
const log = silentLogger();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(done: () => boolean, ms: number, label: string): Promise<void> {
  const end = performance.now() + ms;
  while (!done()) {
    if (performance.now() > end) throw new Error(`${label}: not reached within ${ms} ms`);
    await sleep(10);
  }
}

function loadNote(): string {
  const [one] = os.loadavg();
  return `load average ${one?.toFixed(2)} on ${os.cpus().length} cores`;
}

async function measure(label: string, card: SimulatedCard, blocks: () => number): Promise<void> {
  await sleep(500);
  const b0 = blocks();
  const ticks0 = card.tickCount;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const elu0 = performance.eventLoopUtilization();
  await sleep(seconds * 1000);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const share = cpuMs / wallMs;
  const carried = blocks() - b0;
  const ticks = card.tickCount - ticks0;
  const channelsInRealTime = carried / (wallMs / 20);
  console.log(
    `${label.padEnd(28)} ${Math.round(channelsInRealTime)} channels carried (${carried.toLocaleString('en-US')} blocks in ${(wallMs / 1000).toFixed(1)} s, ${ticks} ticks): ` +
      `cpu ${(share * 100).toFixed(1)} % of one core (user ${(cpu.user / 1000).toFixed(0)} ms, sys ${(cpu.system / 1000).toFixed(0)} ms), ` +
      `event loop ${(elu.utilization * 100).toFixed(1)} % → ${Math.round(channelsInRealTime / share).toLocaleString('en-US')} channels per core`,
  );
}

console.log(`tdm (node ${process.version}, ${loadNote()}): ${SPANS} E1 spans in pairs, PRI CPE ↔ NET through libpri, all 240 B channels in calls, ${seconds} s each`);
const card = new SimulatedCard({ spans: SPANS }, { clock: systemClock, log });
const spans: SimSpan[] = [];
for (let a = 1; a <= SPANS; a += 2) card.connect(a, a + 1);
for (let n = 1; n <= SPANS; n++) spans.push(await card.openSpan(n, n % 2 ? CPE : NET));
await until(() => spans.every((s) => s.inService), 3000, 'spans in service');

const cpes: PriLink[] = [];
const autoAnswer = new Map<PriLink, (r: { channel: number }) => void>();
const exchanges: SimExchange[] = [];
for (let n = 1; n <= SPANS; n += 2) {
  const cpe = bindPri(spans[n - 1] as SimSpan, { side: 'cpe' }, { clock: systemClock, log });
  const answer = (r: { channel: number }): void => cpe.pri.answer(r.channel);
  autoAnswer.set(cpe, answer);
  cpe.pri.on('ring', answer);
  cpes.push(cpe);
  exchanges.push(new SimExchange({ span: spans[n] as SimSpan }, { clock: systemClock, log }));
}
await until(() => cpes.every((c) => c.pri.dchanUp) && exchanges.every((e) => e.dchanUp), 10_000, 'D channels up');
const calls: ExchangeCall[] = [];
for (const ex of exchanges) {
  for (let i = 0; i < 30; i++) {
    const placed = ex.placeCall({ calling: `1380013${String(i).padStart(4, '0')}`, called: '95598' });
    if (!placed.ok) throw new Error(`call refused: ${placed.reason}`);
    calls.push(placed.call);
  }
}
await until(() => calls.every((c) => c.state === 'connected'), 10_000, '120 calls answered');

// Both ends of every call answer each block from the line with one of their own.
let blocks = 0;
const block = new Uint8Array(FRAME_BYTES).map((_, i) => (i * 37) & 0xff);
for (const s of spans) {
  for (const ch of s.bChannels) {
    ch.on('frame', () => {
      blocks++;
      ch.write(block);
    });
  }
}
await measure('driver + signalling', card, () => blocks);

// The appliance's legs on the CPE spans: the next 120 calls are TdmCallChannels with DTMF receivers.
for (const c of calls) c.hangup(16);
await until(() => exchanges.every((e) => e.activeCalls === 0), 10_000, 'calls cleared');
const legs = cpes.map(
  (cpe, i) =>
    new TdmSpanLegs(priTdmSignalling(cpe.pri), (spans[2 * i] as SimSpan).bChannels, {
      clock: systemClock,
      log,
      media: { open: async () => ({ play: async () => ({ done: new Promise(() => undefined), stop: async () => undefined }), sendDtmf: async () => undefined, close: async () => undefined }) },
      prompts: { resolve: () => null },
      dtmf: (onDigit) => new DtmfReceiver(onDigit),
    }),
);
for (const [cpe, answer] of autoAnswer) cpe.pri.off('ring', answer);
for (const l of legs) l.on('incoming', (ch) => void ch.answer());
calls.length = 0;
for (const ex of exchanges) {
  for (let i = 0; i < 30; i++) {
    const placed = ex.placeCall({ calling: `1390013${String(i).padStart(4, '0')}`, called: '95598' });
    if (!placed.ok) throw new Error(`call refused: ${placed.reason}`);
    calls.push(placed.call);
  }
}
await until(() => calls.every((c) => c.state === 'connected'), 10_000, '120 calls answered (legs)');
await measure('+ TDM legs (DTMF rx)', card, () => blocks);

for (const c of calls) c.hangup(16);
await until(() => exchanges.every((e) => e.activeCalls === 0), 10_000, 'calls cleared');
for (const l of legs) l.close();
for (const e of exchanges) e.close();
for (const c of cpes) c.close();
await card.close();
console.log(`done (${loadNote()})`);
