/**
 * Everything one media worker does, without the thread: it owns RTP sessions, bridges,
 * players and recordings, answers commands (protocol.ts) and runs the 20 ms tick:
 *
 *   1. every leg pulls one frame from its jitter buffer (and does its housekeeping);
 *   2. every bridge mixes (byte path for two parties, linear mix otherwise), feeds its
 *      recordings (caller left, agent right) and, while a recording has the notice beep on,
 *      mixes the beep into what the parties hear;
 *   3. players replace or mix into what their leg hears;
 *   4. every leg sends its frame (or its telephone-event packets).
 *
 * RFC 4733 digits received on a bridged leg are relayed to the other parties as RFC 4733 (at
 * the end of the digit, with its duration) and reported as `endpoint.dtmf`. A leg with in-band
 * detection on (`endpoint.inband-dtmf`, dtmf/inband.ts) also has its received audio searched
 * for Q.23 tone pairs; a key a phone sends both ways is reported once (dtmf/dedup.ts). A fax
 * session (fax-session.ts) on a leg hears the leg's audio and replaces what it sends.
 * A leg is an RTP session or a TDM session (tdm-session.ts: an E1 B channel read from and
 * written to shared frame rings); digits relayed to a TDM leg are sent in-band.
 * worker-main.ts runs this in a worker thread with real sockets; tests run it directly.
 */
import type { Clock } from '../../core/clock.js';
import { AppError, ConflictError, NotFoundError, toAppError } from '../../core/errors.js';
import { ALAW_TO_ULAW, FRAME_SAMPLES, SILENCE_CODE } from '../codec/g711.js';
import { Bridge } from '../mixer/bridge.js';
import { CallRecording } from '../recorder/recorder.js';
import type { RecorderFs } from '../recorder/recorder-fs.js';
import { ToneGenerator } from '../tones/generator.js';
import { CHINA_TONE_PLAN } from '../tones/tone-plan.js';
import { DtmfDeduplicator } from '../dtmf/dedup.js';
import { InbandDtmf } from '../dtmf/inband.js';
import type { MediaDsp } from './dsp.js';
import { FaxSession } from './fax-session.js';
import { mixCodes, openSource, Player } from './player.js';
import type { Command, CommandResults, TickStats, WorkerEvent } from './protocol.js';
import { RtpSession } from './rtp-session.js';
import { TdmSession } from './tdm-session.js';
import { Ticker, type TickerOptions } from './ticker.js';
import type { SocketFactory } from './udp.js';

export interface WorkerCoreDeps {
  clock: Clock;
  sockets: SocketFactory;
  recorderFs: RecorderFs;
  emit: (e: WorkerEvent) => void;
  ticker?: TickerOptions;
  /** Event-loop utilization of the thread (performance.eventLoopUtilization in a worker). */
  loopLoad?: () => { activeMs: number; idleMs: number };
  /** DTMF receiver and fax terminal (spandsp); without it in-band DTMF and fax are refused. */
  dsp?: MediaDsp;
}

interface Leg {
  session: RtpSession | TdmSession;
  output: Uint8Array;
  bridgeId: string | null;
  inband?: { detector: InbandDtmf; dedup: DtmfDeduplicator } | undefined;
}

interface ActiveRecording {
  id: string;
  bridgeId: string;
  rec: CallRecording;
  beep: ToneGenerator | null;
  closing: Promise<CommandResults['record.stop']> | null;
  /** Monotonic ms when the recording began taking frames (its length is owed from here). */
  startMono: number;
  left: Uint8Array;
  right: Uint8Array;
  leftPcm: Int16Array;
  rightPcm: Int16Array;
}

export class WorkerCore {
  private readonly legs = new Map<string, Leg>();
  private readonly bridges = new Map<string, Bridge>();
  private readonly players = new Map<string, Player>();
  private readonly recordings = new Map<string, ActiveRecording>();
  private readonly faxes = new Map<string, FaxSession>();
  private readonly ticker: Ticker;
  private readonly beepFrame = new Uint8Array(FRAME_SAMPLES);

  constructor(private readonly deps: WorkerCoreDeps) {
    this.ticker = new Ticker(deps.clock, (now, skipped) => this.tick(now, skipped), deps.ticker);
  }

  start(): void {
    this.ticker.start();
  }

  stop(): void {
    this.ticker.stop();
  }

  get load(): number {
    return this.legs.size;
  }

  tickStats(): TickStats {
    const loop = this.deps.loopLoad?.() ?? { activeMs: 0, idleMs: 0 };
    return {
      ...this.ticker.stats,
      endpoints: this.legs.size,
      bridges: this.bridges.size,
      recordings: this.recordings.size,
      loopActiveMs: loop.activeMs,
      loopIdleMs: loop.idleMs,
    };
  }

  /** Run one command; resolves to its result (null for commands without one). */
  async handle(cmd: Command): Promise<unknown> {
    switch (cmd.cmd) {
      case 'endpoint.create':
        return this.createEndpoint(cmd);
      case 'endpoint.create-tdm':
        if (this.legs.has(cmd.endpointId)) throw new ConflictError(`endpoint ${cmd.endpointId} exists`);
        this.legs.set(cmd.endpointId, {
          session: new TdmSession({ id: cmd.endpointId, rx: cmd.rx, tx: cmd.tx, maxFill: cmd.maxFill }),
          output: new Uint8Array(FRAME_SAMPLES),
          bridgeId: null,
        });
        return null;
      case 'endpoint.remote': {
        const session = this.leg(cmd.endpointId).session;
        if (!(session instanceof RtpSession)) throw new ConflictError(`endpoint ${cmd.endpointId} is a TDM leg: it has no RTP remote`);
        session.setRemote(cmd.remote);
        return null;
      }
      case 'endpoint.dtmf':
        this.leg(cmd.endpointId).session.sendDtmf(cmd.digits, cmd.durationMs);
        return null;
      case 'endpoint.close':
        return this.closeEndpoint(cmd.endpointId);
      case 'endpoint.inband-dtmf':
        this.setInband(cmd.endpointId, cmd.on);
        return null;
      case 'fax.start':
        this.startFax(cmd);
        return null;
      case 'fax.stop':
        this.endFax(cmd.faxId, 'stopped');
        return null;
      case 'bridge.create':
        if (this.bridges.has(cmd.bridgeId)) throw new ConflictError(`bridge ${cmd.bridgeId} exists`);
        this.bridges.set(cmd.bridgeId, new Bridge(cmd.bridgeId, { echo: cmd.echo ?? false }));
        return null;
      case 'bridge.add': {
        const b = this.bridge(cmd.bridgeId);
        const leg = this.leg(cmd.endpointId);
        if (leg.bridgeId !== null) throw new ConflictError(`endpoint ${cmd.endpointId} is already in bridge ${leg.bridgeId}`);
        b.add(cmd.endpointId, leg.session.law, cmd.side);
        leg.bridgeId = b.id;
        return null;
      }
      case 'bridge.remove': {
        const leg = this.leg(cmd.endpointId);
        if (this.bridge(cmd.bridgeId).remove(cmd.endpointId)) leg.bridgeId = null;
        return null;
      }
      case 'bridge.tap':
        this.bridge(cmd.bridgeId).setTap(cmd.endpointId, cmd.tap);
        return null;
      case 'bridge.destroy':
        await this.destroyBridge(cmd.bridgeId);
        return null;
      case 'play.start': {
        const leg = this.leg(cmd.endpointId);
        if (this.players.has(cmd.playId)) throw new ConflictError(`play ${cmd.playId} exists`);
        const source = openSource(cmd.source, leg.session.law);
        this.players.set(cmd.playId, new Player(cmd.playId, cmd.endpointId, source, cmd.mix, leg.session.law));
        return null;
      }
      case 'play.stop':
        this.endPlay(cmd.playId, 'stopped');
        return null;
      case 'record.start':
        return this.startRecording(cmd);
      case 'record.pause': {
        const r = this.recording(cmd.recordingId).rec;
        r.pause();
        return { atMs: r.durationMs };
      }
      case 'record.resume': {
        const r = this.recording(cmd.recordingId).rec;
        r.resume();
        return { atMs: r.durationMs };
      }
      case 'record.stop':
        return this.stopRecording(this.recording(cmd.recordingId));
      case 'worker.stats':
        return this.tickStats();
    }
  }

  private leg(id: string): Leg {
    const l = this.legs.get(id);
    if (!l) throw new NotFoundError('endpoint', id);
    return l;
  }

  private bridge(id: string): Bridge {
    const b = this.bridges.get(id);
    if (!b) throw new NotFoundError('bridge', id);
    return b;
  }

  private recording(id: string): ActiveRecording {
    const r = this.recordings.get(id);
    if (!r) throw new NotFoundError('recording', id);
    return r;
  }

  private async createEndpoint(cmd: Extract<Command, { cmd: 'endpoint.create' }>): Promise<CommandResults['endpoint.create']> {
    if (this.legs.has(cmd.endpointId)) throw new ConflictError(`endpoint ${cmd.endpointId} exists`);
    let session: RtpSession | null = null;
    const pair = await this.deps.sockets.bindPair({
      onRtp: (buf, from) => session?.onRtp(buf, from, this.deps.clock.monotonic()),
      onRtcp: (buf, from) => session?.onRtcp(buf, from, this.deps.clock.monotonic()),
    });
    session = new RtpSession(
      {
        id: cmd.endpointId,
        codec: cmd.codec,
        telephoneEventPt: cmd.telephoneEventPt,
        remote: cmd.remote,
        rtpTimeoutMs: cmd.rtpTimeoutMs,
        wallNow: () => this.deps.clock.now(),
        emit: (e) => this.onSessionEvent(e),
      },
      pair.rtp,
      pair.rtcp,
      this.deps.clock.monotonic(),
    );
    this.legs.set(cmd.endpointId, { session, output: new Uint8Array(FRAME_SAMPLES), bridgeId: null });
    if (cmd.inbandDtmf) this.setInband(cmd.endpointId, true);
    return { localAddress: pair.address, localPort: pair.port };
  }

  private dsp(what: string): MediaDsp {
    if (!this.deps.dsp) throw new ConflictError(`${what} needs the DSP library, which this worker was started without`);
    return this.deps.dsp;
  }

  private setInband(endpointId: string, on: boolean): void {
    const leg = this.leg(endpointId);
    if (!on) {
      leg.inband?.detector.close();
      leg.inband = undefined;
      return;
    }
    if (leg.inband) return;
    const detector = new InbandDtmf(leg.session.law, this.dsp('in-band DTMF').dtmfDetector, (digit) =>
      this.onSessionEvent({ type: 'endpoint.dtmf', endpointId, digit, durationMs: 0, source: 'inband' }),
    );
    leg.inband = { detector, dedup: new DtmfDeduplicator() };
  }

  private startFax(cmd: Extract<Command, { cmd: 'fax.start' }>): void {
    const leg = this.leg(cmd.endpointId);
    if (this.faxes.has(cmd.faxId)) throw new ConflictError(`fax ${cmd.faxId} exists`);
    for (const f of this.faxes.values()) if (f.endpointId === cmd.endpointId) throw new ConflictError(`endpoint ${cmd.endpointId} already has fax ${f.id}`);
    const terminal = this.dsp('fax').faxTerminal({
      role: cmd.role,
      direction: cmd.direction,
      file: cmd.file,
      ident: cmd.ident,
      modems: cmd.modems,
      ecm: cmd.ecm,
    });
    const session = new FaxSession(cmd.faxId, cmd.endpointId, leg.session.law, terminal, { direction: cmd.direction }, (pages) =>
      this.deps.emit({ type: 'fax.page', faxId: cmd.faxId, endpointId: cmd.endpointId, pages }),
    );
    this.faxes.set(cmd.faxId, session);
  }

  private endFax(faxId: string, reason: 'stopped' | 'endpoint-closed' | null): void {
    const f = this.faxes.get(faxId);
    if (!f) return;
    const r = reason ? f.stop(reason) : f.done;
    if (!r) return;
    this.faxes.delete(faxId);
    this.deps.emit({ type: 'fax.done', faxId, endpointId: f.endpointId, ...r });
  }

  /** Session events go out; a received digit is also relayed to the other bridge parties. */
  private onSessionEvent(e: WorkerEvent): void {
    if (e.type === 'endpoint.dtmf') {
      const leg = this.legs.get(e.endpointId);
      if (leg?.inband && !leg.inband.dedup.accept(e.digit, e.source ?? 'rfc4733', this.deps.clock.monotonic())) return;
      // An in-band digit already reaches the other parties as audio; only RFC 4733 is relayed.
      const b = leg?.bridgeId && e.source !== 'inband' ? this.bridges.get(leg.bridgeId) : undefined;
      for (const m of b?.members ?? []) {
        if (m.id === e.endpointId || m.tap !== null) continue;
        this.legs.get(m.id)?.session.sendDtmf([e.digit], Math.max(40, Math.round(e.durationMs)));
      }
    }
    this.deps.emit(e);
  }

  private closeEndpoint(id: string): CommandResults['endpoint.close'] {
    const leg = this.leg(id);
    if (leg.bridgeId !== null) this.bridges.get(leg.bridgeId)?.remove(id);
    for (const p of [...this.players.values()]) if (p.endpointId === id) this.endPlay(p.id, 'endpoint-closed');
    for (const f of [...this.faxes.values()]) if (f.endpointId === id) this.endFax(f.id, 'endpoint-closed');
    leg.inband?.detector.close();
    this.legs.delete(id);
    const stats = leg.session.stats();
    leg.session.close();
    return stats;
  }

  private async destroyBridge(id: string): Promise<void> {
    const b = this.bridge(id);
    for (const r of [...this.recordings.values()]) if (r.bridgeId === id) await this.stopRecording(r);
    for (const m of b.members) {
      const leg = this.legs.get(m.id);
      if (leg) leg.bridgeId = null;
    }
    this.bridges.delete(id);
  }

  private endPlay(playId: string, reason: 'finished' | 'stopped' | 'error' | 'endpoint-closed', error: string | null = null): void {
    const p = this.players.get(playId);
    if (!p) return;
    this.players.delete(playId);
    this.deps.emit({ type: 'play.done', playId, endpointId: p.endpointId, reason, error });
  }

  private async startRecording(cmd: Extract<Command, { cmd: 'record.start' }>): Promise<CommandResults['record.start']> {
    this.bridge(cmd.bridgeId);
    if (this.recordings.has(cmd.recordingId)) throw new ConflictError(`recording ${cmd.recordingId} exists`);
    const rec = new CallRecording({ dir: cmd.dir, callId: cmd.callId, encoding: cmd.encoding, startedAt: cmd.startedAt, fs: this.deps.recorderFs });
    await rec.start();
    this.recordings.set(cmd.recordingId, {
      id: cmd.recordingId,
      bridgeId: cmd.bridgeId,
      rec,
      beep: cmd.beep ? new ToneGenerator(CHINA_TONE_PLAN.tones['record-beep'], 'PCMA') : null,
      closing: null,
      startMono: this.deps.clock.monotonic(),
      left: new Uint8Array(FRAME_SAMPLES),
      right: new Uint8Array(FRAME_SAMPLES),
      leftPcm: new Int16Array(FRAME_SAMPLES),
      rightPcm: new Int16Array(FRAME_SAMPLES),
    });
    return { path: rec.finalPath };
  }

  /** Finalize a recording once (a stop command and a write failure may race). */
  private stopRecording(r: ActiveRecording): Promise<CommandResults['record.stop']> {
    if (r.closing) return r.closing;
    this.ticker.runDue();
    this.padOwed(r);
    r.closing = (async () => {
      try {
        const closed = await r.rec.stop();
        const event = { recordingId: r.id, ...closed };
        this.deps.emit({ type: 'recording.closed', ...event });
        return event;
      } finally {
        this.recordings.delete(r.id);
      }
    })();
    return r.closing;
  }

  private onRecordingFailed(r: ActiveRecording, reason: string): void {
    this.deps.emit({ type: 'recording.alarm', recordingId: r.id, callId: r.rec.callId, reason, dir: r.rec.finalPath });
    this.stopRecording(r).catch((err: unknown) => {
      this.deps.emit({ type: 'log', level: 'error', msg: 'recording finalize failed', fields: { recordingId: r.id, err: toAppError(err).message } });
    });
  }

  /** One 20 ms media tick; `skipped` ticks were given up before it (recordings pad silence). */
  tick(nowMs: number, skipped = 0): void {
    if (skipped > 0) this.padRecordings(skipped, nowMs);
    for (const leg of this.legs.values()) {
      leg.session.pull();
      leg.inband?.detector.push(leg.session.input);
      leg.session.housekeeping(nowMs);
      leg.output.fill(SILENCE_CODE[leg.session.law]);
    }
    for (const b of this.bridges.values()) this.mixBridge(b, nowMs);
    for (const p of this.players.values()) {
      const leg = this.legs.get(p.endpointId);
      if (!leg) continue;
      if (!p.apply(leg.output)) this.endPlay(p.id, 'finished');
    }
    for (const f of this.faxes.values()) {
      const leg = this.legs.get(f.endpointId);
      if (!leg) continue;
      f.step(leg.session.input, leg.output);
      if (f.done) this.endFax(f.id, null);
    }
    for (const leg of this.legs.values()) leg.session.send(leg.output);
  }

  /**
   * Ticks given up before the one at `deadline`: deadline − k·20 ms for k = 1..skipped. Each
   * recording gets a silent frame for those after its start (a tick's frame is the 20 ms up to
   * its deadline, so a recording takes the frames of deadlines after it began).
   */
  private padRecordings(skipped: number, deadline: number): void {
    for (const r of this.recordings.values()) {
      if (r.closing) continue;
      const after = Math.ceil((deadline - r.startMono) / FRAME_MS) - 1;
      padSilence(r.rec, Math.max(0, Math.min(skipped, after)));
    }
  }

  /**
   * A stop that arrives while the worker is behind (its tick timer late) would close the file
   * short of the time the recording ran: the overdue ticks are run first (runDue), and what is
   * still owed (less than a period, or a stall beyond catch-up) is written as silence, so a
   * recording's length is the wall time from its start to its stop.
   */
  private padOwed(r: ActiveRecording): void {
    const owed = Math.floor((this.deps.clock.monotonic() - r.startMono) / FRAME_MS) - Math.round(r.rec.durationMs / FRAME_MS);
    if (owed > 0 && r.rec.isRecording) padSilence(r.rec, owed);
  }

  private mixBridge(b: Bridge, deadline: number): void {
    const members = b.members;
    if (members.length === 0) return;
    for (const m of members) {
      const leg = this.legs.get(m.id);
      if (leg) m.input.set(leg.session.input);
    }
    b.mix();
    let beep: Uint8Array | null = null;
    for (const r of this.recordings.values()) {
      // A late worker catching up runs ticks whose frames precede the recording's start.
      if (r.bridgeId !== b.id || r.closing || deadline <= r.startMono) continue;
      if (r.rec.failed) {
        this.onRecordingFailed(r, r.rec.failed);
        continue;
      }
      if (r.rec.encoding === 'alaw') r.rec.pushAlaw(b.sideCodes('caller', 'PCMA', r.left), b.sideCodes('agent', 'PCMA', r.right));
      else r.rec.pushLinear(b.sideLinear('caller', r.leftPcm), b.sideLinear('agent', r.rightPcm));
      if (r.beep && !beep) beep = r.beep.nextFrame(this.beepFrame);
    }
    for (const m of members) {
      const leg = this.legs.get(m.id);
      if (!leg) continue;
      leg.output.set(m.output);
      if (beep && m.tap === null) {
        const codes = leg.session.law === 'PCMA' ? beep : transcodeBeep(beep);
        mixCodes(leg.session.law, leg.output, codes);
      }
    }
  }

  /** Close everything (shutdown): recordings are finalized, sockets closed. */
  async shutdown(): Promise<void> {
    this.stop();
    for (const r of [...this.recordings.values()]) await this.stopRecording(r).catch(() => undefined);
    for (const id of [...this.faxes.keys()]) this.endFax(id, 'stopped');
    for (const id of [...this.legs.keys()]) this.closeEndpoint(id);
  }

  /** Map any thrown value to the reply's error. */
  static errorOf(err: unknown): { code: string; message: string } {
    const e = err instanceof AppError ? err : toAppError(err);
    return { code: e.code, message: e.message };
  }
}

/** One G.711 frame: 160 samples at 8 kHz. */
const FRAME_MS = 20;
const SILENT_A = new Uint8Array(FRAME_SAMPLES).fill(SILENCE_CODE.PCMA);
const SILENT_L = new Int16Array(FRAME_SAMPLES);

function padSilence(rec: CallRecording, frames: number): void {
  for (let i = 0; i < frames; i++) {
    if (rec.encoding === 'alaw') rec.pushAlaw(SILENT_A, SILENT_A);
    else rec.pushLinear(SILENT_L, SILENT_L);
  }
}

const beepU = new Uint8Array(FRAME_SAMPLES);
function transcodeBeep(alaw: Uint8Array): Uint8Array {
  for (let i = 0; i < FRAME_SAMPLES; i++) beepU[i] = ALAW_TO_ULAW[alaw[i] as number] as number;
  return beepU;
}
