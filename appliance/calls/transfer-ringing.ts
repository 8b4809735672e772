/**
 * Transfers that meet a call still ringing (issue 3; calls/transfer.ts carries the transfer out):
 *
 *  - Semi-attended transfer, RFC 5589 §7.3 ("the Transferor ... sends the REFER before the
 *    Transfer Target answers"): the Replaces of the REFER names the transferor's consultation
 *    INVITE, still ringing here, whose outbound leg to the target rings. The transfer takes that
 *    ringing leg over (leg-handover.ts: the consultation's dial gives up without cancelling it),
 *    the consultation INVITE is answered 487, and the transferee is bridged with the target when
 *    it answers. RFC 3891 §3 lets a Replaces match an early dialog ("a confirmed or early
 *    dialog").
 *  - REFER arriving just as the dialog is confirmed, before the call control has bridged the
 *    transferor (the callee's 200 and its REFER overtake the bridge being built): the transfer
 *    waits for the bridge (`waitForPartner`) instead of declining.
 *
 * While the target rings the transferor is told so: RFC 3515 §2.4.5 NOTIFY "SIP/2.0 180
 * Ringing" after the first "100 Trying", the final status once the target answers or fails.
 */
import type { Channel } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import type { Clock } from '../core/clock.js';
import type { Call } from './call.js';
import type { LegHandover } from './leg-handover.js';

const RINGING = new Set(['setup', 'alerting', 'early-media']);
const POLL_MS = 25;

/** The live party bridged with `ch` in `call`, waiting up to `ms` for the bridge to be built; null if none comes. */
export async function waitForPartner(call: Call, ch: Channel, clock: Clock, ms: number): Promise<Channel | null> {
  for (let waited = 0; ; waited += POLL_MS) {
    const p = call.partners(ch)[0];
    if (p) return p;
    if (waited >= ms || call.isOver || ch.level === 'terminated' || call.channels.every((c) => c === ch || c.level === 'terminated')) return null;
    await new Promise<void>((r) => clock.setTimeout(r, POLL_MS));
  }
}

/**
 * The leg the consultation call (`consult` = the transferor's ringing INVITE) is ringing, taken
 * over by the transfer: its dial will not cancel it when the consultation INVITE ends.
 */
export function takeRingingTarget(consultCall: Call, consult: Channel, handover: LegHandover): Channel | null {
  const target = consultCall.channels.find((c) => c !== consult && c.direction === 'outbound' && RINGING.has(c.level));
  if (!target) return null;
  handover.adopt(target);
  return target;
}

export type RingOutcome = { answered: true } | { answered: false; cause: number };

/**
 * Wait for an adopted ringing leg to answer: `onRinging` once it alerts; cancelled with
 * NO_ANSWER after `timeoutMs`, or NORMAL_CLEARING when `signal` aborts (the transferee hung up).
 */
export function awaitAnswer(target: Channel, o: { clock: Clock; timeoutMs: number; signal: AbortSignal; onRinging: () => void }): Promise<RingOutcome> {
  if (target.level === 'connected') return Promise.resolve({ answered: true });
  if (target.level === 'terminated') return Promise.resolve({ answered: false, cause: HangupCauses.NORMAL_CLEARING });
  if (target.level === 'alerting' || target.level === 'early-media') o.onRinging();
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: RingOutcome): void => {
      if (done) return;
      done = true;
      timer.cancel();
      o.signal.removeEventListener('abort', onAbort);
      target.off('level', onLevel);
      resolve(r);
    };
    const onLevel = (level: string): void => {
      if (level === 'alerting' || level === 'early-media') o.onRinging();
      else if (level === 'connected') finish({ answered: true });
      else if (level === 'terminated') finish({ answered: false, cause: Number((target as { hangupInfo?: { cause: number } | null }).hangupInfo?.cause ?? HangupCauses.NORMAL_CLEARING) });
    };
    const onAbort = (): void => {
      void target.hangup(HangupCauses.NORMAL_CLEARING);
      finish({ answered: false, cause: HangupCauses.NORMAL_CLEARING });
    };
    const timer = o.clock.setTimeout(() => {
      void target.hangup(HangupCauses.NO_ANSWER);
      finish({ answered: false, cause: HangupCauses.NO_ANSWER });
    }, o.timeoutMs);
    target.on('level', onLevel);
    if (o.signal.aborted) onAbort();
    else o.signal.addEventListener('abort', onAbort, { once: true });
  });
}
