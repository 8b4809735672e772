/**
 * Parallel forking to every registered contact of an extension (a desk phone and a softphone on
 * one AOR), the B2BUA's reading of RFC 3261 §16.7 (a forking proxy's response context):
 *
 *  - every branch rings at once; "If a 2xx response is received, the proxy ... MUST ... CANCEL
 *    all pending client transactions" (§16.7 step 10; §16.10) — the first leg to answer wins and
 *    the others are cancelled, Q.850 26 "non-selected user clearing";
 *  - a 2xx racing the CANCEL of a losing branch is ACKed and sent a BYE by its session
 *    (sip/dialog/session.ts, §13.2.2.4);
 *  - no answer: the best final outcome is chosen (§16.7 step 6 "the proxy MUST choose from the
 *    6xx class responses if any exist"): a decline (6xx → Q.850 21) over busy (486 → 17) over
 *    no answer (480/408 → 18/19/20) over anything else, the first of equals;
 *  - the caller giving up (`signal`) or the ring timeout cancels every branch.
 */
import type { Channel } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import type { Clock } from '../core/clock.js';

/** ITU-T Q.850 cause 26: the call was answered on another branch. */
export const NON_SELECTED_USER_CLEARING = 26;

export type ForkResult = { outcome: 'answered'; channel: Channel } | { outcome: 'busy' | 'no-answer' | 'failed'; cause: number };

type Leg = Channel & { hangupInfo?: { cause: number } | null };

const RANK: ReadonlyArray<readonly number[]> = [
  [HangupCauses.CALL_REJECTED],
  [HangupCauses.USER_BUSY],
  [HangupCauses.NO_ANSWER, HangupCauses.NO_USER_RESPONSE, HangupCauses.SUBSCRIBER_ABSENT],
];

/** The cause reported when every branch failed (§16.7 step 6). */
export function bestCause(causes: readonly number[]): number {
  for (const group of RANK) {
    const hit = causes.find((c) => group.includes(c));
    if (hit !== undefined) return hit;
  }
  return causes[0] ?? HangupCauses.NORMAL_UNSPECIFIED;
}

export function outcomeOfCause(cause: number): 'busy' | 'no-answer' | 'failed' {
  if (cause === HangupCauses.USER_BUSY) return 'busy';
  if (cause === HangupCauses.NO_ANSWER || cause === HangupCauses.NO_USER_RESPONSE) return 'no-answer';
  return 'failed';
}

/** Ring `legs` (already sent) together; resolves with the first to answer or the best failure. */
export function ringForks(legs: readonly Leg[], o: { signal: AbortSignal; timeoutMs: number; clock: Clock }): Promise<ForkResult> {
  return new Promise((resolve) => {
    let done = false;
    const failed = new Map<Leg, number>();
    const offs: Array<() => void> = [];
    const finish = (r: ForkResult, winner: Leg | null, cause: number): void => {
      if (done) return;
      done = true;
      timer.cancel();
      o.signal.removeEventListener('abort', onAbort);
      for (const off of offs) off();
      for (const l of legs) if (l !== winner && l.level !== 'terminated') void l.hangup(cause);
      resolve(r);
    };
    const onAbort = (): void => finish({ outcome: 'failed', cause: HangupCauses.NORMAL_CLEARING }, null, HangupCauses.NORMAL_CLEARING);
    const timer = o.clock.setTimeout(() => finish({ outcome: 'no-answer', cause: HangupCauses.NO_ANSWER }, null, HangupCauses.NO_ANSWER), o.timeoutMs);
    const onLevel = (leg: Leg, level: string): void => {
      if (done) return;
      if (level === 'connected') finish({ outcome: 'answered', channel: leg }, leg, NON_SELECTED_USER_CLEARING);
      else if (level === 'terminated') {
        failed.set(leg, Number(leg.hangupInfo?.cause ?? HangupCauses.NORMAL_UNSPECIFIED));
        if (failed.size === legs.length) {
          const cause = bestCause(legs.map((l) => failed.get(l)!));
          finish({ outcome: outcomeOfCause(cause), cause }, null, cause);
        }
      }
    };
    for (const leg of legs) {
      const fn = (level: string): void => onLevel(leg, level);
      leg.on('level', fn);
      offs.push(() => leg.off('level', fn));
    }
    if (o.signal.aborted) onAbort();
    else o.signal.addEventListener('abort', onAbort, { once: true });
    for (const leg of legs) if (leg.level === 'connected' || leg.level === 'terminated') onLevel(leg, leg.level);
  });
}
