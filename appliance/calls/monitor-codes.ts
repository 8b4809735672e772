/**
 * Supervisor monitoring by feature code (issue 6 "Supervision: listen / whisper / barge on any
 * agent's call … every monitoring session is audited"), in the manner of Asterisk's ChanSpy
 * reached from a dialplan code: the supervisor's phone dials
 *
 *   *90<agent extension>   listen    (hears caller and agent, is heard by nobody)
 *   *91<agent extension>   whisper   (heard by the agent only)
 *   *92<agent extension>   barge     (heard by both)
 *
 * and, once in, switches mode with ChanSpy's DTMF digits: 4 listen, 5 whisper, 6 barge. The
 * phone's own leg is tapped into the agent's current call (Monitor.attach, monitor.ts); hanging
 * up ends the session, and the session ends (the phone is cleared) with the monitored call.
 *
 * Least privilege: a phone may monitor only when the extension is a panel user's login (the
 * appliance's convention, as agent ids are extensions) whose roles grant `supervisor` ×
 * `monitor` (control-panel/auth/permissions.ts), checked at each dial by the MonitorPermission
 * port; anyone else hears the congestion tone. Every start, refusal, mode change and end is
 * written to the audit log (`acd-monitor.*`, actor `phone:<extension>`), like the REST sessions
 * (acd/monitor-routes.ts).
 *
 * PhoneCodes puts these codes and the agents' status codes (feature-codes.ts) behind the one
 * FeatureCodeService the call handler asks; `validatePhoneCodes` refuses a code that is a prefix
 * of another (both the break code and these take trailing digits).
 */
import type { Channel, Digit } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import { AppError } from '../core/errors.js';
import type { FieldIssue } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { FeatureActions, REFUSE_TONE, type FeatureCodeMap, type FeatureCodes, type FeatureCodeService, type FeatureMatch } from './feature-codes.js';
import type { Monitor, MonitorMode, MonitorSession } from './monitor.js';

export const MonitorCodeModes = ['listen', 'whisper', 'barge'] as const satisfies readonly MonitorMode[];
export type MonitorCodeMap = Readonly<Record<MonitorMode, string>>;
export const DEFAULT_MONITOR_CODES: MonitorCodeMap = { listen: '*90', whisper: '*91', barge: '*92' };

/** ChanSpy's mode digits during a session. */
export const MODE_DIGITS: Readonly<Partial<Record<Digit, MonitorMode>>> = { '4': 'listen', '5': 'whisper', '6': 'barge' };

export interface MonitorCodeMatch {
  kind: 'monitor';
  mode: MonitorMode;
  agentExtension: string;
}

/** May the phone of this extension monitor agents' calls (panel RBAC `supervisor` × `monitor`)? */
export interface MonitorPermission {
  mayMonitor(extension: string): Promise<boolean>;
}

/** ops/audit.ts AuditLog, structurally. */
export interface MonitorAudit {
  record(input: { actor: string; ip?: string | null; action: string; target?: string | null; before?: unknown; after?: unknown }): Promise<unknown>;
}

export type MonitorRefusal = 'not-permitted' | 'not-an-agent' | 'no-call' | 'own-call' | 'failed';
export type MonitorCodeResult = { outcome: 'monitored'; session: MonitorSession } | { outcome: 'refused'; why: MonitorRefusal };

export interface MonitorCodesDeps {
  log: Logger;
  monitor: Pick<Monitor, 'attach' | 'setMode' | 'get'>;
  permission: MonitorPermission;
  audit: MonitorAudit;
  /** The agent whose phone is this extension, or null. */
  agentForExtension(extension: string): string | null;
}

const TARGET = /^[0-9]{1,16}$/;

export function matchMonitorCode(codes: MonitorCodeMap, dialled: string): MonitorCodeMatch | null {
  for (const mode of MonitorCodeModes) {
    const code = codes[mode];
    const rest = dialled.startsWith(code) ? dialled.slice(code.length) : '';
    if (TARGET.test(rest)) return { kind: 'monitor', mode, agentExtension: rest };
  }
  return null;
}

/** Agent codes and monitoring codes together: well-formed, distinct, none a prefix of another. */
export function validatePhoneCodes(agent: FeatureCodeMap, monitor: MonitorCodeMap): FieldIssue[] {
  const all: Array<[string, string]> = [
    ...FeatureActions.map((a): [string, string] => [`acd.featureCodes.${a}`, agent[a]]),
    ...MonitorCodeModes.map((m): [string, string] => [`acd.monitorCodes.${m}`, monitor[m]]),
  ];
  const issues: FieldIssue[] = [];
  for (const [path, code] of all) if (!/^[*#0-9]{2,16}$/.test(code)) issues.push({ path, message: 'must be 2–16 of 0-9 * #' });
  for (let i = 0; i < all.length; i++)
    for (let j = 0; j < all.length; j++) {
      if (i === j) continue;
      const [pi, ci] = all[i]!;
      const [pj, cj] = all[j]!;
      if (ci === cj && i < j) issues.push({ path: pj, message: `same code as ${pi}` });
      else if (ci !== cj && cj.startsWith(ci)) issues.push({ path: pj, message: `${pi} (${ci}) is a prefix of it` });
    }
  return issues;
}

export class MonitorCodes implements FeatureCodeService<MonitorCodeMatch> {
  private readonly log: Logger;

  constructor(
    private readonly codes: MonitorCodeMap,
    private readonly deps: MonitorCodesDeps,
  ) {
    this.log = deps.log.child({ mod: 'calls.monitor-codes' });
  }

  match(dialled: string): MonitorCodeMatch | null {
    return matchMonitorCode(this.codes, dialled);
  }

  /** Check, tap in, follow the session (DTMF mode switches) until it ends; refusals hear congestion. */
  async handle(m: MonitorCodeMatch, channel: Channel, supervisor: string): Promise<MonitorCodeResult> {
    const actor = `phone:${supervisor}`;
    const refuse = async (why: MonitorRefusal): Promise<MonitorCodeResult> => {
      this.log.info({ supervisor, agentExtension: m.agentExtension, mode: m.mode, why }, 'monitoring refused');
      await this.audit({ actor, action: 'acd-monitor.refused', target: m.agentExtension, after: { supervisor, mode: m.mode, why } });
      try {
        await channel.answer();
        await channel.media.play(REFUSE_TONE);
      } catch (err) {
        this.log.debug({ err }, 'refusal tone not played');
      }
      if (channel.level !== 'terminated') await channel.hangup(HangupCauses.NORMAL_CLEARING).catch(() => undefined);
      return { outcome: 'refused', why };
    };

    const permitted = await this.deps.permission.mayMonitor(supervisor).catch((err: unknown) => {
      this.log.warn({ err, supervisor }, 'monitor permission check failed');
      return false;
    });
    if (!permitted) return refuse('not-permitted');
    const agentId = this.deps.agentForExtension(m.agentExtension);
    if (!agentId) return refuse('not-an-agent');
    if (channel.ended.aborted) return { outcome: 'refused', why: 'failed' };

    let session: MonitorSession;
    try {
      session = await this.deps.monitor.attach({ supervisor, agentId, mode: m.mode, leg: channel });
    } catch (err) {
      const code = err instanceof AppError ? err.code : null;
      return refuse(code === 'NOT_FOUND' ? 'no-call' : code === 'CONFLICT' ? 'own-call' : 'failed');
    }
    await this.audit({ actor, action: 'acd-monitor.started', target: session.id, after: { supervisor, agentId, callId: session.callId, mode: session.mode, via: 'feature-code' } });
    if (session.state === 'ended') {
      await this.audit({ actor, action: 'acd-monitor.ended', target: session.id, after: { why: session.endReason } });
      if (!channel.ended.aborted) await channel.hangup(HangupCauses.NORMAL_CLEARING).catch(() => undefined);
      return { outcome: 'monitored', session };
    }

    const onDigit = (d: Digit): void => {
      const to = MODE_DIGITS[d];
      const from = this.deps.monitor.get(session.id).mode;
      if (!to || to === from) return;
      void this.deps.monitor
        .setMode(session.id, to)
        .then(() => this.audit({ actor, action: 'acd-monitor.mode-changed', target: session.id, before: { mode: from }, after: { mode: to, via: 'dtmf' } }))
        .catch((err: unknown) => this.log.debug({ err, sessionId: session.id }, 'mode switch refused'));
    };
    channel.on('dtmf', onDigit);
    if (!channel.ended.aborted) await new Promise<void>((r) => channel.ended.addEventListener('abort', () => r(), { once: true }));
    channel.off('dtmf', onDigit);
    const ended = this.deps.monitor.get(session.id);
    await this.audit({ actor, action: 'acd-monitor.ended', target: session.id, after: { why: ended.endReason } });
    return { outcome: 'monitored', session: ended };
  }

  private async audit(input: Parameters<MonitorAudit['record']>[0]): Promise<void> {
    await this.deps.audit.record(input).catch((err: unknown) => this.log.error({ err, action: input.action }, 'monitoring audit not written'));
  }
}

export type PhoneCodeMatch = ({ kind: 'agent' } & FeatureMatch) | MonitorCodeMatch;

/** The agents' status codes and the supervisors' monitoring codes behind one FeatureCodeService. */
export class PhoneCodes implements FeatureCodeService<PhoneCodeMatch> {
  constructor(
    private readonly agent: Pick<FeatureCodes, 'match' | 'handle'>,
    private readonly monitor: Pick<MonitorCodes, 'match' | 'handle'>,
  ) {}

  match(dialled: string): PhoneCodeMatch | null {
    const a = this.agent.match(dialled);
    return a ? { kind: 'agent', ...a } : this.monitor.match(dialled);
  }

  handle(m: PhoneCodeMatch, channel: Channel, callerExtension: string): Promise<unknown> {
    if (m.kind === 'monitor') return this.monitor.handle(m, channel, callerExtension);
    return this.agent.handle({ action: m.action, arg: m.arg }, channel, callerExtension);
  }
}
