/**
 * Webhooks out (issue 2): integrators subscribe an http(s) endpoint to event types; every
 * matching bus event becomes a signed POST, retried with exponential back-off, logged per
 * delivery, dead-lettered after `webhooks.maxAttempts`, and queued in SQLite so neither a
 * restart nor a kill -9 loses it.
 *
 * Durability: the service subscribes to EventBus.onAny when created and, inside publish(),
 * inserts one `pending` row per matching active subscription in one SQLite transaction
 * (synchronous=FULL). So once publish() returns, the delivery is on disk. Sending is done by
 * the Dispatcher between start() and stop(); events published while it is stopped stay queued.
 * If the insert itself fails (disk full), the bus logs the error: the event is not queued.
 *
 * Event-type patterns are described in event-filter.ts, signing in signature.ts, the delivery
 * state machine in delivery-state.ts and the retry rule in dispatcher.ts.
 */
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../../core/errors.js';
import type { AnyAppEvent, EventBus } from '../../core/events.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/log.js';
import { zodIssues } from '../../core/config.js';
import type { Store } from '../../store/database.js';
import { Dispatcher, type FetchFn, type WebhooksConfig } from './dispatcher.js';
import { eventPatternProblem, isExcludedEvent, subscriptionWants } from './event-filter.js';
import {
  CreateSubscriptionInput,
  DeliveryListQuery,
  UpdateSubscriptionInput,
  type Delivery,
  type DeliveryDetail,
  type Subscription,
  type SubscriptionWithSecret,
} from './webhook-schemas.js';
import { WebhookStore, type DeliveryRow, type NewDeliveryRow, type SubscriptionRow } from './webhook-store.js';

export interface WebhookServiceDeps {
  store: Pick<Store, 'sqlite' | 'db'>;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  config: WebhooksConfig;
  /** HTTP client; defaults to the global fetch (undici). */
  fetch?: FetchFn;
  /**
   * Event types that exist, for validating exact names in subscriptions. Without it any
   * well-formed name is accepted (EventMap is a compile-time type with no runtime list).
   */
  knownEventTypes?: readonly string[];
  userAgent?: string;
}

export interface WebhookService {
  createSubscription(input: CreateSubscriptionInput): SubscriptionWithSecret;
  listSubscriptions(): Subscription[];
  getSubscription(id: string): Subscription;
  /** Returns `secret` only when `rotateSecret` was asked for. */
  updateSubscription(id: string, input: UpdateSubscriptionInput): Subscription & { secret?: string };
  /** Removes the subscription and its delivery log, queued deliveries included. */
  deleteSubscription(id: string): void;
  listDeliveries(subscriptionId: string, query?: DeliveryListQuery): Delivery[];
  getDelivery(id: string): DeliveryDetail;
  /** Dead letters of every subscription, newest first. */
  listDeadLetters(query?: Omit<DeliveryListQuery, 'status'>): Delivery[];
  /** Queue a dead delivery again, due now with a fresh attempt budget (ConflictError if not dead). */
  redeliver(deliveryId: string): Delivery;
  /** Queue deliveries for one event (what the bus subscription calls); returns rows inserted. */
  enqueue(event: AnyAppEvent): number;
  /** Start sending (requeues rows a crashed process left `delivering`). */
  start(): void;
  /** Stop sending and stop queueing new events; resolves when in-flight attempts are given back. */
  stop(): Promise<void>;
  /** Resolves when no attempt is in flight (tests and drain). */
  settled(): Promise<void>;
  readonly running: boolean;
}

/** Prefix of generated secrets, so they are recognisable in a secret scanner. */
export const SECRET_PREFIX = 'whsec_';

export function createWebhookService(deps: WebhookServiceDeps): WebhookService {
  const log = deps.log.child({ mod: 'webhooks' });
  const store = new WebhookStore(deps.store, deps.clock);
  const known = deps.knownEventTypes ? new Set(deps.knownEventTypes) : null;
  const dispatcher = new Dispatcher({
    store,
    bus: deps.bus,
    clock: deps.clock,
    log,
    config: deps.config,
    fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
    ...(deps.userAgent !== undefined ? { userAgent: deps.userAgent } : {}),
  });

  const enqueue = (event: AnyAppEvent): number => {
    if (isExcludedEvent(event.type)) return 0;
    const now = deps.clock.now();
    const subs = store.activeSubscriptions().filter((s) => subscriptionWants(activePatterns(s), event.type));
    if (subs.length === 0) return 0;
    const body = JSON.stringify({ id: event.id, type: event.type, at: event.at, payload: event.payload });
    const rows: NewDeliveryRow[] = subs.map((s) => ({
      id: newId('whd', deps.clock),
      subscription_id: s.id,
      event_id: event.id,
      event_type: event.type,
      payload: body,
      status: 'pending',
      next_attempt_at: now,
      created_at: now,
    }));
    const inserted = store.enqueue(rows);
    dispatcher.kick();
    return inserted;
  };

  let unsubscribe: (() => void) | null = null;
  const listen = (): void => {
    unsubscribe ??= deps.bus.onAny((event) => {
      enqueue(event);
    });
  };
  listen();

  const mustGet = (id: string): SubscriptionRow => {
    const row = store.getSubscription(id);
    if (!row) throw new NotFoundError('webhook subscription', id);
    return row;
  };

  const checkPatterns = (patterns: readonly string[], field: string): void => {
    const issues: FieldIssue[] = [];
    patterns.forEach((p, i) => {
      const problem = eventPatternProblem(p, known);
      if (problem) issues.push({ path: `${field}.${i}`, message: problem });
    });
    if (issues.length > 0) throw new ValidationError('invalid event types', issues);
  };

  return {
    createSubscription(input) {
      const data = parse(CreateSubscriptionInput, input);
      checkPatterns(data.eventTypes, 'eventTypes');
      const now = deps.clock.now();
      const row: SubscriptionRow = {
        id: newId('whs', deps.clock),
        url: data.url,
        event_types: JSON.stringify(data.eventTypes),
        secret: newSecret(),
        description: data.description,
        active: data.active ? 1 : 0,
        created_at: now,
        updated_at: now,
      };
      store.insertSubscription(row);
      log.info({ subscriptionId: row.id, url: row.url, eventTypes: data.eventTypes }, 'webhook subscription created');
      return { ...toSubscription(row), secret: row.secret };
    },

    listSubscriptions() {
      return store.listSubscriptions().map(toSubscription);
    },

    getSubscription(id) {
      return toSubscription(mustGet(id));
    },

    updateSubscription(id, input) {
      const data = parse(UpdateSubscriptionInput, input);
      mustGet(id);
      if (data.eventTypes) checkPatterns(data.eventTypes, 'eventTypes');
      const secret = data.rotateSecret ? newSecret() : undefined;
      store.updateSubscription(id, {
        updated_at: deps.clock.now(),
        ...(data.url !== undefined ? { url: data.url } : {}),
        ...(data.eventTypes !== undefined ? { event_types: JSON.stringify(data.eventTypes) } : {}),
        ...(data.description !== undefined ? { description: data.description } : {}),
        ...(data.active !== undefined ? { active: data.active ? 1 : 0 } : {}),
        ...(secret !== undefined ? { secret } : {}),
      });
      log.info({ subscriptionId: id, changed: Object.keys(data) }, 'webhook subscription updated');
      // A re-activated subscription may have queued deliveries already due.
      dispatcher.kick();
      const updated = toSubscription(mustGet(id));
      return secret !== undefined ? { ...updated, secret } : updated;
    },

    deleteSubscription(id) {
      if (!store.deleteSubscription(id)) throw new NotFoundError('webhook subscription', id);
      log.info({ subscriptionId: id }, 'webhook subscription deleted');
    },

    listDeliveries(subscriptionId, query = {}) {
      mustGet(subscriptionId);
      const q = parse(DeliveryListQuery, query);
      return store.listDeliveries({ subscriptionId, ...definedOnly(q) }).map(toDelivery);
    },

    getDelivery(id) {
      const row = store.getDelivery(id);
      if (!row) throw new NotFoundError('webhook delivery', id);
      return { ...toDelivery(row), body: row.payload };
    },

    listDeadLetters(query = {}) {
      const q = parse(DeliveryListQuery, query);
      return store.listDeliveries({ ...definedOnly(q), status: 'dead' }).map(toDelivery);
    },

    redeliver(deliveryId) {
      const row = store.getDelivery(deliveryId);
      if (!row) throw new NotFoundError('webhook delivery', deliveryId);
      // Only dead → pending is a redelivery (delivery-state.ts); the store re-checks the status
      // in its UPDATE, so a concurrent redeliver of the same row fails here instead of doubling.
      if (row.status !== 'dead' || !store.redeliver(deliveryId, deps.clock.now())) {
        throw new ConflictError(`webhook delivery ${deliveryId} is not dead-lettered; only dead deliveries can be redelivered`);
      }
      log.info({ deliveryId }, 'webhook delivery requeued');
      dispatcher.kick();
      return toDelivery(store.getDelivery(deliveryId) ?? { ...row, status: 'pending' });
    },

    enqueue,

    start() {
      listen();
      dispatcher.start();
    },

    async stop() {
      unsubscribe?.();
      unsubscribe = null;
      await dispatcher.stop();
    },

    settled() {
      return dispatcher.settled();
    },

    get running() {
      return dispatcher.isRunning;
    },
  };
}

function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError('invalid webhook input', zodIssues(result.error));
  return result.data;
}

function definedOnly<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

function parsePatterns(row: SubscriptionRow): string[] {
  const value: unknown = JSON.parse(row.event_types);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The patterns of a cached (frozen, shared until the next write) active row, parsed once per row. */
const patternsOfActive = new WeakMap<SubscriptionRow, readonly string[]>();
function activePatterns(row: SubscriptionRow): readonly string[] {
  let p = patternsOfActive.get(row);
  if (!p) patternsOfActive.set(row, (p = Object.freeze(parsePatterns(row))));
  return p;
}

function toSubscription(row: SubscriptionRow): Subscription {
  return {
    id: row.id,
    url: row.url,
    eventTypes: parsePatterns(row),
    description: row.description,
    active: row.active === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}
