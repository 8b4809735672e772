/**
 * In-memory transports wired back to back (werift's createMockTransportPair, sipgo's
 * fakes.UDPConn), for transaction FSM tests on ManualClock: no sockets, no real time. Each side
 * records the octets it sent; delivery happens when the test calls `flush()`, so a test can look
 * at the bytes in flight, drop some (`lose`), and control interleaving with timers exactly.
 * Inbound octets go through the same inbound.ts path as UDP/TCP (parse, Via stamping).
 */
import { receive } from '../inbound.js';
import { TransportError } from '../errors.js';
import type { Destination, HostPort, MessageHandler, Transport, TransportProtocol } from '../types.js';

export interface SentPacket {
  bytes: Buffer;
  dest: Destination;
  /** The message as text (for assertions). */
  text: string;
}

export class FakeTransport implements Transport {
  readonly protocol: TransportProtocol;
  readonly reliable: boolean;
  readonly sent: SentPacket[] = [];
  peer: FakeTransport | null = null;
  /** Return true to lose a packet this side sends (it is still recorded in `sent`). */
  lose: ((p: SentPacket) => boolean) | null = null;
  /** When set, send() rejects with this (a transport failure). */
  failWith: Error | null = null;
  private handler: MessageHandler | null = null;
  private readonly inbox: Array<{ bytes: Buffer; from: HostPort }> = [];
  private readonly address: HostPort;

  constructor(address: HostPort, protocol: TransportProtocol = 'udp') {
    this.address = address;
    this.protocol = protocol;
    this.reliable = protocol !== 'udp';
  }

  localAddress(): HostPort {
    return this.address;
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  send(bytes: Buffer, dest: Destination): Promise<void> {
    const p: SentPacket = { bytes, dest, text: bytes.toString('utf8') };
    this.sent.push(p);
    if (this.failWith) return Promise.reject(new TransportError(`${dest.host}:${dest.port}`, 'fake failure', { cause: this.failWith }));
    if (this.peer && !(this.lose?.(p) ?? false)) this.peer.inbox.push({ bytes, from: this.address });
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Deliver queued inbound packets; returns how many were delivered. */
  deliver(): number {
    let n = 0;
    for (let p = this.inbox.shift(); p; p = this.inbox.shift()) {
      n++;
      const r = receive(p.bytes, p.from, { stream: this.reliable, forceRport: false, serverHeader: 'fake' });
      if (r.kind === 'message')
        this.handler?.(r.message, { protocol: this.protocol, host: p.from.host, port: p.from.port, connectionId: this.reliable ? 'fake-conn' : null }, this);
      else if (r.kind === 'reply') this.send(r.bytes, p.from).catch(() => undefined);
    }
    return n;
  }

  /** Start lines of everything sent so far, e.g. ['INVITE sip:…', 'SIP/2.0 100 Trying']. */
  startLines(): string[] {
    return this.sent.map((p) => p.text.slice(0, p.text.indexOf('\r\n')));
  }
}

export interface FakeTransportPair {
  a: FakeTransport;
  b: FakeTransport;
  /** Deliver in both directions until nothing is in flight. */
  flush(): void;
}

export function createFakeTransportPair(protocol: TransportProtocol = 'udp'): FakeTransportPair {
  const a = new FakeTransport({ host: '192.0.2.1', port: 5060 }, protocol);
  const b = new FakeTransport({ host: '192.0.2.2', port: 5060 }, protocol);
  a.peer = b;
  b.peer = a;
  return {
    a,
    b,
    flush() {
      for (let i = 0; i < 1000 && a.deliver() + b.deliver() > 0; i++);
    },
  };
}
