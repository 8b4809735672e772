import test from 'ava';
import { decode, encode } from '../appliance/media/codec/g711.js';
import { decodeAlaw, encodeAlaw } from './g711.js';

test('decodeAlaw matches the media codec for all 256 codes', (t) => {
  const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
  t.deepEqual([...decodeAlaw(codes)], [...decode('PCMA', codes)]);
});

test('encodeAlaw matches the media codec for every 16-bit sample', (t) => {
  const pcm = Int16Array.from({ length: 65536 }, (_, u) => (u >= 32768 ? u - 65536 : u));
  const ours = encodeAlaw(pcm);
  const theirs = encode('PCMA', pcm);
  let mismatches = 0;
  for (let i = 0; i < pcm.length; i++) if (ours[i] !== theirs[i]) mismatches++;
  t.is(mismatches, 0);
});

test('decode writes into the given buffer and round-trips every code', (t) => {
  const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const out = new Int16Array(256);
  t.is(decodeAlaw(codes, out), out);
  t.deepEqual([...encodeAlaw(out)], [...codes]);
});
