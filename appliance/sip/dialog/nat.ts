/**
 * In-dialog requests to a phone behind NAT (issue 3: agents' phones behind NAT). A NATed phone
 * writes its private address in Via and Contact; the registrar already sends new INVITEs to the
 * REGISTER's source (sip/registrar/registrar.ts lookup). Requests inside the dialog — the ACK
 * for our 2xx, BYE, re-INVITE, NOTIFY of a REFER — would go to the remote target (the private
 * Contact, RFC 3261 §12.2.1.1) and never arrive. The appliance does for them what RFC 3581 does
 * for responses ("the response MUST be sent to the IP address from which the request was
 * received ... [and] the port from which the request was received", §4): the dialog keeps a
 * flow, and without a route set its requests go there instead of the Contact (the same idea as
 * RFC 5626 flows and Asterisk's force_rport / rewrite_contact):
 *
 *  - UAS (the phone called us): the INVITE came from somewhere other than its top Via's sent-by
 *    (another host, or another port when the Via asked for rport): the phone is behind a NAT and
 *    the flow is the INVITE's source.
 *  - UAC (we called a registered phone): we sent the INVITE to a hop other than its Request-URI
 *    (the registered Contact; the hop is the REGISTER's source) and the 2xx / 1xx Contact is
 *    that same Contact: the flow is the hop. A peer answering with another Contact (a carrier's
 *    other node) keeps RFC 3261 routing.
 */
import { isIP } from 'node:net';
import { isSipUri, type SipRequest, type SipResponse, type Uri } from '../message/index.js';
import type { Source, TransportProtocol } from '../transport/index.js';
import { nextHopOf, type NextHop } from './dialog.js';

const norm = (h: string): string => h.replace(/^\[|\]$/g, '').replace(/^::ffff:/i, '').toLowerCase();

/** UAS: the INVITE's source when the phone that sent it is behind a NAT, else null. */
export function uasFlow(invite: SipRequest, source: Source, protocol: TransportProtocol): NextHop | null {
  const via = invite.topVia();
  if (!via) return null;
  const otherHost = norm(via.host) !== norm(source.host);
  const otherPort = via.rport !== null && (via.port ?? 5060) !== source.port;
  return otherHost || otherPort ? { host: source.host, port: source.port, protocol } : null;
}

/** UAC: the hop the INVITE went to when that was not its Request-URI and the answer's Contact is the Request-URI, else null. */
export function uacFlow(requestUri: Uri, hop: NextHop, res: SipResponse): NextHop | null {
  if (!isSipUri(requestUri) || isIP(norm(requestUri.host)) === 0) return null;
  const sent = nextHopOf(requestUri, hop.protocol);
  if (!sent || (norm(sent.host) === norm(hop.host) && sent.port === hop.port)) return null;
  const contact = res.contactAddresses()[0]?.uri;
  const target = contact ? nextHopOf(contact, hop.protocol) : null;
  if (!target || norm(target.host) !== norm(sent.host) || target.port !== sent.port) return null;
  return { ...hop };
}
