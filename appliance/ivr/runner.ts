/**
 * The IVR runner: one per call, one readable loop (jambonz's call-session.js):
 *
 *   while the call is up and there is a node: publish ivr.node.visited, build the node's verb,
 *   run it, follow the Step it returns.
 *
 * A hangup aborts the channel's `ended` signal, which aborts the running verb's signal: its
 * prompt, key wait or adapter call stops and the loop ends with `ivr.flow.abandoned`
 * (where the caller left). `cancel()` kills the running verb the same way (ACD pickup,
 * drain). A flow that reaches an exit (hangup, queue, transfer, voicemail, end of flow)
 * ends with `ivr.flow.completed`. Both events carry the path and the variables for the call
 * record. A step limit stops a flow that loops without the caller (never an endless loop).
 */
import type { Channel, HangupInfo } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import type { Clock } from '../core/clock.js';
import { toAppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import { DtmfBuffer } from './dtmf-buffer.js';
import { IvrError, VerbAborted } from './errors.js';
import type { IvrOutcome } from './events.js';
import type { Flow } from './flow-schema.js';
import type {
  CalendarPort,
  Enqueuer,
  FaxPort,
  FlowSource,
  LookupAdapter,
  OutagePort,
  SurveySink,
  Transferer,
  TtsPort,
  Variables,
  VoicemailPort,
} from './ports.js';
import { render } from './template.js';
import { verbContext, type CallScope } from './verb-context.js';
import { makeVerb } from './verbs/index.js';
import type { Step, Verb } from './verbs/verb.js';
import './events.js';

/** Ports the verbs use; any may be absent (the verb then takes its failure branch). */
export interface IvrDeps {
  lookups?: Readonly<Record<string, LookupAdapter>>;
  enqueuer?: Enqueuer;
  transferer?: Transferer;
  calendar?: CalendarPort;
  voicemail?: VoicemailPort;
  fax?: FaxPort;
  survey?: SurveySink;
  tts?: TtsPort;
  flows?: FlowSource;
  outage?: OutagePort;
}

export interface IvrRunnerOptions {
  clock: Clock;
  log: Logger;
  events?: Pick<EventBus, 'publish'>;
  deps?: IvrDeps;
  channel: Channel;
  flow: Flow;
  callId?: string;
  /** Variables from routing (DID, trunk…), after the built-ins and the flow's own. */
  vars?: Variables;
  /** Node visits before the run is stopped as looping (default 500). */
  maxSteps?: number;
  /** Answer the channel before the first node if it is not connected (default true). */
  answer?: boolean;
}

export interface IvrResult {
  outcome: IvrOutcome | 'abandoned' | 'cancelled';
  lastNode: string | null;
  path: string[];
  vars: Variables;
  queue?: string;
  transferredTo?: string;
  error?: IvrError;
}

const MAX_SUBFLOW_DEPTH = 8;

export class IvrRunner {
  private current: Verb | null = null;
  private cancelled = false;
  private started = false;
  private hangupInfo: HangupInfo | null = null;
  private readonly callId: string;
  private readonly log: Logger;

  constructor(private readonly opts: IvrRunnerOptions) {
    this.callId = opts.callId ?? opts.channel.id;
    this.log = opts.log.child({ mod: 'ivr', callId: this.callId, channelId: opts.channel.id, flow: opts.flow.id });
  }

  /** Stop the run: the current verb is killed and the loop ends as `cancelled`. */
  cancel(): void {
    this.cancelled = true;
    this.current?.kill();
  }

  async run(): Promise<IvrResult> {
    if (this.started) throw new Error('an IvrRunner runs once');
    this.started = true;
    const { channel, clock } = this.opts;
    const began = clock.monotonic();
    const onHangup = (info: HangupInfo): void => {
      this.hangupInfo = info;
      this.current?.kill();
    };
    channel.on('hangup', onHangup);
    const dtmf = new DtmfBuffer(channel, clock);
    const vars = this.initialVars();
    const scope: CallScope = { callId: this.callId, channel, clock, log: this.log, vars, lang: this.opts.flow.lang, deps: this.opts.deps ?? {}, dtmf };
    const path: string[] = [];
    const stack: Array<{ flow: Flow; returnTo: string | undefined }> = [];
    let flow = this.opts.flow;
    let nodeId: string | undefined = flow.start;
    let from: string | null = null;
    let exit: Extract<Step, { kind: 'exit' }> | null = null;
    let error: IvrError | undefined;

    try {
      if ((this.opts.answer ?? true) && channel.level !== 'connected' && !channel.ended.aborted) await channel.answer();
      while (nodeId !== undefined && !channel.ended.aborted && !this.cancelled) {
        if (path.length >= (this.opts.maxSteps ?? 500)) throw new IvrError('step-limit', nodeId, `more than ${path.length} node visits`);
        const node = flow.nodes[nodeId];
        if (!node) throw new IvrError('bad-reference', nodeId, `node ${nodeId} not in flow ${flow.id}`);
        const qualified = flow === this.opts.flow ? nodeId : `${flow.id}:${nodeId}`;
        path.push(qualified);
        this.opts.events?.publish('ivr.node.visited', {
          callId: this.callId,
          channelId: channel.id,
          flowId: flow.id,
          flowVersion: flow.version,
          nodeId,
          verb: node.verb,
          seq: path.length,
          from,
        });
        from = qualified;

        const verb = makeVerb(nodeId, node);
        this.current = verb;
        const step = await verb.exec(verbContext(scope, nodeId, AbortSignal.any([channel.ended, verb.killed])));
        this.current = null;

        if (step.kind === 'exit') {
          exit = step;
          break;
        }
        if (step.kind === 'subflow') {
          if (stack.length >= MAX_SUBFLOW_DEPTH) throw new IvrError('step-limit', nodeId, `sub-flows nested deeper than ${MAX_SUBFLOW_DEPTH}`);
          stack.push({ flow, returnTo: step.returnTo });
          flow = step.flow;
          nodeId = flow.start;
          continue;
        }
        nodeId = step.kind === 'next' ? step.node : undefined;
        // The end of a sub-flow (or its `return`) resumes the caller's flow.
        while (nodeId === undefined && stack.length > 0) {
          const frame = stack.pop()!;
          flow = frame.flow;
          nodeId = frame.returnTo;
        }
      }
    } catch (err) {
      this.current = null;
      if (!(err instanceof VerbAborted)) {
        error = err instanceof IvrError ? err : new IvrError('verb-failed', from ?? flow.start, toAppError(err).message, { cause: err });
        this.log.error({ err, node: from }, 'ivr run failed');
      }
    } finally {
      dtmf.dispose();
      channel.off('hangup', onHangup);
    }

    const result = await this.finish({ exit, error, path, vars, began });
    return result;
  }

  private async finish(r: {
    exit: Extract<Step, { kind: 'exit' }> | null;
    error: IvrError | undefined;
    path: string[];
    vars: Variables;
    began: number;
  }): Promise<IvrResult> {
    const { channel, clock, flow } = this.opts;
    const lastNode = r.path.at(-1) ?? null;
    const summary = {
      callId: this.callId,
      channelId: channel.id,
      flowId: flow.id,
      flowVersion: flow.version,
      lastNode,
      path: r.path,
      vars: { ...r.vars },
      durationMs: clock.monotonic() - r.began,
    };
    let outcome: IvrResult['outcome'];
    if (r.exit) outcome = r.exit.outcome;
    else if (r.error) outcome = 'failed';
    else if (this.cancelled) outcome = 'cancelled';
    else if (channel.ended.aborted) outcome = 'abandoned';
    else outcome = 'ended';

    if (outcome === 'abandoned') {
      this.opts.events?.publish('ivr.flow.abandoned', { ...summary, cause: this.hangupInfo?.cause ?? HangupCauses.NORMAL_CLEARING });
    } else if (outcome !== 'cancelled') {
      // A flow that runs out of nodes, or fails, clears the call: never leave a caller in silence.
      if ((outcome === 'ended' || outcome === 'failed') && !channel.ended.aborted)
        await channel.hangup(outcome === 'ended' ? HangupCauses.NORMAL_CLEARING : HangupCauses.TEMPORARY_FAILURE);
      this.opts.events?.publish('ivr.flow.completed', {
        ...summary,
        outcome,
        ...(r.exit?.queue ? { queue: r.exit.queue } : {}),
        ...(r.exit?.to ? { transferredTo: r.exit.to } : {}),
      });
    }
    this.log.info({ outcome, lastNode, steps: r.path.length }, 'ivr run ended');
    return {
      outcome,
      lastNode,
      path: r.path,
      vars: summary.vars,
      ...(r.exit?.queue ? { queue: r.exit.queue } : {}),
      ...(r.exit?.to ? { transferredTo: r.exit.to } : {}),
      ...(r.error ? { error: r.error } : {}),
    };
  }

  private initialVars(): Variables {
    const { channel, flow } = this.opts;
    const vars: Variables = {
      caller: channel.caller.number,
      called: channel.called.number,
      call_id: this.callId,
      channel_id: channel.id,
      lang: flow.lang,
    };
    for (const [k, v] of Object.entries(flow.vars)) vars[k] = render(v, vars);
    Object.assign(vars, this.opts.vars ?? {});
    return vars;
  }
}
