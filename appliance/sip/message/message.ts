/**
 * SIP messages, RFC 3261 §7: a request (Method SP Request-URI SP SIP-Version) or a response
 * (SIP-Version SP Status-Code SP Reason-Phrase), headers (headers.ts) and an octet body. The body is
 * a Buffer, never a string: RFC 4475 mpart01 carries binary octets.
 *
 * The typed accessors (`via()`, `from()`, `cseq()`, ...) parse on first use and throw ParseError
 * on bad syntax; parser/parse-message.ts calls them eagerly for the headers every layer needs, so
 * a message that came off the wire has them already checked.
 */
import type { AuthValue } from './auth.js';
import { WILDCARD, type Contact, type ContactValue } from './contact.js';
import { Headers } from './headers.js';
import type { NameAddr } from './name-addr.js';
import type { CSeq } from './scalars.js';
import type { Uri } from './uri.js';
import type { Via } from './via.js';

export const SIP_VERSION = 'SIP/2.0';

/** RFC 3261 §21 reason phrases for the codes the appliance sends. */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout', 410: 'Gone',
  413: 'Request Entity Too Large', 414: 'Request-URI Too Long', 415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme', 420: 'Bad Extension', 421: 'Extension Required', 422: 'Session Interval Too Small',
  423: 'Interval Too Brief', 480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected', 483: 'Too Many Hops', 484: 'Address Incomplete', 485: 'Ambiguous', 486: 'Busy Here',
  487: 'Request Terminated', 488: 'Not Acceptable Here', 491: 'Request Pending', 493: 'Undecipherable',
  500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Server Time-out', 505: 'Version Not Supported', 513: 'Message Too Large', 600: 'Busy Everywhere',
  603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable',
};

abstract class SipMessageBase {
  headers: Headers;
  body: Buffer;
  /** "SIP/2.0" for everything we build; what the peer sent for parsed messages (RFC 4475 badvers). */
  version: string;

  constructor(headers: Headers, body: Buffer, version: string) {
    this.headers = headers;
    this.body = body;
    this.version = version;
  }

  /** All Via values, top first. */
  via(): Via[] {
    return this.headers.typed('via');
  }

  topVia(): Via | undefined {
    return this.headers.single('via');
  }

  from(): NameAddr | undefined {
    return this.headers.single('from');
  }

  to(): NameAddr | undefined {
    return this.headers.single('to');
  }

  callId(): string | undefined {
    return this.headers.single('call-id');
  }

  cseq(): CSeq | undefined {
    return this.headers.single('cseq');
  }

  maxForwards(): number | undefined {
    return this.headers.single('max-forwards');
  }

  /** Contact values; `'*'` stands for the REGISTER wildcard. */
  contacts(): ContactValue[] {
    return this.headers.typed('contact');
  }

  /** Contact values that are addresses (the wildcard left out). */
  contactAddresses(): Contact[] {
    return this.contacts().filter((c): c is Contact => c !== WILDCARD);
  }

  routes(): NameAddr[] {
    return this.headers.typed('route');
  }

  recordRoutes(): NameAddr[] {
    return this.headers.typed('record-route');
  }

  authorization(): AuthValue[] {
    return this.headers.typed('authorization');
  }

  proxyAuthorization(): AuthValue[] {
    return this.headers.typed('proxy-authorization');
  }

  wwwAuthenticate(): AuthValue[] {
    return this.headers.typed('www-authenticate');
  }

  proxyAuthenticate(): AuthValue[] {
    return this.headers.typed('proxy-authenticate');
  }

  contentType(): string | undefined {
    return this.headers.get('content-type');
  }
}

export class SipRequest extends SipMessageBase {
  readonly kind = 'request' as const;
  method: string;
  uri: Uri;

  constructor(method: string, uri: Uri, headers = new Headers(), body: Buffer = Buffer.alloc(0), version = SIP_VERSION) {
    super(headers, body, version);
    this.method = method;
    this.uri = uri;
  }
}

export class SipResponse extends SipMessageBase {
  readonly kind = 'response' as const;
  status: number;
  reason: string;

  constructor(status: number, reason?: string, headers = new Headers(), body: Buffer = Buffer.alloc(0), version = SIP_VERSION) {
    super(headers, body, version);
    this.status = status;
    this.reason = reason ?? REASON_PHRASES[status] ?? '';
  }
}

export type SipMessage = SipRequest | SipResponse;

export function isRequest(m: SipMessage): m is SipRequest {
  return m.kind === 'request';
}

export function isResponse(m: SipMessage): m is SipResponse {
  return m.kind === 'response';
}
