/**
 * SIP over UDP, RFC 3261 §18 on node:dgram: one socket bound to the configured address. Each
 * datagram is one message (§18.3: octets beyond Content-Length are discarded). Inbound requests
 * are stamped with received/rport (inbound.ts, §18.2.1, RFC 3581); a request that fails to parse
 * gets its 400/513 straight back to the datagram's source; nothing is ever sent to a broadcast or
 * multicast address.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { receive } from './inbound.js';
import { TransportError } from './errors.js';
import type { Destination, HostPort, MessageHandler, Transport } from './types.js';

export interface UdpTransportOptions {
  host: string;
  port: number;
  /** Answer to the packet's source port even without `;rport` (phones behind NAT). Default true. */
  forceRport?: boolean;
  serverHeader: string;
  /** Called for every dropped or locally answered datagram (metrics, logs). */
  onReject?: (reason: string, from: HostPort, status: number | null) => void;
}

const FORBIDDEN = /^(255\.255\.255\.255|2(2[4-9]|3[0-9])\.)/;

export class UdpTransport implements Transport {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  private handler: MessageHandler | null = null;
  private readonly socket: Socket;
  private readonly opts: UdpTransportOptions;
  /** The bound address: fixed once bound, and asked for per message (socket.address() is a native call each time). */
  private readonly local: HostPort;

  private constructor(socket: Socket, opts: UdpTransportOptions) {
    this.socket = socket;
    this.opts = opts;
    const a = socket.address();
    this.local = { host: a.address, port: a.port };
    socket.on('message', (buf, rinfo) => this.onDatagram(buf, { host: rinfo.address, port: rinfo.port }));
    // ICMP errors on a connectionless socket surface here; they must not crash the process.
    socket.on('error', () => undefined);
  }

  static listen(opts: UdpTransportOptions): Promise<UdpTransport> {
    const socket = createSocket({ type: isIPv6(opts.host) ? 'udp6' : 'udp4', reuseAddr: false });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.port, opts.host, () => {
        socket.off('error', reject);
        resolve(new UdpTransport(socket, opts));
      });
    });
  }

  localAddress(): HostPort {
    return { ...this.local };
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  send(bytes: Buffer, dest: Destination): Promise<void> {
    const where = `udp:${dest.host}:${dest.port}`;
    if (FORBIDDEN.test(dest.host)) return Promise.reject(new TransportError(where, 'refusing to send to a broadcast or multicast address'));
    return new Promise((resolve, reject) => {
      this.socket.send(bytes, dest.port, dest.host, (err) => {
        if (err) reject(new TransportError(where, 'UDP send failed', { cause: err }));
        else resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private onDatagram(buf: Buffer, from: HostPort): void {
    const r = receive(buf, from, { stream: false, forceRport: this.opts.forceRport ?? true, serverHeader: this.opts.serverHeader });
    if (r.kind === 'message') {
      this.handler?.(r.message, { protocol: 'udp', host: from.host, port: from.port, connectionId: null }, this);
      return;
    }
    if (r.kind === 'reply') {
      this.opts.onReject?.(r.reason, from, r.status);
      this.send(r.bytes, from).catch(() => undefined);
      return;
    }
    this.opts.onReject?.(r.reason, from, null);
  }
}
