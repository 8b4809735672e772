import test from 'ava';
import { InvalidTransitionError } from '../../appliance/core/errors.js';
import { abcd, CHINA_NO1, groupBForCause, groupBOutcome, ITU_R2, lineCode, Q850 } from './china-no1.js';
import { LINE_TABLE, LineStates, lineNext, lineVerb, TX_CODE } from './line.js';

test('China No.1 bits: A/B as Q.421, C and D fixed at 1; ITU has C=0 D=1; receivers read only A/B', (t) => {
  t.is(abcd('10', CHINA_NO1), 0b1011);
  t.is(abcd('00', CHINA_NO1), 0b0011);
  t.is(abcd('11', CHINA_NO1), 0b1111);
  t.is(abcd('01', CHINA_NO1), 0b0111);
  t.is(abcd('10', ITU_R2), 0b1001);
  t.is(lineCode(0b1001), '10');
  t.is(lineCode(0b1011), '10');
  t.is(lineCode(0b0111), '01');
});

test('a full incoming call walks the table: seize → ack, answer, clear-forward → idle (release guard)', (t) => {
  let s = lineNext('idle', 'rx:00');
  t.is(s, 'in-seized');
  t.is(TX_CODE['in-seized'], '11');
  s = lineVerb('in-seized', 'answer');
  t.is(TX_CODE[s], '01');
  t.is(lineNext(s, 'rx:10'), 'idle');
});

test('outgoing: seizing waits for 1 1, dual seizure and timeout release, clear-forward waits for the release guard', (t) => {
  t.is(TX_CODE[lineVerb('idle', 'seize')], '00');
  t.is(lineNext('out-seizing', 'rx:11'), 'out-seized');
  t.is(lineNext('out-seizing', 'rx:00'), 'out-dual-seizure');
  t.is(TX_CODE['out-dual-seizure'], '00', 'dual seizure: keep seizing for the hold time');
  t.is(lineNext('out-dual-seizure', 'rx:10'), null);
  t.is(lineNext('out-dual-seizure', 'timeout'), 'out-clearing');
  t.is(lineNext('out-seizing', 'timeout'), 'out-clearing');
  t.is(lineNext('out-seized', 'rx:01'), 'out-answered');
  t.is(lineNext('out-answered', 'rx:11'), 'out-clear-back');
  t.is(lineNext('out-clearing', 'rx:10'), 'idle');
  t.is(lineNext('out-clearing', 'timeout'), 'blocked-remote');
});

test('verbs not in the table throw InvalidTransitionError; unexpected line codes are ignored (null)', (t) => {
  t.throws(() => lineVerb('idle', 'answer'), { instanceOf: InvalidTransitionError });
  t.throws(() => lineVerb('blocked-remote', 'seize'), { instanceOf: InvalidTransitionError });
  t.is(lineNext('in-answered', 'rx:00'), null);
  for (const s of LineStates) t.truthy(LINE_TABLE[s], s);
});

test('Group B ↔ Q.850: B-1 free, B-2/B-3 busy 17, B-4 congestion 34, B-5 unallocated 1', (t) => {
  t.deepEqual(groupBOutcome(1), { free: true });
  t.deepEqual(groupBOutcome(2), { free: false, cause: Q850.USER_BUSY });
  t.deepEqual(groupBOutcome(3), { free: false, cause: Q850.USER_BUSY });
  t.deepEqual(groupBOutcome(4), { free: false, cause: Q850.NO_CIRCUIT_AVAILABLE });
  t.deepEqual(groupBOutcome(5), { free: false, cause: Q850.UNALLOCATED_NUMBER });
  t.is(groupBForCause(17), 2);
  t.is(groupBForCause(1), 5);
  t.is(groupBForCause(42), 4);
});
