/**
 * Transaction matching keys, RFC 3261 §17.1.3 (client) and §17.2.3 (server).
 *
 * Client, §17.1.3: a response matches "if the response has the same value of the branch parameter
 * in the top Via header field as the branch parameter in the top Via header field of the request
 * that created the transaction" and "if the method parameter in the CSeq header field matches the
 * method of the request that created the transaction" (a CANCEL shares its INVITE's branch).
 *
 * Server, §17.2.3, RFC 3261 branch (magic cookie present): "the branch parameter in the request
 * is equal to the one in the top Via header field of the request that created the transaction,
 * the sent-by value in the top Via of the request is equal to the one in the request that created
 * the transaction, and the method of the request matches the one that created the transaction,
 * except for ACK, where the method of the request that created the transaction is INVITE."
 *
 * Server, RFC 2543 fallback (no magic cookie, RFC 4475 inv2543): "the INVITE request matches a
 * transaction if the Request-URI, To tag, From tag, Call-ID, CSeq, and top Via header field match
 * those of the INVITE request which created the transaction"; an ACK matches on the same fields
 * with the CSeq number only. The To tag is left out of the key: an ACK carries the tag of our
 * response while the INVITE had none.
 */
import { serializeUri, type SipRequest, type SipResponse } from '../message/index.js';

export function clientKey(branch: string, method: string): string {
  return `c|${branch}|${method}`;
}

export function responseKey(res: SipResponse): string | null {
  const branch = res.topVia()?.branch;
  const cseq = res.cseq();
  if (!branch || !cseq) return null;
  return clientKey(branch, cseq.method);
}

/** Server key of a request; `asMethod` overrides the method (ACK → INVITE, CANCEL target lookup → INVITE). */
export function serverKey(req: SipRequest, asMethod?: string): string | null {
  const via = req.topVia();
  const cseq = req.cseq();
  if (!via || !cseq) return null;
  const method = asMethod ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  const sentBy = `${via.host.toLowerCase()}:${via.port ?? ''}`;
  // Call-ID and CSeq number are added to the RFC 3261 key: a retransmission (and the ACK or CANCEL of an INVITE) always repeats them, so
  // they never split a real match, but they stop a peer that reuses a branch across calls (RFC 4475 cparam01/cparam02, badbranch) from
  // having its new request taken for a retransmission of the old one.
  if (via.isRfc3261Branch) return `s|${via.branch ?? ''}|${sentBy}|${method}|${req.callId() ?? ''}|${cseq.seq}`;
  const fromTag = req.from()?.tag ?? '';
  return `2543|${serializeUri(req.uri)}|${fromTag}|${req.callId() ?? ''}|${cseq.seq}|${via.transport} ${sentBy}|${method}`;
}
