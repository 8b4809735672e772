/**
 * Limits against abusive SIP input. RFC 3261 §18.1.1 bounds a UDP message by the path MTU and
 * §18.3 leaves the stream case to implementations; RFC 4475 longreq (3.5 kB, 34 Via values) must
 * still pass. Anything past these limits is a MessageTooLargeError (a ParseError the transport may
 * answer with 513 Message Too Large, RFC 3261 §21.5.12).
 */
import { ParseError } from '../../core/errors.js';

/** Largest message (start line + headers + body) the parser or the stream framer accepts: 64 KiB. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Largest number of header values (after splitting comma lists). */
export const MAX_HEADER_COUNT = 256;
/** Largest number of Via values; RFC 3261's Max-Forwards default is 70 hops. */
export const MAX_VIA_COUNT = 70;
/** Longest start line (Request-URI included). */
export const MAX_START_LINE_BYTES = 8 * 1024;

export class MessageTooLargeError extends ParseError {}
