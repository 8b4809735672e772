/**
 * Call-centre metrics exactly as ../shared/METRICS.md §3 defines them. Pure functions over raw
 * records (which the ACD derives from its stored event log), so every variant can be recomputed
 * for any interval. Each result names the formula it computed, so the wallboard can show it.
 *
 * Conventions chosen and documented here (METRICS.md asks us to decide):
 * - Queue wait runs from queue entry (not IVR start) to the moment an agent answers, so agent
 *   ring time is inside ASA, as in Asterisk's holdtime.
 * - "Within T" is inclusive: wait ≤ T. Answered at 19 999 ms or 20 000 ms is within a 20 s
 *   service level, at 20 001 ms it is not.
 * - Attribution: Q counts at queue entry; Ans/Ab/CB/FO count in the interval the caller left
 *   the queue; talk/hold/ACW count when after-call work ends (the call is then "handled").
 * - Callbacks (CB) are never abandons (Amazon Connect); they are reported on their own.
 * - Occupancy's handle time is in-call + wrap-up + outbound; its idle time is status
 *   available and state idle. Ringing (offered) time is in neither.
 */
import type { AgentState, AgentStatus } from './model.js';

export interface QueueEntryRecord {
  queueId: string;
  callId: string;
  at: number;
}

export type ExitOutcome = 'answered' | 'abandoned' | 'callback' | 'overflowed';

export interface QueueExitRecord {
  queueId: string;
  callId: string;
  at: number;
  outcome: ExitOutcome;
  /** Queue wait from entry to answer / hang-up / callback request / flow-out. */
  waitMs: number;
}

export interface HandledRecord {
  queueId: string;
  agentId: string;
  callId: string;
  /** When after-call work ended. */
  at: number;
  talkMs: number;
  holdMs: number;
  acwMs: number;
}

export interface Thresholds {
  /** T */
  serviceLevelMs: number;
  /** S */
  shortAbandonMs: number;
}

export interface QueueCounts {
  /** Q */
  offered: number;
  /** Ans */
  answered: number;
  /** Ans≤T */
  answeredWithin: number;
  /** Ab */
  abandoned: number;
  /** Ab≤T */
  abandonedWithin: number;
  /** Ab_short (wait ≤ S) */
  abandonedShort: number;
  /** CB */
  callbacks: number;
  /** CB≤T */
  callbacksWithin: number;
  /** FO */
  overflowed: number;
  sumAnswerWaitMs: number;
  maxAnswerWaitMs: number;
  handled: number;
  talkMs: number;
  holdMs: number;
  acwMs: number;
}

export function emptyCounts(): QueueCounts {
  return {
    offered: 0,
    answered: 0,
    answeredWithin: 0,
    abandoned: 0,
    abandonedWithin: 0,
    abandonedShort: 0,
    callbacks: 0,
    callbacksWithin: 0,
    overflowed: 0,
    sumAnswerWaitMs: 0,
    maxAnswerWaitMs: 0,
    handled: 0,
    talkMs: 0,
    holdMs: 0,
    acwMs: 0,
  };
}

export function addEntry(c: QueueCounts): void {
  c.offered++;
}

export function addExit(c: QueueCounts, e: Pick<QueueExitRecord, 'outcome' | 'waitMs'>, t: Thresholds): void {
  const within = e.waitMs <= t.serviceLevelMs;
  switch (e.outcome) {
    case 'answered':
      c.answered++;
      if (within) c.answeredWithin++;
      c.sumAnswerWaitMs += e.waitMs;
      c.maxAnswerWaitMs = Math.max(c.maxAnswerWaitMs, e.waitMs);
      break;
    case 'abandoned':
      c.abandoned++;
      if (within) c.abandonedWithin++;
      if (e.waitMs <= t.shortAbandonMs) c.abandonedShort++;
      break;
    case 'callback':
      c.callbacks++;
      if (within) c.callbacksWithin++;
      break;
    case 'overflowed':
      c.overflowed++;
      break;
  }
}

export function addHandled(c: QueueCounts, h: Pick<HandledRecord, 'talkMs' | 'holdMs' | 'acwMs'>): void {
  c.handled++;
  c.talkMs += h.talkMs;
  c.holdMs += h.holdMs;
  c.acwMs += h.acwMs;
}

export function countQueue(
  entries: readonly QueueEntryRecord[],
  exits: readonly QueueExitRecord[],
  handled: readonly HandledRecord[],
  t: Thresholds,
): QueueCounts {
  const c = emptyCounts();
  for (const _ of entries) addEntry(c);
  for (const e of exits) addExit(c, e, t);
  for (const h of handled) addHandled(c, h);
  return c;
}

export const ServiceLevelVariants = ['recommended', 'answered-only', 'sl2', 'removed-within', 'configurable'] as const;
export type ServiceLevelVariant = (typeof ServiceLevelVariants)[number];

export interface ConfigurableDenominator {
  includeOverflow: boolean;
  excludeShortAbandons: boolean;
  excludeAbandons: boolean;
}

export interface MetricValue {
  /** null when the denominator is 0 (nothing to measure), never NaN. */
  value: number | null;
  /** The formula, in METRICS.md notation. */
  formula: string;
}

function ratio(num: number, den: number): number | null {
  return den > 0 ? (num / den) * 100 : null;
}

/** Service level in percent by the named variant (METRICS.md §3 table). */
export function serviceLevel(
  c: QueueCounts,
  variant: ServiceLevelVariant = 'recommended',
  denominator: ConfigurableDenominator = { includeOverflow: false, excludeShortAbandons: true, excludeAbandons: false },
): MetricValue {
  switch (variant) {
    case 'recommended':
      return {
        value: ratio(c.answeredWithin, c.answered + c.abandoned - c.abandonedShort),
        formula: 'Ans≤T / (Ans + Ab − Ab_short) × 100',
      };
    case 'answered-only':
      return { value: ratio(c.answeredWithin, c.answered), formula: 'Ans≤T / Ans × 100' };
    case 'sl2':
      return {
        value: ratio(c.answeredWithin + c.abandonedWithin, c.answered + c.abandoned),
        formula: '(Ans≤T + Ab≤T) / (Ans + Ab) × 100',
      };
    case 'removed-within':
      return {
        value: ratio(c.answeredWithin + c.abandonedWithin + c.callbacksWithin, c.answered + c.abandoned + c.callbacks),
        formula: '(Ans≤X + Ab≤X + CB≤X) / (Ans + Ab + CB) × 100',
      };
    case 'configurable': {
      let den = c.answered + c.abandoned;
      let text = 'Ans + Ab';
      if (denominator.includeOverflow) {
        den += c.overflowed;
        text += ' + FO';
      }
      if (denominator.excludeShortAbandons) {
        den -= c.abandonedShort;
        text += ' − Ab_short';
      }
      if (denominator.excludeAbandons) {
        den -= c.abandoned;
        text += ' − Ab';
      }
      const answeredOver = c.answered - c.answeredWithin;
      return { value: ratio(c.answered - answeredOver, den), formula: `(Ans − Ans>T) / (${text}) × 100` };
    }
  }
}

/** ASA in ms: Σ queue wait of answered calls / Ans. */
export function averageSpeedOfAnswer(c: QueueCounts): MetricValue {
  return { value: c.answered > 0 ? c.sumAnswerWaitMs / c.answered : null, formula: 'Σ queue-wait(answered) / Ans' };
}

export interface HandleTimes {
  formula: string;
  /** Averages per handled call, ms; null when nothing was handled. */
  talkMs: number | null;
  holdMs: number | null;
  acwMs: number | null;
  ahtMs: number | null;
}

/** AHT = (talk + hold + after-call work) / handled, with the three parts shown separately. */
export function averageHandleTime(c: QueueCounts): HandleTimes {
  const avg = (x: number): number | null => (c.handled > 0 ? x / c.handled : null);
  return {
    formula: '(talk + hold + ACW) / handled',
    talkMs: avg(c.talkMs),
    holdMs: avg(c.holdMs),
    acwMs: avg(c.acwMs),
    ahtMs: avg(c.talkMs + c.holdMs + c.acwMs),
  };
}

export interface AbandonRates {
  /** (Ab − Ab_short) / (Q − Ab_short) × 100: the headline. */
  headline: MetricValue;
  /** Ab / Q × 100. */
  raw: MetricValue;
  /** Ab_short, reported separately. */
  short: number;
  /** Callbacks, reported separately and never counted as abandons. */
  callbacks: number;
}

export function abandonRate(c: QueueCounts): AbandonRates {
  return {
    headline: {
      value: ratio(c.abandoned - c.abandonedShort, c.offered - c.abandonedShort),
      formula: '(Ab − Ab_short) / (Q − Ab_short) × 100',
    },
    raw: { value: ratio(c.abandoned, c.offered), formula: 'Ab / Q × 100' },
    short: c.abandonedShort,
    callbacks: c.callbacks,
  };
}

/** Occupancy = handle / (handle + available-idle) × 100 (Amazon's definition; not utilisation). */
export function occupancy(handleMs: number, idleMs: number): MetricValue {
  return { value: ratio(handleMs, handleMs + idleMs), formula: 'handle / (handle + available-idle) × 100' };
}

/** Utilisation = handle / logged-in × 100 (shown beside occupancy, never confused with it). */
export function utilisation(handleMs: number, loggedInMs: number): MetricValue {
  return { value: ratio(handleMs, loggedInMs), formula: 'handle / logged-in × 100' };
}

/** One agent status/state change, as stored in the event log. */
export interface AgentTransition {
  agentId: string;
  at: number;
  status: AgentStatus;
  state: AgentState;
}

export interface AgentTimes {
  handleMs: number;
  idleMs: number;
  loggedInMs: number;
  offeredMs: number;
  breakMs: number;
}

/**
 * Replay one agent's transitions (in time order) and sum time per bucket within [from, to).
 * The state before the first transition is unknown and not counted.
 */
export function agentTimes(transitions: readonly AgentTransition[], from: number, to: number): AgentTimes {
  const out: AgentTimes = { handleMs: 0, idleMs: 0, loggedInMs: 0, offeredMs: 0, breakMs: 0 };
  for (let i = 0; i < transitions.length; i++) {
    const t = transitions[i]!;
    const end = Math.min(to, transitions[i + 1]?.at ?? to);
    const start = Math.max(from, t.at);
    const d = end - start;
    if (d <= 0) continue;
    if (t.status !== 'logged-out') out.loggedInMs += d;
    if (t.state === 'in-call' || t.state === 'wrap-up' || t.state === 'outbound') out.handleMs += d;
    else if (t.state === 'offered') out.offeredMs += d;
    else if (t.status === 'available') out.idleMs += d;
    else if (t.status === 'on-break') out.breakMs += d;
  }
  return out;
}
