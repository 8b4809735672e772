/**
 * ISDN PRI (ITU-T Q.931 through libpri, pri-span.ts) as the signalling-neutral `TdmSignalling`
 * port of drivers/types.ts, which the appliance's TDM legs use. Q.931 already speaks in B
 * channels (= E1 timeslots with the exclusive channel identification we send) and Q.850
 * causes, so this is a renaming: SETUP → ring, ALERTING → ringing, CONNECT → answer,
 * DISCONNECT/RELEASE → hangup; PROGRESS with "in-band information available" (Q.931 §4.5.23,
 * progress description 8) → ringing with `inband`.
 */
import { E1_BEARER_TIMESLOTS, type TdmSetup, type TdmSetupResult, type TdmSignalling, type TdmSignallingEvents } from '../types.js';
import type { PriSignalling } from './pri-span.js';

type Name = keyof TdmSignallingEvents;
type Fn<K extends Name> = (e: TdmSignallingEvents[K]) => void;

export function priTdmSignalling(pri: PriSignalling, opts: { timeslots?: readonly number[] } = {}): TdmSignalling {
  const timeslots = opts.timeslots ?? E1_BEARER_TIMESLOTS;
  const listeners = new Map<Name, Set<Fn<never>>>();
  const emit = <K extends Name>(k: K, e: TdmSignallingEvents[K]): void => {
    for (const fn of listeners.get(k) ?? []) (fn as Fn<K>)(e);
  };
  pri.on('ring', (r) => emit('ring', { timeslot: r.channel, calling: r.calling, callingName: r.callingName, called: r.called, presentation: r.presentation }));
  pri.on('proceeding', (p) => emit('proceeding', { timeslot: p.channel }));
  pri.on('ringing', (r) => emit('ringing', { timeslot: r.channel, inband: r.inband }));
  pri.on('progress', (p) => {
    if (p.inband) emit('ringing', { timeslot: p.channel, inband: true });
  });
  pri.on('answer', (a) => emit('answer', { timeslot: a.channel }));
  pri.on('hangup', (h) => emit('hangup', { timeslot: h.channel, cause: h.cause, by: h.by }));

  const port: TdmSignalling = {
    kind: 'pri',
    spanNo: pri.spanNo,
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
      const timeslot = p.timeslot ?? timeslots.find((ts) => pri.callLevel(ts) === null);
      if (timeslot === undefined) return { ok: false, reason: 'no-circuit' };
      const r = pri.setup({ channel: timeslot, called: p.called, calling: p.calling, ...(p.presentation ? { presentation: p.presentation } : {}) });
      if (r === 'sent') return { ok: true, timeslot };
      return { ok: false, reason: r === 'dchan-down' ? 'link-down' : 'busy' };
    },
    proceeding: (ts) => pri.proceeding(ts),
    alerting: (ts, inband = false) => pri.alerting(ts, inband),
    progress: (ts) => pri.progress(ts),
    answer: (ts) => pri.answer(ts),
    hangup: (ts, cause) => pri.hangup(ts, cause),
  };
  return port;
}
