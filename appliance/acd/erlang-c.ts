/**
 * Erlang C staffing (../shared/METRICS.md §3 "Erlang C staffing"). Assumes Poisson arrivals,
 * exponential handle times, no abandonment and FIFO, so it overstaffs when abandonment is
 * material. Pw uses the Erlang B recursion to avoid factorial overflow:
 *   B(0)=1; B(k)=A·B(k−1)/(k+A·B(k−1)); Pw = N·B / (N − A·(1−B))
 *   SL(t) = 1 − Pw · e^{−(N−A)·t/AHT};  ASA = Pw · AHT / (N − A);  ρ = A / N
 */

export interface ErlangCResult {
  agents: number;
  /** Offered load A in erlangs. */
  load: number;
  /** Probability of waiting, 0–1 (1 when N ≤ A: the queue grows without bound). */
  pw: number;
  /** Fraction answered within the target time, 0–1. */
  serviceLevel: number;
  asaSeconds: number;
  occupancy: number;
}

export function erlangB(load: number, agents: number): number {
  let b = 1;
  for (let k = 1; k <= agents; k++) b = (load * b) / (k + load * b);
  return b;
}

/** Evaluate N agents for λ (calls per second), AHT and target time t (seconds). */
export function erlangC(callsPerSecond: number, ahtSeconds: number, agents: number, targetSeconds: number): ErlangCResult {
  const load = callsPerSecond * ahtSeconds;
  if (agents <= load) {
    return { agents, load, pw: 1, serviceLevel: 0, asaSeconds: Infinity, occupancy: 1 };
  }
  const b = erlangB(load, agents);
  const pw = (agents * b) / (agents - load * (1 - b));
  return {
    agents,
    load,
    pw,
    serviceLevel: 1 - pw * Math.exp((-(agents - load) * targetSeconds) / ahtSeconds),
    asaSeconds: (pw * ahtSeconds) / (agents - load),
    occupancy: load / agents,
  };
}

export interface StaffingTarget {
  callsPerSecond: number;
  ahtSeconds: number;
  targetSeconds: number;
  /** e.g. 0.8 for 80/20. */
  serviceLevel: number;
  /** Optional ceiling on occupancy, 0–1. */
  maxOccupancy?: number;
  /** Shrinkage 0–1 for scheduled staff. */
  shrinkage?: number;
}

export interface Staffing extends ErlangCResult {
  /** N / (1 − shrinkage), rounded up. */
  scheduled: number;
}

/** The smallest N with SL(t) ≥ target (and ρ ≤ max occupancy when given). */
export function agentsRequired(t: StaffingTarget): Staffing {
  const load = t.callsPerSecond * t.ahtSeconds;
  let n = Math.max(1, Math.floor(load) + 1);
  for (;;) {
    const r = erlangC(t.callsPerSecond, t.ahtSeconds, n, t.targetSeconds);
    if (r.serviceLevel >= t.serviceLevel && (t.maxOccupancy === undefined || r.occupancy <= t.maxOccupancy)) {
      return { ...r, scheduled: Math.ceil(n / (1 - (t.shrinkage ?? 0)) - 1e-9) };
    }
    n++;
  }
}
