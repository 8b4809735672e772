/**
 * China No.1 signalling (中国1号信令) parameters: the MFC-R2 variant of ITU-T Q.421 (digital
 * line signalling) and Q.441 (inter-register signalling) used on Chinese E1 CAS trunks.
 *
 * Line signalling (Q.421 §3, Table 1, "digital version"): each direction sends two bits in
 * timeslot 16, af/bf forward and ab/bb backward. China keeps the ITU A/B code and fixes the
 * unused C and D bits at 1 (ITU Q.421 §3.1.2 puts c = 0, d = 1 when unused); the bits never
 * change during a call. As 4-bit numbers A=bit3 … D=bit0 (DAHDI_SETTXBITS order):
 *
 *   circuit state           forward af bf   backward ab bb    China ABCD (ITU ABCD)
 *   idle / released          1  0             1  0            fwd 1011, bwd 1011  (1001)
 *   seized                   0  0             1  0            fwd 0011            (0001)
 *   seizure acknowledged     0  0             1  1            bwd 1111            (1101)
 *   answered                 0  0             0  1            bwd 0111            (0101)
 *   clear-back               0  0             1  1            bwd 1111            (1101)
 *   clear-forward            1  0             0 1 or 1 1      fwd 1011            (1001)
 *   release guard            1  0             1  0 (back to idle after clear-forward)
 *   blocked                  1  0             1  1            bwd 1111            (1101)
 *
 * Receivers look only at A and B (`lineCode()` masks C and D), so an ITU far end interworks.
 *
 * Inter-register signalling (Q.441 compelled MFC, China No.1 meanings):
 *   forward Group I   (KA/KC/digits) I-1 … I-10 digits 1…9, 0; I-15 end of ANI (Q.441 "ST");
 *                     after A-6 the first Group I signal is KA, the calling subscriber category.
 *   forward Group II  (KD, 发端呼叫业务类别): KD-1 toll operator, KD-2 toll automatic,
 *                     KD-3 local subscriber, KD-4 local priority, KD-5 data, KD-6 test call.
 *   backward Group A  A-1 send next digit (DNIS or ANI), A-2 send again from the first digit,
 *                     A-3 address complete, change to Group B, A-4 congestion, A-5 unallocated
 *                     number (空号), A-6 send KA and the calling number (ITU uses A-5 for the
 *                     category request; China uses A-6, as OpenR2's China profile also does).
 *   backward Group B  (KB, 被叫用户状态) B-1 subscriber free, charge; B-2 subscriber busy
 *                     (local, 市忙); B-3 subscriber busy (toll, 长忙); B-4 congestion (机键拥塞);
 *                     B-5 unallocated number (空号).
 * China has no "end of DNIS" forward signal: the incoming register knows the number length from
 * its numbering plan, or decides after a silence (see register.ts).
 */

/** A and B bits (of an ABCD nibble) as a two-character string, e.g. '10' for idle. */
export type LineCode = '00' | '01' | '10' | '11';

export function lineCode(abcd: number): LineCode {
  return `${(abcd >> 3) & 1}${(abcd >> 2) & 1}` as LineCode;
}

export interface R2Variant {
  readonly name: 'china' | 'itu';
  /** The fixed C and D bits (bit 1 = C, bit 0 = D). */
  readonly cdBits: number;
}

export const CHINA_NO1: R2Variant = { name: 'china', cdBits: 0b11 };
export const ITU_R2: R2Variant = { name: 'itu', cdBits: 0b01 };

/** The ABCD nibble for A/B `code` in `variant`. */
export function abcd(code: LineCode, variant: R2Variant): number {
  return (Number(code[0]) << 3) | (Number(code[1]) << 2) | variant.cdBits;
}

/** Forward Group I. */
export const GroupI = { END_OF_ANI: 15 } as const;

/** The Group I signal for a dialled digit: '1'…'9' → 1…9, '0' → 10. */
export function digitSignal(d: string): number {
  if (!/^[0-9]$/.test(d)) throw new RangeError(`R2 Group I carries digits 0–9, got ${JSON.stringify(d)}`);
  return d === '0' ? 10 : Number(d);
}

/** The digit a Group I signal 1…10 stands for, or null for 11–15. */
export function signalDigit(s: number): string | null {
  if (s >= 1 && s <= 9) return String(s);
  return s === 10 ? '0' : null;
}

/** KA, calling subscriber category (sent after A-6); 1 = ordinary subscriber, periodic charging. */
export const KA_ORDINARY = 1;

/** KD, forward Group II: calling service category. */
export const KD = { TOLL_OPERATOR: 1, TOLL_AUTOMATIC: 2, LOCAL_SUBSCRIBER: 3, LOCAL_PRIORITY: 4, DATA: 5, TEST: 6 } as const;

/** Backward Group A. */
export const GroupA = { SEND_NEXT: 1, RESEND_FROM_FIRST: 2, ADDRESS_COMPLETE_GROUP_B: 3, CONGESTION: 4, UNALLOCATED: 5, SEND_KA_AND_ANI: 6 } as const;

/** Backward Group B (KB). */
export const GroupB = { FREE_CHARGE: 1, BUSY_LOCAL: 2, BUSY_TOLL: 3, CONGESTION: 4, UNALLOCATED: 5 } as const;

/** Q.850 cause values this stack signals or reports. */
export const Q850 = {
  UNALLOCATED_NUMBER: 1,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_ANSWER: 19,
  NORMAL_UNSPECIFIED: 31,
  NO_CIRCUIT_AVAILABLE: 34,
  REQUESTED_CHAN_UNAVAIL: 44,
  PROTOCOL_ERROR: 111,
  RECOVERY_ON_TIMER_EXPIRE: 102,
} as const;

/** What a Group B signal means for the call: free (proceed to ringing) or a failure cause. */
export function groupBOutcome(b: number): { readonly free: true } | { readonly free: false; readonly cause: number } {
  switch (b) {
    case GroupB.FREE_CHARGE:
      return { free: true };
    case GroupB.BUSY_LOCAL:
    case GroupB.BUSY_TOLL:
      return { free: false, cause: Q850.USER_BUSY };
    case GroupB.CONGESTION:
      return { free: false, cause: Q850.NO_CIRCUIT_AVAILABLE };
    case GroupB.UNALLOCATED:
      return { free: false, cause: Q850.UNALLOCATED_NUMBER };
    default:
      return { free: false, cause: Q850.NORMAL_UNSPECIFIED };
  }
}

/** The Group B signal an incoming register sends to refuse a call with Q.850 `cause`. */
export function groupBForCause(cause: number): number {
  if (cause === Q850.USER_BUSY) return GroupB.BUSY_LOCAL;
  if (cause === Q850.UNALLOCATED_NUMBER) return GroupB.UNALLOCATED;
  return GroupB.CONGESTION;
}

/** The failure cause of a Group A signal that ends the call; null for the others. */
export function groupAFailure(a: number): number | null {
  if (a === GroupA.CONGESTION) return Q850.NO_CIRCUIT_AVAILABLE;
  if (a === GroupA.UNALLOCATED) return Q850.UNALLOCATED_NUMBER;
  return null;
}
