/**
 * The flow simulator behind the editor's "try it" box (issue 7 "Editor": "a simulator (type
 * digits, see the path and the variables) — no need to dial in to test"). It runs the real
 * IvrRunner on a simulated channel and a virtual clock, so a flow behaves exactly as on a call:
 *
 *  - the caller's script is the typed keys: `0-9 * #` are pressed one at a time, each when the
 *    IVR has been silent for `thinkMs` (after a prompt ends, or after the previous key — so a
 *    10-digit 户号 is typed into one collect); `w` presses nothing there, letting a menu or
 *    collect time out; spaces are ignored;
 *  - prompts "play" for `playMs` each on the virtual clock; TTS is not synthesized — its text
 *    goes to the transcript;
 *  - lookups and outage checks go to the ports given (the upstream simulators in the demo):
 *    while one is in flight the virtual clock stands still, so real HTTP latency never turns
 *    into a false timeout (a back end slower than `realWaitMs` is let time out on the clock);
 *  - queue, transfer, voicemail, fax and survey are simulated (they answer as if they worked);
 *    only read-only ports (lookups, outages, calendar, sub-flows) are the real ones given, and
 *    a lookup operation that writes (`submit-…`, `create-…`: a meter reading) is answered
 *    "accepted" without reaching the upstream system;
 *  - events stay inside the simulation (no traffic counts, no webhooks), and the run ends at
 *    the flow's exit, the script's end (the caller then stays silent until the flow gives up),
 *    or `maxMs` of virtual time, when the simulated caller hangs up.
 */
import { EventEmitter } from 'node:events';
import type { CallLevel, Channel, ChannelEvents, ChannelMedia, Digit, HangupInfo, PartyNumber, PlayItem, PlayResult } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import type { AppEvent, EventMap, EventType } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import type { Flow } from './flow-schema.js';
import type { LookupAdapter, LookupResult, OutagePort, TtsPort } from './ports.js';
import { IvrRunner, type IvrDeps, type IvrResult } from './runner.js';
import type { Lang } from './say/index.js';

export interface TranscriptEntry {
  atMs: number;
  /** prompt / tts / file / tone / silence / key / hangup */
  kind: string;
  /** Prompt name, TTS text, file path, the key pressed… */
  value: string;
  /** The prompt's text when the catalogue knows it. */
  text?: string;
}

export interface SimStep {
  seq: number;
  atMs: number;
  flowId: string;
  nodeId: string;
  verb: string;
}

export interface SimulationResult {
  result: IvrResult;
  steps: SimStep[];
  transcript: TranscriptEntry[];
  /** Keys of the script never pressed (the flow ended first). */
  unusedKeys: string;
  virtualMs: number;
}

export interface SimulateOptions {
  flow: Flow;
  /** The caller's script: keys, `w` for "wait", spaces ignored. */
  keys: string;
  deps?: IvrDeps;
  caller?: string;
  called?: string;
  /** Wall-clock start of the virtual clock (time-of-day branches); default now of the caller's choice. */
  startAt: number;
  playMs?: number;
  thinkMs?: number;
  maxMs?: number;
  realWaitMs?: number;
  /** Prompt name → text, for the transcript. */
  promptText?: (name: string, lang: Lang) => string | undefined;
}

export const SCRIPT = /^[0-9*#wW ]{0,200}$/;

class SimChannel implements Channel {
  readonly id = 'sim-channel';
  readonly tech = 'internal' as const;
  readonly direction = 'inbound' as const;
  readonly caller: PartyNumber;
  readonly called: PartyNumber;
  readonly media: ChannelMedia;
  readonly transcript: TranscriptEntry[] = [];
  private current: CallLevel = 'setup';
  private readonly emitter = new EventEmitter();
  private readonly abort = new AbortController();
  private think: { cancel(): void } | null = null;
  private playing = 0;

  constructor(
    private readonly clock: ManualClock,
    private readonly script: string[],
    private readonly opts: { caller: string; called: string; playMs: number; thinkMs: number; promptText?: SimulateOptions['promptText'] },
  ) {
    this.caller = { number: opts.caller, presentation: 'allowed' };
    this.called = { number: opts.called, presentation: 'allowed' };
    this.media = { play: (items, o) => this.play(items, o), sendDtmf: async () => undefined };
  }

  get level(): CallLevel {
    return this.current;
  }

  get ended(): AbortSignal {
    return this.abort.signal;
  }

  get unusedKeys(): string {
    return this.script.join('');
  }

  async alerting(): Promise<void> {
    this.current = 'alerting';
  }

  async progress(): Promise<void> {
    this.current = 'early-media';
  }

  async answer(): Promise<void> {
    this.current = 'connected';
    this.armThink();
  }

  async hangup(cause: number): Promise<void> {
    this.end(cause, 'local');
  }

  /** The simulated caller gives up. */
  remoteHangup(): void {
    this.end(HangupCauses.NORMAL_CLEARING, 'remote');
  }

  on<E extends keyof ChannelEvents>(event: E, fn: ChannelEvents[E]): this {
    this.emitter.on(event, fn);
    return this;
  }

  off<E extends keyof ChannelEvents>(event: E, fn: ChannelEvents[E]): this {
    this.emitter.off(event, fn);
    return this;
  }

  private note(kind: string, value: string, text?: string): void {
    this.transcript.push({ atMs: this.clock.monotonic(), kind, value, ...(text !== undefined && { text }) });
  }

  private async play(items: readonly PlayItem[], opts?: { signal?: AbortSignal }): Promise<PlayResult> {
    if (this.current === 'terminated') return { outcome: 'hungup' };
    this.think?.cancel();
    this.playing++;
    try {
      for (const item of items) {
        if (item.kind === 'prompt' && item.name.startsWith('tts:')) this.note('tts', item.name.slice(4));
        else if (item.kind === 'prompt') this.note('prompt', item.name, this.opts.promptText?.(item.name, (item.lang as Lang) ?? 'zh'));
        else if (item.kind === 'file') this.note('file', item.path);
        else if (item.kind === 'tone') this.note('tone', item.tone);
        else this.note('silence', String(item.durationMs));
        const ms = item.kind === 'silence' ? item.durationMs : this.opts.playMs;
        const r = await new Promise<PlayResult | null>((resolve) => {
          const timer = this.clock.setTimeout(() => finish(null), ms);
          const onEnd = (): void => finish({ outcome: 'hungup' });
          const onStop = (): void => finish({ outcome: 'interrupted' });
          const finish = (v: PlayResult | null): void => {
            timer.cancel();
            this.abort.signal.removeEventListener('abort', onEnd);
            opts?.signal?.removeEventListener('abort', onStop);
            resolve(v);
          };
          this.abort.signal.addEventListener('abort', onEnd, { once: true });
          opts?.signal?.addEventListener('abort', onStop, { once: true });
        });
        if (r) return r;
      }
      return { outcome: 'completed' };
    } finally {
      this.playing--;
      this.armThink();
    }
  }

  /** After `thinkMs` of silence, press the next key of the script. */
  private armThink(): void {
    this.think?.cancel();
    if (this.current === 'terminated' || this.script.length === 0) return;
    this.think = this.clock.setTimeout(() => {
      this.think = null;
      if (this.playing > 0 || this.current === 'terminated') return;
      const key = this.script.shift()!;
      if (key === 'w') {
        this.note('key', 'wait');
        return;
      }
      this.note('key', key);
      this.emitter.emit('dtmf', key as Digit);
      this.armThink();
    }, this.opts.thinkMs);
  }

  private end(cause: number, by: 'local' | 'remote'): void {
    if (this.current === 'terminated') return;
    this.current = 'terminated';
    this.think?.cancel();
    const info: HangupInfo = { cause, by, at: this.clock.now() };
    this.note('hangup', by);
    this.emitter.emit('hangup', info);
    this.abort.abort();
  }
}

/**
 * What a simulated call must not really do — join a queue, transfer, record a message into a
 * work order, send a fax, store survey scores — answers as if it worked.
 */
const SIMULATED_EXITS: Pick<IvrDeps, 'enqueuer' | 'transferer' | 'voicemail' | 'fax' | 'survey'> = {
  enqueuer: { enqueue: async () => ({ outcome: 'queued' }) },
  transferer: { transfer: async () => ({ outcome: 'transferred' }) },
  voicemail: {
    record: async () => ({ recording: 'simulated', durationMs: 5000 }),
    submit: async () => ({ messageId: 'simulated', orderId: 'simulated' }),
  },
  fax: { send: async () => ({ outcome: 'sent' }) },
  survey: { record: async () => undefined },
};

/** Lookup operations that change the upstream system (a meter reading): never sent from a simulation. */
const WRITE_OP = /^(submit|create|update|delete|post|register)-/;

/** A write answered as accepted: every field the flow assigns reads "simulated". */
function simulatedWrite(): LookupResult {
  return { status: 'found', data: new Proxy({}, { get: (_t, key) => (typeof key === 'string' ? 'simulated' : undefined) }) };
}

/** Records what the flow would say instead of synthesizing it. */
const transcriptTts: TtsPort = {
  render: async (text, lang) => ({ kind: 'prompt', name: `tts:${text}`, lang }),
};

export async function simulateFlow(o: SimulateOptions): Promise<SimulationResult> {
  if (!SCRIPT.test(o.keys)) throw new Error('keys: 0-9 * # w and spaces only, at most 200');
  const clock = new ManualClock(o.startAt);
  const script = [...o.keys.replace(/\s+/g, '').toLowerCase()];
  const channel = new SimChannel(clock, script, {
    caller: o.caller ?? '13800138000',
    called: o.called ?? '95598',
    playMs: o.playMs ?? 1000,
    thinkMs: o.thinkMs ?? 300,
    ...(o.promptText && { promptText: o.promptText }),
  });
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p);
    void p.then(
      () => inflight.delete(p),
      () => inflight.delete(p),
    );
    return p;
  };
  const lookups: Record<string, LookupAdapter> = {};
  for (const [name, a] of Object.entries(o.deps?.lookups ?? {}))
    lookups[name] = { lookup: (op, params, signal) => (WRITE_OP.test(op) ? Promise.resolve(simulatedWrite()) : track(a.lookup(op, params, signal))) };
  const outagePort = o.deps?.outage;
  const outage: OutagePort | undefined = outagePort && {
    locate: (caller, signal) => track(outagePort.locate(caller, signal)),
    outages: (area, signal) => track(outagePort.outages(area, signal)),
    // A simulation never registers a real notice.
    requestNotification: async () => ({ requestId: 'simulated', duplicate: false }),
  };
  const steps: SimStep[] = [];
  const events = {
    publish<T extends EventType>(type: T, payload: EventMap[T]): AppEvent<T> {
      if (type === 'ivr.node.visited') {
        const v = payload as EventMap['ivr.node.visited'];
        steps.push({ seq: v.seq, atMs: clock.monotonic(), flowId: v.flowId, nodeId: v.nodeId, verb: v.verb });
      }
      return { id: String(steps.length), type, at: clock.now(), payload };
    },
  };
  const runner = new IvrRunner({
    clock,
    log: silentLogger(),
    events,
    channel,
    flow: o.flow,
    callId: 'simulation',
    maxSteps: 300,
    deps: {
      lookups,
      ...(outage && { outage }),
      ...(o.deps?.calendar && { calendar: o.deps.calendar }),
      ...(o.deps?.flows && { flows: o.deps.flows }),
      ...SIMULATED_EXITS,
      tts: transcriptTts,
    },
  });
  let finished = false;
  const done = runner.run().finally(() => {
    finished = true;
  });
  const maxMs = o.maxMs ?? 600_000;
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 4; i++) await new Promise<void>((r) => setImmediate(r));
  };
  await settle();
  while (!finished && clock.monotonic() < maxMs) {
    if (inflight.size > 0) {
      // lint-allow: timers the virtual clock is paused here; real adapters answer in real time, bounded by realWaitMs
      await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => setTimeout(r, o.realWaitMs ?? 5000).unref())]);
      await settle();
      if (inflight.size === 0) continue;
    }
    clock.advance(100);
    await settle();
  }
  if (!finished) channel.remoteHangup();
  const result = await done;
  return { result, steps, transcript: channel.transcript, unusedKeys: channel.unusedKeys, virtualMs: clock.monotonic() };
}
