import test from 'ava';
import type { Request } from 'express';
import { cookieMode, parseCookies } from './cookies.js';

const req = (secure: boolean, remoteAddress: string): Request => ({ secure, socket: { remoteAddress } }) as unknown as Request;

test('HTTPS: __Host- prefix and Secure', (t) => {
  t.deepEqual(cookieMode(req(true, '10.0.0.5'), false), { prefix: '__Host-', secure: true, unusable: false });
  t.deepEqual(cookieMode(req(true, '127.0.0.1'), false), { prefix: '__Host-', secure: true, unusable: false });
});

test('plain HTTP from loopback: `sid` without Secure (browsers drop Secure cookies there)', (t) => {
  t.deepEqual(cookieMode(req(false, '127.0.0.1'), false), { prefix: '', secure: false, unusable: false });
  t.deepEqual(cookieMode(req(false, '::ffff:127.0.0.10'), false), { prefix: '', secure: false, unusable: false });
});

test('plain HTTP from the network: still __Host-/Secure, flagged unusable, unless insecureCookies', (t) => {
  t.deepEqual(cookieMode(req(false, '10.0.0.5'), false), { prefix: '__Host-', secure: true, unusable: true });
  t.deepEqual(cookieMode(req(false, '10.0.0.5'), true), { prefix: '', secure: false, unusable: false });
});

test('Cookie header parsing: first occurrence wins, quotes removed, junk ignored', (t) => {
  const m = parseCookies('a=1; b="two"; a=3; junk; =x; __Host-sid=abc');
  t.is(m.get('a'), '1');
  t.is(m.get('b'), 'two');
  t.is(m.get('__Host-sid'), 'abc');
  t.is(m.size, 3);
});
