/**
 * In-memory ports for IVR tests and the flow simulator: scripted lookups (with a delay on the
 * injected clock, or hanging forever to exercise timeouts), an ACD, transfer, calendar,
 * voicemail recorder + work orders, fax, survey sink, prompt catalogue, and a test rig that
 * runs a flow on a FakeChannel with every event captured.
 */
import { FakeChannel } from '../../channel/testing/fake-channel.js';
import type { Clock } from '../../core/clock.js';
import type { AnyAppEvent, AppEvent, EventMap, EventType } from '../../core/events.js';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { parseFlow } from '../validator.js';
import type {
  CalendarPort,
  EnqueueRequest,
  Enqueuer,
  FaxPort,
  LookupAdapter,
  LookupResult,
  OutageNotice,
  OutagePort,
  CallerLocation,
  PromptCatalogue,
  TtsPort,
  SurveySink,
  Transferer,
  ValidationCatalogue,
  Variables,
  VoicemailPort,
} from '../ports.js';
import { IvrRunner, type IvrDeps, type IvrResult } from '../runner.js';
import { sayPromptNames, type Lang } from '../say/index.js';

/** A scripted answer: a result after `delayMs`, an error, or never (a hung back end). */
export type ScriptedAnswer = { result: LookupResult; delayMs?: number } | { error: Error; delayMs?: number } | 'never';

export class FakeLookup implements LookupAdapter {
  readonly calls: Array<{ op: string; params: Variables; aborted: () => boolean }> = [];
  constructor(
    private readonly clock: Clock,
    private readonly answer: (op: string, params: Readonly<Variables>) => ScriptedAnswer,
  ) {}

  lookup(op: string, params: Readonly<Variables>, signal: AbortSignal): Promise<LookupResult> {
    this.calls.push({ op, params: { ...params }, aborted: () => signal.aborted });
    const a = this.answer(op, params);
    return new Promise((resolve, reject) => {
      let timer: { cancel(): void } | undefined;
      const onAbort = (): void => {
        timer?.cancel();
        reject(new Error('aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (a === 'never') return;
      timer = this.clock.setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        if ('error' in a) reject(a.error);
        else resolve(a.result);
      }, a.delayMs ?? 0);
    });
  }
}

export class FakeEnqueuer implements Enqueuer {
  readonly requests: EnqueueRequest[] = [];
  constructor(private readonly outcome: 'queued' | 'full' | 'closed' | 'unknown-queue' = 'queued') {}
  async enqueue(req: EnqueueRequest): Promise<{ outcome: 'queued' | 'full' | 'closed' | 'unknown-queue' }> {
    this.requests.push(req);
    return { outcome: this.outcome };
  }
}

export class FakeTransferer implements Transferer {
  readonly requests: Array<{ to: string; vars: Readonly<Variables> }> = [];
  constructor(private readonly outcome: 'transferred' | 'busy' | 'no-answer' | 'failed' = 'transferred') {}
  async transfer(req: { to: string; vars: Readonly<Variables> }): Promise<{ outcome: 'transferred' | 'busy' | 'no-answer' | 'failed' }> {
    this.requests.push({ to: req.to, vars: req.vars });
    return { outcome: this.outcome };
  }
}

export class FakeCalendar implements CalendarPort {
  constructor(public state: 'open' | 'closed' | 'holiday' = 'open') {}
  stateAt(): 'open' | 'closed' | 'holiday' {
    return this.state;
  }
}

/** Records until maxMs or the caller hangs up; durations on the injected clock. */
export class FakeVoicemail implements VoicemailPort {
  readonly orders: Array<{ orderType: string; caller: string; recording: string; durationMs: number; vars: Readonly<Variables> }> = [];
  constructor(private readonly clock: Clock) {}

  record(req: { callId: string; maxMs: number; signal: AbortSignal }): Promise<{ recording: string; durationMs: number }> {
    const start = this.clock.monotonic();
    const done = (): { recording: string; durationMs: number } => ({
      recording: `recordings/${req.callId}.wav`,
      durationMs: this.clock.monotonic() - start,
    });
    return new Promise((resolve) => {
      if (req.signal.aborted) return resolve(done());
      const timer = this.clock.setTimeout(() => {
        req.signal.removeEventListener('abort', onAbort);
        resolve(done());
      }, req.maxMs);
      const onAbort = (): void => {
        timer.cancel();
        resolve(done());
      };
      req.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async submit(req: { orderType: string; caller: string; recording: string; durationMs: number; vars: Readonly<Variables> }): Promise<{ messageId: string; orderId: string | null }> {
    this.orders.push(req);
    return { messageId: `vm-${this.orders.length}`, orderId: `wo-${this.orders.length}` };
  }
}

export class FakeFax implements FaxPort {
  readonly sent: Array<{ document: string; to: 'caller' | { number: string } }> = [];
  constructor(private readonly outcome: 'sent' | 'queued' | 'failed' = 'queued') {}
  async send(req: { document: string; to: 'caller' | { number: string } }): Promise<{ outcome: 'sent' | 'queued' | 'failed' }> {
    this.sent.push({ document: req.document, to: req.to });
    return { outcome: this.outcome };
  }
}

export class FakeSurveySink implements SurveySink {
  readonly records: Array<{ survey: string; scores: Readonly<Record<string, number>> }> = [];
  async record(req: { survey: string; scores: Readonly<Record<string, number>> }): Promise<void> {
    this.records.push({ survey: req.survey, scores: { ...req.scores } });
  }
}

/** TTS that renders nothing: the text comes back as a prompt named `tts:<text>` (for assertions). */
export class FakeTts implements TtsPort {
  readonly texts: string[] = [];
  async render(text: string, lang: Lang): Promise<{ kind: 'prompt'; name: string; lang: string }> {
    this.texts.push(text);
    return { kind: 'prompt', name: `tts:${text}`, lang };
  }
}

/** Outages by area and callers by number, in memory; `delayMs` on the clock, or 'never'. */
export class FakeOutages implements OutagePort {
  readonly requests: Array<{ callId: string; caller: string; outageId: string; area: string; accountNo: string | null }> = [];
  delay: number | 'never' = 0;
  constructor(
    private readonly clock: Clock,
    readonly byArea: Record<string, OutageNotice[]> = {},
    readonly callers: Record<string, CallerLocation> = {},
  ) {}

  locate(caller: string): Promise<CallerLocation> {
    return this.later(() => this.callers[caller] ?? { area: null, accountNo: null, source: 'none' });
  }

  outages(area: string, signal: AbortSignal): Promise<OutageNotice[]> {
    return this.later(() => Object.entries(this.byArea).filter(([a]) => area.startsWith(a)).flatMap(([, o]) => o), signal);
  }

  async requestNotification(req: { callId: string; caller: string; outageId: string; area: string; accountNo: string | null }): Promise<{ requestId: string; duplicate: boolean }> {
    const dup = this.requests.findIndex((r) => r.caller === req.caller && r.outageId === req.outageId);
    if (dup >= 0) return { requestId: `ntf-${dup + 1}`, duplicate: true };
    this.requests.push(req);
    return { requestId: `ntf-${this.requests.length}`, duplicate: false };
  }

  private later<T>(fn: () => T, signal?: AbortSignal): Promise<T> {
    return new Promise((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      if (this.delay === 'never') return;
      this.clock.setTimeout(() => resolve(fn()), this.delay);
    });
  }
}

/** A catalogue holding `names` plus every say-module prompt, in both languages. */
export function catalogueOf(names: Iterable<string>): PromptCatalogue {
  const zh = new Set([...names, ...sayPromptNames('zh')]);
  const en = new Set([...names, ...sayPromptNames('en')]);
  return { has: (name: string, lang: Lang) => (lang === 'zh' ? zh : en).has(name) };
}

export function validationCatalogue(opts: { prompts: Iterable<string>; queues?: string[]; adapters?: string[]; calendars?: string[]; flows?: string[]; documents?: string[] }): ValidationCatalogue {
  const set = (xs: string[] | undefined) => new Set(xs ?? []);
  const queues = set(opts.queues);
  const adapters = set(opts.adapters);
  const calendars = set(opts.calendars);
  const flows = set(opts.flows);
  const documents = set(opts.documents);
  return {
    prompts: catalogueOf(opts.prompts),
    queues: { has: (q) => queues.has(q) },
    adapters: { has: (a) => adapters.has(a) },
    calendars: { has: (c) => calendars.has(c) },
    flows: { has: (f) => flows.has(f) },
    documents: { has: (d) => documents.has(d) },
  };
}

export interface Rig {
  clock: ManualClock;
  channel: FakeChannel;
  runner: IvrRunner;
  events: AnyAppEvent[];
  done: Promise<IvrResult>;
  /** Events of one type, payloads only. */
  of<T extends EventType>(type: T): Array<EventMap[T]>;
  /** Names of the catalogue prompts played so far. */
  prompts(): string[];
  /** Advance the clock in steps, letting promise continuations run between them. */
  advance(ms: number, step?: number): Promise<void>;
  /** Press keys then let the runner react. */
  press(keys: string): Promise<void>;
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

export function startFlow(flowJson: unknown, opts: { deps?: (clock: ManualClock) => IvrDeps; playMs?: number; vars?: Variables; maxSteps?: number } = {}): Rig {
  const clock = new ManualClock();
  const channel = new FakeChannel({ clock, playMs: opts.playMs ?? 1000, caller: '13937100001' });
  const events: AnyAppEvent[] = [];
  const bus = {
    publish<T extends EventType>(type: T, payload: EventMap[T]): AppEvent<T> {
      const e = { id: String(events.length + 1), type, at: clock.now(), payload } as AppEvent<T>;
      events.push(e as unknown as AnyAppEvent);
      return e;
    },
  };
  const runner = new IvrRunner({
    clock,
    log: silentLogger(),
    events: bus,
    channel,
    flow: parseFlow(flowJson),
    deps: opts.deps?.(clock) ?? {},
    ...(opts.vars ? { vars: opts.vars } : {}),
    ...(opts.maxSteps ? { maxSteps: opts.maxSteps } : {}),
  });
  const done = runner.run();
  return {
    clock,
    channel,
    runner,
    events,
    done,
    of: <T extends EventType>(type: T) => events.filter((e) => e.type === type).map((e) => e.payload as EventMap[T]),
    prompts: () => channel.played.map((p) => (p.kind === 'prompt' ? p.name : p.kind === 'tone' ? `tone:${p.tone}` : p.kind)),
    advance: async (ms, step = 100) => {
      await settle();
      await clock.advanceAsync(ms, step);
      await settle();
    },
    press: async (keys) => {
      await settle();
      channel.press(keys);
      await settle();
    },
  };
}
