/**
 * What a TDM leg (../tdm-channel.ts) needs from outside the channel layer, as ports, so the
 * channel imports no concrete driver (scripts/lint-architecture.ts): the daemon passes
 *
 *  - the span's signalling as drivers/types.ts `TdmSignalling` (PRI, ISUP or R2 adapters);
 *  - an in-band DTMF detector (ITU-T Q.24; spandsp's `dtmf_rx` in drivers/spandsp behind
 *    `DtmfDetectorFactory`);
 *  - the media engine's TDM legs (`TdmMediaPort`; engine-media.ts adapts MediaEngine);
 *  - where prompts live (`PromptResolver`; media/prompts' `<dir>/<lang>/<name>.wav`).
 */
import type { TdmEndpoint } from '../../media/engine/tdm-endpoint.js';
import type { ToneSpec } from '../../media/tones/tone-plan.js';

/** Finds DTMF digits in 8 kHz linear audio; calls back once per digit, inside `push`. */
export interface DtmfDetector {
  push(samples: Int16Array): void;
  close(): void;
}
export type DtmfDetectorFactory = (onDigit: (digit: string) => void) => DtmfDetector;

/** Prompt name + language → an 8 kHz WAV path, or null when the library has none. */
export interface PromptResolver {
  resolve(name: string, lang: string | undefined): string | null;
}

/** A B channel as the media engine sees it (drivers/types.ts TdmChannel fits). */
export interface TdmLineLike {
  on(event: 'frame', fn: (frame: Uint8Array) => void): unknown;
  off(event: 'frame', fn: (frame: Uint8Array) => void): unknown;
  write(frame: Uint8Array): void;
}

export type MediaSource = { wav: string } | { tone: ToneSpec };

export interface MediaPlayback {
  /** Resolves when the item ends; `finished` means it played to the end. */
  readonly done: Promise<{ reason: 'finished' | 'stopped' | 'error' | 'endpoint-closed'; error: string | null }>;
  stop(): Promise<void>;
}

/** One TDM leg in the media engine. */
export interface TdmMediaLeg {
  /** The engine endpoint, when the port is the media engine: what a call's bridge mixes. */
  readonly endpoint?: TdmEndpoint;
  play(source: MediaSource): Promise<MediaPlayback>;
  /** In-band Q.23 digits towards the line. */
  sendDtmf(digits: string, durationMs: number): Promise<void>;
  /** The media worker holding the leg died (media-engine.ts onWorkerCrash): the call cannot go on. */
  onFailed?(fn: (reason: string) => void): void;
  close(): Promise<void>;
}

export interface TdmMediaPort {
  /** Put `line` into the engine; `affinity` keeps a call's legs on one worker. */
  open(line: TdmLineLike, affinity: string): Promise<TdmMediaLeg>;
}
