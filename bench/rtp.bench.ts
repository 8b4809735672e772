/**
 * RTP/RTCP codec throughput: packets per second for encode, decode and the jitter buffer
 * push+pop path of a 20 ms PCMA stream. `npx tsx bench/run.ts rtp`
 */
import { JitterBuffer } from '../appliance/media/rtp/jitter-buffer.js';
import { decode, encodeInto, rtpPacket } from '../appliance/media/rtp/packet.js';
import * as rtcp from '../appliance/media/rtp/rtcp.js';

function bench(name: string, fn: (i: number) => void, n = 2_000_000): void {
  for (let i = 0; i < 20_000; i++) fn(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`${name.padEnd(34)} ${(1e9 / ns / 1e6).toFixed(2).padStart(6)} M pkt/s  ${ns.toFixed(0).padStart(5)} ns/pkt`);
}

const payload = new Uint8Array(160).fill(0xd5);
const pkt = rtpPacket({ payloadType: 8, sequenceNumber: 1, timestamp: 160, ssrc: 0x1234, payload });
const buf = new Uint8Array(1500);
const wire = buf.slice(0, encodeInto(pkt, buf, 0));

console.log(`RTP, 172-byte PCMA packets, node ${process.version}`);
bench('RTP encodeInto (preallocated)', (i) => {
  pkt.sequenceNumber = i & 0xffff;
  encodeInto(pkt, buf, 0);
});
bench('RTP decode (views)', () => decode(wire));

const compound = rtcp.encode([
  { type: 'sr', ssrc: 1, ntpSec: 2, ntpFrac: 3, rtpTimestamp: 4, packetCount: 5, octetCount: 6, reports: [{ ssrc: 7, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 9, jitter: 10, lastSr: 11, delaySinceLastSr: 12 }] },
  { type: 'sdes', chunks: [{ ssrc: 1, items: [{ type: 1, text: 'agent-17@hotline' }] }] },
]);
bench('RTCP SR+SDES decode', () => rtcp.decode(compound), 500_000);

const jb = new JitterBuffer({ law: 'PCMA' });
bench(
  'jitter buffer push+pop (20 ms PCMA)',
  (i) => {
    jb.push((i * 160) >>> 0, payload, i * 20);
    jb.pop();
  },
  500_000,
);
