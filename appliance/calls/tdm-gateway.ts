/**
 * A group of E1 spans as one outbound Gateway (gateway.ts; issue 5 "new calls for that route go
 * to the configured fallback"): PRI, ISUP or China No.1 R2 spans behind the signalling-neutral
 * TdmSpanLegs, hunted in the order given. A span whose guard reports an alarm (RED/BLUE/LOS,
 * channel/tdm/span-guard.ts) or whose stack refuses the setup (link down, no idle circuit,
 * circuit blocked) is skipped; when no span of the group can take the call the answer is
 * `congestion`, which sends an outbound route on to its next gateway (a SIP trunk, say).
 *
 * Once a setup is out, the outcome follows the far end (gateway-answer.ts): CONNECT/ANM/R2
 * answer → `answered`; clearing → the Q.850 cause classified by outcomeOfCause (busy 17, no
 * answer 18/19, rejected 21, resource causes 34/38/41/42/44/47 → congestion, else failed).
 */
import type { OriginateResult } from '../channel/tdm/span-legs.js';
import { HangupCauses } from '../channel/q850.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { TdmSetup } from '../../drivers/types.js';
import type { Gateway, GatewayDialRequest, GatewayDialResult } from './gateway.js';
import { awaitGatewayAnswer, type FailedOutcome } from './gateway-answer.js';

/** One span of the group: its legs (TdmSpanLegs) and whether it may take a call now. */
export interface TdmGatewaySpan {
  readonly spanNo: number;
  readonly legs: { originate(p: TdmSetup & { affinity?: string }): OriginateResult };
  /** In service (no RED/BLUE/LOS) and its signalling link up. */
  available(): boolean;
}

/** Causes that say "no resources here", not "the called party said no" (Q.850 §2.2.7 class 010). */
const CONGESTION_CAUSES: ReadonlySet<number> = new Set([34, 38, 41, 42, 44, 47]);

export function outcomeOfCause(cause: number): FailedOutcome {
  if (cause === HangupCauses.USER_BUSY) return 'busy';
  if (cause === HangupCauses.NO_USER_RESPONSE || cause === HangupCauses.NO_ANSWER) return 'no-answer';
  if (cause === HangupCauses.CALL_REJECTED) return 'rejected';
  if (CONGESTION_CAUSES.has(cause)) return 'congestion';
  return 'failed';
}

export class TdmSpanGroupGateway implements Gateway {
  readonly kind = 'tdm' as const;
  private readonly log: Logger;

  constructor(
    readonly id: string,
    private readonly spans: readonly TdmGatewaySpan[],
    private readonly deps: { clock: Clock; log: Logger },
  ) {
    this.log = deps.log.child({ mod: 'calls.tdm-gateway', gateway: id });
  }

  available(): boolean {
    return this.spans.some((s) => s.available());
  }

  async dial(req: GatewayDialRequest): Promise<GatewayDialResult> {
    if (req.signal.aborted) return { outcome: 'failed', cause: HangupCauses.NORMAL_CLEARING };
    let sawBusyCircuits = false;
    for (const span of this.spans) {
      if (!span.available()) continue;
      const r = span.legs.originate({ called: req.called, calling: req.caller.number, presentation: req.caller.presentation, affinity: req.callId });
      if (r.ok) {
        this.log.info({ spanNo: span.spanNo, timeslot: r.channel.timeslot, called: req.called }, 'outbound TDM call');
        req.onLeg?.(r.channel);
        return awaitGatewayAnswer(r.channel, req, this.deps.clock, outcomeOfCause);
      }
      if (r.reason !== 'link-down') sawBusyCircuits = true;
      this.log.debug({ spanNo: span.spanNo, reason: r.reason }, 'span skipped');
    }
    // Q.850: 34 "no circuit/channel available"; 38 when every span of the group is down.
    return { outcome: 'congestion', cause: sawBusyCircuits ? HangupCauses.NO_CIRCUIT_AVAILABLE : HangupCauses.NETWORK_OUT_OF_ORDER };
  }
}
