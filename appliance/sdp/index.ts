/** SDP for audio legs (RFC 4566 on sdp-transform, RFC 3264 offer/answer, RFC 4733 events): the public surface of appliance/sdp. */
export * from './offer-answer.js';
export * from './session.js';
