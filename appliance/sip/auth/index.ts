/**
 * SIP Digest authentication, server side (RFC 3261 §22, RFC 7616, RFC 8760): the public surface
 * of appliance/sip/auth. The registrar and the B2BUA call `DigestAuthenticator.authenticate`.
 */
export * from './authenticator.js';
export * from './digest.js';
export * from './nonce.js';
