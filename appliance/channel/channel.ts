/**
 * A Channel is one leg of a call (DESIGN.md "Call model"): a SIP dialog, an E1 B-channel, an
 * analog port or an internal endpoint. Call control, ACD, IVR and the dialer only ever see
 * this interface; sip-channel and tdm-channel implement it. Levels follow Q.931 call states
 * (sig_pri's call levels), causes are Q.850.
 */
import type { HangupCause } from './q850.js';

export const CallLevels = ['setup', 'overlap', 'proceeding', 'alerting', 'early-media', 'connected', 'terminated'] as const;
export type CallLevel = (typeof CallLevels)[number];

export const Digits = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'] as const;
export type Digit = (typeof Digits)[number];

export type ChannelTech = 'sip' | 'tdm' | 'analog' | 'internal';
export type ChannelDirection = 'inbound' | 'outbound';

/** Caller / called party as signalled, with presentation (privacy) per Q.931/RFC 3323. */
export interface PartyNumber {
  number: string;
  name?: string;
  presentation: 'allowed' | 'restricted' | 'unavailable';
}

/** Why a channel ended: Q.850 cause and which side cleared. */
export interface HangupInfo {
  cause: HangupCause | number;
  by: 'local' | 'remote';
  at: number;
}

/** Media operations a channel offers; implemented over the media engine. */
export interface ChannelMedia {
  /** Play prompts/tones in sequence; resolves when done or interrupted (by a DTMF when `bargeIn`). */
  play(items: readonly PlayItem[], opts?: { bargeIn?: boolean; signal?: AbortSignal }): Promise<PlayResult>;
  /** Send DTMF to the far end (RFC 4733 on SIP, in-band/IE on TDM). */
  sendDtmf(digits: string): Promise<void>;
}

export type PlayItem =
  | { kind: 'prompt'; name: string; lang?: string }
  | { kind: 'file'; path: string }
  | { kind: 'tone'; tone: string; durationMs?: number }
  | { kind: 'silence'; durationMs: number };

export interface PlayResult {
  outcome: 'completed' | 'interrupted' | 'hungup' | 'failed';
  /** The digit that interrupted playback, if any. */
  digit?: Digit;
}

export interface ChannelEvents {
  dtmf: (digit: Digit) => void;
  level: (level: CallLevel) => void;
  hangup: (info: HangupInfo) => void;
}

export interface Channel {
  readonly id: string;
  readonly tech: ChannelTech;
  readonly direction: ChannelDirection;
  readonly level: CallLevel;
  readonly caller: PartyNumber;
  readonly called: PartyNumber;
  /** Aborted when the channel reaches `terminated`; pass to anything that must stop with the call. */
  readonly ended: AbortSignal;
  readonly media: ChannelMedia;
  alerting(): Promise<void>;
  progress(): Promise<void>;
  answer(): Promise<void>;
  hangup(cause: HangupCause | number): Promise<void>;
  on<E extends keyof ChannelEvents>(event: E, fn: ChannelEvents[E]): this;
  off<E extends keyof ChannelEvents>(event: E, fn: ChannelEvents[E]): this;
}
