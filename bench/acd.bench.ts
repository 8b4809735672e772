/**
 * ACD routing decisions per second and decision latency (issue 6 acceptance (a)).
 *   npm run bench -- acd [agents=500] [waiting=200] [decisions=20000] [memory|sqlite]
 * Part (b), SIPp end to end through the daemon: `npm run bench -- acd e2e …` (bench/sipp/acd-e2e.ts).
 * Set-up: 8 queues with mixed strategies, agents in 2–3 queues each with skills 1–5, callers of
 * mixed tiers with skill requirements that relax over time. All agents are busy and `waiting`
 * callers wait. Each decision: an agent's call ends (wrap-up 0) → the ACD finds the best
 * waiting caller across the agent's queues and offers it (measured, synchronous), then the
 * agent answers and a new caller joins so the line stays at `waiting` (also a routing pass,
 * measured separately). Runs on ManualClock, in-memory store, silent log: routing cost only.
 * Besides wall time it prints the process CPU time of the same sections: on a shared machine
 * the wall-time p99 mostly measures the scheduler (other processes), the CPU time does not.
 */
import os from 'node:os';
import path from 'node:path';
import { tempDir } from '../appliance/core/testing/temp-dir.js';
import { openStore } from '../appliance/store/database.js';
import { SqliteAcdStore } from '../appliance/acd/acd-store.js';
import type { AcdStorePort } from '../appliance/acd/store-port.js';
import { FakeChannel } from '../appliance/channel/testing/fake-channel.js';
import { EventBus } from '../appliance/core/events.js';
import { silentLogger } from '../appliance/core/log.js';
import { ManualClock } from '../appliance/core/testing/manual-clock.js';
import { Acd } from '../appliance/acd/acd.js';
import type { CustomerTier, Strategy } from '../appliance/acd/model.js';
import type { AgentDialer, DialOutcome } from '../appliance/acd/ports.js';
import { queueConfig } from '../appliance/acd/testing/acd-harness.js';
import { MemoryAcdStore } from '../appliance/acd/testing/memory-acd-store.js';

// Part (b), end to end with SIPp through the daemon: `npm run bench -- acd e2e [agents=300] [rate=225] [seconds=60]`.
if (process.argv[2] === 'e2e') {
  process.argv.splice(2, 1);
  await import('./sipp/acd-e2e.js');
  process.exit(0);
}
const nAgents = Number(process.argv[2] ?? 500);
const nWaiting = Number(process.argv[3] ?? 200);
const nDecisions = Number(process.argv[4] ?? 20_000);

let seed = 42;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

const clock = new ManualClock();
const log = silentLogger();
const bus = new EventBus({ clock, log });
let waiting = 0;
bus.on('queue.caller.joined', () => waiting++);
for (const t of ['queue.caller.answered', 'queue.caller.abandoned', 'queue.caller.overflowed', 'queue.callback.requested'] as const) bus.on(t, () => waiting--);
const waitingNow = (): number => waiting;
const pendingOffers = new Map<string, (r: DialOutcome) => void>();
const dialer: AgentDialer = {
  offer: (agent) => new Promise((resolve) => pendingOffers.set(agent.id, resolve)),
};
// `sqlite`: the real store on a temporary file (WAL, synchronous=FULL), to see the write cost.
const memory = new MemoryAcdStore();
const sqliteFile = process.argv[5] === 'sqlite' ? path.join(tempDir('acd-bench-'), 'appliance.db') : null;
const store: AcdStorePort = sqliteFile ? new SqliteAcdStore(openStore({ file: sqliteFile, clock, log }), clock) : memory;
const acd = new Acd({ clock, bus, log, store, dialer, bridger: { bridge: async () => {} }, random: rnd });

const skills = ['billing', 'outage', 'meter', 'gis', 'english'];
const strategies: Strategy[] = ['least-recent', 'fewest-calls', 'rr-memory', 'linear', 'random', 'skills-based', 'least-recent', 'skills-based'];
const queues = strategies.map((s, i) => `q${i}`);
strategies.forEach((s, i) =>
  acd.upsertQueue(
    queueConfig(`q${i}`, {
      strategy: s,
      ringTimeoutMs: 3_600_000,
      skills: [
        { afterMs: 0, requirements: [{ skill: skills[i % skills.length]!, minProficiency: 3 }] },
        { afterMs: 60_000, requirements: [{ skill: skills[i % skills.length]!, minProficiency: 1 }] },
        { afterMs: 120_000, requirements: [] },
      ],
    }),
  ),
);
for (let i = 0; i < nAgents; i++) {
  const sk: Record<string, number> = {};
  for (const s of skills) if (rnd() < 0.6) sk[s] = 1 + Math.floor(rnd() * 5);
  const qs = new Set<string>();
  const k = 2 + Math.floor(rnd() * 2);
  while (qs.size < k) qs.add(queues[Math.floor(rnd() * queues.length)]!);
  acd.upsertAgent({ id: `a${i}`, name: `A${i}`, skills: sk, memberships: [...qs].map((queueId) => ({ queueId, penalty: Math.floor(rnd() * 3) })) });
}

const tiers: CustomerTier[] = ['standard', 'standard', 'standard', 'standard', 'large-customer', 'vip', 'critical-load'];
let callSeq = 0;
function join(anyone = false): void {
  const ch = new FakeChannel({ clock, id: `c${callSeq++}` });
  void ch.answer();
  const queueId = queues[Math.floor(rnd() * queues.length)]!;
  void acd.enqueue({ channel: ch, queueId, tier: tiers[Math.floor(rnd() * tiers.length)]!, ...(anyone ? { requirements: [] } : {}) });
}
const agentLegs = new Map<string, FakeChannel>();
async function answerAll(): Promise<void> {
  for (const [id, resolve] of pendingOffers) {
    const ch = new FakeChannel({ clock, id: `leg-${id}-${callSeq}`, direction: 'outbound' });
    void ch.answer();
    agentLegs.set(id, ch);
    resolve({ outcome: 'answered', channel: ch });
  }
  pendingOffers.clear();
  await new Promise<void>((r) => setImmediate(r));
}

// Fill: every agent takes a call, then `nWaiting` callers wait with everyone busy.
for (let i = 0; i < nAgents; i++) acd.setStatus(`a${i}`, 'available');
let guard = 0;
while (agentLegs.size < nAgents && guard++ < 50) {
  for (let i = agentLegs.size; i < nAgents; i++) join(true);
  await answerAll();
}
while (waitingNow() < nWaiting) join();
console.log(`acd bench (${sqliteFile ? 'sqlite' : 'memory'} store): ${nAgents} agents (${agentLegs.size} busy), ${waitingNow()} waiting callers, 8 queues, ${nDecisions} decisions`);

const decide: number[] = [];
const joins: number[] = [];
/** CPU time of the same sections: less sensitive to other processes on a shared machine. */
const decideCpu: number[] = [];
const ids = [...agentLegs.keys()];
const t0 = performance.now();
let offered = 0;
for (let d = 0; d < nDecisions; d++) {
  clock.advance(1_000);
  const id = ids[Math.floor(rnd() * ids.length)]!;
  const leg = agentLegs.get(id);
  if (!leg || leg.level === 'terminated') continue;
  const before = pendingOffers.size;
  const c = process.cpuUsage();
  const s = performance.now();
  leg.remoteHangup();
  decide.push(performance.now() - s);
  const cu = process.cpuUsage(c);
  decideCpu.push((cu.user + cu.system) / 1000);
  offered += pendingOffers.size - before;
  await answerAll();
  while (waitingNow() < nWaiting) {
    const j = performance.now();
    join();
    joins.push(performance.now() - j);
  }
  if (d % 1000 === 999) memory.log.length = 0;
}
const secs = (performance.now() - t0) / 1000;
const pct = (xs: number[], p: number): string => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0).toFixed(3);
};
console.log(`agent-free decisions: ${decide.length} (${offered} offers) — p50 ${pct(decide, 0.5)} ms  p99 ${pct(decide, 0.99)} ms  max ${pct(decide, 1)} ms`);
console.log(`agent-free decisions, process CPU time — p50 ${pct(decideCpu, 0.5)} ms  p99 ${pct(decideCpu, 0.99)} ms (load average ${os.loadavg()[0]!.toFixed(1)})`);
console.log(`caller-join decisions: ${joins.length} — p50 ${pct(joins, 0.5)} ms  p99 ${pct(joins, 0.99)} ms`);
const decisionMs = decide.reduce((a, b) => a + b, 0) + joins.reduce((a, b) => a + b, 0);
console.log(`routing decisions/s (measured sections only): ${((decide.length + joins.length) / (decisionMs / 1000)).toFixed(0)}`);
console.log(`end-to-end loop incl. fake answer + promise turns: ${(decide.length / secs).toFixed(0)} calls/s`);
