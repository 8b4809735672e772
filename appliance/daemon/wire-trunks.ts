/**
 * SIP trunks and outbound routing in the daemon (issue 3 "Trunks", "Routing"): the trunk
 * service on the `sip_trunks` table (registration, qualify, ACL guard, channel limits), the
 * outbound routes and classes of service (`outbound_routes`, `class_of_service`), the toll-fraud
 * policy and dialer, one GatewayRegistry shared with the voice card's E1 gateway, and the REST
 * routes (/trunks, /outbound-routes, /class-of-service). Trunks start once SIP listens
 * (`attach`) and stop (un-REGISTER) before the SIP endpoint closes.
 */
import type { AuditLog } from '../ops/audit.js';
import type { RouteRegistry } from '../api/registry.js';
import { GatewayRegistry } from '../calls/gateway.js';
import { registerOutboundRoutes } from '../calls/outbound-api.js';
import { OutboundDialer } from '../calls/outbound-dialer.js';
import { OutboundPolicy } from '../calls/outbound-routes.js';
import { SqliteOutboundStore } from '../calls/outbound-store.js';
import type { GuardResult } from '../calls/ports.js';
import { syncTrunkGateways } from '../calls/trunk-gateway.js';
import type { SipChannelDeps } from '../channel/sip-channel.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { SipRequest } from '../sip/message/index.js';
import type { Source } from '../sip/transport/index.js';
import { endpointRequester } from '../sip/trunks/requester.js';
import { registerTrunkRoutes } from '../sip/trunks/trunk-routes.js';
import { TrunkService, type PhoneGuard } from '../sip/trunks/trunk-service.js';
import { SqliteTrunkStore } from '../sip/trunks/trunk-store.js';
import type { SipEndpoint } from '../sip/ua/endpoint.js';
import type { UserAgent } from '../sip/ua/user-agent.js';
import type { Store } from '../store/database.js';

export interface Trunking {
  trunks: TrunkService;
  gateways: GatewayRegistry;
  outbound: OutboundDialer;
  /** The INVITE guard: trunk ACLs first, then the phones' Digest guard. */
  guard(phones: PhoneGuard): { check(req: SipRequest, source: Source): GuardResult };
  /** SIP is listening: trunk gateways dial through `ua`, trunks register and qualify through `endpoint`. */
  attach(o: { endpoint: SipEndpoint; ua: UserAgent; channel: SipChannelDeps; advertise: string }): void;
  stop(): Promise<void>;
}

export function wireTrunks(d: { store: Store; clock: Clock; log: Logger; bus: EventBus; registry: RouteRegistry; audit: AuditLog }): Trunking {
  let endpoint: SipEndpoint | null = null;
  let advertise: string | null = null;
  const trunks = new TrunkService({
    clock: d.clock,
    log: d.log,
    bus: d.bus,
    store: new SqliteTrunkStore(d.store, () => d.clock.now()),
    requester: endpointRequester(
      () => endpoint,
      () => advertise,
    ),
  });
  const routes = new SqliteOutboundStore(d.store, () => d.clock.now());
  const gateways = new GatewayRegistry();
  const policy = new OutboundPolicy({ clock: d.clock, routes: () => routes.routes(), classOf: (ext) => routes.classOf(ext) });
  const outbound = new OutboundDialer({ log: d.log, bus: d.bus, policy, gateways });
  registerTrunkRoutes(d.registry, trunks, d.audit);
  registerOutboundRoutes(d.registry, routes, d.audit);
  let unsync: (() => void) | null = null;
  return {
    trunks,
    gateways,
    outbound,
    guard: (phones) => trunks.guard(phones),
    attach(o) {
      endpoint = o.endpoint;
      advertise = o.advertise;
      unsync ??= syncTrunkGateways(trunks, gateways, { clock: d.clock, log: d.log, bus: d.bus, ua: () => o.ua, channel: o.channel });
      trunks.start();
    },
    async stop() {
      unsync?.();
      await trunks.stop();
    },
  };
}
