/**
 * A call (DESIGN.md "Call model"): it owns its legs and one bridge in the media engine. Legs
 * join with `addLeg`; `bridge(a, b)` puts two answered SIP legs in the call's bridge (created
 * with the call id as worker affinity, so both legs mix on one media worker). When a bridged
 * leg ends, the others are cleared with the same Q.850 cause (B2BUA: BYE on one side → BYE on
 * the other). When every leg has ended the call writes its CDR — call times, the cause of the
 * first leg to end, every leg with its own times, cause and RTP quality — and publishes
 * call.leg.* events along the way. A supervisor's leg joins as a tap (`tap`: listen / whisper /
 * barge, media/mixer/mixer.ts) without becoming a party: it is cleared when the call's bridged
 * legs end, and its own hang-up ends nothing else.
 *
 * Hold and transfer (calls/transfer.ts): a phone's hold is handled here, not relayed — the held
 * leg leaves the media bridge (the others hear silence, the holder gets no RTP, as its
 * recvonly/inactive answer says) and rejoins on resume; no re-INVITE goes to the other party.
 * A transfer `detach`es the transferor (its BYE then clears nothing) and bridges the remaining
 * party with the target; the target may be a leg of another call (attended transfer): it joins
 * this bridge and is cleared with it, while its CDR row stays with its own call. Legs that left
 * by transfer do not give the call its end cause, and the CDR lists the transfers.
 */
import type { Channel, HangupInfo } from '../channel/channel.js';
import type { SipChannel } from '../channel/sip-channel.js';
import type { TdmCallChannel } from '../channel/tdm-channel.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { BridgeHandle, MediaEngine, MediaLeg } from '../media/engine/media-engine.js';
import type { TapMode } from '../media/mixer/mixer.js';
import './call-events.js';
import type { CallStorePort, CdrLeg, CdrRecord, CdrTransfer } from './call-store.js';
import type { RouteTargetKind } from './dialplan.js';

export interface CallDeps {
  clock: Clock;
  log: Logger;
  bus: Pick<EventBus, 'publish'>;
  store: CallStorePort;
  engine: Pick<MediaEngine, 'createBridge' | 'release'>;
  /**
   * Asked when a bridged leg of this call ends, before the others are cleared: true when the
   * policy keeps the remaining parties (they leave the bridge, up; e.g. the post-call survey
   * when the agent hangs up first, ivr/postcall-survey.ts). Default: clear them (B2BUA).
   */
  onLegEnded?: (e: { call: Call; ended: Channel; info: HangupInfo; remaining: Channel[] }) => boolean;
  /** Recording by policy (calls/recording-control.ts): told when caller and agent are bridged. */
  recordings?: { bridged(call: Call, bridge: BridgeHandle): Promise<void> };
}

interface Leg {
  channel: Channel;
  createdAt: number;
  answeredAt: number | null;
  ended: HangupInfo | null;
}

export class Call {
  readonly id: string;
  readonly startedAt: number;
  readonly caller: string;
  readonly called: string;
  private currentDirection: CdrRecord['direction'];
  route: { id: string; kind: RouteTargetKind; target: string } | null = null;
  /** A phone's call placed out (outbound-dialer.ts): the outbound route, and the gateway that carried it. */
  private outbound: { routeId: string | null; gatewayId: string | null } | null = null;
  private readonly legs: Leg[] = [];
  private bridgeHandle: BridgeHandle | null = null;
  private bridged = new Set<Channel>();
  private readonly taps = new Set<Channel>();
  /** Bridged channels whose engine leg is in the media bridge now (held legs are not), with their side. */
  private readonly inMedia = new Map<Channel, { leg: MediaLeg; side: 'caller' | 'agent' }>();
  /** Channels whose hold / foreign hangup this call listens to. */
  private readonly watched = new Set<Channel>();
  /** Legs that left the call by transfer (their end is not the call's end cause). */
  private readonly transferredOut = new Set<Channel>();
  private readonly transfers: CdrTransfer[] = [];
  private first: HangupInfo | null = null;
  private finished = false;
  private readonly done: Promise<CdrRecord>;
  private resolveDone!: (c: CdrRecord) => void;
  private logger: Logger | null = null;

  /** Made on first use (a pino child per call is not free at hundreds of calls a second). */
  private get log(): Logger {
    return (this.logger ??= this.deps.log.child({ callId: this.id }));
  }

  constructor(
    o: { id: string; caller: string; called: string; direction: CdrRecord['direction'] },
    private readonly deps: CallDeps,
  ) {
    this.id = o.id;
    this.caller = o.caller;
    this.called = o.called;
    this.currentDirection = o.direction;
    this.startedAt = deps.clock.now();
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get direction(): CdrRecord['direction'] {
    return this.currentDirection;
  }

  /**
   * The call goes out through an outbound route (a phone dialled a carrier number): the CDR says
   * direction 'outbound', route_id the outbound route, target the gateway (target_kind NULL:
   * the inbound dialplan's kinds do not apply).
   */
  routedOut(o: { routeId: string | null; gatewayId?: string | null }): void {
    this.currentDirection = 'outbound';
    this.outbound = { routeId: o.routeId, gatewayId: o.gatewayId ?? this.outbound?.gatewayId ?? null };
  }

  /** Resolves with the CDR once every leg has ended and it is stored. */
  get cdr(): Promise<CdrRecord> {
    return this.done;
  }

  get channels(): readonly Channel[] {
    return this.legs.map((l) => l.channel);
  }

  get isOver(): boolean {
    return this.finished;
  }

  addLeg(channel: Channel): void {
    const leg: Leg = { channel, createdAt: this.deps.clock.now(), answeredAt: null, ended: null };
    this.legs.push(leg);
    const party = channel.direction === 'inbound' ? channel.caller.number : channel.called.number;
    this.deps.bus.publish('call.leg.created', { callId: this.id, legId: channel.id, tech: channel.tech, direction: channel.direction, party });
    const onLevel = (level: string): void => {
      if (level === 'connected' && leg.answeredAt === null) {
        leg.answeredAt = this.deps.clock.now();
        this.deps.bus.publish('call.leg.answered', { callId: this.id, legId: channel.id });
      }
    };
    channel.on('level', onLevel);
    if (channel.level === 'connected') onLevel('connected');
    channel.on('hangup', (info) => this.legEnded(leg, info));
  }

  /** Bridge two legs' media through the engine (SIP legs by their RTP endpoint, TDM legs by their B channel's). */
  async bridge(a: Channel, b: Channel): Promise<void> {
    const ra = await engineLegOf(a);
    const rb = await engineLegOf(b);
    if (!ra || !rb) throw new Error(`call ${this.id}: both legs need media to be bridged`);
    this.bridgeHandle ??= await this.deps.engine.createBridge({ affinity: this.id });
    await this.joinMedia(a, ra, 'caller');
    await this.joinMedia(b, rb, 'agent');
    this.admit(a);
    this.admit(b);
    // A leg may have ended while the bridge was being built.
    const gone = [a, b].find((c) => c.level === 'terminated');
    if (gone) for (const c of [a, b]) if (c !== gone) void c.hangup((gone as SipChannel).hangupInfo?.cause ?? 16);
    if (!gone && this.bridgeHandle) await this.deps.recordings?.bridged(this, this.bridgeHandle);
  }

  /**
   * Put an answered leg of this call on its bridge as a supervisor tap on `agent`, or switch the
   * mode of one already there. Add and mode go out back to back so the tap is never heard as a party.
   */
  async tap(leg: Channel, agent: Channel, mode: TapMode): Promise<void> {
    const rl = (leg as SipChannel).rtp;
    const ra = this.mediaOf(agent);
    const bridge = this.bridgeHandle;
    if (!bridge || !rl || !ra || !this.bridged.has(agent)) throw new Error(`call ${this.id}: no bridged leg ${agent.id} to tap`);
    if (this.taps.has(leg)) {
      await bridge.tap(rl, { mode, target: ra });
      return;
    }
    this.taps.add(leg);
    await Promise.all([bridge.add(rl, { side: 'agent' }), bridge.tap(rl, { mode, target: ra })]);
  }

  /** The live parties bridged with `ch` (a transfer's remaining party). */
  partners(ch: Channel): Channel[] {
    return [...this.bridged].filter((c) => c !== ch && c.level !== 'terminated');
  }

  /** Whether `ch` is bridged in this call now. */
  isBridged(ch: Channel): boolean {
    return this.bridged.has(ch);
  }

  /** The engine leg of a bridged party (to check which media worker it is on). */
  mediaOf(ch: Channel): MediaLeg | null {
    return this.inMedia.get(ch)?.leg ?? (ch as Partial<SipChannel>).rtp ?? null;
  }

  /**
   * Take a party out of the bridge without clearing the others (transfer): its media leaves the
   * mixer and its later hangup ends nothing else. `transferred` marks an own leg that left by
   * transfer, so it does not give the call its end cause.
   */
  async detach(ch: Channel, o: { transferred?: boolean } = {}): Promise<void> {
    this.bridged.delete(ch);
    if (o.transferred) this.transferredOut.add(ch);
    const m = this.inMedia.get(ch);
    this.inMedia.delete(ch);
    if (m && this.bridgeHandle && ch.level !== 'terminated') await this.bridgeHandle.remove(m.leg).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'bridge remove failed'));
  }

  /** Whether `ch` left this call by transfer and was not bridged back since (acd-transfer-handover.ts). */
  leftByTransfer(ch: Channel): boolean {
    return this.transferredOut.has(ch);
  }

  /** A transfer this call took part in, for its CDR. */
  recordTransfer(t: CdrTransfer): void {
    this.transfers.push(t);
  }

  private async joinMedia(ch: Channel, leg: MediaLeg, side: 'caller' | 'agent'): Promise<void> {
    const known = this.inMedia.get(ch);
    if (known?.leg === leg) return;
    if (known && this.bridgeHandle) await this.bridgeHandle.remove(known.leg).catch(() => undefined);
    this.inMedia.delete(ch);
    // A leg its phone holds joins the mixer when it is resumed (onHold).
    if ((ch as Partial<SipChannel>).heldByPeer) return;
    await this.bridgeHandle?.add(leg, { side });
    this.inMedia.set(ch, { leg, side });
  }

  /** Make `ch` a party: hear its hold / resume, and when it is another call's leg, its hangup. */
  private admit(ch: Channel): void {
    this.bridged.add(ch);
    this.transferredOut.delete(ch);
    if (this.watched.has(ch)) return;
    this.watched.add(ch);
    const sip = ch as Partial<SipChannel>;
    if (typeof sip.onHold === 'function') sip.onHold((held) => void this.onHold(ch, held));
    if (!this.legs.some((l) => l.channel === ch)) ch.on('hangup', (info) => this.partyEnded(ch, info));
  }

  /** RFC 3264 §8.4 hold from a phone, handled locally: the leg leaves the mixer until resumed. */
  private async onHold(ch: Channel, held: boolean): Promise<void> {
    if (!this.bridged.has(ch) || !this.bridgeHandle) return;
    this.deps.bus.publish(held ? 'call.leg.held' : 'call.leg.resumed', { callId: this.id, legId: ch.id });
    const leg = (ch as Partial<SipChannel>).rtp;
    if (!leg) return;
    const known = this.inMedia.get(ch);
    if (held && known) {
      this.inMedia.delete(ch);
      await this.bridgeHandle.remove(known.leg).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'hold: bridge remove failed'));
    } else if (!held && !known) {
      const side = this.partners(ch).some((p) => this.inMedia.get(p)?.side === 'caller') ? 'agent' : 'caller';
      await this.bridgeHandle.add(leg, { side });
      this.inMedia.set(ch, { leg, side });
    }
  }

  /** A party from another call (attended transfer) ended: clear the rest of the bridge. */
  private partyEnded(ch: Channel, info: HangupInfo): void {
    if (!this.bridged.has(ch)) return;
    this.bridged.delete(ch);
    this.inMedia.delete(ch);
    for (const other of this.bridged) if (other.level !== 'terminated') void other.hangup(info.cause);
  }

  /** Clear every leg still up (drain, shutdown). */
  async hangupAll(cause: number): Promise<void> {
    await Promise.all(this.legs.filter((l) => !l.ended).map((l) => l.channel.hangup(cause)));
  }

  private legEnded(leg: Leg, info: HangupInfo): void {
    if (leg.ended) return;
    leg.ended = info;
    if (!this.transferredOut.has(leg.channel)) this.first ??= info;
    this.inMedia.delete(leg.channel);
    this.deps.bus.publish('call.leg.ended', { callId: this.id, legId: leg.channel.id, cause: Number(info.cause), by: info.by });
    if (this.bridged.has(leg.channel)) {
      const remaining = [...this.bridged].filter((c) => c !== leg.channel && c.level !== 'terminated');
      if (remaining.length > 0 && this.deps.onLegEnded?.({ call: this, ended: leg.channel, info, remaining })) {
        this.bridged.delete(leg.channel);
        for (const other of remaining) void this.detach(other);
      } else for (const other of remaining) void other.hangup(info.cause);
      for (const t of this.taps) if (t.level !== 'terminated') void t.hangup(info.cause);
    }
    if (this.legs.every((l) => l.ended)) void this.finish();
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const bridge = this.bridgeHandle;
    this.bridgeHandle = null;
    if (bridge) await bridge.destroy().catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'bridge destroy failed'));
    this.deps.engine.release(this.id);
    const legs: CdrLeg[] = [];
    for (const l of this.legs) {
      const sip = l.channel as Partial<SipChannel>;
      const stats = sip.closed ? await sip.closed : null;
      legs.push({
        legId: l.channel.id,
        tech: l.channel.tech,
        direction: l.channel.direction,
        party: l.channel.direction === 'inbound' ? l.channel.caller.number : l.channel.called.number,
        codec: sip.negotiated?.codec ?? null,
        createdAt: l.createdAt,
        answeredAt: l.answeredAt,
        endedAt: l.ended?.at ?? this.deps.clock.now(),
        cause: Number(l.ended?.cause ?? 16),
        endedBy: l.ended?.by ?? 'local',
        mos: stats && stats.packetsReceived > 0 ? Math.round(stats.mos * 100) / 100 : null,
        packetsLost: stats?.packetsLost ?? null,
        jitterMs: stats?.jitterMs ?? null,
      });
    }
    const answered = this.legs.map((l) => l.answeredAt).filter((x): x is number => x !== null);
    const cdr: CdrRecord = {
      callId: this.id,
      direction: this.direction,
      caller: this.caller,
      called: this.called,
      routeId: this.route?.id ?? this.outbound?.routeId ?? null,
      targetKind: this.route?.kind ?? null,
      target: this.route?.target ?? this.outbound?.gatewayId ?? null,
      startedAt: this.startedAt,
      answeredAt: answered.length > 0 ? Math.min(...answered) : null,
      endedAt: Math.max(...legs.map((l) => l.endedAt)),
      cause: Number((this.first ?? this.legs.find((l) => l.ended)?.ended)?.cause ?? 16),
      endedBy: (this.first ?? this.legs.find((l) => l.ended)?.ended)?.by ?? 'local',
      legs,
      ...(this.transfers.length > 0 ? { transfers: [...this.transfers] } : {}),
    };
    try {
      this.deps.store.writeCdr(cdr);
      this.deps.bus.publish('call.cdr.written', {
        callId: this.id,
        cause: cdr.cause,
        legs: legs.length,
        durationMs: cdr.endedAt - cdr.startedAt,
        billsecMs: cdr.answeredAt === null ? 0 : cdr.endedAt - cdr.answeredAt,
      });
    } catch (err) {
      this.log.error({ err }, 'CDR write failed');
    }
    this.resolveDone(cdr);
  }
}

/** The engine leg a channel mixes through: a SIP leg's RTP endpoint, a TDM leg's B-channel endpoint. */
export async function engineLegOf(ch: Channel): Promise<MediaLeg | null> {
  const rtp = (ch as Partial<SipChannel>).rtp;
  if (rtp) return rtp;
  const tdm = ch as Partial<TdmCallChannel>;
  return tdm.bridgeEndpoint ? ((await tdm.bridgeEndpoint()) ?? null) : null;
}
