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
 * `interrupted` so the caller commits the row the crash prevented. With a `ledger`
 * (recorder/ledger.ts) the engine keeps the recording rows itself: 'open' when a recording
 * starts, pause marks as they happen, the closing row when the worker reports the file final,
 * and at start every recovered or uncommitted file settled into a row.
 */
import { EventEmitter } from 'node:events';
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { spawnSiblingWorker } from '../../core/spawn-worker.js';
import type { Clock } from '../../core/clock.js';
import { AppError, ConflictError, type ErrorCode, ErrorCodes } from '../../core/errors.js';
import type { EventBus } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import type { G711Law } from '../codec/g711.js';
import type { BridgeSide, Tap } from '../mixer/mixer.js';
import type { PauseMark, RecordingClosed, RecordingEncoding } from '../recorder/recorder.js';
import { settleLedger, settleRecovered, type RecordingLedger, type RecordingLeg, type SettleReport } from '../recorder/ledger.js';
import { nodeRecorderFs } from '../recorder/recorder-fs.js';
import { recoverInterrupted, recoverPart } from '../recorder/recovery.js';
import type { Digit } from '../rtp/dtmf-4733.js';
import type { ToneSpec } from '../tones/tone-plan.js';
import './events.js';
import {
  FaxModemNames,
  lostLegStats,
  PROTOCOL_VERSION,
  WorkerMessageSchema,
  Outbox,
  type Address,
  type Command,
  type CommandName,
  type LegStats,
  type PlaySource,
  type ResultOf,
  type TickStats,
  type WorkerConfig,
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
  /** Where recording rows are kept (SqliteRecordingLedger in the daemon). */
  ledger?: RecordingLedger;
  /** Restarts of one worker slot allowed within `restartWindowMs` (default 5 in 5 minutes). */
  maxRestarts?: number;
  restartWindowMs?: number;
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
  /** In-band DTMF detection on from the start (a peer without telephone-event), as setInbandDtmf(ep, true). */
  inbandDtmf?: boolean;
}

export interface RecordingOptions {
  callId: string;
  /** The legs recorded, for the ledger row (default: the bridge's parties and their sides). */
  legs?: RecordingLeg[];
  dir?: string;
  encoding?: RecordingEncoding;
  beep?: boolean;
}

export type RecordingClosedEvent = RecordingClosed & { recordingId: string };

/** A fax on a leg (fax-session.ts); `file` is the TIFF-F to send or to receive into. */
export interface FaxJobOptions {
  direction: 'send' | 'receive';
  file: string;
  /** 'answerer' for a fax arriving on the leg (sends CED), 'caller' when we placed the call. */
  role?: 'caller' | 'answerer';
  /** Our TSI/CSI (T.30 §5.3.6.2.4), up to 20 characters. */
  ident?: string;
  modems?: ReadonlyArray<(typeof FaxModemNames)[number]>;
  ecm?: boolean;
}

export type FaxDone = Omit<Extract<WorkerEvent, { type: 'fax.done' }>, 'type'>;

export interface FaxJob {
  id: string;
  /** Resolves when the fax is over, whatever the outcome (see `ok` and `completionCode`). */
  done: Promise<FaxDone>;
  stop(): Promise<void>;
}

export interface MediaEngineEvents {
  dtmf: [{ endpointId: string; digit: Digit; durationMs: number; source: 'rfc4733' | 'inband' }];
  'fax.page': [{ faxId: string; endpointId: string; pages: number }];
  'fax.done': [FaxDone];
  rtcp: [Extract<WorkerEvent, { type: 'endpoint.rtcp' }>];
  timeout: [{ endpointId: string; silentMs: number }];
  'play.done': [Extract<WorkerEvent, { type: 'play.done' }>];
  'recording.file.closed': [RecordingClosedEvent];
  'recording.alarm.raised': [{ recordingId: string; callId: string; reason: string; path: string }];
  /** A worker thread died under its calls (see `onWorkerCrash`). */
  'worker.failed': [WorkerFailure];
  /** Its replacement answers commands; new calls may be placed on it. */
  'worker.restarted': [{ index: number; restarts: number }];
}

export interface WorkerFailure {
  index: number;
  reason: string;
  /** Legs that were on the worker (each got a `failed` event). */
  endpoints: number;
  /** Recordings it was writing (each repaired and closed 'interrupted'). */
  recordings: number;
  /** False when the worker crashed too often to be restarted again (`maxRestarts` per window). */
  restarting: boolean;
}

/** Why a leg's media ended under it: its worker died. */
export interface EndpointFailure {
  reason: string;
}

/** A recording being written, as the main thread knows it (to settle it if its worker dies). */
interface LiveRecording {
  recordingId: string;
  link: WorkerLink;
  path: string;
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
  /** Set when the engine asked the worker to stop: its exit is not a crash. */
  private stopping = false;
  private readonly outbox: Outbox;

  constructor(
    readonly index: number,
    readonly worker: Worker,
    onEvent: (e: WorkerEvent) => void,
    private readonly log: Logger,
    /** An exit the engine did not ask for (uncaught error, OOM, terminated from outside). */
    onCrash: (link: WorkerLink, why: string) => void = () => undefined,
  ) {
    this.outbox = new Outbox((m) => worker.postMessage(m));
    const onMessage = (raw: unknown): void => {
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
    };
    // protocol.ts: a batch is an array of messages, handled in order.
    worker.on('message', (raw: unknown) => {
      if (!Array.isArray(raw)) onMessage(raw);
      else for (const m of raw) onMessage(m);
    });
    let failure: string | null = null;
    worker.on('error', (err) => {
      failure = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      log.error({ err, worker: index }, 'media worker failed');
    });
    worker.on('exit', (code) => {
      this.alive = false;
      for (const p of this.pending.values()) p.reject(new MediaError('INTERNAL', `media worker ${index} exited (${code})`));
      this.pending.clear();
      if (!this.stopping) onCrash(this, failure ?? `exited with code ${code}`);
    });
  }

  request<C extends CommandName>(cmd: Extract<Command, { cmd: C }>): Promise<ResultOf<C>> {
    if (!this.alive) return Promise.reject(new MediaError('INTERNAL', `media worker ${this.index} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.outbox.post({ v: PROTOCOL_VERSION, id, cmd });
    });
  }

  /** Terminate the thread as a crash would (the engine replaces it). */
  kill(): Promise<number> {
    return this.worker.terminate();
  }

  /** Ask the worker to finalize recordings and close sockets; terminate it after `limitMs` regardless. */
  async shutdown(clock: Clock, limitMs = 5000): Promise<void> {
    this.stopping = true;
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
      this.outbox.flush();
      this.worker.postMessage({ kind: 'shutdown' });
    });
    await this.worker.terminate();
  }
}

type Listener<K extends keyof MediaEngineEvents> = (...args: MediaEngineEvents[K]) => void;

export class MediaEngine {
  private links: WorkerLink[] = [];
  private readonly emitter = new EventEmitter();
  private readonly affinity = new Map<string, WorkerLink>();
  private readonly endpoints = new Map<string, RtpEndpoint | TdmEndpoint>();
  private readonly recordingWaiters = new Map<string, (e: RecordingClosedEvent) => void>();
  private readonly playWaiters = new Map<string, { link: WorkerLink; endpointId: string; resolve: (e: Extract<WorkerEvent, { type: 'play.done' }>) => void }>();
  private readonly live = new Map<string, LiveRecording>();
  private readonly configs: WorkerConfig[] = [];
  private readonly crashes = new Map<number, number[]>();
  private readonly settling = new Set<Promise<void>>();
  private stopped = false;
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
  async start(): Promise<{ interrupted: RecordingClosed[]; settled: SettleReport | null }> {
    if (this.links.length > 0) return { interrupted: [], settled: null };
    const n = this.opts.workers > 0 ? this.opts.workers : Math.max(1, os.availableParallelism());
    const span = this.opts.rtpPortMax - this.opts.rtpPortMin + 1;
    const share = Math.floor(span / n / 2) * 2;
    if (share < 2) throw new ConflictError(`RTP port range ${this.opts.rtpPortMin}..${this.opts.rtpPortMax} too small for ${n} workers`);
    this.stopped = false;
    for (let i = 0; i < n; i++) {
      const min = this.opts.rtpPortMin + i * share;
      this.configs[i] = {
        index: i,
        rtpPortMin: min + (min & 1),
        rtpPortMax: min + share - 1,
        bindAddress: this.opts.bindAddress ?? '0.0.0.0',
        tickMs: this.opts.tickMs ?? 20,
        lateThresholdMs: this.opts.lateThresholdMs ?? 10,
      };
      this.links.push(this.spawn(i));
    }
    await Promise.all(this.links.map((l) => l.request({ cmd: 'worker.stats' })));
    const interrupted = this.opts.recordingsDir ? await recoverInterrupted(this.opts.recordingsDir) : [];
    for (const r of interrupted) {
      this.opts.log.warn({ callId: r.callId, path: r.path, outcome: r.outcome }, 'recording recovered after crash');
      this.publishClosed({ recordingId: `recovered:${r.callId}`, ...r });
    }
    const settled = this.opts.ledger ? await settleLedger(this.opts.ledger, interrupted, nodeRecorderFs, this.opts.clock.now()) : null;
    if (settled && (settled.interrupted || settled.committedAtStart || settled.lost)) this.opts.log.warn(settled, 'recording ledger settled at start');
    return { interrupted, settled };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const links = this.links;
    this.links = [];
    await Promise.all(links.map((l) => l.shutdown(this.opts.clock)));
    await Promise.all([...this.settling]);
    this.endpoints.clear();
    this.affinity.clear();
  }

  /** A worker thread for slot `index` (its port share is the slot's, so a replacement reuses it). */
  private spawn(index: number): WorkerLink {
    const worker = spawnSiblingWorker(import.meta.url, 'worker-main', this.configs[index]);
    worker.unref();
    return new WorkerLink(index, worker, (e) => this.onWorkerEvent(e), this.opts.log, (link, why) => this.onWorkerCrash(link, why));
  }

  /**
   * Terminate a worker thread as a crash would (a stuck worker, or a test of the recovery):
   * the engine handles it exactly like an uncaught error or an OOM in the worker.
   */
  async terminateWorker(index: number): Promise<void> {
    const link = this.links[index];
    if (!link) throw new ConflictError(`no media worker ${index}`);
    await link.kill();
  }

  /** Resolves once every crash in progress is settled (recordings repaired, replacement ready). */
  async settled(): Promise<void> {
    while (this.settling.size > 0) await Promise.all([...this.settling]);
  }

  /**
   * A worker died under its calls (uncaught error, out of memory, terminated). Its sockets and
   * frame rings died with it, so:
   *  1. the slot gets a new worker at once (same port share), and new calls are placed there —
   *     unless the slot crashed `maxRestarts` times within the window (a crash loop): it then
   *     stays down and the other workers carry the load;
   *  2. every leg it held gets a `failed` event, so call control ends the call with a clear
   *     cause rather than waiting for the RTP timeout; closing such a leg resolves at once;
   *  3. every recording it was writing is repaired like a crash leftover (recoverPart: header
   *     fixed to the frames on disk, renamed, hashed) and closed 'interrupted' in the ledger
   *     with the pause still open ended where the audio ends;
   *  4. `worker.failed` is emitted and published on the bus (the daemon raises the alarm).
   */
  private onWorkerCrash(link: WorkerLink, why: string): void {
    if (this.links[link.index] !== link) return;
    const now = this.opts.clock.monotonic();
    const windowMs = this.opts.restartWindowMs ?? 5 * 60_000;
    const recent = (this.crashes.get(link.index) ?? []).filter((at) => now - at < windowMs);
    recent.push(now);
    this.crashes.set(link.index, recent);
    const restarting = !this.stopped && recent.length <= (this.opts.maxRestarts ?? 5);
    const reason = `media worker ${link.index} died: ${why}`;
    const legs = [...this.endpoints.values()].filter((ep) => ep.link === link);
    const recordings = [...this.live.values()].filter((r) => r.link === link);
    for (const [key, l] of this.affinity) if (l === link) this.affinity.delete(key);
    const failure: WorkerFailure = { index: link.index, reason, endpoints: legs.length, recordings: recordings.length, restarting };
    this.opts.log.error(failure, 'media worker died under its calls');
    if (restarting) this.links[link.index] = this.spawn(link.index);
    this.emit('worker.failed', failure);
    this.opts.bus?.publish('media.worker.failed', failure);
    for (const ep of legs) {
      this.endpoints.delete(ep.id);
      ep.emitter.emit('failed', { reason } satisfies EndpointFailure);
    }
    // Playbacks on the dead worker end now, as errors (nobody is left to report them done).
    for (const [playId, w] of this.playWaiters) {
      if (w.link !== link) continue;
      this.playWaiters.delete(playId);
      w.resolve({ type: 'play.done', playId, endpointId: w.endpointId, reason: 'error', error: reason });
    }
    const work = (async () => {
      for (const r of recordings) await this.settleCrashedRecording(r, reason);
      const fresh = this.links[link.index];
      if (restarting && fresh && fresh !== link) {
        await fresh.request({ cmd: 'worker.stats' }).then(
          () => {
            this.opts.log.warn({ index: link.index, restarts: recent.length }, 'media worker restarted');
            this.emit('worker.restarted', { index: link.index, restarts: recent.length });
          },
          (err: unknown) => this.opts.log.error({ err, index: link.index }, 'media worker replacement failed'),
        );
      }
    })();
    this.settling.add(work);
    void work.finally(() => this.settling.delete(work));
  }

  private async settleCrashedRecording(r: LiveRecording, reason: string): Promise<void> {
    this.live.delete(r.recordingId);
    const recovered = await recoverPart(`${r.path}.part`, reason);
    try {
      if (this.opts.ledger) settleRecovered(this.opts.ledger, recovered, this.opts.clock.now());
    } catch (err) {
      // The file is repaired on disk; settleLedger registers it at the next start.
      this.opts.log.error({ err, recordingId: r.recordingId, path: recovered.path }, 'recording row not settled after worker crash');
    }
    this.opts.log.warn({ recordingId: r.recordingId, path: recovered.path, outcome: recovered.outcome, durationMs: recovered.durationMs }, 'recording repaired after its worker died');
    const closed = { recordingId: r.recordingId, ...recovered };
    this.publishClosed(closed);
    this.recordingWaiters.get(r.recordingId)?.(closed);
    this.recordingWaiters.delete(r.recordingId);
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
        ...(o.inbandDtmf ? { inbandDtmf: true } : {}),
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

  /** A bridge; with `echo` a lone member hears itself (diagnostic echo lines). */
  async createBridge(o: { affinity?: string; echo?: boolean } = {}): Promise<BridgeHandle> {
    const link = this.place(o.affinity);
    const bridgeId = this.id('br');
    await link.request({ cmd: 'bridge.create', bridgeId, ...(o.echo ? { echo: true } : {}) });
    return new BridgeHandle(bridgeId, link, this);
  }

  /** Play a prompt file or a tone into a leg; `done` resolves when it ends. */
  async play(endpoint: MediaLeg, source: { wav: string } | { tone: ToneSpec }, o: { mix?: boolean } = {}): Promise<Playback> {
    const playId = this.id('pl');
    const src: PlaySource = 'wav' in source ? { kind: 'wav', path: source.wav } : { kind: 'tone', spec: source.tone };
    // One waiter per playback, found by id: an IVR with hundreds of sessions playing at once must
    // not put a listener per playback on the engine's emitter (each event would visit them all).
    const done = new Promise<Extract<WorkerEvent, { type: 'play.done' }>>((resolve) => this.playWaiters.set(playId, { link: endpoint.link, endpointId: endpoint.id, resolve }));
    try {
      await endpoint.link.request({ cmd: 'play.start', playId, endpointId: endpoint.id, source: src, mix: o.mix ?? false });
    } catch (err) {
      this.playWaiters.delete(playId);
      throw err;
    }
    return { id: playId, done, stop: () => endpoint.link.request({ cmd: 'play.stop', playId }).then(() => undefined) };
  }

  /**
   * Search a leg's received audio for in-band DTMF (Q.24, spandsp dtmf_rx in the worker);
   * digits come as `dtmf` events with source 'inband', de-duplicated against RFC 4733.
   */
  async setInbandDtmf(endpoint: MediaLeg, on: boolean): Promise<void> {
    await endpoint.link.request({ cmd: 'endpoint.inband-dtmf', endpointId: endpoint.id, on });
  }

  /** Send or receive a fax on a leg (T.30 over its G.711 audio); `done` resolves at the end. */
  async startFax(endpoint: MediaLeg, o: FaxJobOptions): Promise<FaxJob> {
    const faxId = this.id('fx');
    const done = new Promise<FaxDone>((resolve) => {
      const off = this.on('fax.done', (e) => {
        if (e.faxId !== faxId) return;
        off();
        resolve(e);
      });
    });
    await endpoint.link.request({
      cmd: 'fax.start',
      faxId,
      endpointId: endpoint.id,
      role: o.role ?? (o.direction === 'send' ? 'caller' : 'answerer'),
      direction: o.direction,
      file: o.file,
      ident: o.ident ?? '',
      modems: [...(o.modems ?? FaxModemNames)],
      ecm: o.ecm ?? true,
    });
    return { id: faxId, done, stop: () => endpoint.link.request({ cmd: 'fax.stop', faxId }).then(() => undefined) };
  }

  /** Tick statistics of every worker. */
  async workerStats(): Promise<TickStats[]> {
    return Promise.all(this.links.map((l) => l.request({ cmd: 'worker.stats' })));
  }

  /** @internal */
  waitRecording(recordingId: string, fn: (e: RecordingClosedEvent) => void): void {
    this.recordingWaiters.set(recordingId, fn);
  }

  /** @internal A recording started on `link`, to be settled if the worker dies. */
  trackRecording(recordingId: string, link: WorkerLink, path: string): void {
    this.live.set(recordingId, { recordingId, link, path });
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

  /** @internal */
  get ledger(): RecordingLedger | undefined {
    return this.opts.ledger;
  }

  private publishClosed(e: RecordingClosedEvent): void {
    this.emit('recording.file.closed', e);
    this.opts.bus?.publish('recording.file.closed', e);
  }

  private onWorkerEvent(e: WorkerEvent): void {
    switch (e.type) {
      case 'endpoint.dtmf': {
        const ev = { endpointId: e.endpointId, digit: e.digit as Digit, durationMs: e.durationMs, source: e.source ?? 'rfc4733' };
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
        this.playWaiters.get(e.playId)?.resolve(e);
        this.playWaiters.delete(e.playId);
        this.emit('play.done', e);
        return;
      case 'fax.page':
        this.emit('fax.page', { faxId: e.faxId, endpointId: e.endpointId, pages: e.pages });
        return;
      case 'fax.done': {
        const { type: _type, ...done } = e;
        this.emit('fax.done', done);
        return;
      }
      case 'recording.closed': {
        const { type: _type, ...closed } = e;
        this.live.delete(e.recordingId);
        try {
          this.opts.ledger?.closed(closed, this.opts.clock.now());
        } catch (err) {
          // The file is final and hashed on disk; settleLedger commits it at the next start.
          this.opts.log.error({ err, recordingId: e.recordingId, path: e.path }, 'recording row not committed');
        }
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
  /** The worker holding the leg died: its media is gone (engine.onWorkerCrash). */
  on(event: 'failed', fn: (e: EndpointFailure) => void): this;
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
    const stats = this.link.alive ? await this.link.request({ cmd: 'endpoint.close', endpointId: this.id }) : lostLegStats();
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
    // A bridge whose worker died is gone with it.
    if (this.link.alive) await this.link.request({ cmd: 'bridge.remove', bridgeId: this.id, endpointId: ep.id });
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
    const encoding = o.encoding ?? 'alaw';
    const startedAt = this.engine.clock.now();
    const started = await this.link.request({
      cmd: 'record.start',
      recordingId,
      bridgeId: this.id,
      callId: o.callId,
      dir,
      encoding,
      beep: o.beep ?? false,
      startedAt,
    });
    const ledger = this.engine.ledger;
    const legs = o.legs ?? [...this.members].filter(([, m]) => m.tap === null).map(([ep, m]) => ({ legId: ep.id, side: m.side }));
    const row = ledger ? { ledger, id: ledger.opened({ callId: o.callId, path: started.path, legs, encoding, startedAt }) } : null;
    this.engine.trackRecording(recordingId, this.link, started.path);
    return new Recording(recordingId, this.link, this.engine, started.path, row);
  }

  async destroy(): Promise<void> {
    if (this.link.alive) await this.link.request({ cmd: 'bridge.destroy', bridgeId: this.id });
    for (const ep of [...this.members.keys()]) this.forget(ep);
  }
}

export class Recording {
  private result: Promise<RecordingClosedEvent>;

  constructor(
    readonly id: string,
    private readonly link: WorkerLink,
    engine: MediaEngine,
    /** Where the file will be once closed. */
    readonly path: string,
    private readonly row: { ledger: RecordingLedger; id: string } | null = null,
  ) {
    this.result = new Promise((resolve) => engine.waitRecording(id, resolve));
  }

  /** The ledger row id, when the engine keeps a ledger. */
  get rowId(): string | null {
    return this.row?.id ?? null;
  }

  /** Resolves when the file is closed for whatever reason (stop, ENOSPC, bridge destroyed). */
  get closed(): Promise<RecordingClosedEvent> {
    return this.result;
  }

  /** Pause (silence is recorded and the span marked); the mark is in the ledger at once. */
  async pause(): Promise<void> {
    const r = await this.link.request({ cmd: 'record.pause', recordingId: this.id });
    this.row?.ledger.paused(this.row.id, r.atMs);
  }

  async resume(): Promise<void> {
    const r = await this.link.request({ cmd: 'record.resume', recordingId: this.id });
    this.row?.ledger.resumed(this.row.id, r.atMs);
  }

  async stop(): Promise<RecordingClosedEvent> {
    await this.link.request({ cmd: 'record.stop', recordingId: this.id });
    return this.result;
  }
}

export type { PauseMark };
