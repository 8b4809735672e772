/**
 * The customer leg of a callback-in-queue (issue 6 "Callback-in-queue: … when their turn comes
 * an agent is reserved and the caller is called back (agent-first)"): the agent has answered
 * the ACD's offer in a new outbound call, and now the customer is dialled into that call.
 *
 * The number is the caller's own: one of the appliance's extensions (an internal caller) is
 * rung like any extension; any other number — a customer who called in over a trunk or an E1
 * span — goes out through the outbound routes (outbound-routes.ts) and their gateways, ON BEHALF
 * OF THE AGENT'S EXTENSION, so the toll-fraud guards apply exactly as if the agent had dialled
 * it: class of service, allow-lists, blocked prefixes (a caller ID from the network cannot make
 * the appliance call an international or premium-rate number), opening hours and limits. A
 * number no outbound route takes is
 * rung as an extension (an analog phone on an FXS port has no SIP contact). Outcomes are the ACD's values (acd/ports.ts
 * DialOutcome): a refused or unroutable number is `failed`, which the ACD retries and expires
 * as for any failed attempt.
 */
import type { DialOutcome } from '../acd/ports.js';
import type { Channel, PartyNumber } from '../channel/channel.js';
import type { Logger } from '../core/log.js';
import type { Call } from './call.js';
import type { OutboundDialer } from './outbound-dialer.js';

type ExtensionResult = { outcome: 'answered'; channel: Channel } | { outcome: 'busy' | 'no-answer' | 'failed'; cause: number };

export interface CallbackLegDeps {
  log: Logger;
  /** Whether `number` is a phone of this appliance (a registered contact or an analog extension). */
  isLocal(number: string): boolean;
  dialExtension(call: Call, extension: string, o: { caller: PartyNumber; signal: AbortSignal; timeoutMs: number }): Promise<ExtensionResult>;
  outbound?: Pick<OutboundDialer, 'dialOut'>;
  /** Adds a leg to the call's bookkeeping (CallHandler.track). */
  track(call: Call, leg: Channel): void;
}

export interface CallbackLegRequest {
  call: Call;
  number: string;
  /** The extension of the agent who answered: outbound guards are applied to it. */
  agentExtension: string | null;
  caller: PartyNumber;
  signal: AbortSignal;
  timeoutMs: number;
}

/** The agent's answered leg of a callback call: its called number is the agent's extension. */
export function agentExtensionOf(call: Call): string | null {
  const leg = call.channels.find((c) => c.direction === 'outbound' && c.level === 'connected');
  return leg ? leg.called.number : null;
}

export async function dialCallbackCustomer(d: CallbackLegDeps, r: CallbackLegRequest): Promise<DialOutcome> {
  const extension = async (): Promise<DialOutcome> => {
    const x = await d.dialExtension(r.call, r.number, { caller: r.caller, signal: r.signal, timeoutMs: r.timeoutMs });
    return x.outcome === 'answered' ? { outcome: 'answered', channel: x.channel } : { outcome: x.outcome };
  };
  if (d.isLocal(r.number) || !d.outbound) return extension();
  if (!r.agentExtension) {
    d.log.warn({ callId: r.call.id }, 'callback: no answered agent leg to dial out for');
    return { outcome: 'failed' };
  }
  const x = await d.outbound.dialOut({
    call: r.call,
    extension: r.agentExtension,
    dialled: r.number,
    caller: r.caller,
    signal: r.signal,
    timeoutMs: r.timeoutMs,
    track: (leg) => d.track(r.call, leg),
  });
  switch (x.outcome) {
    case 'answered':
      return { outcome: 'answered', channel: x.channel };
    case 'busy':
    case 'no-answer':
      return { outcome: x.outcome };
    case 'no-route':
      // Not a number for the outside: an extension without a registered SIP contact (an analog phone on an FXS port).
      return extension();
    case 'refused':
      d.log.warn({ callId: r.call.id, number: r.number, agent: r.agentExtension, reason: x.reason }, 'callback number refused by the outbound guards');
      return { outcome: 'failed' };
    default:
      return { outcome: 'failed' };
  }
}
