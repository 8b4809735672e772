/**
 * RFC 3261 §17 timer values (Table 4 of Appendix A) and RFC 6026 §8.3/§8.4 (Timers L and M),
 * from the configured T1/T2/T4 (config.sip.t1/t2/t4; no globals, STYLE.md §1):
 *   A  initially T1, INVITE request retransmit (UDP only)        B  64*T1, INVITE transaction timeout
 *   D  > 32 s for UDP, 0 for TCP/TLS, wait for response retransmits
 *   E  initially T1, non-INVITE request retransmit (UDP only)   F  64*T1, non-INVITE transaction timeout
 *   G  initially T1, INVITE response retransmit (UDP only)      H  64*T1, wait for ACK receipt
 *   I  T4 for UDP, 0 for TCP/TLS, wait for ACK retransmits      J  64*T1 for UDP, 0 for TCP/TLS
 *   K  T4 for UDP, 0 for TCP/TLS, wait for response retransmits
 *   L  64*T1, wait for INVITE retransmits after a 2xx (server)  M  64*T1, wait for 2xx retransmits (client)
 * Two bounds that are not RFC letters keep every transaction finite (RELIABILITY.md S7):
 *   C      a client INVITE stuck in Proceeding (RFC 3261 §16.6 bullet 11 gives proxies Timer C > 3 min);
 *   answer a server transaction whose TU never answers gets 500 after this long.
 */

export interface TimerConfig {
  t1: number;
  t2: number;
  t4: number;
}

export interface TimerValues {
  T1: number;
  T2: number;
  T4: number;
  A: number;
  B: number;
  C: number;
  D: number;
  E: number;
  F: number;
  G: number;
  H: number;
  I: number;
  J: number;
  K: number;
  L: number;
  M: number;
  /** 100 Trying deadline for INVITE server transactions (§17.2.1: "200 ms"). */
  trying: number;
  /** TU answer deadline for non-INVITE server transactions (then 500). */
  answerNonInvite: number;
  /** TU answer deadline for INVITE server transactions in Proceeding (then 500). */
  answerInvite: number;
}

export const DEFAULT_TIMERS: TimerConfig = { t1: 500, t2: 4000, t4: 5000 };

export function timerValues(c: TimerConfig, reliable: boolean): TimerValues {
  const sixtyFour = 64 * c.t1;
  return {
    T1: c.t1,
    T2: c.t2,
    T4: c.t4,
    A: c.t1,
    B: sixtyFour,
    C: 180_000,
    // §17.1.1.2: "This timer SHOULD be set to ... at least 32 seconds for unreliable transports, and a value of zero seconds for reliable transports."
    D: reliable ? 0 : Math.max(32_000, sixtyFour / 2),
    E: c.t1,
    F: sixtyFour,
    G: c.t1,
    H: sixtyFour,
    I: reliable ? 0 : c.t4,
    J: reliable ? 0 : sixtyFour,
    K: reliable ? 0 : c.t4,
    L: sixtyFour,
    M: sixtyFour,
    trying: 200,
    answerNonInvite: sixtyFour,
    answerInvite: 600_000,
  };
}
