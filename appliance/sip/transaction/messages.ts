/**
 * Messages the transaction layer builds itself, RFC 3261:
 *   §8.2.6.2 responses (copy Via, From, To, Call-ID, CSeq; add a To tag except on 100),
 *   §17.1.1.3 the ACK for a non-2xx final response,
 *   §9.1 CANCEL,
 *   §8.1.1.7 branch and §19.3 tag values.
 * The UA core (ua/) builds its responses with createResponse too.
 */
import { randomView } from '../../core/random-pool.js';
import {
  BRANCH_MAGIC_COOKIE,
  Headers,
  SipRequest,
  SipResponse,
  structuredCloneUri,
  type NameAddr,
} from '../message/index.js';

/** RFC 3261 §8.1.1.7: "The branch ID ... MUST always begin with the characters "z9hG4bK"", unique across space and time. */
export function newBranch(): string {
  return BRANCH_MAGIC_COOKIE + randomView(12).toString('base64url');
}

/** RFC 3261 §19.3: "at least 32 bits of randomness". */
export function newTag(): string {
  return randomView(8).toString('hex');
}

function cloneNameAddr(na: NameAddr): NameAddr {
  return na.clone();
}

/**
 * RFC 3261 §8.2.6.2: "The From field of the response MUST equal the From header field of the
 * request. The Call-ID header field of the response MUST equal the Call-ID header field of the
 * request. The CSeq header field of the response MUST equal the CSeq field of the request. The Via
 * header field values in the response MUST equal the Via header field values in the request and
 * MUST maintain the same ordering." "...the UAS MUST add a tag to the To header field in the
 * response (with the exception of the 100 (Trying) response, in which a tag MAY be present)."
 */
export function createResponse(req: SipRequest, status: number, reason?: string, toTag?: string): SipResponse {
  const h = new Headers();
  for (const v of req.via()) h.appendTyped('via', v.clone());
  const from = req.from();
  if (from) h.appendTyped('from', cloneNameAddr(from));
  const to = req.to();
  if (to) {
    const t = cloneNameAddr(to);
    if (status > 100 && !t.tag) t.tag = toTag ?? newTag();
    h.appendTyped('to', t);
  }
  const callId = req.callId();
  if (callId !== undefined) h.append('Call-ID', callId);
  const cseq = req.cseq();
  if (cseq) h.appendTyped('cseq', { ...cseq });
  // §8.2.6.1: "If there is a Timestamp header field in the request, its value MUST be copied into the 100."
  const ts = req.headers.get('timestamp');
  if (status === 100 && ts !== undefined) h.append('Timestamp', ts);
  return new SipResponse(status, reason, h);
}

/** The headers §17.1.1.3 and §9.1 copy from the request into an ACK or CANCEL. */
function sameTransactionHeaders(req: SipRequest, method: 'ACK' | 'CANCEL', to: NameAddr | undefined): Headers {
  const h = new Headers();
  const top = req.topVia();
  if (top) h.appendTyped('via', top.clone());
  h.append('Max-Forwards', 70);
  const from = req.from();
  if (from) h.appendTyped('from', cloneNameAddr(from));
  if (to) h.appendTyped('to', cloneNameAddr(to));
  const callId = req.callId();
  if (callId !== undefined) h.append('Call-ID', callId);
  const cseq = req.cseq();
  if (cseq) h.appendTyped('cseq', { seq: cseq.seq, method });
  for (const r of req.routes()) h.appendTyped('route', cloneNameAddr(r));
  return h;
}

/**
 * RFC 3261 §17.1.1.3: "The ACK request constructed by the client transaction MUST contain values
 * for the Call-ID, From, and Request-URI that are equal to the values of those header fields in
 * the request passed to the transport by the client transaction ... The To header field in the ACK
 * MUST equal the To header field in the response being acknowledged ... The ACK MUST contain a
 * single Via header field, and this MUST be equal to the top Via header field of the original
 * request ... If the INVITE request whose response is being acknowledged had Route header fields,
 * those header fields MUST appear in the ACK."
 */
export function createNon2xxAck(invite: SipRequest, res: SipResponse): SipRequest {
  return new SipRequest('ACK', structuredCloneUri(invite.uri), sameTransactionHeaders(invite, 'ACK', res.to()));
}

/**
 * RFC 3261 §9.1: "The Request-URI, Call-ID, To, the numeric part of CSeq, and From header fields in
 * the CANCEL request MUST be identical to those in the request being cancelled, including tags ...
 * a CANCEL constructed by a client MUST have only a single Via header field value matching the top
 * Via value in the request being cancelled ... If the request being cancelled contains a Route
 * header field, the CANCEL request MUST include that Route header field's values."
 */
export function createCancel(invite: SipRequest): SipRequest {
  return new SipRequest('CANCEL', structuredCloneUri(invite.uri), sameTransactionHeaders(invite, 'CANCEL', invite.to()));
}
