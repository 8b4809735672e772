import test from 'ava';
import { EventEmitter } from 'node:events';
import type { IsupSignalling } from './isup-link.js';
import { isupTdmSignalling } from './tdm-adapter.js';

/** The IsupSignalling surface the adapter uses: CIC = timeslot + 100, scripted levels. */
class FakeIsup extends EventEmitter {
  readonly linkNo = 1;
  readonly verbs: string[] = [];
  readonly levels = new Map<number, string>();
  blocked = new Set<number>();
  cicOf(ts: number): number | null {
    return ts >= 1 && ts <= 31 && ts !== 16 ? ts + 100 : null;
  }
  callLevel(cic: number): string | null {
    return this.levels.get(cic) ?? 'idle';
  }
  blocking(cic: number): { local: boolean; remote: boolean } | null {
    return { local: this.blocked.has(cic), remote: false };
  }
  iam(p: { timeslot?: number; called: string; calling: string }): string {
    this.verbs.push(`iam ts${p.timeslot} ${p.called}`);
    return 'sent';
  }
  acm(cic: number): void {
    this.verbs.push(`acm ${cic}`);
  }
  anm(cic: number): void {
    this.verbs.push(`anm ${cic}`);
  }
  rel(cic: number, cause: number): void {
    this.verbs.push(`rel ${cic} ${cause}`);
  }
}

test('ISUP: IAM → ring by timeslot; a far-end REL is a remote hangup; our REL confirmed by RLC is a local one with our cause', (t) => {
  const isup = new FakeIsup();
  const port = isupTdmSignalling(isup as unknown as IsupSignalling, { spanNo: 1, timeslots: [1, 2, 3] });
  const seen: unknown[] = [];
  port.on('ring', (e) => seen.push(['ring', e]));
  port.on('hangup', (e) => seen.push(['hangup', e]));
  isup.emit('iam', { cic: 102, timeslot: 2, called: '95598', calling: '13800138000', presentation: 'restricted', complete: true });
  port.answer(2);
  port.hangup(2, 16);
  isup.emit('rlc', { cic: 102, timeslot: 2 });
  isup.emit('rlc', { cic: 103, timeslot: 3 });
  isup.emit('rel', { cic: 101, timeslot: 1, cause: 41, reason: 'remote' });
  t.deepEqual(seen, [
    ['ring', { timeslot: 2, calling: '13800138000', callingName: '', called: '95598', presentation: 'restricted' }],
    ['hangup', { timeslot: 2, cause: 16, by: 'local' }],
    ['hangup', { timeslot: 1, cause: 41, by: 'remote' }],
  ]);
  t.deepEqual(isup.verbs, ['anm 102', 'rel 102 16']);
});

test('ISUP setup picks the first idle unblocked circuit; progress sends ACM only before anything else', (t) => {
  const isup = new FakeIsup();
  const port = isupTdmSignalling(isup as unknown as IsupSignalling, { spanNo: 1, timeslots: [1, 2, 3] });
  isup.levels.set(101, 'answered');
  isup.blocked.add(102);
  t.deepEqual(port.setup({ called: '1', calling: '2' }), { ok: true, timeslot: 3 });
  isup.levels.set(103, 'setup');
  t.deepEqual(port.setup({ called: '1', calling: '2' }), { ok: false, reason: 'no-circuit' });
  isup.levels.set(104, 'setup');
  port.progress(4);
  isup.levels.set(104, 'alerting');
  port.progress(4);
  t.deepEqual(isup.verbs, ['iam ts3 1', 'acm 104']);
});
