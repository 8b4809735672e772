/**
 * The agent desktop's call controls on real calls (issue 9 "call controls for the agent's own
 * phone through the appliance: hold, transfer to agent/queue/number, consult, conference, hang
 * up, DTMF, record pause/resume"): the control panel's CallControl port
 * (control-panel/live/ports.ts) over the B2BUA's calls. The agent's phone never sends anything:
 * the appliance anchors every leg, so it acts on the legs itself.
 *
 * The agent's leg is found from the agent id (extension, CallHandler.activeLegOf) and must be in
 * the call the desk names. Per call the desk's state follows this table (actions not listed in
 * a state are refused as `not-allowed`):
 *
 *   talking     hold → held · consult → consulting · transfer, hangup → (call leaves the desk)
 *   held        unhold → talking · consult → consulting · transfer, hangup → (leaves)
 *   consulting  complete → (attended transfer: caller + target, agent leaves) ·
 *               cancel-consult → talking · conference → conference · hangup → (leaves)
 *   conference  hangup → (agent leaves, caller and target stay bridged)
 *
 * plus dtmf / record-pause / record-resume in any state.
 *
 *  - Hold: the caller's leg leaves the call's media bridge (Call.detach: the agent is heard no
 *    more) and hears hold music, a tone melody from the media engine's player (HOLD_MUSIC);
 *    unhold stops it and bridges caller and agent again (Call.bridge; the recording goes on in
 *    the same file, recording-control.ts). Like a phone's own hold (call.ts), no re-INVITE goes
 *    to the caller. While held, a hang-up of either side clears the other.
 *  - Blind transfer (RFC 5589 §6 semantics as in transfer.ts, without the REFER): `to` is a
 *    number (an extension), `agent:<id>` (that agent's extension) or `queue:<id>`. The caller is
 *    held while the target rings; the target answering gets the caller and the agent's leg is
 *    cleared; busy / no answer gives the agent the caller back (§6.2). A queue transfer hands
 *    the caller's leg to the ACD (Enqueuer) and clears the agent's leg. The CDR lists the
 *    transfer (kind blind) and call.transfer.completed / failed are published.
 *  - Consult: the caller is held, the target is rung as a new leg of the same call, and agent
 *    and target talk on a consultation bridge of their own (so the target hanging up clears
 *    nobody). Complete joins caller and target and clears the agent (kind attended);
 *    cancel clears the target and gives the agent the caller back; conference puts all three
 *    on the call's bridge.
 *  - Hang up: the agent's leg is cleared with NORMAL_CLEARING (16); the call clears the caller
 *    with the same cause (B2BUA), which the CDR records.
 *  - DTMF: RFC 4733 events sent to the caller's leg through the media engine.
 *  - Record pause / resume: the call's recording (calls/recording-control.ts), paused span
 *    marked in the ledger.
 *
 * Outcomes are values: `{ ok: false, reason }` names why, nothing throws to the panel.
 */
import type { Channel, PartyNumber } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import type { Clock } from '../core/clock.js';
import { toAppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { Enqueuer } from '../ivr/ports.js';
import type { BridgeHandle, MediaEngine, Playback } from '../media/engine/media-engine.js';
import type { ToneSpec } from '../media/tones/tone-plan.js';
import { engineLegOf, type Call } from './call.js';
import type { CallRecordings } from './recording-control.js';
import type { CallAction, CallControl, CallControlResult } from '../../control-panel/live/ports.js';

/** Hold music: C–E–G arpeggio at a quiet level, repeated (a tone melody, no file needed). */
export const HOLD_MUSIC: ToneSpec = {
  segments: [
    { freqs: [523], ms: 300 },
    { freqs: [659], ms: 300 },
    { freqs: [784], ms: 300 },
    { freqs: [], ms: 300 },
  ],
  repeat: true,
  levelDbm0: -16,
};

export type DeskCallState = 'talking' | 'held' | 'consulting' | 'conference';

/** Actions that move the desk's state; the others (transfer, hangup, dtmf, record-*) are checked apart. */
const NEXT: Readonly<Record<DeskCallState, Partial<Record<CallAction, DeskCallState>>>> = {
  talking: { hold: 'held', consult: 'consulting' },
  held: { unhold: 'talking', consult: 'consulting' },
  consulting: { 'cancel-consult': 'talking', conference: 'conference', complete: 'talking' },
  conference: {},
};
/** Where a blind transfer (to a number, an agent or a queue) may start. */
const TRANSFER_FROM: readonly DeskCallState[] = ['talking', 'held'];

type DialResult = { outcome: 'answered'; channel: Channel } | { outcome: 'busy' | 'no-answer' | 'failed'; cause?: number };

/** What this needs of the call layer (CallHandler fits). */
export interface AgentCalls {
  extensionOf(agentId: string): string | null;
  activeLegOf(extension: string): { call: Call; leg: Channel } | null;
  dialExtension(call: Call, extension: string, o: { caller: PartyNumber; signal: AbortSignal; timeoutMs: number }): Promise<DialResult>;
}

export interface AgentCallControlDeps {
  clock: Clock;
  log: Logger;
  bus: Pick<EventBus, 'publish'>;
  calls: AgentCalls;
  engine: Pick<MediaEngine, 'play' | 'createBridge'>;
  /** Queue transfers (the ACD through the IVR's Enqueuer port). */
  enqueuer?: Enqueuer;
  recordings?: Pick<CallRecordings, 'pause' | 'resume'>;
  /** How long a transfer or consultation target rings (ms, default 20 s). */
  ringTimeoutMs?: number;
}

interface DeskCall {
  call: Call;
  agent: Channel;
  caller: Channel;
  state: DeskCallState;
  music: Playback | null;
  consult: { target: Channel; bridge: BridgeHandle } | null;
  /** An action in progress (one at a time per call). */
  busy: boolean;
  /** The desk let go of the call (transferred, hung up, over): the hang-up watchers stand down. */
  gone: boolean;
}

export class AgentCallControl implements CallControl {
  private readonly desk = new Map<string, DeskCall>();
  /** Callers handed to another party (transfer, queue, conference) whose agent leg is being cleared. */
  private readonly handedOver = new WeakSet<Channel>();
  private readonly log: Logger;

  constructor(private readonly deps: AgentCallControlDeps) {
    this.log = deps.log.child({ mod: 'calls.desk' });
  }

  /**
   * The ACD's `keepCaller` (acd.ts): when the agent's leg of a call ends, the ACD clears the
   * caller unless told to keep it — which it must when the desk handed the caller over. Asked
   * once per hand-over (a caller transferred to a queue is the ACD's again afterwards).
   */
  keepsCaller(caller: Channel): boolean {
    return this.handedOver.delete(caller);
  }

  /** The desk's state of a call (tests, the desk page). */
  stateOf(callId: string): DeskCallState | null {
    return this.desk.get(callId)?.state ?? null;
  }

  async act(req: { agentId: string; callId: string; action: CallAction; to?: string; digits?: string }): Promise<CallControlResult> {
    const d = this.find(req.agentId, req.callId);
    if (!d) return { ok: false, reason: 'no-call' };
    if (req.action === 'answer') return d.agent.level === 'connected' ? { ok: true } : { ok: false, reason: 'not-allowed', detail: 'answer on the phone (auto-answer)' };
    if (d.busy) return { ok: false, reason: 'not-allowed', detail: 'another action is in progress' };
    d.busy = true;
    try {
      const r = await this.run(d, req);
      this.log.info({ callId: d.call.id, agentId: req.agentId, action: req.action, ok: r.ok, state: d.state }, 'desk call control');
      return r;
    } catch (err) {
      this.log.warn({ callId: d.call.id, action: req.action, err: toAppError(err).message }, 'desk call control failed');
      return { ok: false, reason: 'failed', detail: toAppError(err).message };
    } finally {
      d.busy = false;
    }
  }

  private async run(d: DeskCall, req: { action: CallAction; to?: string; digits?: string }): Promise<CallControlResult> {
    const a = req.action;
    switch (a) {
      case 'hangup':
        await this.hangup(d);
        return { ok: true };
      case 'dtmf': {
        const digits = (req.digits ?? '').toUpperCase();
        if (!/^[0-9A-D*#]{1,32}$/.test(digits)) return { ok: false, reason: 'not-allowed', detail: 'digits' };
        await d.caller.media.sendDtmf(digits);
        return { ok: true };
      }
      case 'record-pause':
      case 'record-resume': {
        if (!this.deps.recordings) return { ok: false, reason: 'not-allowed', detail: 'no recording' };
        await (a === 'record-pause' ? this.deps.recordings.pause(d.call.id) : this.deps.recordings.resume(d.call.id));
        return { ok: true };
      }
      case 'transfer':
        if (!TRANSFER_FROM.includes(d.state)) return refused(d, a);
        return this.transfer(d, req.to ?? '');
      default:
        break;
    }
    const to = NEXT[d.state][a];
    if (!to) return refused(d, a);
    if (a === 'hold') await this.hold(d);
    else if (a === 'unhold') await this.resume(d);
    else if (a === 'consult') return this.consult(d, req.to ?? '');
    else if (a === 'cancel-consult') await this.cancelConsult(d);
    else if (a === 'conference') await this.conference(d);
    else if (a === 'complete') return this.complete(d);
    d.state = to;
    return { ok: true };
  }

  // ------------------------------------------------------------------ finding the call

  private find(agentId: string, callId: string): DeskCall | null {
    const known = this.desk.get(callId);
    if (known) return known.agent.level === 'terminated' ? null : known;
    const ext = this.deps.calls.extensionOf(agentId);
    const active = ext ? this.deps.calls.activeLegOf(ext) : null;
    if (!active || active.call.id !== callId) return null;
    const caller = active.call.partners(active.leg)[0];
    if (!caller) return null;
    const d: DeskCall = { call: active.call, agent: active.leg, caller, state: 'talking', music: null, consult: null, busy: false, gone: false };
    this.desk.set(callId, d);
    // While the desk holds the caller out of the bridge the call does not tie the two legs: do it here.
    d.agent.on('hangup', (info) => {
      if (d.gone) return;
      if (d.state === 'held' && d.caller.level !== 'terminated') void d.caller.hangup(info.cause);
      if (d.state === 'consulting') void this.endConsult(d, info.cause, true);
      this.forget(d);
    });
    d.caller.on('hangup', (info) => {
      if (d.gone) return;
      if (d.state === 'held' && d.agent.level !== 'terminated') void d.agent.hangup(info.cause);
      this.forget(d);
    });
    void d.call.cdr.then(() => this.forget(d));
    return d;
  }

  private forget(d: DeskCall): void {
    d.gone = true;
    void this.stopMusic(d);
    if (this.desk.get(d.call.id) === d) this.desk.delete(d.call.id);
  }

  // ------------------------------------------------------------------ hold

  private async hold(d: DeskCall): Promise<void> {
    await d.call.detach(d.caller);
    const leg = await engineLegOf(d.caller);
    if (leg) d.music = await this.deps.engine.play(leg, { tone: HOLD_MUSIC });
    this.deps.bus.publish('call.leg.held', { callId: d.call.id, legId: d.caller.id });
  }

  private async stopMusic(d: DeskCall): Promise<void> {
    const m = d.music;
    d.music = null;
    if (m) await m.stop().catch(() => undefined);
  }

  /** The caller back in the call's bridge with `with` (the agent, or a transfer's target). */
  private async rejoin(d: DeskCall, withLeg: Channel): Promise<void> {
    await this.stopMusic(d);
    await d.call.bridge(d.caller, withLeg);
    this.deps.bus.publish('call.leg.resumed', { callId: d.call.id, legId: d.caller.id });
  }

  private async resume(d: DeskCall): Promise<void> {
    await this.rejoin(d, d.agent);
  }

  // ------------------------------------------------------------------ transfer

  private async transfer(d: DeskCall, to: string): Promise<CallControlResult> {
    const target = parseTarget(to);
    if (!target) return { ok: false, reason: 'not-allowed', detail: 'transfer target' };
    if (target.kind === 'queue') return this.toQueue(d, target.id);
    const ext = target.kind === 'agent' ? this.deps.calls.extensionOf(target.id) : target.number;
    if (!ext) return { ok: false, reason: 'not-allowed', detail: 'unknown agent' };
    const wasHeld = d.state === 'held';
    if (!wasHeld) await this.hold(d);
    d.state = 'held';
    const r = await this.deps.calls.dialExtension(d.call, ext, { caller: partyOf(d.caller), signal: d.caller.ended, timeoutMs: this.deps.ringTimeoutMs ?? 20_000 });
    if (r.outcome !== 'answered' || d.caller.level === 'terminated') {
      if (r.outcome === 'answered') await r.channel.hangup(HangupCauses.NORMAL_CLEARING);
      const status = r.outcome === 'busy' ? 486 : r.outcome === 'no-answer' ? 480 : 404;
      this.failed(d, 'blind', to, status);
      // RFC 5589 §6.2: a failed transfer leaves the transferor with its call.
      if (d.caller.level !== 'terminated' && d.agent.level !== 'terminated' && !wasHeld) {
        await this.resume(d);
        d.state = 'talking';
      }
      return { ok: false, reason: 'failed', detail: r.outcome };
    }
    await d.call.detach(d.agent, { transferred: true });
    d.state = 'talking';
    await this.rejoin(d, r.channel);
    this.completed(d, 'blind', r.channel, to);
    await this.release(d);
    return { ok: true };
  }

  private async toQueue(d: DeskCall, queue: string): Promise<CallControlResult> {
    if (!this.deps.enqueuer) return { ok: false, reason: 'not-allowed', detail: 'no ACD' };
    const wasHeld = d.state === 'held';
    await this.stopMusic(d);
    if (!wasHeld) await d.call.detach(d.caller);
    const q = await this.deps.enqueuer.enqueue({ callId: d.call.id, channel: d.caller, queue, priority: 0, skills: [], vars: {} });
    if (q.outcome !== 'queued') {
      this.failed(d, 'blind', `queue:${queue}`, q.outcome === 'unknown-queue' ? 404 : 486);
      if (wasHeld) await this.hold(d);
      else await this.resume(d);
      return { ok: false, reason: 'failed', detail: q.outcome };
    }
    await d.call.detach(d.agent, { transferred: true });
    d.call.recordTransfer({ kind: 'blind', at: this.deps.clock.now(), transferorLegId: d.agent.id, transfereeLegId: d.caller.id, targetLegId: null, target: `queue:${queue}`, replacedCallId: null, outcome: 200 });
    await this.release(d);
    return { ok: true };
  }

  // ------------------------------------------------------------------ consult

  private async consult(d: DeskCall, to: string): Promise<CallControlResult> {
    const target = parseTarget(to);
    const ext = !target || target.kind === 'queue' ? null : target.kind === 'agent' ? this.deps.calls.extensionOf(target.id) : target.number;
    if (!ext) return { ok: false, reason: 'not-allowed', detail: 'consultation target' };
    const wasHeld = d.state === 'held';
    if (!wasHeld) await this.hold(d);
    d.state = 'held';
    const r = await this.deps.calls.dialExtension(d.call, ext, { caller: partyOf(d.agent), signal: d.agent.ended, timeoutMs: this.deps.ringTimeoutMs ?? 20_000 });
    if (r.outcome !== 'answered' || d.agent.level === 'terminated') {
      if (r.outcome === 'answered') await r.channel.hangup(HangupCauses.NORMAL_CLEARING);
      return { ok: false, reason: 'failed', detail: r.outcome };
    }
    // Agent and target talk on a bridge of their own: the call's bridge (now empty) keeps the caller's place.
    await d.call.detach(d.agent);
    const bridge = await this.deps.engine.createBridge({ affinity: d.call.id });
    const [a, t] = await Promise.all([engineLegOf(d.agent), engineLegOf(r.channel)]);
    if (!a || !t) throw new Error('consultation legs have no media');
    await bridge.add(a, { side: 'caller' });
    await bridge.add(t, { side: 'agent' });
    d.consult = { target: r.channel, bridge };
    d.state = 'consulting';
    r.channel.on('hangup', () => {
      // The target left during the consultation: back to the held caller.
      if (d.consult?.target === r.channel) void this.endConsult(d, HangupCauses.NORMAL_CLEARING, false);
    });
    return { ok: true };
  }

  /** Close the consultation bridge; the target is cleared unless `keepTarget`. */
  private async closeConsult(d: DeskCall, keepTarget: boolean): Promise<Channel | null> {
    const c = d.consult;
    d.consult = null;
    if (!c) return null;
    await c.bridge.destroy().catch(() => undefined);
    if (!keepTarget && c.target.level !== 'terminated') await c.target.hangup(HangupCauses.NORMAL_CLEARING);
    return c.target;
  }

  /** The consultation ended from outside (target or agent hung up). */
  private async endConsult(d: DeskCall, cause: number, agentGone: boolean): Promise<void> {
    await this.closeConsult(d, false);
    if (agentGone) {
      if (d.caller.level !== 'terminated') await d.caller.hangup(cause);
      return;
    }
    d.state = 'held';
  }

  private async cancelConsult(d: DeskCall): Promise<void> {
    await this.closeConsult(d, false);
    await this.resume(d);
  }

  private async complete(d: DeskCall): Promise<CallControlResult> {
    const target = await this.closeConsult(d, true);
    if (!target || target.level === 'terminated') return { ok: false, reason: 'failed', detail: 'consultation target gone' };
    await d.call.detach(d.agent, { transferred: true });
    await this.rejoin(d, target);
    this.completed(d, 'attended', target, target.called.number);
    await this.release(d);
    return { ok: true };
  }

  private async conference(d: DeskCall): Promise<void> {
    const target = await this.closeConsult(d, true);
    if (!target) throw new Error('no consultation to join');
    await this.stopMusic(d);
    await d.call.bridge(d.caller, d.agent);
    await d.call.bridge(d.agent, target);
  }

  // ------------------------------------------------------------------ hang up

  /** The agent leaves a call whose caller now talks with someone else: clear the agent's leg only. */
  private async release(d: DeskCall): Promise<void> {
    this.handedOver.add(d.caller);
    this.forget(d);
    await d.agent.hangup(HangupCauses.NORMAL_CLEARING);
  }

  private async hangup(d: DeskCall): Promise<void> {
    if (d.state === 'consulting') await this.closeConsult(d, false);
    if (d.state === 'conference') {
      // The agent leaves the conference; caller and target stay bridged.
      await d.call.detach(d.agent, { transferred: true });
      await this.release(d);
      return;
    }
    const held = d.state === 'held' || d.state === 'consulting';
    await this.stopMusic(d);
    this.forget(d);
    await d.agent.hangup(HangupCauses.NORMAL_CLEARING);
    if (held && d.caller.level !== 'terminated') await d.caller.hangup(HangupCauses.NORMAL_CLEARING);
  }

  // ------------------------------------------------------------------ CDR and events

  private completed(d: DeskCall, kind: 'blind' | 'attended', target: Channel, number: string): void {
    const t = { kind, transferorLegId: d.agent.id, transfereeLegId: d.caller.id, targetLegId: target.id, target: number, replacedCallId: null };
    d.call.recordTransfer({ ...t, at: this.deps.clock.now(), outcome: 200 });
    this.deps.bus.publish('call.transfer.completed', { callId: d.call.id, ...t });
  }

  private failed(d: DeskCall, kind: 'blind' | 'attended', to: string, status: number): void {
    d.call.recordTransfer({ kind, at: this.deps.clock.now(), transferorLegId: d.agent.id, transfereeLegId: d.caller.id, targetLegId: null, target: to, replacedCallId: null, outcome: status });
    this.deps.bus.publish('call.transfer.failed', { callId: d.call.id, kind, transferorLegId: d.agent.id, target: to, status });
  }
}

function refused(d: DeskCall, action: CallAction): CallControlResult {
  return { ok: false, reason: 'not-allowed', detail: `${action} while ${d.state}` };
}

export type TransferTarget = { kind: 'number'; number: string } | { kind: 'agent'; id: string } | { kind: 'queue'; id: string };

/** `queue:<id>`, `agent:<id>` or a dialable number (digits, * and #). */
export function parseTarget(to: string): TransferTarget | null {
  const s = to.trim();
  const m = /^(queue|agent):([A-Za-z0-9_.-]{1,64})$/.exec(s);
  if (m) return m[1] === 'queue' ? { kind: 'queue', id: m[2]! } : { kind: 'agent', id: m[2]! };
  return /^\+?[0-9*#]{1,32}$/.test(s) ? { kind: 'number', number: s } : null;
}

/** How a leg's party is presented to a transfer target (transfer.ts partyOf). */
function partyOf(ch: Channel): PartyNumber {
  return ch.direction === 'inbound' ? ch.caller : ch.called;
}
