/**
 * IsupSignalling's inbound overlap (SAM) and continuity (COT) handling, fed at the ffi event
 * boundary: a scripted LibSs7 hands IsupSignalling the decoded events libss7 would (IAM with or
 * without ST and with `cot_check_required`, ISUP_EVENT_SAM, ISUP_EVENT_COT, REL, RLC) and records
 * what IsupSignalling asks of it (REL with its cause, RLC). The exchange side cannot produce
 * these through libss7 2.0: it has no call to send a SAM or a COT, and no setter for the IAM's
 * continuity-check indicator (see drivers/README.md, "SS7: SAM and COT").
 */
import test from 'ava';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import type { IsupCallPtr, LibSs7, Ss7Event, Ss7Handle } from './ffi.js';
import { IsupSignalling, type IsupSignallingEvents, type IsupSignallingOptions } from './isup-link.js';

const CALL = 0x1000n as IsupCallPtr;

/** A LibSs7 that returns scripted events and records the ISUP messages asked for. */
function scripted(): { lib: LibSs7; events: Ss7Event[]; sent: string[] } {
  const events: Ss7Event[] = [];
  const sent: string[] = [];
  const impl: Partial<LibSs7> = {
    version: () => '2.0.0',
    openLinkset: () => ({ ss7: 1n as Ss7Handle, receive: () => undefined, transmit: () => null, destroy: () => undefined }),
    checkEvent: () => events.shift() ?? null,
    scheduleNext: () => null,
    rel: (_ss7, _call, cause) => (sent.push(`REL ${cause}`), 0),
    rlc: () => (sent.push('RLC'), 0),
    acm: () => (sent.push('ACM'), 0),
    freeIfClear: () => null,
  };
  const lib = new Proxy(impl, { get: (target, key) => target[key as keyof LibSs7] ?? (() => 0) }) as LibSs7;
  return { lib, events, sent };
}

function link(opts: Partial<IsupSignallingOptions> = {}): { isup: IsupSignalling; clock: ManualClock; deliver(...evs: Ss7Event[]): Promise<void>; sent: string[]; seen: string[] } {
  const { lib, events, sent } = scripted();
  const clock = new ManualClock();
  const isup = new IsupSignalling({ linkNo: 1, pc: 1, adjPc: 2, transmit: () => undefined, ...opts }, { clock, log: silentLogger(), libss7: lib });
  const seen: string[] = [];
  for (const n of ['iam', 'rel', 'rlc', 'refused', 'continuity'] as const) {
    isup.on(n, (p: IsupSignallingEvents[typeof n]) => seen.push(`${n} ${JSON.stringify(p)}`));
  }
  return {
    isup,
    clock,
    sent,
    seen,
    async deliver(...evs) {
      events.push(...evs);
      isup.receiveFrame(new Uint8Array(5));
      await new Promise<void>((r) => setImmediate(r));
    },
  };
}

const iam = (cic: number, called: string, cotCheckRequired = false): Ss7Event => ({
  e: 'iam',
  cic,
  opc: 2,
  call: CALL,
  transcap: 0,
  called,
  calledNai: 3,
  calling: '13800138000',
  callingNai: 3,
  callingCategory: 0x0a,
  presentation: 0,
  screening: 0,
  cotCheckRequired,
});
const sam = (cic: number, digits: string): Ss7Event => ({ e: 'sam', cic, opc: 2, digits, call: CALL });
const cot = (cic: number, passed: boolean): Ss7Event => ({ e: 'cot', cic, opc: 2, passed, call: CALL });

test('en bloc (ST) without a continuity check: offered at once, as before', async (t) => {
  const l = link();
  t.teardown(() => l.isup.close());
  const got: IsupSignallingEvents['iam'][] = [];
  l.isup.on('iam', (i) => got.push(i));
  await l.deliver(iam(5, '95598#'));
  t.like(got, [{ cic: 5, timeslot: 5, called: '95598', calling: '13800138000', complete: true, overlap: false }]);
});

test('overlap: IAM "9" + SAM "55" + SAM "98#" → one offer of 95598; each SAM restarts T35', async (t) => {
  const l = link();
  t.teardown(() => l.isup.close());
  const got: IsupSignallingEvents['iam'][] = [];
  l.isup.on('iam', (i) => got.push(i));
  await l.deliver(iam(7, '9'));
  t.deepEqual(got, [], 'held while the number is incomplete');
  t.is(l.isup.callLevel(7), 'setup');
  t.is(l.isup.iam({ cic: 7, called: '1', calling: '2' }), 'link-down', 'the circuit is not free (and the link is not up)');
  l.clock.advance(14_000);
  await l.deliver(sam(7, '55'));
  l.clock.advance(14_000);
  t.deepEqual(got, [], 'T35 (15 s) restarted by the SAM');
  await l.deliver(sam(7, '98#'));
  t.like(got, [{ cic: 7, called: '95598', complete: true, overlap: true }]);
  l.clock.advance(20_000);
  t.deepEqual(l.sent, [], 'no REL: T35 stopped with the offer');
});

test('overlap: a configured DNIS length completes the number without ST', async (t) => {
  const l = link({ incoming: { dnisLength: 5 } });
  t.teardown(() => l.isup.close());
  await l.deliver(iam(3, '955'), sam(3, '9'));
  t.false(l.seen.some((s) => s.startsWith('iam')));
  await l.deliver(sam(3, '8'));
  t.like(l.seen.map((s) => s.split(' ')[0]), ['iam']);
  t.regex(l.seen[0] ?? '', /"called":"95598"/);
});

test('overlap: T35 with the number incomplete → REL cause 28, reported as refused; its RLC is not reported', async (t) => {
  const l = link({ incoming: { t35Ms: 5000 } });
  t.teardown(() => l.isup.close());
  await l.deliver(iam(9, '955'));
  l.clock.advance(4999);
  t.deepEqual(l.sent, []);
  l.clock.advance(1);
  t.deepEqual(l.sent, ['REL 28']);
  t.deepEqual(l.seen, ['refused {"cic":9,"timeslot":9,"cause":28,"why":"address-incomplete"}']);
  t.is(l.isup.callLevel(9), 'releasing');
  await l.deliver({ e: 'rlc', cic: 9, opc: 2, call: CALL });
  t.is(l.isup.callLevel(9), 'idle');
  t.deepEqual(l.seen.length, 1, 'no rlc, iam or rel for a call never offered');
  await l.deliver(sam(9, '98#'));
  t.is(l.seen.length, 1, 'a late SAM is ignored');
});

test('continuity: IAM asking for a check → loop requested; COT passed → offered', async (t) => {
  const l = link();
  t.teardown(() => l.isup.close());
  await l.deliver(iam(11, '95598#', true));
  t.deepEqual(l.seen, ['continuity {"cic":11,"timeslot":11,"check":"requested"}']);
  await l.deliver(cot(11, true));
  t.is(l.seen[1], 'continuity {"cic":11,"timeslot":11,"check":"passed"}');
  t.regex(l.seen[2] ?? '', /^iam .*"called":"95598".*"complete":true,"overlap":false/);
  t.deepEqual(l.sent, []);
  l.isup.acm(11);
  t.deepEqual(l.sent, ['ACM'], 'the offered call is the appliance’s to answer');
});

test('continuity: a failed COT clears with cause 41 and is never offered', async (t) => {
  const l = link();
  t.teardown(() => l.isup.close());
  await l.deliver(iam(12, '95598#', true), cot(12, false));
  t.deepEqual(l.sent, ['REL 41']);
  t.deepEqual(
    l.seen.map((s) => s.split(' ')[0]),
    ['continuity', 'continuity', 'refused'],
  );
  t.regex(l.seen[2] ?? '', /"cause":41,"why":"continuity-failed"/);
});

test('continuity: no COT within T8 clears with cause 41', async (t) => {
  const l = link({ incoming: { t8Ms: 10_000 } });
  t.teardown(() => l.isup.close());
  await l.deliver(iam(13, '95598#', true));
  l.clock.advance(10_000);
  t.deepEqual(l.sent, ['REL 41']);
  t.regex(l.seen.at(-1) ?? '', /^refused .*"cause":41,"why":"continuity-timeout"/);
});

test('overlap and continuity together: offered after both, whichever comes last', async (t) => {
  const l = link();
  t.teardown(() => l.isup.close());
  await l.deliver(iam(14, '95', true), cot(14, true));
  t.false(l.seen.some((s) => s.startsWith('iam')));
  l.clock.advance(12_000);
  t.deepEqual(l.sent, [], 'T8 stopped by the COT; T35 still running');
  await l.deliver(sam(14, '598#'));
  t.regex(l.seen.at(-1) ?? '', /^iam .*"called":"95598".*"overlap":true/);
});

test('the far end releases a held call: RLC sent, nothing reported, timers stopped', async (t) => {
  const l = link();
  t.teardown(() => l.isup.close());
  await l.deliver(iam(15, '95', true));
  await l.deliver({ e: 'rel', cic: 15, opc: 2, cause: 16, call: CALL });
  t.deepEqual(l.sent, ['RLC']);
  t.is(l.isup.callLevel(15), 'idle');
  l.clock.advance(60_000);
  t.deepEqual(l.sent, ['RLC'], 'no REL from a stale T35/T8');
  t.deepEqual(l.seen.map((s) => s.split(' ')[0]), ['continuity']);
});
