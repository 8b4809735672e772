/**
 * Q.850 cause values (ITU-T Q.850 Table 1), the one vocabulary every leg uses to say why a
 * call ended. SIP maps them per RFC 3398 (sip/… does that), PRI/ISUP carry them natively,
 * R2 and analog map their line signals onto them.
 */
export const HangupCauses = {
  UNALLOCATED_NUMBER: 1,
  NO_ROUTE_DESTINATION: 3,
  CHANNEL_UNACCEPTABLE: 6,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  SUBSCRIBER_ABSENT: 20,
  CALL_REJECTED: 21,
  NUMBER_CHANGED: 22,
  DESTINATION_OUT_OF_ORDER: 27,
  INVALID_NUMBER_FORMAT: 28,
  FACILITY_REJECTED: 29,
  NORMAL_UNSPECIFIED: 31,
  NO_CIRCUIT_AVAILABLE: 34,
  NETWORK_OUT_OF_ORDER: 38,
  TEMPORARY_FAILURE: 41,
  SWITCH_CONGESTION: 42,
  REQUESTED_CHAN_UNAVAIL: 44,
  OUTGOING_CALL_BARRED: 52,
  INCOMING_CALL_BARRED: 54,
  BEARERCAPABILITY_NOTAUTH: 57,
  BEARERCAPABILITY_NOTAVAIL: 58,
  SERVICE_UNAVAILABLE: 63,
  BEARERCAPABILITY_NOTIMPL: 65,
  FACILITY_NOT_IMPLEMENTED: 69,
  SERVICE_NOT_IMPLEMENTED: 79,
  INVALID_CALL_REFERENCE: 81,
  INCOMPATIBLE_DESTINATION: 88,
  INVALID_MSG_UNSPECIFIED: 95,
  MANDATORY_IE_MISSING: 96,
  MESSAGE_TYPE_NONEXIST: 97,
  PROTOCOL_ERROR: 111,
  INTERWORKING: 127,
} as const;

export type HangupCauseName = keyof typeof HangupCauses;
export type HangupCause = (typeof HangupCauses)[HangupCauseName];

const byValue = new Map<number, HangupCauseName>(
  Object.entries(HangupCauses).map(([k, v]) => [v, k as HangupCauseName]),
);

/** The Q.850 name of a cause value, or `CAUSE_<n>` for values not in the table. */
export function causeName(cause: number): string {
  return byValue.get(cause) ?? `CAUSE_${cause}`;
}
