/**
 * Call recording by policy (issue 4 "Recording": "every call by policy (all / per queue / on
 * demand) ... pause/resume on command (for sensitive data such as ID numbers) with the paused
 * span marked, optional beep"). Call control tells it when a call's caller and agent are
 * bridged (Call.bridge → `bridged`); it asks the policy (media/recorder/policy.ts) and starts
 * the recording on the call's media bridge (stereo: caller left, agent right), or keeps the
 * bridge so someone can start it on demand. Pause and resume go to the engine, which writes
 * silence for the span and keeps the mark in the ledger row.
 *
 * One recording per call: a transfer that bridges the call again keeps recording the same
 * file. A failure to record never fails the call: it is logged, and the engine's alarm
 * (recording.alarm.raised) says why.
 */
import { ConflictError, NotFoundError, toAppError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { BridgeHandle, Recording } from '../media/engine/media-engine.js';
import { decideRecording, RecordingPolicySchema, type RecordingDecision, type RecordingPolicy } from '../media/recorder/policy.js';
import type { RecordingEncoding } from '../media/recorder/recorder.js';

/** The `recording` section of the appliance config (core/config.ts). */
export interface RecordingConfig {
  mode: RecordingPolicy['mode'];
  /** per-queue: the queues whose calls are recorded (others can be recorded on demand). */
  queues: readonly string[];
  format: RecordingEncoding;
  beep: boolean;
}

/** The policy a config section means: per-queue records the listed queues, the rest on demand. */
export function policyFromConfig(c: RecordingConfig): RecordingPolicy {
  return RecordingPolicySchema.parse({
    mode: c.mode,
    queues: Object.fromEntries(c.queues.map((q) => [q, 'always'])),
    defaultRule: 'on-demand',
    outsideQueues: 'on-demand',
    encoding: c.format,
    beep: c.beep,
  });
}

/** What a call looks like to the recorder. */
export interface RecordableCall {
  readonly id: string;
  readonly route: { kind: string; target: string } | null;
  /** Resolves when the call is over. */
  readonly cdr: Promise<unknown>;
}

/** Admission of new recordings (recording-volume.ts): null = go ahead, else why not. */
export type RecordingGate = () => string | null;

export interface CallRecordingsDeps {
  policy: RecordingPolicy;
  log: Logger;
  /** Where files go (default: the engine's recordings folder). */
  dir?: string;
  gate?: RecordingGate;
}

export interface CallRecordingState {
  callId: string;
  decision: RecordingDecision['action'];
  because: string;
  recording: boolean;
  paused: boolean;
  /** The ledger row of the recording, when one is running. */
  recordingId: string | null;
}

interface Entry {
  call: RecordableCall;
  bridge: BridgeHandle;
  decision: RecordingDecision;
  rec: Recording | null;
  paused: boolean;
  starting: Promise<void> | null;
}

export class CallRecordings {
  private readonly calls = new Map<string, Entry>();

  constructor(private readonly deps: CallRecordingsDeps) {}

  /** Call.bridge hook: caller and agent are on `bridge`. Never throws. */
  async bridged(call: RecordableCall, bridge: BridgeHandle): Promise<void> {
    const known = this.calls.get(call.id);
    if (known) {
      known.bridge = bridge;
      return;
    }
    const queueId = call.route?.kind === 'queue' ? call.route.target : null;
    const decision = decideRecording(this.deps.policy, { queueId });
    const entry: Entry = { call, bridge, decision, rec: null, paused: false, starting: null };
    this.calls.set(call.id, entry);
    void call.cdr.then(() => this.calls.delete(call.id));
    if (decision.action !== 'start') {
      this.deps.log.info({ callId: call.id, action: decision.action, because: decision.because }, 'call not recorded by policy');
      return;
    }
    await this.begin(entry).catch((err: unknown) => this.deps.log.error({ callId: call.id, err: toAppError(err).message }, 'recording did not start'));
  }

  /** Start recording a call now (on demand). */
  async start(callId: string): Promise<CallRecordingState> {
    const e = this.entry(callId);
    if (e.decision.action === 'skip') throw new ConflictError(`call ${callId} must not be recorded (${e.decision.because})`);
    if (!e.rec) await this.begin(e);
    return this.state(e);
  }

  async stop(callId: string): Promise<CallRecordingState> {
    const e = this.entry(callId);
    const rec = this.running(e);
    e.rec = null;
    e.paused = false;
    await rec.stop();
    return this.state(e);
  }

  /** Pause: silence is recorded from now and the span is marked in the row. */
  async pause(callId: string): Promise<CallRecordingState> {
    const e = this.entry(callId);
    await this.running(e).pause();
    e.paused = true;
    return this.state(e);
  }

  async resume(callId: string): Promise<CallRecordingState> {
    const e = this.entry(callId);
    await this.running(e).resume();
    e.paused = false;
    return this.state(e);
  }

  /** The recording state of a live call, or null when the call is not (or no longer) bridged. */
  get(callId: string): CallRecordingState | null {
    const e = this.calls.get(callId);
    return e ? this.state(e) : null;
  }

  private entry(callId: string): Entry {
    const e = this.calls.get(callId);
    if (!e) throw new NotFoundError('bridged call', callId);
    return e;
  }

  private running(e: Entry): Recording {
    if (!e.rec) throw new ConflictError(`call ${e.call.id} is not being recorded`);
    return e.rec;
  }

  private begin(e: Entry): Promise<void> {
    e.starting ??= (async () => {
      const refused = this.deps.gate?.() ?? null;
      if (refused) throw new ConflictError(`recording refused: ${refused}`);
      const rec = await e.bridge.record({
        callId: e.call.id,
        encoding: e.decision.encoding,
        beep: e.decision.beep,
        ...(this.deps.dir ? { dir: this.deps.dir } : {}),
      });
      e.rec = rec;
      this.deps.log.info({ callId: e.call.id, recordingId: rec.rowId, because: e.decision.because }, 'recording started');
      void rec.closed.then(() => {
        if (e.rec === rec) {
          e.rec = null;
          e.paused = false;
        }
      });
    })().finally(() => (e.starting = null));
    return e.starting;
  }

  private state(e: Entry): CallRecordingState {
    return {
      callId: e.call.id,
      decision: e.decision.action,
      because: e.decision.because,
      recording: e.rec !== null,
      paused: e.paused,
      recordingId: e.rec?.rowId ?? null,
    };
  }
}
