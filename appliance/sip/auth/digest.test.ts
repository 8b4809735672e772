/**
 * RFC 7616 §3.9.1 examples (the MD5 and SHA-256 responses for Mufasa / "Circle of Life"), and the
 * RFC 2617 §3.5 example, through digestResponse/ha1 exactly as the authenticator uses them.
 */
import test from 'ava';
import { digestResponse, ha1, sameDigest, serverAlgorithm } from './digest.js';

const rfc7616 = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
};

function respond(alg: 'MD5' | 'SHA-256', v: typeof rfc7616): string {
  return digestResponse({
    alg,
    ha1: ha1(alg, v.username, v.realm, v.password),
    method: v.method,
    uri: v.uri,
    nonce: v.nonce,
    qop: { qop: 'auth', nc: v.nc, cnonce: v.cnonce },
  });
}

test('RFC 7616 §3.9.1 SHA-256 example response', (t) => {
  t.is(respond('SHA-256', rfc7616), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
});

test('RFC 7616 §3.9.1 MD5 example response', (t) => {
  t.is(respond('MD5', rfc7616), '8ca523f5e9506fed4657c9700eebdbec');
});

test('RFC 2617 §3.5 example (MD5, qop=auth)', (t) => {
  const r = respond('MD5', {
    username: 'Mufasa',
    realm: 'testrealm@host.com',
    password: 'Circle Of Life',
    method: 'GET',
    uri: '/dir/index.html',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    cnonce: '0a4f113b',
    nc: '00000001',
  });
  t.is(r, '6629fae49393a05397450978507c4ef1');
});

test('a wrong password changes the response; comparison is case-insensitive hex', (t) => {
  t.not(respond('SHA-256', { ...rfc7616, password: 'circle of life' }), respond('SHA-256', rfc7616));
  t.true(sameDigest('ABCDEF', 'abcdef'));
  t.false(sameDigest('abcdef', 'abcde0'));
  t.false(sameDigest('abc', 'abcdef'));
});

test('algorithm names: MD5 and SHA-256 in any case; -sess and SHA-512-256 are not verified', (t) => {
  t.is(serverAlgorithm('md5'), 'MD5');
  t.is(serverAlgorithm('sha-256'), 'SHA-256');
  t.is(serverAlgorithm('MD5-sess'), null);
  t.is(serverAlgorithm('SHA-512-256'), null);
});
