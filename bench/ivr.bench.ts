/**
 * IVR capacity: N concurrent IVR sessions on the real media engine, each an IvrRunner over an
 * RTP leg, prompts playing from WAV files, the caller's keys arriving as RFC 4733 events.
 * `npm run bench -- ivr [workers=2] [seconds=10] [steps=100,200,300,400]`
 *
 * A load generator in this process (main thread, as a SIPp stand-in) sends 50 packets/s of
 * A-law to every leg from 8 UDP sockets and, per session, keys a script through the flow
 *   menu (prompt) ── 1 ──▶ collect 4 digits (prompt) ── 1234 ──▶ result (prompt) ──▶ menu …
 * with sessions staggered over the first second. Per step: late ticks of the engine workers
 * (a tick starting > 10 ms after its deadline: a late frame), their event-loop utilization,
 * process CPU (engine + runners + generator), main-thread event-loop lag p99, frames received
 * at the peers against 50/s, and how many IVR cycles (digits collected) the runners completed.
 * Target (issue 7): ≥ 300 sessions on 2 cores with no late frames.
 */
import dgram from 'node:dgram';
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
import { encodeInto as encodeEvent, sendSchedule } from '../appliance/media/rtp/dtmf-4733.js';
import { encodeInto } from '../appliance/media/rtp/packet.js';

const workers = Number(process.argv[2] ?? 2);
const seconds = Number(process.argv[3] ?? 10);
const steps = (process.argv[4] ?? '100,200,300,400').split(',').map(Number);
const GEN_SOCKETS = 8;
const TE_PT = 101;
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

/** The caller side of one session: RTP audio every 20 ms, RFC 4733 events for its keys. */
interface Caller {
  ep: RtpEndpoint;
  sock: dgram.Socket;
  audio: Buffer;
  event: Buffer;
  seq: number;
  ts: number;
  ssrc: number;
  /** Pending event packets: the frame to send in, the marker, the event payload. */
  queue: Array<{ frame: number; marker: boolean; ev: Parameters<typeof encodeEvent>[0] }>;
}

/** Keys a session presses in each 10 s cycle (ms after the cycle start). */
const SCRIPT: Array<[number, string]> = [
  [1000, '1'],
  [2600, '1'],
  [2900, '2'],
  [3200, '3'],
  [3500, '4'],
];
const CYCLE_MS = 6500;

/** Queue a digit's RFC 4733 packets (the event's timestamp is the RTP time of its first packet). */
function schedule(c: Caller, frame: number, digit: string): void {
  for (const p of sendSchedule(digit, { durationMs: 100 })) c.queue.push({ frame: frame + Math.round(p.atMs / 20), marker: p.marker, ev: p.event });
}

async function runStep(n: number, engine: MediaEngine, socks: dgram.Socket[]): Promise<boolean> {
  let received = 0;
  const onMsg = (): void => void received++;
  for (const s of socks) s.on('message', onMsg);
  const callers: Caller[] = [];
  const runs: Array<Promise<unknown>> = [];
  const channels: BenchChannel[] = [];
  let collected = 0;
  const payload = new Uint8Array(160).fill(0xd5); // A-law silence
  for (let i = 0; i < n; i++) {
    const affinity = `ivr-${n}-${i}`;
    const sock = socks[i % GEN_SOCKETS]!;
    const ep = await engine.createRtpEndpoint({ codec: 'PCMA', remote: { address: '127.0.0.1', port: sock.address().port }, telephoneEventPt: TE_PT, affinity, rtpTimeoutMs: 0 });
    const ssrc = i + 1;
    const audio = Buffer.alloc(172);
    encodeInto({ marker: false, payloadType: 8, sequenceNumber: 0, timestamp: 0, ssrc, csrc: [], extension: null, payload, paddingSize: 0 }, audio, 0);
    const event = Buffer.alloc(16);
    encodeInto({ marker: false, payloadType: TE_PT, sequenceNumber: 0, timestamp: 0, ssrc, csrc: [], extension: null, payload: new Uint8Array(4), paddingSize: 0 }, event, 0);
    callers.push({ ep, sock, audio, event, seq: 0, ts: 0, ssrc, queue: [] });
    const ch = new BenchChannel(affinity, engine, ep);
    channels.push(ch);
    const runner = new IvrRunner({ clock: systemClock, log, channel: ch, flow, callId: affinity, events: { publish: ((type: string, p: { nodeId?: string }) => {
      if (type === 'ivr.node.visited' && p.nodeId === 'result') collected++;
      return undefined as never;
    }) as never } });
    runs.push(runner.run());
  }

  const before = await engine.workerStats();
  const cpu0 = process.cpuUsage();
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const t0 = performance.now();
  let frame = 0;
  let genLate = 0;
  const frames = Math.round((seconds * 1000) / 20);
  // Stagger: session i starts its script at i * (1000 / n) ms.
  const offsets = callers.map((_, i) => Math.floor((i * 50) / n));
  await new Promise<void>((resolve) => {
    const step = (): void => {
      if (performance.now() - (t0 + frame * 20) > 10) genLate++;
      for (let i = 0; i < callers.length; i++) {
        const c = callers[i]!;
        const local = frame - offsets[i]!;
        if (local >= 0) {
          const inCycle = (local * 20) % CYCLE_MS;
          for (const [at, d] of SCRIPT) if (inCycle === at) schedule(c, frame, d);
        }
        const due = c.queue.filter((q) => q.frame <= frame);
        if (due.length > 0) {
          for (const q of due) {
            c.event.writeUInt8(q.marker ? 0x80 | TE_PT : TE_PT, 1);
            c.event.writeUInt16BE(c.seq, 2);
            if (q.marker) c.event.writeUInt32BE(c.ts >>> 0, 4);
            encodeEvent(q.ev, c.event, 12);
            c.seq = (c.seq + 1) & 0xffff;
            c.sock.send(c.event, c.ep.localPort, '127.0.0.1');
          }
          c.queue = c.queue.filter((q) => q.frame > frame);
        } else {
          c.audio.writeUInt16BE(c.seq, 2);
          c.audio.writeUInt32BE(c.ts >>> 0, 4);
          c.seq = (c.seq + 1) & 0xffff;
          c.sock.send(c.audio, c.ep.localPort, '127.0.0.1');
        }
        c.ts += 160;
      }
      frame++;
      if (frame >= frames) return resolve();
      setTimeout(step, Math.max(0, t0 + frame * 20 - performance.now()));
    };
    step();
  });
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
  for (const c of callers) await c.ep.close();
  for (let i = 0; i < n; i++) engine.release(`ivr-${n}-${i}`);
  for (const s of socks) s.off('message', onMsg);
  const cpuPct = ((cpu.user + cpu.system) / 1000 / elapsed) * 100;
  const expectedCycles = callers.length * Math.floor((seconds * 1000 - 1000) / CYCLE_MS);
  console.log(
    [
      `sessions ${String(n).padStart(4)}`,
      `late frames ${((ticks > 0 ? late / ticks : 1) * 100).toFixed(2).padStart(6)} % (${late}/${ticks} ticks, max ${Math.max(...after.map((a) => a.maxLatenessMs)).toFixed(0)} ms)`,
      `worker load ${elu.map((e) => `${(e * 100).toFixed(0)}%`).join('/')}`,
      `process CPU ${cpuPct.toFixed(0)} %`,
      `main lag p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms`,
      `RTP packets at callers ${((received / (callers.length * frames)) * 100).toFixed(1)} % of 50/s`,
      `4-digit entries collected ${collected}/${expectedCycles}`,
      `gen late ${genLate}`,
    ].join(' | '),
  );
  return late === 0 && collected >= expectedCycles * 0.99;
}

const engine = new MediaEngine({ workers, rtpPortMin: 40000, rtpPortMax: 43999, bindAddress: '127.0.0.1', clock: systemClock, log });
await engine.start();
const socks: dgram.Socket[] = [];
for (let i = 0; i < GEN_SOCKETS; i++) {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  socks.push(s);
}
console.log(`ivr bench: ${workers} worker(s), ${seconds} s per step, ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (shared box), node ${process.version}`);
let best = 0;
for (const n of steps) if (await runStep(n, engine, socks)) best = Math.max(best, n);
console.log(`sessions with no late frames and every DTMF entry collected: ${best} (target ≥ 300)`);
for (const s of socks) s.close();
await engine.stop();
rmSync(dir, { recursive: true, force: true });
