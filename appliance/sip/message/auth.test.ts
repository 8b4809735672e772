import test from 'ava';
import { ParseError } from '../../core/errors.js';
import { challengeValue, credentialsValue, digestChallenge, digestCredentials, parseAuth, serializeAuth } from './auth.js';

test('RFC 7616 §3.9.1 challenge: realm, qop list, algorithm, nonce, opaque', (t) => {
  const a = parseAuth(
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
  );
  const c = digestChallenge(a);
  t.is(c.realm, 'http-auth@example.org');
  t.deepEqual(c.qop, ['auth', 'auth-int']);
  t.is(c.algorithm, 'SHA-256');
  t.is(c.nonce, '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v');
  t.is(c.opaque, 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS');
  t.false(c.stale);
});

test('challenge round trip quotes qop and leaves stale/algorithm bare', (t) => {
  const text = serializeAuth(challengeValue({ realm: 'pbx', nonce: 'n1', opaque: null, stale: true, algorithm: 'MD5', qop: ['auth'], domain: null, userhash: false }), 'challenge');
  t.is(text, 'Digest realm="pbx", nonce="n1", stale=true, algorithm=MD5, qop="auth"');
  t.true(digestChallenge(parseAuth(text)).stale);
});

test('credentials: username with quoted escapes, nc, cnonce, qop token, response', (t) => {
  const a = parseAuth(
    'Digest username="Mufa\\"sa", realm="biloxi.com", nonce="dcd98b", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c"',
  );
  const c = digestCredentials(a);
  t.is(c.username, 'Mufa"sa');
  t.is(c.uri, 'sip:bob@biloxi.com');
  t.is(c.nc, '00000001');
  t.is(c.qop, 'auth');
  t.is(c.algorithm, 'MD5');
  const again = digestCredentials(parseAuth(serializeAuth(credentialsValue(c))));
  t.deepEqual(again, c);
  t.regex(serializeAuth(credentialsValue(c)), /qop=auth, nc=00000001/);
});

test('RFC 7616 username* in RFC 8187 encoding', (t) => {
  const c = digestCredentials(parseAuth("Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=\"r\", nonce=\"n\", uri=\"/\", response=\"x\""));
  t.is(c.username, 'Jäsøn Doe');
});

test('unknown scheme parses without being Digest (RFC 4475 regaut01)', (t) => {
  const a = parseAuth('NoOneKnowsThisScheme opaque-data=here');
  t.is(a.scheme, 'NoOneKnowsThisScheme');
  t.is(a.params.get('opaque-data'), 'here');
  t.throws(() => digestCredentials(a), { instanceOf: ParseError });
  t.is(parseAuth('Bearer abc.def==').opaque, 'abc.def==');
});

test('named malformed Digest values', (t) => {
  const bad = [
    'Digest realm="unterminated',
    'Digest realm="a" nonce="b"',
    'Digest realm="a", realm="b"',
    'Digest username="u", realm="r", nonce="n", uri="/", response="x", qop=auth',
    'Digest username="u", realm="r", nonce="n", uri="/", response="x", qop=auth, cnonce="c", nc=1',
    'Digest realm="r"',
  ];
  for (const b of bad) t.throws(() => digestCredentials(parseAuth(b)), { instanceOf: ParseError }, b);
});
