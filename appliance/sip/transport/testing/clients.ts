/**
 * Raw socket peers for transport tests and the RFC 4475 wire harness: they send octets exactly
 * as given and collect what comes back, with no SIP stack of their own. Waiting uses the real
 * clock (these tests talk to real sockets) through systemClock.
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect as netConnect, type Socket as NetSocket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { systemClock } from '../../../core/clock.js';
import { StreamFramer } from '../../parser/index.js';

async function until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() >= end) return false;
    await systemClock.sleep(5);
  }
  return true;
}

/** Status code of a response's start line, or null for requests/garbage. */
export function statusOf(bytes: Buffer): number | null {
  const m = /^SIP\/2\.0 ([0-9]{3})/.exec(bytes.toString('latin1', 0, 16));
  return m ? Number(m[1]) : null;
}

export class UdpPeer {
  readonly received: Buffer[] = [];
  private constructor(private readonly socket: Socket) {
    socket.on('message', (m) => this.received.push(m));
  }

  static async open(host = '127.0.0.1'): Promise<UdpPeer> {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, host, () => r()));
    return new UdpPeer(s);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(bytes: Buffer | string, port: number, host = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(typeof bytes === 'string' ? Buffer.from(bytes) : bytes, port, host, (e) => (e ? reject(e) : resolve())));
  }

  /** Wait for a final (≥ 200) response; returns it or null after `timeoutMs`. */
  async final(timeoutMs: number, from = 0): Promise<Buffer | null> {
    const find = (): Buffer | undefined => this.received.slice(from).find((b) => (statusOf(b) ?? 0) >= 200);
    await until(() => find() !== undefined, timeoutMs);
    return find() ?? null;
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

export class StreamPeer {
  readonly received: Buffer[] = [];
  closed = false;
  private readonly framer = new StreamFramer();
  private constructor(readonly socket: NetSocket) {
    socket.on('data', (d: Buffer) => {
      try {
        this.received.push(...this.framer.push(d).messages);
      } catch {
        socket.destroy();
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  static connect(port: number, opts: { tls?: boolean; host?: string } = {}): Promise<StreamPeer> {
    const host = opts.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const s: NetSocket = opts.tls
        ? tlsConnect({ host, port, rejectUnauthorized: false }, () => resolve(new StreamPeer(s)))
        : netConnect({ host, port }, () => resolve(new StreamPeer(s)));
      s.once('error', reject);
    });
  }

  send(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  async final(timeoutMs: number, from = 0): Promise<Buffer | null> {
    const find = (): Buffer | undefined => this.received.slice(from).find((b) => (statusOf(b) ?? 0) >= 200);
    await until(() => find() !== undefined || this.closed, timeoutMs);
    return find() ?? null;
  }

  async waitClosed(timeoutMs: number): Promise<boolean> {
    return until(() => this.closed, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

let n = 0;
/** A well-formed OPTIONS (liveness probe) whose Via names the peer's transport and port. */
export function optionsRequest(transport: 'UDP' | 'TCP' | 'TLS', port: number, extra: string[] = []): string {
  n++;
  return [
    'OPTIONS sip:probe@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bK-probe-${n}-${Date.now()};rport`,
    'Max-Forwards: 70',
    'From: <sip:probe@127.0.0.1>;tag=probe',
    'To: <sip:probe@127.0.0.1>',
    `Call-ID: probe-${n}-${Date.now()}@127.0.0.1`,
    'CSeq: 1 OPTIONS',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
