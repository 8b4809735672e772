import test from 'ava';
import { ParseError } from '../../core/errors.js';
import { parseVia, serializeVia, Via } from './via.js';

test('parses sent-protocol, sent-by and the RFC 3261/3581 parameters', (t) => {
  const v = parseVia('SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5070;maddr=239.255.255.1;ttl=16');
  t.is(v.protocol, 'SIP');
  t.is(v.version, '2.0');
  t.is(v.transport, 'UDP');
  t.is(v.host, 'pc33.atlanta.com');
  t.is(v.port, 5066);
  t.is(v.branch, 'z9hG4bK776asdhds');
  t.true(v.isRfc3261Branch);
  t.is(v.received, '192.0.2.1');
  t.is(v.rport, 5070);
  t.is(v.maddr, '239.255.255.1');
  t.is(v.ttl, 16);
});

test('LWS around "/" and ";" and "=" is allowed (RFC 4475 wsinv)', (t) => {
  const v = parseVia('SIP  /   2.0 /UDP    192.0.2.2;branch=390skdjuw');
  t.is(v.transport, 'UDP');
  t.is(v.host, '192.0.2.2');
  const w = parseVia('SIP  / 2.0  / TCP     spindle.example.com   ;   branch  =   z9hG4bK9ikj8');
  t.is(w.branch, 'z9hG4bK9ikj8');
  t.is(serializeVia(w), 'SIP/2.0/TCP spindle.example.com;branch=z9hG4bK9ikj8');
});

test('rport without a value is a request for it (RFC 3581) and setters edit the params', (t) => {
  const v = parseVia('SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKx');
  t.is(v.rport, true);
  v.received = '198.51.100.7';
  v.rport = 40000;
  t.is(serializeVia(v), 'SIP/2.0/UDP 10.0.0.1;rport=40000;branch=z9hG4bKx;received=198.51.100.7');
  t.is(new Via('TCP', 'h').rport, null);
});

test('IPv6 sent-by and received, bracketed or not (RFC 5118 §4.5)', (t) => {
  const v = parseVia('SIP/2.0/UDP [2001:db8::9:1]:5060;branch=z9hG4bKas3-111;received=[2001:db8::9:255]');
  t.is(v.host, '2001:db8::9:1');
  t.is(v.port, 5060);
  t.is(v.received, '2001:db8::9:255');
  t.is(parseVia('SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255').received, '2001:db8::9:255');
  t.is(serializeVia(v), 'SIP/2.0/UDP [2001:db8::9:1]:5060;branch=z9hG4bKas3-111;received=[2001:db8::9:255]');
});

test('an RFC 2543 Via without branch parses (RFC 4475 inv2543)', (t) => {
  const v = parseVia('SIP/2.0/UDP iftgw.example.com');
  t.is(v.branch, null);
  t.false(v.isRfc3261Branch);
});

test('named malformed Via values', (t) => {
  for (const bad of [
    'SIP/2.0/UDP 192.0.2.15;;',
    'SIP/2.0/UDP 192.0.2.15;',
    'SIP/2.0 192.0.2.15',
    'SIP/2.0/UDP',
    'SIP/2.0/UDP host:99999',
    'SIP/2.0/UDP host;received=example.com',
    'SIP/2.0/UDP host;ttl=256',
    'SIP/2.0/UDP host;rport=x',
    'SIP/2.0/UDP host;branch',
    'SIP/2.0/UDP host;branch=a;branch=b',
    'SIP/2.0/UDP [2001:db8::1',
    'SIP/2.0/UDP host extra',
  ]) t.throws(() => parseVia(bad), { instanceOf: ParseError }, bad);
});
