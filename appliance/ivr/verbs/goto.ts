/** goto: continue at another node. */
import type { NodeOf } from '../flow-schema.js';
import { next, Verb, type Step } from './verb.js';

export class GotoVerb extends Verb<NodeOf<'goto'>> {
  async exec(): Promise<Step> {
    return next(this.node.target);
  }
}
