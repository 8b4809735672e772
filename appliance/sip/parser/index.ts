/**
 * SIP parsing and serialization (RFC 3261 §7, §18.3, §25): the public surface of
 * appliance/sip/parser. Pure: no sockets, no timers, no logger.
 */
export * from './limits.js';
export * from './parse-message.js';
export * from './serialize.js';
export * from './stream-framer.js';
export * from './validate.js';
