/**
 * lookup: ask an integration adapter (billing, GIS, installation…) through the LookupAdapter
 * port and copy fields of its answer into variables. The adapter gets `timeoutMs` on the call's
 * clock; a timeout, a thrown error, or an answer missing an assigned field takes the fallback
 * branch `onFail` (logged, with `lookup_error` set to timeout | error | bad-response |
 * no-adapter); `not-found` goes to onNotFound (or onFail). A hold prompt plays while waiting
 * and stops when the answer arrives.
 */
import type { NodeOf } from '../flow-schema.js';
import { VerbAborted } from '../errors.js';
import type { LookupResult, Variables } from '../ports.js';
import { pick } from '../template.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

type Outcome = { kind: 'result'; result: LookupResult } | { kind: 'timeout' } | { kind: 'error'; err: unknown };

export class LookupVerb extends Verb<NodeOf<'lookup'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const n = this.node;
    const adapter = ctx.deps.lookups?.[n.adapter];
    if (!adapter) return this.fail(ctx, 'no-adapter');
    const params: Variables = {};
    for (const [k, v] of Object.entries(n.params)) params[k] = ctx.render(v);

    const call = new AbortController();
    const hold = new AbortController();
    const stopAll = (): void => call.abort(new VerbAborted());
    ctx.signal.addEventListener('abort', stopAll, { once: true });
    const holdPlay = n.holdPrompt.length > 0 ? ctx.play(n.holdPrompt, { signal: hold.signal }).catch(() => undefined) : undefined;
    let timer: { cancel(): void } | undefined;
    const started = ctx.clock.monotonic();
    try {
      const outcome = await Promise.race<Outcome>([
        adapter.lookup(n.op, params, call.signal).then(
          (result): Outcome => ({ kind: 'result', result }),
          (err: unknown): Outcome => ({ kind: 'error', err }),
        ),
        new Promise<Outcome>((resolve) => {
          timer = ctx.clock.setTimeout(() => resolve({ kind: 'timeout' }), n.timeoutMs);
        }),
        new Promise<Outcome>((_, reject) => {
          if (ctx.signal.aborted) reject(new VerbAborted());
          ctx.signal.addEventListener('abort', () => reject(new VerbAborted()), { once: true });
        }),
      ]);
      if (outcome.kind !== 'result') call.abort();
      const tookMs = ctx.clock.monotonic() - started;
      if (outcome.kind === 'timeout') return this.fail(ctx, 'timeout', { tookMs });
      if (outcome.kind === 'error') return this.fail(ctx, 'error', { tookMs, err: outcome.err });
      return this.apply(ctx, outcome.result);
    } finally {
      timer?.cancel();
      hold.abort();
      ctx.signal.removeEventListener('abort', stopAll);
      await holdPlay;
    }
  }

  private apply(ctx: VerbContext, result: LookupResult): Step {
    const n = this.node;
    if (result?.status === 'not-found') {
      ctx.vars.lookup_status = 'not-found';
      return next(n.onNotFound ?? n.onFail);
    }
    if (result?.status !== 'found' || result.data === null || typeof result.data !== 'object') return this.fail(ctx, 'bad-response');
    const values: Variables = {};
    for (const [name, path] of Object.entries(n.assign)) {
      const v = pick(result.data, path);
      if (v === undefined || v === null || typeof v === 'object') return this.fail(ctx, 'bad-response', { field: path });
      values[name] = String(v);
    }
    Object.assign(ctx.vars, values);
    ctx.vars.lookup_status = 'found';
    return next(n.next);
  }

  private fail(ctx: VerbContext, reason: 'timeout' | 'error' | 'bad-response' | 'no-adapter', extra: Record<string, unknown> = {}): Step {
    ctx.vars.lookup_status = 'failed';
    ctx.vars.lookup_error = reason;
    ctx.log.warn({ node: this.nodeId, adapter: this.node.adapter, op: this.node.op, reason, ...extra }, 'lookup fallback');
    return next(this.node.onFail);
  }
}
