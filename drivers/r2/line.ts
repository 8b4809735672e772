/**
 * R2 line signalling of one both-way circuit, ITU-T Q.421 digital version (China No.1 code in
 * china-no1.ts): a transition table over the circuit states, with the bits we transmit a pure
 * function of the state. Inputs are what the far end's A/B bits now read (`rx:10` …) and the
 * local verbs (seize, answer, clear-back, clear-forward, block, unblock) plus a timer expiry.
 *
 * Roles follow who seized: `out-*` states are the outgoing (forward) end, `in-*` the incoming
 * (backward) end. Q.421 §3.2: an incoming end answers a seizure with seizure-acknowledged;
 * after clear-forward it returns to idle, which the outgoing end takes as the release guard.
 *
 * A local verb not in the table throws InvalidTransitionError; a line condition not in the table
 * is ignored (left to the caller to log), as Q.421 expects spurious bit changes to be tolerated.
 */
import { InvalidTransitionError } from '../../appliance/core/errors.js';
import type { LineCode } from './china-no1.js';

export const LineStates = [
  'idle',
  'out-seizing',
  'out-dual-seizure',
  'out-seized',
  'out-answered',
  'out-clear-back',
  'out-clearing',
  'in-seized',
  'in-answered',
  'in-clear-back',
  'blocked-local',
  'blocked-remote',
] as const;
export type LineState = (typeof LineStates)[number];

export const LineVerbs = ['seize', 'answer', 'clear-back', 'clear-forward', 'block', 'unblock'] as const;
export type LineVerb = (typeof LineVerbs)[number];
export type LineInput = LineVerb | `rx:${LineCode}` | 'timeout';

/** Q.421 Table 1: what this end sends in each state (forward bits when outgoing, backward when incoming). */
export const TX_CODE: Readonly<Record<LineState, LineCode>> = {
  idle: '10',
  'out-seizing': '00',
  'out-dual-seizure': '00',
  'out-seized': '00',
  'out-answered': '00',
  'out-clear-back': '00',
  'out-clearing': '10',
  'in-seized': '11',
  'in-answered': '01',
  'in-clear-back': '11',
  'blocked-local': '11',
  'blocked-remote': '10',
};

type Table = Readonly<Record<LineState, Readonly<Partial<Record<LineInput, LineState>>>>>;

export const LINE_TABLE: Table = {
  idle: {
    // Q.421: seizing 0 0 received on an idle circuit → send seizure-acknowledged 1 1.
    'rx:00': 'in-seized',
    'rx:11': 'blocked-remote',
    seize: 'out-seizing',
    block: 'blocked-local',
  },
  'out-seizing': {
    'rx:11': 'out-seized',
    // Dual seizure (glare): seizing received instead of seizure-acknowledged. Both ends keep
    // seizing for the hold time, so each is sure to see the other's seizure, then clear forward
    // and retry; the far end never acknowledging is cleared at once.
    'rx:00': 'out-dual-seizure',
    timeout: 'out-clearing',
    'clear-forward': 'out-clearing',
  },
  'out-dual-seizure': {
    timeout: 'out-clearing',
  },
  'out-seized': {
    'rx:01': 'out-answered',
    'clear-forward': 'out-clearing',
    'rx:10': 'out-clearing',
  },
  'out-answered': {
    'rx:11': 'out-clear-back',
    'clear-forward': 'out-clearing',
    'rx:10': 'out-clearing',
  },
  'out-clear-back': {
    // Q.421: a re-answer signal after clear-back restores the answered state.
    'rx:01': 'out-answered',
    'clear-forward': 'out-clearing',
    'rx:10': 'out-clearing',
  },
  'out-clearing': {
    // Release guard: the incoming end's return to idle after our clear-forward.
    'rx:10': 'idle',
    timeout: 'blocked-remote',
  },
  'in-seized': {
    answer: 'in-answered',
    'clear-back': 'in-clear-back',
    'rx:10': 'idle',
  },
  'in-answered': {
    'clear-back': 'in-clear-back',
    'rx:10': 'idle',
  },
  'in-clear-back': {
    answer: 'in-answered',
    'rx:10': 'idle',
  },
  'blocked-local': {
    unblock: 'idle',
  },
  'blocked-remote': {
    'rx:10': 'idle',
  },
};

/** Next state for `input` in `state`: a state, or null when the input is not in the table. */
export function lineNext(state: LineState, input: LineInput): LineState | null {
  return LINE_TABLE[state][input] ?? null;
}

/** Like lineNext for a local verb, but an impossible verb throws InvalidTransitionError. */
export function lineVerb(state: LineState, verb: LineVerb): LineState {
  const next = lineNext(state, verb);
  if (next === null) throw new InvalidTransitionError('r2 line', state, verb);
  return next;
}
