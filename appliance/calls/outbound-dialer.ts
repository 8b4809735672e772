/**
 * Placing a phone's call out through an outbound route (outbound-routes.ts) and its gateways
 * (gateway.ts), for the call handler: the guards decide first; an admitted call tries the
 * route's gateways in order, skipping those not available and moving on after `congestion`
 * (issue 5 "new calls for that route go to the configured fallback"); the first answer is
 * answered to the phone and bridged through the media engine. A refusal is logged, published as
 * `call.outbound.refused` and clears the phone's leg with Q.850 21 CALL_REJECTED (SIP 403 by
 * RFC 3398). When every gateway was congested the phone hears Q.850 34 (SIP 503).
 */
import type { Channel, PartyNumber } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { Call } from './call.js';
import type { GatewayDialResult, GatewayRegistry } from './gateway.js';
import type { OutboundPolicy, RefusalReason } from './outbound-routes.js';

declare module '../core/events.js' {
  interface EventMap {
    'call.outbound.refused': { callId: string; extension: string | null; dialled: string; routeId: string | null; reason: RefusalReason; detail: string };
    'call.outbound.routed': { callId: string; extension: string; dialled: string; number: string; routeId: string; gatewayId: string };
  }
}

export interface OutboundDialerDeps {
  log: Logger;
  bus: Pick<EventBus, 'publish'>;
  policy: OutboundPolicy;
  gateways: GatewayRegistry;
  /** Ring timeout of an outbound leg (ms, default 60 s). */
  ringTimeoutMs?: number;
}

export interface OutboundRequest {
  call: Call;
  /** The phone's (inbound) leg, prepared. */
  channel: Channel;
  /** The authenticated extension; null when the caller is not an authenticated phone. */
  extension: string | null;
  dialled: string;
  /** Adds a new leg to the call's bookkeeping (CallHandler.track). */
  track: (leg: Channel) => void;
}

export class OutboundDialer {
  private readonly log: Logger;

  constructor(private readonly deps: OutboundDialerDeps) {
    this.log = deps.log.child({ mod: 'calls.outbound' });
  }

  /** False when no outbound route matches (the caller decides: 404); true when this handled the call. */
  async connect(r: OutboundRequest): Promise<boolean> {
    const d = this.deps.policy.decide(r.extension, r.dialled);
    if (d.kind === 'no-route') return false;
    r.call.routedOut({ routeId: d.kind === 'refused' ? (d.route?.id ?? null) : d.route.id });
    if (d.kind === 'refused') {
      this.log.warn({ callId: r.call.id, extension: r.extension, dialled: r.dialled, route: d.route?.id ?? null, reason: d.reason, detail: d.detail }, 'outbound call refused');
      this.deps.bus.publish('call.outbound.refused', { callId: r.call.id, extension: r.extension, dialled: r.dialled, routeId: d.route?.id ?? null, reason: d.reason, detail: d.detail });
      await r.channel.hangup(HangupCauses.CALL_REJECTED);
      return true;
    }
    const extension = r.extension!;
    const use = this.deps.policy.begin(d.route, extension);
    r.channel.ended.addEventListener('abort', () => use.end(), { once: true });
    const caller = d.route.callerId ? { ...r.channel.caller, number: d.route.callerId } : r.channel.caller;
    let cause: number = HangupCauses.NO_CIRCUIT_AVAILABLE;
    await r.channel.alerting();
    for (const gatewayId of d.route.gateways) {
      const gw = this.deps.gateways.get(gatewayId);
      if (!gw || !gw.available()) {
        this.log.info({ callId: r.call.id, gatewayId }, gw ? 'gateway not available' : 'gateway unknown');
        continue;
      }
      r.call.routedOut({ routeId: d.route.id, gatewayId });
      this.deps.bus.publish('call.outbound.routed', { callId: r.call.id, extension, dialled: r.dialled, number: d.number, routeId: d.route.id, gatewayId });
      const res = await gw.dial({
        callId: r.call.id,
        caller,
        called: d.number,
        signal: r.channel.ended,
        timeoutMs: this.deps.ringTimeoutMs ?? 60_000,
        onLeg: r.track,
      });
      if (res.outcome === 'answered') {
        if (r.channel.level === 'terminated') {
          await res.channel.hangup(HangupCauses.NORMAL_CLEARING);
          return true;
        }
        await r.channel.answer();
        await r.call.bridge(r.channel, res.channel);
        return true;
      }
      cause = res.cause;
      if (res.outcome !== 'congestion' || r.channel.level === 'terminated') break;
      this.log.info({ callId: r.call.id, gatewayId, cause }, 'gateway congested, trying the next');
    }
    if (r.channel.level !== 'terminated') await r.channel.hangup(cause);
    return true;
  }

  /**
   * Place a call that has no phone leg of its own — a callback-in-queue's customer leg
   * (callback-dialer.ts) — on behalf of `extension` (the agent who answered for it): the same
   * guards decide as if that phone had dialled the number (class of service, allow-list,
   * blocked prefixes, hours, limits), then the route's gateways are tried in order. The route
   * slot is held until the new leg ends.
   */
  async dialOut(r: { call: Call; extension: string; dialled: string; caller: PartyNumber; signal: AbortSignal; timeoutMs: number; track: (leg: Channel) => void }): Promise<OutboundDialResult> {
    const d = this.deps.policy.decide(r.extension, r.dialled);
    if (d.kind === 'no-route') return { outcome: 'no-route' };
    if (d.kind === 'refused') {
      this.log.warn({ callId: r.call.id, extension: r.extension, dialled: r.dialled, route: d.route?.id ?? null, reason: d.reason, detail: d.detail }, 'outbound call refused');
      this.deps.bus.publish('call.outbound.refused', { callId: r.call.id, extension: r.extension, dialled: r.dialled, routeId: d.route?.id ?? null, reason: d.reason, detail: d.detail });
      return { outcome: 'refused', reason: d.reason, cause: HangupCauses.CALL_REJECTED };
    }
    const use = this.deps.policy.begin(d.route, r.extension);
    const caller = d.route.callerId ? { ...r.caller, number: d.route.callerId } : r.caller;
    let last: GatewayDialResult = { outcome: 'congestion', cause: HangupCauses.NO_CIRCUIT_AVAILABLE };
    for (const gatewayId of d.route.gateways) {
      const gw = this.deps.gateways.get(gatewayId);
      if (!gw || !gw.available() || r.signal.aborted) continue;
      this.deps.bus.publish('call.outbound.routed', { callId: r.call.id, extension: r.extension, dialled: r.dialled, number: d.number, routeId: d.route.id, gatewayId });
      last = await gw.dial({ callId: r.call.id, caller, called: d.number, signal: r.signal, timeoutMs: r.timeoutMs, onLeg: r.track });
      if (last.outcome === 'answered') {
        const leg = last.channel;
        if (leg.ended.aborted) use.end();
        else leg.ended.addEventListener('abort', () => use.end(), { once: true });
        return last;
      }
      if (last.outcome !== 'congestion') break;
      this.log.info({ callId: r.call.id, gatewayId, cause: last.cause }, 'gateway congested, trying the next');
    }
    use.end();
    return last;
  }
}

/** What `dialOut` came to: no route for the number, refused by a guard, or the gateway's outcome. */
export type OutboundDialResult = { outcome: 'no-route' } | { outcome: 'refused'; reason: RefusalReason; cause: number } | GatewayDialResult;
