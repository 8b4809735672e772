/**
 * RTCP, RFC 3550 §6.4 (SR, RR and report blocks), §6.5 (SDES, CNAME), §6.6 (BYE), and compound
 * packets (§6.1). Pure; same codec shape as packet.ts. Packet types we do not interpret (APP,
 * RTPFB/PSFB feedback, XR) are kept as `unknown` with their body so a compound packet still
 * decodes.
 *
 * Common header, RFC 3550 §6.4.1:
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P|    RC   |   PT=SR=200   |             length            |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                         SSRC of sender                        |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |              NTP timestamp, most significant word             |
 *    |             NTP timestamp, least significant word             |
 *    |                         RTP timestamp                         |
 *    |                     sender's packet count                     |
 *    |                      sender's octet count                     |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |                 SSRC_1 (SSRC of first source)                 |
 *    | fraction lost |       cumulative number of packets lost       |
 *    |           extended highest sequence number received           |
 *    |                      interarrival jitter                      |
 *    |                         last SR (LSR)                         |
 *    |                   delay since last SR (DLSR)                  |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *
 * "length: 16 bits. The length of this RTCP packet in 32-bit words minus one, including the
 * header and any padding."
 */
import { ParseError } from '../../core/errors.js';

export const RTCP_PT = { SR: 200, RR: 201, SDES: 202, BYE: 203, APP: 204 } as const;
export const SDES_CNAME = 1;

const HEADER_SIZE = 4;
const VERSION = 2;
const PADDING_BIT = 0x20;
const COUNT_MASK = 0x1f;
const PT_OFFSET = 1;
const LENGTH_OFFSET = 2;
const SSRC_SIZE = 4;
const SENDER_INFO_SIZE = 20;
const REPORT_BLOCK_SIZE = 24;
const MAX_COUNT = 31;

export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, 8-bit fixed point (lost/expected × 256). */
  fractionLost: number;
  /** Cumulative packets lost, signed 24-bit (duplicates can make it negative). */
  cumulativeLost: number;
  extendedHighestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  lastSr: number;
  delaySinceLastSr: number;
}

export interface SenderReport {
  type: 'sr';
  ssrc: number;
  ntpSec: number;
  ntpFrac: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
}

export interface ReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: ReportBlock[];
}

export interface SdesItem {
  type: number;
  text: string;
}

export interface SdesChunk {
  ssrc: number;
  items: SdesItem[];
}

export interface SourceDescription {
  type: 'sdes';
  chunks: SdesChunk[];
}

export interface Goodbye {
  type: 'bye';
  sources: number[];
  reason: string | null;
}

export interface UnknownRtcp {
  type: 'unknown';
  packetType: number;
  count: number;
  body: Uint8Array;
}

export type RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Goodbye | UnknownRtcp;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

function dvOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function need(buf: Uint8Array, off: number, n: number, what: string): void {
  if (buf.length < off + n) throw new ParseError(`RTCP ${what}: need ${off + n} bytes, have ${buf.length}`, off);
}

function decodeReportBlocks(dv: DataView, off: number, count: number, end: number): ReportBlock[] {
  const blocks: ReportBlock[] = [];
  if (off + count * REPORT_BLOCK_SIZE > end) {
    throw new ParseError(`RTCP report count ${count} runs beyond the packet`, off);
  }
  for (let i = 0; i < count; i++, off += REPORT_BLOCK_SIZE) {
    const lostWord = dv.getUint32(off + 4);
    const lost24 = lostWord & 0xffffff;
    blocks.push({
      ssrc: dv.getUint32(off),
      fractionLost: lostWord >>> 24,
      cumulativeLost: lost24 & 0x800000 ? lost24 - 0x1000000 : lost24,
      extendedHighestSeq: dv.getUint32(off + 8),
      jitter: dv.getUint32(off + 12),
      lastSr: dv.getUint32(off + 16),
      delaySinceLastSr: dv.getUint32(off + 20),
    });
  }
  return blocks;
}

function decodeSdes(buf: Uint8Array, start: number, end: number, count: number): SourceDescription {
  const dv = dvOf(buf);
  const chunks: SdesChunk[] = [];
  let off = start;
  for (let c = 0; c < count; c++) {
    if (off + SSRC_SIZE > end) throw new ParseError('RTCP SDES chunk beyond the packet', off);
    const ssrc = dv.getUint32(off);
    off += SSRC_SIZE;
    const items: SdesItem[] = [];
    // RFC 3550 §6.5: "The list of items in each chunk MUST be terminated by one or more null
    // octets ... followed by padding to the next 32-bit boundary."
    for (;;) {
      if (off >= end) throw new ParseError('RTCP SDES chunk not terminated', off);
      const type = buf[off] as number;
      if (type === 0) break;
      if (off + 2 > end) throw new ParseError('RTCP SDES item header beyond the packet', off);
      const len = buf[off + 1] as number;
      if (off + 2 + len > end) throw new ParseError(`RTCP SDES item length ${len} beyond the packet`, off + 1);
      items.push({ type, text: utf8d.decode(buf.subarray(off + 2, off + 2 + len)) });
      off += 2 + len;
    }
    off = (off + 4) & ~3;
    chunks.push({ ssrc, items });
  }
  return { type: 'sdes', chunks };
}

function decodeBye(buf: Uint8Array, start: number, end: number, count: number): Goodbye {
  const dv = dvOf(buf);
  if (start + count * SSRC_SIZE > end) throw new ParseError(`RTCP BYE source count ${count} beyond the packet`, start);
  const sources: number[] = [];
  for (let i = 0; i < count; i++) sources.push(dv.getUint32(start + i * SSRC_SIZE));
  let reason: string | null = null;
  const r = start + count * SSRC_SIZE;
  if (r < end) {
    const len = buf[r] as number;
    if (r + 1 + len > end) throw new ParseError(`RTCP BYE reason length ${len} beyond the packet`, r);
    reason = utf8d.decode(buf.subarray(r + 1, r + 1 + len));
  }
  return { type: 'bye', sources, reason };
}

/** Decode one RTCP packet at `off`; returns it and the offset of the next. */
function decodeOne(buf: Uint8Array, off: number): { packet: RtcpPacket; next: number } {
  need(buf, off, HEADER_SIZE, 'header');
  const dv = dvOf(buf);
  const b0 = buf[off] as number;
  const version = b0 >> 6;
  if (version !== VERSION) throw new ParseError(`RTCP version ${version}, expected 2`, off);
  const count = b0 & COUNT_MASK;
  const pt = buf[off + PT_OFFSET] as number;
  const size = (dv.getUint16(off + LENGTH_OFFSET) + 1) * 4;
  if (off + size > buf.length) {
    throw new ParseError(`RTCP length ${size} bytes runs beyond the compound (${buf.length - off} left)`, off + LENGTH_OFFSET);
  }
  const next = off + size;
  let end = next;
  if (b0 & PADDING_BIT) {
    // RFC 3550 A.2: "the padding bit (P) should be zero for all but the last packet".
    if (next !== buf.length) throw new ParseError('RTCP padding on a packet that is not last', off);
    const pad = buf[next - 1] as number;
    if (pad === 0 || pad > size - HEADER_SIZE) throw new ParseError(`RTCP padding ${pad} invalid`, next - 1);
    end -= pad;
  }
  const body = off + HEADER_SIZE;
  switch (pt) {
    case RTCP_PT.SR: {
      if (body + SSRC_SIZE + SENDER_INFO_SIZE > end) throw new ParseError('RTCP SR shorter than sender info', body);
      const si = body + SSRC_SIZE;
      return {
        packet: {
          type: 'sr',
          ssrc: dv.getUint32(body),
          ntpSec: dv.getUint32(si),
          ntpFrac: dv.getUint32(si + 4),
          rtpTimestamp: dv.getUint32(si + 8),
          packetCount: dv.getUint32(si + 12),
          octetCount: dv.getUint32(si + 16),
          reports: decodeReportBlocks(dv, si + SENDER_INFO_SIZE, count, end),
        },
        next,
      };
    }
    case RTCP_PT.RR: {
      if (body + SSRC_SIZE > end) throw new ParseError('RTCP RR shorter than its SSRC', body);
      return {
        packet: { type: 'rr', ssrc: dv.getUint32(body), reports: decodeReportBlocks(dv, body + SSRC_SIZE, count, end) },
        next,
      };
    }
    case RTCP_PT.SDES:
      return { packet: decodeSdes(buf, body, end, count), next };
    case RTCP_PT.BYE:
      return { packet: decodeBye(buf, body, end, count), next };
    default:
      return { packet: { type: 'unknown', packetType: pt, count, body: buf.subarray(body, end) }, next };
  }
}

/**
 * Decode a compound RTCP packet (RFC 3550 §6.1): one or more RTCP packets back to back, each
 * length field must land exactly on the next header, and the last on the end of the buffer.
 */
export function decode(buf: Uint8Array): RtcpPacket[] {
  if (buf.length < HEADER_SIZE) throw new ParseError(`RTCP too short: ${buf.length} bytes`, 0);
  const packets: RtcpPacket[] = [];
  let off = 0;
  while (off < buf.length) {
    const { packet, next } = decodeOne(buf, off);
    packets.push(packet);
    off = next;
  }
  return packets;
}

function sdesChunkSize(c: SdesChunk): number {
  let n = SSRC_SIZE;
  for (const it of c.items) n += 2 + utf8.encode(it.text).length;
  return (n + 4) & ~3; // at least one null octet, then pad to 32 bits
}

/** Size of one RTCP packet (header included). */
export function packetSize(p: RtcpPacket): number {
  switch (p.type) {
    case 'sr':
      return HEADER_SIZE + SSRC_SIZE + SENDER_INFO_SIZE + p.reports.length * REPORT_BLOCK_SIZE;
    case 'rr':
      return HEADER_SIZE + SSRC_SIZE + p.reports.length * REPORT_BLOCK_SIZE;
    case 'sdes':
      return HEADER_SIZE + p.chunks.reduce((n, c) => n + sdesChunkSize(c), 0);
    case 'bye': {
      const reason = p.reason === null ? 0 : 1 + utf8.encode(p.reason).length;
      return HEADER_SIZE + ((p.sources.length * SSRC_SIZE + reason + 3) & ~3);
    }
    case 'unknown':
      return HEADER_SIZE + ((p.body.length + 3) & ~3);
  }
}

/** Size of a compound packet made of `packets`. */
export function encodedSize(packets: readonly RtcpPacket[]): number {
  return packets.reduce((n, p) => n + packetSize(p), 0);
}

function countOf(p: RtcpPacket): number {
  switch (p.type) {
    case 'sr':
    case 'rr':
      return p.reports.length;
    case 'sdes':
      return p.chunks.length;
    case 'bye':
      return p.sources.length;
    case 'unknown':
      return p.count;
  }
}

function encodeReportBlocks(dv: DataView, off: number, blocks: readonly ReportBlock[]): void {
  for (const b of blocks) {
    dv.setUint32(off, b.ssrc >>> 0);
    dv.setUint32(off + 4, ((b.fractionLost & 0xff) << 24) | (b.cumulativeLost & 0xffffff));
    dv.setUint32(off + 8, b.extendedHighestSeq >>> 0);
    dv.setUint32(off + 12, b.jitter >>> 0);
    dv.setUint32(off + 16, b.lastSr >>> 0);
    dv.setUint32(off + 20, b.delaySinceLastSr >>> 0);
    off += REPORT_BLOCK_SIZE;
  }
}

/** Write a compound packet into `buf` at `off`; returns bytes written. */
export function encodeInto(packets: readonly RtcpPacket[], buf: Uint8Array, off = 0): number {
  const total = encodedSize(packets);
  if (buf.length - off < total) throw new RangeError(`RTCP encode: need ${total} bytes, have ${buf.length - off}`);
  const dv = dvOf(buf);
  let o = off;
  for (const p of packets) {
    const size = packetSize(p);
    const count = countOf(p);
    if (count > MAX_COUNT) throw new RangeError(`RTCP encode: count ${count} > 31`);
    buf.fill(0, o, o + size);
    const pt =
      p.type === 'sr' ? RTCP_PT.SR : p.type === 'rr' ? RTCP_PT.RR : p.type === 'sdes' ? RTCP_PT.SDES : p.type === 'bye' ? RTCP_PT.BYE : p.packetType;
    dv.setUint8(o, (VERSION << 6) | count);
    dv.setUint8(o + PT_OFFSET, pt);
    dv.setUint16(o + LENGTH_OFFSET, size / 4 - 1);
    let b = o + HEADER_SIZE;
    switch (p.type) {
      case 'sr':
        dv.setUint32(b, p.ssrc >>> 0);
        dv.setUint32(b + 4, p.ntpSec >>> 0);
        dv.setUint32(b + 8, p.ntpFrac >>> 0);
        dv.setUint32(b + 12, p.rtpTimestamp >>> 0);
        dv.setUint32(b + 16, p.packetCount >>> 0);
        dv.setUint32(b + 20, p.octetCount >>> 0);
        encodeReportBlocks(dv, b + SSRC_SIZE + SENDER_INFO_SIZE, p.reports);
        break;
      case 'rr':
        dv.setUint32(b, p.ssrc >>> 0);
        encodeReportBlocks(dv, b + SSRC_SIZE, p.reports);
        break;
      case 'sdes':
        for (const c of p.chunks) {
          const start = b;
          dv.setUint32(b, c.ssrc >>> 0);
          b += SSRC_SIZE;
          for (const it of c.items) {
            const text = utf8.encode(it.text);
            if (text.length > 255) throw new RangeError(`RTCP SDES item ${it.type} longer than 255 bytes`);
            buf[b] = it.type;
            buf[b + 1] = text.length;
            buf.set(text, b + 2);
            b += 2 + text.length;
          }
          b = start + sdesChunkSize(c);
        }
        break;
      case 'bye':
        for (const s of p.sources) {
          dv.setUint32(b, s >>> 0);
          b += SSRC_SIZE;
        }
        if (p.reason !== null) {
          const text = utf8.encode(p.reason);
          if (text.length > 255) throw new RangeError('RTCP BYE reason longer than 255 bytes');
          buf[b] = text.length;
          buf.set(text, b + 1);
        }
        break;
      case 'unknown':
        buf.set(p.body, b);
        break;
    }
    o += size;
  }
  return o - off;
}

export function encode(packets: readonly RtcpPacket[]): Uint8Array {
  const out = new Uint8Array(encodedSize(packets));
  encodeInto(packets, out, 0);
  return out;
}

/** RFC 3550 §4: NTP timestamp (seconds since 1900) from Unix milliseconds. */
export function ntpFromUnixMs(ms: number): { ntpSec: number; ntpFrac: number } {
  const NTP_EPOCH_OFFSET = 2208988800;
  const sec = Math.floor(ms / 1000);
  const frac = Math.floor(((ms - sec * 1000) / 1000) * 0x100000000);
  return { ntpSec: (sec + NTP_EPOCH_OFFSET) >>> 0, ntpFrac: frac >>> 0 };
}

/** RFC 3550 §6.4.1 LSR: "the middle 32 bits out of 64 in the NTP timestamp". */
export function middle32(ntpSec: number, ntpFrac: number): number {
  return (((ntpSec & 0xffff) << 16) | (ntpFrac >>> 16)) >>> 0;
}

/**
 * Round-trip time from a received report block, RFC 3550 §6.4.1 Figure 2:
 * RTT = A - LSR - DLSR, all in 1/65536 s units; returned in milliseconds, or null when the
 * block carries no SR reference (LSR = 0).
 */
export function roundTripMs(arrivalMiddle32: number, block: Pick<ReportBlock, 'lastSr' | 'delaySinceLastSr'>): number | null {
  if (block.lastSr === 0) return null;
  const rtt = (arrivalMiddle32 - block.lastSr - block.delaySinceLastSr) >>> 0;
  return (rtt / 65536) * 1000;
}
