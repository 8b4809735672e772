import test from 'ava';
import { InvalidTransitionError } from '../../appliance/core/errors.js';
import { InboundOffer } from './inbound-offer.js';

test('en-bloc IAM (ST) without a continuity check is offered at once', (t) => {
  const o = new InboundOffer({ called: '95598#', cotCheckRequired: false });
  t.is(o.state, 'offered');
  t.deepEqual(o.decision(), { kind: 'offer', called: '95598' });
});

test('overlap: SAM digits are appended until ST; T35 is then no longer relevant', (t) => {
  const o = new InboundOffer({ called: '9', cotCheckRequired: false });
  t.deepEqual(o.decision(), { kind: 'wait', for: 'address' });
  t.true(o.collecting);
  t.deepEqual(o.sam('55'), { kind: 'wait', for: 'address' });
  t.is(o.called, '955');
  t.deepEqual(o.sam('98#'), { kind: 'offer', called: '95598' });
  t.false(o.collecting);
  t.deepEqual(o.t35Expired(), { kind: 'offer', called: '95598' }, 'a late T35 changes nothing');
  t.deepEqual(o.sam('1'), { kind: 'offer', called: '95598' }, 'digits after completion are ignored');
});

test('overlap: the configured DNIS length completes the number without ST', (t) => {
  const o = new InboundOffer({ called: '955', cotCheckRequired: false }, { dnisLength: 5 });
  t.deepEqual(o.sam('9'), { kind: 'wait', for: 'address' });
  t.deepEqual(o.sam('8'), { kind: 'offer', called: '95598' });
  t.deepEqual(new InboundOffer({ called: '95598', cotCheckRequired: false }, { dnisLength: 5 }).decision(), { kind: 'offer', called: '95598' });
});

test('overlap: T35 with the number incomplete clears with cause 28', (t) => {
  const o = new InboundOffer({ called: '95', cotCheckRequired: false }, { dnisLength: 5 });
  t.deepEqual(o.t35Expired(), { kind: 'clear', cause: 28, why: 'address-incomplete' });
  t.is(o.state, 'cleared');
  t.deepEqual(o.sam('598'), { kind: 'clear', cause: 28, why: 'address-incomplete' }, 'nothing revives a cleared offer');
});

test('continuity: the offer waits for COT; passed → offered, failed → cause 41', (t) => {
  const ok = new InboundOffer({ called: '95598#', cotCheckRequired: true });
  t.deepEqual(ok.decision(), { kind: 'wait', for: 'continuity' });
  t.true(ok.awaitingContinuity);
  t.deepEqual(ok.cot(true), { kind: 'offer', called: '95598' });

  const bad = new InboundOffer({ called: '95598#', cotCheckRequired: true });
  t.deepEqual(bad.cot(false), { kind: 'clear', cause: 41, why: 'continuity-failed' });
  const late = new InboundOffer({ called: '95598#', cotCheckRequired: true });
  t.deepEqual(late.t8Expired(), { kind: 'clear', cause: 41, why: 'continuity-timeout' });
});

test('overlap and continuity together: offered only when both are done, in either order', (t) => {
  const a = new InboundOffer({ called: '95', cotCheckRequired: true });
  t.deepEqual(a.decision(), { kind: 'wait', for: 'address-and-continuity' });
  t.deepEqual(a.cot(true), { kind: 'wait', for: 'address' });
  t.deepEqual(a.sam('598#'), { kind: 'offer', called: '95598' });

  const b = new InboundOffer({ called: '95', cotCheckRequired: true });
  t.deepEqual(b.sam('598#'), { kind: 'wait', for: 'continuity' });
  t.deepEqual(b.t35Expired(), { kind: 'wait', for: 'continuity' }, 'T35 no longer applies');
  t.deepEqual(b.cot(false), { kind: 'clear', cause: 41, why: 'continuity-failed' });

  const c = new InboundOffer({ called: '95', cotCheckRequired: true });
  t.deepEqual(c.t35Expired(), { kind: 'clear', cause: 28, why: 'address-incomplete' });
});

test('a COT on a call that needs none changes nothing; the table has no way back from offered', (t) => {
  const o = new InboundOffer({ called: '95598#', cotCheckRequired: false });
  t.deepEqual(o.cot(false), { kind: 'offer', called: '95598' });
  t.deepEqual(o.t8Expired(), { kind: 'offer', called: '95598' });
  const cleared = new InboundOffer({ called: '1', cotCheckRequired: false });
  cleared.t35Expired();
  t.throws(() => (cleared as unknown as { move(s: string): void }).move('offered'), { instanceOf: InvalidTransitionError });
});
