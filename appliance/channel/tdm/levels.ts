/**
 * The call levels of a TDM leg (Q.931 §2.1 call states as sig_pri groups them, which ISUP and
 * R2 calls also pass through) as a transition table with a guard. A move not in the table
 * throws InvalidTransitionError; a move to the level the leg is already at is a no-op.
 *
 *   setup → overlap → proceeding → alerting ⇄ early-media → connected → terminated
 *   (any level may go straight to terminated; a fast answer may skip the middle ones)
 */
import { InvalidTransitionError } from '../../core/errors.js';
import type { CallLevel } from '../channel.js';

export const nextLevels: Readonly<Record<CallLevel, readonly CallLevel[]>> = {
  setup: ['overlap', 'proceeding', 'alerting', 'early-media', 'connected', 'terminated'],
  overlap: ['proceeding', 'alerting', 'early-media', 'connected', 'terminated'],
  proceeding: ['alerting', 'early-media', 'connected', 'terminated'],
  alerting: ['early-media', 'connected', 'terminated'],
  'early-media': ['alerting', 'connected', 'terminated'],
  connected: ['terminated'],
  terminated: [],
};

/** true when the level changes, false when it is already there; throws when not allowed. */
export function checkLevel(entity: string, from: CallLevel, to: CallLevel): boolean {
  if (from === to) return false;
  if (!nextLevels[from].includes(to)) throw new InvalidTransitionError(entity, from, to);
  return true;
}
