/**
 * Q.850 cause ↔ SIP status, RFC 3398 ("ISUP to SIP Mapping") as a table, both directions:
 *
 *  - §8.2.6.1 "ISUP Cause value to SIP response mapping" (cause → status) when we reject a SIP
 *    call for a reason another leg gave (or our own);
 *  - §7.2.4.1 "SIP response to ISUP Cause" (status → cause) when a SIP leg fails and the other
 *    legs, CDRs and the ACD need the Q.850 vocabulary.
 *
 * Unlisted values fall back by class: RFC 3398 §7.2.4.1 "For SIP responses that are not listed
 * ... the ISUP cause value corresponding to the class of the response (the "x00" code) is used";
 * for causes, the Q.850 class decides (normal event → 480, resource unavailable → 503, the rest →
 * 500). 487 (CANCEL) is not in RFC 3398; it maps to 16 (the caller hung up before the answer,
 * what ISUP signals as a normal release).
 */
import { HangupCauses } from './q850.js';

/** RFC 3398 §8.2.6.1, cause → SIP status. */
export const CAUSE_TO_SIP: Readonly<Record<number, number>> = {
  1: 404, // Unallocated number
  2: 404, // No route to network
  3: 404, // No route to destination
  16: 480, // Normal clearing — only when a call is rejected with it (a BYE otherwise); RFC 3398 leaves it to the class
  17: 486, // User busy
  18: 408, // No user responding
  19: 480, // No answer from the user
  20: 480, // Subscriber absent
  21: 403, // Call rejected
  22: 410, // Number changed (w/o diagnostic)
  23: 410, // Redirection to new destination
  26: 404, // Non-selected user clearing
  27: 502, // Destination out of order
  28: 484, // Address incomplete
  29: 501, // Facility rejected
  31: 480, // Normal unspecified
  34: 503, // No circuit available
  38: 503, // Network out of order
  41: 503, // Temporary failure
  42: 503, // Switching equipment congestion
  47: 503, // Resource unavailable
  55: 403, // Incoming calls barred within CUG
  57: 403, // Bearer capability not authorized
  58: 503, // Bearer capability not presently available
  65: 488, // Bearer capability not implemented
  69: 501, // Requested facility not implemented
  70: 488, // Only restricted digital information bearer capability is available
  79: 501, // Service or option not implemented
  87: 403, // User not member of CUG
  88: 503, // Incompatible destination
  102: 504, // Recovery on timer expiry
  111: 500, // Protocol error
  127: 500, // Interworking unspecified
};

/** RFC 3398 §7.2.4.1, SIP status → cause. */
export const SIP_TO_CAUSE: Readonly<Record<number, number>> = {
  400: 41, // Bad Request → Temporary Failure
  401: 21, // Unauthorized → Call rejected
  402: 21, // Payment required → Call rejected
  403: 21, // Forbidden → Call rejected
  404: 1, // Not found → Unallocated number
  405: 63, // Method not allowed → Service or option unavailable
  406: 79, // Not acceptable → Service/option not implemented
  407: 21, // Proxy authentication required → Call rejected
  408: 102, // Request timeout → Recovery on timer expiry
  410: 22, // Gone → Number changed
  413: 127, // Request Entity too long → Interworking
  414: 127, // Request-URI too long → Interworking
  415: 79, // Unsupported media type → Service/option not implemented
  416: 127, // Unsupported URI Scheme → Interworking
  420: 127, // Bad extension → Interworking
  421: 127, // Extension Required → Interworking
  423: 127, // Interval Too Brief → Interworking
  480: 18, // Temporarily unavailable → No user responding
  481: 41, // Call/Transaction Does not Exist → Temporary Failure
  482: 25, // Loop Detected → Exchange routing error
  483: 25, // Too many hops → Exchange routing error
  484: 28, // Address incomplete → Invalid Number Format
  485: 1, // Ambiguous → Unallocated number
  486: 17, // Busy here → User busy
  487: HangupCauses.NORMAL_CLEARING, // Request Terminated (not in RFC 3398: the caller gave up)
  488: 65, // Not Acceptable here → Bearer capability not implemented (RFC 3398: "by Warning header"; 65 by default)
  500: 41, // Server internal error → Temporary failure
  501: 79, // Not implemented → Not implemented, unspecified
  502: 38, // Bad gateway → Network out of order
  503: 41, // Service unavailable → Temporary failure
  504: 102, // Server time-out → Recovery on timer expiry
  505: 127, // Version Not Supported → Interworking
  513: 127, // Message Too Large → Interworking
  600: 17, // Busy everywhere → User busy
  603: 21, // Decline → Call rejected
  604: 1, // Does not exist anywhere → Unallocated number
  606: 58, // Not acceptable → Bearer capability not presently available
};

/** The SIP status for rejecting a call with a Q.850 cause. */
export function sipStatusForCause(cause: number): number {
  const s = CAUSE_TO_SIP[cause];
  if (s !== undefined) return s;
  if (cause <= 31) return 480;
  if (cause <= 47) return 503;
  return 500;
}

/** The Q.850 cause for a SIP final status (2xx has none: the call was answered → 16 when it later ends). */
export function causeForSipStatus(status: number): number {
  if (status >= 200 && status < 300) return HangupCauses.NORMAL_CLEARING;
  const c = SIP_TO_CAUSE[status];
  if (c !== undefined) return c;
  const x00 = SIP_TO_CAUSE[Math.floor(status / 100) * 100];
  return x00 ?? HangupCauses.INTERWORKING;
}
