/**
 * What the four RFC 3261 §17 machines share: a state guarded by a transition table (SIP.js
 * `stateTransition`, STYLE.md §2: an edge not in the table throws InvalidTransitionError), named
 * timers on the injected Clock (RFC letters), sends that report transport failures (§17.1.4,
 * §17.2.4) instead of throwing, and a terminated hook the transaction layer uses to forget the
 * transaction (S7: nothing outlives Terminated).
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { InvalidTransitionError, TransactionError } from '../../core/errors.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import type { Destination, Transport } from '../transport/index.js';
import type { TimerValues } from './timers.js';

export type TransitionTable<S extends string> = { readonly [K in S]: readonly S[] };

export interface TransactionDeps {
  clock: Clock;
  timers: TimerValues;
  transport: Transport;
  destination: Destination;
}

export type TransitionListener<S extends string> = (from: S, to: S) => void;

export abstract class Transaction<S extends string> {
  readonly key: string;
  readonly request: SipRequest;
  protected readonly deps: TransactionDeps;
  private current: S;
  private readonly running = new Map<string, TimerHandle>();
  private readonly listeners: Array<TransitionListener<S>> = [];
  /** Set by the transaction layer: forget this transaction once Terminated. */
  onTerminated: (() => void) | null = null;

  protected abstract readonly table: TransitionTable<S>;
  abstract readonly kind: 'invite-client' | 'non-invite-client' | 'invite-server' | 'non-invite-server';

  constructor(key: string, request: SipRequest, initial: S, deps: TransactionDeps) {
    this.key = key;
    this.request = request;
    this.current = initial;
    this.deps = deps;
  }

  get state(): S {
    return this.current;
  }

  get transport(): Transport {
    return this.deps.transport;
  }

  get destination(): Destination {
    return this.deps.destination;
  }

  /** Names of the timers now running (for tests and diagnostics). */
  get runningTimers(): string[] {
    return [...this.running.keys()].sort();
  }

  onTransition(fn: TransitionListener<S>): void {
    this.listeners.push(fn);
  }

  /** Guarded state change; entering 'terminated' stops every timer and tells the layer. */
  protected transition(to: S): void {
    const from = this.current;
    if (!this.table[from].includes(to)) throw new InvalidTransitionError(`SIP ${this.kind} transaction`, from, to);
    this.current = to;
    for (const fn of this.listeners) fn(from, to);
    if (to === ('terminated' as S)) {
      for (const t of this.running.values()) t.cancel();
      this.running.clear();
      this.onTerminated?.();
    }
  }

  /** Stop every timer without a transition (layer shutdown). */
  dispose(): void {
    for (const t of this.running.values()) t.cancel();
    this.running.clear();
  }

  /** Start (or restart) a named timer; a zero duration fires at once (reliable transports). */
  protected startTimer(name: string, ms: number, fire: () => void): void {
    this.stopTimer(name);
    if (ms <= 0) {
      fire();
      return;
    }
    this.running.set(
      name,
      this.deps.clock.setTimeout(() => {
        this.running.delete(name);
        fire();
      }, ms),
    );
  }

  protected stopTimer(name: string): void {
    this.running.get(name)?.cancel();
    this.running.delete(name);
  }

  /** Hand octets to the transport; a failure becomes onTransportError (never an exception). */
  protected send(bytes: Buffer): void {
    this.deps.transport.send(bytes, this.deps.destination).catch((err: unknown) => {
      if (this.current === ('terminated' as S)) return;
      this.onTransportError(new TransactionError('transport', `transport error sending ${this.request.method}`, { cause: err }));
    });
  }

  protected abstract onTransportError(err: TransactionError): void;
}

/** Receives what a client transaction learns (SIP.js ClientTransactionUser). */
export interface ClientTransactionUser {
  /** Provisional and final responses the machine passes up (§17.1.1.2, §17.1.2.2). */
  onResponse(res: SipResponse): void;
  /** Timer B/F/C fired, or the transport failed; the transaction is Terminated. */
  onError(err: TransactionError): void;
}
