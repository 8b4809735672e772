/**
 * SIP transports, RFC 3261 §18 with RFC 3581 (rport) and RFC 5626 §4.4.1 (CRLF keepalive): the
 * public surface of appliance/sip/transport. Imports only the parser and message layers below.
 */
export * from './errors.js';
export * from './inbound.js';
export * from './response-route.js';
export * from './stream.js';
export * from './types.js';
export * from './udp.js';
