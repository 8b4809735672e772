/**
 * A SIP dialog, RFC 3261 §12: the peer-to-peer relationship an INVITE creates, identified by
 * Call-ID, local tag and remote tag, with the state in-dialog requests need (§12.1.1 UAS,
 * §12.1.2 UAC, §12.2 requests within a dialog):
 *
 *   early ──2xx──▶ confirmed ──BYE / 481 / 408──▶ terminated
 *     └──non-2xx final / CANCEL──────────────────────▲
 *
 * §12: "A dialog is identified at each UA with a dialog ID, which consists of a Call-ID value,
 * a local tag and a remote tag."
 */
import { InvalidTransitionError } from '../../core/errors.js';
import {
  Contact,
  Headers,
  isSipUri,
  NameAddr,
  SipRequest,
  structuredCloneUri,
  type SipResponse,
  type Uri,
} from '../message/index.js';
import type { TransportProtocol } from '../transport/index.js';
import { DEFAULT_SIP_PORT, DEFAULT_SIPS_PORT } from '../transport/index.js';

export const DialogStates = ['early', 'confirmed', 'terminated'] as const;
export type DialogState = (typeof DialogStates)[number];

const TABLE: { readonly [K in DialogState]: readonly DialogState[] } = {
  early: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}|${id.localTag}|${id.remoteTag}`;
}

/** The dialog a request received belongs to (§12.2.2: To tag is ours, From tag theirs). */
export function requestDialogKey(req: SipRequest): string | null {
  const callId = req.callId();
  const local = req.to()?.tag;
  const remote = req.from()?.tag;
  if (!callId || !local || !remote) return null;
  return dialogKey({ callId, localTag: local, remoteTag: remote });
}

/** The dialog a response to our request belongs to (From tag ours, To tag theirs). */
export function responseDialogKey(res: SipResponse): string | null {
  const callId = res.callId();
  const local = res.from()?.tag;
  const remote = res.to()?.tag;
  if (!callId || !local || !remote) return null;
  return dialogKey({ callId, localTag: local, remoteTag: remote });
}

export interface NextHop {
  host: string;
  port: number;
  protocol: TransportProtocol;
}

/** Where a request to `uri` goes (RFC 3263 reduced to what IP-addressed phones need: host, port, transport param). */
export function nextHopOf(uri: Uri, fallback: TransportProtocol = 'udp'): NextHop | null {
  if (!isSipUri(uri)) return null;
  const t = uri.params.get('transport')?.toLowerCase();
  const protocol: TransportProtocol = uri.scheme === 'sips' ? 'tls' : t === 'tcp' || t === 'tls' || t === 'udp' ? t : fallback;
  const port = uri.port ?? (protocol === 'tls' ? DEFAULT_SIPS_PORT : DEFAULT_SIP_PORT);
  return { host: uri.host, port, protocol };
}

export class Dialog {
  readonly id: DialogId;
  readonly key: string;
  readonly role: 'uas' | 'uac';
  /** Our URI with our tag (From on requests we send). */
  readonly local: NameAddr;
  /** The peer's URI with its tag. */
  readonly remote: NameAddr;
  /** §12.1.1: "The remote target MUST be set to the URI from the Contact header field of the request." Updated by target refreshes. */
  remoteTarget: Uri;
  /** §12.1.1 / §12.1.2: Record-Route, in request order (UAS) or reversed (UAC). */
  readonly routeSet: readonly NameAddr[];
  localSeq: number;
  /** §12.1.2: "The remote sequence number MUST be empty" for a UAC dialog until a request arrives. */
  remoteSeq: number | null;
  readonly secure: boolean;
  readonly localContact: Contact;
  /** The transport the dialog's requests use when the target does not say. */
  readonly protocol: TransportProtocol;
  /** Where requests go instead of the remote target when the peer is behind a NAT (nat.ts), with no route set. */
  flow: NextHop | null = null;
  private current: DialogState = 'early';

  private constructor(init: {
    id: DialogId;
    role: 'uas' | 'uac';
    local: NameAddr;
    remote: NameAddr;
    remoteTarget: Uri;
    routeSet: NameAddr[];
    localSeq: number;
    remoteSeq: number | null;
    secure: boolean;
    localContact: Contact;
    protocol: TransportProtocol;
  }) {
    this.id = init.id;
    this.key = dialogKey(init.id);
    this.role = init.role;
    this.local = init.local;
    this.remote = init.remote;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.secure = init.secure;
    this.localContact = init.localContact;
    this.protocol = init.protocol;
  }

  /** §12.1.1: the UAS side, from the INVITE and the tag of our response. */
  static asUas(invite: SipRequest, localTag: string, localContact: Contact, protocol: TransportProtocol): Dialog {
    const from = invite.from();
    const to = invite.to();
    const contact = invite.contactAddresses()[0];
    if (!from?.tag || !to || !contact) throw new InvalidTransitionError('SIP dialog', 'none', 'early (INVITE lacks From tag or Contact)');
    const local = to.clone();
    local.tag = localTag;
    return new Dialog({
      id: { callId: invite.callId() ?? '', localTag, remoteTag: from.tag },
      role: 'uas',
      local,
      remote: from.clone(),
      remoteTarget: structuredCloneUri(contact.uri),
      // "The route set MUST be set to the list of URIs in the Record-Route header field from the request, taken in order"
      routeSet: invite.recordRoutes().map((r) => r.clone()),
      // "The local sequence number MUST be empty" — requests we send start from a random value below 2^31.
      localSeq: Math.floor(Math.random() * 1_000_000) + 1,
      // "The remote sequence number MUST be set to the value of the sequence number in the CSeq header field of the request."
      remoteSeq: invite.cseq()?.seq ?? 0,
      secure: invite.uri.scheme === 'sips',
      localContact,
      protocol,
    });
  }

  /** §12.1.2: the UAC side, from our INVITE and a 1xx/2xx with a To tag. */
  static asUac(invite: SipRequest, res: SipResponse, localContact: Contact, protocol: TransportProtocol): Dialog {
    const from = invite.from();
    const to = res.to();
    if (!from?.tag || !to?.tag) throw new InvalidTransitionError('SIP dialog', 'none', 'early (response lacks To tag)');
    const contact = res.contactAddresses()[0];
    return new Dialog({
      id: { callId: invite.callId() ?? '', localTag: from.tag, remoteTag: to.tag },
      role: 'uac',
      local: from.clone(),
      remote: to.clone(),
      // "The remote target MUST be set to the URI from the Contact header field of the response."
      remoteTarget: structuredCloneUri(contact?.uri ?? invite.uri),
      // "The route set MUST be set to the list of URIs in the Record-Route header field from the response, taken in reverse order"
      routeSet: res.recordRoutes().map((r) => r.clone()).reverse(),
      localSeq: invite.cseq()?.seq ?? 1,
      remoteSeq: null,
      secure: invite.uri.scheme === 'sips',
      localContact,
      protocol,
    });
  }

  get state(): DialogState {
    return this.current;
  }

  transition(to: DialogState): void {
    if (this.current === to) return;
    if (!TABLE[this.current].includes(to)) throw new InvalidTransitionError('SIP dialog', this.current, to);
    this.current = to;
  }

  /**
   * §12.2.2: "If the remote sequence number is empty, it MUST be set to the value of the sequence
   * number in the CSeq header field value in the request. If the remote sequence number was not
   * empty, but the sequence number of the request is lower than the remote sequence number, the
   * request is out of order and MUST be rejected with a 500 (Server Internal Error) response."
   */
  acceptRemoteCSeq(req: SipRequest): boolean {
    const seq = req.cseq()?.seq;
    if (seq === undefined) return false;
    if (req.method === 'ACK' || req.method === 'CANCEL') return true;
    if (this.remoteSeq !== null && seq <= this.remoteSeq) return false;
    this.remoteSeq = seq;
    return true;
  }

  /** §12.2.2 target refresh: "If the request is a target refresh ... the remote target URI MUST be replaced by the URI from the Contact". */
  refreshTarget(msg: SipRequest | SipResponse): void {
    const c = msg.contactAddresses()[0];
    if (c) this.remoteTarget = structuredCloneUri(c.uri);
  }

  /**
   * §12.2.1.1 "Generating the Request": To = remote URI + remote tag, From = local URI + local
   * tag, Call-ID of the dialog, CSeq = local sequence number + 1 (ACK and CANCEL reuse the
   * INVITE's), Request-URI and Route from the route set (loose or strict routing).
   */
  createRequest(method: string, o: { body?: Buffer; contentType?: string; headers?: ReadonlyArray<[string, string]>; cseq?: number } = {}): SipRequest {
    const h = new Headers();
    const first = this.routeSet[0];
    let uri: Uri;
    let routes: NameAddr[];
    if (!first || first.uri.scheme === 'tel' || (isSipUri(first.uri) && first.uri.params.has('lr'))) {
      // "If the route set is not empty, and the first URI in the route set contains the lr parameter ... the UAC MUST place the remote target URI into the Request-URI and MUST include a Route header field containing the route set values in order"
      uri = structuredCloneUri(this.remoteTarget);
      routes = this.routeSet.map((r) => r.clone());
    } else {
      // "If the route set is not empty, and its first URI does not contain the lr parameter, the UAC MUST place the first URI from the route set into the Request-URI ... [and] MUST add a route header field containing the remainder of the route set values in order, including all parameters. The UAC MUST then place the remote target URI into the Route header field as the last value."
      uri = structuredCloneUri(first.uri);
      if (isSipUri(uri)) uri.params.delete('method');
      routes = [...this.routeSet.slice(1).map((r) => r.clone()), new NameAddr(structuredCloneUri(this.remoteTarget))];
    }
    h.append('Max-Forwards', 70);
    for (const r of routes) h.appendTyped('route', r);
    h.appendTyped('from', this.local.clone());
    h.appendTyped('to', this.remote.clone());
    h.append('Call-ID', this.id.callId);
    const seq = o.cseq ?? (method === 'ACK' || method === 'CANCEL' ? this.localSeq : ++this.localSeq);
    h.appendTyped('cseq', { seq, method });
    // §12.2.1.1: "A UAC SHOULD include a Contact header field in any target refresh requests within a dialog".
    if (method === 'INVITE' || method === 'UPDATE') h.appendTyped('contact', this.localContact.clone());
    for (const [k, v] of o.headers ?? []) h.append(k, v);
    const body = o.body ?? Buffer.alloc(0);
    if (body.length > 0 && o.contentType) h.set('Content-Type', o.contentType);
    return new SipRequest(method, uri, h, body);
  }

  /** Where this dialog's next request goes: the first Route, else the NAT flow (nat.ts), else the remote target (§8.1.2, §12.2.1.1). */
  nextHop(): NextHop | null {
    const first = this.routeSet[0];
    if (!first && this.flow) return this.flow;
    return nextHopOf(first ? first.uri : this.remoteTarget, this.protocol);
  }
}
