/** return: leave a sub-flow for the calling flow's `next` (at top level: the end of the flow). */
import type { NodeOf } from '../flow-schema.js';
import { Verb, type Step } from './verb.js';

export class ReturnVerb extends Verb<NodeOf<'return'>> {
  async exec(): Promise<Step> {
    return { kind: 'return' };
  }
}
