/**
 * WAV writer/reader against real sox: headers compared byte for byte with files sox writes,
 * our files read back by `sox --i`, and crash repair checked by sox after the fix-up.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ParseError } from '../../core/errors.js';
import { decode as g711Decode } from './g711.js';
import {
  bytesToPcm16,
  decode,
  decodeHeader,
  encode,
  encodeHeader,
  finalizeHeader,
  headerSize,
  interleave,
  pcm16ToBytes,
  repairWavFile,
  type WavFormat,
} from './wav.js';

const dir = mkdtempSync(path.join(tmpdir(), 'wav-test-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const sox = (...args: string[]): string => execFileSync('sox', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const soxi = (file: string): Record<string, string> => {
  const out = execFileSync('sox', ['--i', file], { encoding: 'utf8' });
  return Object.fromEntries(
    out
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()]),
  );
};

const cases: Array<[WavFormat, string[]]> = [
  [{ encoding: 'alaw', channels: 1, sampleRate: 8000 }, ['-e', 'a-law', '-c', '1']],
  [{ encoding: 'alaw', channels: 2, sampleRate: 8000 }, ['-e', 'a-law', '-c', '2']],
  [{ encoding: 'ulaw', channels: 1, sampleRate: 8000 }, ['-e', 'u-law', '-c', '1']],
  [{ encoding: 'ulaw', channels: 2, sampleRate: 8000 }, ['-e', 'u-law', '-c', '2']],
  [{ encoding: 'pcm16', channels: 1, sampleRate: 8000 }, ['-e', 'signed', '-b', '16', '-c', '1']],
  [{ encoding: 'pcm16', channels: 2, sampleRate: 8000 }, ['-e', 'signed', '-b', '16', '-c', '2']],
];

for (const [fmt, soxArgs] of cases) {
  const name = `${fmt.encoding} ${fmt.channels === 1 ? 'mono' : 'stereo'}`;
  test(`${name}: header is byte-identical to the one sox writes`, (t) => {
    const file = path.join(dir, `sox-${fmt.encoding}-${fmt.channels}.wav`);
    sox('-n', '-r', '8000', ...soxArgs, file, 'synth', '0.1', 'sine', '440');
    const raw = new Uint8Array(readFileSync(file));
    const info = decodeHeader(raw);
    t.is(info.encoding, fmt.encoding);
    t.is(info.channels, fmt.channels);
    t.is(info.sampleRate, 8000);
    t.is(info.dataOffset, headerSize(fmt));
    t.deepEqual(encodeHeader(fmt, info.declaredDataLength), raw.subarray(0, info.dataOffset));
  });

  test(`${name}: sox reads our file with the right format and length`, (t) => {
    const file = path.join(dir, `ours-${fmt.encoding}-${fmt.channels}.wav`);
    const frames = 800; // 100 ms
    const bps = fmt.encoding === 'pcm16' ? 2 : 1;
    writeFileSync(file, encode(fmt, new Uint8Array(frames * fmt.channels * bps).fill(fmt.encoding === 'pcm16' ? 0 : 0xd5)));
    const i = soxi(file);
    t.is(i['Channels'], String(fmt.channels));
    t.is(i['Sample Rate'], '8000');
    t.regex(i['Duration'] ?? '', /= 800 samples/);
    t.regex(i['Sample Encoding'] ?? '', fmt.encoding === 'alaw' ? /A-law/ : fmt.encoding === 'ulaw' ? /u-law/ : /16-bit Signed/);
  });
}

test('decode reads A-law stereo audio that sox wrote; our G.711 decode equals sox\'s', (t) => {
  const alawFile = path.join(dir, 'alaw-from-sox.wav');
  const pcmFile = path.join(dir, 'pcm-from-alaw.wav');
  sox('-n', '-r', '8000', '-e', 'a-law', '-c', '2', alawFile, 'synth', '0.05', 'sine', '300', 'sine', '700');
  sox(alawFile, '-e', 'signed', '-b', '16', pcmFile);
  const { info, data } = decode(new Uint8Array(readFileSync(alawFile)));
  t.is(info.channels, 2);
  t.is(data.length, 800);
  const soxPcm = bytesToPcm16(decode(new Uint8Array(readFileSync(pcmFile))).data);
  t.deepEqual(g711Decode('PCMA', data), soxPcm);
});

test('interleave puts caller left and agent right', (t) => {
  t.deepEqual([...interleave(new Uint8Array([1, 2]), new Uint8Array([9, 8]))], [1, 9, 2, 8]);
  t.deepEqual([...interleave(Int16Array.of(-1, 2), Int16Array.of(3, -4))], [-1, 3, 2, -4]);
  t.throws(() => interleave(new Uint8Array(2), new Uint8Array(3)), { instanceOf: RangeError });
});

test('pcm16 bytes round-trip little-endian', (t) => {
  const s = Int16Array.of(0, 1, -1, 32767, -32768);
  t.deepEqual(bytesToPcm16(pcm16ToBytes(s)), s);
  t.deepEqual([...pcm16ToBytes(Int16Array.of(0x1234))], [0x34, 0x12]);
});

test('finalizeHeader patches RIFF, fact and data sizes', (t) => {
  const fmt: WavFormat = { encoding: 'ulaw', channels: 2, sampleRate: 8000 };
  const h = encodeHeader(fmt);
  t.is(decodeHeader(h).declaredDataLength, 0);
  finalizeHeader(h, 3200);
  t.deepEqual(h, encodeHeader(fmt, 3200));
});

test('repair: an unfinalized A-law stereo recording gets correct sizes and sox reads its full length', async (t) => {
  const fmt: WavFormat = { encoding: 'alaw', channels: 2, sampleRate: 8000 };
  const file = path.join(dir, 'crashed.wav');
  writeFileSync(file, encodeHeader(fmt)); // sizes 0, as written at the start of a call
  for (let i = 0; i < 50; i++) appendFileSync(file, new Uint8Array(320).fill(0xd5)); // 50 × 20 ms stereo
  appendFileSync(file, new Uint8Array([0xd5])); // half a stereo frame when the process died
  const r = await repairWavFile(file);
  t.true(r.repaired);
  t.is(r.truncatedBytes, 1);
  t.is(r.dataLength, 16000);
  t.is(r.durationMs, 1000);
  t.is(statSync(file).size, headerSize(fmt) + 16000);
  t.deepEqual(new Uint8Array(readFileSync(file)).subarray(0, headerSize(fmt)), encodeHeader(fmt, 16000));
  t.regex(soxi(file)['Duration'] ?? '', /= 8000 samples/);
});

test('repair: a stale size from a sox file that grew after writing is fixed; a good file is untouched', async (t) => {
  const file = path.join(dir, 'grown.wav');
  sox('-n', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', file, 'synth', '0.1', 'sine', '440');
  const before = readFileSync(file);
  t.false((await repairWavFile(file)).repaired, 'a complete file is left alone');
  t.deepEqual(readFileSync(file), before);
  appendFileSync(file, new Uint8Array(1600)); // 100 ms more without updating the header
  const r = await repairWavFile(file);
  t.true(r.repaired);
  t.is(r.durationMs, 200);
  t.regex(soxi(file)['Duration'] ?? '', /= 1600 samples/);
});

test('decode trusts the file length over an unfinalized data size', (t) => {
  const fmt: WavFormat = { encoding: 'pcm16', channels: 1, sampleRate: 8000 };
  const buf = new Uint8Array(headerSize(fmt) + 321);
  buf.set(encodeHeader(fmt));
  t.is(decode(buf).data.length, 320);
});

const malformed: Array<[string, Uint8Array, RegExp]> = [
  ['rejects a file shorter than the RIFF header', new Uint8Array(8), /too short/],
  ['rejects a non-RIFF file', new TextEncoder().encode('ID3\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'), /no RIFF/],
  ['rejects a RIFF that is not WAVE', new TextEncoder().encode('RIFF\x00\x00\x00\x00AVI LIST'), /not WAVE/],
  [
    'rejects an unsupported format tag (e.g. MP3 in WAV, 0x55)',
    (() => {
      const h = encodeHeader({ encoding: 'alaw', channels: 1, sampleRate: 8000 });
      h[20] = 0x55;
      return h;
    })(),
    /format tag 85/,
  ],
  [
    'rejects a data chunk before fmt',
    new TextEncoder().encode('RIFF\x00\x00\x00\x00WAVEdata\x00\x00\x00\x00'),
    /before fmt/,
  ],
  ['rejects a WAVE without a data chunk', encodeHeader({ encoding: 'pcm16', channels: 1, sampleRate: 8000 }).subarray(0, 36), /no data chunk/],
];
for (const [name, buf, msg] of malformed) {
  test(name, (t) => {
    t.throws(() => decodeHeader(buf), { instanceOf: ParseError, message: msg });
  });
}
