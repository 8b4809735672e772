/** hangup: optional goodbye prompt, then clear the call with a Q.850 cause (16 normal clearing). */
import type { NodeOf } from '../flow-schema.js';
import { Verb, type Step, type VerbContext } from './verb.js';

export class HangupVerb extends Verb<NodeOf<'hangup'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    await ctx.play(this.node.prompt);
    await ctx.channel.hangup(this.node.cause);
    return { kind: 'exit', outcome: 'hungup' };
  }
}
