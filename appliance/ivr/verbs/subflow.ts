/**
 * subflow: run another published flow (shared "enter your account number" or "outage notice"
 * pieces), then continue at `next` when it reaches a `return` or its end. An unknown flow is
 * logged and skipped.
 */
import type { NodeOf } from '../flow-schema.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

export class SubflowVerb extends Verb<NodeOf<'subflow'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const flow = (await ctx.deps.flows?.published(this.node.flow)) ?? null;
    if (!flow) {
      ctx.log.error({ node: this.nodeId, flow: this.node.flow }, 'sub-flow not found');
      return next(this.node.next);
    }
    return { kind: 'subflow', flow, returnTo: this.node.next };
  }
}
