/**
 * Supervisor monitoring of an agent's call (issue 6 "Supervision: listen / whisper / barge on
 * any agent's call (via media-engine taps) … every monitoring session is audited"), the
 * FreeSWITCH eavesdrop / Asterisk ChanSpy position: the supervisor's phone is called as a new
 * leg of the agent's call (so its media shares the call's worker), and once answered it is put
 * on the call's bridge as a tap (Call.tap, media/mixer/mixer.ts hearing rules):
 *
 *   listen   the supervisor hears caller and agent; nobody hears the supervisor
 *   whisper  the supervisor hears both; only the agent hears the supervisor
 *   barge    everyone hears everyone
 *
 * A supervisor may also come in from their own phone (a monitoring feature code,
 * monitor-codes.ts): `attach` taps that already-answered leg in the same way, without ringing.
 *
 * The mode can be switched mid-call (also while the supervisor's phone still rings). A session
 * ends when the supervisor hangs up, `stop` is called, or the monitored call ends (Call clears
 * its taps). Each start, switch and end is a `call.monitor.*` event; the REST routes
 * (acd/monitor-routes.ts) write the audit log.
 *
 * Session life (STYLE.md "State machines"): ringing → active → ended ; ringing → ended.
 */
import type { Channel, PartyNumber } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import type { Clock } from '../core/clock.js';
import { ConflictError, InvalidTransitionError, NotFoundError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import type { TapMode } from '../media/mixer/mixer.js';
import type { SipChannel } from '../channel/sip-channel.js';
import type { Call } from './call.js';

export type MonitorMode = TapMode;

/** How long an answered supervisor waits for the agent's leg to join the bridge. */
const BRIDGE_WAIT_MS = 5_000;
export type MonitorState = 'ringing' | 'active' | 'ended';

export const monitorTransitions: { readonly [S in MonitorState]: readonly MonitorState[] } = {
  ringing: ['active', 'ended'],
  active: ['ended'],
  ended: [],
};

declare module '../core/events.js' {
  interface EventMap {
    'call.monitor.started': { sessionId: string; callId: string; agentId: string; supervisor: string; mode: MonitorMode };
    'call.monitor.changed': { sessionId: string; callId: string; from: MonitorMode; to: MonitorMode };
    'call.monitor.ended': { sessionId: string; callId: string; why: 'stopped' | 'supervisor-hung-up' | 'call-ended' | 'no-answer' | 'failed' };
  }
}

export interface MonitorSession {
  id: string;
  supervisor: string;
  agentId: string;
  agentExtension: string;
  callId: string;
  mode: MonitorMode;
  state: MonitorState;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  endReason: string | null;
}

/** What monitoring needs of the call layer (CallHandler implements it). */
export interface MonitorCalls {
  /** The extension an agent's calls ring. */
  extensionOf(agentId: string): string | null;
  /** The bridged, answered leg of this extension and its call, or null. */
  activeLegOf(extension: string): { call: Call; leg: Channel } | null;
  dialExtension(
    call: Call,
    extension: string,
    o: { caller: PartyNumber; signal: AbortSignal; timeoutMs: number },
  ): Promise<{ outcome: 'answered'; channel: Channel } | { outcome: 'busy' | 'no-answer' | 'failed'; cause: number }>;
}

type EndWhy = 'stopped' | 'supervisor-hung-up' | 'call-ended' | 'no-answer' | 'failed';

/**
 * The supervisor's leg and the agent's must mix on one media worker: when the supervisor's
 * endpoint sits on another (a leg of its own call, placed by its own affinity), it is re-anchored
 * on the call's worker by re-INVITE (SipChannel.moveMedia), as an attended transfer does.
 */
async function sameWorker(call: Call, agent: Channel, leg: Channel): Promise<boolean> {
  const a = call.mediaOf(agent) as { link?: unknown } | null;
  const sip = leg as Partial<SipChannel>;
  const b = sip.rtp as { link?: unknown } | null | undefined;
  if (!a || !b || a.link === b.link) return true;
  return typeof sip.moveMedia === 'function' ? sip.moveMedia(call.id) : false;
}

/** Read through a function: the state changes under await (TypeScript would keep a narrowing). */
function over(rt: SessionRt): boolean {
  return rt.s.state === 'ended' || rt.agentLeg.level === 'terminated';
}

interface SessionRt {
  s: MonitorSession;
  call: Call;
  agentLeg: Channel;
  supLeg: Channel | null;
  ring: AbortController;
}

export class Monitor {
  private readonly sessions = new Map<string, SessionRt>();
  private readonly log: Logger;

  constructor(
    private readonly deps: { clock: Clock; bus: Pick<EventBus, 'publish'>; log: Logger; calls: MonitorCalls; ringTimeoutMs?: number },
  ) {
    this.log = deps.log.child({ mod: 'calls.monitor' });
  }

  /**
   * Ring the supervisor's phone and tap the agent's current call once it answers. Throws
   * NotFoundError when the agent is not on a bridged call, ConflictError when the supervisor is
   * the agent or already monitors this call.
   */
  start(o: { supervisor: string; agentId: string; mode: MonitorMode }): MonitorSession {
    const { rt, found } = this.open(o);
    const s = rt.s;
    const onAgentGone = (): void => rt.ring.abort();
    found.leg.on('hangup', onAgentGone);
    void this.ringSupervisor(rt)
      .catch((err: unknown) => {
        this.log.warn({ err, sessionId: s.id }, 'monitoring failed');
        this.end(rt, 'failed');
      })
      .finally(() => found.leg.off('hangup', onAgentGone));
    return { ...s };
  }

  /**
   * Tap a supervisor leg that is already up — a phone that dialled a monitoring code
   * (monitor-codes.ts) — into the agent's current call, answering it first if needed. The leg
   * stays a leg of its own call (its CDR is the supervisor's call); on the agent's bridge it is
   * a tap like a rung supervisor. A leg on another media worker is re-anchored by re-INVITE
   * first (a bridge mixes only legs of its worker). Resolves with the active session; throws
   * NotFoundError / ConflictError as `start` does, and ends the session 'failed' when the tap
   * cannot be made.
   */
  async attach(o: { supervisor: string; agentId: string; mode: MonitorMode; leg: Channel }): Promise<MonitorSession> {
    const { rt } = this.open(o);
    rt.supLeg = o.leg;
    const onAgentGone = (): void => this.end(rt, 'call-ended');
    rt.agentLeg.on('hangup', onAgentGone);
    o.leg.on('hangup', () => {
      rt.agentLeg.off('hangup', onAgentGone);
      this.end(rt, rt.agentLeg.level === 'terminated' ? 'call-ended' : 'supervisor-hung-up');
    });
    try {
      if (o.leg.level !== 'connected') await o.leg.answer();
      if (!(await sameWorker(rt.call, rt.agentLeg, o.leg))) throw new Error('supervisor leg could not be moved to the call\'s media worker');
      await this.tapWhenBridged(rt, o.leg);
    } catch (err) {
      this.log.warn({ err, sessionId: rt.s.id }, 'monitoring failed');
      this.end(rt, rt.agentLeg.level === 'terminated' ? 'call-ended' : 'failed');
    }
    return { ...rt.s };
  }

  /** A new session for the agent's current call (validated), published as started. */
  private open(o: { supervisor: string; agentId: string; mode: MonitorMode }): { rt: SessionRt; found: { call: Call; leg: Channel } } {
    const ext = this.deps.calls.extensionOf(o.agentId);
    if (!ext) throw new NotFoundError('agent', o.agentId);
    if (ext === o.supervisor) throw new ConflictError('a supervisor cannot monitor their own calls');
    const found = this.deps.calls.activeLegOf(ext);
    if (!found) throw new NotFoundError('call of agent', o.agentId);
    for (const r of this.sessions.values())
      if (r.s.state !== 'ended' && r.call === found.call && r.s.supervisor === o.supervisor) throw new ConflictError(`${o.supervisor} already monitors call ${found.call.id}`);
    const s: MonitorSession = {
      id: newId('mon', this.deps.clock),
      supervisor: o.supervisor,
      agentId: o.agentId,
      agentExtension: ext,
      callId: found.call.id,
      mode: o.mode,
      state: 'ringing',
      startedAt: this.deps.clock.now(),
      answeredAt: null,
      endedAt: null,
      endReason: null,
    };
    const rt: SessionRt = { s, call: found.call, agentLeg: found.leg, supLeg: null, ring: new AbortController() };
    this.sessions.set(s.id, rt);
    this.deps.bus.publish('call.monitor.started', { sessionId: s.id, callId: s.callId, agentId: s.agentId, supervisor: s.supervisor, mode: s.mode });
    return { rt, found };
  }

  /** Switch listen / whisper / barge (applied at once, or on answer while still ringing). */
  async setMode(id: string, mode: MonitorMode): Promise<MonitorSession> {
    const rt = this.rt(id);
    if (rt.s.state === 'ended') throw new InvalidTransitionError(`monitor ${id}`, 'ended', mode);
    const from = rt.s.mode;
    rt.s.mode = mode;
    if (rt.s.state === 'active' && rt.supLeg) await rt.call.tap(rt.supLeg, rt.agentLeg, mode);
    if (from !== mode) this.deps.bus.publish('call.monitor.changed', { sessionId: id, callId: rt.s.callId, from, to: mode });
    return { ...rt.s };
  }

  /** End a session: the supervisor's leg is cleared; the monitored call goes on. */
  async stop(id: string): Promise<MonitorSession> {
    const rt = this.rt(id);
    this.end(rt, 'stopped');
    return { ...rt.s };
  }

  get(id: string): MonitorSession {
    return { ...this.rt(id).s };
  }

  /** Every running session and the last 100 ended ones. */
  list(): MonitorSession[] {
    return [...this.sessions.values()].map((r) => ({ ...r.s }));
  }

  private async ringSupervisor(rt: SessionRt): Promise<void> {
    const r = await this.deps.calls.dialExtension(rt.call, rt.s.supervisor, {
      caller: { number: rt.s.agentExtension, name: `monitor ${rt.s.agentId}`, presentation: 'allowed' },
      signal: rt.ring.signal,
      timeoutMs: this.deps.ringTimeoutMs ?? 30_000,
    });
    if (r.outcome !== 'answered') {
      this.end(rt, r.outcome === 'no-answer' ? 'no-answer' : rt.agentLeg.level === 'terminated' ? 'call-ended' : 'failed');
      return;
    }
    if (rt.s.state === 'ended' || rt.agentLeg.level === 'terminated') {
      await r.channel.hangup(HangupCauses.NORMAL_CLEARING);
      this.end(rt, rt.s.state === 'ended' ? 'stopped' : 'call-ended');
      return;
    }
    rt.supLeg = r.channel;
    r.channel.on('hangup', () => this.end(rt, rt.agentLeg.level === 'terminated' ? 'call-ended' : 'supervisor-hung-up'));
    await this.tapWhenBridged(rt, r.channel);
  }

  /** Tap `leg` in once the agent is on the call's bridge (an agent who has just answered may not be yet). */
  private async tapWhenBridged(rt: SessionRt, leg: Channel): Promise<void> {
    for (let waited = 0; !rt.call.isBridged(rt.agentLeg) && waited < BRIDGE_WAIT_MS && !over(rt); waited += 20) await this.deps.clock.sleep(20);
    if (over(rt)) {
      void leg.hangup(HangupCauses.NORMAL_CLEARING).catch(() => undefined);
      this.end(rt, 'call-ended');
      return;
    }
    await rt.call.tap(leg, rt.agentLeg, rt.s.mode);
    this.move(rt, 'active');
    rt.s.answeredAt = this.deps.clock.now();
    this.log.info({ sessionId: rt.s.id, callId: rt.s.callId, mode: rt.s.mode }, 'monitoring');
  }

  private end(rt: SessionRt, why: EndWhy): void {
    if (rt.s.state === 'ended') return;
    this.move(rt, 'ended');
    rt.s.endedAt = this.deps.clock.now();
    rt.s.endReason = why;
    rt.ring.abort();
    if (rt.supLeg && rt.supLeg.level !== 'terminated') void rt.supLeg.hangup(HangupCauses.NORMAL_CLEARING).catch(() => undefined);
    this.deps.bus.publish('call.monitor.ended', { sessionId: rt.s.id, callId: rt.s.callId, why });
    // Keep a bounded history of ended sessions for GET.
    const ended = [...this.sessions.values()].filter((r) => r.s.state === 'ended');
    for (const old of ended.slice(0, Math.max(0, ended.length - 100))) this.sessions.delete(old.s.id);
  }

  private move(rt: SessionRt, to: MonitorState): void {
    if (!monitorTransitions[rt.s.state].includes(to)) throw new InvalidTransitionError(`monitor ${rt.s.id}`, rt.s.state, to);
    rt.s.state = to;
  }

  private rt(id: string): SessionRt {
    const rt = this.sessions.get(id);
    if (!rt) throw new NotFoundError('monitoring session', id);
    return rt;
  }
}
