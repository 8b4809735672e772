/**
 * The media engine's conditions on the alarm board (ops/alarms.ts; issue 4: "never a silent
 * loss"):
 *
 *   media.worker.<n>        a worker died under its calls — 'major' while the slot was
 *                           restarted, 'critical' when it crashed too often to be restarted
 *                           (the appliance runs short of media capacity); cleared after
 *                           `quietMs` without another crash of that slot
 *   recording.write-failed  a recording stopped on a write error (ENOSPC, EIO); the latest
 *                           call and reason are in the message; cleared after `quietMs`
 *
 * Wired once by the daemon; returns the function that unhooks it.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { AlarmBoard } from '../../ops/alarms.js';
import type { MediaEngine } from './media-engine.js';

export interface EngineAlarmOptions {
  /** Quiet time after which a condition is cleared (default 15 minutes). */
  quietMs?: number;
}

export function wireEngineAlarms(engine: Pick<MediaEngine, 'on'>, alarms: Pick<AlarmBoard, 'raise' | 'clear'>, clock: Clock, o: EngineAlarmOptions = {}): () => void {
  const quietMs = o.quietMs ?? 15 * 60_000;
  const timers = new Map<string, TimerHandle>();
  const clearLater = (id: string): void => {
    timers.get(id)?.cancel();
    timers.set(
      id,
      clock.setTimeout(() => {
        timers.delete(id);
        alarms.clear(id);
      }, quietMs),
    );
  };
  const offs = [
    engine.on('worker.failed', (f) => {
      const id = `media.worker.${f.index}`;
      const what = `${f.reason}; ${f.endpoints} legs ended, ${f.recordings} recordings repaired`;
      if (f.restarting) {
        alarms.raise(id, 'major', `${what}; worker restarted`);
        clearLater(id);
      } else {
        timers.get(id)?.cancel();
        timers.delete(id);
        alarms.raise(id, 'critical', `${what}; crashing repeatedly, not restarted: media capacity reduced`);
      }
    }),
    engine.on('recording.alarm.raised', (e) => {
      alarms.raise('recording.write-failed', 'major', `recording of call ${e.callId} stopped: ${e.reason} (${e.path})`);
      clearLater('recording.write-failed');
    }),
  ];
  return () => {
    for (const off of offs) off();
    for (const t of timers.values()) t.cancel();
    timers.clear();
  };
}
