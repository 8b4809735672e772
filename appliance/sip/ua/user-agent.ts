/**
 * The UA composition (RFC 3261 §8.2 dispatch after the endpoint's generic checks, §12.2.2
 * dialog matching): the RequestHandler the SipEndpoint hands requests to.
 *
 *   REGISTER                     → the registrar port (sip/registrar, another module), else 405
 *   request with a To tag        → the dialog it names (§12.2.2: "If the UAS ... does not match
 *                                  any existing dialogs, ... it MUST return a 481"); ACK for 2xx
 *                                  likewise, without an answer
 *   INVITE without a To tag      → 422 if its Session-Expires is below our Min-SE (RFC 4028
 *                                  §8.1), else a new InviteSession for the call handler
 *   BYE / UPDATE / INFO / REFER without a To tag → 481 (they only exist inside a dialog; a
 *                                  REFER in a dialog is the session's, RFC 3515 transfer)
 *   CANCEL                       → the endpoint answers it; the session hears `cancelledByPeer`
 *
 * Outgoing INVITEs start here too (`invite`), with a Contact naming our transport address.
 */
import type { Clock } from '../../core/clock.js';
import type { TransactionError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { Dialog, requestDialogKey, type NextHop } from '../dialog/dialog.js';
import { InviteSession, isPeerHost, type ClientAuth, type DialogRegistry, type SessionDeps } from '../dialog/session.js';
import { MIN_SE_FLOOR, parseSessionExpires, type SessionTimerConfig } from '../dialog/session-timer.js';
import { Contact, sipUri, type NameAddr, type SipRequest, type Uri } from '../message/index.js';
import type { InviteServerTransaction, ServerTransactionAny } from '../transaction/index.js';
import type { Source, TransportProtocol } from '../transport/index.js';
import { advertisedHost, type InterfaceTable } from './advertise.js';
import type { RequestHandler, SipEndpoint } from './endpoint.js';

/** What the registrar module gives the UA (sip/registrar implements it). */
export interface RegistrarPort {
  onRegister(req: SipRequest, tx: ServerTransactionAny, endpoint: SipEndpoint): void;
}

/** Who takes new calls (calls/call-handler.ts). */
export interface InviteHandler {
  onInvite(session: InviteSession, req: SipRequest, ua: UserAgent): void;
}

export interface UserAgentOptions {
  clock: Clock;
  log: Logger;
  t1: number;
  t2: number;
  invites: InviteHandler;
  registrar?: RegistrarPort;
  sessionTimer?: SessionTimerConfig;
  /** User part of our Contact (default "hotline"). */
  contactUser?: string;
  /** config.sip.advertisedAddress: the host written in Contact (else chosen per peer, advertise.ts). */
  advertisedAddress?: string | null;
  /** The interface table advertise.ts reads (tests). */
  interfaces?: () => InterfaceTable;
  /**
   * Who may send requests outside a dialog other than INVITE and REGISTER (RELIABILITY.md S10:
   * MESSAGE, REFER, SUBSCRIBE… are challenged, never answered unauthenticated): the same guard
   * as the call handler's (trunk ACL, else Digest). Without one they are answered as before.
   */
  guard?: { check(req: SipRequest, source: Source): { ok: true } | { ok: false; status: number; headers: ReadonlyArray<[string, string]> } };
}

/** Out-of-dialog methods the UA takes only to challenge them (S10); once authenticated they get `OUT_OF_DIALOG_STATUS`. */
const CHALLENGED_ONLY = ['MESSAGE', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'PRACK'] as const;

/** Body types the UA takes: SDP, and INFO's DTMF (application/dtmf-relay, application/dtmf). */
export const UA_ACCEPT = ['application/sdp', 'application/dtmf-relay', 'application/dtmf'] as const;
/** Option tags we take in Require: RFC 4028 timer, RFC 3891 §4 replaces ("Require: replaces" on an INVITE with Replaces; calls/replaces.ts). */
export const UA_SUPPORTED = ['timer', 'replaces'] as const;

export class UserAgent implements RequestHandler, DialogRegistry {
  readonly methods: readonly string[];
  private endpoint: SipEndpoint | null = null;
  private readonly opts: UserAgentOptions;
  private readonly log: Logger;
  /** Live dialogs with their session; retired ones (session over, DialogRegistry.retire) with the peer's hosts only. */
  private readonly dialogs = new Map<string, { dialog: Dialog; session: InviteSession } | { dialog: Dialog; session: null; peerHosts: readonly string[] }>();
  private readonly pendingInvites = new Map<InviteServerTransaction, InviteSession>();

  constructor(opts: UserAgentOptions) {
    this.opts = opts;
    this.log = opts.log.child({ mod: 'sip.ua' });
    this.methods = ['INVITE', 'BYE', 'UPDATE', 'INFO', 'REFER', ...(opts.registrar ? ['REGISTER'] : []), ...(opts.guard ? CHALLENGED_ONLY : [])];
  }

  /** The endpoint this UA answers for (set once, after SipEndpoint.listen). */
  attach(endpoint: SipEndpoint): void {
    this.endpoint = endpoint;
  }

  /** Dialogs currently known (early and confirmed, plus ended ones within their 64*T1 linger). */
  get dialogCount(): number {
    return this.dialogs.size;
  }

  add(dialog: Dialog, session: InviteSession): void {
    this.dialogs.set(dialog.key, { dialog, session });
  }

  remove(dialog: Dialog): void {
    const e = this.dialogs.get(dialog.key);
    if (e?.dialog === dialog) this.dialogs.delete(dialog.key);
  }

  retire(dialog: Dialog, peerHosts: readonly string[]): void {
    const e = this.dialogs.get(dialog.key);
    if (e?.dialog === dialog) this.dialogs.set(dialog.key, { dialog, session: null, peerHosts });
  }

  /** The session of a dialog by its key (RFC 3891 Replaces names a dialog: sip/dialog/refer.ts replacedDialogKey). */
  sessionOf(key: string): InviteSession | null {
    return this.dialogs.get(key)?.session ?? null;
  }

  sessionDeps(): SessionDeps {
    const ep = this.requireEndpoint();
    return {
      clock: this.opts.clock,
      layer: ep.layer,
      registry: this,
      log: this.log,
      t1: this.opts.t1,
      t2: this.opts.t2,
      ...(this.opts.sessionTimer ? { sessionTimer: this.opts.sessionTimer } : {}),
    };
  }

  /**
   * Our Contact for a transport: sip:user@host:port[;transport=tcp]. The host is one `peer` can
   * reach (advertise.ts), never a wildcard bind address.
   */
  contact(protocol: TransportProtocol, peer: string | null = null): Contact {
    const ep = this.requireEndpoint();
    const addr = ep.address(protocol) ?? ep.transports[0]?.localAddress() ?? { host: '127.0.0.1', port: 5060 };
    const params = new Map<string, string | null>();
    if (protocol !== 'udp') params.set('transport', protocol);
    return new Contact(sipUri({ user: this.opts.contactUser ?? 'hotline', host: this.hostFor(peer, addr.host), port: addr.port, params }));
  }

  /** Our address as `peer` should see it (Contact, From/To domains, SDP when the media engine binds the same wildcard). */
  hostFor(peer: string | null, bound?: string): string {
    const ep = this.requireEndpoint();
    const host = bound ?? ep.transports[0]?.localAddress().host ?? '127.0.0.1';
    return advertisedHost(host, peer, {
      ...(this.opts.advertisedAddress ? { configured: this.opts.advertisedAddress } : {}),
      ...(this.opts.interfaces ? { interfaces: this.opts.interfaces } : {}),
    });
  }

  /** Place a call: an INVITE to `requestUri` sent to `hop`. */
  invite(o: { requestUri: Uri; from: NameAddr; to: NameAddr; hop: NextHop; sdp: string; headers?: ReadonlyArray<[string, string]>; auth?: ClientAuth }): InviteSession {
    return InviteSession.outgoing(this.sessionDeps(), { ...o, contact: this.contact(o.hop.protocol, o.hop.host) });
  }

  onRequest(req: SipRequest, tx: ServerTransactionAny, endpoint: SipEndpoint): void {
    this.endpoint ??= endpoint;
    if (req.method === 'REGISTER') {
      if (this.opts.registrar) this.opts.registrar.onRegister(req, tx, endpoint);
      else endpoint.respond(tx, 405);
      return;
    }
    if (req.to()?.tag) {
      const key = requestDialogKey(req);
      const hit = key ? this.dialogs.get(key) : undefined;
      if (!hit) {
        endpoint.respond(tx, 481);
        return;
      }
      if (!hit.session) {
        // The session is over: a BYE that crossed ours is answered 200 (§15.1.2 "MUST generate a 2xx response to the BYE") when it
        // comes from the peer; anything else finds no dialog (§12.2.2: 481).
        endpoint.respond(tx, req.method === 'BYE' && isPeerHost(tx.source.host, hit.peerHosts) ? 200 : 481);
        return;
      }
      // S10: matching dialog identifiers are not enough — a request from another source is challenged (or refused without a guard).
      if (!hit.session.fromPeer(tx.source.host)) {
        const verdict = this.opts.guard?.check(req, tx.source) ?? { ok: false as const, status: 403, headers: [] };
        if (!verdict.ok) {
          this.log.warn({ method: req.method, source: tx.source.host }, 'in-dialog request from a foreign source');
          endpoint.respond(tx, verdict.status, undefined, verdict.headers);
          return;
        }
      }
      hit.session.receiveRequest(req, tx, hit.dialog);
      return;
    }
    if (req.method !== 'INVITE') {
      this.outOfDialog(req, tx, endpoint);
      return;
    }
    const st = this.opts.sessionTimer;
    const se = parseSessionExpires(req.headers.get('session-expires'));
    if (st && se && se.expires < Math.max(st.minSE, MIN_SE_FLOOR)) {
      // RFC 4028 §8.1: "the UAS MUST reject it with a 422 ... The response MUST contain a Min-SE header field".
      endpoint.respond(tx, 422, undefined, [['Min-SE', String(Math.max(st.minSE, MIN_SE_FLOOR))]]);
      return;
    }
    if (req.contactAddresses().length === 0 || !req.from()?.tag) {
      endpoint.respond(tx, 400, 'Missing Contact or From tag');
      return;
    }
    const itx = tx as InviteServerTransaction;
    const session = InviteSession.incoming(req, itx, this.sessionDeps(), this.contact(tx.transport.protocol, tx.source.host));
    this.pendingInvites.set(itx, session);
    itx.onTransition((_from, to) => {
      if (to === 'accepted' || to === 'completed' || to === 'terminated') this.pendingInvites.delete(itx);
    });
    this.opts.invites.onInvite(session, req, this);
  }

  /**
   * A request that only exists inside a dialog (BYE, UPDATE, INFO, REFER, NOTIFY, PRACK) or that
   * the appliance does not serve (MESSAGE, SUBSCRIBE, PUBLISH), outside any dialog. S10: it is
   * challenged first, so nobody learns anything without credentials; authenticated, it gets
   * §12.2.2 481 (no such dialog), 489 Bad Event for SUBSCRIBE (RFC 6665 §4.2.1.2: no event
   * package is served) and 405 for MESSAGE / PUBLISH.
   */
  private outOfDialog(req: SipRequest, tx: ServerTransactionAny, endpoint: SipEndpoint): void {
    const verdict = this.opts.guard?.check(req, tx.source);
    if (verdict && !verdict.ok) {
      endpoint.respond(tx, verdict.status, undefined, verdict.headers);
      return;
    }
    if (req.method === 'SUBSCRIBE') endpoint.respond(tx, 489, 'Bad Event');
    else if (req.method === 'MESSAGE' || req.method === 'PUBLISH') endpoint.respond(tx, 405, undefined, [['Allow', 'INVITE, ACK, CANCEL, OPTIONS, BYE, UPDATE, INFO, REFER']]);
    else endpoint.respond(tx, 481);
  }

  onCancel(target: InviteServerTransaction): void {
    const s = this.pendingInvites.get(target);
    if (!s) return;
    this.pendingInvites.delete(target);
    s.cancelledByPeer();
  }

  onAck(ack: SipRequest, _source: Source): void {
    const key = requestDialogKey(ack);
    const hit = key ? this.dialogs.get(key) : undefined;
    hit?.session?.receiveAck(ack);
  }

  onServerError(err: TransactionError, tx: ServerTransactionAny): void {
    this.log.warn({ err: err.message, method: tx.request.method }, 'server transaction failed');
  }

  private requireEndpoint(): SipEndpoint {
    if (!this.endpoint) throw new Error('UserAgent is not attached to a SipEndpoint');
    return this.endpoint;
  }
}
