/**
 * G.711 throughput: 20 ms frames per second for decode, encode, decode+encode and A→µ
 * transcode, pure TypeScript tables. `npx tsx bench/run.ts g711`
 */
import { FRAME_SAMPLES, decode, encode, transcode } from '../appliance/media/codec/g711.js';

function bench(name: string, fn: () => void, frames = 2_000_000): void {
  for (let i = 0; i < 20_000; i++) fn(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < frames; i++) fn();
  const ns = Number(process.hrtime.bigint() - t0);
  const perFrame = ns / frames;
  const fps = 1e9 / perFrame;
  // One call leg = 50 frames/s each way.
  console.log(
    `${name.padEnd(28)} ${(fps / 1e6).toFixed(2).padStart(6)} M frames/s  ${perFrame.toFixed(0).padStart(5)} ns/frame  ` +
      `${((perFrame * 50) / 1e9 * 100 * 1000).toFixed(3)} % of a core per 1000 streams`,
  );
}

const codes = new Uint8Array(FRAME_SAMPLES).map((_, i) => (i * 37) & 0xff);
const pcm = new Int16Array(FRAME_SAMPLES).map((_, i) => Math.round(8000 * Math.sin(i / 3)));
const pcmOut = new Int16Array(FRAME_SAMPLES);
const codesOut = new Uint8Array(FRAME_SAMPLES);

console.log(`G.711, ${FRAME_SAMPLES}-sample frames, node ${process.version}`);
bench('decode A-law', () => decode('PCMA', codes, pcmOut));
bench('encode A-law', () => encode('PCMA', pcm, codesOut));
bench('decode+encode A-law', () => encode('PCMA', decode('PCMA', codes, pcmOut), codesOut));
bench('decode+encode µ-law', () => encode('PCMU', decode('PCMU', codes, pcmOut), codesOut));
bench('transcode A→µ', () => transcode('PCMA', 'PCMU', codes, codesOut));
