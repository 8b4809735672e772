/**
 * Post-call survey (issue 7: "Post-call survey: agents can transfer the caller to the survey, or
 * it follows automatically when the agent hangs up (per queue)").
 *
 * Setting: per queue, the published flow to run (`ivr_postcall_surveys`, migration 0021).
 * Policy (the call layer's `onLegEnded`, calls/call.ts): when a bridged leg of a queue call
 * ends and
 *   - the call was answered from a queue that has a survey flow (queue.caller.answered),
 *   - the leg that ended is the agent's (not the caller's inbound leg), and
 *   - exactly one party remains: the caller, still connected,
 * the caller is kept (it leaves the bridge; the ACD, asked through `keepCaller`, does not clear
 * it either) and the survey flow runs on the caller's channel
 * with `postcall_queue` and `postcall_agent` set, so the survey verb's scores are stored with
 * the call, the queue and the agent (call-records.ts). Otherwise the B2BUA clears the caller as
 * before. A caller who hangs up first gets no survey.
 */
import type { Kysely } from 'kysely';
import type { Channel, HangupInfo } from '../channel/channel.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { Database } from '../store/schema.js';
import type { Variables } from './ports.js';

/** The call layer's flow runner (CallHandler.runFlow). */
export interface SurveyRunner {
  runFlow(channel: Channel, flowId: string, vars: Readonly<Variables>): Promise<void>;
}

interface Answered {
  queueId: string;
  agentId: string;
}

export class PostCallSurveys {
  private readonly flows = new Map<string, string>();
  /** Calls answered from a queue, until their CDR is written. */
  private readonly answered = new Map<string, Answered>();
  private readonly decided = new Map<string, boolean>();
  private readonly log: Logger;

  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock; log: Logger; runner?: SurveyRunner }) {
    this.log = deps.log.child({ mod: 'ivr.postcall' });
  }

  /** Read the settings (once at start; `setFlow` keeps them current). */
  async load(): Promise<void> {
    const rows = await this.deps.db.selectFrom('ivr_postcall_surveys').selectAll().execute();
    this.flows.clear();
    for (const r of rows) this.flows.set(r.queue_id, r.flow_id);
  }

  /** Set (or with null, clear) a queue's survey flow. */
  async setFlow(queueId: string, flowId: string | null): Promise<void> {
    if (flowId === null) {
      await this.deps.db.deleteFrom('ivr_postcall_surveys').where('queue_id', '=', queueId).execute();
      this.flows.delete(queueId);
      return;
    }
    const updated_at = this.deps.clock.now();
    await this.deps.db
      .insertInto('ivr_postcall_surveys')
      .values({ queue_id: queueId, flow_id: flowId, updated_at })
      .onConflict((oc) => oc.column('queue_id').doUpdateSet({ flow_id: flowId, updated_at }))
      .execute();
    this.flows.set(queueId, flowId);
  }

  flowFor(queueId: string): string | null {
    return this.flows.get(queueId) ?? null;
  }

  list(): Array<{ queueId: string; flowId: string }> {
    return [...this.flows].map(([queueId, flowId]) => ({ queueId, flowId })).sort((a, b) => a.queueId.localeCompare(b.queueId));
  }

  /** Which calls an agent answered from which queue; returns the unsubscribe function. */
  listen(bus: Pick<EventBus, 'on'>): () => void {
    const offAnswered = bus.on('queue.caller.answered', (e) => this.answered.set(e.payload.callId, { queueId: e.payload.queueId, agentId: e.payload.agentId }));
    const offDone = bus.on('call.cdr.written', (e) => {
      this.answered.delete(e.payload.callId);
      this.decided.delete(e.payload.callId);
    });
    return () => {
      offAnswered();
      offDone();
    };
  }

  /** The call layer's onLegEnded policy (calls/call.ts): true when the caller is kept for the survey. */
  readonly onLegEnded = (e: { call: { id: string }; ended: Channel; info: HangupInfo; remaining: Channel[] }): boolean =>
    e.remaining.length === 1 && this.decide(e.call.id, e.ended, e.remaining[0]!);

  /** The ACD's question at the end of a queue call (acd.ts `keepCaller`): the same decision. */
  readonly keepCaller = (e: { callId: string; ended: Channel; caller: Channel }): boolean => this.decide(e.callId, e.ended, e.caller);

  /** Decided once per call (the ACD and the call layer both ask), starting the survey when yes. */
  private decide(callId: string, ended: Channel, caller: Channel): boolean {
    const known = this.decided.get(callId);
    if (known !== undefined) return known;
    const a = this.answered.get(callId);
    if (!a || !this.deps.runner) return false;
    const flowId = this.flows.get(a.queueId);
    const yes = Boolean(flowId) && ended !== caller && ended.direction !== 'inbound' && caller.direction === 'inbound' && caller.level === 'connected';
    this.decided.set(callId, yes);
    if (!yes || !flowId) return yes;
    this.log.info({ callId, queue: a.queueId, agent: a.agentId, flow: flowId }, 'agent hung up: post-call survey');
    const vars: Variables = { postcall_queue: a.queueId, postcall_agent: a.agentId };
    void this.deps.runner.runFlow(caller, flowId, vars).catch((err: unknown) => this.log.warn({ err, callId }, 'post-call survey failed'));
    return true;
  }
}
