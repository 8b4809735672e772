/**
 * The B2BUA's call handler: every INVITE the UA hands over becomes a Call with an inbound
 * SipChannel leg, is routed by the dialplan (dialplan.ts) and sent to an IVR flow, a queue or
 * an extension. Extensions are dialled as a second SIP leg (outbound INVITE to the contact the
 * registrar knows) and bridged through the media engine once they answer; the caller's leg is
 * answered only then. This module also implements the ACD's ports (acd/ports.ts): AgentDialer
 * (ring an agent's extension), CallBridger (join caller and agent in the caller's call) and
 * CallLiveness, and the daemon's Drainable (stop taking calls, count them, clear them).
 *
 * Outcomes are values: a failed dial resolves `{ outcome: 'busy' | 'no-answer' | 'failed' }`
 * with the Q.850 cause, and the caller's leg is cleared with that cause (→ SIP status by
 * RFC 3398).
 */
import type { AgentDialer, CallBridger, CallLiveness, DialOutcome, OfferedCall } from '../acd/ports.js';
import type { Channel, PartyNumber } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import { SipChannel, type SipChannelDeps } from '../channel/sip-channel.js';
import type { Clock } from '../core/clock.js';
import { toAppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import type { IvrDeps } from '../ivr/runner.js';
import { IvrRunner } from '../ivr/runner.js';
import type { Enqueuer } from '../ivr/ports.js';
import type { MediaEngine } from '../media/engine/media-engine.js';
import type { InviteSession } from '../sip/dialog/session.js';
import { isSipUri, isTelUri, NameAddr, sipUri, type SipRequest, type Uri } from '../sip/message/index.js';
import type { InviteHandler, UserAgent } from '../sip/ua/user-agent.js';
import { Call } from './call.js';
import type { CallStorePort } from './call-store.js';
import { matchRoute, targetName, type Route } from './dialplan.js';
import type { ContactLocator, FlowProvider, InviteGuard } from './ports.js';

export interface CallHandlerDeps {
  clock: Clock;
  log: Logger;
  bus: EventBus;
  store: CallStorePort;
  engine: Pick<MediaEngine, 'createRtpEndpoint' | 'play' | 'createBridge' | 'release'>;
  channel: Omit<SipChannelDeps, 'engine' | 'clock' | 'log'>;
  contacts: ContactLocator;
  flows: FlowProvider;
  ivr?: IvrDeps;
  enqueuer?: Enqueuer;
  guard?: InviteGuard;
  /** Agent id → extension (default: the agent id is the extension). */
  agentExtension?: (agentId: string) => string | null;
  /** How long an extension rings before NO_ANSWER (ms, default 30 s). */
  ringTimeoutMs?: number;
  /** Domain written in From/To of calls we place (default: our SIP address). */
  domain?: string;
}

export class CallHandler implements InviteHandler, AgentDialer, CallBridger, CallLiveness {
  readonly name = 'calls';
  private readonly calls = new Map<string, Call>();
  private readonly byChannel = new Map<string, Call>();
  private accepting = true;
  private ua: UserAgent | null = null;
  private readonly log: Logger;

  constructor(private readonly deps: CallHandlerDeps) {
    this.log = deps.log.child({ mod: 'calls' });
  }

  /** The UA placing our outbound legs (set by the daemon after it is built). */
  attach(ua: UserAgent): void {
    this.ua = ua;
  }

  // ---- Drainable ----

  stopAccepting(): void {
    this.accepting = false;
  }

  active(): number {
    return this.calls.size;
  }

  async forceClose(): Promise<void> {
    await Promise.all([...this.calls.values()].map((c) => c.hangupAll(HangupCauses.NORMAL_UNSPECIFIED)));
  }

  // ---- CallLiveness ----

  isLive(channelId: string): boolean {
    const call = this.byChannel.get(channelId);
    return !!call && call.channels.some((c) => c.id === channelId && c.level !== 'terminated');
  }

  /** The call a channel belongs to (tests, ACD). */
  callOf(channelId: string): Call | undefined {
    return this.byChannel.get(channelId);
  }

  // ---- inbound ----

  onInvite(session: InviteSession, req: SipRequest, ua: UserAgent): void {
    this.ua ??= ua;
    if (!this.accepting) {
      // Draining: RFC 3261 §21.5.4 503 "the server is temporarily unable to process the request due to a temporary overloading or maintenance".
      session.reject(503, undefined, [['Retry-After', '60']]);
      return;
    }
    const source = session.source;
    const guard = source ? this.deps.guard?.check(req, source) : undefined;
    if (guard && !guard.ok) {
      session.reject(guard.status, undefined, guard.headers);
      return;
    }
    void this.inbound(session, req).catch((err: unknown) => {
      this.log.error({ err: toAppError(err).message }, 'inbound call failed');
      session.hangup({ status: 500, cause: HangupCauses.TEMPORARY_FAILURE });
    });
  }

  private async inbound(session: InviteSession, req: SipRequest): Promise<void> {
    const caller = partyOf(req.from()?.uri, req.from()?.displayName ?? undefined);
    const called = partyOf(isSipUri(req.uri) || isTelUri(req.uri) ? req.uri : req.to()?.uri);
    const call = new Call({ id: newId('call', this.deps.clock), caller: caller.number, called: called.number, direction: 'inbound' }, this.callDeps());
    const ch = SipChannel.inbound(session, { id: newId('leg', this.deps.clock), caller, called, affinity: call.id }, this.channelDeps());
    this.track(call, ch);
    const prepared = await ch.prepare();
    if (!prepared.ok) {
      this.log.info({ status: prepared.status, reason: prepared.reason }, 'offer refused');
      return;
    }
    const route = matchRoute(this.deps.store.routes(), called.number, caller.number);
    if (!route) {
      this.log.info({ called: called.number }, 'no route');
      await ch.hangup(HangupCauses.UNALLOCATED_NUMBER);
      return;
    }
    call.route = { id: route.id, kind: route.target.kind, target: targetName(route.target) };
    this.log.info({ callId: call.id, route: route.id, target: call.route.target, kind: route.target.kind }, 'routed');
    await this.toTarget(call, ch, route);
  }

  private async toTarget(call: Call, ch: SipChannel, route: Route): Promise<void> {
    const t = route.target;
    if (t.kind === 'extension') {
      await ch.alerting();
      const r = await this.dialExtension(call, t.extension, { caller: ch.caller, signal: ch.ended, timeoutMs: this.deps.ringTimeoutMs ?? 30_000 });
      if (r.outcome !== 'answered') {
        await ch.hangup(r.cause);
        return;
      }
      if (ch.level === 'terminated') {
        await r.channel.hangup(HangupCauses.NORMAL_CLEARING);
        return;
      }
      await ch.answer();
      await call.bridge(ch, r.channel);
      return;
    }
    if (t.kind === 'queue') {
      if (!this.deps.enqueuer) {
        await ch.hangup(HangupCauses.SERVICE_UNAVAILABLE);
        return;
      }
      await ch.answer();
      const q = await this.deps.enqueuer.enqueue({ callId: call.id, channel: ch, queue: t.queue, priority: 0, skills: [], vars: {} });
      if (q.outcome !== 'queued') await ch.hangup(q.outcome === 'unknown-queue' ? HangupCauses.UNALLOCATED_NUMBER : HangupCauses.SWITCH_CONGESTION);
      return;
    }
    const flow = await this.deps.flows.flow(t.flow);
    if (!flow) {
      this.log.warn({ flow: t.flow }, 'routed to an IVR flow that does not exist');
      await ch.hangup(HangupCauses.UNALLOCATED_NUMBER);
      return;
    }
    const runner = new IvrRunner({
      clock: this.deps.clock,
      log: this.deps.log,
      events: this.deps.bus,
      channel: ch,
      flow,
      callId: call.id,
      vars: { did: call.called, caller: call.caller },
      ...(this.deps.ivr ? { deps: this.deps.ivr } : {}),
    });
    const result = await runner.run();
    // The flow handed the call on (queue, transfer): the new owner clears it. Otherwise it is over.
    if (result.outcome !== 'enqueued' && result.outcome !== 'transferred' && ch.level !== 'terminated') await ch.hangup(HangupCauses.NORMAL_CLEARING);
  }

  // ---- outbound to an extension ----

  /**
   * Ring an extension as a new leg of `call`. Resolves `answered` with the leg, or the outcome
   * and Q.850 cause; a leg still ringing when `signal` aborts or the timeout passes is cancelled.
   */
  async dialExtension(
    call: Call,
    extension: string,
    o: { caller: PartyNumber; signal: AbortSignal; timeoutMs: number },
  ): Promise<(DialOutcome & { outcome: 'answered' }) | { outcome: 'busy' | 'no-answer' | 'failed'; cause: number }> {
    const ua = this.ua;
    const contact = this.deps.contacts.locate(extension)[0];
    if (!ua || !contact) return { outcome: 'failed', cause: HangupCauses.SUBSCRIBER_ABSENT };
    const domain = this.deps.domain ?? ua.contact(contact.hop.protocol).uri;
    const host = typeof domain === 'string' ? domain : isSipUri(domain) ? domain.host : '127.0.0.1';
    const from = new NameAddr(sipUri({ user: o.caller.number || 'anonymous', host }), o.caller.name ?? null);
    const to = new NameAddr(sipUri({ user: extension, host }));
    let leg: SipChannel;
    try {
      leg = await SipChannel.outbound(
        ua,
        {
          id: newId('leg', this.deps.clock),
          caller: o.caller,
          called: { number: extension, presentation: 'allowed' },
          affinity: call.id,
          requestUri: contact.uri,
          from,
          to,
          hop: contact.hop,
        },
        this.channelDeps(),
      );
    } catch (err) {
      this.log.warn({ err: toAppError(err).message, extension }, 'outbound leg failed');
      return { outcome: 'failed', cause: HangupCauses.TEMPORARY_FAILURE };
    }
    this.track(call, leg);
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: Parameters<typeof resolve>[0]): void => {
        if (done) return;
        done = true;
        timer.cancel();
        o.signal.removeEventListener('abort', onAbort);
        leg.off('level', onLevel);
        resolve(r);
      };
      const onLevel = (level: string): void => {
        if (level === 'connected') finish({ outcome: 'answered', channel: leg });
        else if (level === 'terminated') {
          const cause = Number(leg.hangupInfo?.cause ?? HangupCauses.NORMAL_UNSPECIFIED);
          finish({ outcome: cause === HangupCauses.USER_BUSY ? 'busy' : cause === HangupCauses.NO_ANSWER || cause === HangupCauses.NO_USER_RESPONSE ? 'no-answer' : 'failed', cause });
        }
      };
      const onAbort = (): void => {
        void leg.hangup(HangupCauses.NORMAL_CLEARING);
        finish({ outcome: 'failed', cause: HangupCauses.NORMAL_CLEARING });
      };
      const timer = this.deps.clock.setTimeout(() => {
        void leg.hangup(HangupCauses.NO_ANSWER);
        finish({ outcome: 'no-answer', cause: HangupCauses.NO_ANSWER });
      }, o.timeoutMs);
      leg.on('level', onLevel);
      if (o.signal.aborted) onAbort();
      else o.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ---- ACD ports ----

  async offer(agent: { id: string; name: string }, offered: OfferedCall, opts: { timeoutMs: number; signal: AbortSignal }): Promise<DialOutcome> {
    const ext = (this.deps.agentExtension ?? ((id: string) => id))(agent.id);
    const call = this.calls.get(offered.callId);
    if (!ext || !call) return { outcome: 'failed' };
    const r = await this.dialExtension(call, ext, { caller: offered.caller, signal: opts.signal, timeoutMs: opts.timeoutMs });
    return r.outcome === 'answered' ? { outcome: 'answered', channel: r.channel } : { outcome: r.outcome };
  }

  async bridge(caller: Channel, agent: Channel): Promise<void> {
    const call = this.byChannel.get(caller.id);
    if (!call) throw new Error(`no call for channel ${caller.id}`);
    if (!this.byChannel.has(agent.id)) this.track(call, agent);
    await call.bridge(caller, agent);
  }

  // ---- bookkeeping ----

  private track(call: Call, ch: Channel): void {
    if (!this.calls.has(call.id)) {
      this.calls.set(call.id, call);
      void call.cdr.then(() => {
        this.calls.delete(call.id);
        for (const c of call.channels) this.byChannel.delete(c.id);
      });
    }
    this.byChannel.set(ch.id, call);
    call.addLeg(ch);
  }

  private callDeps() {
    return { clock: this.deps.clock, log: this.deps.log, bus: this.deps.bus, store: this.deps.store, engine: this.deps.engine };
  }

  private channelDeps(): SipChannelDeps {
    return { ...this.deps.channel, engine: this.deps.engine, clock: this.deps.clock, log: this.deps.log };
  }
}

function partyOf(uri: Uri | undefined, name?: string): PartyNumber {
  const number = !uri ? '' : isSipUri(uri) ? (uri.user ?? '') : isTelUri(uri) ? uri.number : '';
  return { number, ...(name ? { name } : {}), presentation: number ? 'allowed' : 'unavailable' };
}

