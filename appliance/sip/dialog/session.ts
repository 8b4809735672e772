/**
 * An INVITE session: the dialog(s) one INVITE creates and everything that happens in them,
 * RFC 3261 §13 (INVITE), §14 (re-INVITE), §15 (BYE), RFC 3311 (UPDATE), RFC 6086 (INFO),
 * RFC 4028 (session timers), RFC 3326 (Reason). One class for both roles:
 *
 *  UAS (`InviteSession.incoming`): 1xx with a To tag creates the early dialog (§12.1.1); the 2xx
 *  is retransmitted by us, not the transaction — §13.3.1.4: "The 2xx response is passed to the
 *  transport with an interval that starts at T1 seconds and doubles for each retransmission
 *  until it reaches T2 seconds ... The response retransmissions cease when an ACK request for the
 *  response is received" and "If the server retransmits the 2xx response for 64*T1 seconds
 *  without receiving an ACK, the dialog is confirmed, but the session SHOULD be terminated. This
 *  is accomplished with a BYE".
 *
 *  UAC (`InviteSession.outgoing`): §13.2.2.4 "The UAC core MUST generate an ACK request for each
 *  2xx received from the transaction layer"; a retransmitted 2xx gets the same ACK again. Forking
 *  basics: "If, after acknowledging any 2xx response to an INVITE, the UAC does not want to
 *  continue with that dialog, then the UAC MUST terminate the dialog by sending a BYE" — a 2xx
 *  from a second fork is ACKed and sent a BYE. §9.1 CANCEL before the answer.
 *
 *  In-dialog requests received: BYE (§15.1.2 → 200, ended), re-INVITE and UPDATE with an offer
 *  (answered by `onOffer`; §14.2 491 when our own INVITE is pending, 500 when theirs is),
 *  UPDATE/re-INVITE without a body as session refresh, INFO (emitted as is), and out-of-order
 *  CSeq → 500 (§12.2.2). A 481 or 408 to one of our in-dialog requests ends the dialog
 *  (§12.2.1.2: "If the response for a request within a dialog is a 481 ... or a 408 ... the UAC
 *  SHOULD terminate the dialog").
 */
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { TransactionError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { Contact, Headers, isSipUri, SipRequest, SipResponse, Via, type NameAddr, type Uri } from '../message/index.js';
import {
  newBranch,
  newTag,
  type ClientTransactionUser,
  type InviteClientTransaction,
  type InviteServerTransaction,
  type ServerTransactionAny,
  type TransactionLayer,
} from '../transaction/index.js';
import { responseDestination, viaTransport, type Source, type TransportProtocol } from '../transport/index.js';
import { Dialog, responseDialogKey, type DialogId, type NextHop } from './dialog.js';
import { uacFlow, uasFlow } from './nat.js';
import { parseReferTo, sipfrag, type ReferRequest } from './refer.js';
import { expiryMs, formatSessionExpires, parseSessionExpires, uasSessionTimer, type Negotiated, type SessionTimerConfig } from './session-timer.js';

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, REFER';

/** Where the UA keeps dialogs so in-dialog requests find their session (sip/ua/dialog-table.ts). */
export interface DialogRegistry {
  add(dialog: Dialog, session: InviteSession): void;
  remove(dialog: Dialog): void;
  /**
   * The session is over and owes nothing more (no 2xx awaiting its ACK): keep only the dialog's
   * identity, answering a BYE that crossed ours with 200 (§15.1.2) and anything else with 481,
   * until `remove`. The session itself (requests, transactions, the call above it) is then
   * garbage at once instead of 64*T1 later.
   */
  retire(dialog: Dialog, peerHosts: readonly string[]): void;
}

export interface SessionDeps {
  clock: Clock;
  layer: TransactionLayer;
  registry: DialogRegistry;
  log: Logger;
  t1: number;
  t2: number;
  /** Supported option tags we add (timer). */
  sessionTimer?: SessionTimerConfig;
}

/**
 * Answers a 401/407 to a request we sent (RFC 3261 §22.2: "the client SHOULD retry the request,
 * this time including its credentials"). `authorize` gets the challenge and the request about to
 * be re-sent (its CSeq already bumped) and returns the credentials header, or null when it has
 * none for that realm. sip/trunks gives one per trunk (client-digest.ts).
 */
export interface ClientAuth {
  authorize(challenge: SipResponse, request: SipRequest): [name: 'Authorization' | 'Proxy-Authorization', value: string] | null;
}

/** The answer to an SDP offer in a re-INVITE / UPDATE / ACK. */
export type OfferReply = { ok: true; sdp: string } | { ok: false; status: number; reason?: string; warning?: string };

export interface EndInfo {
  by: 'local' | 'remote';
  /** SIP status that ended the session (final response to the INVITE), if any. */
  status?: number;
  /** Q.850 cause from an RFC 3326 Reason header, if the peer sent one. */
  cause?: number;
  reason: string;
}

export interface SessionEvents {
  provisional: [SipResponse];
  /** UAC: the 2xx arrived (and was ACKed). */
  answered: [SipResponse];
  /** UAS: the ACK for our 2xx arrived. */
  confirmed: [SipRequest];
  /** UAS: the caller cancelled before we answered. */
  cancelled: [];
  info: [{ contentType: string; body: Buffer }];
  /** A REFER (RFC 3515) answered 202, its first NOTIFY (100 Trying) sent; call control carries it out. */
  refer: [ReferRequest];
  /** The session is over (BYE, failure, cancel, no ACK…). Emitted once. */
  ended: [EndInfo];
}

const SDP = 'application/sdp';

export class InviteSession {
  readonly role: 'uas' | 'uac';
  /** The INVITE as last sent (UAC: the one carrying credentials after a challenge). */
  private currentInvite: SipRequest;
  /** The dialog that won (the first confirmed one); early dialogs are kept in `early`. */
  dialog: Dialog | null = null;
  /** Handler for offers inside the dialog (re-INVITE, UPDATE); set by the channel. */
  onOffer: ((sdp: Buffer, method: 'INVITE' | 'UPDATE') => OfferReply) | null = null;
  /** The SDP answer we gave or got for the initial INVITE. */
  remoteSdp: Buffer | null = null;
  private readonly deps: SessionDeps;
  private logger: Logger | null = null;
  private readonly emitter = new EventEmitter();
  private readonly early = new Map<string, Dialog>();
  private readonly localTag: string;
  private readonly localContact: Contact;
  private readonly protocol: TransportProtocol;
  private serverTx: InviteServerTransaction | null = null;
  private clientTx: InviteClientTransaction | null = null;
  private cancelRequested = false;
  private over = false;
  private answered = false;
  /** UAS 2xx retransmission until ACK, keyed by CSeq number. */
  private pending2xx: { seq: number; timer: TimerHandle | null; elapsed: number } | null = null;
  /** ACKs we sent for 2xx responses by dialog key (resent when the 2xx is retransmitted). */
  private readonly acks = new Map<string, SipRequest>();
  private ourInvitePending = false;
  private theirInvitePending = false;
  private timer: Negotiated | null = null;
  private timerHandle: TimerHandle | null = null;
  /** UAC: credentials for a challenge, the hop the INVITE goes to, and the challenges answered so far. */
  private auth: ClientAuth | null = null;
  private hop: NextHop | null = null;
  private challenges = 0;

  private constructor(role: 'uas' | 'uac', invite: SipRequest, deps: SessionDeps, localContact: Contact, protocol: TransportProtocol) {
    this.role = role;
    this.currentInvite = invite;
    this.deps = deps;
    this.localContact = localContact;
    this.protocol = protocol;
    this.localTag = role === 'uac' ? (invite.from()?.tag ?? newTag()) : newTag();
  }

  /** Made on first use: a pino child per session cost ~1 % of the main thread at 600 CPS, mostly for sessions that never log. */
  private get log(): Logger {
    return (this.logger ??= this.deps.log.child({ callId: this.callId, role: this.role }));
  }

  // ---------- construction ----------

  /** A new INVITE arrived (not in a dialog). The caller has already checked it (422, 488 are its business). */
  static incoming(invite: SipRequest, tx: InviteServerTransaction, deps: SessionDeps, localContact: Contact): InviteSession {
    const s = new InviteSession('uas', invite, deps, localContact, tx.transport.protocol);
    s.serverTx = tx;
    s.remoteSdp = invite.body.length > 0 ? invite.body : null;
    return s;
  }

  /** Send an INVITE out of any dialog. */
  static outgoing(
    deps: SessionDeps,
    o: { requestUri: Uri; from: NameAddr; to: NameAddr; contact: Contact; hop: NextHop; sdp: string; headers?: ReadonlyArray<[string, string]>; callId?: string; auth?: ClientAuth },
  ): InviteSession {
    const h = new Headers();
    h.append('Max-Forwards', 70);
    const from = o.from.clone();
    from.tag = newTag();
    h.appendTyped('from', from);
    h.appendTyped('to', o.to.clone());
    h.append('Call-ID', o.callId ?? `${newTag()}${newTag()}`);
    h.appendTyped('cseq', { seq: 1 + Math.floor(Math.random() * 10000), method: 'INVITE' });
    h.appendTyped('contact', o.contact.clone());
    h.append('Allow', ALLOW);
    if (deps.sessionTimer && !(o.headers ?? []).some(([k]) => k.toLowerCase() === 'session-expires')) {
      h.append('Supported', 'timer');
      h.append('Session-Expires', String(deps.sessionTimer.expires));
      h.append('Min-SE', String(deps.sessionTimer.minSE));
    }
    for (const [k, v] of o.headers ?? []) h.append(k, v);
    h.set('Content-Type', SDP);
    const invite = new SipRequest('INVITE', o.requestUri, h, Buffer.from(o.sdp));
    const s = new InviteSession('uac', invite, deps, o.contact, o.hop.protocol);
    s.ourInvitePending = true;
    s.auth = o.auth ?? null;
    s.hop = o.hop;
    s.addVia(invite, o.hop.protocol);
    try {
      s.clientTx = deps.layer.sendRequest(invite, o.hop, s.inviteUser()) as InviteClientTransaction;
    } catch (err) {
      deps.clock.setTimeout(() => s.end({ by: 'local', status: 503, reason: `INVITE not sent: ${(err as Error).message}` }), 0);
    }
    return s;
  }

  on<K extends keyof SessionEvents>(event: K, fn: (...args: SessionEvents[K]) => void): this {
    this.emitter.on(event, fn as (...a: unknown[]) => void);
    return this;
  }

  off<K extends keyof SessionEvents>(event: K, fn: (...args: SessionEvents[K]) => void): this {
    this.emitter.off(event, fn as (...a: unknown[]) => void);
    return this;
  }

  private emit<K extends keyof SessionEvents>(event: K, ...args: SessionEvents[K]): void {
    try {
      this.emitter.emit(event, ...args);
    } catch (err) {
      this.log.error({ err, event }, 'session listener failed');
    }
  }

  /** The INVITE that created the session (UAC: as last sent, with credentials after a challenge). */
  get invite(): SipRequest {
    return this.currentInvite;
  }

  /**
   * Whether an in-dialog request from `host` comes from the peer this session talks to
   * (RELIABILITY.md S10): the INVITE's source (UAS), the address we send to (UAC), the remote
   * target or the first Route. True when any of those is a name rather than an IP literal (a
   * name cannot be compared with a source address without DNS).
   */
  fromPeer(host: string): boolean {
    return isPeerHost(host, this.peerHosts());
  }

  /** Where the peer's requests may come from: the INVITE's source, our next hop, its target and first route. */
  private peerHosts(): string[] {
    const known: string[] = [];
    if (this.serverTx) known.push(this.serverTx.source.host);
    if (this.hop) known.push(this.hop.host);
    const d = this.dialog ?? [...this.early.values()][0] ?? null;
    if (d) {
      const target = d.remoteTarget;
      if (isSipUri(target)) known.push(target.host);
      const route = d.routeSet[0]?.uri;
      if (route && isSipUri(route)) known.push(route.host);
    }
    return known;
  }

  /**
   * The dialogs of this session as (Call-ID, local tag, remote tag): the confirmed one, else the
   * early ones. An RFC 3891 Replaces names one of them as its peer sees it (to-tag = local tag).
   */
  get dialogIds(): DialogId[] {
    return this.dialog ? [this.dialog.id] : [...this.early.values()].map((d) => d.id);
  }

  /** Where the INVITE came from (UAS). */
  get source(): Source | null {
    return this.serverTx?.source ?? null;
  }

  get callId(): string {
    return this.invite.callId() ?? '';
  }

  get ended(): boolean {
    return this.over;
  }

  get isAnswered(): boolean {
    return this.answered;
  }

  /** Negotiated session timer, if any (RFC 4028). */
  get sessionTimer(): Negotiated | null {
    return this.timer;
  }

  // ---------- UAS verbs ----------

  /** 180 Ringing / 183 Session Progress (with early-media SDP). Creates the early dialog (§12.1.1). */
  progress(status: 180 | 183 = 180, sdp?: string): void {
    const tx = this.serverTx;
    if (!tx || this.answered || this.over || tx.state !== 'proceeding') return;
    const res = this.uasResponse(tx, status, sdp);
    this.ensureUasDialog();
    tx.respond(res);
  }

  /** 200 OK with our SDP answer; retransmitted until the ACK (§13.3.1.4). */
  accept(sdp: string): void {
    const tx = this.serverTx;
    if (!tx || this.answered || this.over) return;
    if (tx.state !== 'proceeding') return;
    const res = this.uasResponse(tx, 200, sdp);
    const st = this.deps.sessionTimer ? uasSessionTimer(this.invite, this.deps.sessionTimer) : null;
    if (st && !('reject422' in st)) {
      this.timer = st;
      res.headers.append('Session-Expires', formatSessionExpires(st));
      if (st.refresher === 'uac') res.headers.append('Require', 'timer');
    }
    const dialog = this.ensureUasDialog();
    dialog.transition('confirmed');
    this.dialog = dialog;
    this.answered = true;
    tx.respond(res);
    this.start2xxRetransmit(res, this.invite.cseq()?.seq ?? 0, tx);
    this.armSessionTimer();
  }

  /** A final non-2xx answer to the INVITE (486, 480, 488, 603…). */
  reject(status: number, reason?: string, headers: ReadonlyArray<[string, string]> = []): void {
    const tx = this.serverTx;
    if (!tx || this.answered || this.over || tx.state !== 'proceeding') return;
    const res = tx.createResponse(status, reason);
    for (const [k, v] of headers) res.headers.append(k, v);
    tx.respond(res);
    this.end({ by: 'local', status, reason: reason ?? res.reason });
  }

  /** The caller sent CANCEL (the endpoint answers 200 and then 487). */
  cancelledByPeer(): void {
    if (this.answered || this.over) return;
    this.emit('cancelled');
    this.end({ by: 'remote', status: 487, reason: 'cancelled' });
  }

  // ---------- both roles ----------

  /**
   * End the session the right way for where it is: UAC before the answer → CANCEL (§9.1); UAS
   * before the answer → a final response (`status`, default 480); confirmed → BYE with an
   * RFC 3326 Reason carrying the Q.850 cause.
   */
  hangup(o: { cause?: number; status?: number } = {}): void {
    if (this.over) return;
    if (!this.answered) {
      if (this.role === 'uas') {
        this.reject(o.status ?? 480, undefined, o.cause ? [['Reason', reasonHeader(o.cause)]] : []);
        return;
      }
      this.cancelRequested = true;
      if (this.clientTx) this.deps.layer.cancel(this.clientTx, { onResponse: () => undefined, onError: () => undefined });
      // The INVITE's 487 (or a 2xx racing the CANCEL) ends it; a peer that never answers is ended by Timer B/C.
      return;
    }
    const dialog = this.dialog;
    this.end({ by: 'local', reason: 'hangup', ...(o.cause ? { cause: o.cause } : {}) });
    if (dialog) this.sendBye(dialog, o.cause);
  }

  /** Send a re-INVITE with a new offer (hold/unhold, codec change); resolves to the answer SDP or null on failure. */
  async reinvite(sdp: string): Promise<Buffer | null> {
    const dialog = this.dialog;
    if (!dialog || this.over) return null;
    if (this.ourInvitePending || this.theirInvitePending) return null;
    this.ourInvitePending = true;
    try {
      const req = dialog.createRequest('INVITE', { body: Buffer.from(sdp), contentType: SDP, headers: [['Allow', ALLOW]] });
      const res = await this.request(dialog, req);
      if (res.status >= 200 && res.status < 300) {
        this.sendAck(dialog, req.cseq()?.seq ?? dialog.localSeq);
        dialog.refreshTarget(res);
        this.rearmFromResponse(res);
        return res.body.length > 0 ? res.body : null;
      }
      return null;
    } finally {
      this.ourInvitePending = false;
    }
  }

  /** INFO in the dialog (RFC 6086), e.g. application/dtmf-relay. Resolves to the status. */
  async info(contentType: string, body: string): Promise<number> {
    const dialog = this.dialog;
    if (!dialog || this.over) return 481;
    const res = await this.request(dialog, dialog.createRequest('INFO', { body: Buffer.from(body), contentType }));
    return res.status;
  }

  // ---------- what the UA hands us ----------

  /** A request inside one of our dialogs (the UA matched it by dialog id). */
  receiveRequest(req: SipRequest, tx: ServerTransactionAny, dialog: Dialog): void {
    if (!dialog.acceptRemoteCSeq(req)) {
      respond(tx, 500, 'Out of order CSeq');
      return;
    }
    switch (req.method) {
      case 'BYE': {
        // §15.1.2: "the UAS core ... SHOULD terminate the session ... and MUST generate a 2xx response to the BYE".
        respond(tx, 200);
        const cause = parseReasonCause(req.headers.getAll('reason'));
        this.end({ by: 'remote', reason: 'BYE', ...(cause === null ? {} : { cause }) });
        return;
      }
      case 'INVITE':
        this.receiveReinvite(req, tx as InviteServerTransaction, dialog);
        return;
      case 'UPDATE':
        this.receiveUpdate(req, tx, dialog);
        return;
      case 'INFO': {
        respond(tx, 200);
        this.emit('info', { contentType: (req.contentType() ?? '').split(';')[0]!.trim().toLowerCase(), body: req.body });
        return;
      }
      case 'REFER':
        this.receiveRefer(req, tx, dialog);
        return;
      default:
        respond(tx, 405, undefined, [['Allow', ALLOW]]);
    }
  }

  /** An ACK for a 2xx we sent (initial or re-INVITE). */
  receiveAck(ack: SipRequest): void {
    const seq = ack.cseq()?.seq;
    const p = this.pending2xx;
    if (!p || seq !== p.seq) return;
    p.timer?.cancel();
    this.pending2xx = null;
    this.theirInvitePending = false;
    if (this.role === 'uas' && seq === this.invite.cseq()?.seq) this.emit('confirmed', ack);
  }

  /** The transaction layer gave up on our answer (transport error). */
  serverError(err: TransactionError): void {
    this.log.warn({ err: err.message }, 'server transaction failed');
  }

  // ---------- internals: UAS ----------

  private uasResponse(tx: InviteServerTransaction, status: number, sdp?: string): SipResponse {
    const res = tx.createResponse(status);
    // Our tag: the transaction picks the To tag; we adopt it so every response of the INVITE has the same one.
    res.headers.appendTyped('contact', this.localContact.clone());
    res.headers.append('Allow', ALLOW);
    if (this.deps.sessionTimer) res.headers.append('Supported', 'timer');
    if (sdp !== undefined) {
      res.headers.set('Content-Type', SDP);
      res.body = Buffer.from(sdp);
    }
    return res;
  }

  private ensureUasDialog(): Dialog {
    const tx = this.serverTx!;
    if (this.dialog) return this.dialog;
    const existing = [...this.early.values()][0];
    if (existing) return existing;
    const d = Dialog.asUas(this.invite, tx.toTag, this.localContact, this.protocol);
    // A phone behind NAT gets its BYE / re-INVITE / NOTIFY at the INVITE's source (nat.ts).
    d.flow = uasFlow(this.invite, tx.source, this.protocol);
    this.early.set(d.key, d);
    this.deps.registry.add(d, this);
    return d;
  }

  private start2xxRetransmit(res: SipResponse, seq: number, tx: InviteServerTransaction): void {
    const via = tx.request.topVia();
    if (!via) return;
    const dest = { ...responseDestination(via, tx.source), protocol: tx.transport.protocol };
    const { t1, t2 } = this.deps;
    this.pending2xx?.timer?.cancel();
    const p = { seq, timer: null as TimerHandle | null, elapsed: 0 };
    this.pending2xx = p;
    const schedule = (interval: number): void => {
      p.timer = this.deps.clock.setTimeout(() => {
        if (this.pending2xx !== p) return;
        p.elapsed += interval;
        if (p.elapsed >= 64 * t1) {
          this.pending2xx = null;
          this.log.warn({ seq }, 'no ACK for 2xx within 64*T1: ending with BYE');
          const dialog = this.dialog;
          this.end({ by: 'local', reason: 'no ACK for 2xx', status: 408 });
          if (dialog) this.sendBye(dialog, 102);
          return;
        }
        this.deps.layer.sendStateless(res, dest).catch(() => undefined);
        schedule(Math.min(interval * 2, t2));
      }, interval);
    };
    schedule(t1);
  }

  private receiveReinvite(req: SipRequest, tx: InviteServerTransaction, dialog: Dialog): void {
    // §14.2: "A UAS that receives an INVITE on a dialog while an INVITE it had sent on that dialog is in progress MUST return a 491 (Request Pending)"
    if (this.ourInvitePending) {
      respond(tx, 491);
      return;
    }
    // "A UAS that receives a second INVITE before it sends the final response to a first INVITE with a lower CSeq sequence number on the same dialog MUST return a 500 ... with a Retry-After header field"
    if (this.theirInvitePending) {
      respond(tx, 500, undefined, [['Retry-After', String(1 + Math.floor(Math.random() * 10))]]);
      return;
    }
    let sdp: string | undefined;
    if (req.body.length > 0) {
      const reply = this.onOffer?.(req.body, 'INVITE') ?? { ok: false as const, status: 488 };
      if (!reply.ok) {
        respond(tx, reply.status, reply.reason, reply.warning ? [['Warning', `305 - "${reply.warning.replace(/"/g, "'")}"`]] : []);
        return;
      }
      sdp = reply.sdp;
    } else if (this.onOffer) {
      // A re-INVITE without an offer asks us for one (§14.2); our current description is the offer.
      const reply = this.onOffer(Buffer.alloc(0), 'INVITE');
      if (reply.ok) sdp = reply.sdp;
    }
    dialog.refreshTarget(req);
    const res = tx.createResponse(200);
    res.headers.appendTyped('contact', this.localContact.clone());
    res.headers.append('Allow', ALLOW);
    this.refreshTimerFromRequest(req, res);
    if (sdp !== undefined) {
      res.headers.set('Content-Type', SDP);
      res.body = Buffer.from(sdp);
    }
    this.theirInvitePending = true;
    tx.respond(res);
    this.start2xxRetransmit(res, req.cseq()?.seq ?? 0, tx);
  }

  private receiveUpdate(req: SipRequest, tx: ServerTransactionAny, dialog: Dialog): void {
    let sdp: string | undefined;
    if (req.body.length > 0) {
      const reply = this.onOffer?.(req.body, 'UPDATE') ?? { ok: false as const, status: 488 };
      if (!reply.ok) {
        respond(tx, reply.status, reply.reason);
        return;
      }
      sdp = reply.sdp;
    }
    dialog.refreshTarget(req);
    const res = tx.createResponse(200);
    res.headers.appendTyped('contact', this.localContact.clone());
    this.refreshTimerFromRequest(req, res);
    if (sdp !== undefined) {
      res.headers.set('Content-Type', SDP);
      res.body = Buffer.from(sdp);
    }
    tx.respond(res);
  }

  /**
   * RFC 3515 §2.4.2: "A UA accepting a well-formed REFER request SHOULD request approval from the
   * user before proceeding" — approval is call control's listener; without one the REFER is
   * declined (603). Accepted: 202, then §2.4.5 "the notifier MUST send a NOTIFY ... immediately
   * ... [with] SIP/2.0 100 Trying" before the listener hears of it.
   */
  private receiveRefer(req: SipRequest, tx: ServerTransactionAny, dialog: Dialog): void {
    const parsed = parseReferTo(req);
    if (!parsed.ok) {
      respond(tx, parsed.status, parsed.reason);
      return;
    }
    if (this.over || this.emitter.listenerCount('refer') === 0) {
      respond(tx, 603, 'Declined');
      return;
    }
    const res = tx.createResponse(202, 'Accepted');
    res.headers.appendTyped('contact', this.localContact.clone());
    tx.respond(res);
    // §2.4.6: with several REFERs in a dialog "the NOTIFY MUST contain an id parameter [equal to] the CSeq sequence number of the REFER".
    const id = req.cseq()?.seq ?? 0;
    let finished = false;
    const notify = async (status: number, reason: string): Promise<number> => {
      if (finished) return 481;
      const final = status >= 200;
      finished = final;
      const n = dialog.createRequest('NOTIFY', {
        body: Buffer.from(sipfrag(status, reason)),
        contentType: 'message/sipfrag;version=2.0',
        headers: [
          ['Event', `refer;id=${id}`],
          // §2.4.7 / RFC 6665 §4.1.3: the final NOTIFY ends the implicit subscription.
          ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=60'],
        ],
      });
      const r = await this.request(dialog, n);
      return r.status;
    };
    void notify(100, 'Trying');
    this.emit('refer', {
      request: req,
      target: parsed.target,
      uri: parsed.uri,
      replaces: parsed.replaces,
      referredBy: req.headers.get('referred-by') ?? null,
      notify,
    });
  }

  // ---------- internals: UAC ----------

  private inviteUser(): ClientTransactionUser {
    return {
      onResponse: (res) => this.onInviteResponse(res),
      onError: (err) => {
        if (this.answered) return;
        this.end({ by: 'remote', status: 408, reason: err.message });
      },
    };
  }

  private onInviteResponse(res: SipResponse): void {
    const key = responseDialogKey(res);
    if (res.status < 200) {
      if (key && !this.early.has(key) && res.status > 100 && res.contactAddresses().length > 0) {
        const d = Dialog.asUac(this.invite, res, this.localContact, this.protocol);
        d.flow = this.hop ? uacFlow(this.invite.uri, this.hop, res) : null;
        this.early.set(d.key, d);
        this.deps.registry.add(d, this);
      }
      if (!this.over) this.emit('provisional', res);
      return;
    }
    if (res.status < 300) {
      if (!key) return;
      const ack = this.acks.get(key);
      if (ack) {
        // A retransmitted 2xx: §13.2.2.4 "the UAC core ... MUST ... pass [the ACK] to the transport layer" again.
        this.sendRequestStateless(ack, this.hopOf(key));
        return;
      }
      let d = this.early.get(key) ?? null;
      if (!d) {
        d = Dialog.asUac(this.invite, res, this.localContact, this.protocol);
        this.early.set(d.key, d);
        this.deps.registry.add(d, this);
      }
      d.refreshTarget(res);
      // Behind NAT the ACK and every later request go to where the INVITE went (nat.ts).
      d.flow = this.hop ? uacFlow(this.invite.uri, this.hop, res) : null;
      d.transition('confirmed');
      this.sendAck(d, this.invite.cseq()?.seq ?? d.localSeq);
      if (this.dialog || this.over || this.cancelRequested) {
        // A second fork answered, or we had given up: ACK and BYE it (§13.2.2.4).
        this.sendBye(d, 16);
        this.forget(d);
        if (!this.dialog && !this.over) this.end({ by: 'local', reason: 'cancelled', status: 487 });
        return;
      }
      this.dialog = d;
      this.answered = true;
      this.ourInvitePending = false;
      this.remoteSdp = res.body.length > 0 ? res.body : null;
      // Early dialogs of other forks are gone (§13.2.2.4: they "terminate" when the 2xx arrives).
      for (const other of this.early.values()) if (other !== d) this.forget(other);
      this.rearmFromResponse(res);
      this.emit('answered', res);
      return;
    }
    if ((res.status === 401 || res.status === 407) && this.retryWithCredentials(res)) return;
    this.ourInvitePending = false;
    this.end({ by: 'remote', status: res.status, reason: res.reason, ...causeOf(res) });
  }

  /**
   * RFC 3261 §22.2: "When a UAC resubmits a request with its credentials after receiving a 401
   * (Unauthorized) or 407 (Proxy Authentication Required) response, it MUST increment the CSeq
   * header field value as it would normally when sending an updated request" — same Call-ID,
   * From (and tag), To and body, a new transaction (new branch). The ACK for the 401/407 was sent
   * by the old transaction (§17.1.1.3). §8.1.3.5 / §22.2: a challenge to credentials we already
   * sent (not `stale`) means they are wrong; we stop there instead of looping.
   */
  private retryWithCredentials(res: SipResponse): boolean {
    if (!this.auth || !this.hop || this.over || this.cancelRequested || this.challenges >= 2) return false;
    const stale = /\bstale\s*=\s*"?true/i.test([...res.headers.getAll('www-authenticate'), ...res.headers.getAll('proxy-authenticate')].join(','));
    if (this.challenges > 0 && !stale) return false;
    const h = this.currentInvite.headers.clone();
    h.delete('via');
    h.delete('authorization');
    h.delete('proxy-authorization');
    const cseq = this.currentInvite.cseq();
    h.delete('cseq');
    h.appendTyped('cseq', { seq: (cseq?.seq ?? 0) + 1, method: 'INVITE' });
    const next = new SipRequest('INVITE', this.currentInvite.uri, h, this.currentInvite.body);
    const creds = this.auth.authorize(res, next);
    if (!creds) return false;
    next.headers.append(creds[0], creds[1]);
    this.challenges++;
    this.currentInvite = next;
    this.log.info({ status: res.status, attempt: this.challenges }, 'INVITE challenged: resending with credentials');
    this.addVia(next, this.hop.protocol);
    try {
      this.clientTx = this.deps.layer.sendRequest(next, this.hop, this.inviteUser()) as InviteClientTransaction;
    } catch {
      return false;
    }
    return true;
  }

  private hopOf(key: string): NextHop {
    const d = this.early.get(key) ?? this.dialog;
    return d?.nextHop() ?? { host: '127.0.0.1', port: 5060, protocol: this.protocol };
  }

  private sendAck(d: Dialog, seq: number): void {
    const ack = d.createRequest('ACK', { cseq: seq });
    this.acks.set(d.key, ack);
    this.sendRequestStateless(ack, d.nextHop());
  }

  /**
   * Our top Via (§8.1.1.7, with RFC 3581 rport). The sent-by is the transport's address unless
   * that is a wildcard (0.0.0.0, ::): then the host of our Contact, which the UA chose as the
   * address this peer reaches (sip/ua/advertise.ts).
   */
  private addVia(req: SipRequest, protocol: TransportProtocol): void {
    if (req.topVia()) return;
    const transport = this.deps.layer.transport(protocol);
    if (!transport) return;
    const local = transport.localAddress();
    const wildcard = local.host === '0.0.0.0' || local.host === '::' || local.host === '[::]';
    const host = wildcard && isSipUri(this.localContact.uri) ? this.localContact.uri.host : local.host;
    req.headers.prependTyped('via', new Via(viaTransport(protocol), host, local.port, new Map([['branch', newBranch()], ['rport', null]])));
  }

  private sendRequestStateless(req: SipRequest, hop: NextHop | null): void {
    if (!hop) return;
    const transport = this.deps.layer.transport(hop.protocol);
    if (!transport) return;
    this.addVia(req, hop.protocol);
    this.deps.layer.sendStateless(req, hop).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'stateless send failed'));
  }

  private sendBye(d: Dialog, cause?: number): void {
    const req = d.createRequest('BYE', { headers: cause ? [['Reason', reasonHeader(cause)]] : [] });
    this.request(d, req).catch(() => undefined);
  }

  /** Send a request in a dialog; resolves with its final response (408 on timeout). */
  private request(d: Dialog, req: SipRequest): Promise<SipResponse> {
    const hop = d.nextHop();
    return new Promise((resolve) => {
      const fail = (status: number, reason: string): void => {
        resolve(new SipResponse(status, reason));
      };
      if (!hop) {
        fail(503, 'no route to the remote target');
        return;
      }
      try {
        this.addVia(req, hop.protocol);
        this.deps.layer.sendRequest(req, hop, {
          onResponse: (res) => {
            if (res.status < 200) return;
            // §12.2.1.2: 481 / 408 terminate the dialog.
            if ((res.status === 481 || res.status === 408) && req.method !== 'BYE') this.end({ by: 'remote', status: res.status, reason: `${req.method} answered ${res.status}` });
            resolve(res);
          },
          onError: () => {
            if (req.method !== 'BYE') this.end({ by: 'remote', status: 408, reason: `${req.method} timed out` });
            fail(408, 'timeout');
          },
        });
      } catch (err) {
        fail(503, (err as Error).message);
      }
    });
  }

  // ---------- session timers (RFC 4028) ----------

  private rearmFromResponse(res: SipResponse): void {
    if (!this.deps.sessionTimer) return;
    const se = parseSessionExpires(res.headers.get('session-expires'));
    if (!se) return;
    this.timer = { expires: se.expires, refresher: se.refresher ?? 'uac' };
    this.armSessionTimer();
  }

  private refreshTimerFromRequest(req: SipRequest, res: SipResponse): void {
    if (!this.timer) return;
    const se = parseSessionExpires(req.headers.get('session-expires'));
    if (se && se.expires >= (this.deps.sessionTimer?.minSE ?? 90)) this.timer = { expires: se.expires, refresher: se.refresher ?? this.timer.refresher };
    res.headers.append('Session-Expires', formatSessionExpires(this.timer));
    this.armSessionTimer();
  }

  private weRefresh(): boolean {
    return this.timer !== null && this.timer.refresher === this.role;
  }

  private armSessionTimer(): void {
    this.timerHandle?.cancel();
    this.timerHandle = null;
    const t = this.timer;
    if (!t || this.over) return;
    if (this.weRefresh()) {
      // §10: "the refresher SHOULD send a refresh request ... at half the session expiration interval".
      this.timerHandle = this.deps.clock.setTimeout(() => void this.refresh(), (t.expires * 1000) / 2);
    } else {
      this.timerHandle = this.deps.clock.setTimeout(() => {
        this.log.warn({ expires: t.expires }, 'session expired without refresh: BYE');
        const dialog = this.dialog;
        this.end({ by: 'local', reason: 'session timer expired', status: 408 });
        if (dialog) this.sendBye(dialog, 102);
      }, expiryMs(t.expires));
    }
  }

  private async refresh(): Promise<void> {
    const d = this.dialog;
    const t = this.timer;
    if (!d || !t || this.over) return;
    const req = d.createRequest('UPDATE', { headers: [['Session-Expires', formatSessionExpires(t)], ['Supported', 'timer']] });
    const res = await this.request(d, req);
    if (res.status >= 200 && res.status < 300) {
      const se = parseSessionExpires(res.headers.get('session-expires'));
      if (se) this.timer = { expires: se.expires, refresher: se.refresher ?? t.refresher };
      this.armSessionTimer();
    } else if (!this.over) {
      this.log.warn({ status: res.status }, 'session refresh refused: BYE');
      this.end({ by: 'local', reason: 'session refresh failed', status: res.status });
      this.sendBye(d, 102);
    }
  }

  // ---------- ending ----------

  private forget(d: Dialog): void {
    if (d.state !== 'terminated') d.transition('terminated');
    this.early.delete(d.key);
    this.deps.registry.remove(d);
  }

  /**
   * Mark the session over and emit `ended` once. The dialog is retired to its identity, or — while
   * a 2xx awaits its ACK — the session stays registered; either is forgotten after 64*T1 (S7).
   */
  private end(info: EndInfo): void {
    if (this.over) return;
    this.over = true;
    this.timerHandle?.cancel();
    this.timerHandle = null;
    const keep = this.pending2xx;
    if (keep && info.reason !== 'hangup') {
      keep.timer?.cancel();
      this.pending2xx = null;
    }
    if (this.pending2xx === null && this.dialog) this.retire(this.dialog);
    else this.lingerThenForget();
    this.emit('ended', info);
    // What stays needs the dialog, not the call: drop the TU's hooks so the channel, the call and
    // their media are garbage at BYE rather than 64*T1 later (a 1000-CPS box holds 32 s of them).
    this.onOffer = null;
    this.emitter.removeAllListeners();
  }

  /**
   * Nothing owed: a retransmitted BYE is absorbed by its transaction, a 2xx retransmission reaches
   * us through the INVITE client transaction (Timer M); only the dialog's identity stays, so a
   * crossing BYE is answered 200 and anything else 481, until 64*T1.
   */
  private retire(dialog: Dialog): void {
    for (const d of [...this.early.values()]) if (d !== dialog) this.forget(d);
    if (dialog.state !== 'terminated') dialog.transition('terminated');
    this.deps.registry.retire(dialog, this.peerHosts());
    forgetLater(this.deps.clock, this.deps.registry, dialog, 64 * this.deps.t1);
  }

  /** A 2xx still awaits its ACK (or no dialog was confirmed): the session stays registered for 64*T1. */
  private lingerThenForget(): void {
    this.deps.clock.setTimeout(() => {
      this.pending2xx?.timer?.cancel();
      this.pending2xx = null;
      for (const d of [...this.early.values()]) this.forget(d);
      if (this.dialog) {
        if (this.dialog.state !== 'terminated') this.dialog.transition('terminated');
        this.deps.registry.remove(this.dialog);
      }
    }, 64 * this.deps.t1);
  }
}

/**
 * Whether `host` is one of the peer's hosts (a name among them — not an IP literal — matches
 * any source: we cannot tell which address it resolves to).
 */
export function isPeerHost(host: string, known: readonly string[]): boolean {
  const norm = (h: string): string => h.replace(/^\[|\]$/g, '').replace(/^::ffff:/i, '').toLowerCase();
  const want = norm(host);
  return known.some((k) => norm(k) === want || isIP(norm(k)) === 0);
}

/** Forget a retired dialog after 64*T1; a module function so the timer holds the dialog, not the session. */
function forgetLater(clock: Clock, registry: DialogRegistry, dialog: Dialog, ms: number): void {
  clock.setTimeout(() => registry.remove(dialog), ms);
}

function respond(tx: ServerTransactionAny, status: number, reason?: string, headers: ReadonlyArray<[string, string]> = []): void {
  const res = tx.createResponse(status, reason);
  for (const [k, v] of headers) res.headers.append(k, v);
  tx.respond(res);
}

/** RFC 3326: `Reason: Q.850;cause=16;text="..."`. */
export function reasonHeader(cause: number): string {
  return `Q.850;cause=${cause}`;
}

/** The Q.850 cause of RFC 3326 Reason values, or null. */
export function parseReasonCause(values: readonly string[]): number | null {
  for (const v of values) {
    const m = /^\s*Q\.850\s*;(?:.*;)?\s*cause\s*=\s*(\d{1,3})\b/i.exec(v);
    if (m) return Number(m[1]);
  }
  return null;
}

function causeOf(res: SipResponse): { cause?: number } {
  const c = parseReasonCause(res.headers.getAll('reason'));
  return c === null ? {} : { cause: c };
}
