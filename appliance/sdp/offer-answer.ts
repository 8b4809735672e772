/**
 * The offer/answer model, RFC 3264, for the appliance's audio legs: G.711 (PCMA, PCMU) with
 * RFC 4733 telephone-event, 20 ms packets, hold by direction.
 *
 *  - Answer (§6): "The answer MUST contain exactly the same number of "m=" lines as the offer";
 *    the first usable audio stream is accepted, every other one is refused with port 0 (§6: "An
 *    offered stream MAY be rejected in the answer, for any reason. If a stream is rejected, the
 *    offerer and answerer MUST NOT generate media ... To reject an offered stream, the port
 *    number in the corresponding stream in the answer MUST be set to zero"). We keep the
 *    offerer's payload type numbers (§6.1: "the answerer MUST use the same payload type number
 *    for that media format as the offerer") and honour its codec preference order.
 *  - No usable audio at all → 488 Not Acceptable Here (RFC 3261 §13.3.1.3, §21.4.26).
 *  - Direction (§6.1): "If a stream is offered as sendonly, the corresponding stream MUST be
 *    marked as recvonly or inactive in the answer. If a media stream is listed as recvonly in
 *    the offer, the answer MUST be marked as sendonly or inactive ... If an offered media
 *    stream is listed as inactive, it MUST be marked as inactive in the answer."
 *  - Hold (§8.4): a re-offer with sendonly (or inactive) holds the stream; the older form
 *    c=0.0.0.0 (RFC 2543) is also taken as hold.
 *  - Versions (§8): "the version in the origin field MUST increment by one from the previous
 *    SDP"; an unchanged description keeps its version (LocalDescription below).
 */
import { randomInt } from 'node:crypto';
import { ParseError } from '../core/errors.js';
import { parseSdp, writeSdp, type Direction, type SdpCodec, type SdpSession, type WriteMedia } from './session.js';

export const AudioCodecs = ['PCMA', 'PCMU'] as const;
export type AudioCodec = (typeof AudioCodecs)[number];

/** RFC 3551 static payload types of the codecs we serve. */
export const STATIC_PT: Readonly<Record<AudioCodec, number>> = { PCMA: 8, PCMU: 0 };
/** The dynamic payload type we offer for telephone-event (any of 96–127 works). */
export const DEFAULT_TELEPHONE_EVENT_PT = 101;
export const PTIME_MS = 20;

export interface LocalMedia {
  address: string;
  port: number;
  /** Codecs in our preference order (offers list them in this order). */
  codecs: readonly AudioCodec[];
  /** Offer/accept RFC 4733 telephone-event (default true). */
  telephoneEvent?: boolean;
  /** Our wish: sendrecv normally, sendonly when we put the peer on hold. */
  direction?: Direction;
}

/** What a leg needs to run its RTP endpoint after offer/answer. */
export interface NegotiatedMedia {
  codec: AudioCodec;
  pt: number;
  telephoneEventPt: number | null;
  /** Where to send RTP; null when the peer gave 0.0.0.0 (hold) or refused the stream. */
  remote: { address: string; port: number } | null;
  /** The direction of the stream from our side. */
  direction: Direction;
  /** The peer has put us on hold (it sends nothing it wants heard back, §8.4). */
  heldByPeer: boolean;
  ptime: number;
}

export type AnswerResult =
  | { ok: true; sdp: string; media: NegotiatedMedia }
  | { ok: false; status: 488 | 400; reason: string; warning: string };

/** The answer direction for an offered one (RFC 3264 §6.1), limited by what we want to do. */
export function answerDirection(offered: Direction, local: Direction = 'sendrecv'): Direction {
  const weSend = local === 'sendrecv' || local === 'sendonly';
  const weRecv = local === 'sendrecv' || local === 'recvonly';
  const theySend = offered === 'sendrecv' || offered === 'sendonly';
  const theyRecv = offered === 'sendrecv' || offered === 'recvonly';
  const send = weSend && theyRecv;
  const recv = weRecv && theySend;
  return send && recv ? 'sendrecv' : send ? 'sendonly' : recv ? 'recvonly' : 'inactive';
}

function isHoldAddress(address: string | null): boolean {
  return address === '0.0.0.0' || address === '::';
}

function isAudioRtp(m: { type: string; protocol: string; port: number }): boolean {
  return m.type === 'audio' && m.port !== 0 && /^RTP\/AVP$/i.test(m.protocol);
}

function pickTelephoneEvent(codecs: readonly SdpCodec[]): SdpCodec | undefined {
  return codecs.find((c) => c.name === 'TELEPHONE-EVENT' && c.rate === 8000);
}

/**
 * Answer an SDP offer. Bad SDP is `{ ok: false, status: 400 }`; an SDP we cannot serve is 488
 * with a Warning text (RFC 3261 §20.43: 305 "Incompatible media format").
 */
export function answerOffer(offer: Buffer | string, local: LocalMedia, origin: LocalDescription): AnswerResult {
  const plan = planAnswer(offer, local);
  return plan.ok ? { ok: true, sdp: plan.render(local.port, origin), media: plan.media } : plan;
}

export type AnswerPlan =
  | {
      ok: true;
      media: NegotiatedMedia;
      /** The answer's SDP with our RTP port (known once the endpoint is open). */
      render(port: number, origin: LocalDescription): string;
    }
  | Extract<AnswerResult, { ok: false }>;

/**
 * The answer decided before our RTP port is known: a leg negotiates first (to refuse with 488
 * before opening anything), opens its endpoint with the chosen codec, then renders — one parse
 * and one write per call. `local.port` is not used.
 */
export function planAnswer(offer: Buffer | string, local: Omit<LocalMedia, 'port'> & { port?: number }): AnswerPlan {
  let session: SdpSession;
  try {
    session = parseSdp(offer);
  } catch (err) {
    const reason = err instanceof ParseError ? err.message : 'unparseable SDP';
    return { ok: false, status: 400, reason: `Bad SDP: ${reason}`, warning: reason };
  }
  let chosen: { index: number; codec: AudioCodec; pt: number; te: SdpCodec | undefined } | null = null;
  for (const m of session.media) {
    if (chosen || !isAudioRtp(m)) continue;
    for (const c of m.codecs) {
      const codec = AudioCodecs.find((a) => a === c.name && c.rate === 8000 && local.codecs.includes(a));
      if (codec) {
        chosen = { index: m.index, codec, pt: c.pt, te: local.telephoneEvent === false ? undefined : pickTelephoneEvent(m.codecs) };
        break;
      }
    }
  }
  if (!chosen) {
    const offered = session.media.map((m) => `${m.type} ${m.protocol} ${m.codecs.map((c) => c.name).join('/') || '-'}`).join('; ');
    return { ok: false, status: 488, reason: 'Not Acceptable Here', warning: `no common audio codec (offered: ${offered}; we take ${local.codecs.join('/')})` };
  }
  const m = session.media[chosen.index]!;
  const direction = answerDirection(m.direction, local.direction ?? 'sendrecv');
  const accepted = chosen;
  const render = (port: number, origin: LocalDescription): string => {
    const media: WriteMedia[] = session.media.map((om) => {
      if (om.index !== accepted.index) return { type: om.type, port: 0, protocol: om.protocol, codecs: om.codecs.slice(0, 1), direction: 'inactive' };
      const codecs: WriteMedia['codecs'] = [
        { pt: accepted.pt, name: accepted.codec, rate: 8000 },
        ...(accepted.te ? [{ pt: accepted.te.pt, name: 'TELEPHONE-EVENT', rate: 8000, fmtp: '0-16' }] : []),
      ];
      return { type: 'audio', port, protocol: 'RTP/AVP', codecs, direction, ptime: PTIME_MS };
    });
    return origin.describe(local.address, media);
  };
  const hold = isHoldAddress(m.address);
  return {
    ok: true,
    render,
    media: {
      codec: chosen.codec,
      pt: chosen.pt,
      telephoneEventPt: chosen.te?.pt ?? null,
      remote: m.address && !hold ? { address: m.address, port: m.port } : null,
      direction,
      heldByPeer: hold || m.direction === 'sendonly' || m.direction === 'inactive',
      ptime: PTIME_MS,
    },
  };
}

/** An offer we sent, kept to read the answer against. */
export interface PendingOffer {
  sdp: string;
  codecs: readonly AudioCodec[];
  telephoneEventPt: number | null;
  direction: Direction;
}

export function createOffer(local: LocalMedia, origin: LocalDescription): PendingOffer {
  const te = local.telephoneEvent === false ? null : DEFAULT_TELEPHONE_EVENT_PT;
  const direction = local.direction ?? 'sendrecv';
  const codecs: WriteMedia['codecs'] = [
    ...local.codecs.map((c) => ({ pt: STATIC_PT[c], name: c, rate: 8000 })),
    ...(te === null ? [] : [{ pt: te, name: 'TELEPHONE-EVENT', rate: 8000, fmtp: '0-16' }]),
  ];
  const sdp = origin.describe(local.address, [{ type: 'audio', port: local.port, protocol: 'RTP/AVP', codecs, direction, ptime: PTIME_MS }]);
  return { sdp, codecs: local.codecs, telephoneEventPt: te, direction };
}

export type ApplyResult = { ok: true; media: NegotiatedMedia } | { ok: false; reason: string };

/** Read the answer to our offer (RFC 3264 §7): same m-line count, a codec we offered, not rejected. */
export function applyAnswer(offer: PendingOffer, answer: Buffer | string): ApplyResult {
  let session: SdpSession;
  try {
    session = parseSdp(answer);
  } catch (err) {
    return { ok: false, reason: err instanceof ParseError ? `bad SDP answer: ${err.message}` : 'bad SDP answer' };
  }
  if (session.media.length !== 1) return { ok: false, reason: `answer has ${session.media.length} m-lines for our 1` };
  const m = session.media[0]!;
  if (m.port === 0) return { ok: false, reason: 'the audio stream was rejected (port 0)' };
  const c = m.codecs.find((x) => (offer.codecs as readonly string[]).includes(x.name) && x.rate === 8000);
  if (!c) return { ok: false, reason: `answer picked no codec we offered (${m.codecs.map((x) => x.name).join('/') || '-'})` };
  const te = offer.telephoneEventPt === null ? undefined : pickTelephoneEvent(m.codecs);
  const hold = isHoldAddress(m.address);
  return {
    ok: true,
    media: {
      codec: c.name as AudioCodec,
      pt: c.pt,
      telephoneEventPt: te?.pt ?? null,
      remote: m.address && !hold ? { address: m.address, port: m.port } : null,
      direction: answerDirection(m.direction, offer.direction),
      heldByPeer: hold || m.direction === 'sendonly' || m.direction === 'inactive',
      ptime: PTIME_MS,
    },
  };
}

/**
 * Our o= line across a dialog's offers and answers (RFC 3264 §8, §5: "The <sess-version> ...
 * MUST be incremented by one from the previous SDP" when it changes; RFC 3264 §8: "if the SDP
 * is identical to the previous one, the version MUST remain the same").
 */
export class LocalDescription {
  readonly sessionId: string;
  private version: number;
  private last: string | null = null;

  constructor(sessionId: string = String(randomInt(1, 2 ** 31)), version = 1) {
    this.sessionId = sessionId;
    this.version = version;
  }

  get sessionVersion(): number {
    return this.version;
  }

  describe(address: string, media: readonly WriteMedia[]): string {
    const body = JSON.stringify({ address, media });
    if (this.last !== null && this.last !== body) this.version++;
    this.last = body;
    return writeSdp({ sessionId: this.sessionId, sessionVersion: this.version, address, media });
  }
}
