/**
 * Gateways: where an outbound call can leave the appliance (issue 3 "Trunks", issue 5 "new calls
 * for that route go to the configured fallback"). A SIP trunk and a group of E1 spans are both
 * gateways; outbound routes list gateways in order and take the first that is available and
 * answers with something other than congestion, so a pulled E1 cable falls back to a SIP trunk
 * without the route knowing what either is.
 *
 * Outcomes are values, like CallHandler.dialExtension: `answered` with the new leg, or why not
 * with the Q.850 cause. `congestion` (no channel free, link down, 503) is the one outcome after
 * which a route tries the next gateway; busy / no-answer / rejected are the called party's
 * answer and end the attempt.
 */
import type { Channel, PartyNumber } from '../channel/channel.js';

export type GatewayKind = 'sip-trunk' | 'tdm';

export interface GatewayDialRequest {
  /** The call the new leg belongs to (media affinity, CDR). */
  callId: string;
  caller: PartyNumber;
  /** Number to dial, already normalised by the outbound route (prefix stripped/added). */
  called: string;
  /** Aborts a leg still ringing (the caller hung up). */
  signal: AbortSignal;
  /** Ring timeout before NO_ANSWER (ms). */
  timeoutMs: number;
  /** Called once the outbound leg exists (before it answers): lets the caller's side hear ringback/early media. */
  onLeg?: (leg: Channel) => void;
}

export type GatewayDialResult =
  | { outcome: 'answered'; channel: Channel }
  | { outcome: 'busy' | 'no-answer' | 'rejected' | 'congestion' | 'failed'; cause: number };

export interface Gateway {
  readonly id: string;
  readonly kind: GatewayKind;
  /** Whether a new call may be tried now (trunk registered/qualified and under its channel limit; span up with a free B-channel). */
  available(): boolean;
  dial(req: GatewayDialRequest): Promise<GatewayDialResult>;
}

/** The gateways the daemon built, by id. Outbound routes resolve their gateway ids here at dial time. */
export class GatewayRegistry {
  private readonly gateways = new Map<string, Gateway>();

  add(gateway: Gateway): void {
    if (this.gateways.has(gateway.id)) throw new Error(`gateway ${gateway.id} already registered`);
    this.gateways.set(gateway.id, gateway);
  }

  remove(id: string): void {
    this.gateways.delete(id);
  }

  get(id: string): Gateway | undefined {
    return this.gateways.get(id);
  }

  list(): Gateway[] {
    return [...this.gateways.values()];
  }
}
