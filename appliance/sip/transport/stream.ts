/**
 * SIP over TCP and TLS, RFC 3261 §18 on node:net / node:tls. One StreamFramer per connection
 * (§18.3: Content-Length frames messages on streams); RFC 5626 §4.4.1 CRLFCRLF pings answered with
 * a single CRLF pong; connections reused for responses (§18.2.2) and for requests to the same
 * address. Guards against connection exhaustion (RELIABILITY.md S6, AST-2016-005):
 *   - at most `maxConnectionsPerIp` inbound connections per remote IP (default 64): more are
 *     closed at once;
 *   - a connection that has not delivered a complete message for `frameTimeoutMs` (default 5 s)
 *     while it is new or holds a partial message is closed (S1: framing errors closed ≤ 5 s);
 *   - a connection with no traffic at all for `idleTimeoutMs` is closed;
 *   - a framing error (no/bad/duplicate Content-Length, more than 64 KiB buffered) is answered 400
 *     (513 when too large) when a Via can be read, then the connection is closed.
 * Timers go through the injected Clock.
 */
import { createConnection, createServer, isIPv6, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { ParseError } from '../../core/errors.js';
import { contentLength, MAX_MESSAGE_BYTES, MessageTooLargeError, StreamFramer } from '../parser/index.js';
import { TransportError } from './errors.js';
import { receive, salvageReply } from './inbound.js';
import type { Destination, HostPort, MessageHandler, Source, Transport } from './types.js';

export interface StreamTransportOptions {
  protocol: 'tcp' | 'tls';
  host: string;
  port: number;
  clock: Clock;
  serverHeader: string;
  /** PEM certificate chain and key for the TLS server (config.sip.tlsCert / tlsKey). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Options for outbound TLS connections (CA, servername, rejectUnauthorized). */
  tlsClient?: ConnectionOptions;
  maxConnectionsPerIp?: number;
  frameTimeoutMs?: number;
  idleTimeoutMs?: number;
  forceRport?: boolean;
  onReject?: (reason: string, from: HostPort, status: number | null) => void;
}

export const STREAM_DEFAULTS = { maxConnectionsPerIp: 64, frameTimeoutMs: 5_000, idleTimeoutMs: 600_000 } as const;
/** How long a connection closed after a framing error may linger for its 400 to drain. */
const CLOSE_GRACE_MS = 1_000;
const CRLF = Buffer.from('\r\n');

interface Connection {
  readonly id: string;
  readonly socket: Socket;
  readonly remote: HostPort;
  readonly inbound: boolean;
  readonly framer: StreamFramer;
  /** Bytes of the message being framed, kept to salvage a Via for the 400 on a framing error. */
  tail: Buffer;
  frameTimer: TimerHandle | null;
  idleTimer: TimerHandle | null;
  closed: boolean;
}

export class StreamTransport implements Transport {
  readonly protocol: 'tcp' | 'tls';
  readonly reliable = true;
  private handler: MessageHandler | null = null;
  private readonly server: Server;
  private readonly opts: StreamTransportOptions;
  private readonly connections = new Map<string, Connection>();
  private readonly byAddress = new Map<string, string>();
  private readonly pending = new Map<string, Promise<Connection>>();
  private readonly perIp = new Map<string, number>();
  private nextId = 1;

  private constructor(server: Server, opts: StreamTransportOptions) {
    this.server = server;
    this.opts = opts;
    this.protocol = opts.protocol;
  }

  static async listen(opts: StreamTransportOptions): Promise<StreamTransport> {
    let t: StreamTransport | null = null;
    const frameTimeoutMs = opts.frameTimeoutMs ?? STREAM_DEFAULTS.frameTimeoutMs;
    const server =
      opts.protocol === 'tls'
        ? createTlsServer({ ...(opts.tls ?? {}), handshakeTimeout: frameTimeoutMs, minVersion: 'TLSv1.2' }, (s: TLSSocket) => t?.accept(s))
        : createServer((s) => t?.accept(s));
    // A failed TLS handshake or a reset before accept must not take the process down.
    server.on('tlsClientError', () => undefined);
    server.on('error', () => undefined);
    t = new StreamTransport(server, opts);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return t;
  }

  localAddress(): HostPort {
    const a = this.server.address();
    if (a === null || typeof a === 'string') return { host: this.opts.host, port: this.opts.port };
    return { host: a.address, port: a.port };
  }

  /** Open connections (inbound and outbound). */
  get connectionCount(): number {
    return this.connections.size;
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  send(bytes: Buffer, dest: Destination): Promise<void> {
    // An open connection is written synchronously, so responses leave in the order they were made.
    const open = this.openConnection(dest);
    if (open) return this.write(open, bytes, dest);
    return this.connectionFor(dest).then((conn) => this.write(conn, bytes, dest));
  }

  private write(conn: Connection, bytes: Buffer, dest: Destination): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      conn.socket.write(bytes, (err) => {
        if (err) reject(new TransportError(`${this.protocol}:${dest.host}:${dest.port}`, 'write failed', { cause: err }));
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    for (const c of [...this.connections.values()]) this.drop(c);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private openConnection(dest: Destination): Connection | undefined {
    const byId = dest.connectionId ? this.connections.get(dest.connectionId) : undefined;
    if (byId && !byId.closed) return byId;
    const id = this.byAddress.get(`${dest.host}:${dest.port}`);
    const c = id === undefined ? undefined : this.connections.get(id);
    return c && !c.closed ? c : undefined;
  }

  private async connectionFor(dest: Destination): Promise<Connection> {
    if (dest.connectionId) {
      const c = this.connections.get(dest.connectionId);
      if (c && !c.closed) return c;
    }
    const addr = `${dest.host}:${dest.port}`;
    const existing = this.byAddress.get(addr);
    const c = existing === undefined ? undefined : this.connections.get(existing);
    if (c && !c.closed) return c;
    let p = this.pending.get(addr);
    if (!p) {
      p = this.dial(dest).finally(() => this.pending.delete(addr));
      this.pending.set(addr, p);
    }
    return p;
  }

  private dial(dest: HostPort): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const fail = (err: Error): void => reject(new TransportError(`${this.protocol}:${dest.host}:${dest.port}`, 'connect failed', { cause: err }));
      const socket: Socket =
        this.protocol === 'tls'
          ? tlsConnect({ ...(this.opts.tlsClient ?? {}), host: dest.host, port: dest.port }, () => done())
          : createConnection({ host: dest.host, port: dest.port }, () => done());
      const done = (): void => {
        socket.off('error', fail);
        resolve(this.adopt(socket, dest, false));
      };
      socket.once('error', fail);
    });
  }

  private accept(socket: Socket): void {
    const ip = socket.remoteAddress ?? '';
    const port = socket.remotePort ?? 0;
    const cap = this.opts.maxConnectionsPerIp ?? STREAM_DEFAULTS.maxConnectionsPerIp;
    if ((this.perIp.get(ip) ?? 0) >= cap) {
      this.opts.onReject?.('per-IP connection cap', { host: ip, port }, null);
      socket.destroy();
      return;
    }
    this.adopt(socket, { host: ip, port }, true);
  }

  private adopt(socket: Socket, remote: HostPort, inbound: boolean): Connection {
    const conn: Connection = {
      id: `${this.protocol}-${this.nextId++}`,
      socket,
      remote,
      inbound,
      framer: new StreamFramer(),
      tail: Buffer.alloc(0),
      frameTimer: null,
      idleTimer: null,
      closed: false,
    };
    this.connections.set(conn.id, conn);
    this.byAddress.set(`${remote.host}:${remote.port}`, conn.id);
    if (inbound) this.perIp.set(remote.host, (this.perIp.get(remote.host) ?? 0) + 1);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', () => this.drop(conn));
    socket.on('close', () => this.drop(conn));
    if (inbound) this.armFrameTimer(conn);
    this.touch(conn);
    return conn;
  }

  private armFrameTimer(conn: Connection): void {
    if (conn.frameTimer !== null) return;
    const ms = this.opts.frameTimeoutMs ?? STREAM_DEFAULTS.frameTimeoutMs;
    conn.frameTimer = this.opts.clock.setTimeout(() => {
      conn.frameTimer = null;
      this.opts.onReject?.('no complete message in time', conn.remote, null);
      this.drop(conn);
    }, ms);
  }

  private touch(conn: Connection): void {
    conn.idleTimer?.cancel();
    conn.idleTimer = this.opts.clock.setTimeout(() => this.drop(conn), this.opts.idleTimeoutMs ?? STREAM_DEFAULTS.idleTimeoutMs);
  }

  private onData(conn: Connection, chunk: Buffer): void {
    if (conn.closed) return;
    this.touch(conn);
    let out: ReturnType<StreamFramer["push"]>;
    try {
      out = conn.framer.push(chunk);
    } catch (err) {
      // The framer keeps nothing of a failed push: split the bytes again to deliver the messages before the bad one and to answer the bad one
      // from its own header lines only.
      const { messages, rest } = splitBeforeFailure(Buffer.concat([conn.tail, chunk]));
      this.deliver(conn, messages);
      if (!conn.closed) this.framingError(conn, rest, err);
      return;
    }
    const held = conn.framer.buffered;
    if (held === 0) conn.tail = Buffer.alloc(0);
    else {
      const all = conn.tail.length === 0 ? chunk : Buffer.concat([conn.tail, chunk]);
      conn.tail = Buffer.from(all.subarray(Math.max(0, all.length - held)));
    }
    // RFC 5626 §4.4.1: "When a server receives a double CRLF ... it MUST immediately send a single CRLF".
    for (let i = 0; i < out.pings; i++) conn.socket.write(CRLF);
    if (out.messages.length > 0) {
      conn.frameTimer?.cancel();
      conn.frameTimer = null;
    }
    if (held > 0) this.armFrameTimer(conn);
    this.deliver(conn, out.messages);
  }

  private deliver(conn: Connection, messages: readonly Buffer[]): void {
    const source: Source = { protocol: this.protocol, host: conn.remote.host, port: conn.remote.port, connectionId: conn.id };
    for (const bytes of messages) {
      const r = receive(bytes, conn.remote, { stream: true, forceRport: this.opts.forceRport ?? false, serverHeader: this.opts.serverHeader });
      if (r.kind === 'message') this.handler?.(r.message, source, this);
      else if (r.kind === 'reply') {
        this.opts.onReject?.(r.reason, conn.remote, r.status);
        conn.socket.write(r.bytes);
      } else this.opts.onReject?.(r.reason, conn.remote, null);
      if (conn.closed) return;
    }
  }

  private framingError(conn: Connection, bytes: Buffer, err: unknown): void {
    const status = err instanceof MessageTooLargeError ? 513 : 400;
    const why = err instanceof ParseError ? err.message : 'framing error';
    const reply = salvageReply(bytes, conn.remote, status, why, this.opts.serverHeader);
    this.opts.onReject?.(why, conn.remote, reply ? status : null);
    conn.tail = Buffer.alloc(0);
    if (reply) {
      conn.socket.end(reply);
      this.opts.clock.setTimeout(() => this.drop(conn), CLOSE_GRACE_MS);
      this.forget(conn);
    } else this.drop(conn);
  }

  /** Stop using a connection for new sends (it is closing). */
  private forget(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.frameTimer?.cancel();
    conn.idleTimer?.cancel();
    conn.frameTimer = null;
    conn.idleTimer = null;
    this.connections.delete(conn.id);
    const addr = `${conn.remote.host}:${conn.remote.port}`;
    if (this.byAddress.get(addr) === conn.id) this.byAddress.delete(addr);
    if (conn.inbound) {
      const n = (this.perIp.get(conn.remote.host) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(conn.remote.host);
      else this.perIp.set(conn.remote.host, n);
    }
  }

  private drop(conn: Connection): void {
    this.forget(conn);
    if (!conn.socket.destroyed) conn.socket.destroy();
  }
}

/**
 * The complete messages at the front of `bytes` and the bytes from the first one that cannot be
 * framed (§18.3 rules, as StreamFramer applies them), used only after the framer failed.
 */
export function splitBeforeFailure(bytes: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let at = 0;
  for (;;) {
    while (at + 1 < bytes.length && bytes[at] === 0x0d && bytes[at + 1] === 0x0a) at += 2;
    const headEnd = bytes.indexOf('\r\n\r\n', at);
    if (headEnd < 0) return { messages, rest: bytes.subarray(at) };
    let cl: number;
    try {
      cl = contentLength(bytes.toString('latin1', at, headEnd));
    } catch {
      return { messages, rest: bytes.subarray(at) };
    }
    const end = headEnd + 4 + cl;
    if (end > bytes.length || end - at > MAX_MESSAGE_BYTES) return { messages, rest: bytes.subarray(at) };
    messages.push(Buffer.from(bytes.subarray(at, end)));
    at = end;
  }
}

/** IPv6-aware `host:port` text for logs. */
export function formatHostPort(a: HostPort): string {
  return isIPv6(a.host) ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
