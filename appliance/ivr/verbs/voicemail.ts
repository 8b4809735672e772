/**
 * voicemail (留言): prompt, beep, record, and the message becomes a work order of `orderType`
 * through the VoicemailPort. Hanging up is how many callers finish a message, so the message
 * is still submitted after a hangup (when at least `minMs` long) and the run ends as
 * `voicemail`, not abandoned.
 */
import type { NodeOf } from '../flow-schema.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

export class VoicemailVerb extends Verb<NodeOf<'voicemail'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const n = this.node;
    const port = ctx.deps.voicemail;
    if (!port) {
      ctx.log.error({ node: this.nodeId }, 'no voicemail port');
      return next(n.next);
    }
    await ctx.play(n.prompt);
    await ctx.playItems([{ kind: 'tone', tone: 'beep', durationMs: 300 }]);
    const { recording, durationMs } = await port.record({ callId: ctx.callId, channel: ctx.channel, maxMs: n.maxMs, signal: ctx.signal });
    const gone = ctx.signal.aborted;
    if (durationMs >= n.minMs) {
      const { orderId } = await port.createWorkOrder({
        callId: ctx.callId,
        orderType: n.orderType,
        caller: ctx.vars.caller ?? '',
        recording,
        durationMs,
        vars: { ...ctx.vars },
      });
      ctx.vars.voicemail_order = orderId;
      ctx.log.info({ node: this.nodeId, orderId, durationMs }, 'voicemail work order');
    } else {
      ctx.log.info({ node: this.nodeId, durationMs }, 'voicemail too short, discarded');
    }
    if (gone) return { kind: 'exit', outcome: 'voicemail' };
    await ctx.play(n.thanksPrompt);
    return next(n.next);
  }
}
