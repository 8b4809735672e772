/** transfer: blind transfer to an extension or number (template); failure sets `transfer_error` and goes to onFail. */
import type { NodeOf } from '../flow-schema.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

export class TransferVerb extends Verb<NodeOf<'transfer'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const n = this.node;
    const to = ctx.render(n.to);
    const port = ctx.deps.transferer;
    if (!port || to === '') {
      ctx.vars.transfer_error = port ? 'no-destination' : 'no-port';
      return next(n.onFail);
    }
    await ctx.play(n.prompt);
    const { outcome } = await port.transfer({ callId: ctx.callId, channel: ctx.channel, to, vars: { ...ctx.vars } });
    if (outcome === 'transferred') return { kind: 'exit', outcome: 'transferred', to };
    ctx.vars.transfer_error = outcome;
    return next(n.onFail);
  }
}
