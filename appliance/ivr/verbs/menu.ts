/**
 * menu: play the prompt (barge-in), wait `timeoutMs` for one key. A key in `options` goes
 * there; no key or a key not offered plays timeoutPrompt/invalidPrompt and tries again, at
 * most `retries` more times; then onNoInput (for no input, when set) or onFail. A caller who
 * presses nonsense always reaches a defined exit.
 */
import type { NodeOf } from '../flow-schema.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

export class MenuVerb extends Verb<NodeOf<'menu'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const n = this.node;
    for (let attempt = 0; ; attempt++) {
      await ctx.play(n.prompt, { bargeIn: true });
      const key = await ctx.nextDigit(n.timeoutMs);
      const target = key === null ? undefined : n.options[key];
      if (key !== null) ctx.vars.last_digit = key;
      if (target) return next(target);
      const noInput = key === null;
      ctx.log.debug({ node: this.nodeId, attempt, key, noInput }, 'menu miss');
      if (attempt >= n.retries) return next(noInput ? (n.onNoInput ?? n.onFail) : n.onFail);
      ctx.dtmf.clear();
      await ctx.play(noInput ? n.timeoutPrompt : n.invalidPrompt, { bargeIn: true });
    }
  }
}
