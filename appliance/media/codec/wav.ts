/**
 * WAVE (RIFF) files for recordings and prompts: 8 kHz A-law (format tag 6), µ-law (7) and
 * 16-bit PCM (1), mono or stereo, per Microsoft's "Multimedia Programming Interface and Data
 * Specifications 1.0" (RIFF/WAVE) and RFC 2361 (WAVE format tags).
 *
 * Layout written here:
 *
 *   "RIFF" <size = file length - 8> "WAVE"
 *   "fmt " <16 | 18> wFormatTag nChannels nSamplesPerSec nAvgBytesPerSec nBlockAlign
 *                    wBitsPerSample [cbSize = 0]                (cbSize only for non-PCM)
 *   "fact" <4> dwSampleLength                                   (only for non-PCM, as required
 *                                                               for compressed formats)
 *   "data" <size> samples…
 *
 * A recorder writes the header with zero sizes, appends audio, and calls `finalizeHeader`
 * when it closes. After a crash the sizes are still zero (or stale); `repairWavFile` recomputes
 * them from the file length — the recorder runs it on every file left open at start-up.
 */
import { open } from 'node:fs/promises';
import { ParseError } from '../../core/errors.js';

export const WAV_FORMAT_TAG = { pcm16: 1, alaw: 6, ulaw: 7 } as const;
export type WavEncoding = keyof typeof WAV_FORMAT_TAG;

export interface WavFormat {
  encoding: WavEncoding;
  channels: 1 | 2;
  sampleRate: number;
}

export interface WavInfo extends WavFormat {
  bitsPerSample: number;
  blockAlign: number;
  /** Byte offset of the first audio byte. */
  dataOffset: number;
  /** Length of the audio as declared by the data chunk header. */
  declaredDataLength: number;
  /** Offset of the data chunk's size field (for fix-ups). */
  dataSizeOffset: number;
  /** Offset of the fact chunk's sample count, or null when there is no fact chunk. */
  factOffset: number | null;
}

const RIFF_ID = 0x52494646; // "RIFF"
const WAVE_ID = 0x57415645; // "WAVE"
const FMT_ID = 0x666d7420; // "fmt "
const FACT_ID = 0x66616374; // "fact"
const DATA_ID = 0x64617461; // "data"

const RIFF_SIZE_OFFSET = 4;
const CHUNK_HEADER = 8;
const RIFF_HEADER = 12;
const FMT_PCM_SIZE = 16;
const FMT_EX_SIZE = 18;
const FACT_SIZE = 4;
/** The size a writer that never finalized leaves in the header. */
export const UNFINALIZED = 0;

function bytesPerSample(enc: WavEncoding): number {
  return enc === 'pcm16' ? 2 : 1;
}

export function headerSize(fmt: WavFormat): number {
  return fmt.encoding === 'pcm16'
    ? RIFF_HEADER + CHUNK_HEADER + FMT_PCM_SIZE + CHUNK_HEADER
    : RIFF_HEADER + CHUNK_HEADER + FMT_EX_SIZE + CHUNK_HEADER + FACT_SIZE + CHUNK_HEADER;
}

/** The header for `dataLength` bytes of audio (0 while recording). */
export function encodeHeader(fmt: WavFormat, dataLength: number = UNFINALIZED): Uint8Array {
  const size = headerSize(fmt);
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  const bps = bytesPerSample(fmt.encoding);
  const blockAlign = bps * fmt.channels;
  const pcm = fmt.encoding === 'pcm16';
  let o = 0;
  dv.setUint32(o, RIFF_ID);
  dv.setUint32(o + 4, dataLength === UNFINALIZED ? UNFINALIZED : size - 8 + dataLength, true);
  dv.setUint32(o + 8, WAVE_ID);
  o = RIFF_HEADER;
  dv.setUint32(o, FMT_ID);
  dv.setUint32(o + 4, pcm ? FMT_PCM_SIZE : FMT_EX_SIZE, true);
  dv.setUint16(o + 8, WAV_FORMAT_TAG[fmt.encoding], true);
  dv.setUint16(o + 10, fmt.channels, true);
  dv.setUint32(o + 12, fmt.sampleRate, true);
  dv.setUint32(o + 16, fmt.sampleRate * blockAlign, true);
  dv.setUint16(o + 20, blockAlign, true);
  dv.setUint16(o + 22, bps * 8, true);
  o += CHUNK_HEADER + FMT_PCM_SIZE;
  if (!pcm) {
    dv.setUint16(o, 0, true); // cbSize
    o += 2;
    dv.setUint32(o, FACT_ID);
    dv.setUint32(o + 4, FACT_SIZE, true);
    dv.setUint32(o + 8, Math.floor(dataLength / blockAlign), true);
    o += CHUNK_HEADER + FACT_SIZE;
  }
  dv.setUint32(o, DATA_ID);
  dv.setUint32(o + 4, dataLength, true);
  return buf;
}

/**
 * Parse a WAV header (walking the chunks; unknown chunks such as LIST are skipped).
 * `buf` needs to hold at least everything up to the data chunk header.
 */
export function decodeHeader(buf: Uint8Array): WavInfo {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < RIFF_HEADER) throw new ParseError(`WAV too short: ${buf.length} bytes`, 0);
  if (dv.getUint32(0) !== RIFF_ID) throw new ParseError('WAV: no RIFF signature', 0);
  if (dv.getUint32(8) !== WAVE_ID) throw new ParseError('WAV: RIFF form is not WAVE', 8);
  let off = RIFF_HEADER;
  let fmt: Omit<WavInfo, 'dataOffset' | 'declaredDataLength' | 'dataSizeOffset' | 'factOffset'> | null = null;
  let factOffset: number | null = null;
  while (off + CHUNK_HEADER <= buf.length) {
    const id = dv.getUint32(off);
    const size = dv.getUint32(off + 4, true);
    const body = off + CHUNK_HEADER;
    if (id === FMT_ID) {
      if (size < FMT_PCM_SIZE || body + FMT_PCM_SIZE > buf.length) throw new ParseError(`WAV fmt chunk too short (${size})`, off + 4);
      const tag = dv.getUint16(body, true);
      const encoding = (Object.keys(WAV_FORMAT_TAG) as WavEncoding[]).find((k) => WAV_FORMAT_TAG[k] === tag);
      if (!encoding) throw new ParseError(`WAV format tag ${tag} not supported (PCM, A-law, µ-law only)`, body);
      const channels = dv.getUint16(body + 2, true);
      if (channels !== 1 && channels !== 2) throw new ParseError(`WAV ${channels} channels not supported`, body + 2);
      const bitsPerSample = dv.getUint16(body + 14, true);
      if (bitsPerSample !== bytesPerSample(encoding) * 8) {
        throw new ParseError(`WAV ${encoding} with ${bitsPerSample} bits per sample`, body + 14);
      }
      fmt = {
        encoding,
        channels,
        sampleRate: dv.getUint32(body + 4, true),
        blockAlign: dv.getUint16(body + 12, true),
        bitsPerSample,
      };
    } else if (id === FACT_ID) {
      factOffset = body;
    } else if (id === DATA_ID) {
      if (!fmt) throw new ParseError('WAV data chunk before fmt chunk', off);
      return { ...fmt, dataOffset: body, declaredDataLength: size, dataSizeOffset: off + 4, factOffset };
    }
    // RIFF chunks are padded to an even length.
    off = body + size + (size & 1);
  }
  throw new ParseError('WAV: no data chunk', off);
}

/** Audio bytes of a complete WAV held in memory (a view; trusts the file length over a stale size). */
export function decode(buf: Uint8Array): { info: WavInfo; data: Uint8Array } {
  const info = decodeHeader(buf);
  const available = buf.length - info.dataOffset;
  const declared = info.declaredDataLength;
  const length = declared === UNFINALIZED || declared > available ? available : declared;
  const whole = length - (length % info.blockAlign);
  return { info, data: buf.subarray(info.dataOffset, info.dataOffset + whole) };
}

/** Header + data in one buffer. */
export function encode(fmt: WavFormat, data: Uint8Array): Uint8Array {
  const h = encodeHeader(fmt, data.length);
  const out = new Uint8Array(h.length + data.length);
  out.set(h);
  out.set(data, h.length);
  return out;
}

/**
 * The size fields to write once `dataLength` bytes of audio follow the header described by
 * `info`: pairs of (offset, little-endian uint32 value).
 */
export function sizeFixups(info: WavInfo, dataLength: number): Array<[number, number]> {
  const whole = dataLength - (dataLength % info.blockAlign);
  const fix: Array<[number, number]> = [
    [RIFF_SIZE_OFFSET, info.dataOffset - 8 + whole],
    [info.dataSizeOffset, whole],
  ];
  if (info.factOffset !== null) fix.push([info.factOffset, whole / info.blockAlign]);
  return fix;
}

/** Patch the sizes in an in-memory header for `dataLength` bytes of audio. */
export function finalizeHeader(header: Uint8Array, dataLength: number): void {
  const info = decodeHeader(header);
  const dv = new DataView(header.buffer, header.byteOffset, header.byteLength);
  for (const [off, v] of sizeFixups(info, dataLength)) dv.setUint32(off, v, true);
}

/** Interleave two mono channels (caller left, agent right) of equal length into stereo. */
export function interleave<T extends Uint8Array | Int16Array>(left: T, right: T, out?: T): T {
  if (left.length !== right.length) throw new RangeError(`interleave: ${left.length} vs ${right.length} samples`);
  const o = out ?? (new (left.constructor as new (n: number) => T)(left.length * 2));
  for (let i = 0; i < left.length; i++) {
    o[2 * i] = left[i] as number;
    o[2 * i + 1] = right[i] as number;
  }
  return o;
}

/** 16-bit PCM samples as little-endian WAV bytes. */
export function pcm16ToBytes(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < pcm.length; i++) dv.setInt16(i * 2, pcm[i] as number, true);
  return out;
}

export function bytesToPcm16(bytes: Uint8Array): Int16Array {
  const n = Math.floor(bytes.length / 2);
  const out = new Int16Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true);
  return out;
}

export interface RepairResult {
  /** true when a size field was rewritten. */
  repaired: boolean;
  dataLength: number;
  /** Trailing bytes of an incomplete sample frame, cut off. */
  truncatedBytes: number;
  durationMs: number;
}

const HEADER_PROBE = 4096;

/**
 * Fix the RIFF, fact and data sizes of a WAV file from its real length (a file whose writer
 * died before finalizing). A trailing partial sample frame is truncated. Safe to run on a good
 * file: nothing is written when the sizes already match.
 */
export async function repairWavFile(path: string): Promise<RepairResult> {
  const fh = await open(path, 'r+');
  try {
    const { size } = await fh.stat();
    const probe = new Uint8Array(Math.min(size, HEADER_PROBE));
    await fh.read(probe, 0, probe.length, 0);
    const info = decodeHeader(probe);
    const available = size - info.dataOffset;
    const whole = available - (available % info.blockAlign);
    const fixes = sizeFixups(info, whole);
    const dv = new DataView(probe.buffer);
    const stale = fixes.filter(([off, v]) => dv.getUint32(off, true) !== v);
    for (const [off, v] of stale) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, v, true);
      await fh.write(b, 0, 4, off);
    }
    const truncatedBytes = available - whole;
    if (truncatedBytes > 0) await fh.truncate(info.dataOffset + whole);
    if (stale.length > 0 || truncatedBytes > 0) await fh.sync();
    return {
      repaired: stale.length > 0 || truncatedBytes > 0,
      dataLength: whole,
      truncatedBytes,
      durationMs: (whole / info.blockAlign / info.sampleRate) * 1000,
    };
  } finally {
    await fh.close();
  }
}
