import test from 'ava';
import { ParseError } from '../../core/errors.js';
import {
  TelephoneEventReceiver,
  decode,
  digitToEvent,
  encode,
  eventToDigit,
  sendSchedule,
  type DtmfReport,
} from './dtmf-4733.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

test('decodes a telephone-event payload (golden bytes: "5", end, -10 dBm0, 800 units)', (t) => {
  t.deepEqual(decode(hex('05 8a 0320')), { event: 5, end: true, volume: 10, duration: 800 });
});

test('golden round trip and the R bit is sent as zero', (t) => {
  t.is(Buffer.from(encode({ event: 11, end: false, volume: 7, duration: 160 })).toString('hex'), '0b0700a0');
  const withR = decode(hex('0b 47 00a0'));
  t.is(withR.volume, 7, 'R bit ignored on receive');
  t.is(Buffer.from(encode(withR)).toString('hex'), '0b0700a0');
});

test('rejects a telephone-event payload shorter than 4 bytes', (t) => {
  t.throws(() => decode(hex('05 8a 03')), { instanceOf: ParseError, message: /3 bytes/ });
});

test('all 16 digits map to events 0–15 and back', (t) => {
  for (const d of '0123456789*#ABCD') t.is(eventToDigit(digitToEvent(d)) as string | null, d);
  t.is(digitToEvent('a'), 12);
  t.is(eventToDigit(16), null);
  t.throws(() => digitToEvent('E'), { instanceOf: RangeError });
});

test('sender schedule for a 100 ms digit: marker, 20 ms updates, end sent 3 times', (t) => {
  const s = sendSchedule('7', { durationMs: 100 });
  t.deepEqual(
    s.map((p) => [p.atMs, p.marker, p.event.end, p.event.duration, p.timestampOffset]),
    [
      [20, true, false, 160, 0],
      [40, false, false, 320, 0],
      [60, false, false, 480, 0],
      [80, false, false, 640, 0],
      [100, false, true, 800, 0],
      [120, false, true, 800, 0],
      [140, false, true, 800, 0],
    ],
  );
  t.true(s.every((p) => p.event.event === 7 && p.event.volume === 10));
});

test('a digit shorter than one interval is a marker end packet plus two repeats', (t) => {
  const s = sendSchedule('#', { durationMs: 10 });
  t.deepEqual(
    s.map((p) => [p.atMs, p.marker, p.event.end, p.event.duration]),
    [
      [10, true, true, 80],
      [30, false, true, 80],
      [50, false, true, 80],
    ],
  );
});

function playThrough(
  rx: TelephoneEventReceiver,
  schedule: ReturnType<typeof sendSchedule>,
  baseTs: number,
  startMs: number,
  drop: (i: number) => boolean = () => false,
): DtmfReport[] {
  const out: DtmfReport[] = [];
  schedule.forEach((p, i) => {
    if (drop(i)) return;
    out.push(...rx.push((baseTs + p.timestampOffset) >>> 0, encode(p.event), startMs + p.atMs));
  });
  return out;
}

test('receiver reports begin and a single end with the digit duration (end repeats de-duplicated)', (t) => {
  const rx = new TelephoneEventReceiver();
  const reports = playThrough(rx, sendSchedule('9', { durationMs: 120 }), 1000, 0);
  t.deepEqual(reports, [
    { kind: 'begin', digit: '9', timestamp: 1000 },
    { kind: 'end', digit: '9', timestamp: 1000, durationMs: 120, endSeen: true },
  ]);
});

test('receiver: digits back to back, first end packet lost, are still reported once each', (t) => {
  const rx = new TelephoneEventReceiver();
  const a = sendSchedule('1', { durationMs: 80 });
  const firstEnd = a.findIndex((p) => p.event.end);
  const reports = [
    ...playThrough(rx, a, 0, 0, (i) => i === firstEnd),
    ...playThrough(rx, sendSchedule('2', { durationMs: 80 }), 1600, 200),
  ];
  t.deepEqual(
    reports.map((r) => (r.kind === 'end' ? `end ${r.digit} ${r.durationMs}` : `begin ${r.digit}`)),
    ['begin 1', 'end 1 80', 'begin 2', 'end 2 80'],
  );
});

test('receiver: all three end packets lost → the next digit ends the previous one', (t) => {
  const rx = new TelephoneEventReceiver();
  const reports = [
    ...playThrough(rx, sendSchedule('3', { durationMs: 100 }), 0, 0, (i) => i >= 4),
    ...playThrough(rx, sendSchedule('4', { durationMs: 100 }), 2400, 300),
  ];
  t.like(reports[1], { kind: 'end', digit: '3', durationMs: 80, endSeen: false });
  t.like(reports[2], { kind: 'begin', digit: '4' });
});

test('receiver: expire() ends a digit whose end never came', (t) => {
  const rx = new TelephoneEventReceiver();
  playThrough(rx, sendSchedule('5', { durationMs: 100 }), 0, 0, (i) => i >= 4);
  t.is(rx.expire(100), null);
  t.like(rx.expire(300), { kind: 'end', digit: '5', durationMs: 80, endSeen: false });
  t.is(rx.expire(1000), null);
});

test('a 10 s digit is split into segments and received as one event of 10 s', (t) => {
  const s = sendSchedule('0', { durationMs: 10_000 });
  const offsets = [...new Set(s.map((p) => p.timestampOffset))];
  t.deepEqual(offsets, [0, 0xffff]);
  t.is(s.filter((p) => p.marker).length, 1);
  t.is(s.filter((p) => p.event.end).length, 3);
  const rx = new TelephoneEventReceiver();
  const reports = playThrough(rx, s, 0xffff0000, 0);
  t.deepEqual(reports, [
    { kind: 'begin', digit: '0', timestamp: 0xffff0000 },
    { kind: 'end', digit: '0', timestamp: 0xffff0000, durationMs: 10_000, endSeen: true },
  ]);
});

test('receiver ignores non-DTMF telephone events (e.g. 32 = answer tone)', (t) => {
  const rx = new TelephoneEventReceiver();
  t.deepEqual(rx.push(0, encode({ event: 32, end: false, volume: 10, duration: 160 }), 0), []);
});
