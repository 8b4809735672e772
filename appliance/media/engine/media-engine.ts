/**
 * The media engine as the main thread sees it (issue 4, DESIGN.md "Call model"): a handful of
 * worker threads (`media.workers`, 0 = one per core) that own every RTP socket and all audio;
 * this side only sends commands (protocol.ts) and receives events. Nothing here touches a
 * sample.
 *
 * Placement: legs and bridges are placed on the least-loaded worker, except that everything
 * created with the same `affinity` (normally the call id) lands on the same worker, because a
 * bridge mixes only legs of its own worker. Adding a leg of another worker to a bridge is a
 * ConflictError.
 *
 * TDM legs (`createTdmEndpoint`, tdm-endpoint.ts) are E1 B channels whose frames stay on the
 * main thread with the card; they cross to the worker through shared frame rings, not
 * messages, and then mix, record and play exactly like RTP legs (`MediaLeg`).
 *
 * At start the recording folder is scanned for `.part` files a crash left behind
 * (recorder/recovery.ts); each is reported as `recording.file.closed` with outcome
 * `interrupted` so the caller commits the row the crash prevented.
 */
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Clock } from '../../core/clock.js';
import { AppError, ConflictError, type ErrorCode, ErrorCodes } from '../../core/errors.js';
import type { EventBus } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import type { G711Law } from '../codec/g711.js';
import type { BridgeSide, Tap } from '../mixer/mixer.js';
import type { PauseMark, RecordingClosed, RecordingEncoding } from '../recorder/recorder.js';
import { recoverInterrupted } from '../recorder/recovery.js';
import type { Digit } from '../rtp/dtmf-4733.js';
import type { ToneSpec } from '../tones/tone-plan.js';
import './events.js';
import {
  PROTOCOL_VERSION,
  WorkerMessageSchema,
  type Address,
  type Command,
  type CommandName,
  type LegStats,
  type PlaySource,
  type ResultOf,
  type TickStats,
  type WorkerEvent,
} from './protocol.js';
import { FrameRing, TdmEndpoint, type TdmEndpointOptions } from './tdm-endpoint.js';

export interface MediaEngineOptions {
  /** Worker threads; 0 = one per core. */
  workers: number;
  rtpPortMin: number;
  rtpPortMax: number;
  /** Address the RTP sockets bind to (default 0.0.0.0). */
  bindAddress?: string;
  /** Recording root; scanned for crash leftovers at start. */
  recordingsDir?: string;
  clock: Clock;
  log: Logger;
  /** When given, recording events are also published on the bus. */
  bus?: EventBus;
  tickMs?: number;
  lateThresholdMs?: number;
}

export interface RtpEndpointOptions {
  codec: G711Law;
  remote?: Address;
  /** Only 20 ms is supported. */
  ptime?: 20;
  telephoneEventPt?: number;
  /** `endpoint.timeout` after this long without RTP (default 30 s, 0 = never). */
  rtpTimeoutMs?: number;
  affinity?: string;
}

export interface RecordingOptions {
  callId: string;
  dir?: string;
  encoding?: RecordingEncoding;
  beep?: boolean;
}

export type RecordingClosedEvent = RecordingClosed & { recordingId: string };

export interface MediaEngineEvents {
  dtmf: [{ endpointId: string; digit: Digit; durationMs: number }];
  rtcp: [Extract<WorkerEvent, { type: 'endpoint.rtcp' }>];
  timeout: [{ endpointId: string; silentMs: number }];
  'play.done': [Extract<WorkerEvent, { type: 'play.done' }>];
  'recording.file.closed': [RecordingClosedEvent];
  'recording.alarm.raised': [{ recordingId: string; callId: string; reason: string; path: string }];
}

/** An error a worker answered with, keeping its code. */
export class MediaError extends AppError {
  constructor(code: string, message: string) {
    super((ErrorCodes as readonly string[]).includes(code) ? (code as ErrorCode) : 'INTERNAL', message);
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** @internal One worker thread and its request/reply bookkeeping. */
export class WorkerLink {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  load = 0;
  alive = true;

  constructor(
    readonly index: number,
    readonly worker: Worker,
    onEvent: (e: WorkerEvent) => void,
    private readonly log: Logger,
  ) {
    worker.on('message', (raw: unknown) => {
      if ((raw as { kind?: unknown } | null)?.kind === 'shutdown-done') return;
      const parsed = WorkerMessageSchema.safeParse(raw);
      if (!parsed.success) {
        log.warn({ worker: index, issues: parsed.error.issues.slice(0, 3) }, 'media worker message rejected');
        return;
      }
      const m = parsed.data;
      if (m.kind === 'event') {
        onEvent(m.event);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new MediaError(m.error.code, m.error.message));
    });
    worker.on('error', (err) => log.error({ err, worker: index }, 'media worker failed'));
    worker.on('exit', (code) => {
      this.alive = false;
      for (const p of this.pending.values()) p.reject(new MediaError('INTERNAL', `media worker ${index} exited (${code})`));
      this.pending.clear();
    });
  }

  request<C extends CommandName>(cmd: Extract<Command, { cmd: C }>): Promise<ResultOf<C>> {
    if (!this.alive) return Promise.reject(new MediaError('INTERNAL', `media worker ${this.index} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ v: PROTOCOL_VERSION, id, cmd });
    });
  }

  /** Ask the worker to finalize recordings and close sockets; terminate it after `limitMs` regardless. */
  async shutdown(clock: Clock, limitMs = 5000): Promise<void> {
    if (!this.alive) return;
    await new Promise<void>((resolve) => {
      const limit = clock.setTimeout(() => {
        this.log.error({ worker: this.index }, 'media worker did not shut down in time');
        resolve();
      }, limitMs);
      const done = (raw: unknown): void => {
        if ((raw as { kind?: unknown } | null)?.kind !== 'shutdown-done') return;
        this.worker.off('message', done);
        limit.cancel();
        resolve();
      };
      this.worker.on('message', done);
      this.worker.once('exit', () => {
        limit.cancel();
        resolve();
      });
      this.worker.postMessage({ kind: 'shutdown' });
    });
    await this.worker.terminate();
  }
}

/** Spawn the worker entry; under tsx (tests, dev) the .ts entry is loaded through tsx's loader. */
function spawnWorker(workerData: unknown): Worker {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    const entry = new URL('./worker-main.ts', self).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(boot, { eval: true, workerData, execArgv: [] });
  }
  return new Worker(new URL('./worker-main.js', self), { workerData });
}

type Listener<K extends keyof MediaEngineEvents> = (...args: MediaEngineEvents[K]) => void;

export class MediaEngine {
  private links: WorkerLink[] = [];
  private readonly emitter = new EventEmitter();
  private readonly affinity = new Map<string, WorkerLink>();
  private readonly endpoints = new Map<string, RtpEndpoint | TdmEndpoint>();
  private readonly recordingWaiters = new Map<string, (e: RecordingClosedEvent) => void>();
  private seq = 0;

  constructor(private readonly opts: MediaEngineOptions) {}

  on<K extends keyof MediaEngineEvents>(event: K, fn: Listener<K>): () => void {
    this.emitter.on(event, fn as (...a: unknown[]) => void);
    return () => this.emitter.off(event, fn as (...a: unknown[]) => void);
  }

  private emit<K extends keyof MediaEngineEvents>(event: K, ...args: MediaEngineEvents[K]): void {
    try {
      this.emitter.emit(event, ...args);
    } catch (err) {
      this.opts.log.error({ err, event }, 'media event listener failed');
    }
  }

  get workerCount(): number {
    return this.links.length;
  }

  /** Spawn the workers and recover recordings a crash left open. */
  async start(): Promise<{ interrupted: RecordingClosed[] }> {
    if (this.links.length > 0) return { interrupted: [] };
    const n = this.opts.workers > 0 ? this.opts.workers : Math.max(1, os.availableParallelism());
    const span = this.opts.rtpPortMax - this.opts.rtpPortMin + 1;
    const share = Math.floor(span / n / 2) * 2;
    if (share < 2) throw new ConflictError(`RTP port range ${this.opts.rtpPortMin}..${this.opts.rtpPortMax} too small for ${n} workers`);
    for (let i = 0; i < n; i++) {
      const min = this.opts.rtpPortMin + i * share;
      const worker = spawnWorker({
        index: i,
        rtpPortMin: min + (min & 1),
        rtpPortMax: min + share - 1,
        bindAddress: this.opts.bindAddress ?? '0.0.0.0',
        tickMs: this.opts.tickMs ?? 20,
        lateThresholdMs: this.opts.lateThresholdMs ?? 10,
      });
      worker.unref();
      this.links.push(new WorkerLink(i, worker, (e) => this.onWorkerEvent(e), this.opts.log));
    }
    await Promise.all(this.links.map((l) => l.request({ cmd: 'worker.stats' })));
    const interrupted = this.opts.recordingsDir ? await recoverInterrupted(this.opts.recordingsDir) : [];
    for (const r of interrupted) {
      this.opts.log.warn({ callId: r.callId, path: r.path, outcome: r.outcome }, 'recording recovered after crash');
      this.publishClosed({ recordingId: `recovered:${r.callId}`, ...r });
    }
    return { interrupted };
  }

  async stop(): Promise<void> {
    const links = this.links;
    this.links = [];
    await Promise.all(links.map((l) => l.shutdown(this.opts.clock)));
    this.endpoints.clear();
    this.affinity.clear();
  }

  private place(affinity: string | undefined): WorkerLink {
    if (this.links.length === 0) throw new MediaError('INTERNAL', 'media engine not started');
    const known = affinity ? this.affinity.get(affinity) : undefined;
    if (known?.alive) return known;
    const live = this.links.filter((l) => l.alive);
    const best = live.reduce((a, b) => (b.load < a.load ? b : a), live[0] as WorkerLink);
    if (affinity) this.affinity.set(affinity, best);
    return best;
  }

  /** Forget an affinity key (the call ended). */
  release(affinity: string): void {
    this.affinity.delete(affinity);
  }

  private id(prefix: string): string {
    return `${prefix}-${(++this.seq).toString(36)}`;
  }

  async createRtpEndpoint(o: RtpEndpointOptions): Promise<RtpEndpoint> {
    if (o.ptime !== undefined && o.ptime !== 20) throw new ConflictError(`ptime ${String(o.ptime)} not supported (20 ms only)`);
    const link = this.place(o.affinity);
    const endpointId = this.id('ep');
    link.load++;
    try {
      const r = await link.request({
        cmd: 'endpoint.create',
        endpointId,
        codec: o.codec,
        remote: o.remote ?? null,
        telephoneEventPt: o.telephoneEventPt ?? 101,
        rtpTimeoutMs: o.rtpTimeoutMs ?? 30_000,
      });
      const ep = new RtpEndpoint(endpointId, o.codec, r.localAddress, r.localPort, link, this);
      this.endpoints.set(endpointId, ep);
      return ep;
    } catch (err) {
      link.load--;
      throw err;
    }
  }

  /**
   * A TDM leg: the B channel `o.line` is pumped through shared frame rings to a worker, where
   * the leg mixes, records and plays like an RTP leg (tdm-endpoint.ts).
   */
  async createTdmEndpoint(o: TdmEndpointOptions): Promise<TdmEndpoint> {
    const slots = o.slots ?? 8;
    const maxFill = o.maxFill ?? 3;
    if (maxFill >= slots) throw new ConflictError(`maxFill ${maxFill} must be below the ring size ${slots}`);
    const link = this.place(o.affinity);
    const endpointId = this.id('tdm');
    const rx = FrameRing.create(slots);
    const tx = FrameRing.create(slots);
    link.load++;
    try {
      await link.request({ cmd: 'endpoint.create-tdm', endpointId, rx: rx.buffer, tx: tx.buffer, maxFill });
    } catch (err) {
      link.load--;
      throw err;
    }
    const ep = new TdmEndpoint(endpointId, o.line, rx, tx, link, this, maxFill);
    this.endpoints.set(endpointId, ep);
    ep.attach();
    return ep;
  }

  async createBridge(o: { affinity?: string } = {}): Promise<BridgeHandle> {
    const link = this.place(o.affinity);
    const bridgeId = this.id('br');
    await link.request({ cmd: 'bridge.create', bridgeId });
    return new BridgeHandle(bridgeId, link, this);
  }

  /** Play a prompt file or a tone into a leg; `done` resolves when it ends. */
  async play(endpoint: MediaLeg, source: { wav: string } | { tone: ToneSpec }, o: { mix?: boolean } = {}): Promise<Playback> {
    const playId = this.id('pl');
    const src: PlaySource = 'wav' in source ? { kind: 'wav', path: source.wav } : { kind: 'tone', spec: source.tone };
    const done = new Promise<Extract<WorkerEvent, { type: 'play.done' }>>((resolve) => {
      const off = this.on('play.done', (e) => {
        if (e.playId !== playId) return;
        off();
        resolve(e);
      });
    });
    await endpoint.link.request({ cmd: 'play.start', playId, endpointId: endpoint.id, source: src, mix: o.mix ?? false });
    return { id: playId, done, stop: () => endpoint.link.request({ cmd: 'play.stop', playId }).then(() => undefined) };
  }

  /** Tick statistics of every worker. */
  async workerStats(): Promise<TickStats[]> {
    return Promise.all(this.links.map((l) => l.request({ cmd: 'worker.stats' })));
  }

  /** @internal */
  waitRecording(recordingId: string, fn: (e: RecordingClosedEvent) => void): void {
    this.recordingWaiters.set(recordingId, fn);
  }

  /** @internal */
  forgetEndpoint(id: string, link: WorkerLink): void {
    if (this.endpoints.delete(id)) link.load--;
  }

  /** @internal */
  get recordingsDir(): string | undefined {
    return this.opts.recordingsDir;
  }

  /** @internal */
  get clock(): Clock {
    return this.opts.clock;
  }

  private publishClosed(e: RecordingClosedEvent): void {
    this.emit('recording.file.closed', e);
    this.opts.bus?.publish('recording.file.closed', e);
  }

  private onWorkerEvent(e: WorkerEvent): void {
    switch (e.type) {
      case 'endpoint.dtmf': {
        const ev = { endpointId: e.endpointId, digit: e.digit as Digit, durationMs: e.durationMs };
        this.emit('dtmf', ev);
        this.endpoints.get(e.endpointId)?.emitter.emit('dtmf', ev);
        return;
      }
      case 'endpoint.rtcp':
        this.emit('rtcp', e);
        this.endpoints.get(e.endpointId)?.emitter.emit('rtcp', e);
        return;
      case 'endpoint.timeout':
        this.emit('timeout', { endpointId: e.endpointId, silentMs: e.silentMs });
        this.endpoints.get(e.endpointId)?.emitter.emit('timeout', { endpointId: e.endpointId, silentMs: e.silentMs });
        return;
      case 'play.done':
        this.emit('play.done', e);
        return;
      case 'recording.closed': {
        const { type: _type, ...closed } = e;
        this.publishClosed(closed);
        this.recordingWaiters.get(e.recordingId)?.(closed);
        this.recordingWaiters.delete(e.recordingId);
        return;
      }
      case 'recording.alarm': {
        const ev = { recordingId: e.recordingId, callId: e.callId, reason: e.reason, path: e.dir };
        this.opts.log.error(ev, 'recording failed');
        this.emit('recording.alarm.raised', ev);
        this.opts.bus?.publish('recording.alarm.raised', ev);
        return;
      }
      case 'log':
        this.opts.log[e.level](e.fields, e.msg);
        return;
    }
  }
}

export interface Playback {
  id: string;
  done: Promise<Extract<WorkerEvent, { type: 'play.done' }>>;
  stop(): Promise<void>;
}

/** A leg the engine mixes: an RTP endpoint or a TDM endpoint. */
export type MediaLeg = RtpEndpoint | TdmEndpoint;

export class RtpEndpoint {
  /** @internal */
  readonly emitter = new EventEmitter();
  private closed = false;
  /** The bridge the leg is in (the worker relays its RFC 4733 digits to the other parties). */
  bridge: BridgeHandle | null = null;

  constructor(
    readonly id: string,
    readonly codec: G711Law,
    readonly localAddress: string,
    readonly localPort: number,
    /** @internal */ readonly link: WorkerLink,
    private readonly engine: MediaEngine,
  ) {}

  on(event: 'dtmf', fn: (e: { digit: Digit; durationMs: number }) => void): this;
  on(event: 'rtcp', fn: (e: MediaEngineEvents['rtcp'][0]) => void): this;
  on(event: 'timeout', fn: (e: { silentMs: number }) => void): this;
  on(event: string, fn: (e: never) => void): this {
    this.emitter.on(event, fn as (...a: unknown[]) => void);
    return this;
  }

  async setRemote(remote: Address): Promise<void> {
    await this.link.request({ cmd: 'endpoint.remote', endpointId: this.id, remote });
  }

  /** Send RFC 4733 digits (one after the other). */
  async sendDtmf(digits: string, durationMs = 100): Promise<void> {
    await this.link.request({ cmd: 'endpoint.dtmf', endpointId: this.id, digits: [...digits.toUpperCase()], durationMs });
  }

  /** Close the sockets; resolves to the leg's statistics (for the CDR). */
  async close(): Promise<LegStats> {
    if (this.closed) throw new ConflictError(`endpoint ${this.id} already closed`);
    this.closed = true;
    if (this.bridge) this.bridge.forget(this);
    const stats = await this.link.request({ cmd: 'endpoint.close', endpointId: this.id });
    this.engine.forgetEndpoint(this.id, this.link);
    this.emitter.removeAllListeners();
    return stats;
  }
}

export class BridgeHandle {
  private readonly members = new Map<MediaLeg, { side: BridgeSide; tap: Tap | null }>();

  constructor(
    readonly id: string,
    private readonly link: WorkerLink,
    private readonly engine: MediaEngine,
  ) {}

  /** @internal */
  forget(ep: MediaLeg): void {
    this.members.delete(ep);
    ep.bridge = null;
  }

  async add(ep: MediaLeg, o: { side?: BridgeSide } = {}): Promise<void> {
    if (ep.link !== this.link) throw new ConflictError(`endpoint ${ep.id} is on another media worker than bridge ${this.id} (use the same affinity)`);
    const side = o.side ?? (this.members.size === 0 ? 'caller' : 'agent');
    await this.link.request({ cmd: 'bridge.add', bridgeId: this.id, endpointId: ep.id, side });
    this.members.set(ep, { side, tap: null });
    ep.bridge = this;
  }

  async remove(ep: MediaLeg): Promise<void> {
    await this.link.request({ cmd: 'bridge.remove', bridgeId: this.id, endpointId: ep.id });
    this.forget(ep);
  }

  /** Make a member a supervisor tap (listen / whisper / barge) or a party again (null). */
  async tap(ep: MediaLeg, tap: { mode: Tap['mode']; target?: MediaLeg } | null): Promise<void> {
    const t: Tap | null = tap ? { mode: tap.mode, target: tap.target?.id ?? null } : null;
    await this.link.request({ cmd: 'bridge.tap', bridgeId: this.id, endpointId: ep.id, tap: t });
    const m = this.members.get(ep);
    if (m) m.tap = t;
  }

  async record(o: RecordingOptions): Promise<Recording> {
    const dir = o.dir ?? this.engine.recordingsDir;
    if (!dir) throw new ConflictError('no recording directory configured');
    const recordingId = `rec-${this.id}-${o.callId}`;
    await this.link.request({
      cmd: 'record.start',
      recordingId,
      bridgeId: this.id,
      callId: o.callId,
      dir,
      encoding: o.encoding ?? 'alaw',
      beep: o.beep ?? false,
      startedAt: this.engine.clock.now(),
    });
    return new Recording(recordingId, this.link, this.engine);
  }

  async destroy(): Promise<void> {
    await this.link.request({ cmd: 'bridge.destroy', bridgeId: this.id });
    for (const ep of [...this.members.keys()]) this.forget(ep);
  }
}

export class Recording {
  private result: Promise<RecordingClosedEvent>;

  constructor(
    readonly id: string,
    private readonly link: WorkerLink,
    engine: MediaEngine,
  ) {
    this.result = new Promise((resolve) => engine.waitRecording(id, resolve));
  }

  /** Resolves when the file is closed for whatever reason (stop, ENOSPC, bridge destroyed). */
  get closed(): Promise<RecordingClosedEvent> {
    return this.result;
  }

  async pause(): Promise<void> {
    await this.link.request({ cmd: 'record.pause', recordingId: this.id });
  }

  async resume(): Promise<void> {
    await this.link.request({ cmd: 'record.resume', recordingId: this.id });
  }

  async stop(): Promise<RecordingClosedEvent> {
    await this.link.request({ cmd: 'record.stop', recordingId: this.id });
    return this.result;
  }
}

export type { PauseMark };
