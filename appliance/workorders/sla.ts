/**
 * SLA clocks on business calendars (METRICS.md "Ticket/work-order SLA times" after Zammad:
 * first response, update and solution times in business time; utility clocks from [U1]: repair
 * arrival ≤ 45 min urban, ≤ 90 min rural, ≤ 2 h remote; restoration ≤ 3 h urban, ≤ 4 h rural).
 *
 * A clock consumes business time while running and stands still while paused (the order is
 * suspended or waiting for the customer). Definitions, with elapsed(t) the business time
 * consumed by instant t:
 *
 *   warning at p %   fires at the first instant t with elapsed(t) ≥ target · p / 100
 *   breach           fires at the first instant t with elapsed(t) > target, i.e. 1 ms after
 *                    due = the first instant with elapsed = target ("within 20 s": 20 000 ms
 *                    is in time, 20 001 ms is not — STYLE.md "Clock"); it is escalation level 1
 *   escalation k ≥ 2 fires at the first instant t with elapsed(t) ≥ target + escalate[k − 2]
 *                    (business minutes after the breach, ascending): the order goes one more
 *                    level up the organisation each time (the escalation chain)
 *
 * Everything here is pure arithmetic over a BusinessCalendar; the checker that reads rows and
 * publishes events is SlaChecker in sla-checker.ts.
 */
import type { BusinessCalendar } from './calendar.js';
import type { AreaClass, Priority, SlaMetric } from './model.js';

/** Metrics a policy can set (step limits come from the workflow definition instead). */
export type PolicyMetric = Exclude<SlaMetric, 'step'>;
export const PolicyMetrics: readonly PolicyMetric[] = ['accept', 'arrival', 'restore', 'reply', 'resolve'];

export interface SlaPolicy {
  id: string;
  typeId: string | null;
  priority: Priority | null;
  areaClass: AreaClass | null;
  metric: PolicyMetric;
  targetMinutes: number;
  /** null: round the clock. */
  calendarId: string | null;
  warnPercents: number[];
  /** Business minutes after the breach at which escalation levels 2, 3, … fire (ascending). */
  escalateMinutes: number[];
}

/** Which clocks an action starts and stops. */
export const clockTriggers = {
  create: { start: ['accept', 'resolve'], stop: [] },
  accept: { start: [], stop: ['accept'] },
  dispatch: { start: ['arrival', 'reply'], stop: [] },
  arrive: { start: ['restore'], stop: ['arrival'] },
  /** Reaching `replied` (the last step's last reply). */
  replied: { start: [], stop: ['reply', 'restore', 'arrival'] },
  close: { start: [], stop: ['accept', 'arrival', 'restore', 'reply', 'resolve'] },
  reopen: { start: ['resolve'], stop: [] },
} as const satisfies Record<string, { start: readonly PolicyMetric[]; stop: readonly PolicyMetric[] }>;

/**
 * The policy for one metric of an order: among active policies whose non-null keys all match,
 * the one matching the most keys (type counts more than priority, priority more than area).
 */
export function matchPolicy(
  policies: readonly SlaPolicy[],
  order: { typeId: string; priority: Priority; areaClass: AreaClass | null },
  metric: PolicyMetric,
): SlaPolicy | undefined {
  let best: SlaPolicy | undefined;
  let bestScore = -1;
  for (const p of policies) {
    if (p.metric !== metric) continue;
    if (p.typeId !== null && p.typeId !== order.typeId) continue;
    if (p.priority !== null && p.priority !== order.priority) continue;
    if (p.areaClass !== null && p.areaClass !== order.areaClass) continue;
    const score = (p.typeId !== null ? 4 : 0) + (p.priority !== null ? 2 : 0) + (p.areaClass !== null ? 1 : 0);
    if (score > bestScore) {
      best = p;
      bestScore = score;
    }
  }
  return best;
}

/** The state of one clock, as stored in workorder_sla. */
export interface ClockState {
  targetMs: number;
  warnPercents: readonly number[];
  consumedMs: number;
  /** Start of the current running stretch; null while paused or stopped. */
  runningSince: number | null;
  /** How many warnPercents have fired. */
  warned: number;
  breachedAt: number | null;
  /** Business ms after the due instant for escalation levels 2, 3, … (ascending). */
  escalateAfterMs: readonly number[];
  /** How many of escalateAfterMs have fired. */
  escalated: number;
}

export function elapsedMs(c: ClockState, cal: BusinessCalendar, now: number): number {
  return c.consumedMs + (c.runningSince === null ? 0 : cal.businessMsBetween(c.runningSince, now));
}

/** The first instant elapsed reaches `amount` (while running from now on). */
function instantOf(c: ClockState, cal: BusinessCalendar, amount: number): number | null {
  if (c.runningSince === null) return null;
  return cal.addBusinessMs(c.runningSince, Math.max(0, amount - c.consumedMs));
}

export function warnAmount(c: ClockState, i: number): number {
  return Math.ceil((c.targetMs * (c.warnPercents[i] ?? 100)) / 100);
}

/** When the clock, kept running, reaches its target (null while paused). */
export function dueAt(c: ClockState, cal: BusinessCalendar): number | null {
  return instantOf(c, cal, c.targetMs);
}

/** The next instant something fires: the next unfired warning, else the breach, else the next escalation; null if none. */
export function nextCheckAt(c: ClockState, cal: BusinessCalendar): number | null {
  if (c.runningSince === null) return null;
  if (c.warned < c.warnPercents.length) return instantOf(c, cal, warnAmount(c, c.warned));
  if (c.breachedAt === null) {
    const due = dueAt(c, cal);
    return due === null ? null : due + 1;
  }
  if (c.escalated < c.escalateAfterMs.length) return instantOf(c, cal, c.targetMs + c.escalateAfterMs[c.escalated]!);
  return null;
}

export type Firing = { kind: 'warn'; percent: number } | { kind: 'breach' } | { kind: 'escalate'; level: number };

/** What has come due by `now`: warnings in order, then the breach. Returns the new state too. */
export function evaluate(c: ClockState, cal: BusinessCalendar, now: number): { fired: Firing[]; state: ClockState } {
  const fired: Firing[] = [];
  const state = { ...c };
  if (c.runningSince === null) return { fired, state };
  while (state.warned < state.warnPercents.length) {
    const at = instantOf(state, cal, warnAmount(state, state.warned));
    if (at === null || now < at) break;
    fired.push({ kind: 'warn', percent: state.warnPercents[state.warned]! });
    state.warned++;
  }
  if (state.breachedAt === null) {
    const due = dueAt(state, cal);
    if (due !== null && now > due) {
      // A breach implies every warning below it.
      state.warned = state.warnPercents.length;
      fired.push({ kind: 'breach' });
      state.breachedAt = now;
    }
  }
  if (state.breachedAt !== null) {
    while (state.escalated < state.escalateAfterMs.length) {
      const at = instantOf(state, cal, state.targetMs + state.escalateAfterMs[state.escalated]!);
      if (at === null || now < at) break;
      state.escalated++;
      fired.push({ kind: 'escalate', level: state.escalated + 1 });
    }
  }
  return { fired, state };
}

/** Stop the running stretch at `now`, banking the business time it consumed. */
export function pause(c: ClockState, cal: BusinessCalendar, now: number): ClockState {
  if (c.runningSince === null) return c;
  return { ...c, consumedMs: elapsedMs(c, cal, now), runningSince: null };
}

export function resume(c: ClockState, now: number): ClockState {
  return c.runningSince === null ? { ...c, runningSince: now } : c;
}
