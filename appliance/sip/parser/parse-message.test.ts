import test from 'ava';
import { readFileSync } from 'node:fs';
import { ParseError } from '../../core/errors.js';
import { NameAddr } from '../message/name-addr.js';
import { Headers } from '../message/headers.js';
import { SipRequest, SipResponse } from '../message/message.js';
import { isSipUri, sipUri } from '../message/uri.js';
import { Via } from '../message/via.js';
import { MAX_MESSAGE_BYTES, MAX_VIA_COUNT, MessageTooLargeError } from './limits.js';
import { parseMessage } from './parse-message.js';
import { serializeMessage } from './serialize.js';

const torture = (name: string): Buffer => readFileSync(new URL(`../testdata/torture/${name}.dat`, import.meta.url));
const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: "Bob" <sip:bob@biloxi.example.com>',
  'From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\n',
];

test('golden: a canonical INVITE serializes back to the same bytes', (t) => {
  const buf = crlf(INVITE);
  const msg = parseMessage(buf);
  t.deepEqual(serializeMessage(msg), buf);
});

test('golden: an unquoted display name is written quoted (canonical form)', (t) => {
  const msg = parseMessage(crlf(INVITE.map((l) => l.replace('"Bob"', 'Bob'))));
  t.deepEqual(serializeMessage(msg), crlf(INVITE));
});

test('golden: compact names and list values serialize in canonical form', (t) => {
  const msg = parseMessage(
    crlf(['OPTIONS sip:a@b SIP/2.0', 'v: SIP/2.0/UDP h1;branch=z9hG4bK1, SIP/2.0/TCP h2;branch=z9hG4bK2', 'f: <sip:x@y>;tag=1', 't: sip:a@b', 'i: c1', 'CSeq: 1 OPTIONS', 'k: timer,100rel', 'l: 0', '', '']),
  );
  t.is(
    serializeMessage(msg).toString(),
    [
      'OPTIONS sip:a@b SIP/2.0',
      'Via: SIP/2.0/UDP h1;branch=z9hG4bK1',
      'Via: SIP/2.0/TCP h2;branch=z9hG4bK2',
      'From: <sip:x@y>;tag=1',
      'To: <sip:a@b>',
      'Call-ID: c1',
      'CSeq: 1 OPTIONS',
      'Supported: timer',
      'Supported: 100rel',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
});

test('a message built in code serializes, and parses back to the same values', (t) => {
  const h = new Headers();
  h.appendTyped('via', new Via('UDP', '2001:db8::1', 5060, new Map([['branch', 'z9hG4bKabc'], ['rport', null]])));
  h.appendTyped('from', new NameAddr(sipUri({ user: '1001', host: 'pbx.example' }), 'Agent "7"', new Map([['tag', 'f1']])));
  h.appendTyped('to', new NameAddr(sipUri({ user: '1002', host: 'pbx.example' })));
  h.appendTyped('call-id', 'abc@pbx');
  h.appendTyped('cseq', { seq: 2, method: 'REGISTER' });
  h.appendTyped('max-forwards', 70);
  const req = new SipRequest('REGISTER', sipUri({ host: 'pbx.example' }), h);
  const back = parseMessage(serializeMessage(req));
  t.is(back.kind, 'request');
  t.is(back.topVia()?.host, '2001:db8::1');
  t.is(back.topVia()?.rport, true);
  t.is(back.from()?.displayName, 'Agent "7"');
  t.is(back.from()?.tag, 'f1');
  t.deepEqual(back.cseq(), { seq: 2, method: 'REGISTER' });
  t.is(back.maxForwards(), 70);
  const res = new SipResponse(486);
  t.is(res.reason, 'Busy Here');
  t.regex(serializeMessage(res).toString(), /^SIP\/2\.0 486 Busy Here\r\nContent-Length: 0\r\n\r\n$/);
});

test('RFC 4475 wsinv: folding, LWS, leading zeros, compact forms, unknown headers kept', (t) => {
  const msg = parseMessage(torture('wsinv'));
  if (msg.kind !== 'request') return t.fail();
  t.is(msg.method, 'INVITE');
  t.is(msg.to()?.tag, '1918181833n');
  t.is(msg.from()?.displayName, 'J Rosenberg \\"');
  t.is(msg.from()?.tag, '98asjd8');
  t.is(msg.maxForwards(), 68);
  t.deepEqual(msg.cseq(), { seq: 9, method: 'INVITE' });
  t.deepEqual(msg.via().map((v) => [v.transport, v.host, v.branch]), [
    ['UDP', '192.0.2.2', '390skdjuw'],
    ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
    ['UDP', '192.168.255.111', 'z9hG4bK30239'],
  ]);
  t.is(msg.headers.get('NewFangledHeader'), 'newfangled value continued newfangled value');
  t.is(msg.headers.get('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  t.is(msg.headers.get('subject'), '');
  t.is(msg.routes().length, 1);
  t.is(msg.contactAddresses()[0]?.q, 0.33);
  t.is(msg.body.length, 150);
  t.true(msg.body.toString().startsWith('v=0\r\n'));
});

test('RFC 4475 intmeth: unusual method token, NUL inside quoted display name, UTF-8 values', (t) => {
  const msg = parseMessage(torture('intmeth'));
  if (msg.kind !== 'request') return t.fail();
  t.is(msg.method, "!interesting-Method0123456789_*+`.%indeed'~");
  t.is(msg.to()?.displayName, 'BEL:\u0007 NUL:\u0000 DEL:\u007f');
  t.is(msg.headers.get("extensionHeader-!.%*+_`'~"), '\uFEFF\u5927\u505C\u96FB');
  t.is(msg.callId(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
});

test('RFC 4475 dblreq: only the first message of a datagram is read', (t) => {
  const msg = parseMessage(torture('dblreq'));
  t.is(msg.kind === 'request' ? msg.method : '', 'REGISTER');
  t.is(msg.body.length, 0);
});

test('RFC 4475 mpart01: binary body framed by Content-Length on bytes', (t) => {
  const raw = torture('mpart01');
  const msg = parseMessage(raw);
  t.is(msg.body.length, 553);
  t.true(msg.body.includes(0));
  t.deepEqual(msg.body, raw.subarray(raw.length - 553));
});

test('RFC 4475 unreason / noreason: UTF-8 and empty reason phrases', (t) => {
  const u = parseMessage(torture('unreason'));
  t.true(u.kind === 'response' && u.reason.startsWith('= 2**3 * 5**2 но сто девяносто девять'));
  const n = parseMessage(torture('noreason'));
  t.true(n.kind === 'response' && n.status === 100 && n.reason === '');
});

test('RFC 4475 esc01 / semiuri / escnull: Request-URI and addresses decoded, not re-interpreted', (t) => {
  const e = parseMessage(torture('esc01'));
  t.true(e.kind === 'request' && isSipUri(e.uri) && e.uri.scheme === 'sip' && e.uri.user === 'sips:user@example.com');
  const s = parseMessage(torture('semiuri'));
  t.true(s.kind === 'request' && isSipUri(s.uri) && s.uri.user === 'user;par=u@example.net' && s.uri.host === 'example.com');
  t.deepEqual(s.headers.getAll('accept'), ['application/sdp', 'application/pkcs7-mime', 'multipart/mixed', 'multipart/signed', 'message/sip', 'message/sipfrag']);
  const n = parseMessage(torture('escnull'));
  t.deepEqual(n.contactAddresses().map((c) => (isSipUri(c.uri) ? c.uri.user : null)), ['\u0000', '\u0000\u0000']);
});

test('RFC 4475 esc02: a method with % is not REGISTER, and C%6Fntact is not Contact', (t) => {
  const msg = parseMessage(torture('esc02'));
  t.true(msg.kind === 'request' && msg.method === 'RE%47IST%45R');
  t.is(msg.contacts().length, 2);
  t.is(msg.headers.get('C%6Fntact'), '<sip:alias2@host2.example.com>');
});

test('leading CRLFs before the start line are ignored (RFC 3261 §7.5)', (t) => {
  const msg = parseMessage(Buffer.concat([Buffer.from('\r\n\r\n'), crlf(INVITE)]));
  t.is(msg.kind, 'request');
});

test('IPv6 messages (RFC 5118 §4.1, §4.5): bracketed hosts in the Request-URI, Via and Contact', (t) => {
  const msg = parseMessage(
    crlf([
      'REGISTER sip:[2001:db8::10] SIP/2.0',
      'To: sip:user@example.com',
      'From: sip:user@example.com;tag=81x2',
      'Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111;received=[2001:db8::9:255]',
      'Call-ID: SSG9559905523997077@hlau_4100',
      'Max-Forwards: 70',
      'Contact: "Caller" <sip:caller@[2001:db8::9:1]>',
      'CSeq: 98176 REGISTER',
      'Content-Length: 0',
      '',
      '',
    ]),
  );
  t.true(msg.kind === 'request' && isSipUri(msg.uri) && msg.uri.host === '2001:db8::10');
  t.is(msg.topVia()?.received, '2001:db8::9:255');
  const c = msg.contactAddresses()[0];
  t.true(c !== undefined && isSipUri(c.uri) && c.uri.host === '2001:db8::9:1');
  // RFC 5118 §4.2: the same REGISTER with an unbracketed IPv6 Request-URI is malformed.
  t.throws(() => parseMessage(crlf(['REGISTER sip:2001:db8::10 SIP/2.0', 'Via: SIP/2.0/UDP h', 'Content-Length: 0', '', ''])), { instanceOf: ParseError });
});

const MALFORMED: Array<[string, Buffer]> = [
  ['empty buffer', Buffer.alloc(0)],
  ['only CRLFs', Buffer.from('\r\n\r\n\r\n')],
  ['no blank line after headers', Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n')],
  ['LF-only line ends', Buffer.from('OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h\n\n')],
  ['bare CR inside a header', crlf(['OPTIONS sip:a@b SIP/2.0', 'Subject: a\rb', '', ''])],
  ['request line with two elements', crlf(['OPTIONS sip:a@b', 'l: 0', '', ''])],
  ['request line with tab', crlf(['OPTIONS\tsip:a@b SIP/2.0', 'l: 0', '', ''])],
  ['bad version', crlf(['OPTIONS sip:a@b SIP/2', 'l: 0', '', ''])],
  ['method with non-token char', crlf(['OPT(IONS sip:a@b SIP/2.0', 'l: 0', '', ''])],
  ['status code with 2 digits', crlf(['SIP/2.0 20 OK', 'l: 0', '', ''])],
  ['status code 700', crlf(['SIP/2.0 700 Huh', 'l: 0', '', ''])],
  ['status line without code', crlf(['SIP/2.0', 'l: 0', '', ''])],
  ['continuation before any header', crlf(['OPTIONS sip:a@b SIP/2.0', ' folded', 'l: 0', '', ''])],
  ['header without colon', crlf(['OPTIONS sip:a@b SIP/2.0', 'Foobar roobar', '', ''])],
  ['header name with space', crlf(['OPTIONS sip:a@b SIP/2.0', 'Max Forwards: 70', '', ''])],
  ['empty header name', crlf(['OPTIONS sip:a@b SIP/2.0', ': 70', '', ''])],
  ['Content-Length larger than body', crlf(['OPTIONS sip:a@b SIP/2.0', 'l: 10', '', 'abc'])],
  ['negative Content-Length', crlf(['OPTIONS sip:a@b SIP/2.0', 'l: -1', '', ''])],
  ['huge Content-Length', crlf(['OPTIONS sip:a@b SIP/2.0', 'l: 99999999999999999999', '', ''])],
  ['two Content-Length', crlf(['OPTIONS sip:a@b SIP/2.0', 'l: 0', 'Content-Length: 0', '', ''])],
  ['CSeq beyond 2^31', crlf(['OPTIONS sip:a@b SIP/2.0', 'CSeq: 2147483648 OPTIONS', 'l: 0', '', ''])],
  ['CSeq without method', crlf(['OPTIONS sip:a@b SIP/2.0', 'CSeq: 1', 'l: 0', '', ''])],
  ['Max-Forwards not a number', crlf(['OPTIONS sip:a@b SIP/2.0', 'Max-Forwards: ten', 'l: 0', '', ''])],
  ['Call-ID with space', crlf(['OPTIONS sip:a@b SIP/2.0', 'Call-ID: a b', 'l: 0', '', ''])],
  ['empty Via element', crlf(['OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1,,', 'l: 0', '', ''])],
  ['unterminated quote in From', crlf(['OPTIONS sip:a@b SIP/2.0', 'From: "abc <sip:a@b>', 'l: 0', '', ''])],
  ['Route without brackets closing', crlf(['OPTIONS sip:a@b SIP/2.0', 'Route: <sip:p@q;lr', 'l: 0', '', ''])],
  ['Request-URI with space inside brackets', crlf(['INVITE <sip:a@b> SIP/2.0', 'l: 0', '', ''])],
];

for (const [name, buf] of MALFORMED) {
  test(`malformed: ${name} → ParseError`, (t) => {
    const err = t.throws(() => parseMessage(buf), { instanceOf: ParseError });
    t.true((err?.offset ?? -1) >= 0 && (err?.offset ?? Infinity) <= buf.length, `offset ${String(err?.offset)} inside the buffer`);
  });
}

test('limits: 64 KiB message, Via count', (t) => {
  const big = Buffer.concat([crlf(['OPTIONS sip:a@b SIP/2.0', 'X-Pad: ']), Buffer.alloc(MAX_MESSAGE_BYTES, 0x61), Buffer.from('\r\n\r\n')]);
  t.throws(() => parseMessage(big), { instanceOf: MessageTooLargeError });
  const vias = Array.from({ length: MAX_VIA_COUNT + 1 }, (_, i) => `Via: SIP/2.0/UDP h${i};branch=z9hG4bK${i}`);
  t.throws(() => parseMessage(crlf(['OPTIONS sip:a@b SIP/2.0', ...vias, 'l: 0', '', ''])), { instanceOf: MessageTooLargeError });
  const ok = Array.from({ length: MAX_VIA_COUNT }, (_, i) => `Via: SIP/2.0/UDP h${i};branch=z9hG4bK${i}`);
  t.is(parseMessage(crlf(['OPTIONS sip:a@b SIP/2.0', ...ok, 'l: 0', '', ''])).via().length, MAX_VIA_COUNT);
});

test('stream option: Content-Length is mandatory', (t) => {
  const noCl = crlf(['OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/TCP h;branch=z9hG4bK1', '', '']);
  t.is(parseMessage(noCl).body.length, 0);
  t.throws(() => parseMessage(noCl, { stream: true }), { instanceOf: ParseError });
});

test('serializer never lets a value set in code inject a header line', (t) => {
  const req = new SipRequest('OPTIONS', sipUri({ host: 'h' }));
  req.headers.append('Subject', 'x\r\nVia: SIP/2.0/UDP evil');
  const back = parseMessage(serializeMessage(req));
  t.false(back.headers.has('via'));
  t.is(back.headers.get('subject'), 'x Via: SIP/2.0/UDP evil');
});
