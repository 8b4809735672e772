/**
 * The VerbContext a verb runs with: the call's variables and ports plus playback and key
 * helpers bound to the verb's signal (aborted on hangup or kill). Every wait here goes through
 * the injected clock and is cancelled with the signal, so a hangup leaves no timer behind.
 */
import type { Channel, Digit, PlayItem, PlayResult } from '../channel/channel.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { DtmfBuffer } from './dtmf-buffer.js';
import { VerbAborted } from './errors.js';
import type { PromptRef } from './flow-schema.js';
import type { Variables } from './ports.js';
import type { IvrDeps } from './runner.js';
import type { Lang } from './say/index.js';
import { render } from './template.js';
import type { PlayOptions, VerbContext } from './verbs/verb.js';

export interface CallScope {
  callId: string;
  channel: Channel;
  clock: Clock;
  log: Logger;
  vars: Variables;
  lang: Lang;
  deps: IvrDeps;
  dtmf: DtmfBuffer;
}

export function verbContext(call: CallScope, nodeId: string, signal: AbortSignal): VerbContext {
  const { channel, dtmf, log } = call;

  const playItems = async (items: readonly PlayItem[], opts: PlayOptions = {}): Promise<PlayResult> => {
    if (signal.aborted) throw new VerbAborted();
    if (items.length === 0) return { outcome: 'completed' };
    // Type-ahead: a key already waiting skips a barge-in prompt.
    if (opts.bargeIn && dtmf.pending > 0) return { outcome: 'interrupted' };
    const stop = opts.signal ? AbortSignal.any([signal, opts.signal]) : signal;
    dtmf.accepting = opts.bargeIn ?? false;
    let result: PlayResult;
    try {
      result = await channel.media.play(items, { bargeIn: opts.bargeIn ?? false, signal: stop });
    } finally {
      dtmf.accepting = true;
    }
    if (result.outcome === 'hungup' || signal.aborted) throw new VerbAborted();
    if (result.outcome === 'failed') log.warn({ node: nodeId, items: items.length }, 'playback failed');
    return result;
  };

  const toItems = async (prompts: readonly PromptRef[], lang: Lang): Promise<PlayItem[]> => {
    const out: PlayItem[] = [];
    for (const p of prompts) {
      if (typeof p === 'string') out.push({ kind: 'prompt', name: p, lang });
      else if ('file' in p) out.push({ kind: 'file', path: render(p.file, call.vars) });
      else if ('silenceMs' in p) out.push({ kind: 'silence', durationMs: p.silenceMs });
      else if (call.deps.tts) out.push(await call.deps.tts.render(render(p.tts, call.vars), lang, signal));
      else log.warn({ node: nodeId }, 'tts prompt without a tts port: skipped');
    }
    return out;
  };

  return {
    callId: call.callId,
    nodeId,
    channel,
    clock: call.clock,
    log,
    vars: call.vars,
    lang: call.lang,
    deps: call.deps,
    dtmf,
    signal,
    playItems,
    play: async (prompts, opts = {}) => playItems(await toItems(prompts, opts.lang ?? call.lang), opts),
    playNames: (names, opts = {}) =>
      playItems(
        names.map((name) => ({ kind: 'prompt', name, lang: opts.lang ?? call.lang })),
        opts,
      ),
    nextDigit: (timeoutMs): Promise<Digit | null> => dtmf.next(timeoutMs, signal),
    render: (template) => render(template, call.vars),
  };
}
