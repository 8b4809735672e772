import test from 'ava';
import { ParseError } from '../../core/errors.js';
import { SDES_CNAME, decode, encode, encodedSize, middle32, ntpFromUnixMs, roundTripMs, type RtcpPacket } from './rtcp.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// SR, RC=0, length 6 (28 bytes)
const SR = '80c80006 11223344 e1a2b3c4 80000000 00001f40 00000032 00001f40';
// RR, RC=1, length 7: block for 0x55667788, fraction 0x40, cumulative -2, ext seq 1:65535,
// jitter 16, LSR 0xb3c48000, DLSR 1 s
const RR = '81c90007 11223344 55667788 40fffffe 0001ffff 00000010 b3c48000 00010000';
// SDES, SC=1, length 3: CNAME "a@b.c", null, no extra padding needed
const SDES = '81ca0003 11223344 0105 6140622e63 00';
// BYE, SC=1, length 2: reason "bye"
const BYE = '81cb0002 11223344 03 627965';

test('decodes a sender report (golden bytes)', (t) => {
  const [sr] = decode(hex(SR));
  t.like(sr, { type: 'sr', ssrc: 0x11223344, ntpSec: 0xe1a2b3c4, ntpFrac: 0x80000000, rtpTimestamp: 8000, packetCount: 50, octetCount: 8000 });
  if (sr?.type === 'sr') t.is(sr.reports.length, 0);
});

test('decodes a compound RR + SDES CNAME + BYE (golden bytes)', (t) => {
  const pkts = decode(hex(RR + SDES + BYE));
  t.is(pkts.length, 3);
  const [rr, sdes, bye] = pkts;
  t.is(rr?.type, 'rr');
  if (rr?.type === 'rr') {
    t.deepEqual(rr.reports, [
      {
        ssrc: 0x55667788,
        fractionLost: 0x40,
        cumulativeLost: -2,
        extendedHighestSeq: 0x1ffff,
        jitter: 16,
        lastSr: 0xb3c48000,
        delaySinceLastSr: 0x10000,
      },
    ]);
  }
  t.deepEqual(sdes, { type: 'sdes', chunks: [{ ssrc: 0x11223344, items: [{ type: SDES_CNAME, text: 'a@b.c' }] }] });
  t.deepEqual(bye, { type: 'bye', sources: [0x11223344], reason: 'bye' });
});

test('golden round trip: SR alone and RR+SDES+BYE compound', (t) => {
  t.is(toHex(encode(decode(hex(SR)))), toHex(hex(SR)));
  const compound = hex(RR + SDES + BYE);
  const pkts = decode(compound);
  t.is(encodedSize(pkts), compound.length);
  t.is(toHex(encode(pkts)), toHex(compound));
});

test('SDES chunk padding: CNAME length that already fills a word gets a full null word', (t) => {
  const pkts: RtcpPacket[] = [{ type: 'sdes', chunks: [{ ssrc: 1, items: [{ type: SDES_CNAME, text: 'ab' }] }] }];
  const raw = encode(pkts);
  // ssrc(4) + 01 02 'a' 'b' (4) + 4 null octets = 12, plus header 4
  t.is(raw.length, 16);
  t.deepEqual(decode(raw), pkts);
});

test('SR with report blocks and BYE without reason round-trip', (t) => {
  const pkts: RtcpPacket[] = [
    {
      type: 'sr',
      ssrc: 9,
      ntpSec: 1,
      ntpFrac: 2,
      rtpTimestamp: 3,
      packetCount: 4,
      octetCount: 5,
      reports: [
        { ssrc: 10, fractionLost: 255, cumulativeLost: 0x7fffff, extendedHighestSeq: 7, jitter: 8, lastSr: 0, delaySinceLastSr: 0 },
        { ssrc: 11, fractionLost: 0, cumulativeLost: -0x800000, extendedHighestSeq: 0xffffffff, jitter: 0, lastSr: 1, delaySinceLastSr: 2 },
      ],
    },
    { type: 'bye', sources: [9, 12], reason: null },
  ];
  t.deepEqual(decode(encode(pkts)), pkts);
});

test('unknown packet types (APP, feedback) are kept, not rejected', (t) => {
  const raw = hex(RR + '80cd0002 11223344 55667788');
  const pkts = decode(raw);
  t.like(pkts[1], { type: 'unknown', packetType: 205, count: 0 });
  t.is(toHex(encode(pkts)), toHex(raw));
});

const malformed: Array<[string, string, RegExp]> = [
  ['rejects RTCP shorter than a header', '80c8', /too short/],
  ['rejects RTCP version 1', '40c80006' + '00'.repeat(24), /version 1/],
  ['rejects a length field beyond the compound', '80c80007' + '00'.repeat(24), /runs beyond/],
  ['rejects an SR shorter than its sender info', '80c80002 11223344 00000000', /shorter than sender info/],
  ['rejects a report count beyond the packet', '82c90007 11223344' + '00'.repeat(24), /report count 2/],
  ['rejects an SDES item length beyond the packet', '81ca0002 11223344 01 09 6162', /item length 9/],
  ['rejects an unterminated SDES chunk', '81ca0002 11223344 01 02 6162', /not terminated/],
  ['rejects a BYE source count beyond the packet', '83cb0001 11223344', /source count 3/],
  ['rejects padding on a packet that is not last', 'a0c90001 11223344' + BYE, /not last/],
  ['rejects a zero padding count', 'a0c90002 11223344 00000000', /padding 0/],
];
for (const [name, bytes, msg] of malformed) {
  test(name, (t) => {
    t.throws(() => decode(hex(bytes)), { instanceOf: ParseError, message: msg });
  });
}

test('NTP conversion and middle 32 bits', (t) => {
  const { ntpSec, ntpFrac } = ntpFromUnixMs(1_700_000_000_500);
  t.is(ntpSec, 1_700_000_000 + 2208988800);
  t.is(ntpFrac, 0x80000000);
  t.is(middle32(0x1234abcd, 0x80000000), 0xabcd8000);
});

test('round-trip time from LSR/DLSR (RFC 3550 Figure 2 example)', (t) => {
  // Figure 2: A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s), DLSR = 0x0005:4000 (5.250 s)
  // RTT = 46864.500 - 46853.125 - 5.250 = 6.125 s
  t.is(roundTripMs(0xb7108000, { lastSr: 0xb7052000, delaySinceLastSr: 0x00054000 }), 6125);
  t.is(roundTripMs(0xb7108000, { lastSr: 0, delaySinceLastSr: 0 }), null);
});
