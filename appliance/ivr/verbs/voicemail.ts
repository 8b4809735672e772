/**
 * voicemail (留言): prompt, beep, record (until '#', maxMs or hangup), and the message is
 * submitted through the VoicemailPort (voicemail-box.ts: stored, then a work order of
 * `orderType` is made from it). Hanging up is how many callers finish a message, so the message
 * is still submitted after a hangup (when at least `minMs` long) and the run ends as
 * `voicemail`, not abandoned. Sets `voicemail_id` and, once the order exists, `voicemail_order`.
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
    const { recording, recordingId, durationMs, endedBy } = await port.record({ callId: ctx.callId, channel: ctx.channel, maxMs: n.maxMs, signal: ctx.signal });
    const gone = ctx.signal.aborted;
    // The '#' that ended the message is not a menu choice for the next node.
    ctx.dtmf.clear();
    if (durationMs >= n.minMs) {
      const { messageId, orderId } = await port.submit({
        callId: ctx.callId,
        orderType: n.orderType,
        caller: ctx.vars.caller ?? '',
        recording,
        ...(recordingId !== undefined ? { recordingId } : {}),
        durationMs,
        ...(endedBy ? { endedBy } : {}),
        vars: { ...ctx.vars },
      });
      ctx.vars.voicemail_id = messageId;
      if (orderId) ctx.vars.voicemail_order = orderId;
      ctx.log.info({ node: this.nodeId, messageId, orderId, durationMs, endedBy }, 'voicemail submitted');
    } else {
      ctx.log.info({ node: this.nodeId, durationMs }, 'voicemail too short, discarded');
    }
    if (gone) return { kind: 'exit', outcome: 'voicemail' };
    await ctx.play(n.thanksPrompt);
    return next(n.next);
  }
}
