/** switch: branch on a variable's value; `default` when no case matches (or the variable is unset). */
import type { NodeOf } from '../flow-schema.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

export class SwitchVerb extends Verb<NodeOf<'switch'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const value = ctx.vars[this.node.var] ?? '';
    return next(Object.hasOwn(this.node.cases, value) ? this.node.cases[value] : this.node.default);
  }
}
