/**
 * The IVR's `enqueue` verb (ivr/ports.ts Enqueuer) onto the ACD (acd/acd.ts). The ACD's own
 * promise settles only when the caller leaves the queue, so this answers `queued` as soon as
 * the caller is waiting and follows the rest in the background: the ACD owns the channel from
 * then on. A refusal at the door comes back at once as full / closed / unknown-queue.
 * The caller's tier comes from the customers module (by caller number) so VIP and critical-load
 * customers are served first.
 *
 * After the queue, an overflow to an IVR flow runs that published flow on the caller's leg, and
 * an overflow to voicemail runs a one-node voicemail flow whose message becomes a work order of
 * type `box` (the IVR voicemail verb); without the call layer's flow runner both hear congestion.
 */
import type { Acd } from '../acd/acd.js';
import type { CustomerTier, OverflowTarget, QueueOutcome } from '../acd/model.js';
import type { Channel } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import type { Logger } from '../core/log.js';
import { FlowSchema, type Flow, type FlowInput } from '../ivr/flow-schema.js';
import type { EnqueueRequest, Enqueuer } from '../ivr/ports.js';

/** customers/tier.ts names → ACD tiers. */
const TIER_OF: Readonly<Record<string, CustomerTier>> = {
  standard: 'standard',
  large: 'large-customer',
  vip: 'vip',
  critical: 'critical-load',
};

export interface TierLookup {
  tierOf(callerNumber: string): string | null;
}

/** The call layer's flow runner (CallHandler.runFlow). */
export interface OverflowFlows {
  runFlow(channel: Channel, flow: string | Flow): Promise<void>;
}

/** Voicemail overflow: leave a message after the beep; it becomes a work order of type `box`. */
export function voicemailFlow(box: string): Flow {
  return FlowSchema.parse(voicemailFlowInput(box));
}

function voicemailFlowInput(box: string): FlowInput {
  return {
    id: 'queue-voicemail',
    name: `Queue overflow voicemail (${box})`,
    start: 'message',
    nodes: {
      message: { verb: 'voicemail', prompt: ['leave-message'], orderType: box, thanksPrompt: ['message-received'], next: 'goodbye' },
      goodbye: { verb: 'hangup', prompt: ['goodbye'] },
    },
  };
}

export class AcdEnqueuer implements Enqueuer {
  constructor(
    private readonly acd: Pick<Acd, 'enqueue'>,
    private readonly deps: { log: Logger; tiers?: TierLookup; flows?: OverflowFlows },
  ) {}

  async enqueue(req: EnqueueRequest): Promise<{ outcome: 'queued' | 'full' | 'closed' | 'unknown-queue' }> {
    const found = this.deps.tiers?.tierOf(req.channel.caller.number) ?? null;
    const tier = (found && TIER_OF[found]) || 'standard';
    // The IVR variables ride with the caller: the agent's screen pop and the ACD's event log carry them.
    const settled = this.acd.enqueue({ channel: req.channel, queueId: req.queue, callId: req.callId, tier, vars: { ...req.vars } });
    // A refusal at the door settles synchronously inside enqueue(); one turn of the loop tells.
    const early = await Promise.race([settled, new Promise<null>((r) => setImmediate(() => r(null)))]);
    if (early?.outcome === 'rejected') {
      return { outcome: early.reason === 'full' ? 'full' : early.reason === 'empty' ? 'closed' : 'unknown-queue' };
    }
    const follow = early ? Promise.resolve(early) : settled;
    void follow.then((outcome) => this.finish(req, outcome));
    return { outcome: 'queued' };
  }

  /** After the queue: answered and abandoned calls are the ACD's business; others are cleared. */
  private async finish(req: EnqueueRequest, outcome: QueueOutcome): Promise<void> {
    this.deps.log.info({ callId: req.callId, queue: req.queue, outcome: outcome.outcome }, 'queue outcome');
    if (outcome.outcome !== 'overflowed' || req.channel.level === 'terminated') return;
    const flow = flowFor(outcome.target);
    if (flow && this.deps.flows) {
      await this.deps.flows.runFlow(req.channel, flow).catch((err: unknown) => this.deps.log.warn({ err, callId: req.callId }, 'overflow flow failed'));
      return;
    }
    // Hang-up overflows were cleared by the ACD (after its "closed" prompt); others have nowhere to go.
    if (outcome.target.kind !== 'hangup') await req.channel.hangup(HangupCauses.SWITCH_CONGESTION).catch(() => undefined);
  }
}

/** The flow an overflow target runs; null when none (or a voicemail box that cannot be a work-order type). */
function flowFor(target: OverflowTarget): string | Flow | null {
  if (target.kind === 'ivr') return target.flow;
  if (target.kind !== 'voicemail') return null;
  const parsed = FlowSchema.safeParse(voicemailFlowInput(target.box));
  return parsed.success ? parsed.data : null;
}
