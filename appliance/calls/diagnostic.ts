/**
 * Diagnostic lines: dialplan targets (`{ kind: 'diagnostic', mode, holdMs }`, dialplan.ts) that
 * answer and exercise one part of the appliance, for load tests (bench/sip-cps, bench/media,
 * issues 3 and 4 benchmarks) and for an operator checking a trunk — Asterisk's
 * `Answer() / Wait() / Hangup()`, `Echo()` and `MixMonitor` + `Echo()` as dialplan targets.
 *
 *   answer-hangup   answer, hold `holdMs`, hang up (Q.850 16): signalling only (the issue 3 CPS
 *                   scenario: "the appliance answers, wait 1 s, hang up");
 *   answer-silence  the same, the engine sending silence on the leg;
 *   echo            answer and send the caller's audio back (an echo bridge in the media
 *                   engine: the lone member hears itself);
 *   echo-record     echo, and record the call through the engine's recorder (stereo WAV,
 *                   caller left) — the issue 4 media scenario ("answers, records and echoes").
 *
 * `holdMs` 0 holds until the caller hangs up. The echo bridge and the recording are set up before
 * the answer and stopped before the line hangs up (or once the caller has), so the recording
 * covers the whole time the caller was connected. A line that cannot get its media is refused
 * (Q.850 41) without being answered.
 */
import { HangupCauses } from '../channel/q850.js';
import type { CallLevel } from '../channel/channel.js';
import type { Clock } from '../core/clock.js';
import { toAppError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { BridgeHandle, MediaEngine, MediaLeg, Recording, RecordingClosedEvent } from '../media/engine/media-engine.js';
import type { DiagnosticMode } from './dialplan.js';

/** What a diagnostic line needs of the caller's leg (any Channel fits). */
export interface DiagnosticLeg {
  readonly level: CallLevel;
  readonly ended: AbortSignal;
  answer(): Promise<void>;
  hangup(cause?: number): Promise<void>;
}

export interface DiagnosticDeps {
  clock: Clock;
  log: Logger;
  engine: Pick<MediaEngine, 'createBridge'>;
}

export interface DiagnosticTarget {
  mode: DiagnosticMode;
  holdMs: number;
}

export interface DiagnosticResult {
  /** `held`: the line hung up after holdMs; `caller-hungup`: the caller left first. */
  outcome: 'held' | 'caller-hungup' | 'failed';
  recording: RecordingClosedEvent | null;
  reason?: string;
}

/** Run a diagnostic line on an inbound leg; resolves once the leg is down (and the recording closed). */
export async function runDiagnostic(
  leg: DiagnosticLeg,
  target: DiagnosticTarget,
  o: { callId: string; /** The leg's engine endpoint (the echo lines need one). */ media: MediaLeg | null },
  deps: DiagnosticDeps,
): Promise<DiagnosticResult> {
  if (ended(leg)) return { outcome: 'caller-hungup', recording: null };
  let bridge: BridgeHandle | null = null;
  let rec: Recording | null = null;
  if (target.mode === 'echo' || target.mode === 'echo-record') {
    try {
      if (!o.media) throw new Error('the leg has no media endpoint');
      bridge = await deps.engine.createBridge({ affinity: o.callId, echo: true });
      await bridge.add(o.media, { side: 'caller' });
      if (target.mode === 'echo-record') rec = await bridge.record({ callId: o.callId, encoding: 'alaw' });
    } catch (err) {
      const reason = toAppError(err).message;
      deps.log.warn({ callId: o.callId, mode: target.mode, reason }, 'diagnostic line failed');
      const recording = await finish(bridge, rec);
      if (!ended(leg)) await leg.hangup(HangupCauses.TEMPORARY_FAILURE);
      return { outcome: 'failed', recording, reason };
    }
  }
  // Media first, then the answer: the recording covers the whole connected time.
  if (ended(leg)) {
    const recording = await finish(bridge, rec);
    return { outcome: 'caller-hungup', recording };
  }
  await leg.answer();
  const outcome = await hold(leg.ended, target.holdMs, deps.clock);
  const recording = await finish(bridge, rec);
  if (!ended(leg)) await leg.hangup(HangupCauses.NORMAL_CLEARING);
  return { outcome, recording };
}

/** Read through a function: TypeScript narrows `level` after the first check and would not see it change. */
function ended(leg: DiagnosticLeg): boolean {
  return leg.level === 'terminated';
}

/** Wait until the caller hangs up or `holdMs` passes (0 = no limit). */
function hold(ended: AbortSignal, holdMs: number, clock: Clock): Promise<'held' | 'caller-hungup'> {
  if (ended.aborted) return Promise.resolve('caller-hungup');
  return new Promise((resolve) => {
    const timer = holdMs > 0 ? clock.setTimeout(() => done('held'), holdMs) : null;
    const onEnded = (): void => done('caller-hungup');
    function done(r: 'held' | 'caller-hungup'): void {
      timer?.cancel();
      ended.removeEventListener('abort', onEnded);
      resolve(r);
    }
    ended.addEventListener('abort', onEnded, { once: true });
  });
}

/** Stop the recording (its file closed and hashed), then drop the echo bridge. */
async function finish(bridge: BridgeHandle | null, rec: Recording | null): Promise<RecordingClosedEvent | null> {
  const closed = rec ? await rec.stop().catch(() => rec.closed) : null;
  if (bridge) await bridge.destroy().catch(() => undefined);
  return closed;
}
