/**
 * A scripted Channel for domain tests (IVR, ACD, dialer): the test presses digits, hangs up
 * from the far end, and inspects what the code under test played, answered and hung up.
 * Playback takes `playMs` per item on the injected clock, so ManualClock drives timing.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../core/clock.js';
import type {
  CallLevel,
  Channel,
  ChannelDirection,
  ChannelEvents,
  ChannelMedia,
  ChannelTech,
  Digit,
  HangupInfo,
  PartyNumber,
  PlayItem,
  PlayResult,
} from '../channel.js';
import { HangupCauses, type HangupCause } from '../q850.js';

let seq = 0;

export interface FakeChannelOptions {
  clock: Clock;
  id?: string;
  tech?: ChannelTech;
  direction?: ChannelDirection;
  caller?: string;
  called?: string;
  /** Time each played item takes, ms (default 1000). */
  playMs?: number;
}

export class FakeChannel implements Channel {
  readonly id: string;
  readonly tech: ChannelTech;
  readonly direction: ChannelDirection;
  readonly caller: PartyNumber;
  readonly called: PartyNumber;
  readonly media: ChannelMedia;
  /** Everything played, in order. */
  readonly played: PlayItem[] = [];
  readonly dtmfSent: string[] = [];
  hangupInfo: HangupInfo | null = null;

  private current: CallLevel = 'setup';
  private readonly emitter = new EventEmitter();
  private readonly abort = new AbortController();
  private readonly clock: Clock;
  private readonly playMs: number;
  private interruptPlay: ((d: Digit) => void) | null = null;

  constructor(opts: FakeChannelOptions) {
    this.clock = opts.clock;
    this.id = opts.id ?? `fake-${++seq}`;
    this.tech = opts.tech ?? 'sip';
    this.direction = opts.direction ?? 'inbound';
    this.caller = { number: opts.caller ?? '13800138000', presentation: 'allowed' };
    this.called = { number: opts.called ?? '95598', presentation: 'allowed' };
    this.playMs = opts.playMs ?? 1000;
    this.media = {
      play: (items, o) => this.play(items, o),
      sendDtmf: async (digits) => {
        this.assertAlive();
        this.dtmfSent.push(digits);
      },
    };
  }

  get level(): CallLevel {
    return this.current;
  }

  get ended(): AbortSignal {
    return this.abort.signal;
  }

  async alerting(): Promise<void> {
    this.setLevel('alerting');
  }

  async progress(): Promise<void> {
    this.setLevel('early-media');
  }

  async answer(): Promise<void> {
    this.setLevel('connected');
  }

  async hangup(cause: HangupCause | number = HangupCauses.NORMAL_CLEARING): Promise<void> {
    this.end(cause, 'local');
  }

  on<E extends keyof ChannelEvents>(event: E, fn: ChannelEvents[E]): this {
    this.emitter.on(event, fn);
    return this;
  }

  off<E extends keyof ChannelEvents>(event: E, fn: ChannelEvents[E]): this {
    this.emitter.off(event, fn);
    return this;
  }

  // ---- test controls ----

  /** The far end presses keys (each emitted as a dtmf event, interrupting barge-in playback). */
  press(digits: string): void {
    for (const d of digits) {
      const digit = d as Digit;
      if (this.interruptPlay) this.interruptPlay(digit);
      this.emitter.emit('dtmf', digit);
    }
  }

  /** The far end hangs up. */
  remoteHangup(cause: HangupCause | number = HangupCauses.NORMAL_CLEARING): void {
    this.end(cause, 'remote');
  }

  private async play(items: readonly PlayItem[], opts?: { bargeIn?: boolean; signal?: AbortSignal }): Promise<PlayResult> {
    if (this.current === 'terminated') return { outcome: 'hungup' };
    for (const item of items) {
      this.played.push(item);
      const result = await new Promise<PlayResult | null>((resolve) => {
        const timer = this.clock.setTimeout(() => finish(null), item.kind === 'silence' ? item.durationMs : this.playMs);
        const onEnd = (): void => finish({ outcome: 'hungup' });
        const onAbort = (): void => finish({ outcome: 'interrupted' });
        const finish = (r: PlayResult | null): void => {
          timer.cancel();
          this.interruptPlay = null;
          this.abort.signal.removeEventListener('abort', onEnd);
          opts?.signal?.removeEventListener('abort', onAbort);
          resolve(r);
        };
        this.abort.signal.addEventListener('abort', onEnd, { once: true });
        opts?.signal?.addEventListener('abort', onAbort, { once: true });
        if (opts?.bargeIn) this.interruptPlay = (digit) => finish({ outcome: 'interrupted', digit });
      });
      if (result) return result;
    }
    return { outcome: 'completed' };
  }

  private setLevel(level: CallLevel): void {
    this.assertAlive();
    this.current = level;
    this.emitter.emit('level', level);
  }

  private end(cause: number, by: 'local' | 'remote'): void {
    if (this.current === 'terminated') return;
    this.current = 'terminated';
    this.hangupInfo = { cause, by, at: this.clock.now() };
    this.emitter.emit('level', 'terminated');
    this.emitter.emit('hangup', this.hangupInfo);
    this.abort.abort();
  }

  private assertAlive(): void {
    if (this.current === 'terminated') throw new Error(`channel ${this.id} already terminated`);
  }
}
