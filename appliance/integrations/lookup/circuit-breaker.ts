/**
 * A circuit breaker for calls to an upstream system (Nygard, "Release It!", ch. 5 "Circuit
 * Breaker"; the states and names used by resilience4j): `closed` lets calls through and counts
 * consecutive failures; at `failureThreshold` it trips `open`, where calls fail at once without
 * touching the network; after `openMs` on the injected clock the next call is let through as a
 * trial (`half-open`): success closes the circuit, failure opens it again for another `openMs`.
 *
 * The state machine is a transition table with a guard (STYLE.md "State machines"); every
 * change is reported through `onTransition` so the adapter can log and publish it.
 */
import type { Clock } from '../../core/clock.js';
import { InvalidTransitionError } from '../../core/errors.js';

export const BreakerStates = ['closed', 'open', 'half-open'] as const;
export type BreakerState = (typeof BreakerStates)[number];

const NEXT: Readonly<Record<BreakerState, readonly BreakerState[]>> = {
  closed: ['open'],
  open: ['half-open'],
  'half-open': ['closed', 'open'],
};

export interface BreakerOptions {
  clock: Clock;
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long the circuit stays open before a trial call (default 30 s). */
  openMs?: number;
  onTransition?: (from: BreakerState, to: BreakerState) => void;
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private readonly threshold: number;
  private readonly openMs: number;

  constructor(private readonly opts: BreakerOptions) {
    this.threshold = opts.failureThreshold ?? 5;
    this.openMs = opts.openMs ?? 30_000;
  }

  get state(): BreakerState {
    return this.current;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /**
   * May a call go out now? In `open`, once `openMs` have passed, exactly one caller gets
   * `true` (the half-open trial); everyone else is refused until that trial reports back.
   */
  allow(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (this.opts.clock.monotonic() - this.openedAt < this.openMs) return false;
      this.go('half-open');
    }
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /** Milliseconds until an open circuit lets a trial through (0 when not open). */
  retryInMs(): number {
    return this.current === 'open' ? Math.max(0, this.openMs - (this.opts.clock.monotonic() - this.openedAt)) : 0;
  }

  success(): void {
    this.failures = 0;
    this.trialInFlight = false;
    if (this.current === 'half-open') this.go('closed');
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures++;
    if (this.current === 'half-open' || (this.current === 'closed' && this.failures >= this.threshold)) {
      this.openedAt = this.opts.clock.monotonic();
      this.go('open');
    }
  }

  private go(to: BreakerState): void {
    const from = this.current;
    if (!NEXT[from].includes(to)) throw new InvalidTransitionError('circuit breaker', from, to);
    this.current = to;
    this.opts.onTransition?.(from, to);
  }
}
