/**
 * SIP parser throughput: parseMessage (which also parses Via/From/To/Call-ID/CSeq/Max-Forwards/
 * Contact/Route eagerly) + validateRequest, and serializeMessage, for a typical INVITE with SDP and
 * a REGISTER with Digest credentials. `npx tsx bench/run.ts sip-parse [seconds-per-case]`.
 */
import { parseMessage } from '../appliance/sip/parser/parse-message.js';
import { serializeMessage } from '../appliance/sip/parser/serialize.js';
import { validateRequest } from '../appliance/sip/parser/validate.js';

const sdp = [
  'v=0',
  'o=- 3913647821 3913647821 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 40000 RTP/AVP 8 0 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

const INVITE = Buffer.from(
  [
    'INVITE sip:1002@pbx.example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---77ba3a3b1e0e5f3c;rport',
    'Max-Forwards: 70',
    'Contact: <sip:1001@192.0.2.10:5060;transport=udp>',
    'To: <sip:1002@pbx.example.com>',
    'From: "Agent 1001" <sip:1001@pbx.example.com>;tag=3c2f8d1e',
    'Call-ID: NzU4OGYwNTk3ZjI1NmVmNDc0ZDk2YjZlYmU2NWY3NzM',
    'CSeq: 2 INVITE',
    'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE, UPDATE',
    'Content-Type: application/sdp',
    'Supported: replaces, timer, 100rel',
    'User-Agent: Yealink SIP-T46S 66.86.0.15',
    'Proxy-Authorization: Digest username="1001",realm="pbx",nonce="5f1b2c3d4e5f6a7b",uri="sip:1002@pbx.example.com",response="0123456789abcdef0123456789abcdef",algorithm=MD5,cnonce="a1b2c3",qop=auth,nc=00000001',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n'),
);

const REGISTER = Buffer.from(
  [
    'REGISTER sip:pbx.example.com SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---0c1d2e3f4a5b6c7d;rport',
    'Max-Forwards: 70',
    'Contact: <sip:1001@192.0.2.10:5060;rinstance=9a8b7c6d;transport=udp>;expires=3600',
    'To: <sip:1001@pbx.example.com>',
    'From: <sip:1001@pbx.example.com>;tag=9f8e7d6c',
    'Call-ID: YjE2ZDk1NWI3YjE4ZTgzNmI1NDdmYjA0YjA2ZGQ4ZjA',
    'CSeq: 3 REGISTER',
    'Expires: 3600',
    'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE',
    'User-Agent: Zoiper rv2.10.19.4',
    'Authorization: Digest username="1001",realm="pbx",nonce="5f1b2c3d4e5f6a7b",uri="sip:pbx.example.com",response="0123456789abcdef0123456789abcdef",algorithm=MD5,cnonce="a1b2c3",qop=auth,nc=00000002',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n'),
);

const seconds = Number(process.argv[2] ?? 2);

function run(name: string, fn: () => void): void {
  for (let i = 0; i < 20_000; i++) fn(); // warm-up (JIT)
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
  }
  const ms = performance.now() - t0;
  const perSec = (n / ms) * 1000;
  console.log(`${name.padEnd(36)} ${Math.round(perSec).toLocaleString('en-US').padStart(10)} msgs/s  ${((ms * 1000) / n).toFixed(2).padStart(7)} µs/msg`);
}

console.log(`sip-parse (node ${process.version}, ${seconds} s per case)`);
console.log(`INVITE with SDP: ${INVITE.length} bytes; REGISTER: ${REGISTER.length} bytes`);
run('parse+validate INVITE (SDP)', () => {
  const m = parseMessage(INVITE);
  if (m.kind === 'request') validateRequest(m);
});
run('parse+validate REGISTER', () => {
  const m = parseMessage(REGISTER);
  if (m.kind === 'request') validateRequest(m);
});
run('parse INVITE + read Authorization', () => {
  parseMessage(INVITE).proxyAuthorization();
});
const inv = parseMessage(INVITE);
const reg = parseMessage(REGISTER);
run('serialize INVITE (typed headers)', () => {
  serializeMessage(inv);
});
run('serialize REGISTER (typed headers)', () => {
  serializeMessage(reg);
});
