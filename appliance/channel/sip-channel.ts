/**
 * A Channel (channel.ts) on a SIP INVITE session (sip/dialog/session.ts) with its audio on a
 * media-engine RTP endpoint: the appliance terminates RTP on every leg (DESIGN.md "Call
 * model"), so bridging, recording and prompts never need a re-INVITE.
 *
 *  - Offer/answer with sdp/ (RFC 3264): an inbound offer picks the codec the endpoint is created
 *    with; an outbound leg offers the codec(s) call control asks for. A re-offer (hold, unhold,
 *    new address) keeps the leg's codec and moves the RTP destination.
 *  - Levels: setup → alerting (180) / early-media (183 + SDP) → connected (2xx) → terminated.
 *  - Causes: a final SIP status ends the leg with the Q.850 cause of RFC 3398 (sip-causes.ts);
 *    an RFC 3326 Reason header wins when the peer sent one; our hangup(cause) rejects with the
 *    RFC 3398 status, or sends BYE carrying the cause.
 *  - DTMF: RFC 4733 events from the engine, and SIP INFO (application/dtmf-relay
 *    `Signal=5`, application/dtmf `5`). A digit interrupts a barge-in playback.
 *  - Hold from the phone (RFC 3264 §8.4: a re-offer with a=sendonly or a=inactive) is answered
 *    recvonly / inactive and reported through `onHold`; call control decides what the other
 *    parties hear (calls/call.ts: the held leg leaves the media bridge until it is resumed).
 *  - `moveMedia` re-anchors the leg on another media worker with a re-INVITE (a transfer joins
 *    legs of two calls whose endpoints may sit on different workers).
 *  - The leg's RTP statistics (MOS, loss, jitter) are kept for the CDR once the endpoint closes.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.js';
import { ConflictError, toAppError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { MediaEngine, Playback, RtpEndpoint } from '../media/engine/media-engine.js';
import type { LegStats } from '../media/engine/protocol.js';
import type { TonePlan } from '../media/tones/tone-plan.js';
import {
  answerOffer,
  planAnswer,
  applyAnswer,
  createOffer,
  LocalDescription,
  type AudioCodec,
  type NegotiatedMedia,
  type PendingOffer,
} from '../sdp/index.js';
import type { ClientAuth, InviteSession, OfferReply, EndInfo } from '../sip/dialog/session.js';
import type { NextHop } from '../sip/dialog/dialog.js';
import type { NameAddr, SipResponse, Uri } from '../sip/message/index.js';
import type { UserAgent } from '../sip/ua/user-agent.js';
import type {
  CallLevel,
  Channel,
  ChannelDirection,
  ChannelEvents,
  ChannelMedia,
  Digit,
  HangupInfo,
  PartyNumber,
  PlayItem,
  PlayResult,
} from './channel.js';
import { Digits } from './channel.js';
import { awaitPlayback, mediaSourceOf } from './playback.js';
import { HangupCauses, type HangupCause } from './q850.js';
import { causeForSipStatus, sipStatusForCause } from './sip-causes.js';
import { checkLevel } from './tdm/levels.js';
import type { MediaSource, PromptResolver } from './tdm/ports.js';

/** The reason of every channel's `ended` signal: an AbortError, as abort() with no reason gives. */
const HUNG_UP = new DOMException('the channel hung up', 'AbortError');

export interface SipChannelDeps {
  clock: Clock;
  log: Logger;
  engine: Pick<MediaEngine, 'createRtpEndpoint' | 'play'> & Partial<Pick<MediaEngine, 'setInbandDtmf'>>;
  prompts: PromptResolver;
  /** Address written into our SDP (the media engine's bind address as peers reach it). */
  mediaAddress: string;
  /** Codecs we take, in preference order. */
  codecs: readonly AudioCodec[];
  tonePlan?: TonePlan;
  /** RTP silence that ends a leg (ms, 0 = never; default 30 s). */
  rtpTimeoutMs?: number;
}

const DIGITS = new Set<string>(Digits);
/** RFC 3398 / Q.850 cause 102 "recovery on timer expiry" (RTP timeout, no ACK). */
const RECOVERY_ON_TIMER_EXPIRY = 102;

export class SipChannel implements Channel {
  readonly id: string;
  readonly tech = 'sip' as const;
  readonly direction: ChannelDirection;
  readonly caller: PartyNumber;
  readonly called: PartyNumber;
  readonly media: ChannelMedia;
  readonly session: InviteSession;
  /** The leg's RTP endpoint, once offer/answer gave it a codec. */
  rtp: RtpEndpoint | null = null;
  negotiated: NegotiatedMedia | null = null;
  hangupInfo: HangupInfo | null = null;
  /** RTP statistics of the leg, set when its endpoint closed (for the CDR). */
  stats: LegStats | null = null;
  /** Resolves once the endpoint is closed and `stats` is set (or there was no endpoint). */
  readonly closed: Promise<LegStats | null>;
  /** Wall-clock ms of the answer (connected), for the CDR. */
  answeredAt: number | null = null;
  readonly createdAt: number;

  private current: CallLevel = 'setup';
  private readonly emitter = new EventEmitter();
  private readonly abort = new AbortController();
  private readonly deps: SipChannelDeps;
  private logger: Logger | null = null;

  /** Made on first use (a pino child per leg is not free at hundreds of calls a second). */
  private get log(): Logger {
    return (this.logger ??= this.deps.log.child({ mod: 'channel.sip', channelId: this.id, sipCallId: this.session.callId }));
  }
  private origin = new LocalDescription();
  private readonly holdListeners = new Set<(held: boolean) => void>();
  private held = false;
  private answerSdp: string | null = null;
  private offer: PendingOffer | null = null;
  private interruptPlay: ((d: Digit) => void) | null = null;
  private resolveClosed!: (s: LegStats | null) => void;
  private affinity: string;

  private constructor(o: { id: string; direction: ChannelDirection; caller: PartyNumber; called: PartyNumber; session: InviteSession; affinity: string }, deps: SipChannelDeps) {
    this.id = o.id;
    this.direction = o.direction;
    this.caller = o.caller;
    this.called = o.called;
    this.session = o.session;
    this.affinity = o.affinity;
    this.deps = deps;
    this.createdAt = deps.clock.now();
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.media = { play: (items, opts) => this.play(items, opts), sendDtmf: (d) => this.sendDtmf(d) };
    o.session.on('ended', (e) => this.onEnded(e));
    o.session.on('info', (i) => this.onInfo(i.contentType, i.body));
    o.session.onOffer = (sdp) => this.onReoffer(sdp);
  }

  /** An inbound leg for a new INVITE. Call `prepare()` before anything else. */
  static inbound(session: InviteSession, o: { id: string; caller: PartyNumber; called: PartyNumber; affinity: string }, deps: SipChannelDeps): SipChannel {
    return new SipChannel({ ...o, direction: 'inbound', session }, deps);
  }

  /**
   * An outbound leg: opens the RTP endpoint, sends the INVITE with our offer. `codecs` narrows
   * the offer (the endpoint's codec is fixed at creation, so one codec is offered).
   */
  static async outbound(
    ua: UserAgent,
    o: { id: string; caller: PartyNumber; called: PartyNumber; affinity: string; requestUri: Uri; from: NameAddr; to: NameAddr; hop: NextHop; codec?: AudioCodec; headers?: ReadonlyArray<[string, string]>; auth?: ClientAuth },
    deps: SipChannelDeps,
  ): Promise<SipChannel> {
    const codec = o.codec ?? deps.codecs[0] ?? 'PCMA';
    const rtp = await deps.engine.createRtpEndpoint({ codec, affinity: o.affinity, rtpTimeoutMs: deps.rtpTimeoutMs ?? 30_000 });
    const origin = new LocalDescription();
    const offer = createOffer({ address: deps.mediaAddress, port: rtp.localPort, codecs: [codec] }, origin);
    const session = ua.invite({ requestUri: o.requestUri, from: o.from, to: o.to, hop: o.hop, sdp: offer.sdp, ...(o.headers ? { headers: o.headers } : {}), ...(o.auth ? { auth: o.auth } : {}) });
    const ch = new SipChannel({ id: o.id, direction: 'outbound', caller: o.caller, called: o.called, session, affinity: o.affinity }, deps);
    ch.offer = offer;
    // RFC 3264 §8: later offers from this leg keep the o= line's session id and bump its version.
    ch.origin = origin;
    ch.attachRtp(rtp);
    session.on('provisional', (res) => ch.onProvisional(res));
    session.on('answered', (res) => ch.onAnswered(res));
    return ch;
  }

  get level(): CallLevel {
    return this.current;
  }

  get ended(): AbortSignal {
    return this.abort.signal;
  }

  /** Whether the phone has put this leg on hold (its last offer was sendonly or inactive). */
  get heldByPeer(): boolean {
    return this.held;
  }

  /** Hear hold / resume from the phone; returns the unsubscribe function. */
  onHold(fn: (held: boolean) => void): () => void {
    this.holdListeners.add(fn);
    return () => this.holdListeners.delete(fn);
  }

  /**
   * Re-anchor the leg's audio on the media worker of `affinity`: a new RTP endpoint there, a
   * re-INVITE offering it (same codec, RFC 3264 §8.3.1 "change the transport address"), the
   * answer's address applied, the old endpoint closed. False (and nothing changed) when the
   * peer refuses or the leg has no media.
   */
  async moveMedia(affinity: string): Promise<boolean> {
    const old = this.rtp;
    const codec = this.negotiated?.codec;
    if (!old || !codec || this.current !== 'connected') return false;
    const rtp = await this.deps.engine.createRtpEndpoint({
      codec,
      ...(this.negotiated?.remote ? { remote: this.negotiated.remote } : {}),
      telephoneEventPt: this.negotiated?.telephoneEventPt ?? 101,
      affinity,
      rtpTimeoutMs: this.deps.rtpTimeoutMs ?? 30_000,
    });
    const offer = createOffer({ address: this.deps.mediaAddress, port: rtp.localPort, codecs: [codec] }, this.origin);
    const answer = await this.session.reinvite(offer.sdp);
    const applied = answer ? applyAnswer(offer, answer) : null;
    if (!applied?.ok || this.abort.signal.aborted) {
      await rtp.close().catch(() => undefined);
      return false;
    }
    this.negotiated = applied.media;
    if (applied.media.remote) await rtp.setRemote(applied.media.remote);
    this.affinity = affinity;
    this.rtp = rtp;
    this.attachRtp(rtp);
    await old.close().catch((err: unknown) => this.log.warn({ err: toAppError(err).message }, 'old rtp close failed'));
    return true;
  }

  on<E extends keyof ChannelEvents>(event: E, fn: ChannelEvents[E]): this {
    this.emitter.on(event, fn);
    return this;
  }

  off<E extends keyof ChannelEvents>(event: E, fn: ChannelEvents[E]): this {
    this.emitter.off(event, fn);
    return this;
  }

  /**
   * Inbound: read the offer, open the RTP endpoint with the chosen codec and prepare the answer.
   * An offer we cannot serve is rejected here (488 with a Warning, or 400 for bad SDP) and the
   * leg ends; the result says so.
   */
  async prepare(): Promise<{ ok: true } | { ok: false; status: number; reason: string }> {
    const offer = this.session.remoteSdp;
    if (!offer) return this.prepareLateOffer();
    const probe = planAnswer(offer, { address: this.deps.mediaAddress, codecs: this.deps.codecs });
    if (!probe.ok) {
      this.session.reject(probe.status, probe.reason, [['Warning', `${probe.status === 488 ? 305 : 399} - "${probe.warning.replace(/"/g, "'")}"`]]);
      return { ok: false, status: probe.status, reason: probe.warning };
    }
    let rtp: RtpEndpoint;
    try {
      rtp = await this.deps.engine.createRtpEndpoint({
        codec: probe.media.codec,
        ...(probe.media.remote ? { remote: probe.media.remote } : {}),
        telephoneEventPt: probe.media.telephoneEventPt ?? 101,
        affinity: this.affinity,
        rtpTimeoutMs: this.deps.rtpTimeoutMs ?? 30_000,
        // A peer that did not negotiate telephone-event sends its keys as tones (see inbandUnlessTelephoneEvent).
        inbandDtmf: probe.media.telephoneEventPt === null,
      });
    } catch (err) {
      this.log.error({ err: toAppError(err).message }, 'rtp endpoint failed');
      this.session.reject(503);
      return { ok: false, status: 503, reason: 'no media resources' };
    }
    if (this.session.ended) {
      void rtp.close().catch(() => undefined);
      return { ok: false, status: 487, reason: 'cancelled' };
    }
    this.attachRtp(rtp);
    this.negotiated = probe.media;
    this.answerSdp = probe.render(rtp.localPort, this.origin);
    return { ok: true };
  }

  /**
   * Late offer, RFC 3261 §13.2.1: "If the initial offer is in an INVITE, the answer MUST be in a
   * reliable non-failure message from UAS back to UAC ... If the initial offer is in the first
   * reliable non-failure message from the UAS back to UAC, the answer MUST be in the
   * acknowledgement for that message". Our offer (the first codec we take, telephone-event)
   * goes in the 200 and never in a 183 (unreliable); the ACK's answer sets the RTP destination.
   * An ACK without a usable answer ends the leg (§13.3.1.4: the UAS "SHOULD" BYE it), cause 65.
   */
  private async prepareLateOffer(): Promise<{ ok: true } | { ok: false; status: number; reason: string }> {
    const codec = this.deps.codecs[0] ?? 'PCMA';
    let rtp: RtpEndpoint;
    try {
      rtp = await this.deps.engine.createRtpEndpoint({ codec, affinity: this.affinity, rtpTimeoutMs: this.deps.rtpTimeoutMs ?? 30_000 });
    } catch (err) {
      this.log.error({ err: toAppError(err).message }, 'rtp endpoint failed');
      this.session.reject(503);
      return { ok: false, status: 503, reason: 'no media resources' };
    }
    if (this.session.ended) {
      void rtp.close().catch(() => undefined);
      return { ok: false, status: 487, reason: 'cancelled' };
    }
    this.attachRtp(rtp);
    const offer = createOffer({ address: this.deps.mediaAddress, port: rtp.localPort, codecs: [codec] }, this.origin);
    this.offer = offer;
    this.lateOffer = true;
    this.answerSdp = offer.sdp;
    this.session.on('confirmed', (ack) => {
      if (ack.body.length > 0 && this.useAnswer(ack.body)) return;
      this.log.warn({ hasBody: ack.body.length > 0 }, 'late offer: no usable answer in the ACK: hanging up');
      void this.hangup(HangupCauses.BEARERCAPABILITY_NOTIMPL);
    });
    return { ok: true };
  }

  private lateOffer = false;

  // ---- verbs ----

  async alerting(): Promise<void> {
    if (this.direction !== 'inbound') return;
    if (this.move('alerting')) this.session.progress(180);
  }

  /** Early media: 183 with our answer; prompts can play before the answer. */
  async progress(): Promise<void> {
    if (this.direction !== 'inbound' || !this.answerSdp) return;
    // A late offer's SDP is an offer: never in an unreliable 183 (§13.2.1); ringing instead.
    if (this.lateOffer) return this.alerting();
    if (this.move('early-media')) this.session.progress(183, this.answerSdp);
  }

  async answer(): Promise<void> {
    if (this.direction !== 'inbound') throw new ConflictError(`channel ${this.id}: only an inbound leg is answered`);
    if (!this.answerSdp) throw new ConflictError(`channel ${this.id}: prepare() first`);
    if (this.current === 'terminated') throw new ConflictError(`channel ${this.id} already terminated`);
    if (this.move('connected')) {
      this.answeredAt = this.deps.clock.now();
      this.session.accept(this.answerSdp);
    }
  }

  async hangup(cause: HangupCause | number = HangupCauses.NORMAL_CLEARING): Promise<void> {
    if (this.current === 'terminated') return;
    this.session.hangup({ cause, status: sipStatusForCause(cause) });
    // An outbound leg being cancelled ends when the 487 arrives; everything else ends now.
    if (this.session.ended) this.terminate(cause, 'local');
    else if (this.direction === 'outbound' && !this.session.isAnswered) {
      const guard = this.deps.clock.setTimeout(() => this.terminate(cause, 'local'), 32_000);
      this.abort.signal.addEventListener('abort', () => guard.cancel(), { once: true });
      this.pendingLocalCause = cause;
    } else this.terminate(cause, 'local');
  }

  private pendingLocalCause: number | null = null;

  // ---- session events ----

  private onProvisional(res: SipResponse): void {
    try {
      if (res.status === 180 || res.status === 181 || res.status === 182) this.move('alerting');
      else if (res.status === 183 && res.body.length > 0) {
        if (this.useAnswer(res.body)) this.move('early-media');
      }
    } catch (err) {
      this.log.debug({ err: toAppError(err).message, status: res.status }, 'provisional ignored');
    }
  }

  private onAnswered(res: SipResponse): void {
    if (this.current === 'terminated') return;
    if (res.body.length > 0 && !this.useAnswer(res.body)) {
      this.log.warn({}, 'unusable SDP answer: hanging up');
      void this.hangup(HangupCauses.BEARERCAPABILITY_NOTIMPL);
      return;
    }
    if (this.move('connected')) this.answeredAt = this.deps.clock.now();
  }

  private useAnswer(body: Buffer): boolean {
    if (!this.offer) return false;
    const r = applyAnswer(this.offer, body);
    if (!r.ok) {
      this.log.warn({ reason: r.reason }, 'SDP answer rejected');
      return false;
    }
    this.negotiated = r.media;
    if (r.media.remote && this.rtp) void this.rtp.setRemote(r.media.remote).catch(() => undefined);
    if (this.rtp) this.inbandUnlessTelephoneEvent(this.rtp, r.media.telephoneEventPt);
    return true;
  }

  /**
   * A peer that did not negotiate telephone-event (RFC 4733 §7.1.1) sends its keys as tones:
   * the engine searches the leg's audio for them (Q.24, media/dtmf/inband.ts); they arrive as
   * the same `dtmf` events.
   */
  private inbandUnlessTelephoneEvent(rtp: RtpEndpoint, telephoneEventPt: number | null): void {
    if (telephoneEventPt !== null || !this.deps.engine.setInbandDtmf) return;
    this.deps.engine.setInbandDtmf(rtp, true).catch((err: unknown) => this.log.warn({ err: toAppError(err).message }, 'in-band DTMF detection not available'));
  }

  /** re-INVITE / UPDATE offer: keep our codec, follow the peer's address and direction (hold). */
  private onReoffer(sdp: Buffer): OfferReply {
    const current = this.negotiated?.codec ?? this.deps.codecs[0] ?? 'PCMA';
    const port = this.rtp?.localPort ?? 9;
    if (sdp.length === 0) {
      // An offerless re-INVITE: our current description is the offer (kept simple: same as our last answer).
      return this.answerSdp ? { ok: true, sdp: this.answerSdp } : { ok: false, status: 488 };
    }
    const r = answerOffer(sdp, { address: this.deps.mediaAddress, port, codecs: [current] }, this.origin);
    if (!r.ok) return { ok: false, status: r.status, reason: r.reason, warning: r.warning };
    this.log.info({ direction: r.media.direction, held: r.media.heldByPeer }, 're-offer answered');
    this.negotiated = r.media;
    this.answerSdp = r.sdp;
    if (r.media.remote && this.rtp) void this.rtp.setRemote(r.media.remote).catch(() => undefined);
    if (r.media.heldByPeer !== this.held) {
      this.held = r.media.heldByPeer;
      for (const fn of [...this.holdListeners]) {
        try {
          fn(this.held);
        } catch (err) {
          this.log.error({ err: toAppError(err).message }, 'hold listener failed');
        }
      }
    }
    return { ok: true, sdp: r.sdp };
  }

  private onInfo(contentType: string, body: Buffer): void {
    const text = body.toString('utf8');
    let d: string | undefined;
    if (contentType === 'application/dtmf-relay') d = /^\s*Signal\s*=\s*(\S)/im.exec(text)?.[1];
    else if (contentType === 'application/dtmf') d = text.trim().charAt(0);
    if (d) this.onDigit(d === '10' ? '*' : d === '11' ? '#' : d);
  }

  private onEnded(e: EndInfo): void {
    if (this.current === 'terminated') return;
    const cause = e.by === 'local' && this.pendingLocalCause !== null ? this.pendingLocalCause : (e.cause ?? (e.status ? causeForSipStatus(e.status) : HangupCauses.NORMAL_CLEARING));
    this.terminate(cause, this.pendingLocalCause !== null ? 'local' : e.by);
  }

  // ---- media ----

  private attachRtp(rtp: RtpEndpoint): void {
    this.rtp = rtp;
    rtp.on('dtmf', (e) => this.onDigit(e.digit));
    rtp.on('timeout', (e) => {
      if (this.negotiated?.heldByPeer) return;
      this.log.warn({ silentMs: e.silentMs }, 'no RTP: hanging up');
      void this.hangup(RECOVERY_ON_TIMER_EXPIRY);
    });
    // The media worker holding the leg died (media-engine.ts onWorkerCrash): end the call now.
    rtp.on('failed', (e) => {
      this.log.error({ reason: e.reason }, 'media lost: hanging up');
      void this.hangup(HangupCauses.TEMPORARY_FAILURE);
    });
  }

  private async play(items: readonly PlayItem[], opts: { bargeIn?: boolean; signal?: AbortSignal } = {}): Promise<PlayResult> {
    for (const item of items) {
      if (this.current === 'terminated' || !this.rtp) return { outcome: 'hungup' };
      if (opts.signal?.aborted) return { outcome: 'interrupted' };
      const source = mediaSourceOf(item, this.deps.prompts, this.deps.tonePlan);
      if ('error' in source) {
        this.log.warn({ reason: source.error }, 'play item skipped');
        return { outcome: 'failed' };
      }
      let pb: Playback;
      try {
        pb = await this.deps.engine.play(this.rtp, source);
      } catch (err) {
        this.log.warn({ err: toAppError(err).message }, 'play failed');
        return { outcome: this.abort.signal.aborted ? 'hungup' : 'failed' };
      }
      const result = await awaitPlayback(pb, item, {
        clock: this.deps.clock,
        ended: this.abort.signal,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.bargeIn ? { bargeIn: true } : {}),
        setBargeIn: (handler) => (this.interruptPlay = handler),
      });
      if (result) return result;
    }
    return { outcome: 'completed' };
  }

  private async sendDtmf(digits: string): Promise<void> {
    if (this.current === 'terminated' || !this.rtp) throw new ConflictError(`channel ${this.id} has no media`);
    const valid = [...digits.toUpperCase()].filter((d) => DIGITS.has(d)).join('');
    if (valid.length > 0) await this.rtp.sendDtmf(valid);
  }

  private onDigit(d: string): void {
    if (!DIGITS.has(d) || this.current === 'terminated') return;
    const digit = d as Digit;
    this.interruptPlay?.(digit);
    this.emitter.emit('dtmf', digit);
  }

  // ---- levels ----

  private move(to: CallLevel): boolean {
    if (this.current === 'terminated') return false;
    if (!checkLevel(`sip channel ${this.id}`, this.current, to)) return false;
    this.current = to;
    this.emitter.emit('level', to);
    return true;
  }

  private terminate(cause: number, by: 'local' | 'remote'): void {
    if (this.current === 'terminated') return;
    this.current = 'terminated';
    this.hangupInfo = { cause, by, at: this.deps.clock.now() };
    const rtp = this.rtp;
    if (rtp) {
      rtp.close().then(
        (s) => {
          this.stats = s;
          this.resolveClosed(s);
        },
        (err: unknown) => {
          this.log.warn({ err: toAppError(err).message }, 'rtp close failed');
          this.resolveClosed(null);
        },
      );
    } else this.resolveClosed(null);
    this.emitter.emit('level', 'terminated');
    this.emitter.emit('hangup', this.hangupInfo);
    // One shared AbortError: abort() without a reason builds a DOMException with a stack per call (1.5 % of sip-cps).
    this.abort.abort(HUNG_UP);
  }
}
