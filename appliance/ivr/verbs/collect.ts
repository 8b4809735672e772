/**
 * collect: a number of keys into a variable (户号, area code, meter reading). Entry ends on the
 * terminator, on maxLength keys, or `interDigitMs` after the last key; the first key must come
 * within `timeoutMs`. The entry must have min..max keys and match `pattern` (default: digits
 * only). With `confirm`, the entry is read back digit by digit and the caller confirms with
 * `yes`; anything else is another attempt. After `retries` failed attempts: onFail.
 */
import type { NodeOf } from '../flow-schema.js';
import { say } from '../say/index.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

export class CollectVerb extends Verb<NodeOf<'collect'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const n = this.node;
    const pattern = new RegExp(`^(?:${n.pattern ?? '[0-9]+'})$`);
    for (let attempt = 0; attempt <= n.retries; attempt++) {
      if (attempt > 0) ctx.dtmf.clear();
      await ctx.play(n.prompt, { bargeIn: true });
      const entry = await this.entry(ctx);
      const valid = entry.length >= n.minLength && entry.length <= n.maxLength && pattern.test(entry);
      ctx.log.debug({ node: this.nodeId, attempt, length: entry.length, valid }, 'collect entry');
      if (valid && (await this.confirmed(ctx, entry))) {
        ctx.vars[n.var] = entry;
        return next(n.next);
      }
      if (attempt < n.retries) {
        ctx.dtmf.clear();
        await ctx.play(n.invalidPrompt, { bargeIn: true });
      }
    }
    return next(n.onFail);
  }

  private async entry(ctx: VerbContext): Promise<string> {
    const n = this.node;
    let entry = '';
    for (;;) {
      const key = await ctx.nextDigit(entry === '' ? n.timeoutMs : n.interDigitMs);
      if (key === null || key === n.terminator) return entry;
      entry += key;
      if (entry.length >= n.maxLength) return entry;
    }
  }

  private async confirmed(ctx: VerbContext, entry: string): Promise<boolean> {
    const c = this.node.confirm;
    if (!c) return true;
    ctx.dtmf.clear();
    await ctx.play(c.prefix, { bargeIn: true });
    await ctx.playNames(say('digits', entry, ctx.lang), { bargeIn: true });
    await ctx.play(c.question, { bargeIn: true });
    const key = await ctx.nextDigit(this.node.timeoutMs);
    return key === c.yes;
  }
}
