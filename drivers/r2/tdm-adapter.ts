/**
 * China No.1 MFC-R2 (r2-span.ts: Q.421 line signalling, Q.441 compelled MF registers) as the
 * signalling-neutral `TdmSignalling` port of drivers/types.ts. R2 already names circuits by
 * timeslot and reports Q.850 causes (mapped from Group B signals and line states in
 * china-no1.ts), so this is a renaming: a seizure with DNIS and ANI complete → ring, Group B
 * "subscriber free" → ringing (ringback is in-band on R2), the answer line signal → answer,
 * clear-forward / clear-back → hangup.
 *
 * R2 carries no presentation indicator: an ANI is taken as presentable, a missing one (the
 * exchange answered the ANI request with "not available") as unavailable. R2 has no
 * CALL PROCEEDING or PROGRESS to send; those verbs are no-ops.
 */
import type { TdmSetup, TdmSetupResult, TdmSignalling, TdmSignallingEvents } from '../types.js';
import type { R2Signalling } from './r2-span.js';

type Name = keyof TdmSignallingEvents;
type Fn<K extends Name> = (e: TdmSignallingEvents[K]) => void;

export function r2TdmSignalling(r2: R2Signalling): TdmSignalling {
  const listeners = new Map<Name, Set<Fn<never>>>();
  const emit = <K extends Name>(k: K, e: TdmSignallingEvents[K]): void => {
    for (const fn of listeners.get(k) ?? []) (fn as Fn<K>)(e);
  };
  r2.on('ring', (r) =>
    emit('ring', { timeslot: r.timeslot, calling: r.calling, callingName: '', called: r.called, presentation: r.calling ? 'allowed' : 'unavailable' }),
  );
  r2.on('ringing', (r) => emit('ringing', { timeslot: r.timeslot, inband: true }));
  r2.on('answer', (a) => emit('answer', { timeslot: a.timeslot }));
  r2.on('hangup', (h) => emit('hangup', { timeslot: h.timeslot, cause: h.cause, by: h.by }));

  const port: TdmSignalling = {
    kind: 'r2',
    spanNo: r2.spanNo,
    on(event, fn) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(fn as Fn<never>);
      return port;
    },
    off(event, fn) {
      listeners.get(event)?.delete(fn as Fn<never>);
      return port;
    },
    setup(p: TdmSetup): TdmSetupResult {
      const r = r2.dial({ called: p.called, calling: p.calling, ...(p.timeslot !== undefined ? { timeslot: p.timeslot } : {}) });
      if (r.ok) return { ok: true, timeslot: r.timeslot };
      return { ok: false, reason: r.reason === 'circuit-busy' ? 'busy' : 'no-circuit' };
    },
    proceeding: () => undefined,
    alerting: (ts) => r2.alerting(ts),
    progress: () => undefined,
    answer: (ts) => r2.answer(ts),
    hangup: (ts, cause) => r2.hangup(ts, cause),
  };
  return port;
}
