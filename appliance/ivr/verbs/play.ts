/** play: prompts, playlists and TTS-rendered text, with or without barge-in. */
import type { NodeOf } from '../flow-schema.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

export class PlayVerb extends Verb<NodeOf<'play'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    await ctx.play(this.node.prompts, { bargeIn: this.node.bargeIn });
    return next(this.node.next);
  }
}
