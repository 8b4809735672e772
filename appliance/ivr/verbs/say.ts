/**
 * say: a variable or literal read as digits, a number, money, a date or a time, in the flow's
 * language (say/). A value the say module refuses (a lookup answered "n/a" for a balance) is
 * logged and skipped rather than read as garbage.
 */
import { ValidationError } from '../../core/errors.js';
import type { NodeOf } from '../flow-schema.js';
import { say } from '../say/index.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

export class SayVerb extends Verb<NodeOf<'say'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const n = this.node;
    const lang = n.lang ?? ctx.lang;
    const value = ctx.render(n.value);
    let names: string[];
    try {
      names = say(n.kind, value, lang);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      ctx.log.warn({ node: this.nodeId, kind: n.kind, value }, 'say value refused');
      return next(n.next);
    }
    await ctx.play(n.prefix, { bargeIn: n.bargeIn, lang });
    await ctx.playNames(names, { bargeIn: n.bargeIn, lang });
    await ctx.play(n.suffix, { bargeIn: n.bargeIn, lang });
    return next(n.next);
  }
}
