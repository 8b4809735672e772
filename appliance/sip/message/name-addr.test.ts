import test from 'ava';
import { ParseError } from '../../core/errors.js';
import { Contact, parseContact, serializeContact, WILDCARD } from './contact.js';
import { parseNameAddr, serializeNameAddr } from './name-addr.js';
import { isSipUri, serializeUri } from './uri.js';

test('name-addr with quoted display name, escapes and tag (RFC 4475 wsinv From)', (t) => {
  const na = parseNameAddr('"J Rosenberg \\\\\\""       <sip:jdrosen@example.com> ; tag = 98asjd8');
  t.is(na.displayName, 'J Rosenberg \\"');
  t.is(serializeUri(na.uri), 'sip:jdrosen@example.com');
  t.is(na.tag, '98asjd8');
  t.is(serializeNameAddr(na), '"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>;tag=98asjd8');
  t.deepEqual(parseNameAddr(serializeNameAddr(na)), na);
});

test('unquoted display name of tokens, with or without space before "<" (RFC 4475 lwsdisp, intmeth)', (t) => {
  t.is(parseNameAddr('caller<sip:caller@example.com>;tag=323').displayName, 'caller');
  t.is(parseNameAddr("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>").displayName, "token1~` token2'+_ token3*%!.-");
  t.is(parseNameAddr('<sip:a@b>').displayName, null);
});

test('display name keeps NUL/BEL/DEL given as quoted-pairs (RFC 4475 intmeth)', (t) => {
  const na = parseNameAddr('"BEL:\\\u0007 NUL:\\\u0000 DEL:\\\u007f" <sip:x@example.com>');
  t.is(na.displayName, 'BEL:\u0007 NUL:\u0000 DEL:\u007f');
});

test('addr-spec: parameters after the URI are header parameters (RFC 3261 §20.10, RFC 4475 cparam01)', (t) => {
  const c = parseContact('sip:+19725552222@gw1.example.net;unknownparam') as Contact;
  t.true(c.params.has('unknownparam'));
  t.true(isSipUri(c.uri) && c.uri.params.size === 0);
  const d = parseContact('<sip:+19725552222@gw1.example.net;unknownparam>') as Contact;
  t.false(d.params.has('unknownparam'));
  t.true(isSipUri(d.uri) && d.uri.params.has('unknownparam'));
});

test('Contact expires and q, wildcard, clamping (RFC 4475 scalar02)', (t) => {
  const c = parseContact('"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33') as Contact;
  t.is(c.q, 0.33);
  t.is(c.params.get('newparam'), 'newvalue');
  t.is(c.params.get('secondparam'), null);
  t.is(c.expires, null);
  const big = parseContact('<sip:user@host129.example.com>;expires=280297596632815') as Contact;
  t.is(big.expires, 0xffffffff);
  t.is(parseContact('*'), WILDCARD);
  t.is(serializeContact(WILDCARD), '*');
  big.expires = 3600;
  t.is(serializeContact(big), '<sip:user@host129.example.com>;expires=3600');
});

test('named malformed addresses', (t) => {
  for (const bad of [
    '"Mr. J. User <sip:j.user@example.com>',
    'Bell, Alexander <sip:a.g.bell@example.com>;tag=43',
    '"Watson, Thomas" < sip:t.watson@example.org >',
    'sip:user@example.com?Route=%3Csip:sip.example.com%3E',
    '<sip:joe@example.org>;;;;',
    '<sip:joe@example.org',
    '"Joe" sip:joe@example.org',
    '<sip:a@b>;q=2',
    '<sip:a@b>;expires=soon',
    '<sip:a@b> trailing',
    '',
  ]) t.throws(() => (bad.includes('q=') || bad.includes('expires') ? parseContact(bad) : parseNameAddr(bad)), { instanceOf: ParseError }, bad);
});
