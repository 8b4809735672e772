/**
 * RTP data packets, RFC 3550 §5.1 (fixed header, CSRC list) and §5.3.1 (header extension).
 * Pure: no sockets, no timers. Shape follows pion/rtp packet.go and werift rtp.ts:
 * `decode(buf)` returns views (`subarray`) into `buf`, `encodedSize(p)` + `encodeInto(p, buf, off)`
 * write without allocating, and every read is preceded by a length check that throws ParseError.
 *
 * RFC 3550 §5.1:
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           timestamp                           |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |           synchronization source (SSRC) identifier            |
 *    +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *    |            contributing source (CSRC) identifiers             |
 *    |                             ....                              |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * RFC 3550 §5.3.1 header extension (present when X=1, after the CSRC list):
 *
 *    |      defined by profile       |           length              |
 *    |                        header extension                       |
 */
import { ParseError } from '../../core/errors.js';

export const RTP_VERSION = 2;
export const FIXED_HEADER_SIZE = 12;
const CSRC_SIZE = 4;
const EXTENSION_HEADER_SIZE = 4;

const VERSION_SHIFT = 6;
const VERSION_MASK = 0x3;
const PADDING_BIT = 0x20;
const EXTENSION_BIT = 0x10;
const CC_MASK = 0x0f;
const MARKER_BIT = 0x80;
const PT_MASK = 0x7f;

const FIRST_BYTE_OFFSET = 0;
const SECOND_BYTE_OFFSET = 1;
const SEQ_OFFSET = 2;
const TIMESTAMP_OFFSET = 4;
const SSRC_OFFSET = 8;
const CSRC_OFFSET = 12;

export interface RtpHeaderExtension {
  /** "defined by profile" (e.g. 0xBEDE for RFC 8285 one-byte headers). */
  profile: number;
  /** Extension body, a multiple of 4 bytes. */
  data: Uint8Array;
}

export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrc: readonly number[];
  extension: RtpHeaderExtension | null;
  payload: Uint8Array;
  /** Number of padding octets at the end, including the count octet; 0 = no P bit. */
  paddingSize: number;
}

/** Build a packet with defaults for the optional parts. */
export function rtpPacket(
  p: Pick<RtpPacket, 'payloadType' | 'sequenceNumber' | 'timestamp' | 'ssrc' | 'payload'> & Partial<RtpPacket>,
): RtpPacket {
  return { marker: false, csrc: [], extension: null, paddingSize: 0, ...p };
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Parse one RTP packet. Payload, extension data are views into `buf`. */
export function decode(buf: Uint8Array): RtpPacket {
  if (buf.length < FIXED_HEADER_SIZE) {
    throw new ParseError(`RTP too short: ${buf.length} < ${FIXED_HEADER_SIZE}-byte fixed header`, 0);
  }
  const dv = view(buf);
  const b0 = buf[FIRST_BYTE_OFFSET] as number;
  const b1 = buf[SECOND_BYTE_OFFSET] as number;
  const version = (b0 >> VERSION_SHIFT) & VERSION_MASK;
  // RFC 3550 §5.1: "version (V): 2 bits ... The version defined by this specification is two (2)."
  if (version !== RTP_VERSION) throw new ParseError(`RTP version ${version}, expected 2`, FIRST_BYTE_OFFSET);

  const cc = b0 & CC_MASK;
  let off = CSRC_OFFSET + cc * CSRC_SIZE;
  if (buf.length < off) {
    throw new ParseError(`RTP CSRC count ${cc} needs ${off} bytes, packet has ${buf.length}`, CSRC_OFFSET);
  }
  const csrc: number[] = [];
  for (let i = 0; i < cc; i++) csrc.push(dv.getUint32(CSRC_OFFSET + i * CSRC_SIZE));

  let extension: RtpHeaderExtension | null = null;
  if (b0 & EXTENSION_BIT) {
    if (buf.length < off + EXTENSION_HEADER_SIZE) {
      throw new ParseError(`RTP extension header beyond packet end (${buf.length} bytes)`, off);
    }
    const profile = dv.getUint16(off);
    // RFC 3550 §5.3.1: "the length ... counts the number of 32-bit words in the extension,
    // excluding the four-octet extension header"
    const words = dv.getUint16(off + 2);
    const start = off + EXTENSION_HEADER_SIZE;
    const end = start + words * 4;
    if (buf.length < end) {
      throw new ParseError(`RTP extension length ${words} words runs beyond packet end (${buf.length} bytes)`, off + 2);
    }
    extension = { profile, data: buf.subarray(start, end) };
    off = end;
  }

  let end = buf.length;
  let paddingSize = 0;
  if (b0 & PADDING_BIT) {
    // RFC 3550 §5.1: "The last octet of the padding contains a count of how many padding
    // octets should be ignored, including itself."
    paddingSize = buf[buf.length - 1] as number;
    if (paddingSize === 0 || paddingSize > buf.length - off) {
      throw new ParseError(`RTP padding ${paddingSize} invalid for ${buf.length - off} bytes after header`, buf.length - 1);
    }
    end -= paddingSize;
  }

  return {
    marker: (b1 & MARKER_BIT) !== 0,
    payloadType: b1 & PT_MASK,
    sequenceNumber: dv.getUint16(SEQ_OFFSET),
    timestamp: dv.getUint32(TIMESTAMP_OFFSET),
    ssrc: dv.getUint32(SSRC_OFFSET),
    csrc,
    extension,
    payload: buf.subarray(off, end),
    paddingSize,
  };
}

export function encodedSize(p: RtpPacket): number {
  const ext = p.extension ? EXTENSION_HEADER_SIZE + p.extension.data.length : 0;
  return FIXED_HEADER_SIZE + p.csrc.length * CSRC_SIZE + ext + p.payload.length + p.paddingSize;
}

/** Write `p` into `buf` at `off`; returns the number of bytes written. */
export function encodeInto(p: RtpPacket, buf: Uint8Array, off = 0): number {
  const size = encodedSize(p);
  if (buf.length - off < size) throw new RangeError(`RTP encode: need ${size} bytes, have ${buf.length - off}`);
  if (p.csrc.length > CC_MASK) throw new RangeError(`RTP encode: ${p.csrc.length} CSRCs, at most 15`);
  if (p.extension && p.extension.data.length % 4 !== 0) {
    throw new RangeError(`RTP encode: extension data ${p.extension.data.length} bytes, not a multiple of 4`);
  }
  if (p.paddingSize < 0 || p.paddingSize > 255) throw new RangeError(`RTP encode: padding ${p.paddingSize}`);
  const dv = new DataView(buf.buffer, buf.byteOffset + off, size);
  dv.setUint8(
    FIRST_BYTE_OFFSET,
    (RTP_VERSION << VERSION_SHIFT) |
      (p.paddingSize > 0 ? PADDING_BIT : 0) |
      (p.extension ? EXTENSION_BIT : 0) |
      p.csrc.length,
  );
  dv.setUint8(SECOND_BYTE_OFFSET, (p.marker ? MARKER_BIT : 0) | (p.payloadType & PT_MASK));
  dv.setUint16(SEQ_OFFSET, p.sequenceNumber & 0xffff);
  dv.setUint32(TIMESTAMP_OFFSET, p.timestamp >>> 0);
  dv.setUint32(SSRC_OFFSET, p.ssrc >>> 0);
  let o = CSRC_OFFSET;
  for (const c of p.csrc) {
    dv.setUint32(o, c >>> 0);
    o += CSRC_SIZE;
  }
  if (p.extension) {
    dv.setUint16(o, p.extension.profile);
    dv.setUint16(o + 2, p.extension.data.length / 4);
    buf.set(p.extension.data, off + o + EXTENSION_HEADER_SIZE);
    o += EXTENSION_HEADER_SIZE + p.extension.data.length;
  }
  buf.set(p.payload, off + o);
  o += p.payload.length;
  if (p.paddingSize > 0) {
    buf.fill(0, off + o, off + o + p.paddingSize - 1);
    dv.setUint8(o + p.paddingSize - 1, p.paddingSize);
    o += p.paddingSize;
  }
  return o;
}

/** Allocate and encode. */
export function encode(p: RtpPacket): Uint8Array {
  const out = new Uint8Array(encodedSize(p));
  encodeInto(p, out, 0);
  return out;
}
