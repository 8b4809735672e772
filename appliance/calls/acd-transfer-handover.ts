/**
 * A transfer made from the agent's own phone during an ACD call (RFC 3515 REFER on the agent's
 * leg, blind or with RFC 3891 Replaces; carried out by transfer.ts): the ACD's `keepCaller`
 * question (acd/acd.ts) answered by the call layer.
 *
 * When the agent's leg of a queue call ends, the ACD clears the caller unless told to keep it.
 * A leg that left its call by transfer (Call.detach with `transferred`, as transfer.ts does the
 * moment it takes the REFER) no longer decides the caller's fate: RFC 5589 §6.1, "the transferor
 * MAY terminate the original dialog as soon as the REFER is accepted". The transfer owns the
 * caller from then on — bridged to the target when it answers, given back to the agent when the
 * target is busy or does not answer (§6.2), cleared with the target's cause when the agent has
 * gone. The agent still leaves the ACD call (wrap-up, then idle) when its leg ends.
 *
 * A failed transfer that bridges the agent back (Call.bridge) makes the leg an ordinary party
 * again, so its later hang-up clears the caller as in any queue call.
 */
import type { Channel } from '../channel/channel.js';

/** The call layer as this module sees it (CallHandler.callOf). */
export interface CallsByLeg {
  callOf(channelId: string): { leftByTransfer(ch: Channel): boolean } | undefined;
}

/** The ACD's `keepCaller`: true when the agent's leg that ended had left the call by transfer. */
export function keepsTransferredCaller(calls: Partial<CallsByLeg>, e: { ended: Channel; caller: Channel }): boolean {
  if (e.caller.level === 'terminated') return false;
  return calls.callOf?.(e.ended.id)?.leftByTransfer(e.ended) ?? false;
}
