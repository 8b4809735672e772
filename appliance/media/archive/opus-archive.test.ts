/**
 * The Opus archive with the real tools (sox, opusenc, opusdec from Debian opus-tools) on a real
 * SQLite file, time on the manual clock: a recording is archived once it is old enough, the copy
 * decodes back to the same two voices on the same sides, the row holds the copy's hash, the
 * volume may then delete the WAV; a WAV that cannot be transcoded is a failed row retried a day
 * later, with no partial file left.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../../core/clock.js';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { openStore } from '../../store/database.js';
import { decode as decodeWav } from '../codec/wav.js';
import { hashFile } from '../recorder/recorder.js';
import { nodeRecorderFs } from '../recorder/recorder-fs.js';
import { SqliteRecordingLedger } from '../recorder/sqlite-ledger.js';
import { goertzelAmplitude } from '../tones/goertzel.js';
import { SqliteArchiveStore } from './archive-store.js';
import { OpusArchiver } from './opus-archive.js';

const HOUR = 3_600_000;

function setup(t: import('ava').ExecutionContext) {
  const dir = tempDir('opus-archive-');
  const store = openStore({ file: path.join(dir, 'a.db'), clock: systemClock, log: silentLogger() });
  t.teardown(() => store.close());
  const clock = new ManualClock(Date.UTC(2026, 10, 22, 9));
  const ledger = new SqliteRecordingLedger(store, clock);
  const archive = new SqliteArchiveStore(store);
  const archiver = new OpusArchiver({ clock, log: silentLogger(), store: archive }, { afterMs: 24 * HOUR, bitrateKbps: 24, intervalMs: HOUR, batch: 10 });
  t.teardown(() => archiver.stop());
  /** A finished stereo A-law recording: caller at `left` Hz, agent at `right` Hz. */
  const record = async (callId: string, left: number, right: number, seconds = 4): Promise<{ id: string; wav: string }> => {
    const wav = path.join(dir, '2026', '11', '22', `${callId}.wav`);
    execFileSync('mkdir', ['-p', path.dirname(wav)]);
    execFileSync('sox', ['-n', '-r', '8000', '-c', '2', '-e', 'a-law', '-b', '8', wav, 'synth', String(seconds), 'sine', String(left), 'sine', String(right), 'gain', '-6']);
    const id = ledger.opened({ callId, path: wav, legs: [{ legId: 'a', side: 'caller' }, { legId: 'b', side: 'agent' }], encoding: 'alaw', startedAt: clock.now() - seconds * 1000 });
    const { sha256, size } = await hashFile(nodeRecorderFs, wav);
    ledger.closed({ callId, path: wav, outcome: 'complete', reason: null, sha256, durationMs: seconds * 1000, size, encoding: 'alaw', marks: [] }, clock.now());
    return { id, wav };
  };
  return { dir, store, clock, ledger, archive, archiver, record };
}

function channels(file: string): { left: Int16Array; right: Int16Array } {
  const { data } = decodeWav(new Uint8Array(readFileSync(file)));
  const pcm = new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
  const left = new Int16Array(pcm.length / 2);
  const right = new Int16Array(pcm.length / 2);
  for (let i = 0; i < left.length; i++) {
    left[i] = pcm[2 * i] ?? 0;
    right[i] = pcm[2 * i + 1] ?? 0;
  }
  return { left, right };
}

test('a day-old recording is archived as Opus that decodes back to the same voices on the same sides', async (t) => {
  const s = setup(t);
  const rec = await s.record('call-opus-1', 440, 1200);
  t.deepEqual(await s.archiver.runOnce(), { archived: 0, failed: 0, bytesIn: 0, bytesOut: 0 }, 'not due before a day');
  s.clock.advance(24 * HOUR);
  const run = await s.archiver.runOnce();
  t.is(run.archived, 1);
  t.true(run.bytesOut * 2 < run.bytesIn, `Opus ${run.bytesOut} B vs WAV ${run.bytesIn} B`);
  const row = s.archive.get(rec.id);
  const opus = rec.wav.replace(/\.wav$/, '.opus');
  t.like(row, { state: 'archived', path: opus, bitrateKbps: 24, wavPrunedAt: null });
  t.is(row?.sha256, (await hashFile(nodeRecorderFs, opus)).sha256);
  t.true(existsSync(rec.wav), 'the WAV stays until the volume needs the room');
  t.false(readdirSync(path.dirname(opus)).some((f) => f.endsWith('.part')));
  t.regex(execFileSync('opusinfo', [opus]).toString(), /Channels: 2/);

  const back = path.join(s.dir, 'back.wav');
  execFileSync('opusdec', ['--quiet', '--rate', '8000', opus, back]);
  const { left, right } = channels(back);
  const mid = (x: Int16Array): Int16Array => x.subarray(8000, 24_000);
  t.true(goertzelAmplitude(mid(left), 440) > 10 * goertzelAmplitude(mid(left), 1200), 'caller on the left');
  t.true(goertzelAmplitude(mid(right), 1200) > 10 * goertzelAmplitude(mid(right), 440), 'agent on the right');

  t.is((await s.archiver.runOnce()).archived, 0, 'archived once');
  t.deepEqual(s.archive.oldestArchived(10).map((r) => r.id), [rec.id], 'the volume may delete its WAV');
  s.archive.pruned(rec.id, s.clock.now());
  t.deepEqual(s.archive.oldestArchived(10), []);
});

test('a WAV that cannot be transcoded is a failed row, retried a day later, with no partial file', async (t) => {
  const s = setup(t);
  const good = await s.record('call-opus-2', 500, 900, 2);
  const bad = await s.record('call-opus-3', 500, 900, 2);
  writeFileSync(bad.wav, Buffer.from('RIFF this is not audio at all'));
  s.clock.advance(25 * HOUR);
  const run = await s.archiver.runOnce();
  t.is(run.archived, 1);
  t.is(run.failed, 1);
  t.like(s.archive.get(good.id), { state: 'archived' });
  const failed = s.archive.get(bad.id);
  t.like(failed, { state: 'failed', path: null });
  t.regex(failed?.reason ?? '', /sox exit/);
  t.false(readdirSync(path.dirname(bad.wav)).some((f) => f.endsWith('.part') || f === 'call-opus-3.opus'));
  t.is((await s.archiver.runOnce()).failed, 0, 'not retried at once');
  s.clock.advance(24 * HOUR);
  t.is((await s.archiver.runOnce()).failed, 1, 'retried after a day');
});

test('the timer runs passes on the clock; stop aborts and stops', async (t) => {
  const s = setup(t);
  await s.record('call-opus-4', 600, 1000, 2);
  s.clock.advance(24 * HOUR);
  s.archiver.start();
  s.clock.advance(HOUR);
  const run = await s.archiver.runOnce(); // joins the pass the timer started
  t.is(run.archived, 1);
  t.is(s.archiver.totals.archived, 1);
  await s.archiver.stop();
  await s.record('call-opus-5', 600, 1000, 2);
  s.clock.advance(48 * HOUR);
  t.is(s.archiver.totals.archived, 1, 'no pass after stop');
});
