/** set: assign variables from templates (all rendered before any is assigned). */
import type { NodeOf } from '../flow-schema.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

export class SetVerb extends Verb<NodeOf<'set'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const values = Object.entries(this.node.vars).map(([k, v]) => [k, ctx.render(v)] as const);
    for (const [k, v] of values) ctx.vars[k] = v;
    return next(this.node.next);
  }
}
