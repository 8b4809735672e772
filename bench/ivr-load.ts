/**
 * The IVR benchmark's callers (bench/ivr.bench.ts), in a process of their own so that sending
 * RTP does not compete with what is measured for the bench's event loop: what a room of phones
 * (or SIPp) would do from other machines. Forked with an IPC channel:
 *
 *   parent → { cmd: 'sockets', count }           ← { ports }          bind the callers' sockets
 *   parent → { cmd: 'run', sessions, frames, … } ← { done, … }        one step, then its figures
 *   parent → { cmd: 'exit' }
 *
 * Each session is a phone: 50 packets/s of A-law (RFC 3550, PT 8) to its engine endpoint, and in
 * every CYCLE_MS cycle the keys of SCRIPT as RFC 4733 telephone-events (PT 101, 100 ms each,
 * §2.5.1 schedule: packets every 20 ms, the last three with the E bit). Sessions are staggered
 * over the first second. Sending keeps to absolute 20 ms deadlines: a late frame is sent as soon
 * as possible and counted (`late`), never dropped, so the engine sees what a real network brings.
 */
import dgram from 'node:dgram';
import { encodeInto as encodeEvent, sendSchedule } from '../appliance/media/rtp/dtmf-4733.js';
import { encodeInto } from '../appliance/media/rtp/packet.js';

export const TE_PT = 101;
/** Keys a session presses in each cycle (ms after the cycle start). */
export const SCRIPT: ReadonlyArray<readonly [number, string]> = [
  [1000, '1'],
  [2600, '1'],
  [2900, '2'],
  [3200, '3'],
  [3500, '4'],
];
export const CYCLE_MS = 6500;

export type ToLoad =
  | { cmd: 'sockets'; count: number }
  | { cmd: 'run'; sessions: Array<{ port: number; socket: number }>; frames: number }
  | { cmd: 'exit' };

export type FromLoad =
  | { kind: 'sockets'; ports: number[] }
  | { kind: 'done'; received: number; sent: number; late: number; maxLateMs: number; cpuMs: number; elapsedMs: number };

interface Caller {
  port: number;
  sock: dgram.Socket;
  audio: Buffer;
  event: Buffer;
  seq: number;
  ts: number;
  /** Pending event packets: the frame to send in, the marker, the event payload. */
  queue: Array<{ frame: number; marker: boolean; ev: Parameters<typeof encodeEvent>[0] }>;
}

const socks: dgram.Socket[] = [];
let received = 0;

function send(m: FromLoad): void {
  process.send?.(m);
}

function schedule(c: Caller, frame: number, digit: string): void {
  for (const p of sendSchedule(digit, { durationMs: 100 })) c.queue.push({ frame: frame + Math.round(p.atMs / 20), marker: p.marker, ev: p.event });
}

async function bind(count: number): Promise<void> {
  for (let i = socks.length; i < count; i++) {
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    s.on('message', () => void received++);
    socks.push(s);
  }
  send({ kind: 'sockets', ports: socks.map((s) => s.address().port) });
}

function run(sessions: Array<{ port: number; socket: number }>, frames: number): void {
  const payload = new Uint8Array(160).fill(0xd5); // A-law silence
  const callers: Caller[] = sessions.map((s, i) => {
    const ssrc = i + 1;
    const audio = Buffer.alloc(172);
    encodeInto({ marker: false, payloadType: 8, sequenceNumber: 0, timestamp: 0, ssrc, csrc: [], extension: null, payload, paddingSize: 0 }, audio, 0);
    const event = Buffer.alloc(16);
    encodeInto({ marker: false, payloadType: TE_PT, sequenceNumber: 0, timestamp: 0, ssrc, csrc: [], extension: null, payload: new Uint8Array(4), paddingSize: 0 }, event, 0);
    return { port: s.port, sock: socks[s.socket]!, audio, event, seq: 0, ts: 0, queue: [] };
  });
  // Session i starts its script at i * (1000 / n) ms.
  const offsets = callers.map((_, i) => Math.floor((i * 50) / callers.length));
  received = 0;
  let sent = 0;
  let late = 0;
  let maxLateMs = 0;
  let frame = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const step = (): void => {
    const lateMs = performance.now() - (t0 + frame * 20);
    if (lateMs > 10) late++;
    maxLateMs = Math.max(maxLateMs, lateMs);
    for (let i = 0; i < callers.length; i++) {
      const c = callers[i]!;
      const local = frame - offsets[i]!;
      if (local >= 0) {
        const inCycle = (local * 20) % CYCLE_MS;
        for (const [at, d] of SCRIPT) if (inCycle === at) schedule(c, frame, d);
      }
      let events = false;
      while (c.queue.length > 0 && c.queue[0]!.frame <= frame) {
        const q = c.queue.shift()!;
        events = true;
        c.event.writeUInt8(q.marker ? 0x80 | TE_PT : TE_PT, 1);
        c.event.writeUInt16BE(c.seq, 2);
        if (q.marker) c.event.writeUInt32BE(c.ts >>> 0, 4);
        encodeEvent(q.ev, c.event, 12);
        c.seq = (c.seq + 1) & 0xffff;
        c.sock.send(c.event, c.port, '127.0.0.1');
        sent++;
      }
      if (!events) {
        c.audio.writeUInt16BE(c.seq, 2);
        c.audio.writeUInt32BE(c.ts >>> 0, 4);
        c.seq = (c.seq + 1) & 0xffff;
        c.sock.send(c.audio, c.port, '127.0.0.1');
        sent++;
      }
      c.ts += 160;
    }
    frame++;
    if (frame >= frames) {
      const cpu = process.cpuUsage(cpu0);
      // Let the last packets' answers arrive before counting.
      setTimeout(() => send({ kind: 'done', received, sent, late, maxLateMs, cpuMs: (cpu.user + cpu.system) / 1000, elapsedMs: performance.now() - t0 }), 100);
      return;
    }
    setTimeout(step, Math.max(0, t0 + frame * 20 - performance.now()));
  };
  step();
}

// Only when forked (the bench imports the script's constants too).
if (process.send) {
  process.on('message', (m: ToLoad) => {
    if (m.cmd === 'sockets') void bind(m.count);
    else if (m.cmd === 'run') run(m.sessions, m.frames);
    else {
      for (const s of socks) s.close();
      process.disconnect?.();
    }
  });
}
