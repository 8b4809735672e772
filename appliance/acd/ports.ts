/**
 * What the ACD needs from the call layer, as small ports (DESIGN.md "Dependency direction":
 * acd imports channel and core only). The SIP/TDM call layer implements them; tests implement
 * them with FakeChannels. Expected telephony outcomes are values, never exceptions (STYLE.md
 * "Errors").
 */
import type { Channel, PartyNumber } from '../channel/channel.js';
import type { CustomerTier } from './model.js';

export interface OfferedCall {
  callId: string;
  queueId: string;
  /** 'callback': the agent is rung first and the customer is dialled once they answer. */
  kind: 'inbound' | 'callback';
  caller: PartyNumber;
  tier: CustomerTier;
  waitMs: number;
}

export type DialOutcome =
  | { outcome: 'answered'; channel: Channel }
  | { outcome: 'no-answer' | 'busy' | 'failed' };

/** Rings an agent's phone. Must resolve (never hang) once `signal` aborts: the ACD has then given up. */
export interface AgentDialer {
  offer(agent: { id: string; name: string }, call: OfferedCall, opts: { timeoutMs: number; signal: AbortSignal }): Promise<DialOutcome>;
}

/**
 * Dials a customer for a callback-in-queue, after the agent answered the offer of kind
 * 'callback' made under the same `callId` (so the call layer can join both legs in one call).
 */
export interface CustomerDialer {
  dial(number: string, opts: { callbackId: string; callId: string; timeoutMs: number; signal: AbortSignal }): Promise<DialOutcome>;
}

/** Joins two answered legs in the media engine. Resolves once media flows; rejects if it cannot. */
export interface CallBridger {
  bridge(caller: Channel, agent: Channel): Promise<void>;
}

/**
 * The call layer's own view of whether a leg still exists (e.g. the SIP dialog is gone). The ACD
 * reconciles against it, so an agent can never stay "in call" after a missed hang-up event.
 */
export interface CallLiveness {
  isLive(channelId: string): boolean;
}
