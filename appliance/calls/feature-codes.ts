/**
 * Agent feature codes dialled from a phone (issue 6 "login/logout from the phone (feature
 * code)"), in the manner of Asterisk's `*`-codes (features.conf / app_agent_pool's AgentLogin):
 * the call handler asks `match()` for every new INVITE BEFORE dialplan route matching, so a
 * code can never be shadowed by a route. A matched call is answered, the agent's status is
 * changed in the ACD, the phone hears a confirmation tone (or the congestion tone when the
 * change is refused), and the call is cleared.
 *
 *   *21      log in (→ available)            *22      log out
 *   *23[nn]  break, optional reason code nn   *24      available again (end of break)
 *
 * The codes are configuration (`acd.featureCodes`); `validateFeatureCodes` refuses duplicates
 * and codes that are a prefix of another (the break code takes trailing digits, so a prefix
 * would make a dialled number ambiguous). The caller is identified by the From user of the
 * INVITE, which the Digest guard has authenticated for registered phones.
 *
 * What each code does from each status is a table (STYLE.md "State machines"): the status to
 * move to, `same` (already there: confirm without a change) or `refuse`.
 */
import type { AgentStatus } from '../acd/model.js';
import type { Channel, PlayItem } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import type { FieldIssue } from '../core/errors.js';
import type { Logger } from '../core/log.js';

export const FeatureActions = ['login', 'logout', 'break', 'available'] as const;
export type FeatureAction = (typeof FeatureActions)[number];

export type FeatureCodeMap = Readonly<Record<FeatureAction, string>>;

export const DEFAULT_FEATURE_CODES: FeatureCodeMap = { login: '*21', logout: '*22', break: '*23', available: '*24' };

type Plan = AgentStatus | 'same' | 'refuse';

export const featurePlan: { readonly [A in FeatureAction]: { readonly [S in AgentStatus]: Plan } } = {
  login: { 'logged-out': 'available', available: 'same', 'on-break': 'same' },
  logout: { 'logged-out': 'same', available: 'logged-out', 'on-break': 'logged-out' },
  break: { 'logged-out': 'refuse', available: 'on-break', 'on-break': 'on-break' },
  available: { 'logged-out': 'available', available: 'same', 'on-break': 'available' },
};

/** What the codes need of the ACD (the Acd class, bound late: the call layer is built first). */
export interface AgentStatusPort {
  /** The agent whose phone is this extension, or null. */
  agentForExtension(extension: string): string | null;
  statusOf(agentId: string): AgentStatus;
  setStatus(agentId: string, to: AgentStatus, reason: string | null): void;
}

export interface FeatureMatch {
  action: FeatureAction;
  /** Digits after the code (the break reason code); '' for none. */
  arg: string;
}

export type FeatureResult =
  | { outcome: 'changed'; agentId: string; from: AgentStatus; to: AgentStatus; reason: string | null }
  | { outcome: 'unchanged'; agentId: string; status: AgentStatus }
  | { outcome: 'refused'; agentId: string | null; why: 'not-an-agent' | 'not-logged-in' | 'no-acd' | 'error' };

/**
 * What the call handler calls: match a dialled number, then handle the call (it owns the leg
 * from then on). `M` is the service's own match; the agent codes' is FeatureMatch, the
 * supervisors' monitoring codes' is in monitor-codes.ts, and PhoneCodes there serves both.
 */
export interface FeatureCodeService<M = unknown> {
  match(dialled: string): M | null;
  handle(m: M, channel: Channel, callerExtension: string): Promise<unknown>;
}

const CODE = /^[*#0-9]{2,16}$/;

export function validateFeatureCodes(codes: FeatureCodeMap, path = 'acd.featureCodes'): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const a of FeatureActions) {
    const c = codes[a];
    if (!CODE.test(c)) issues.push({ path: `${path}.${a}`, message: 'must be 2–16 of 0-9 * #' });
    for (const b of FeatureActions) {
      if (a === b) continue;
      if (codes[b] === c && a < b) issues.push({ path: `${path}.${b}`, message: `same code as ${a}` });
      else if (codes[b] !== c && codes[b].startsWith(c)) issues.push({ path: `${path}.${b}`, message: `${a}'s code ${c} is a prefix of it` });
    }
  }
  return issues;
}

/** The code a dialled number is; only the break code takes trailing digits (its reason code). */
export function matchFeatureCode(codes: FeatureCodeMap, dialled: string): FeatureMatch | null {
  for (const action of FeatureActions) {
    const code = codes[action];
    if (dialled === code) return { action, arg: '' };
    if (action === 'break' && dialled.startsWith(code) && /^[0-9]{1,8}$/.test(dialled.slice(code.length))) return { action, arg: dialled.slice(code.length) };
  }
  return null;
}

/**
 * Confirmation: one 1.4 kHz beep (the plan's record-beep segment) after a short silence, so a
 * phone whose audio path opens a moment after the answer still hears it; refusal: congestion.
 */
export const CONFIRM_TONE: readonly PlayItem[] = [
  { kind: 'silence', durationMs: 300 },
  { kind: 'tone', tone: 'record-beep', durationMs: 600 },
];
export const REFUSE_TONE: readonly PlayItem[] = [{ kind: 'tone', tone: 'congestion', durationMs: 2_100 }];

export class FeatureCodes implements FeatureCodeService<FeatureMatch> {
  private agents: AgentStatusPort | null;
  private readonly log: Logger;

  constructor(
    private readonly codes: FeatureCodeMap,
    deps: { log: Logger; agents?: AgentStatusPort },
  ) {
    this.agents = deps.agents ?? null;
    this.log = deps.log.child({ mod: 'calls.features' });
  }

  /** Bind the ACD once it exists (calls before that are refused with the congestion tone). */
  bind(agents: AgentStatusPort): void {
    this.agents = agents;
  }

  match(dialled: string): FeatureMatch | null {
    return matchFeatureCode(this.codes, dialled);
  }

  /** The status change alone (no media): the answer for a phone, a test, or the desk. */
  apply(m: FeatureMatch, callerExtension: string): FeatureResult {
    const agents = this.agents;
    if (!agents) return { outcome: 'refused', agentId: null, why: 'no-acd' };
    const agentId = agents.agentForExtension(callerExtension);
    if (!agentId) return { outcome: 'refused', agentId: null, why: 'not-an-agent' };
    const from = agents.statusOf(agentId);
    const reason = m.action === 'break' ? (m.arg ? `code-${m.arg}` : 'break') : null;
    const plan = featurePlan[m.action][from];
    if (plan === 'refuse') return { outcome: 'refused', agentId, why: 'not-logged-in' };
    if (plan === 'same') return { outcome: 'unchanged', agentId, status: from };
    try {
      agents.setStatus(agentId, plan, reason);
    } catch (err) {
      this.log.warn({ err, agentId, action: m.action }, 'feature code refused by the ACD');
      return { outcome: 'refused', agentId, why: 'error' };
    }
    return { outcome: 'changed', agentId, from, to: plan, reason };
  }

  async handle(m: FeatureMatch, channel: Channel, callerExtension: string): Promise<FeatureResult> {
    const result = this.apply(m, callerExtension);
    this.log.info({ extension: callerExtension, action: m.action, ...result }, 'feature code');
    try {
      await channel.answer();
      await channel.media.play(result.outcome === 'refused' ? REFUSE_TONE : CONFIRM_TONE);
    } catch (err) {
      this.log.debug({ err }, 'feature code confirmation not played');
    }
    if (channel.level !== 'terminated') await channel.hangup(HangupCauses.NORMAL_CLEARING).catch(() => undefined);
    return result;
  }
}
