/**
 * Where a response goes, RFC 3261 §18.2.2 with RFC 3581 §4 (rport). The server transport
 * stamped `received`/`rport` on the request's top Via (inbound.ts), and responses carry that Via
 * back, so the destination follows from the Via and the request's source:
 *   - "If the "sent-protocol" is a reliable transport protocol such as TCP or SCTP, or TLS over
 *     those, the response MUST be sent using the existing connection to the source of the original
 *     request that created the transaction, if that connection is still open."
 *   - RFC 3581 §4: "the response MUST be sent to the IP address listed in the "received" parameter,
 *     and the port in the "rport" parameter."
 *   - "Otherwise, if it is not receiver-tagged, the response MUST be sent to the address
 *     indicated by the "sent-by" value" (after `received`, with the sent-by port or 5060).
 * `maddr` (multicast) is deliberately not followed: it would let any request direct our answers at
 * a third party (reflection), and RFC 4475 bcast shows why.
 */
import type { Via } from '../message/index.js';
import type { Destination, Source } from './types.js';

export const DEFAULT_SIP_PORT = 5060;
export const DEFAULT_SIPS_PORT = 5061;

export function responseDestination(via: Via, source: Source | null): Destination {
  const defaultPort = via.transport === 'TLS' ? DEFAULT_SIPS_PORT : DEFAULT_SIP_PORT;
  const host = via.received ?? via.host;
  const rport = via.rport;
  const port = typeof rport === 'number' ? rport : (via.port ?? defaultPort);
  if (source && source.connectionId !== null) {
    // "If that connection is no longer open, the server SHOULD open a connection to the IP address in the "received" parameter".
    return { host, port: via.port ?? defaultPort, connectionId: source.connectionId };
  }
  return { host, port };
}
