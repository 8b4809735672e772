/**
 * The incoming half of an ISUP call before it is offered to the appliance: what ITU-T Q.764 asks
 * of the incoming exchange between the IAM and the moment the call can be set up.
 *
 *  - Overlap address signalling (Q.764 §2.1.1.2): "the address signals may be sent in the IAM
 *    and the remaining signals in subsequent address messages (SAM)". The called number is
 *    complete on the end-of-pulsing signal ST (Q.763 §3.9: code 1111; libss7 renders it `#`) or
 *    when it reaches the configured DNIS length; until then each SAM's digits are appended and
 *    T35 runs from the latest digit. Q.764 §2.1.1.2 / Annex A: "on expiry of T35 … the call is
 *    released … cause #28" (invalid number format, address incomplete).
 *  - Continuity check (Q.764 §2.1.8, Q.724 §7): an IAM whose nature of connection indicators say
 *    "continuity check required on this circuit" is not offered until the COT message arrives:
 *    "continuity check successful" lets the call proceed, a failed check or the expiry of T8
 *    (waiting for COT, 10–15 s) releases it; we release with cause 41 (temporary failure).
 *
 * A transition table plus a guard, as the rest of the drivers' machines: waiting for the address
 * and the continuity, for one of them, offered, or cleared. Each input returns what to do as a
 * value (`wait`, `offer` with the complete called number, or `clear` with a Q.850 cause); the
 * timers belong to the caller (isup-link.ts, on its Clock).
 */
import { InvalidTransitionError } from '../../appliance/core/errors.js';

export const OfferStates = ['address-and-continuity', 'address', 'continuity', 'offered', 'cleared'] as const;
export type OfferState = (typeof OfferStates)[number];

const nextStates: Readonly<Record<OfferState, readonly OfferState[]>> = {
  'address-and-continuity': ['address', 'continuity', 'cleared'],
  address: ['offered', 'cleared'],
  continuity: ['offered', 'cleared'],
  offered: [],
  cleared: [],
};

/** Q.850 causes of the clearing decisions. */
export const OFFER_CAUSE = { ADDRESS_INCOMPLETE: 28, TEMPORARY_FAILURE: 41 } as const;

export type OfferDecision =
  | { readonly kind: 'wait'; readonly for: 'address' | 'continuity' | 'address-and-continuity' }
  | { readonly kind: 'offer'; readonly called: string }
  | { readonly kind: 'clear'; readonly cause: number; readonly why: 'address-incomplete' | 'continuity-failed' | 'continuity-timeout' };

export interface OfferRules {
  /** The called number is complete at this many digits (ST completes it earlier). */
  readonly dnisLength?: number;
}

/** Q.764 Annex A defaults (ms): T35 15–20 s, T8 10–15 s. */
export const DEFAULT_OFFER_TIMERS = { t35: 15_000, t8: 10_000 } as const;

const ST = '#';

export class InboundOffer {
  private stateNow: OfferState;
  private digits: string;
  private clearing: Extract<OfferDecision, { kind: 'clear' }> | null = null;

  constructor(
    iam: { readonly called: string; readonly cotCheckRequired: boolean },
    private readonly rules: OfferRules = {},
  ) {
    this.digits = '';
    const addressDone = this.append(iam.called);
    this.stateNow = addressDone ? (iam.cotCheckRequired ? 'continuity' : 'offered') : iam.cotCheckRequired ? 'address-and-continuity' : 'address';
  }

  get state(): OfferState {
    return this.stateNow;
  }

  /** The called number so far, without ST. */
  get called(): string {
    return this.digits;
  }

  /** Still waiting for digits: T35 should run (restarted on each SAM). */
  get collecting(): boolean {
    return this.stateNow === 'address' || this.stateNow === 'address-and-continuity';
  }

  /** Still waiting for the COT message: T8 should run. */
  get awaitingContinuity(): boolean {
    return this.stateNow === 'continuity' || this.stateNow === 'address-and-continuity';
  }

  /** What to do right after the IAM. */
  decision(): OfferDecision {
    switch (this.stateNow) {
      case 'offered':
        return { kind: 'offer', called: this.digits };
      case 'address':
      case 'continuity':
      case 'address-and-continuity':
        return { kind: 'wait', for: this.stateNow };
      case 'cleared':
        if (this.clearing) return this.clearing;
        throw new InvalidTransitionError('isup inbound offer', 'cleared', 'offered');
    }
  }

  /** A SAM's digits. Digits after the number is complete are ignored (Q.764 §2.1.1.2: they are not expected). */
  sam(digits: string): OfferDecision {
    if (!this.collecting) return this.decision();
    if (!this.append(digits)) return this.decision();
    return this.move(this.stateNow === 'address' ? 'offered' : 'continuity');
  }

  /** The COT message: continuity check successful or not. */
  cot(passed: boolean): OfferDecision {
    if (!this.awaitingContinuity) return this.decision();
    if (!passed) return this.clear(OFFER_CAUSE.TEMPORARY_FAILURE, 'continuity-failed');
    return this.move(this.stateNow === 'continuity' ? 'offered' : 'address');
  }

  /** T35 expired: no further digit came and the number is still incomplete. */
  t35Expired(): OfferDecision {
    if (!this.collecting) return this.decision();
    return this.clear(OFFER_CAUSE.ADDRESS_INCOMPLETE, 'address-incomplete');
  }

  /** T8 expired: no COT message. */
  t8Expired(): OfferDecision {
    if (!this.awaitingContinuity) return this.decision();
    return this.clear(OFFER_CAUSE.TEMPORARY_FAILURE, 'continuity-timeout');
  }

  /** Appends address digits; true when the number is now complete (ST seen or the DNIS length reached). */
  private append(digits: string): boolean {
    const st = digits.indexOf(ST);
    this.digits += st >= 0 ? digits.slice(0, st) : digits;
    if (st >= 0) return true;
    const len = this.rules.dnisLength;
    return len !== undefined && this.digits.length >= len;
  }

  private clear(cause: number, why: Extract<OfferDecision, { kind: 'clear' }>['why']): OfferDecision {
    const d = { kind: 'clear', cause, why } as const;
    this.clearing = d;
    this.move('cleared');
    return d;
  }

  private move(to: OfferState): OfferDecision {
    if (!nextStates[this.stateNow].includes(to)) throw new InvalidTransitionError('isup inbound offer', this.stateNow, to);
    this.stateNow = to;
    return this.decision();
  }
}
