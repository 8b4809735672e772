/**
 * The media engine (media/engine/media-engine.ts) as a TDM leg's `TdmMediaPort`: a leg is a
 * `TdmEndpoint` whose B-channel frames cross to a worker through shared rings; prompts, tones
 * and in-band DTMF are played there.
 */
import type { MediaEngine } from '../../media/engine/media-engine.js';
import type { MediaSource, TdmLineLike, TdmMediaLeg, TdmMediaPort } from './ports.js';

export function engineMedia(engine: MediaEngine): TdmMediaPort {
  return {
    async open(line: TdmLineLike, affinity: string): Promise<TdmMediaLeg> {
      const ep = await engine.createTdmEndpoint({ line, affinity });
      return {
        endpoint: ep,
        play: (source: MediaSource) => engine.play(ep, source),
        sendDtmf: (digits, durationMs) => ep.sendDtmf(digits, durationMs),
        onFailed: (fn) => ep.on('failed', (e) => fn(e.reason)),
        close: async () => {
          await ep.close();
        },
      };
    },
  };
}
