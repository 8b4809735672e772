import test from 'ava';
import { ParseError } from '../../core/errors.js';
import { isSipUri, parseUri, serializeUri, type SipUri, type TelUri } from './uri.js';

function sip(text: string): SipUri {
  const u = parseUri(text);
  if (!isSipUri(u)) throw new Error(`not a SIP URI: ${text}`);
  return u;
}

test('parses every component of a SIP URI', (t) => {
  const u = sip('sips:alice:secret@Example.COM:5061;transport=tls;lr;maddr=239.255.255.1?subject=hi&priority=urgent');
  t.is(u.scheme, 'sips');
  t.is(u.user, 'alice');
  t.is(u.password, 'secret');
  t.is(u.host, 'Example.COM');
  t.is(u.port, 5061);
  t.deepEqual([...u.params], [
    ['transport', 'tls'],
    ['lr', null],
    ['maddr', '239.255.255.1'],
  ]);
  t.deepEqual(u.headers, [
    ['subject', 'hi'],
    ['priority', 'urgent'],
  ]);
});

test('IPv6 references keep the address without brackets and serialize with them (RFC 5118)', (t) => {
  const u = sip('sip:[2001:db8::1]:5070;transport=udp');
  t.is(u.host, '2001:db8::1');
  t.is(u.port, 5070);
  t.is(serializeUri(u), 'sip:[2001:db8::1]:5070;transport=udp');
  // RFC 5118 §4.3: the port-looking tail inside the brackets is part of the address.
  t.is(sip('sip:user@[2001:db8::10:5070]').host, '2001:db8::10:5070');
  t.is(sip('sip:user@[2001:db8::10:5070]').port, null);
});

test('RFC 5118 §4.2: an IPv6 address without brackets is rejected', (t) => {
  t.throws(() => parseUri('sip:user@2001:db8::10'), { instanceOf: ParseError });
  t.throws(() => parseUri('sip:user@[2001:db8::zz]'), { instanceOf: ParseError });
  t.throws(() => parseUri('sip:user@[2001:db8::1'), { instanceOf: ParseError });
});

test('escapes decode into the model and re-escape on output (RFC 4475 esc01)', (t) => {
  t.is(sip('sip:%75se%72@example.com').user, 'user');
  const r = sip('sip:sips%3Auser%40example.com@example.net');
  t.is(r.scheme, 'sip');
  t.is(r.user, 'sips:user@example.com');
  t.is(r.host, 'example.net');
  t.is(serializeUri(r), 'sip:sips%3Auser%40example.com@example.net');
  const c = sip('sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31');
  t.true(c.params.has('lr'));
  t.is(c.params.get('name'), 'value%41');
  t.is(serializeUri(c), 'sip:caller@host5.example.net;lr;name=value%2541');
  t.deepEqual(parseUri(serializeUri(c)), c);
});

test('escaped NUL stays in the user part (RFC 4475 escnull)', (t) => {
  const u = sip('sip:null-%00-null@example.com');
  t.is(u.user, 'null-\u0000-null');
  t.is(serializeUri(u), 'sip:null-%00-null@example.com');
});

test('user part may hold ";" "?" "/" "," (RFC 4475 semiuri, intmeth)', (t) => {
  t.is(sip('sip:user;par=u%40example.net@example.com').user, 'user;par=u@example.net');
  const u = sip("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
  t.is(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  t.is(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  t.is(u.host, 'example.com');
  t.deepEqual(parseUri(serializeUri(u)), u);
});

test('tel URIs (RFC 3966) keep the number and parameters', (t) => {
  const u = parseUri('tel:+1-201-555-0123;ext=1234;phone-context=example.com') as TelUri;
  t.is(u.scheme, 'tel');
  t.is(u.number, '+1-201-555-0123');
  t.is(u.params.get('ext'), '1234');
  t.is(serializeUri(u), 'tel:+1-201-555-0123;ext=1234;phone-context=example.com');
  t.throws(() => parseUri('tel:12 34'), { instanceOf: ParseError });
});

test('other schemes stay opaque (RFC 4475 unkscm, novelsc)', (t) => {
  const u = parseUri('nobodyKnowsThisScheme:totallyopaquecontent');
  t.is(u.scheme, 'nobodyknowsthisscheme');
  t.is(serializeUri(u), 'nobodyknowsthisscheme:totallyopaquecontent');
  t.is(parseUri('soap.beep://192.0.2.103:3002').scheme, 'soap.beep');
});

test('named malformed URIs give ParseError with an offset', (t) => {
  const cases: Array<[string, string]> = [
    ['<sip:user@example.com>', 'angle brackets (RFC 4475 ltgtruri)'],
    [' sip:user@example.com', 'leading space (RFC 4475 badaspec)'],
    ['sip:', 'no host'],
    ['sip:user@', 'empty host'],
    ['sip:@example.com', 'empty user'],
    ['sip:host:99999', 'port out of range'],
    ['sip:host:5o60', 'non-digit port'],
    ['sip:host;;lr', 'empty parameter'],
    ['sip:host;lr;lr', 'duplicate parameter'],
    ['sip:host;a=', 'empty parameter value'],
    ['sip:us%zzer@host', 'bad escape'],
    ['sip:us%4', 'truncated escape'],
    ['sip:host?Route', 'header without ='],
    ['sip:ho st', 'space in host'],
    ['sip:host.example.com:5060x', 'garbage after port'],
    [':nothing', 'empty scheme'],
    ['1sip:host', 'scheme starting with a digit'],
  ];
  for (const [text, why] of cases) {
    const err = t.throws(() => parseUri(text, 100), { instanceOf: ParseError }, why);
    t.true((err?.offset ?? -1) >= 100, `${why}: offset is relative to the message`);
  }
});
