/**
 * The in-process event bus. Every domain change is published as a typed event named
 * `domain.noun.verb-ed` (`queue.caller.joined`, `span.alarm.raised`); SSE, webhooks and CDRs
 * subscribe to it. Modules add their events to EventMap by declaration merging:
 *
 *   declare module '../core/events.js' {
 *     interface EventMap { 'queue.caller.joined': { queueId: string; callId: string } }
 *   }
 *
 * A failing subscriber is logged and never breaks the publisher or other subscribers.
 */
import type { Clock } from './clock.js';
import { monotonicUlid } from './ids.js';
import type { Logger } from './log.js';

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface EventMap {
  'appliance.lifecycle.started': { version: string };
  'appliance.lifecycle.draining': { activeCalls: number; limitMs: number };
  'appliance.lifecycle.stopped': { reason: string };
}

export type EventType = keyof EventMap;

export interface AppEvent<T extends EventType = EventType> {
  /** Unique, time-ordered event id (also the webhook delivery idempotency key). */
  id: string;
  type: T;
  /** Wall-clock ms when published. */
  at: number;
  payload: EventMap[T];
}

export type AnyAppEvent = { [K in EventType]: AppEvent<K> }[EventType];

type Handler<T extends EventType> = (event: AppEvent<T>) => void;
type AnyHandler = (event: AnyAppEvent) => void;

export const EVENT_NAME = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*ed$/;

export class EventBus {
  private readonly byType = new Map<string, Set<Handler<never>>>();
  private readonly any = new Set<AnyHandler>();

  constructor(private readonly deps: { clock: Clock; log: Logger }) {}

  publish<T extends EventType>(type: T, payload: EventMap[T]): AppEvent<T> {
    const event: AppEvent<T> = { id: monotonicUlid(this.deps.clock), type, at: this.deps.clock.now(), payload };
    for (const h of this.byType.get(type) ?? []) this.deliver(() => (h as Handler<T>)(event), type);
    for (const h of this.any) this.deliver(() => h(event as unknown as AnyAppEvent), type);
    return event;
  }

  on<T extends EventType>(type: T, handler: Handler<T>): () => void {
    let set = this.byType.get(type);
    if (!set) {
      set = new Set();
      this.byType.set(type, set);
    }
    set.add(handler as Handler<never>);
    return () => set.delete(handler as Handler<never>);
  }

  /** Subscribe to every event (SSE fan-out, webhooks, audit). */
  onAny(handler: AnyHandler): () => void {
    this.any.add(handler);
    return () => this.any.delete(handler);
  }

  private deliver(fn: () => void, type: string): void {
    try {
      fn();
    } catch (err) {
      this.deps.log.error({ err, type }, 'event subscriber failed');
    }
  }
}
