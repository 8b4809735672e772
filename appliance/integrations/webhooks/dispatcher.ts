/**
 * The webhook dispatcher: sends due deliveries from the durable queue (webhook-store.ts) with
 * bounded concurrency, and records each outcome.
 *
 * One attempt is a POST of the stored JSON body with the X-Hotline-* headers (signature.ts).
 *   - 2xx → `delivered`. Redirects are not followed (a 3xx is a failed attempt).
 *   - any other status, no answer within `timeoutMs`, or a network error → the attempt counts:
 *     attempts+1, and next_attempt_at = now + min(maxBackoffMs, backoffMs·2^(attempts−1)),
 *     where `now` is when the attempt ended; once attempts reaches maxAttempts → `dead`.
 * An attempt goes to the subscription's URL and is signed with its secret as they stand when
 * the attempt starts, so a changed URL or a rotated secret applies to queued retries too.
 * Deliveries are independent: with concurrency > 1 or after retries, a receiver may see events
 * out of order (event ids are time-ordered ULIDs and bodies carry `at`).
 *
 * Timers go only through the injected Clock: the retry wake-up and the per-attempt timeout.
 * start() first puts rows left `delivering` by a dead process back to `pending` (a receiver
 * may then get that event twice: delivery is at-least-once, deduplicate on X-Hotline-Delivery).
 * stop() aborts requests in flight and gives their rows back as `pending` without counting
 * an attempt.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Config } from '../../core/config.js';
import type { EventBus } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import { retryDelayMs } from './delivery-state.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signatureHeader } from './signature.js';
import type { ClaimedDelivery, WebhookStore } from './webhook-store.js';
import './webhook-events.js';

export type WebhooksConfig = Config['webhooks'];
export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

export interface DispatcherDeps {
  store: WebhookStore;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  config: WebhooksConfig;
  fetch: FetchFn;
  userAgent?: string;
}

/** Longest response-body excerpt kept in last_error. */
const ERROR_SNIPPET = 200;

type Outcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

interface InFlight {
  abort: AbortController;
  done: Promise<void>;
}

const STOPPING = Symbol('dispatcher stopping');

export class Dispatcher {
  private running = false;
  private pumpQueued = false;
  private wake: { at: number; handle: TimerHandle } | null = null;
  private readonly inFlight = new Map<string, InFlight>();

  constructor(private readonly deps: DispatcherDeps) {}

  get isRunning(): boolean {
    return this.running;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const recovered = this.deps.store.recoverInterrupted();
    if (recovered > 0) this.deps.log.warn({ recovered }, 'webhook deliveries interrupted by a restart requeued');
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.cancelWake();
    const pending = [...this.inFlight.values()];
    for (const f of pending) f.abort.abort(STOPPING);
    await Promise.all(pending.map((f) => f.done));
  }

  /** Look for due work soon (after the current synchronous code, e.g. the publish, returns). */
  kick(): void {
    if (!this.running || this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Resolves once no attempt is in flight and no look-up is queued (tests, drain). */
  async settled(): Promise<void> {
    for (;;) {
      await new Promise<void>((r) => queueMicrotask(r));
      if (this.inFlight.size === 0 && !this.pumpQueued) return;
      await Promise.all([...this.inFlight.values()].map((f) => f.done));
    }
  }

  private pump(): void {
    if (!this.running) return;
    const free = this.deps.config.concurrency - this.inFlight.size;
    let claimed: ClaimedDelivery[] = [];
    try {
      claimed = this.deps.store.claimDue(this.deps.clock.now(), free);
    } catch (err) {
      this.deps.log.error({ err }, 'webhook queue read failed');
    }
    for (const d of claimed) this.launch(d);
    this.armWake();
  }

  /** Keep one Clock timer for the earliest pending delivery, unless every slot is busy. */
  private armWake(): void {
    if (!this.running || this.inFlight.size >= this.deps.config.concurrency) {
      this.cancelWake();
      return;
    }
    let due: number | null = null;
    try {
      due = this.deps.store.nextDueAt();
    } catch (err) {
      this.deps.log.error({ err }, 'webhook queue read failed');
    }
    if (due === null) {
      this.cancelWake();
      return;
    }
    if (this.wake?.at === due) return;
    this.cancelWake();
    const handle = this.deps.clock.setTimeout(
      () => {
        this.wake = null;
        this.pump();
      },
      Math.max(0, due - this.deps.clock.now()),
    );
    this.wake = { at: due, handle };
  }

  private cancelWake(): void {
    this.wake?.handle.cancel();
    this.wake = null;
  }

  private launch(d: ClaimedDelivery): void {
    const abort = new AbortController();
    const done = this.attempt(d, abort)
      .catch((err: unknown) => this.deps.log.error({ err, deliveryId: d.id }, 'webhook delivery bookkeeping failed'))
      .finally(() => {
        this.inFlight.delete(d.id);
        this.kick();
      });
    this.inFlight.set(d.id, { abort, done });
  }

  private async attempt(d: ClaimedDelivery, abort: AbortController): Promise<void> {
    const { clock, config } = this.deps;
    const outcome = await this.send(d, abort);
    if (outcome === null) {
      this.deps.store.release(d.id);
      return;
    }
    const now = clock.now();
    const log = this.deps.log.child({ deliveryId: d.id, subscriptionId: d.subscription_id, eventId: d.event_id });
    if (outcome.ok) {
      this.deps.store.markDelivered(d.id, now, outcome.status);
      log.debug({ status: outcome.status }, 'webhook delivered');
      return;
    }
    const attempts = d.attempts + 1;
    const base = {
      deliveryId: d.id,
      subscriptionId: d.subscription_id,
      eventId: d.event_id,
      eventType: d.event_type,
      attempts,
    };
    if (attempts >= config.maxAttempts) {
      this.deps.store.markDead(d.id, attempts, outcome.status, outcome.error);
      log.warn({ attempts, status: outcome.status, error: outcome.error }, 'webhook delivery dead-lettered');
      this.deps.bus.publish('webhook.delivery.failed', {
        ...base,
        status: outcome.status,
        error: outcome.error,
        nextAttemptAt: null,
      });
      this.deps.bus.publish('webhook.delivery.dead-lettered', base);
      return;
    }
    const nextAttemptAt = now + retryDelayMs(attempts, config.backoffMs, config.maxBackoffMs);
    this.deps.store.markRetry(d.id, attempts, nextAttemptAt, outcome.status, outcome.error);
    log.info({ attempts, status: outcome.status, error: outcome.error, nextAttemptAt }, 'webhook delivery failed');
    this.deps.bus.publish('webhook.delivery.failed', { ...base, status: outcome.status, error: outcome.error, nextAttemptAt });
  }

  /** One HTTP attempt; null when it was cut short by stop(). */
  private async send(d: ClaimedDelivery, abort: AbortController): Promise<Outcome | null> {
    const { clock, config } = this.deps;
    const timestamp = Math.floor(clock.now() / 1000);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': this.deps.userAgent ?? 'hotline-webhooks/1',
      [EVENT_HEADER]: d.event_type,
      [DELIVERY_HEADER]: d.id,
      [TIMESTAMP_HEADER]: String(timestamp),
      [SIGNATURE_HEADER]: signatureHeader(d.secret, timestamp, d.payload),
    };
    let timedOut = false;
    const timer = clock.setTimeout(() => {
      timedOut = true;
      abort.abort(new Error(`no answer within ${config.timeoutMs} ms`));
    }, config.timeoutMs);
    try {
      const res = await this.deps.fetch(d.url, {
        method: 'POST',
        headers,
        body: d.payload,
        signal: abort.signal,
        redirect: 'manual',
      });
      if (res.status >= 200 && res.status < 300) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: true, status: res.status };
      }
      const text = await res.text().catch(() => '');
      const snippet = text.trim().slice(0, ERROR_SNIPPET);
      return { ok: false, status: res.status, error: `HTTP ${res.status}${snippet ? `: ${snippet}` : ''}` };
    } catch (err) {
      if (abort.signal.reason === STOPPING) return null;
      if (timedOut) return { ok: false, status: null, error: `timeout: no answer within ${config.timeoutMs} ms` };
      return { ok: false, status: null, error: describeNetworkError(err) };
    } finally {
      timer.cancel();
    }
  }
}

/** undici reports `fetch failed` with the real reason (ECONNREFUSED, ENOTFOUND…) in `cause`. */
function describeNetworkError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return `network error: ${message}${detail ? ` (${detail})` : ''}`.slice(0, ERROR_SNIPPET + 50);
}
