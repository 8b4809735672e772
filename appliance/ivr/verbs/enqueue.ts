/**
 * enqueue: hand the caller to an ACD queue with a priority, required skills and the IVR
 * variables for the agent's screen pop. `queued` ends the IVR (the ACD owns the channel);
 * full, closed or unknown queue sets `enqueue_error` and goes to onFail.
 */
import type { NodeOf } from '../flow-schema.js';
import type { Variables } from '../ports.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

export class EnqueueVerb extends Verb<NodeOf<'enqueue'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const n = this.node;
    const acd = ctx.deps.enqueuer;
    if (!acd) {
      ctx.log.error({ node: this.nodeId }, 'no enqueuer port');
      ctx.vars.enqueue_error = 'no-port';
      return next(n.onFail);
    }
    await ctx.play(n.prompt);
    const vars: Variables = {};
    if (n.vars === 'all') Object.assign(vars, ctx.vars);
    else for (const k of n.vars) if (ctx.vars[k] !== undefined) vars[k] = ctx.vars[k];
    const { outcome } = await acd.enqueue({
      callId: ctx.callId,
      channel: ctx.channel,
      queue: ctx.render(n.queue),
      priority: n.priority,
      skills: n.skills,
      vars,
    });
    if (outcome === 'queued') return { kind: 'exit', outcome: 'enqueued', queue: n.queue };
    ctx.log.warn({ node: this.nodeId, queue: n.queue, outcome }, 'enqueue refused');
    ctx.vars.enqueue_error = outcome;
    return next(n.onFail);
  }
}
