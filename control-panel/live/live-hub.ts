/**
 * The SSE fan-out of the panel (issue 9: "live boards use SSE fed by core/events"). One bus
 * subscription (`EventBus.onAny`) feeds every open stream; each stream has its own projector,
 * which filters by the user's permissions and data scope and turns an event into zero or more
 * messages (usually HTML fragments to swap in). Writes happen inside the bus delivery, so an
 * event reaches every subscribed client in the tick it was published.
 *
 * - Resume (WHATWG HTML §9.2.4: "the user agent must … set the `Last-Event-ID` header"): every
 *   message carries the bus event's id; the last `ringSize` events are kept in a ring buffer,
 *   and a client reconnecting with a Last-Event-ID still in the ring gets the events after it,
 *   through its own projector (so filtering holds for replays too). An id no longer in the ring
 *   gets one `reset` message: the page then reloads its snapshot.
 * - Heartbeats: a comment every `heartbeatMs` on the injected Clock.
 * - Backpressure: a client whose unsent bytes exceed `maxBufferedBytes` is dropped (its
 *   stream ended; EventSource reconnects and resumes), so one slow wallboard never holds
 *   memory for everyone.
 * - Streams end after `maxStreamMs`; the reconnect passes the session and permission checks
 *   again, so a revoked session or role stops receiving within that time.
 */
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import type { AnyAppEvent, EventBus } from '../../appliance/core/events.js';
import type { Logger } from '../../appliance/core/log.js';
import { formatComment, formatMessage, formatRetry, type SseMessage } from './sse.js';

/** Where a stream writes: an express Response fits. */
export interface SseSink {
  write(chunk: string): boolean;
  readonly writableLength: number;
  end(): void;
}

export type Projector = (event: AnyAppEvent) => ReadonlyArray<Omit<SseMessage, 'id'>>;

export interface LiveHubOptions {
  heartbeatMs?: number;
  ringSize?: number;
  maxBufferedBytes?: number;
  maxStreamMs?: number;
  /** Reconnection delay announced to EventSource. */
  retryMs?: number;
}

export interface LiveStats {
  clients: number;
  /** Messages written (not counting heartbeats). */
  sent: number;
  replayed: number;
  resets: number;
  dropped: number;
  heartbeats: number;
}

interface Client {
  sink: SseSink;
  project: Projector;
  openedMono: number;
  label: string;
}

export interface Subscription {
  close(): void;
}

export class LiveHub {
  private readonly clients = new Set<Client>();
  private readonly ring: AnyAppEvent[] = [];
  private readonly unsubscribe: () => void;
  private readonly heartbeat: TimerHandle;
  private readonly o: Required<LiveHubOptions>;
  readonly stats: LiveStats = { clients: 0, sent: 0, replayed: 0, resets: 0, dropped: 0, heartbeats: 0 };

  constructor(
    private readonly deps: { bus: EventBus; clock: Clock; log: Logger },
    opts: LiveHubOptions = {},
  ) {
    this.o = {
      heartbeatMs: opts.heartbeatMs ?? 15_000,
      ringSize: Math.max(1, opts.ringSize ?? 2048),
      maxBufferedBytes: opts.maxBufferedBytes ?? 1 << 20,
      maxStreamMs: opts.maxStreamMs ?? 10 * 60_000,
      retryMs: opts.retryMs ?? 2_000,
    };
    this.unsubscribe = deps.bus.onAny((e) => this.publish(e));
    this.heartbeat = deps.clock.setInterval(() => this.beat(), this.o.heartbeatMs);
  }

  close(): void {
    this.unsubscribe();
    this.heartbeat.cancel();
    for (const c of [...this.clients]) this.drop(c, true);
  }

  /**
   * Open a stream: the retry hint, then the replay after `lastEventId` (or a reset when it is
   * no longer in the ring), then live events.
   */
  subscribe(sink: SseSink, project: Projector, opts: { lastEventId?: string | null; label?: string } = {}): Subscription {
    const client: Client = { sink, project, openedMono: this.deps.clock.monotonic(), label: opts.label ?? '' };
    this.clients.add(client);
    this.stats.clients = this.clients.size;
    this.write(client, formatRetry(this.o.retryMs) + formatComment('connected'));
    const last = opts.lastEventId?.trim();
    if (last) {
      const at = this.ring.findIndex((e) => e.id === last);
      if (at < 0) {
        this.stats.resets++;
        this.write(client, formatMessage({ event: 'reset', data: '' }));
      } else {
        for (const e of this.ring.slice(at + 1)) {
          if (!this.clients.has(client)) break;
          this.stats.replayed++;
          this.deliver(client, e);
        }
      }
    }
    return { close: () => this.drop(client, false) };
  }

  /** The id of the newest event in the ring (what a fresh page may pass as its resume point). */
  lastId(): string | null {
    return this.ring.at(-1)?.id ?? null;
  }

  private publish(e: AnyAppEvent): void {
    this.ring.push(e);
    if (this.ring.length > this.o.ringSize) this.ring.shift();
    for (const c of [...this.clients]) this.deliver(c, e);
  }

  private deliver(c: Client, e: AnyAppEvent): void {
    let messages: ReadonlyArray<Omit<SseMessage, 'id'>>;
    try {
      messages = c.project(e);
    } catch (err) {
      this.deps.log.error({ err, type: e.type, client: c.label }, 'sse projector failed');
      return;
    }
    if (messages.length === 0) return;
    let text = '';
    for (const m of messages) text += formatMessage({ ...m, id: e.id });
    this.stats.sent += messages.length;
    this.write(c, text);
  }

  private write(c: Client, text: string): void {
    if (c.sink.writableLength > this.o.maxBufferedBytes) {
      this.stats.dropped++;
      this.deps.log.warn({ client: c.label, buffered: c.sink.writableLength }, 'sse client too slow, dropped');
      this.drop(c, true);
      return;
    }
    try {
      c.sink.write(text);
    } catch (err) {
      this.deps.log.warn({ err, client: c.label }, 'sse write failed');
      this.drop(c, true);
    }
  }

  private beat(): void {
    const now = this.deps.clock.monotonic();
    for (const c of [...this.clients]) {
      if (now - c.openedMono >= this.o.maxStreamMs) {
        this.drop(c, true);
        continue;
      }
      this.stats.heartbeats++;
      this.write(c, formatComment(`hb ${this.deps.clock.now()}`));
    }
  }

  private drop(c: Client, end: boolean): void {
    if (!this.clients.delete(c)) return;
    this.stats.clients = this.clients.size;
    if (end) {
      try {
        c.sink.end();
      } catch {
        // already closed by the peer
      }
    }
  }
}
