/**
 * A fake RTP peer for engine tests and the bench: a UDP socket on 127.0.0.1 that streams a
 * tone (or anything) as 20 ms G.711 packets with its own real-time pacing, sends RFC 4733
 * digits, and keeps what it receives.
 */
import dgram from 'node:dgram';
import { FRAME_SAMPLES, PAYLOAD_TYPE, decode as g711decode, encode as g711encode, type G711Law } from '../../codec/g711.js';
import { encode as encodeEvent, sendSchedule } from '../../rtp/dtmf-4733.js';
import { decode as decodeRtp, encode as encodeRtp, type RtpPacket } from '../../rtp/packet.js';

export interface Received {
  packet: RtpPacket;
  at: number;
}

export class FakePeer {
  readonly received: Received[] = [];
  private seq = 1000;
  private ts = 5000;
  private readonly ssrc = Math.floor(Math.random() * 0xffffffff) >>> 0;
  private timer: NodeJS.Timeout | null = null;
  private constructor(
    readonly socket: dgram.Socket,
    readonly port: number,
    readonly law: G711Law,
  ) {
    socket.on('message', (msg) => {
      try {
        const packet = decodeRtp(new Uint8Array(msg));
        this.received.push({ packet: { ...packet, payload: packet.payload.slice() }, at: performance.now() });
      } catch {
        // not RTP (RTCP on the same port in some tests)
      }
    });
  }

  static async open(law: G711Law, opts: { keep?: boolean } = {}): Promise<FakePeer> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    // A test that fails before close() must not keep its worker process alive (ava waits for it).
    s.unref();
    const p = new FakePeer(s, s.address().port, law);
    if (opts.keep === false) s.removeAllListeners('message');
    return p;
  }

  get address(): { address: string; port: number } {
    return { address: '127.0.0.1', port: this.port };
  }

  sendFrame(to: { address: string; port: number }, payload: Uint8Array, pt = PAYLOAD_TYPE[this.law], marker = false, ts = this.ts): void {
    const buf = encodeRtp({ marker, payloadType: pt, sequenceNumber: this.seq, timestamp: ts, ssrc: this.ssrc, csrc: [], extension: null, payload, paddingSize: 0 });
    this.seq = (this.seq + 1) & 0xffff;
    this.socket.send(buf, to.port, to.address);
  }

  /** Stream a sine at `freq` (0 = silence) every 20 ms until stop(). */
  streamTone(to: { address: string; port: number }, freq: number, amp = 8000): void {
    let n = 0;
    const pcm = new Int16Array(FRAME_SAMPLES);
    const t0 = performance.now();
    const step = (): void => {
      for (let i = 0; i < FRAME_SAMPLES; i++) pcm[i] = freq ? Math.round(amp * Math.sin((2 * Math.PI * freq * (n * FRAME_SAMPLES + i)) / 8000)) : 0;
      this.sendFrame(to, g711encode(this.law, pcm));
      this.ts = (this.ts + FRAME_SAMPLES) >>> 0;
      n++;
      this.timer = setTimeout(step, Math.max(0, t0 + n * 20 - performance.now())).unref();
    };
    step();
  }

  /** Send one RFC 4733 digit now (packets paced by their schedule). */
  sendDigit(to: { address: string; port: number }, digit: string, pt = 101, durationMs = 100): void {
    const start = this.ts;
    for (const s of sendSchedule(digit, { durationMs })) {
      setTimeout(() => this.sendFrame(to, encodeEvent(s.event), pt, s.marker, (start + s.timestampOffset) >>> 0), s.atMs);
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  close(): void {
    this.stop();
    this.socket.close();
  }

  /** Received audio of payload type `pt`, decoded to linear, in arrival order. */
  audio(pt = PAYLOAD_TYPE[this.law]): Int16Array {
    const frames = this.received.filter((r) => r.packet.payloadType === pt).map((r) => g711decode(this.law, r.packet.payload));
    const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
    let o = 0;
    for (const f of frames) {
      out.set(f, o);
      o += f.length;
    }
    return out;
  }
}
