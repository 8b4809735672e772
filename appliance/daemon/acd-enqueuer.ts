/**
 * The IVR's `enqueue` verb (ivr/ports.ts Enqueuer) onto the ACD (acd/acd.ts). The ACD's own
 * promise settles only when the caller leaves the queue, so this answers `queued` as soon as
 * the caller is waiting and follows the rest in the background: the ACD owns the channel from
 * then on. A refusal at the door comes back at once as full / closed / unknown-queue.
 * The caller's tier comes from the customers module (by caller number) so VIP and critical-load
 * customers are served first.
 */
import type { Acd } from '../acd/acd.js';
import type { CustomerTier, QueueOutcome } from '../acd/model.js';
import { HangupCauses } from '../channel/q850.js';
import type { Logger } from '../core/log.js';
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

export class AcdEnqueuer implements Enqueuer {
  constructor(
    private readonly acd: Pick<Acd, 'enqueue'>,
    private readonly deps: { log: Logger; tiers?: TierLookup },
  ) {}

  async enqueue(req: EnqueueRequest): Promise<{ outcome: 'queued' | 'full' | 'closed' | 'unknown-queue' }> {
    const found = this.deps.tiers?.tierOf(req.channel.caller.number) ?? null;
    const tier = (found && TIER_OF[found]) || 'standard';
    const settled = this.acd.enqueue({ channel: req.channel, queueId: req.queue, callId: req.callId, tier });
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
    if (outcome.outcome === 'overflowed' && req.channel.level !== 'terminated') {
      // Overflow to voicemail / IVR targets needs the flow runner again (TODO(#6)); until then the
      // caller hears congestion rather than silence.
      await req.channel.hangup(HangupCauses.SWITCH_CONGESTION).catch(() => undefined);
    }
  }
}
