/**
 * The wait every Gateway (gateway.ts) does once its outbound leg is placed, whatever the leg is
 * (a SIP trunk INVITE, an E1 SETUP/IAM/R2 seizure): the far end answers → `answered` with the
 * leg; the leg ends → its Q.850 cause, classified by the gateway's own table (SIP and E1 map
 * causes differently: RFC 3398 vs Q.850 §2.2.7 classes); the caller gives up (`signal`, already
 * aborted or later) → the leg is cleared with 16 and the dial `failed`; the ring timeout passes →
 * the leg is cleared with 19 (NO_ANSWER) and the dial is `no-answer`.
 */
import type { Channel } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import type { Clock } from '../core/clock.js';
import type { GatewayDialRequest, GatewayDialResult } from './gateway.js';

export type FailedOutcome = Exclude<GatewayDialResult['outcome'], 'answered'>;

export function awaitGatewayAnswer(
  leg: Channel & { hangupInfo?: { cause: number } | null },
  o: Pick<GatewayDialRequest, 'signal' | 'timeoutMs'>,
  clock: Clock,
  classify: (cause: number) => FailedOutcome,
): Promise<GatewayDialResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: GatewayDialResult): void => {
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
        finish({ outcome: classify(cause), cause });
      }
    };
    // Settled before the leg is cleared: its own 'terminated' must not classify our cause again.
    const onAbort = (): void => {
      finish({ outcome: 'failed', cause: HangupCauses.NORMAL_CLEARING });
      void leg.hangup(HangupCauses.NORMAL_CLEARING);
    };
    const timer = clock.setTimeout(() => {
      finish({ outcome: 'no-answer', cause: HangupCauses.NO_ANSWER });
      void leg.hangup(HangupCauses.NO_ANSWER);
    }, o.timeoutMs);
    leg.on('level', onLevel);
    if (leg.level === 'connected' || leg.level === 'terminated') onLevel(leg.level);
    else if (o.signal.aborted) onAbort();
    else o.signal.addEventListener('abort', onAbort, { once: true });
  });
}
