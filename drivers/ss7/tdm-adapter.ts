/**
 * SS7 ISUP (ITU-T Q.764 through libss7, isup-link.ts) as the signalling-neutral
 * `TdmSignalling` port of drivers/types.ts. ISUP names circuits by CIC; the port names them
 * by E1 timeslot, so every event and verb is translated through the link's CIC ↔ timeslot
 * map. Q.764 §2.1: IAM → ring, ACM → ringing, ANM → answer; §2.3: a received REL → hangup by
 * the far end (the link answers RLC), our REL confirmed by RLC → hangup by us with our cause.
 * ISUP has no CALL PROCEEDING to send; early media rides on ACM (Q.764 §2.1.4.2, in-band
 * information), so `progress` sends ACM when nothing has been sent yet.
 */
import type { TdmSetup, TdmSetupResult, TdmSignalling, TdmSignallingEvents } from '../types.js';
import { Q850, type IsupSignalling } from './isup-link.js';

type Name = keyof TdmSignallingEvents;
type Fn<K extends Name> = (e: TdmSignallingEvents[K]) => void;

export function isupTdmSignalling(isup: IsupSignalling, opts: { spanNo: number; timeslots: readonly number[] }): TdmSignalling {
  const listeners = new Map<Name, Set<Fn<never>>>();
  const localCause = new Map<number, number>();
  const emit = <K extends Name>(k: K, e: TdmSignallingEvents[K]): void => {
    for (const fn of listeners.get(k) ?? []) (fn as Fn<K>)(e);
  };
  const cic = (timeslot: number): number => {
    const c = isup.cicOf(timeslot);
    if (c === null) throw new RangeError(`timeslot ${timeslot} has no CIC on link ${isup.linkNo}`);
    return c;
  };
  isup.on('iam', (i) => emit('ring', { timeslot: i.timeslot, calling: i.calling, callingName: '', called: i.called, presentation: i.presentation }));
  isup.on('acm', (a) => emit('ringing', { timeslot: a.timeslot, inband: false }));
  isup.on('anm', (a) => emit('answer', { timeslot: a.timeslot }));
  isup.on('rel', (r) => {
    localCause.delete(r.cic);
    emit('hangup', { timeslot: r.timeslot, cause: r.cause, by: 'remote' });
  });
  isup.on('rlc', (r) => {
    const cause = localCause.get(r.cic);
    if (cause === undefined) return;
    localCause.delete(r.cic);
    emit('hangup', { timeslot: r.timeslot, cause, by: 'local' });
  });

  const port: TdmSignalling = {
    kind: 'isup',
    spanNo: opts.spanNo,
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
      const usable = (ts: number): boolean => {
        const c = isup.cicOf(ts);
        const b = c === null ? null : isup.blocking(c);
        return c !== null && isup.callLevel(c) === 'idle' && !!b && !b.local && !b.remote;
      };
      const timeslot = p.timeslot ?? opts.timeslots.find(usable);
      if (timeslot === undefined) return { ok: false, reason: 'no-circuit' };
      const r = isup.iam({ timeslot, called: p.called, calling: p.calling, ...(p.presentation ? { presentation: p.presentation } : {}) });
      switch (r) {
        case 'sent':
          return { ok: true, timeslot };
        case 'link-down':
          return { ok: false, reason: 'link-down' };
        case 'cic-busy':
          return { ok: false, reason: 'busy' };
        case 'cic-blocked':
          return { ok: false, reason: 'blocked' };
        case 'no-cic':
          return { ok: false, reason: 'no-circuit' };
      }
    },
    proceeding: () => undefined,
    alerting: (ts) => isup.acm(cic(ts)),
    progress: (ts) => {
      if (isup.callLevel(cic(ts)) === 'setup') isup.acm(cic(ts));
    },
    answer: (ts) => isup.anm(cic(ts)),
    hangup: (ts, cause = Q850.NORMAL_CLEARING) => {
      const c = cic(ts);
      localCause.set(c, cause);
      isup.rel(c, cause);
    },
  };
  return port;
}
