import test from 'ava';
import { ParseError } from '../../core/errors.js';
import { decode, encode, encodeInto, encodedSize, rtpPacket } from './packet.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// V=2 P=0 X=0 CC=0 | M=1 PT=8 | seq=0x1234 | ts=0x000000a0 | ssrc=0xdeadbeef | 4 bytes PCMA
const SIMPLE = '80 88 1234 000000a0 deadbeef d5d5d555';
// V=2 P=1 X=1 CC=2 | M=0 PT=0 | seq=0xffff | ts=0xfffffff0 | ssrc=1 | csrc 2,3 |
// ext profile 0xbede len 1: 10 aa 00 00 | payload 0102 | padding 3: 00 00 03
const FULL = 'b2 00 ffff fffffff0 00000001 00000002 00000003 bede0001 10aa0000 0102 000003';

test('decodes a plain PCMA packet (golden bytes)', (t) => {
  const p = decode(hex(SIMPLE));
  t.true(p.marker);
  t.is(p.payloadType, 8);
  t.is(p.sequenceNumber, 0x1234);
  t.is(p.timestamp, 0xa0);
  t.is(p.ssrc, 0xdeadbeef);
  t.deepEqual(p.csrc, []);
  t.is(p.extension, null);
  t.is(toHex(p.payload), 'd5d5d555');
  t.is(p.paddingSize, 0);
});

test('golden round trip: plain packet', (t) => {
  t.is(toHex(encode(decode(hex(SIMPLE)))), toHex(hex(SIMPLE)));
});

test('decodes CSRC list, header extension and padding (golden bytes)', (t) => {
  const p = decode(hex(FULL));
  t.false(p.marker);
  t.is(p.payloadType, 0);
  t.is(p.sequenceNumber, 0xffff);
  t.is(p.timestamp, 0xfffffff0);
  t.deepEqual(p.csrc, [2, 3]);
  t.is(p.extension?.profile, 0xbede);
  t.is(toHex(p.extension?.data ?? new Uint8Array()), '10aa0000');
  t.is(toHex(p.payload), '0102');
  t.is(p.paddingSize, 3);
});

test('golden round trip: CSRC + extension + padding', (t) => {
  const raw = hex(FULL);
  const p = decode(raw);
  t.is(encodedSize(p), raw.length);
  t.is(toHex(encode(p)), toHex(raw));
});

test('payload is a view into the input, not a copy', (t) => {
  const raw = hex(SIMPLE);
  const p = decode(raw);
  raw[12] = 0x11;
  t.is(p.payload[0], 0x11);
});

test('encodeInto writes at an offset and returns the size', (t) => {
  const p = rtpPacket({ payloadType: 8, sequenceNumber: 7, timestamp: 160, ssrc: 42, payload: new Uint8Array(160).fill(0xd5) });
  const buf = new Uint8Array(300);
  const n = encodeInto(p, buf, 10);
  t.is(n, 172);
  const back = decode(buf.subarray(10, 10 + n));
  t.is(back.sequenceNumber, 7);
  t.is(back.timestamp, 160);
  t.is(back.payload.length, 160);
});

test('encodeInto refuses a buffer that is too small', (t) => {
  const p = rtpPacket({ payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: new Uint8Array(160) });
  t.throws(() => encodeInto(p, new Uint8Array(100)), { instanceOf: RangeError });
});

const malformed: Array<[string, string, RegExp, number]> = [
  ['rejects RTP shorter than the 12-byte header', '80 08 0001 00000000 0000', /too short/, 0],
  ['rejects version 1', '40 08 0001 00000000 00000000', /version 1/, 0],
  ['rejects version 0 (e.g. STUN on the RTP port)', '00 01 0050 2112a442 00000000', /version 0/, 0],
  ['rejects a CSRC count beyond the packet', '83 08 0001 00000000 00000000 00000001', /CSRC count 3/, 12],
  ['rejects an extension header cut short', '90 08 0001 00000000 00000000 bede', /extension header beyond/, 12],
  ['rejects an extension length beyond the packet', '90 08 0001 00000000 00000000 bede0004 00000000', /extension length 4/, 14],
  ['rejects padding larger than the packet body', 'a0 08 0001 00000000 00000000 d5d5 09', /padding 9/, 14],
  ['rejects a zero padding count', 'a0 08 0001 00000000 00000000 d5d5 00', /padding 0/, 14],
];
for (const [name, bytes, msg, offset] of malformed) {
  test(name, (t) => {
    const err = t.throws(() => decode(hex(bytes)), { instanceOf: ParseError, message: msg });
    t.is(err?.code, 'PARSE');
    t.is(err?.offset, offset);
  });
}

test('padding equal to the whole body leaves an empty payload', (t) => {
  const p = decode(hex('a0 08 0001 00000000 00000000 00000004'));
  t.is(p.payload.length, 0);
  t.is(p.paddingSize, 4);
});
