/**
 * A SIP trunk as a Gateway (gateway.ts): an outbound leg is an INVITE to
 * sip:<number>@<carrier> sent to the trunk's host, placed like CallHandler.dialExtension places
 * an extension's leg (SipChannel.outbound through the B2BUA's UserAgent, RTP on the media
 * engine), with the trunk's caller-ID policy (sip/trunks/caller-id.ts: From, P-Asserted-Identity,
 * Privacy) and codec order.
 *
 *  - Not available (down, or every channel in use): `congestion`, Q.850 34
 *    NO_CIRCUIT_AVAILABLE, so the route tries its next gateway.
 *  - Codec preference: the leg offers the trunk's first codec (a leg's RTP endpoint has one
 *    codec); a carrier answering 488 (RFC 3261 §21.4.26 "Not Acceptable Here", Q.850 88 by RFC
 *    3398) is tried again with the next codec.
 *  - The carrier's answer becomes an outcome: 486 → busy, 480/408 → no-answer, 403/404/…
 *    → rejected, 503/500/Q.850 resource classes → congestion (fallback), else failed.
 *  - The channel is held from the INVITE until the leg ends.
 */
import { HangupCauses } from '../channel/q850.js';
import { SipChannel, type SipChannelDeps } from '../channel/sip-channel.js';
import type { Clock } from '../core/clock.js';
import { toAppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import { NameAddr } from '../sip/message/index.js';
import { outboundIdentity } from '../sip/trunks/caller-id.js';
import type { SipTrunk } from '../sip/trunks/trunk.js';
import '../sip/trunks/trunk-events.js';
import type { UserAgent } from '../sip/ua/user-agent.js';
import type { Gateway, GatewayDialRequest, GatewayDialResult, GatewayRegistry } from './gateway.js';
import { awaitGatewayAnswer, type FailedOutcome } from './gateway-answer.js';

export interface TrunkGatewayDeps {
  clock: Clock;
  log: Logger;
  bus?: Pick<EventBus, 'publish'>;
  /** The B2BUA's UA (null until SIP listens). */
  ua: () => UserAgent | null;
  channel: SipChannelDeps;
}

/** Q.850 causes after which the next gateway is tried (resource unavailable class, RFC 3398 503s). */
const CONGESTION = new Set<number>([
  HangupCauses.NO_CIRCUIT_AVAILABLE,
  HangupCauses.NETWORK_OUT_OF_ORDER,
  HangupCauses.TEMPORARY_FAILURE,
  HangupCauses.SWITCH_CONGESTION,
  HangupCauses.REQUESTED_CHAN_UNAVAIL,
  47,
  HangupCauses.SERVICE_UNAVAILABLE,
  HangupCauses.DESTINATION_OUT_OF_ORDER,
]);
const REJECTED = new Set<number>([
  HangupCauses.UNALLOCATED_NUMBER,
  HangupCauses.NO_ROUTE_DESTINATION,
  HangupCauses.CALL_REJECTED,
  HangupCauses.NUMBER_CHANGED,
  HangupCauses.INVALID_NUMBER_FORMAT,
  HangupCauses.OUTGOING_CALL_BARRED,
  HangupCauses.BEARERCAPABILITY_NOTAUTH,
]);
const CODEC_REFUSED = new Set<number>([HangupCauses.INCOMPATIBLE_DESTINATION, HangupCauses.BEARERCAPABILITY_NOTAVAIL, HangupCauses.BEARERCAPABILITY_NOTIMPL]);

export function outcomeOf(cause: number): FailedOutcome {
  if (cause === HangupCauses.USER_BUSY) return 'busy';
  if (cause === HangupCauses.NO_ANSWER || cause === HangupCauses.NO_USER_RESPONSE || cause === HangupCauses.SUBSCRIBER_ABSENT) return 'no-answer';
  if (CONGESTION.has(cause)) return 'congestion';
  if (REJECTED.has(cause)) return 'rejected';
  return 'failed';
}

export class TrunkGateway implements Gateway {
  readonly kind = 'sip-trunk' as const;
  private readonly log: Logger;

  constructor(
    private readonly trunk: SipTrunk,
    private readonly deps: TrunkGatewayDeps,
  ) {
    this.log = deps.log.child({ mod: 'calls.trunk-gateway', trunkId: trunk.id });
  }

  get id(): string {
    return this.trunk.id;
  }

  available(): boolean {
    const t = this.trunk;
    return t.up && (t.config.channels === 0 || t.channelsInUse < t.config.channels);
  }

  async dial(req: GatewayDialRequest): Promise<GatewayDialResult> {
    const codecs = this.trunk.config.codecs;
    let last: GatewayDialResult = { outcome: 'failed', cause: HangupCauses.NORMAL_UNSPECIFIED };
    for (let i = 0; i < codecs.length; i++) {
      last = await this.attempt(req, codecs[i]!);
      if (last.outcome === 'answered' || !('cause' in last) || !CODEC_REFUSED.has(last.cause) || req.signal.aborted) return last;
      this.log.info({ codec: codecs[i], cause: last.cause }, 'codec refused by the carrier, trying the next');
    }
    return last;
  }

  private refuse(reason: 'channel-limit' | 'down'): GatewayDialResult {
    const t = this.trunk;
    this.log.warn({ reason, inUse: t.channelsInUse, limit: t.config.channels }, 'trunk refused an outbound call');
    this.deps.bus?.publish('sip.trunk.call-refused', { trunkId: t.id, direction: 'outbound', reason, inUse: t.channelsInUse, limit: t.config.channels });
    return { outcome: 'congestion', cause: HangupCauses.NO_CIRCUIT_AVAILABLE };
  }

  private async attempt(req: GatewayDialRequest, codec: 'PCMA' | 'PCMU'): Promise<GatewayDialResult> {
    const t = this.trunk;
    if (!t.up) return this.refuse('down');
    const ua = this.deps.ua();
    if (!ua) return this.refuse('down');
    const lease = t.tryAcquire();
    if (!lease) return this.refuse('channel-limit');
    const identity = outboundIdentity(t.config, req.caller, t.hop.host);
    const requestUri = t.uriFor(req.called);
    let leg: SipChannel;
    try {
      leg = await SipChannel.outbound(
        ua,
        {
          id: newId('leg', this.deps.clock),
          caller: { ...req.caller, number: identity.number, presentation: identity.restricted ? 'restricted' : req.caller.presentation },
          called: { number: req.called, presentation: 'allowed' },
          affinity: req.callId,
          requestUri,
          from: identity.from,
          to: new NameAddr(t.uriFor(req.called)),
          hop: t.hop,
          codec,
          headers: identity.headers,
          ...(t.inviteAuth ? { auth: t.inviteAuth } : {}),
        },
        this.deps.channel,
      );
    } catch (err) {
      lease.release();
      this.log.warn({ err: toAppError(err).message }, 'trunk leg failed');
      return { outcome: 'failed', cause: HangupCauses.TEMPORARY_FAILURE };
    }
    leg.on('hangup', () => lease.release());
    req.onLeg?.(leg);
    return awaitGatewayAnswer(leg, req, this.deps.clock, outcomeOf);
  }
}

/** Keep one TrunkGateway per running trunk in the registry (added, replaced, removed with the trunk). */
export function syncTrunkGateways(
  trunks: { list(): SipTrunk[]; onChange(fn: (id: string, trunk: SipTrunk | null) => void): () => void },
  registry: GatewayRegistry,
  deps: TrunkGatewayDeps,
): () => void {
  for (const t of trunks.list()) {
    registry.remove(t.id);
    registry.add(new TrunkGateway(t, deps));
  }
  return trunks.onChange((id, trunk) => {
    registry.remove(id);
    if (trunk) registry.add(new TrunkGateway(trunk, deps));
  });
}
