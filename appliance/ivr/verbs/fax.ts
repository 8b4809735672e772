/** fax (fax-on-demand): send a library document on this call or to a number the caller entered. */
import type { NodeOf } from '../flow-schema.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

export class FaxVerb extends Verb<NodeOf<'fax'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const n = this.node;
    const port = ctx.deps.fax;
    const to = n.to === 'caller' ? 'caller' : { number: ctx.render(n.to) };
    if (!port || (to !== 'caller' && to.number === '')) {
      ctx.vars.fax_error = port ? 'no-destination' : 'no-port';
      return next(n.onFail);
    }
    await ctx.play(n.prompt);
    const { outcome } = await port.send({ callId: ctx.callId, channel: ctx.channel, document: ctx.render(n.document), to, signal: ctx.signal });
    ctx.vars.fax_status = outcome;
    return next(outcome === 'failed' ? n.onFail : n.next);
  }
}
