/**
 * calendar: time-of-day and holiday branch on a business calendar shared with work orders
 * (CalendarPort), evaluated at the call's clock. Without a calendar port the branch is `open`
 * (callers are never locked out by a wiring mistake) and a warning is logged.
 */
import type { NodeOf } from '../flow-schema.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

export class CalendarVerb extends Verb<NodeOf<'calendar'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const n = this.node;
    const port = ctx.deps.calendar;
    if (!port) ctx.log.warn({ node: this.nodeId, calendar: n.calendar }, 'no calendar port: open');
    const state = port ? port.stateAt(n.calendar, ctx.clock.now()) : 'open';
    ctx.vars.calendar_state = state;
    if (state === 'open') return next(n.open);
    return next(state === 'holiday' ? (n.holiday ?? n.closed) : n.closed);
  }
}
