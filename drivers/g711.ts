/**
 * ITU-T G.711 A-law for the drivers' own audio paths: the R2 register's MF tones (drivers/r2),
 * the analog lines' caller-ID FSK/DTMF and busy tone (drivers/analog). One copy for every driver:
 * drivers/ may import drivers/types.ts, this file and appliance/core, but not the media
 * engine's codec (appliance/media/codec/g711.ts) nor one another (scripts/lint-architecture.ts).
 *
 * The per-sample formulas are spandsp's `alaw_to_linear` / `linear_to_alaw` (spandsp/g711.h),
 * tabulated once at load; g711.test.ts checks both tables code for code against the media
 * engine's codec, which is itself checked against libspandsp.
 */

/** G.711 §3: even-bit inversion mask. */
const AMI_MASK = 0x55;

function alawToLinear(code: number): number {
  const a = (code ^ AMI_MASK) & 0xff;
  let i = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  i = seg ? (i + 0x108) << (seg - 1) : i + 8;
  return a & 0x80 ? i : -i;
}

function linearToAlaw(sample: number): number {
  let linear = sample | 0;
  let mask = AMI_MASK | 0x80;
  if (linear < 0) {
    mask = AMI_MASK;
    linear = -linear - 1;
  }
  const seg = 31 - Math.clz32(linear | 0xff) - 7;
  if (seg >= 8) return sample >= 0 ? (0x7f ^ mask) & 0xff : mask;
  return (((seg << 4) | ((linear >> (seg ? seg + 3 : 4)) & 0x0f)) ^ mask) & 0xff;
}

const DECODE = Int16Array.from({ length: 256 }, (_, c) => alawToLinear(c));
const ENCODE = Uint8Array.from({ length: 65536 }, (_, u) => linearToAlaw(u >= 32768 ? u - 65536 : u));

/** A-law codes → 16-bit linear, into `out` (a new array by default). */
export function decodeAlaw(frame: Uint8Array, out: Int16Array = new Int16Array(frame.length)): Int16Array {
  for (let i = 0; i < frame.length; i++) out[i] = DECODE[frame[i] as number] as number;
  return out;
}

/** 16-bit linear → A-law codes, into `out` (a new array by default). */
export function encodeAlaw(pcm: Int16Array, out: Uint8Array = new Uint8Array(pcm.length)): Uint8Array {
  for (let i = 0; i < pcm.length; i++) out[i] = ENCODE[(pcm[i] as number) & 0xffff] as number;
  return out;
}
