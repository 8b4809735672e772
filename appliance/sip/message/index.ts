/**
 * The SIP message model (RFC 3261 §7, §19, §20, §25; RFC 7616 Digest; RFC 3966 tel; RFC 5118
 * IPv6): the public surface of appliance/sip/message. Layers above import from here.
 */
export * from './auth.js';
export * from './contact.js';
export { isToken, quote, splitList } from './grammar.js';
export * from './headers.js';
export * from './message.js';
export * from './name-addr.js';
export * from './params.js';
export * from './scalars.js';
export * from './uri.js';
export * from './via.js';
