/**
 * IVR capacity: N concurrent IVR sessions on the real media engine, each an IvrRunner over an
 * RTP leg, prompts playing from WAV files, the caller's keys arriving as RFC 4733 events.
 * `npm run bench -- ivr [workers=2] [seconds=10] [steps=100,200,300,400]`
 *
 * The callers are a separate process (bench/ivr-load.ts, forked: a room of phones, as SIPp
 * would be), so sending 50 packets/s per session never competes with the runners on this
 * process's event loop. Each session keys a script through the flow
 *   menu (prompt) ── 1 ──▶ collect 4 digits (prompt) ── 1234 ──▶ result (prompt) ──▶ menu …
 * with sessions staggered over the first second. Per step: late ticks of the engine workers
 * (a tick starting > 10 ms after its deadline: a late frame), their event-loop utilization,
 * this process's CPU (engine workers + runners), main-thread event-loop lag p99, frames received
 * by the callers against 50/s, how many IVR cycles (digits collected) the runners completed, and
 * the generator's own lateness and CPU. The load average is printed with every step: the box is
 * shared, and other work on it shows up as late ticks.
 * Target (issue 7): ≥ 300 sessions on 2 cores with no late frames.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeToneWav } from '../appliance/calls/testing/baresip.js';
import type { Channel, ChannelEvents, Digit, PlayItem, PlayResult } from '../appliance/channel/channel.js';
import { awaitPlayback, mediaSourceOf } from '../appliance/channel/playback.js';
import type { PromptResolver } from '../appliance/channel/tdm/ports.js';
import { systemClock } from '../appliance/core/clock.js';
import { createLogger } from '../appliance/core/log.js';
import { IvrRunner } from '../appliance/ivr/runner.js';
import { parseFlow } from '../appliance/ivr/validator.js';
import { MediaEngine, type RtpEndpoint } from '../appliance/media/engine/media-engine.js';
import type { TickStats } from '../appliance/media/engine/protocol.js';
import { CYCLE_MS, TE_PT, type FromLoad, type ToLoad } from './ivr-load.js';

const workers = Number(process.argv[2] ?? 2);
const seconds = Number(process.argv[3] ?? 10);
const steps = (process.argv[4] ?? '100,200,300,400').split(',').map(Number);
const GEN_SOCKETS = 8;
const dir = path.join(os.tmpdir(), `ivr-bench-${process.pid}`);
mkdirSync(dir, { recursive: true });
const promptFile = path.join(dir, 'prompt.wav');
writeToneWav(promptFile, 440, 1500, 500); // a 2 s prompt
const prompts: PromptResolver = { resolve: () => promptFile };
const log = createLogger('warn');

const flow = parseFlow({
  id: 'bench',
  name: 'bench',
  start: 'menu',
  nodes: {
    menu: { verb: 'menu', prompt: ['menu'], options: { '1': 'account' }, timeoutMs: 5000, retries: 9, onFail: 'menu' },
    account: { verb: 'collect', var: 'account', prompt: ['enter'], minLength: 4, maxLength: 4, timeoutMs: 5000, interDigitMs: 3000, retries: 9, next: 'result', onFail: 'menu' },
    result: { verb: 'play', prompts: ['result'], bargeIn: true, next: 'menu' },
  },
});

/** One RTP leg of the engine as a Channel (what SipChannel does for media, without SIP). */
class BenchChannel implements Channel {
  readonly tech = 'sip' as const;
  readonly direction = 'inbound' as const;
  readonly level = 'connected' as const;
  readonly caller = { number: '13937100001', presentation: 'allowed' as const };
  readonly called = { number: '95598', presentation: 'allowed' as const };
  private readonly abort = new AbortController();
  private readonly emitter = new EventEmitter();
  private interrupt: ((d: Digit) => void) | null = null;
  readonly ended = this.abort.signal;
  readonly media = { play: (items: readonly PlayItem[], o?: { bargeIn?: boolean; signal?: AbortSignal }) => this.play(items, o), sendDtmf: async () => undefined };

  constructor(
    readonly id: string,
    private readonly engine: MediaEngine,
    readonly rtp: RtpEndpoint,
  ) {
    rtp.on('dtmf', (e) => {
      this.interrupt?.(e.digit);
      this.emitter.emit('dtmf', e.digit);
    });
  }

  alerting = async (): Promise<void> => undefined;
  progress = async (): Promise<void> => undefined;
  answer = async (): Promise<void> => undefined;
  async hangup(): Promise<void> {
    this.abort.abort();
  }
  on<E extends keyof ChannelEvents>(e: E, fn: ChannelEvents[E]): this {
    this.emitter.on(e, fn);
    return this;
  }
  off<E extends keyof ChannelEvents>(e: E, fn: ChannelEvents[E]): this {
    this.emitter.off(e, fn);
    return this;
  }

  private async play(items: readonly PlayItem[], o: { bargeIn?: boolean; signal?: AbortSignal } = {}): Promise<PlayResult> {
    for (const item of items) {
      if (this.ended.aborted) return { outcome: 'hungup' };
      const source = mediaSourceOf(item, prompts);
      if ('error' in source) return { outcome: 'failed' };
      const pb = await this.engine.play(this.rtp, source);
      const r = await awaitPlayback(pb, item, {
        clock: systemClock,
        ended: this.ended,
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.bargeIn ? { bargeIn: true } : {}),
        setBargeIn: (h) => (this.interrupt = h),
      });
      if (r) return r;
    }
    return { outcome: 'completed' };
  }
}

/** The callers' process: one request, the answer of the kind asked for. */
class Load {
  private readonly child: ChildProcess;
  constructor() {
    this.child = fork(new URL('./ivr-load.ts', import.meta.url), [], { execArgv: ['--import=tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }
  request<K extends FromLoad['kind']>(m: ToLoad, kind: K): Promise<Extract<FromLoad, { kind: K }>> {
    return new Promise((resolve, reject) => {
      const on = (r: FromLoad): void => {
        if (r.kind !== kind) return;
        this.child.off('message', on);
        this.child.off('exit', exited);
        resolve(r as Extract<FromLoad, { kind: K }>);
      };
      const exited = (code: number | null): void => reject(new Error(`load generator exited ${code}`));
      this.child.on('message', on);
      this.child.once('exit', exited);
      this.child.send(m);
    });
  }
  close(): void {
    this.child.send({ cmd: 'exit' } satisfies ToLoad);
  }
}

async function runStep(n: number, engine: MediaEngine, load: Load, ports: readonly number[]): Promise<boolean> {
  const endpoints: RtpEndpoint[] = [];
  const sessions: Array<{ port: number; socket: number }> = [];
  const runs: Array<Promise<unknown>> = [];
  const channels: BenchChannel[] = [];
  let collected = 0;
  for (let i = 0; i < n; i++) {
    const affinity = `ivr-${n}-${i}`;
    const socket = i % ports.length;
    const ep = await engine.createRtpEndpoint({ codec: 'PCMA', remote: { address: '127.0.0.1', port: ports[socket]! }, telephoneEventPt: TE_PT, affinity, rtpTimeoutMs: 0 });
    endpoints.push(ep);
    sessions.push({ port: ep.localPort, socket });
    const ch = new BenchChannel(affinity, engine, ep);
    channels.push(ch);
    const runner = new IvrRunner({
      clock: systemClock,
      log,
      channel: ch,
      flow,
      callId: affinity,
      events: {
        publish: ((type: string, p: { nodeId?: string }) => {
          if (type === 'ivr.node.visited' && p.nodeId === 'result') collected++;
          return undefined as never;
        }) as never,
      },
    });
    runs.push(runner.run());
  }

  const load0 = os.loadavg()[0]!;
  const before = await engine.workerStats();
  const cpu0 = process.cpuUsage();
  // Recorded intervals include the 5 ms sampling period: lag is what exceeds it.
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const t0 = performance.now();
  const frames = Math.round((seconds * 1000) / 20);
  const gen = await load.request({ cmd: 'run', sessions, frames }, 'done');
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  lag.disable();
  const after = await engine.workerStats();
  const sum = (s: TickStats[], k: keyof TickStats): number => s.reduce((a, x) => a + (x[k] as number), 0);
  const ticks = sum(after, 'ticks') - sum(before, 'ticks');
  const late = sum(after, 'lateTicks') - sum(before, 'lateTicks');
  const elu = after.map((a, i) => {
    const b = before[i]!;
    const act = a.loopActiveMs - b.loopActiveMs;
    return act / (act + a.loopIdleMs - b.loopIdleMs);
  });
  for (const ch of channels) await ch.hangup();
  await Promise.all(runs);
  for (const ep of endpoints) await ep.close();
  for (let i = 0; i < n; i++) engine.release(`ivr-${n}-${i}`);
  const cpuPct = ((cpu.user + cpu.system) / 1000 / elapsed) * 100;
  const expectedCycles = n * Math.floor((seconds * 1000 - 1000) / CYCLE_MS);
  console.log(
    [
      `sessions ${String(n).padStart(4)}`,
      `late frames ${((ticks > 0 ? late / ticks : 1) * 100).toFixed(2).padStart(6)} % (${late}/${ticks} ticks; worst since start ${Math.max(...after.map((a) => a.maxLatenessMs)).toFixed(0)} ms)`,
      `worker load ${elu.map((e) => `${(e * 100).toFixed(0)}%`).join('/')}`,
      `bench process CPU ${cpuPct.toFixed(0)} %`,
      `main lag p99 ${Math.max(0, lag.percentile(99) / 1e6 - 5).toFixed(1)} ms`,
      `RTP at callers ${((gen.received / (n * frames)) * 100).toFixed(1)} % of 50/s`,
      `4-digit entries ${collected}/${expectedCycles}`,
      `callers: CPU ${((gen.cpuMs / gen.elapsedMs) * 100).toFixed(0)} %, late ${gen.late} (max ${gen.maxLateMs.toFixed(0)} ms)`,
      `load avg ${load0.toFixed(1)}→${os.loadavg()[0]!.toFixed(1)}`,
    ].join(' | '),
  );
  return late === 0 && collected >= expectedCycles * 0.99;
}

const engine = new MediaEngine({ workers, rtpPortMin: 40000, rtpPortMax: 43999, bindAddress: '127.0.0.1', clock: systemClock, log });
await engine.start();
const load = new Load();
const { ports } = await load.request({ cmd: 'sockets', count: GEN_SOCKETS }, 'sockets');
console.log(`ivr bench: ${workers} worker(s), ${seconds} s per step, ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (shared box), node ${process.version}; callers in process of their own`);
let best = 0;
for (const n of steps) if (await runStep(n, engine, load, ports)) best = Math.max(best, n);
console.log(`sessions with no late frames and every DTMF entry collected: ${best} (target ≥ 300)`);
load.close();
await engine.stop();
rmSync(dir, { recursive: true, force: true });
