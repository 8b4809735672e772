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
import type { AgentDialer, CallBridger, CallLiveness, CustomerDialer, DialOutcome, OfferedCall } from '../acd/ports.js';
import type { Channel, PartyNumber } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import { SipChannel, type SipChannelDeps } from '../channel/sip-channel.js';
import type { LocalPhones } from '../channel/tdm/analog-extensions.js';
import type { Clock } from '../core/clock.js';
import { toAppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import type { Flow } from '../ivr/flow-schema.js';
import type { IvrDeps } from '../ivr/runner.js';
import { IvrRunner } from '../ivr/runner.js';
import type { Enqueuer } from '../ivr/ports.js';
import type { MediaEngine } from '../media/engine/media-engine.js';
import type { InviteSession } from '../sip/dialog/session.js';
import { isSipUri, isTelUri, NameAddr, sipUri, type SipRequest, type Uri } from '../sip/message/index.js';
import type { InviteHandler, UserAgent } from '../sip/ua/user-agent.js';
import { Call, type CallDeps } from './call.js';
import type { CallStorePort } from './call-store.js';
import type { FeatureCodeService } from './feature-codes.js';
import type { MonitorCalls } from './monitor.js';
import { matchRoute, targetName, type Route } from './dialplan.js';
import { agentExtensionOf, dialCallbackCustomer } from './callback-dialer.js';
import { runDiagnostic } from './diagnostic.js';
import type { OutboundDialer } from './outbound-dialer.js';
import { localExtension, TransferService } from './transfer.js';
import { LegHandover } from './leg-handover.js';
import { ReplacesService } from './replaces.js';
import { ringForks } from './fork.js';
import type { Admission, ContactLocator, FlowProvider, InviteGuard, LocatedContact } from './ports.js';

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
  /** Outbound routes (outbound-dialer.ts): a phone's number that no inbound route takes goes out through a gateway. */
  outbound?: Pick<OutboundDialer, 'connect'> & Partial<Pick<OutboundDialer, 'dialOut'>>;
  /** Agent id → extension (default: the agent id is the extension). */
  agentExtension?: (agentId: string) => string | null;
  /** How long an extension rings before NO_ANSWER (ms, default 30 s). */
  ringTimeoutMs?: number;
  /** Domain written in From/To of calls we place (default: our SIP address). */
  domain?: string;
  /** Recording by policy when caller and agent are bridged (recording-control.ts). */
  recordings?: CallDeps['recordings'];
}

export class CallHandler implements InviteHandler, AgentDialer, CallBridger, CallLiveness, CustomerDialer, MonitorCalls {
  readonly name = 'calls';
  private readonly calls = new Map<string, Call>();
  private readonly byChannel = new Map<string, Call>();
  private accepting = true;
  private ua: UserAgent | null = null;
  private features: FeatureCodeService | null = null;
  private legPolicy: CallDeps['onLegEnded'] | null = null;
  /** Extensions that are analog phones on FXS ports (channel/tdm/analog-extensions.ts); asked before the SIP contacts. */
  private localPhones: LocalPhones | null = null;
  /** Callbacks-in-queue in progress: the ACD call id → the outbound call its agent leg is in. */
  private readonly callbackCalls = new Map<string, Call>();
  private readonly log: Logger;
  /** REFER from phones: blind and attended transfer (transfer.ts). */
  private readonly transfers: TransferService;
  /** Ringing legs taken over by a pickup or a transfer (leg-handover.ts), and INVITEs with Replaces (replaces.ts). */
  private readonly handover = new LegHandover();
  private readonly replacing: ReplacesService;

  constructor(private readonly deps: CallHandlerDeps) {
    this.log = deps.log.child({ mod: 'calls' });
    this.transfers = new TransferService({
      clock: deps.clock,
      log: deps.log,
      bus: deps.bus,
      ringTimeoutMs: deps.ringTimeoutMs ?? 30_000,
      extensionFor: (n) => localExtension(n, deps.contacts, deps.store.routes()),
      dial: (call, ext, o) => this.dialExtension(call, ext, o),
      sessionOf: (key) => this.ua?.sessionOf(key) ?? null,
      handover: this.handover,
    });
    this.replacing = new ReplacesService({
      clock: deps.clock,
      log: deps.log,
      bus: deps.bus,
      handover: this.handover,
      sessionOf: (key) => this.ua?.sessionOf(key) ?? null,
      legOf: (session) => this.transfers.legOf(session),
      newLeg: (session, o) => SipChannel.inbound(session, { id: newId('leg', this.deps.clock), ...o }, this.channelDeps()),
      track: (call, ch) => this.track(call, ch),
    });
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
    if (ReplacesService.wants(req)) {
      void this.replacing.onInvite(session, req, guard?.ok ? guard : {}, !!this.deps.guard).catch((err: unknown) => {
        this.log.error({ err: toAppError(err).message }, 'INVITE with Replaces failed');
        session.hangup({ status: 500, cause: HangupCauses.TEMPORARY_FAILURE });
      });
      return;
    }
    void this.inbound(session, req, guard?.ok ? guard : {}).catch((err: unknown) => {
      this.log.error({ err: toAppError(err).message }, 'inbound call failed');
      session.hangup({ status: 500, cause: HangupCauses.TEMPORARY_FAILURE });
    });
  }

  /**
   * Any other inbound leg (an E1 B channel from a PRI/ISUP/R2 span, an analog line): a Call
   * routed by the same dialplan as an INVITE, so a DID routed to an extension bridges the leg
   * to that SIP phone. `callId` is the id the leg's media affinity already names (so its
   * engine leg and the extension's share a worker). Refusals clear the leg with a Q.850 cause:
   * 42 while draining, 1 when no route matches.
   */
  async acceptInbound(ch: Channel, o: { callId?: string } = {}): Promise<void> {
    if (!this.accepting) {
      await ch.hangup(HangupCauses.SWITCH_CONGESTION);
      return;
    }
    const call = new Call({ id: o.callId ?? newId('call', this.deps.clock), caller: ch.caller.number, called: ch.called.number, direction: 'inbound' }, this.callDeps());
    this.track(call, ch);
    const route = matchRoute(this.deps.store.routes(), ch.called.number, ch.caller.number);
    if (!route) {
      this.log.info({ called: ch.called.number, tech: ch.tech }, 'no route');
      await ch.hangup(HangupCauses.UNALLOCATED_NUMBER);
      return;
    }
    call.route = { id: route.id, kind: route.target.kind, target: targetName(route.target) };
    this.log.info({ callId: call.id, route: route.id, target: call.route.target, kind: route.target.kind, tech: ch.tech }, 'routed');
    try {
      await this.toTarget(call, ch, route);
    } catch (err) {
      this.log.error({ err: toAppError(err).message, callId: call.id }, 'inbound call failed');
      if (ch.level !== 'terminated') await ch.hangup(HangupCauses.TEMPORARY_FAILURE);
    }
  }

  private async inbound(session: InviteSession, req: SipRequest, admitted: Admission): Promise<void> {
    const caller = admitted.caller ?? partyOf(req.from()?.uri, req.from()?.displayName ?? undefined);
    const called = admitted.called ?? partyOf(isSipUri(req.uri) || isTelUri(req.uri) ? req.uri : req.to()?.uri);
    const call = new Call({ id: newId('call', this.deps.clock), caller: caller.number, called: called.number, direction: 'inbound' }, this.callDeps());
    const channelDeps = admitted.trunk ? { ...this.channelDeps(), codecs: admitted.trunk.codecs } : this.channelDeps();
    const ch = SipChannel.inbound(session, { id: newId('leg', this.deps.clock), caller, called, affinity: call.id }, channelDeps);
    if (admitted.trunk) ch.on('hangup', admitted.trunk.lease.release);
    this.track(call, ch);
    const prepared = await ch.prepare();
    if (!prepared.ok) {
      this.log.info({ status: prepared.status, reason: prepared.reason }, 'offer refused');
      return;
    }
    // Feature codes (agent login/logout/break, feature-codes.ts) come before any route — for the
    // appliance's own phones only: a carrier caller dialling *21 is routed like any number.
    const feature = admitted.trunk ? undefined : this.features?.match(called.number);
    if (feature && this.features) {
      await this.features.handle(feature, ch, caller.number);
      return;
    }
    const route = matchRoute(this.deps.store.routes(), called.number, caller.number);
    // A phone's number no inbound route takes may go out (outbound-dialer.ts; trunk callers never do).
    const out = !route && admitted.user && !admitted.trunk ? this.deps.outbound : undefined;
    if (out && (await out.connect({ call, channel: ch, extension: admitted.user!.extension, dialled: called.number, track: (leg) => this.track(call, leg) }))) return;
    if (!route) {
      this.log.info({ called: called.number }, 'no route');
      await ch.hangup(HangupCauses.UNALLOCATED_NUMBER);
      return;
    }
    call.route = { id: route.id, kind: route.target.kind, target: targetName(route.target) };
    this.log.info({ callId: call.id, route: route.id, target: call.route.target, kind: route.target.kind }, 'routed');
    await this.toTarget(call, ch, route);
  }

  private async toTarget(call: Call, ch: Channel, route: Route): Promise<void> {
    const t = route.target;
    if (t.kind === 'diagnostic') {
      const media = ch instanceof SipChannel ? ch.rtp : null;
      await runDiagnostic(ch, t, { callId: call.id, media }, { clock: this.deps.clock, log: this.log, engine: this.deps.engine });
      return;
    }
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
      // Bridge first, then answer: the caller hears the callee from the 200 on, and a REFER that follows the answer at once finds the call bridged.
      await call.bridge(ch, r.channel);
      if (!ch.ended.aborted) await ch.answer();
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
    await this.runIvr(call, ch, flow);
  }

  private async runIvr(call: Call, ch: Channel, flow: Flow, vars: Readonly<Record<string, string>> = {}): Promise<void> {
    const runner = new IvrRunner({
      clock: this.deps.clock,
      log: this.deps.log,
      events: this.deps.bus,
      channel: ch,
      flow,
      callId: call.id,
      vars: { did: call.called, caller: call.caller, ...vars },
      ...(this.deps.ivr ? { deps: this.deps.ivr } : {}),
    });
    const result = await runner.run();
    // The flow handed the call on (queue, transfer): the new owner clears it. Otherwise it is over.
    if (result.outcome !== 'enqueued' && result.outcome !== 'transferred' && ch.level !== 'terminated') await ch.hangup(HangupCauses.NORMAL_CLEARING);
  }

  /**
   * Run an IVR flow (a published flow id, or a flow given whole) on a live leg: a queue's
   * overflow to IVR or voicemail. Resolves when the flow is done; the leg is cleared unless the
   * flow handed it on. Unknown flow or call: the leg is cleared with UNALLOCATED_NUMBER.
   */
  async runFlow(ch: Channel, flow: string | Flow, vars?: Readonly<Record<string, string>>): Promise<void> {
    const call = this.byChannel.get(ch.id);
    const found = typeof flow === 'string' ? await this.deps.flows.flow(flow) : flow;
    if (!call || !found) {
      this.log.warn({ flow: typeof flow === 'string' ? flow : flow.id, legId: ch.id }, 'overflow to an IVR flow that does not exist');
      if (ch.level !== 'terminated') await ch.hangup(HangupCauses.UNALLOCATED_NUMBER);
      return;
    }
    await this.runIvr(call, ch, found, vars);
  }

  // ---- outbound to an extension ----

  /**
   * Ring an extension as a new leg of `call`. Resolves `answered` with the leg, or the outcome
   * and Q.850 cause; a leg still ringing when `signal` aborts or the timeout passes is cancelled.
   */
  async dialExtension(
    call: Call,
    extension: string,
    o: { caller: PartyNumber; signal: AbortSignal; timeoutMs: number; onRinging?: () => void },
  ): Promise<(DialOutcome & { outcome: 'answered' }) | { outcome: 'busy' | 'no-answer' | 'failed'; cause: number }> {
    // An analog phone on an FXS port (channel/tdm/analog-extensions.ts) before any SIP contact.
    const local = this.localPhones?.originate(extension, { caller: o.caller, affinity: call.id });
    if (local && !local.ok) return { outcome: 'busy', cause: HangupCauses.USER_BUSY };
    // Several registered contacts: ring them all, the first to answer wins (fork.ts).
    const contacts = local ? [] : this.deps.contacts.locate(extension);
    if (contacts.length > 1) return this.dialForks(call, extension, contacts, o);
    const leg = local ? local.channel : await this.sipExtensionLeg(call, extension, o.caller);
    if ('outcome' in leg) return leg;
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
        // The callee rings (a transfer reports it as NOTIFY 180, RFC 3515 §2.4.5).
        else if (level === 'alerting' || level === 'early-media') o.onRinging?.();
        else if (level === 'terminated') {
          // Picked up from another phone (RFC 3891 Replaces, replaces.ts): the picker answered in its place.
          const picker = this.handover.takeSubstitute(leg);
          if (picker) {
            this.track(call, picker);
            finish({ outcome: 'answered', channel: picker });
            return;
          }
          const cause = Number(leg.hangupInfo?.cause ?? HangupCauses.NORMAL_UNSPECIFIED);
          finish({ outcome: cause === HangupCauses.USER_BUSY ? 'busy' : cause === HangupCauses.NO_ANSWER || cause === HangupCauses.NO_USER_RESPONSE ? 'no-answer' : 'failed', cause });
        }
      };
      const onAbort = (): void => {
        // A transfer that took the ringing leg over (leg-handover.ts) keeps it ringing.
        if (!this.handover.isAdopted(leg)) void leg.hangup(HangupCauses.NORMAL_CLEARING);
        finish({ outcome: 'failed', cause: HangupCauses.NORMAL_CLEARING });
      };
      const timer = this.deps.clock.setTimeout(() => {
        if (!this.handover.isAdopted(leg)) void leg.hangup(HangupCauses.NO_ANSWER);
        finish({ outcome: 'no-answer', cause: HangupCauses.NO_ANSWER });
      }, o.timeoutMs);
      leg.on('level', onLevel);
      if (o.signal.aborted) onAbort();
      else o.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Parallel ringing of every contact (fork.ts); only the winning leg joins the call. */
  private async dialForks(
    call: Call,
    extension: string,
    contacts: readonly LocatedContact[],
    o: { caller: PartyNumber; signal: AbortSignal; timeoutMs: number; onRinging?: () => void },
  ): Promise<(DialOutcome & { outcome: 'answered' }) | { outcome: 'busy' | 'no-answer' | 'failed'; cause: number }> {
    const legs = (await Promise.all(contacts.map((c) => this.sipExtensionLeg(call, extension, o.caller, c)))).filter((l): l is SipChannel => l instanceof SipChannel);
    if (legs.length === 0) return { outcome: 'failed', cause: HangupCauses.TEMPORARY_FAILURE };
    this.log.info({ callId: call.id, extension, forks: legs.length }, 'forking to every registered contact');
    // A transfer to a forked extension hears it ring (NOTIFY 180) from the first fork that alerts.
    for (const l of legs) {
      l.on('level', (level) => {
        if (level === 'alerting' || level === 'early-media') o.onRinging?.();
      });
    }
    const r = await ringForks(legs, { signal: o.signal, timeoutMs: o.timeoutMs, clock: this.deps.clock });
    if (r.outcome !== 'answered') return r;
    this.track(call, r.channel);
    return { outcome: 'answered', channel: r.channel };
  }

  /** The SIP leg ringing `extension` at its registered contact (or `at`), or why there is none. */
  private async sipExtensionLeg(call: Call, extension: string, caller: PartyNumber, at?: LocatedContact): Promise<SipChannel | { outcome: 'failed'; cause: number }> {
    const ua = this.ua;
    const contact = at ?? this.deps.contacts.locate(extension)[0];
    if (!ua || !contact) return { outcome: 'failed', cause: HangupCauses.SUBSCRIBER_ABSENT };
    const domain = this.deps.domain ?? ua.contact(contact.hop.protocol, contact.hop.host).uri;
    const host = typeof domain === 'string' ? domain : isSipUri(domain) ? domain.host : '127.0.0.1';
    const from = new NameAddr(sipUri({ user: caller.number || 'anonymous', host }), caller.name ?? null);
    const to = new NameAddr(sipUri({ user: extension, host }));
    try {
      return await SipChannel.outbound(
        ua,
        {
          id: newId('leg', this.deps.clock),
          caller: caller,
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
  }

  // ---- ACD ports ----

  async offer(agent: { id: string; name: string }, offered: OfferedCall, opts: { timeoutMs: number; signal: AbortSignal }): Promise<DialOutcome> {
    const ext = (this.deps.agentExtension ?? ((id: string) => id))(agent.id);
    if (!ext) return { outcome: 'failed' };
    const call = offered.kind === 'callback' ? this.callbackCall(offered) : this.calls.get(offered.callId);
    if (!call) return { outcome: 'failed' };
    // Ring-no-answer (which puts the agent on break, acd.ts) only when the phone really rang: an
    // offer that timed out without a 180/183 — phone unreachable, or its INVITE stuck on an
    // overloaded path — is `failed` (retried later, no break), as Asterisk tells RINGNOANSWER from CHANUNAVAIL.
    let rang = false;
    const r = await this.dialExtension(call, ext, { caller: offered.caller, signal: opts.signal, timeoutMs: opts.timeoutMs, onRinging: () => (rang = true) });
    if (r.outcome !== 'answered') return { outcome: r.outcome === 'no-answer' && !rang ? 'failed' : r.outcome };
    // Callback: the first agent to answer owns the customer's leg (ring-all losers are cleared by the ACD).
    const owner = this.callbackCalls.get(offered.callId);
    if (offered.kind === 'callback' && (!owner || owner.isOver)) this.callbackCalls.set(offered.callId, call);
    return { outcome: 'answered', channel: r.channel };
  }

  /** CustomerDialer: ring the customer of a callback into the call its agent already answered. */
  async dial(number: string, o: { callbackId: string; callId: string; timeoutMs: number; signal: AbortSignal }): Promise<DialOutcome> {
    const call = this.callbackCalls.get(o.callId);
    if (!call || call.isOver) return { outcome: 'failed' };
    // An extension is rung; an outside number goes out through the outbound routes as the agent's call (callback-dialer.ts).
    const r = await dialCallbackCustomer(
      {
        log: this.log,
        isLocal: (n) => this.deps.contacts.locate(n).length > 0,
        dialExtension: (c, ext, x) => this.dialExtension(c, ext, x),
        ...(this.deps.outbound?.dialOut ? { outbound: { dialOut: this.deps.outbound.dialOut.bind(this.deps.outbound) } } : {}),
        track: (c, leg) => this.track(c, leg),
      },
      { call, number, agentExtension: agentExtensionOf(call), caller: { number: '', name: 'callback', presentation: 'allowed' }, signal: o.signal, timeoutMs: o.timeoutMs },
    );
    this.callbackCalls.delete(o.callId);
    return r;
  }

  /** A callback-in-queue is a new outbound call: the agent's leg first, the customer's (dial) next. */
  private callbackCall(offered: OfferedCall): Call {
    const call = new Call({ id: newId('call', this.deps.clock), caller: offered.caller.number, called: offered.caller.number, direction: 'outbound' }, this.callDeps());
    call.route = { id: 'callback', kind: 'queue', target: offered.queueId };
    void call.cdr.then(() => {
      if (this.callbackCalls.get(offered.callId) === call) this.callbackCalls.delete(offered.callId);
    });
    return call;
  }

  /** Ring these analog phones (FXS ports) for their extension numbers from now on (daemon/wire-card.ts). */
  useLocalPhones(phones: LocalPhones | null): void {
    this.localPhones = phones;
  }

  /** Handle feature codes (agent login etc.) on every inbound INVITE from now on. */
  /** What happens to the other parties when a bridged leg ends (post-call survey); default: cleared. */
  useLegPolicy(policy: NonNullable<CallDeps['onLegEnded']>): void {
    this.legPolicy = policy;
  }

  useFeatureCodes(features: FeatureCodeService): void {
    this.features = features;
  }

  // ---- MonitorCalls ----

  extensionOf(agentId: string): string | null {
    return (this.deps.agentExtension ?? ((id: string) => id))(agentId);
  }

  /** The newest answered leg of `extension` in a call that is not over (for supervisor taps). */
  activeLegOf(extension: string): { call: Call; leg: Channel } | null {
    let best: { call: Call; leg: Channel } | null = null;
    for (const call of this.calls.values()) {
      if (call.isOver) continue;
      for (const leg of call.channels) {
        const party = leg.direction === 'inbound' ? leg.caller.number : leg.called.number;
        if (party === extension && leg.level === 'connected') best = { call, leg };
      }
    }
    return best;
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
    if (ch instanceof SipChannel) this.transfers.watch(call, ch);
  }

  private callDeps() {
    return {
      clock: this.deps.clock,
      log: this.deps.log,
      bus: this.deps.bus,
      store: this.deps.store,
      engine: this.deps.engine,
      onLegEnded: (e: Parameters<NonNullable<CallDeps['onLegEnded']>>[0]) => this.legPolicy?.(e) ?? false,
      ...(this.deps.recordings ? { recordings: this.deps.recordings } : {}),
    };
  }

  private channelDepsMemo: SipChannelDeps | null = null;

  /** The same for every leg: built once. */
  private channelDeps(): SipChannelDeps {
    return (this.channelDepsMemo ??= { ...this.deps.channel, engine: this.deps.engine, clock: this.deps.clock, log: this.deps.log });
  }
}

function partyOf(uri: Uri | undefined, name?: string): PartyNumber {
  const number = !uri ? '' : isSipUri(uri) ? (uri.user ?? '') : isTelUri(uri) ? uri.number : '';
  return { number, ...(name ? { name } : {}), presentation: number ? 'allowed' : 'unavailable' };
}

