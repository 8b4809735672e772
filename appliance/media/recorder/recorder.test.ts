import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../core/testing/temp-dir.js';
import { FRAME_SAMPLES, decode as g711decode, encode as g711encode } from '../codec/g711.js';
import { decode as wavDecode, bytesToPcm16 } from '../codec/wav.js';
import { goertzelAmplitude } from '../tones/goertzel.js';
import { CallRecording, dateFolder } from './recorder.js';
import { nodeRecorderFs, type RecorderFs } from './recorder-fs.js';
import { recoverInterrupted } from './recovery.js';

const START = Date.UTC(2026, 2, 14, 4, 0, 0);

function sine(freq: number, frame: number, amp = 8000): Int16Array {
  const out = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < FRAME_SAMPLES; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * (frame * FRAME_SAMPLES + i)) / 8000));
  return out;
}

function soxInfo(file: string): string {
  return execFileSync('sox', ['--i', file], { encoding: 'utf8' });
}

function channel(samples: Int16Array, ch: 0 | 1): Int16Array {
  const out = new Int16Array(samples.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = samples[2 * i + ch] as number;
  return out;
}

test('A-law stereo recording: caller left, agent right, sox reads it, hash matches, .part renamed', async (t) => {
  const dir = tempDir('rec-');
  const rec = new CallRecording({ dir, callId: 'call-1', encoding: 'alaw', startedAt: START, fs: nodeRecorderFs, flushFrames: 10 });
  await rec.start();
  t.true(existsSync(rec.partPath));
  for (let f = 0; f < 75; f++) rec.pushAlaw(g711encode('PCMA', sine(1000, f)), g711encode('PCMA', sine(400, f)));
  const closed = await rec.stop();
  t.is(closed.outcome, 'complete');
  t.is(closed.path, path.join(dateFolder(dir, START), 'call-1.wav'));
  t.regex(closed.path, /2026\/03\/14\/call-1\.wav$/);
  t.false(existsSync(rec.partPath));
  t.is(closed.durationMs, 1500);
  const bytes = readFileSync(closed.path);
  t.is(closed.size, bytes.length);
  t.is(closed.sha256, createHash('sha256').update(bytes).digest('hex'));
  const info = soxInfo(closed.path);
  t.regex(info, /Channels\s*:\s*2/);
  t.regex(info, /Sample Rate\s*:\s*8000/);
  t.regex(info, /A-law/);
  t.regex(info, /Duration\s*:\s*00:00:01\.50/);
  const { data } = wavDecode(new Uint8Array(bytes));
  const pcm = g711decode('PCMA', data);
  const left = channel(pcm, 0);
  const right = channel(pcm, 1);
  t.true(goertzelAmplitude(left, 1000) > 5000, 'caller tone on the left');
  t.true(goertzelAmplitude(left, 400) < 500);
  t.true(goertzelAmplitude(right, 400) > 5000, 'agent tone on the right');
  t.true(goertzelAmplitude(right, 1000) < 500);
});

test('pcm16 recording: pause writes silence and marks the span', async (t) => {
  const dir = tempDir('rec-');
  const rec = new CallRecording({ dir, callId: 'call-2', encoding: 'pcm16', startedAt: START, fs: nodeRecorderFs });
  await rec.start();
  let f = 0;
  for (; f < 50; f++) rec.pushLinear(sine(1000, f), sine(600, f));
  t.true(rec.pause());
  t.false(rec.pause(), 'second pause is a no-op');
  for (; f < 75; f++) rec.pushLinear(sine(1000, f), sine(600, f));
  t.true(rec.resume());
  for (; f < 100; f++) rec.pushLinear(sine(1000, f), sine(600, f));
  const closed = await rec.stop();
  t.deepEqual(closed.marks, [{ fromMs: 1000, toMs: 1500 }]);
  t.regex(soxInfo(closed.path), /16-bit Signed Integer PCM/);
  const { data } = wavDecode(new Uint8Array(readFileSync(closed.path)));
  const pcm = bytesToPcm16(data);
  const left = channel(pcm, 0);
  const at = (ms: number): Int16Array => left.subarray(ms * 8, ms * 8 + 800);
  t.true(goertzelAmplitude(at(500), 1000) > 5000);
  t.is(goertzelAmplitude(at(1100), 1000), 0, 'paused span is silence');
  t.true(goertzelAmplitude(at(1600), 1000) > 5000);
  t.true(goertzelAmplitude(channel(pcm, 1).subarray(800, 1600), 600) > 5000);
});

/** The real fs, except that the disk holds only `capacity` bytes of writes. */
function fullDiskFs(capacity: number): RecorderFs {
  let used = 0;
  return {
    ...nodeRecorderFs,
    create: async (p) => {
      const f = await nodeRecorderFs.create(p);
      return {
        ...f,
        write: async (buf, pos) => {
          if (pos === 0) return f.write(buf, pos); // header rewrite needs no new space
          const room = capacity - used;
          if (room <= 0) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
          const n = await f.write(buf.subarray(0, Math.min(room, buf.length)), pos);
          used += n;
          return n;
        },
      };
    },
  };
}

test('ENOSPC stops the recording cleanly: what reached the disk is kept and finalized', async (t) => {
  const dir = tempDir('rec-');
  const rec = new CallRecording({ dir, callId: 'call-3', encoding: 'alaw', startedAt: START, fs: fullDiskFs(16_000 + 100), flushFrames: 25 });
  await rec.start();
  for (let f = 0; f < 200; f++) rec.pushAlaw(g711encode('PCMA', sine(1000, f)), g711encode('PCMA', sine(400, f)));
  await rec.drain();
  t.is(rec.failed, 'ENOSPC');
  t.false(rec.isRecording);
  rec.pushAlaw(new Uint8Array(160), new Uint8Array(160)); // ignored, no throw
  const closed = await rec.stop();
  t.is(closed.outcome, 'failed');
  t.is(closed.reason, 'ENOSPC');
  // 16 100 bytes accepted → 8050 whole stereo samples (1.006 s).
  t.is(closed.durationMs, (8050 / 8000) * 1000);
  t.regex(soxInfo(closed.path), /Channels\s*:\s*2/);
  t.true(existsSync(closed.path));
});

test('crash: a .part left open is repaired, renamed and reported as interrupted', async (t) => {
  const dir = tempDir('rec-');
  const rec = new CallRecording({ dir, callId: 'crashed', encoding: 'pcm16', startedAt: START, fs: nodeRecorderFs, flushFrames: 10 });
  await rec.start();
  for (let f = 0; f < 30; f++) rec.pushLinear(sine(1000, f), sine(400, f));
  await rec.drain(); // 30 frames on disk, header still says 0: the process "dies" here
  const folder = dateFolder(dir, START);
  writeFileSync(path.join(folder, 'empty.wav.part'), new Uint8Array(0));
  mkdirSync(path.join(dir, '2026', '01', '02'), { recursive: true });

  const found = await recoverInterrupted(dir);
  t.is(found.length, 2);
  const ok = found.find((r) => r.callId === 'crashed');
  t.truthy(ok);
  t.is(ok?.outcome, 'interrupted');
  t.is(ok?.encoding, 'pcm16');
  t.is(ok?.durationMs, 600);
  t.false(existsSync(rec.partPath));
  t.regex(soxInfo(rec.finalPath), /Duration\s*:\s*00:00:00\.60/);
  t.is(ok?.sha256, createHash('sha256').update(readFileSync(rec.finalPath)).digest('hex'));
  const broken = found.find((r) => r.callId === 'empty');
  t.is(broken?.outcome, 'failed');
  t.true(existsSync(path.join(folder, 'empty.wav.broken')));
  t.deepEqual(await recoverInterrupted(dir), [], 'second scan finds nothing');
});
