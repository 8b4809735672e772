/**
 * G.711 against the real spandsp (libspandsp.so.2, 0.0.6) through koffi: every 16-bit linear
 * input and every 8-bit code, both laws, plus the exported A↔µ transcoders.
 * The binding lives here on purpose: drivers/spandsp owns the production FFI.
 */
import test from 'ava';
import koffi from 'koffi';
import {
  ALAW_TO_LINEAR,
  ALAW_TO_ULAW,
  FRAME_SAMPLES,
  LINEAR_TO_ALAW,
  LINEAR_TO_ULAW,
  ULAW_TO_ALAW,
  ULAW_TO_LINEAR,
  decode,
  encode,
  encodeSample,
  silenceFrame,
  splitFrames,
  transcode,
  type G711Law,
} from './g711.js';

// spandsp/g711.h: enum { G711_ALAW = 0, G711_ULAW };
const G711_MODE: Record<G711Law, number> = { PCMA: 0, PCMU: 1 };

const sd = koffi.load('libspandsp.so.2');
const g711_init = sd.func('void *g711_init(void *s, int mode)');
const g711_free = sd.func('int g711_free(void *s)');
const g711_encode = sd.func('int g711_encode(void *s, _Out_ uint8_t *g711_data, const int16_t *amp, int len)');
const g711_decode = sd.func('int g711_decode(void *s, _Out_ int16_t *amp, const uint8_t *g711_data, int g711_bytes)');
const alaw_to_ulaw = sd.func('uint8_t alaw_to_ulaw(uint8_t alaw)');
const ulaw_to_alaw = sd.func('uint8_t ulaw_to_alaw(uint8_t ulaw)');

function spandspEncodeAll(law: G711Law): Uint8Array {
  const st = g711_init(null, G711_MODE[law]);
  const amp = new Int16Array(65536);
  for (let u = 0; u < 65536; u++) amp[u] = (u << 16) >> 16;
  const out = new Uint8Array(65536);
  const n = g711_encode(st, out, amp, amp.length);
  g711_free(st);
  if (n !== 65536) throw new Error(`g711_encode returned ${n}`);
  return out;
}

function spandspDecodeAll(law: G711Law): Int16Array {
  const st = g711_init(null, G711_MODE[law]);
  const codes = new Uint8Array(256).map((_, i) => i);
  const out = new Int16Array(256);
  const n = g711_decode(st, out, codes, 256);
  g711_free(st);
  if (n !== 256) throw new Error(`g711_decode returned ${n}`);
  return out;
}

function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}

for (const law of ['PCMA', 'PCMU'] as const) {
  test(`${law} encode matches spandsp g711_encode on all 65536 linear inputs`, (t) => {
    const ref = spandspEncodeAll(law);
    const ours = law === 'PCMA' ? LINEAR_TO_ALAW : LINEAR_TO_ULAW;
    t.is(firstMismatch(ours, ref), -1);
    const pcm = new Int16Array(65536);
    for (let u = 0; u < 65536; u++) pcm[u] = (u << 16) >> 16;
    t.is(firstMismatch(encode(law, pcm), ref), -1);
  });

  test(`${law} decode matches spandsp g711_decode on all 256 codes`, (t) => {
    const ref = spandspDecodeAll(law);
    t.is(firstMismatch(law === 'PCMA' ? ALAW_TO_LINEAR : ULAW_TO_LINEAR, ref), -1);
    t.is(firstMismatch(decode(law, new Uint8Array(256).map((_, i) => i)), ref), -1);
  });

  test(`${law} decode→encode is the identity on all codes (except µ-law's two zeros)`, (t) => {
    const codes = new Uint8Array(256).map((_, i) => i);
    const back = encode(law, decode(law, codes));
    for (let c = 0; c < 256; c++) {
      // µ-law has +0 (0xFF) and -0 (0x7F); both decode to 0, which encodes as 0xFF.
      if (law === 'PCMU' && c === 0x7f) t.is(back[c], 0xff);
      else if (back[c] !== c) t.fail(`code ${c} came back as ${back[c]}`);
    }
    t.pass();
  });

  test(`${law} silence frame decodes to the smallest positive level`, (t) => {
    const f = silenceFrame(law);
    t.is(f.length, FRAME_SAMPLES);
    // A-law has no zero code: 0xD5 is +8; µ-law 0xFF is exactly 0.
    const expected = law === 'PCMA' ? 8 : 0;
    t.true(decode(law, f).every((s) => s === expected));
  });
}

test('A-law→µ-law table matches spandsp alaw_to_ulaw on all 256 codes', (t) => {
  const ref = new Uint8Array(256).map((_, i) => alaw_to_ulaw(i) as number);
  t.is(firstMismatch(ALAW_TO_ULAW, ref), -1);
  t.is(firstMismatch(transcode('PCMA', 'PCMU', new Uint8Array(256).map((_, i) => i)), ref), -1);
});

test('µ-law→A-law table matches spandsp ulaw_to_alaw on all 256 codes', (t) => {
  const ref = new Uint8Array(256).map((_, i) => ulaw_to_alaw(i) as number);
  t.is(firstMismatch(ULAW_TO_ALAW, ref), -1);
  t.is(firstMismatch(transcode('PCMU', 'PCMA', new Uint8Array(256).map((_, i) => i)), ref), -1);
});

test('transcode with the same law copies', (t) => {
  const src = new Uint8Array([1, 2, 3, 0xd5]);
  const out = transcode('PCMA', 'PCMA', src);
  t.deepEqual([...out], [1, 2, 3, 0xd5]);
  t.not(out, src);
});

test('encodeSample clamps beyond int16', (t) => {
  t.is(encodeSample('PCMA', 40000), encodeSample('PCMA', 32767));
  t.is(encodeSample('PCMU', -40000), encodeSample('PCMU', -32768));
});

test('splitFrames returns 160-byte views and the remainder', (t) => {
  const buf = new Uint8Array(160 * 2 + 7).map((_, i) => i & 0xff);
  const { frames, rest } = splitFrames(buf);
  t.is(frames.length, 2);
  t.is(frames[1]?.[0], 160);
  t.is(rest.length, 7);
  buf[160] = 99;
  t.is(frames[1]?.[0], 99, 'frames are views, not copies');
});

test('decode rejects a too-small output buffer', (t) => {
  t.throws(() => decode('PCMA', new Uint8Array(160), new Int16Array(10)), { instanceOf: RangeError });
});
