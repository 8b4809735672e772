import test from 'ava';
import { cidrContains, inAnyCidr, isLoopback, parseCidr, parseCidrList } from './cidr.js';

test('IPv4 blocks match their members only', (t) => {
  const b = parseCidr('10.20.0.0/16')!;
  t.true(cidrContains(b, '10.20.255.1'));
  t.false(cidrContains(b, '10.21.0.1'));
  t.true(cidrContains(parseCidr('192.168.1.7')!, '192.168.1.7')); // bare address = /32
  t.false(cidrContains(parseCidr('192.168.1.7')!, '192.168.1.8'));
  t.true(cidrContains(parseCidr('0.0.0.0/0')!, '8.8.8.8'));
  t.true(cidrContains(parseCidr('10.20.9.9/16')!, '10.20.1.1')); // host bits ignored
});

test('IPv4-mapped IPv6 addresses match IPv4 blocks (dual-stack sockets)', (t) => {
  t.true(cidrContains(parseCidr('127.0.0.0/8')!, '::ffff:127.0.0.1'));
  t.true(cidrContains(parseCidr('::ffff:10.1.2.0/120')!, '10.1.2.3'));
  t.false(cidrContains(parseCidr('10.0.0.0/8')!, '::1'));
});

test('IPv6 blocks, including :: compression', (t) => {
  const b = parseCidr('2001:db8::/32')!;
  t.true(cidrContains(b, '2001:db8:1::5'));
  t.false(cidrContains(b, '2001:db9::1'));
  t.true(cidrContains(parseCidr('fe80::/10')!, 'fe80::1%eth0'));
});

test('malformed blocks are refused, never "match everything"', (t) => {
  for (const bad of ['10.0.0.0/33', '10.0.0/8', 'abc', '10.0.0.0/-1', '10.0.0.0/8/1', '::/129', '1.2.3.4/ 8', '']) t.is(parseCidr(bad), null, bad);
  const { blocks, invalid } = parseCidrList(['10.0.0.0/8', 'nope', ' ']);
  t.is(blocks.length, 1);
  t.deepEqual(invalid, ['nope']);
  t.false(inAnyCidr([], '10.0.0.1'));
});

test('loopback detection', (t) => {
  for (const ip of ['127.0.0.1', '127.0.0.10', '::1', '::ffff:127.0.0.2']) t.true(isLoopback(ip), ip);
  for (const ip of ['10.0.0.1', '::2', '', 'localhost']) t.false(isLoopback(ip), ip);
});
