import test from 'ava';
import { canonicalName, headerKey, Headers } from './headers.js';
import { parseVia } from './via.js';

test('compact forms map to their long names (RFC 3261 §7.3.3 and extensions)', (t) => {
  const expected: Record<string, string> = {
    i: 'Call-ID', m: 'Contact', f: 'From', t: 'To', v: 'Via', l: 'Content-Length', c: 'Content-Type', k: 'Supported',
    e: 'Content-Encoding', s: 'Subject', o: 'Event', r: 'Refer-To', u: 'Allow-Events', x: 'Session-Expires', b: 'Referred-By',
  };
  for (const [short, long] of Object.entries(expected)) {
    t.is(canonicalName(short), long);
    t.is(canonicalName(short.toUpperCase()), long);
    t.is(headerKey(short), long.toLowerCase());
  }
  t.is(canonicalName('mAx-FoRwArDs'), 'Max-Forwards');
  t.is(canonicalName('X-Custom'), 'X-Custom');
});

test('lookup is case-insensitive and compact-aware; order and multiplicity are kept', (t) => {
  const h = new Headers();
  h.append('v', 'SIP/2.0/UDP a;branch=z9hG4bK1');
  h.append('To', 'sip:x@y');
  h.append('VIA', 'SIP/2.0/TCP b;branch=z9hG4bK2, SIP/2.0/UDP c;branch=z9hG4bK3');
  t.is(h.count('via'), 3);
  t.deepEqual(h.typed('via').map((v) => v.host), ['a', 'b', 'c']);
  t.deepEqual(h.entries().map((e) => e.name), ['Via', 'To', 'Via', 'Via']);
  h.prepend('Via', 'SIP/2.0/UDP top;branch=z9hG4bK0');
  t.is(h.typed('via')[0]?.host, 'top');
  t.is(h.delete('V'), 4);
  t.false(h.has('via'));
});

test('typed values are cached and edits show in the text', (t) => {
  const h = new Headers();
  h.append('Via', 'SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKa');
  const via = h.single('via');
  t.is(via, h.single('via'));
  if (via) via.received = '203.0.113.9';
  t.is(h.get('via'), 'SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKa;received=203.0.113.9');
  h.prependTyped('via', parseVia('SIP/2.0/TCP me;branch=z9hG4bKme'));
  t.deepEqual(h.getAll('via'), ['SIP/2.0/TCP me;branch=z9hG4bKme', 'SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bKa;received=203.0.113.9']);
});

test('set replaces all values in place; non-list headers are not split on commas', (t) => {
  const h = new Headers();
  h.append('Date', 'Sat, 13 Nov 2010 23:29:00 GMT');
  h.append('Supported', 'timer, 100rel');
  h.append('Subject', 'hi');
  t.is(h.count('date'), 1);
  t.deepEqual(h.getAll('k'), ['timer', '100rel']);
  h.set('supported', 'replaces');
  t.deepEqual(h.entries().map((e) => e.raw), ['Sat, 13 Nov 2010 23:29:00 GMT', 'replaces', 'hi']);
});
