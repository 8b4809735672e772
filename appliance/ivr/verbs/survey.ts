/**
 * survey: each question takes one key 1–5 (retries on no input or another key; a question
 * still unanswered after its retries is skipped). Scores go to the SurveySink with the call's
 * variables and into `survey_<question>` variables. A caller who hangs up mid-survey still
 * has the answers given so far stored.
 */
import type { NodeOf } from '../flow-schema.js';
import { VerbAborted } from '../errors.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

const SCORE = /^[1-5]$/;

export class SurveyVerb extends Verb<NodeOf<'survey'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const n = this.node;
    const scores: Record<string, number> = {};
    try {
      for (const q of n.questions) {
        for (let attempt = 0; attempt <= n.retries; attempt++) {
          if (attempt > 0) {
            ctx.dtmf.clear();
            await ctx.play(n.invalidPrompt, { bargeIn: true });
          }
          await ctx.play(q.prompt, { bargeIn: true });
          const key = await ctx.nextDigit(n.timeoutMs);
          if (key !== null && SCORE.test(key)) {
            scores[q.id] = Number(key);
            ctx.vars[`survey_${q.id}`] = key;
            break;
          }
        }
      }
    } catch (err) {
      if (err instanceof VerbAborted) await this.store(ctx, scores);
      throw err;
    }
    await this.store(ctx, scores);
    await ctx.play(n.thanksPrompt);
    return next(n.next);
  }

  private async store(ctx: VerbContext, scores: Record<string, number>): Promise<void> {
    if (Object.keys(scores).length === 0) return;
    if (!ctx.deps.survey) {
      ctx.log.error({ node: this.nodeId, scores }, 'no survey sink: scores lost');
      return;
    }
    await ctx.deps.survey.record({ callId: ctx.callId, survey: this.node.survey, scores, vars: { ...ctx.vars } });
  }
}
