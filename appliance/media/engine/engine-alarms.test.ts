import test from 'ava';
import { EventEmitter } from 'node:events';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { AlarmBoard } from '../../ops/alarms.js';
import { wireEngineAlarms } from './engine-alarms.js';
import type { MediaEngine, MediaEngineEvents } from './media-engine.js';

function fakeEngine(): { engine: Pick<MediaEngine, 'on'>; emit<K extends keyof MediaEngineEvents>(k: K, ...a: MediaEngineEvents[K]): void } {
  const em = new EventEmitter();
  return {
    engine: {
      on: ((k: string, fn: (...a: unknown[]) => void) => {
        em.on(k, fn);
        return () => em.off(k, fn);
      }) as MediaEngine['on'],
    },
    emit: (k, ...a) => em.emit(k, ...a),
  };
}

test('a worker crash raises a major alarm cleared after a quiet time; a crash loop is critical and stays', (t) => {
  const clock = new ManualClock();
  const alarms = new AlarmBoard({ clock });
  const f = fakeEngine();
  const off = wireEngineAlarms(f.engine, alarms, clock, { quietMs: 60_000 });
  f.emit('worker.failed', { index: 1, reason: 'media worker 1 died: exited with code 1', endpoints: 4, recordings: 2, restarting: true });
  t.like(alarms.list()[0], { id: 'media.worker.1', severity: 'major' });
  t.regex(alarms.list()[0]?.message ?? '', /4 legs ended, 2 recordings repaired; worker restarted/);
  clock.advance(59_000);
  t.is(alarms.list().length, 1);
  clock.advance(1_000);
  t.is(alarms.list().length, 0, 'cleared after a quiet minute');

  f.emit('worker.failed', { index: 0, reason: 'x', endpoints: 0, recordings: 0, restarting: true });
  f.emit('worker.failed', { index: 0, reason: 'y', endpoints: 0, recordings: 0, restarting: false });
  t.like(alarms.critical()[0], { id: 'media.worker.0' });
  clock.advance(3_600_000);
  t.is(alarms.critical().length, 1, 'a slot left down stays critical');
  off();
});

test('a recording write failure raises recording.write-failed with the call and reason', (t) => {
  const clock = new ManualClock();
  const alarms = new AlarmBoard({ clock });
  const f = fakeEngine();
  wireEngineAlarms(f.engine, alarms, clock);
  f.emit('recording.alarm.raised', { recordingId: 'r', callId: 'call-9', reason: 'ENOSPC', path: '/rec/x.wav' });
  t.like(alarms.list()[0], { id: 'recording.write-failed', severity: 'major' });
  t.regex(alarms.list()[0]?.message ?? '', /call-9 stopped: ENOSPC/);
});
