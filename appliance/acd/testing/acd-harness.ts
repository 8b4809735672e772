/**
 * Test rig for the ACD: ManualClock, a real EventBus, the in-memory store, and scripted ports
 * built on FakeChannel — agents' phones that the test answers, rejects or leaves ringing, a
 * customer dialer with scripted outcomes, and a bridger that records what it joined.
 */
import { FakeChannel } from '../../channel/testing/fake-channel.js';
import type { Channel } from '../../channel/channel.js';
import { EventBus, type AnyAppEvent } from '../../core/events.js';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { Acd, type AcdOptions } from '../acd.js';
import type { QueueConfig } from '../model.js';
import type { AgentDialer, CallBridger, CustomerDialer, DialOutcome, OfferedCall } from '../ports.js';
import type { AcdStorePort } from '../store-port.js';
import { MemoryAcdStore } from './memory-acd-store.js';

export interface RingingOffer {
  agentId: string;
  call: OfferedCall;
  answer(): FakeChannel;
  reject(outcome: 'busy' | 'failed' | 'no-answer'): void;
}

/** Agents' phones. `auto` answers every offer after `autoAnswerMs` (0 = at once). */
export class FakeAgentDialer implements AgentDialer {
  readonly ringing = new Map<string, RingingOffer>();
  readonly offers: { agentId: string; call: OfferedCall }[] = [];
  readonly agentChannels = new Map<string, FakeChannel>();
  auto: { afterMs: number } | null = null;

  constructor(private readonly clock: ManualClock) {}

  offer(agent: { id: string }, call: OfferedCall, opts: { signal: AbortSignal }): Promise<DialOutcome> {
    this.offers.push({ agentId: agent.id, call });
    return new Promise((resolve) => {
      const done = (r: DialOutcome): void => {
        this.ringing.delete(agent.id);
        opts.signal.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const onAbort = (): void => done({ outcome: 'no-answer' });
      opts.signal.addEventListener('abort', onAbort, { once: true });
      const ring: RingingOffer = {
        agentId: agent.id,
        call,
        answer: () => {
          const ch = new FakeChannel({ clock: this.clock, id: `agent-${agent.id}-${this.offers.length}`, direction: 'outbound' });
          void ch.answer();
          this.agentChannels.set(agent.id, ch);
          done({ outcome: 'answered', channel: ch });
          return ch;
        },
        reject: (outcome) => done({ outcome }),
      };
      this.ringing.set(agent.id, ring);
      if (this.auto) {
        if (this.auto.afterMs === 0) queueMicrotask(() => this.ringing.get(agent.id) === ring && ring.answer());
        else this.clock.setTimeout(() => this.ringing.get(agent.id) === ring && ring.answer(), this.auto.afterMs);
      }
    });
  }
}

export class FakeBridger implements CallBridger {
  readonly bridged: [Channel, Channel][] = [];
  fail = false;

  async bridge(caller: Channel, agent: Channel): Promise<void> {
    if (this.fail) throw new Error('no media');
    this.bridged.push([caller, agent]);
  }
}

/** Customer dialer for callbacks: each dial takes the next scripted outcome (default answered). */
export class FakeCustomerDialer implements CustomerDialer {
  readonly dials: { number: string; at: number; callbackId: string }[] = [];
  readonly script: ('answered' | 'no-answer' | 'busy' | 'failed')[] = [];
  readonly channels: FakeChannel[] = [];

  constructor(private readonly clock: ManualClock) {}

  async dial(number: string, opts: { callbackId: string }): Promise<DialOutcome> {
    this.dials.push({ number, at: this.clock.now(), callbackId: opts.callbackId });
    const outcome = this.script.shift() ?? 'answered';
    if (outcome !== 'answered') return { outcome };
    const ch = new FakeChannel({ clock: this.clock, id: `cust-${this.dials.length}`, direction: 'outbound', caller: number });
    await ch.answer();
    this.channels.push(ch);
    return { outcome: 'answered', channel: ch };
  }
}

export function queueConfig(id: string, o: Partial<QueueConfig> = {}): QueueConfig {
  return {
    id,
    name: id,
    strategy: 'least-recent',
    ringTimeoutMs: 15_000,
    wrapUpMs: 0,
    maxLength: 0,
    maxWaitMs: 0,
    joinWhenEmpty: 'never',
    leaveWhenEmpty: 'never',
    serviceLevelMs: 20_000,
    shortAbandonMs: 5_000,
    defaultAhtMs: 180_000,
    ...o,
  };
}

export interface Rig {
  clock: ManualClock;
  bus: EventBus;
  store: AcdStorePort;
  dialer: FakeAgentDialer;
  bridger: FakeBridger;
  customers: FakeCustomerDialer;
  acd: Acd;
  events: AnyAppEvent[];
  liveness: Map<string, boolean>;
  /** A new caller leg (already answered by the IVR). */
  caller(id: string, number?: string): FakeChannel;
  /** Let promise continuations run. */
  settle(): Promise<void>;
  types(prefix?: string): string[];
}

export function makeRig(opts: AcdOptions = {}, store: AcdStorePort = new MemoryAcdStore()): Rig {
  const clock = new ManualClock();
  const log = silentLogger();
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const dialer = new FakeAgentDialer(clock);
  const bridger = new FakeBridger();
  const customers = new FakeCustomerDialer(clock);
  const liveness = new Map<string, boolean>();
  let r = 0.5;
  const acd = new Acd(
    {
      clock,
      bus,
      log,
      store,
      dialer,
      bridger,
      customerDialer: customers,
      liveness: { isLive: (id) => liveness.get(id) ?? true },
      random: () => (r = (r * 9301 + 49297) % 233280 / 233280),
    },
    opts,
  );
  return {
    clock,
    bus,
    store,
    dialer,
    bridger,
    customers,
    acd,
    events,
    liveness,
    caller: (id, number) => {
      const ch = new FakeChannel({ clock, id, caller: number ?? `1380000${id}` });
      void ch.answer();
      return ch;
    },
    settle: async () => {
      for (let i = 0; i < 5; i++) await new Promise<void>((res) => setImmediate(res));
    },
    types: (prefix = '') => events.map((e) => e.type).filter((t) => t.startsWith(prefix)),
  };
}
