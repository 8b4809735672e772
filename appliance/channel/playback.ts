/**
 * Playback for every Channel implementation (sip-channel, tdm-channel): what a PlayItem
 * becomes for the media engine, and how one playing item ends — played out, cut by a barge-in
 * digit, aborted by the caller's signal, cut by the call ending, or failed.
 */
import type { Clock } from '../core/clock.js';
import { CHINA_TONE_PLAN, type ToneName, type TonePlan, type ToneSpec } from '../media/tones/tone-plan.js';
import type { Digit, PlayItem, PlayResult } from './channel.js';
import type { MediaPlayback, MediaSource, PromptResolver } from './tdm/ports.js';

/** The engine source for one item, or why it cannot be played. */
export function mediaSourceOf(item: PlayItem, prompts: PromptResolver, tonePlan: TonePlan = CHINA_TONE_PLAN): MediaSource | { error: string } {
  switch (item.kind) {
    case 'prompt': {
      const path = prompts.resolve(item.name, item.lang);
      return path ? { wav: path } : { error: `no prompt ${item.name} (${item.lang ?? 'default'})` };
    }
    case 'file':
      return { wav: item.path };
    case 'tone': {
      const spec: ToneSpec | undefined = tonePlan.tones[item.tone as ToneName];
      return spec ? { tone: spec } : { error: `no tone ${item.tone} in the ${tonePlan.country} plan` };
    }
    case 'silence':
      return { tone: { segments: [{ freqs: [], ms: Math.max(1, Math.round(item.durationMs)) }], repeat: false, levelDbm0: -10 } };
  }
}

export interface AwaitPlaybackOptions {
  clock: Pick<Clock, 'setTimeout'>;
  /** The channel's end: a hang-up cuts the item (`hungup`). */
  ended: AbortSignal;
  /** The caller's signal: aborting cuts the item (`interrupted`). */
  signal?: AbortSignal;
  bargeIn?: boolean;
  /** Where the channel hands its next DTMF digit while barge-in is armed (null when disarmed). */
  setBargeIn(handler: ((digit: Digit) => void) | null): void;
}

/** Wait for one playing item; null when it played out (or its tone duration elapsed). */
export function awaitPlayback(pb: MediaPlayback, item: PlayItem, o: AwaitPlaybackOptions): Promise<PlayResult | null> {
  return new Promise<PlayResult | null>((resolve) => {
    let settled = false;
    const limit = item.kind === 'tone' && item.durationMs !== undefined ? o.clock.setTimeout(() => finish(null, true), item.durationMs) : null;
    const onEnd = (): void => finish({ outcome: 'hungup' }, true);
    const onAbort = (): void => finish({ outcome: 'interrupted' }, true);
    const finish = (r: PlayResult | null, stop: boolean): void => {
      if (settled) return;
      settled = true;
      limit?.cancel();
      o.setBargeIn(null);
      o.ended.removeEventListener('abort', onEnd);
      o.signal?.removeEventListener('abort', onAbort);
      if (stop) pb.stop().catch(() => undefined);
      resolve(r);
    };
    o.ended.addEventListener('abort', onEnd, { once: true });
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.bargeIn) o.setBargeIn((digit) => finish({ outcome: 'interrupted', digit }, true));
    pb.done.then(
      (d) => finish(d.reason === 'error' ? { outcome: 'failed' } : d.reason === 'endpoint-closed' ? { outcome: 'hungup' } : null, false),
      () => finish({ outcome: 'failed' }, false),
    );
  });
}
