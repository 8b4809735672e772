/**
 * The daemon's lifecycle (issue 2, "Daemon"): starting → ready → draining → stopped, as a
 * transition table with a guard (STYLE.md "State machines"), an `appliance.lifecycle.*` event on
 * every change, and the graceful drain that SIGTERM/SIGINT start:
 *
 *   1. every registered Drainable stops accepting new work (new calls are refused);
 *   2. wait until every Drainable reports active() == 0, or until drainLimitMs has passed on
 *      the injected Clock, whichever is first; then forceClose() whatever is still active;
 *   3. run the registered closers last-registered-first (HTTP server, webhooks, database);
 *   4. stopped.
 *
 * A second signal while draining skips the wait: force-close now and go on closing. The same
 * closers undo a boot that fails half way (abortStart), so nothing is left half started.
 * This module never exits the process; daemon/main.ts does, with the result of shutdown().
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { InvalidTransitionError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';

export const LifecycleStates = ['starting', 'ready', 'draining', 'stopped'] as const;
export type LifecycleState = (typeof LifecycleStates)[number];

/** Allowed transitions. starting → stopped is a failed boot; starting → draining a signal during boot. */
const next: Record<LifecycleState, readonly LifecycleState[]> = {
  starting: ['ready', 'draining', 'stopped'],
  ready: ['draining'],
  draining: ['stopped'],
  stopped: [],
};

/** A component that holds work which a graceful stop lets finish (calls, dialer campaigns, fax jobs). */
export interface Drainable {
  readonly name: string;
  /** Refuse new work from now on (new calls get a busy/unavailable answer). */
  stopAccepting(): void;
  /** Units of work still in progress (active calls). */
  active(): number;
  /** End whatever is still active, now. */
  forceClose(): void | Promise<void>;
}

/** Something to close at the end of a stop, e.g. the HTTP server; `forced` after a second signal. */
export type Closer = (forced: boolean) => void | Promise<void>;

export interface LifecycleDeps {
  clock: Clock;
  bus: EventBus;
  log: Logger;
  drainLimitMs: number;
  /** How often active() is polled while draining, ms. */
  pollMs?: number;
}

export interface ShutdownResult {
  reason: string;
  /** True when the drain limit or a second signal cut active work short. */
  forced: boolean;
  /** Active work still running when force-closed, per Drainable name. */
  forcedActive: Record<string, number>;
  /** Time spent waiting for active work, on the monotonic clock, ms. */
  drainedMs: number;
  /** Closers that threw, by name. */
  closeErrors: { name: string; error: unknown }[];
}

export class Lifecycle {
  private current: LifecycleState = 'starting';
  private readonly drainables = new Set<Drainable>();
  private readonly closers: { name: string; close: Closer }[] = [];
  private shutdownPromise: Promise<ShutdownResult> | null = null;
  private forceNow: (() => void) | null = null;
  private forceRequested = false;
  private signals = 0;

  constructor(private readonly deps: LifecycleDeps) {}

  get state(): LifecycleState {
    return this.current;
  }

  isReady(): boolean {
    return this.current === 'ready';
  }

  /** Register work that a stop waits for. Returns an unregister function. */
  register(d: Drainable): () => void {
    this.drainables.add(d);
    if (this.current === 'draining' || this.current === 'stopped') d.stopAccepting();
    return () => this.drainables.delete(d);
  }

  /** Register something to close when stopping; closers run last-registered-first. */
  onClose(name: string, close: Closer): void {
    this.closers.push({ name, close });
  }

  /** Sum of active() over all Drainables. */
  activeWork(): number {
    let n = 0;
    for (const d of this.drainables) n += d.active();
    return n;
  }

  markReady(version: string): void {
    this.transition('ready');
    this.deps.bus.publish('appliance.lifecycle.started', { version });
  }

  /**
   * A termination signal. The first starts shutdown(); a second one while stopping forces the
   * stop (active work is force-closed at once). Returns the shutdown promise.
   */
  signal(name: string): Promise<ShutdownResult> {
    this.signals += 1;
    if (this.signals === 1 || !this.shutdownPromise) return this.shutdown(`signal ${name}`);
    this.deps.log.warn({ signal: name }, 'second signal: forcing stop');
    this.force();
    return this.shutdownPromise;
  }

  /** Skip the rest of the drain wait: force-close active work now. */
  force(): void {
    this.forceRequested = true;
    this.forceNow?.();
  }

  /** Graceful stop (idempotent: later calls return the same promise). */
  shutdown(reason: string): Promise<ShutdownResult> {
    this.shutdownPromise ??= this.runShutdown(reason);
    return this.shutdownPromise;
  }

  /** A boot that failed part way: close what was opened, skip draining. */
  async abortStart(reason: string): Promise<ShutdownResult> {
    if (this.current !== 'starting') return this.shutdown(reason);
    this.shutdownPromise ??= (async () => {
      const closeErrors = await this.runClosers(true);
      this.transition('stopped');
      this.deps.bus.publish('appliance.lifecycle.stopped', { reason });
      return { reason, forced: false, forcedActive: {}, drainedMs: 0, closeErrors };
    })();
    return this.shutdownPromise;
  }

  private async runShutdown(reason: string): Promise<ShutdownResult> {
    const { clock, log, bus, drainLimitMs } = this.deps;
    this.transition('draining');
    for (const d of this.drainables) d.stopAccepting();
    const activeCalls = this.activeWork();
    bus.publish('appliance.lifecycle.draining', { activeCalls, limitMs: drainLimitMs });
    log.info({ reason, activeCalls, limitMs: drainLimitMs }, 'draining');

    const started = clock.monotonic();
    const forced = await this.waitIdle();
    const drainedMs = clock.monotonic() - started;
    const forcedActive: Record<string, number> = {};
    for (const d of this.drainables) {
      const left = d.active();
      if (left === 0) continue;
      forcedActive[d.name] = left;
      try {
        await d.forceClose();
      } catch (err) {
        log.error({ err, drainable: d.name }, 'force close failed');
      }
    }
    if (Object.keys(forcedActive).length > 0) log.warn({ forcedActive, drainedMs }, 'drain limit reached: force-closed');

    const closeErrors = await this.runClosers(forced || this.forceRequested);
    this.transition('stopped');
    bus.publish('appliance.lifecycle.stopped', { reason });
    log.info({ reason, drainedMs }, 'stopped');
    return { reason, forced: forced || Object.keys(forcedActive).length > 0, forcedActive, drainedMs, closeErrors };
  }

  /** Resolve true when cut short (limit or force), false when all work finished in time. */
  private waitIdle(): Promise<boolean> {
    const { clock, drainLimitMs } = this.deps;
    const pollMs = this.deps.pollMs ?? 100;
    if (this.activeWork() === 0) return Promise.resolve(false);
    if (this.forceRequested) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let poll: TimerHandle | null = null;
      let limit: TimerHandle | null = null;
      const finish = (cut: boolean): void => {
        poll?.cancel();
        limit?.cancel();
        this.forceNow = null;
        resolve(cut);
      };
      poll = clock.setInterval(() => {
        if (this.activeWork() === 0) finish(false);
      }, pollMs);
      limit = clock.setTimeout(() => finish(true), drainLimitMs);
      this.forceNow = () => finish(true);
    });
  }

  private async runClosers(forced: boolean): Promise<{ name: string; error: unknown }[]> {
    const errors: { name: string; error: unknown }[] = [];
    for (const { name, close } of [...this.closers].reverse()) {
      try {
        await close(forced);
      } catch (error) {
        this.deps.log.error({ err: error, closer: name }, 'close failed');
        errors.push({ name, error });
      }
    }
    this.closers.length = 0;
    return errors;
  }

  private transition(to: LifecycleState): void {
    if (!next[this.current].includes(to)) throw new InvalidTransitionError('appliance lifecycle', this.current, to);
    this.deps.log.debug({ from: this.current, to }, 'lifecycle transition');
    this.current = to;
  }
}
