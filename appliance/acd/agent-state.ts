/**
 * Agent status and state machines as transition tables plus guards (STYLE.md "State machines";
 * FreeSWITCH mod_callcenter's split). `status` is the person's choice; `state` belongs to the
 * ACD. A move not in a table throws InvalidTransitionError; the ACD emits an event and stores a
 * row for every move that passes (acd.ts does the actions, this file only says what is legal).
 *
 *   status:  logged-out ⇄ available ⇄ on-break (reason) ; on-break → on-break (new reason)
 *   state:   idle → offered → in-call → wrap-up → idle ; offered → idle (no answer, busy,
 *            cancelled) ; in-call → idle (no wrap-up) ; idle → outbound → wrap-up | idle
 */
import { InvalidTransitionError } from '../core/errors.js';
import type { AgentState, AgentStatus } from './model.js';

export const statusTransitions: { readonly [S in AgentStatus]: readonly AgentStatus[] } = {
  'logged-out': ['available', 'on-break'],
  available: ['on-break', 'logged-out'],
  'on-break': ['available', 'on-break', 'logged-out'],
};

export const stateTransitions: { readonly [S in AgentState]: readonly AgentState[] } = {
  idle: ['offered', 'outbound'],
  offered: ['in-call', 'idle'],
  'in-call': ['wrap-up', 'idle'],
  'wrap-up': ['idle'],
  outbound: ['wrap-up', 'idle'],
};

export function assertStatusTransition(agentId: string, from: AgentStatus, to: AgentStatus): void {
  if (!statusTransitions[from].includes(to)) throw new InvalidTransitionError(`agent ${agentId} status`, from, to);
}

export function assertStateTransition(agentId: string, from: AgentState, to: AgentState): void {
  if (!stateTransitions[from].includes(to)) throw new InvalidTransitionError(`agent ${agentId} state`, from, to);
}

/** Only an available, idle agent may be offered a call. */
export function canBeOffered(status: AgentStatus, state: AgentState): boolean {
  return status === 'available' && state === 'idle';
}
