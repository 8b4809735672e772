/**
 * The recording-volume monitor on a ManualClock with a scripted statfs: the warning and full
 * alarms, clearing with hysteresis, stop-new refusing (and counting) through CallRecordings'
 * gate, overwrite-oldest-archived with and without an archive; then the real statfs(2) on a
 * temp dir, and the `/metrics` gauges.
 */
import test from 'ava';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { parseConfig } from '../../core/config.js';
import { ConflictError } from '../../core/errors.js';
import { EventBus, type AnyAppEvent } from '../../core/events.js';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { AlarmBoard } from '../../ops/alarms.js';
import { CallRecordings, policyFromConfig } from '../../calls/recording-control.js';
import type { BridgeHandle } from '../engine/media-engine.js';
import { RecordingVolume, statVolume, VOLUME_ALARM_ID, type ArchivedRecording, type RecordingVolumeOptions, type WhenFull } from './recording-volume.js';

const GiB = 1024 ** 3;
const TOTAL = 100 * GiB;

/** A volume of 100 GiB whose free space the test sets in percent; deleted files give their bytes back. */
function fakeVolume() {
  const v = {
    free: 50 * GiB,
    fail: null as string | null,
    reads: 0,
    sizes: new Map<string, number>(),
    setPercent(p: number) {
      v.free = (p / 100) * TOTAL;
    },
    statfs: async (dir: string) => {
      v.reads++;
      if (v.fail) throw Object.assign(new Error(`${v.fail}: ${dir}`), { code: v.fail });
      return { freeBytes: v.free, totalBytes: TOTAL };
    },
    remove: async (file: string) => {
      const size = v.sizes.get(file);
      if (size === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
      v.sizes.delete(file);
      v.free += size;
    },
  };
  return v;
}

function setup(o: Partial<RecordingVolumeOptions> & { whenFull?: WhenFull; archive?: ArchivedRecording[] | null } = {}) {
  const clock = new ManualClock();
  const alarms = new AlarmBoard({ clock });
  const bus = new EventBus({ clock, log: silentLogger() });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const vol = fakeVolume();
  const prunedIds: string[] = [];
  const stock = o.archive ?? null;
  for (const r of stock ?? []) vol.sizes.set(r.path, r.size);
  const archive =
    stock === null
      ? null
      : {
          oldestArchived: (limit: number) => stock.filter((r) => !prunedIds.includes(r.id)).slice(0, limit),
          pruned: (id: string) => void prunedIds.push(id),
        };
  const monitor = new RecordingVolume(
    { clock, log: silentLogger(), bus, statfs: vol.statfs, remove: vol.remove, archive },
    { dir: '/rec', warnFreePercent: 10, fullFreePercent: 3, whenFull: o.whenFull ?? 'stop-new', checkIntervalMs: 30_000, ...o },
  );
  const stop = monitor.start(alarms);
  /** Set the free space and let the interval fire once (the scripted statfs settles within a turn). */
  const at = async (percent: number) => {
    await monitor.check();
    vol.setPercent(percent);
    const before = vol.reads;
    await clock.advanceAsync(30_000);
    if (vol.reads === before) throw new Error('the interval did not check');
  };
  return { clock, alarms, events, vol, monitor, stop, at, prunedIds };
}

const alarm = (alarms: AlarmBoard) => alarms.list().find((a) => a.id === VOLUME_ALARM_ID);

test('below warn is a major alarm, below full critical; each is left only past its threshold plus the margin', async (t) => {
  const s = setup();
  await s.monitor.check();
  t.is(alarm(s.alarms), undefined, '50% free: no alarm');

  await s.at(9.5);
  t.like(alarm(s.alarms), { severity: 'major' });
  t.regex(alarm(s.alarms)?.message ?? '', /\/rec: 9\.5% free \(9\.5 GiB\); nearly full below 10% \(clears at 12%\)/);

  await s.at(2.5);
  t.like(alarm(s.alarms), { severity: 'critical' });
  t.is(s.alarms.critical().length, 1, 'readiness sees a critical alarm');

  await s.at(4.5);
  t.like(alarm(s.alarms), { severity: 'critical' }, '4.5% is above 3% but inside the margin: still full');
  await s.at(5);
  t.like(alarm(s.alarms), { severity: 'major' }, 'at 3% + 2 points it is only low');
  await s.at(11);
  t.like(alarm(s.alarms), { severity: 'major' }, '11% is above 10% but inside the margin');
  await s.at(12);
  t.is(alarm(s.alarms), undefined, 'cleared at 12%');
  await s.at(9.9);
  t.like(alarm(s.alarms), { severity: 'major' }, 'raised again at once when it falls back');

  const levels = s.events.filter((e) => e.type === 'recording.volume.changed').map((e) => (e.payload as { level: string }).level);
  t.deepEqual(levels, ['low', 'full', 'low', 'ok', 'low'], 'one event per level change, none for readings inside the margin');

  const reads = s.vol.reads;
  s.stop();
  await s.clock.advanceAsync(120_000);
  t.is(s.vol.reads, reads, 'no checks after stop');
});

test('a volume that cannot be read is an alarm, not a silence', async (t) => {
  const s = setup();
  await s.monitor.check();
  s.vol.fail = 'EIO';
  await s.clock.advanceAsync(30_000);
  t.like(alarm(s.alarms), { severity: 'major' });
  t.regex(alarm(s.alarms)?.message ?? '', /cannot read the free space of \/rec: EIO/);
  t.is(s.monitor.status().error?.includes('EIO'), true);
  s.vol.fail = null;
  await s.at(40);
  t.is(alarm(s.alarms), undefined, 'cleared when it reads again with room');
});

test('stop-new: while full the gate refuses new recordings through CallRecordings, each one counted and published', async (t) => {
  const s = setup({ whenFull: 'stop-new' });
  let recordCalls = 0;
  const bridge = {
    record: async () => {
      recordCalls++;
      throw new Error('the engine is not part of this test');
    },
  } as unknown as BridgeHandle;
  const recordings = new CallRecordings({ policy: policyFromConfig({ mode: 'on-demand', queues: [], format: 'alaw', beep: false }), log: silentLogger(), gate: s.monitor.gate });
  await recordings.bridged({ id: 'call-1', route: null, cdr: new Promise(() => undefined) }, bridge);

  await s.at(9);
  t.is(s.monitor.gate(), null, 'only low: recordings still start');
  await s.at(2);
  const refused = await t.throwsAsync(recordings.start('call-1'), { instanceOf: ConflictError });
  t.regex(refused?.message ?? '', /recording refused: recording volume full \(2% free, below 3%\).*stop-new/);
  await t.throwsAsync(recordings.start('call-1'), { instanceOf: ConflictError });
  t.is(recordCalls, 0, 'the engine was never asked to record');
  t.is(s.monitor.status().refused, 2);
  const published = s.events.filter((e) => e.type === 'recording.start.refused');
  t.deepEqual(
    published.map((e) => (e.payload as { refused: number }).refused),
    [1, 2],
  );
  t.regex(alarm(s.alarms)?.message ?? '', /new recordings are refused \(2 so far\)/);

  await s.at(6);
  t.is(s.monitor.gate(), null, 'back above full + margin: recordings start again');
  await t.throwsAsync(recordings.start('call-1'), { message: 'the engine is not part of this test' });
  t.is(recordCalls, 1);
  t.is(s.monitor.status().refused, 2, 'an admitted recording is not counted');
});

test('overwrite-oldest-archived without an archive deletes nothing, refuses nothing, and says so', async (t) => {
  const s = setup({ whenFull: 'overwrite-oldest-archived', archive: null });
  await s.at(1);
  t.like(alarm(s.alarms), { severity: 'critical' });
  t.regex(alarm(s.alarms)?.message ?? '', /overwriting the oldest archived recordings: no recording archive exists yet, so nothing was deleted/);
  t.is(s.monitor.gate(), null, 'this policy never refuses');
  t.is(s.monitor.status().pruned, 0);
  t.is(s.monitor.status().refused, 0);
});

test('overwrite-oldest-archived deletes the oldest archived files until full + margin is free, and only when full', async (t) => {
  const archived = Array.from({ length: 6 }, (_, i) => ({ id: `rec${i}`, path: `/rec/2026-01-0${i + 1}/r${i}.wav`, size: 1 * GiB }));
  const s = setup({ whenFull: 'overwrite-oldest-archived', archive: archived });
  await s.at(4);
  t.deepEqual(s.prunedIds, [], 'low is not full: nothing deleted');
  t.like(alarm(s.alarms), { severity: 'major' });

  await s.at(2);
  t.deepEqual(s.prunedIds, ['rec0', 'rec1', 'rec2'], 'oldest first, 2% + 3 GiB reaches 5%');
  t.is(s.vol.free, 5 * GiB);
  t.false(s.vol.sizes.has('/rec/2026-01-01/r0.wav'));
  t.true(s.vol.sizes.has('/rec/2026-01-04/r3.wav'));
  t.like(alarm(s.alarms), { severity: 'major' }, 'room was made: back to the warning level');
  t.is(s.events.filter((e) => e.type === 'recording.file.pruned').length, 3);

  // The two policies on the same reading: stop-new refuses, overwrite never does.
  await s.at(0.5);
  t.deepEqual(s.prunedIds, ['rec0', 'rec1', 'rec2', 'rec3', 'rec4', 'rec5']);
  t.like(alarm(s.alarms), { severity: 'critical' });
  t.regex(alarm(s.alarms)?.message ?? '', /deleted 3 archived recordings, still short of room/);
  t.is(s.monitor.gate(), null);
  const stopNew = setup({ whenFull: 'stop-new' });
  await stopNew.at(0.5);
  t.truthy(stopNew.monitor.gate());
  t.deepEqual(stopNew.prunedIds, []);
});

test('the real statfs on a temp dir (and on a folder not made yet)', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rec-volume-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const s = statfsSync(dir);
  const got = await statVolume(dir);
  t.is(got.totalBytes, s.blocks * s.bsize);
  t.true(got.freeBytes > 0 && got.freeBytes <= got.totalBytes);
  t.true(Math.abs(got.freeBytes - s.bavail * s.bsize) < 64 * 1024 ** 2, 'free space as statfs(2) reports it');
  const notYet = await statVolume(path.join(dir, 'recordings', '2026-01-05'));
  t.is(notYet.totalBytes, got.totalBytes, 'a missing folder is measured on its nearest existing ancestor');

  const clock = new ManualClock();
  const alarms = new AlarmBoard({ clock });
  const freePercent = (got.freeBytes / got.totalBytes) * 100;
  // Thresholds just above the real free space: this volume is "nearly full" to the monitor.
  const monitor = new RecordingVolume({ clock, log: silentLogger() }, { dir, warnFreePercent: Math.min(100, freePercent + 1), fullFreePercent: 0, whenFull: 'stop-new', checkIntervalMs: 1000 });
  monitor.start(alarms);
  const status = await monitor.check();
  t.is(status.level, 'low');
  t.like(alarm(alarms), { severity: 'major' });

  const roomy = new RecordingVolume({ clock, log: silentLogger() }, { dir, warnFreePercent: 0, fullFreePercent: 0, whenFull: 'stop-new', checkIntervalMs: 1000 });
  t.is((await roomy.check()).level, 'ok');
  t.is(roomy.status().totalBytes, got.totalBytes);
});

test('/metrics exposes the free and total bytes of the last check and the refusals', async (t) => {
  const s = setup();
  const registry = new Registry();
  s.monitor.registerMetrics(registry);
  await s.at(2);
  s.monitor.gate();
  const text = await registry.metrics();
  t.regex(text, new RegExp(`^recording_volume_free_bytes ${2 * GiB}$`, 'm'));
  t.regex(text, new RegExp(`^recording_volume_total_bytes ${TOTAL}$`, 'm'));
  t.regex(text, /^recording_refused_total 1$/m);
});

test('config: the defaults, and fullFreePercent must be below warnFreePercent', (t) => {
  const r = parseConfig({ text: null, dataDirOverride: null }).recording;
  t.like(r, { warnFreePercent: 10, fullFreePercent: 3, whenFull: 'stop-new', checkIntervalMs: 30_000 });
  const paths = (text: string) => {
    const err = t.throws(() => parseConfig({ text, dataDirOverride: null })) as unknown as { issues?: { path: string }[] };
    return (err.issues ?? []).map((i) => i.path);
  };
  t.deepEqual(paths('recording: { warnFreePercent: 5, fullFreePercent: 5 }'), ['recording.fullFreePercent']);
  t.deepEqual(paths('recording: { whenFull: delete-everything }'), ['recording.whenFull']);
});
