/**
 * ITU-T G.711 (11/88) A-law and µ-law companding, by table.
 *
 * The per-sample functions are ports of spandsp's `linear_to_alaw`, `alaw_to_linear`,
 * `linear_to_ulaw` and `ulaw_to_linear` (spandsp/g711.h, static inline there, so not callable
 * through FFI). They run once at module load to fill the tables; the hot path is table lookups
 * only: a 64 KiB table per law for encode (indexed by the 16-bit sample as unsigned), 256
 * entries for decode, and 256-entry A↔µ transcode tables built from G.711 Tables 3 and 4
 * (code-to-code, which is *not* the same as decode-then-encode for 76 of the 512 codes).
 *
 * g711.test.ts checks every table against the real libspandsp through koffi.
 */

export const SAMPLE_RATE = 8000;
export const FRAME_MS = 20;
/** Samples (and G.711 bytes) in one 20 ms frame at 8 kHz. */
export const FRAME_SAMPLES = (SAMPLE_RATE * FRAME_MS) / 1000;

/** The two G.711 laws, named as in RTP (RFC 3551 §4.5.14): PCMA = A-law, PCMU = µ-law. */
export const G711Laws = ['PCMA', 'PCMU'] as const;
export type G711Law = (typeof G711Laws)[number];

/** RFC 3551 Table 4 static payload types. */
export const PAYLOAD_TYPE: Readonly<Record<G711Law, number>> = { PCMU: 0, PCMA: 8 };

/** The idle code: A-law 0xD5 (smallest positive step, +8), µ-law 0xFF (exactly 0). */
export const SILENCE_CODE: Readonly<Record<G711Law, number>> = { PCMA: 0xd5, PCMU: 0xff };

/** G.711 §3: the A-law even-bit inversion ("alternate mark inversion") mask. */
const ALAW_AMI_MASK = 0x55;
/** µ-law encoding bias (33 × 4 in the 14-bit domain shifted to 16 bits). */
const ULAW_BIAS = 0x84;

function topBit(x: number): number {
  return 31 - Math.clz32(x);
}

/** spandsp linear_to_alaw: 16-bit linear → A-law code. */
export function linearToAlawCompute(sample: number): number {
  let linear = sample | 0;
  let mask: number;
  if (linear >= 0) {
    mask = ALAW_AMI_MASK | 0x80;
  } else {
    mask = ALAW_AMI_MASK;
    linear = -linear - 1;
  }
  const seg = topBit(linear | 0xff) - 7;
  if (seg >= 8) {
    return linear >= 0 ? (0x7f ^ mask) & 0xff : mask;
  }
  return (((seg << 4) | ((linear >> (seg ? seg + 3 : 4)) & 0x0f)) ^ mask) & 0xff;
}

/** spandsp alaw_to_linear: A-law code → 16-bit linear. */
export function alawToLinearCompute(code: number): number {
  const alaw = (code ^ ALAW_AMI_MASK) & 0xff;
  let i = (alaw & 0x0f) << 4;
  const seg = (alaw & 0x70) >> 4;
  i = seg ? (i + 0x108) << (seg - 1) : i + 8;
  return alaw & 0x80 ? i : -i;
}

/** spandsp linear_to_ulaw: 16-bit linear → µ-law code (no MIL-STD zero trap). */
export function linearToUlawCompute(sample: number): number {
  let linear = sample | 0;
  let mask: number;
  if (linear >= 0) {
    linear = ULAW_BIAS + linear;
    mask = 0xff;
  } else {
    linear = ULAW_BIAS - linear;
    mask = 0x7f;
  }
  const seg = topBit(linear | 0xff) - 7;
  if (seg >= 8) return (0x7f ^ mask) & 0xff;
  return (((seg << 4) | ((linear >> (seg + 3)) & 0x0f)) ^ mask) & 0xff;
}

/** spandsp ulaw_to_linear: µ-law code → 16-bit linear. */
export function ulawToLinearCompute(code: number): number {
  const ulaw = ~code & 0xff;
  const t = (((ulaw & 0x0f) << 3) + ULAW_BIAS) << ((ulaw & 0x70) >> 4);
  return ulaw & 0x80 ? ULAW_BIAS - t : t - ULAW_BIAS;
}

/*
 * G.711 Table 3 (µ-law → A-law) and Table 4 (A-law → µ-law), as 1-based decision-value
 * numbers over the 128 magnitudes of one sign. Index = µ-law (resp. A-law) magnitude number - 1.
 */
const U2A_MAGNITUDE = [
  1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
  23, 24, 25, 27, 29, 31, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 48, 49, 50, 51, 52, 53, 54,
  55, 56, 57, 58, 59, 60, 61, 62, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 82,
  83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106,
  107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126,
  127, 128,
] as const;
const A2U_MAGNITUDE = [
  1, 3, 5, 7, 9, 11, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 32, 33,
  33, 34, 34, 35, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 48, 49, 49, 50, 51, 52, 53, 54,
  55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79,
  80, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103,
  104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124,
  125, 126, 127,
] as const;

function magnitudeEntry(table: readonly number[], i: number): number {
  const v = table[i];
  if (v === undefined) throw new RangeError(`G.711 magnitude index ${i}`);
  return v;
}

function buildTables(): {
  alawToLinear: Int16Array;
  ulawToLinear: Int16Array;
  linearToAlaw: Uint8Array;
  linearToUlaw: Uint8Array;
  alawToUlaw: Uint8Array;
  ulawToAlaw: Uint8Array;
} {
  const alawToLinear = new Int16Array(256);
  const ulawToLinear = new Int16Array(256);
  const alawToUlaw = new Uint8Array(256);
  const ulawToAlaw = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    alawToLinear[c] = alawToLinearCompute(c);
    ulawToLinear[c] = ulawToLinearCompute(c);
    // A positive A-law code has bit 7 set; its magnitude number is the code with the
    // sign and AMI bits removed. µ-law codes are sent complemented.
    alawToUlaw[c] =
      c & 0x80 ? 0xff ^ magnitudeEntry(A2U_MAGNITUDE, c ^ 0xd5) : 0x7f ^ magnitudeEntry(A2U_MAGNITUDE, c ^ 0x55);
    ulawToAlaw[c] =
      c & 0x80
        ? 0xd5 ^ (magnitudeEntry(U2A_MAGNITUDE, 0xff ^ c) - 1)
        : 0x55 ^ (magnitudeEntry(U2A_MAGNITUDE, 0x7f ^ c) - 1);
  }
  const linearToAlaw = new Uint8Array(65536);
  const linearToUlaw = new Uint8Array(65536);
  for (let u = 0; u < 65536; u++) {
    const s = (u << 16) >> 16;
    linearToAlaw[u] = linearToAlawCompute(s);
    linearToUlaw[u] = linearToUlawCompute(s);
  }
  return { alawToLinear, ulawToLinear, linearToAlaw, linearToUlaw, alawToUlaw, ulawToAlaw };
}

const tables = buildTables();

/** Decode tables: code → 16-bit linear. */
export const ALAW_TO_LINEAR: Readonly<Int16Array> = tables.alawToLinear;
export const ULAW_TO_LINEAR: Readonly<Int16Array> = tables.ulawToLinear;
/** Encode tables, indexed by `sample & 0xffff`. */
export const LINEAR_TO_ALAW: Readonly<Uint8Array> = tables.linearToAlaw;
export const LINEAR_TO_ULAW: Readonly<Uint8Array> = tables.linearToUlaw;
/** G.711 Tables 3 and 4: code-to-code transcoding. */
export const ALAW_TO_ULAW: Readonly<Uint8Array> = tables.alawToUlaw;
export const ULAW_TO_ALAW: Readonly<Uint8Array> = tables.ulawToAlaw;

const DECODE: Readonly<Record<G711Law, Int16Array>> = { PCMA: tables.alawToLinear, PCMU: tables.ulawToLinear };
const ENCODE: Readonly<Record<G711Law, Uint8Array>> = { PCMA: tables.linearToAlaw, PCMU: tables.linearToUlaw };

/** Clamp to int16 and encode one sample. */
export function encodeSample(law: G711Law, sample: number): number {
  const s = sample > 32767 ? 32767 : sample < -32768 ? -32768 : sample | 0;
  return ENCODE[law][s & 0xffff] as number;
}

export function decodeSample(law: G711Law, code: number): number {
  return DECODE[law][code & 0xff] as number;
}

/**
 * Decode G.711 bytes into `out` (allocated when omitted, same length as `codes`).
 * Returns `out`.
 */
export function decode(law: G711Law, codes: Uint8Array, out: Int16Array = new Int16Array(codes.length)): Int16Array {
  if (out.length < codes.length) throw new RangeError(`decode: output ${out.length} < input ${codes.length}`);
  const t = DECODE[law];
  for (let i = 0; i < codes.length; i++) out[i] = t[codes[i] as number] as number;
  return out;
}

/** Encode 16-bit linear samples into `out` (allocated when omitted). Returns `out`. */
export function encode(law: G711Law, pcm: Int16Array, out: Uint8Array = new Uint8Array(pcm.length)): Uint8Array {
  if (out.length < pcm.length) throw new RangeError(`encode: output ${out.length} < input ${pcm.length}`);
  const t = ENCODE[law];
  for (let i = 0; i < pcm.length; i++) out[i] = t[(pcm[i] as number) & 0xffff] as number;
  return out;
}

/** A-law ↔ µ-law by G.711 Tables 3/4; identity copy when `from === to`. Returns `out`. */
export function transcode(
  from: G711Law,
  to: G711Law,
  codes: Uint8Array,
  out: Uint8Array = new Uint8Array(codes.length),
): Uint8Array {
  if (out.length < codes.length) throw new RangeError(`transcode: output ${out.length} < input ${codes.length}`);
  if (from === to) {
    out.set(codes);
    return out;
  }
  const t = from === 'PCMA' ? tables.alawToUlaw : tables.ulawToAlaw;
  for (let i = 0; i < codes.length; i++) out[i] = t[codes[i] as number] as number;
  return out;
}

/** A 20 ms frame of digital silence in the given law. */
export function silenceFrame(law: G711Law, samples: number = FRAME_SAMPLES): Uint8Array {
  return new Uint8Array(samples).fill(SILENCE_CODE[law]);
}

/**
 * Split a G.711 byte stream into 160-byte (20 ms) views, zero-copy. A trailing partial frame
 * is returned as `rest` so a caller can prepend it to the next chunk.
 */
export function splitFrames(buf: Uint8Array, frameBytes: number = FRAME_SAMPLES): { frames: Uint8Array[]; rest: Uint8Array } {
  const frames: Uint8Array[] = [];
  let off = 0;
  for (; off + frameBytes <= buf.length; off += frameBytes) frames.push(buf.subarray(off, off + frameBytes));
  return { frames, rest: buf.subarray(off) };
}

