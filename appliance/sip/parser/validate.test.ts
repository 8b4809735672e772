import test from 'ava';
import { parseMessage } from './parse-message.js';
import { validateRequest, validateResponse } from './validate.js';
import type { SipRequest, SipResponse } from '../message/message.js';

const BASE = ['Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'To: <sip:a@b>', 'From: <sip:c@d>;tag=1', 'Call-ID: x', 'Max-Forwards: 70'];
const req = (start: string, extra: string[], cseq = 'CSeq: 1 REGISTER'): SipRequest =>
  parseMessage(Buffer.from([start, ...BASE, cseq, ...extra, 'l: 0', '', ''].join('\r\n'))) as SipRequest;

test('a well-formed REGISTER validates', (t) => {
  t.deepEqual(validateRequest(req('REGISTER sip:b SIP/2.0', ['Contact: <sip:c@10.0.0.2>;expires=60'])), { ok: true });
});

test('Contact "*" only alone on REGISTER (RFC 3261 §10.2.2)', (t) => {
  t.deepEqual(validateRequest(req('REGISTER sip:b SIP/2.0', ['Contact: *', 'Expires: 0'])), { ok: true });
  const mixed = validateRequest(req('REGISTER sip:b SIP/2.0', ['Contact: *, <sip:c@d>']));
  t.like(mixed, { ok: false, status: 400, problem: 'contact-wildcard' });
  t.like(validateRequest(req('INVITE sip:b SIP/2.0', ['Contact: *'], 'CSeq: 1 INVITE')), { ok: false, problem: 'contact-wildcard' });
});

test('Max-Forwards above 255 and a non-GMT Date are 400', (t) => {
  t.like(validateRequest(req('REGISTER sip:b SIP/2.0', ['Max-Forwards: 256'])), { ok: false, problem: 'duplicate-header' });
  const r = parseMessage(Buffer.from(['OPTIONS sip:b SIP/2.0', 'Via: SIP/2.0/UDP h', 'To: <sip:a@b>', 'From: <sip:c@d>', 'Call-ID: x', 'CSeq: 1 OPTIONS', 'Max-Forwards: 256', 'l: 0', '', ''].join('\r\n'))) as SipRequest;
  t.like(validateRequest(r), { ok: false, status: 400, problem: 'max-forwards' });
  t.like(validateRequest(req('REGISTER sip:b SIP/2.0', ['Date: Sat, 13 Nov 2010 23:29:00 GMT'])), { ok: true });
  t.like(validateRequest(req('REGISTER sip:b SIP/2.0', ['Date: Sat, 13 Nov 2010 23:29:00 EST'])), { ok: false, problem: 'date' });
});

test('missing mandatory headers name the header', (t) => {
  const r = parseMessage(Buffer.from('OPTIONS sip:b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: <sip:a@b>\r\nFrom: <sip:c@d>\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n')) as SipRequest;
  t.like(validateRequest(r), { ok: false, status: 400, problem: 'missing-header', header: 'call-id' });
});

test('responses: usable only with one CSeq/Call-ID/From/To and a Via', (t) => {
  const ok = parseMessage(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>;tag=2\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n')) as SipResponse;
  t.deepEqual(validateResponse(ok), { ok: true });
  const noVia = parseMessage(Buffer.from('SIP/2.0 200 OK\r\nTo: <sip:a@b>\r\nFrom: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n')) as SipResponse;
  t.false(validateResponse(noVia).ok);
});
