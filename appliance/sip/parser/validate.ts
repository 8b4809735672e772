/**
 * Semantic checks on a message that parsed: the "parsed but bad" cases of RFC 3261 §8.2 and
 * RFC 4475 §3.1.2 / §3.3, returned as values so the transaction layer can answer with the status
 * (400, 416, 505) or drop a bad response (§18.1.2: "the client transport ... MUST silently
 * discard" responses whose top Via does not match — deciding that is the transport's job; here we
 * only say whether the response is usable at all).
 */
import { WILDCARD } from '../message/contact.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { SIP_VERSION } from '../message/message.js';
import { isSipUri } from '../message/uri.js';

export type ValidationResult =
  | { ok: true }
  | {
      ok: false;
      status: 400 | 416 | 505;
      reason: string;
      /** Short machine-readable cause, e.g. 'missing-header', 'cseq-method'. */
      problem: ValidationProblem;
      /** Header the problem is in, if any (long lower-case name). */
      header?: string;
    };

export const ValidationProblems = [
  'version',
  'missing-header',
  'duplicate-header',
  'cseq-method',
  'max-forwards',
  'uri-scheme',
  'uri-headers',
  'contact-wildcard',
  'date',
] as const;
export type ValidationProblem = (typeof ValidationProblems)[number];

/** RFC 3261 §8.1.1: "A valid SIP request formulated by a UAC MUST, at a minimum, contain the following header fields: To, From, CSeq, Call-ID, Max-Forwards, and Via". Max-Forwards is not required here: RFC 2543 peers omit it (RFC 4475 inv2543) and §16.6 step 3 lets a proxy add it. */
const MANDATORY = ['to', 'from', 'cseq', 'call-id', 'via'] as const;
/** Headers with a single-value grammar (RFC 4475 multi01). */
const SINGLE = ['to', 'from', 'cseq', 'call-id', 'max-forwards', 'content-type', 'expires'] as const;
/** Schemes this appliance can route (RFC 3261 §8.2.2.1 answers the rest with 416). */
export const SUPPORTED_SCHEMES: ReadonlySet<string> = new Set(['sip', 'sips', 'tel']);
/** rfc1123-date with the mandatory "GMT" (RFC 3261 §20.17; RFC 4475 baddate). */
const DATE_RE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/;

function bad(status: 400 | 416 | 505, problem: ValidationProblem, reason: string, header?: string): ValidationResult {
  return header === undefined ? { ok: false, status, reason, problem } : { ok: false, status, reason, problem, header };
}

export function validateRequest(req: SipRequest): ValidationResult {
  // RFC 3261 §8.2.2... a request with another version: 505 Version Not Supported (RFC 4475 badvers).
  if (req.version !== SIP_VERSION) return bad(505, 'version', 'Version Not Supported');
  for (const h of MANDATORY)
    if (!req.headers.has(h)) return bad(400, 'missing-header', `Missing ${req.headers.canonical(h)} header`, h);
  for (const h of SINGLE)
    if (req.headers.count(h) > 1) return bad(400, 'duplicate-header', `Multiple ${req.headers.canonical(h)} values`, h);
  const cseq = req.cseq();
  // RFC 3261 §8.1.1.5: "The method MUST match that of the request." (RFC 4475 mismatch01/02)
  if (cseq !== undefined && cseq.method !== req.method) return bad(400, 'cseq-method', 'CSeq method does not match the request', 'cseq');
  // RFC 3261 §20.22: Max-Forwards is an integer in 0-255 (RFC 4475 scalar02 sends 300).
  const mf = req.maxForwards();
  if (mf !== undefined && mf > 255) return bad(400, 'max-forwards', 'Max-Forwards out of range', 'max-forwards');
  if (!SUPPORTED_SCHEMES.has(req.uri.scheme)) return bad(416, 'uri-scheme', 'Unsupported URI Scheme');
  // RFC 3261 §19.1.1 table: headers are "not allowed" in a Request-URI (RFC 4475 escruri).
  if (isSipUri(req.uri) && req.uri.headers.length > 0) return bad(400, 'uri-headers', 'Request-URI must not carry headers');
  const contacts = req.contacts();
  // RFC 3261 §10.2.2: "*" only on REGISTER and only alone.
  if (contacts.includes(WILDCARD) && (req.method !== 'REGISTER' || contacts.length > 1))
    return bad(400, 'contact-wildcard', 'Contact "*" must be alone on REGISTER', 'contact');
  const date = req.headers.get('date');
  if (date !== undefined && !DATE_RE.test(date)) return bad(400, 'date', 'Date must be an RFC 1123 date in GMT', 'date');
  return { ok: true };
}

export type ResponseCheck = { ok: true } | { ok: false; reason: string };

/** A response is usable when it is SIP/2.0 with exactly one Via/CSeq/Call-ID/From/To; otherwise drop it (RFC 4475 scalarlg, bcast are dropped upstream). */
export function validateResponse(res: SipResponse): ResponseCheck {
  if (res.version !== SIP_VERSION) return { ok: false, reason: 'version' };
  if (!res.headers.has('via')) return { ok: false, reason: 'missing Via' };
  for (const h of ['cseq', 'call-id', 'from', 'to'] as const) {
    const n = res.headers.count(h);
    if (n !== 1) return { ok: false, reason: n === 0 ? `missing ${h}` : `multiple ${h}` };
  }
  return { ok: true };
}
