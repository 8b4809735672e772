/**
 * A call (DESIGN.md "Call model"): it owns its legs and one bridge in the media engine. Legs
 * join with `addLeg`; `bridge(a, b)` puts two answered SIP legs in the call's bridge (created
 * with the call id as worker affinity, so both legs mix on one media worker). When a bridged
 * leg ends, the others are cleared with the same Q.850 cause (B2BUA: BYE on one side → BYE on
 * the other). When every leg has ended the call writes its CDR — call times, the cause of the
 * first leg to end, every leg with its own times, cause and RTP quality — and publishes
 * call.leg.* events along the way.
 */
import type { Channel, HangupInfo } from '../channel/channel.js';
import type { SipChannel } from '../channel/sip-channel.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { BridgeHandle, MediaEngine } from '../media/engine/media-engine.js';
import './call-events.js';
import type { CallStorePort, CdrLeg, CdrRecord } from './call-store.js';
import type { RouteTargetKind } from './dialplan.js';

export interface CallDeps {
  clock: Clock;
  log: Logger;
  bus: Pick<EventBus, 'publish'>;
  store: CallStorePort;
  engine: Pick<MediaEngine, 'createBridge' | 'release'>;
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
  readonly direction: CdrRecord['direction'];
  route: { id: string; kind: RouteTargetKind; target: string } | null = null;
  private readonly legs: Leg[] = [];
  private bridgeHandle: BridgeHandle | null = null;
  private bridged = new Set<Channel>();
  private first: HangupInfo | null = null;
  private finished = false;
  private readonly done: Promise<CdrRecord>;
  private resolveDone!: (c: CdrRecord) => void;
  private readonly log: Logger;

  constructor(
    o: { id: string; caller: string; called: string; direction: CdrRecord['direction'] },
    private readonly deps: CallDeps,
  ) {
    this.id = o.id;
    this.caller = o.caller;
    this.called = o.called;
    this.direction = o.direction;
    this.startedAt = deps.clock.now();
    this.log = deps.log.child({ callId: o.id });
    this.done = new Promise((r) => (this.resolveDone = r));
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

  /** Bridge two legs' media through the engine (both must be SIP legs with RTP endpoints). */
  async bridge(a: Channel, b: Channel): Promise<void> {
    const ra = (a as SipChannel).rtp;
    const rb = (b as SipChannel).rtp;
    if (!ra || !rb) throw new Error(`call ${this.id}: both legs need media to be bridged`);
    this.bridgeHandle ??= await this.deps.engine.createBridge({ affinity: this.id });
    await this.bridgeHandle.add(ra, { side: 'caller' });
    await this.bridgeHandle.add(rb, { side: 'agent' });
    this.bridged.add(a);
    this.bridged.add(b);
    // A leg may have ended while the bridge was being built.
    const gone = [a, b].find((c) => c.level === 'terminated');
    if (gone) for (const c of [a, b]) if (c !== gone) void c.hangup((gone as SipChannel).hangupInfo?.cause ?? 16);
  }

  /** Clear every leg still up (drain, shutdown). */
  async hangupAll(cause: number): Promise<void> {
    await Promise.all(this.legs.filter((l) => !l.ended).map((l) => l.channel.hangup(cause)));
  }

  private legEnded(leg: Leg, info: HangupInfo): void {
    if (leg.ended) return;
    leg.ended = info;
    this.first ??= info;
    this.deps.bus.publish('call.leg.ended', { callId: this.id, legId: leg.channel.id, cause: Number(info.cause), by: info.by });
    if (this.bridged.has(leg.channel)) {
      for (const other of this.bridged) if (other !== leg.channel && other.level !== 'terminated') void other.hangup(info.cause);
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
      routeId: this.route?.id ?? null,
      targetKind: this.route?.kind ?? null,
      target: this.route?.target ?? null,
      startedAt: this.startedAt,
      answeredAt: answered.length > 0 ? Math.min(...answered) : null,
      endedAt: Math.max(...legs.map((l) => l.endedAt)),
      cause: Number(this.first?.cause ?? 16),
      endedBy: this.first?.by ?? 'local',
      legs,
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
