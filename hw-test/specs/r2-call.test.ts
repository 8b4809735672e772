/**
 * hw-test r2-call: a China No.1 MFC-R2 call across the crossover. The carrier's side (span 2) is
 * the simulated R2 exchange in the forward role; the appliance's side (span 1) is R2Signalling
 * driven here directly. Q.421 line signals travel in the CAS bits of timeslot 16, the Q.441
 * compelled MF signals as spandsp R2 tones in the call's B channel: called number 95598 (DNIS),
 * then on A-6 the category KA and the calling number 13800138000 (ANI), A-3, KD, B-1; answer;
 * clear-forward and release guard. Then the busy case (B-2 → cause 17) and a blocked circuit.
 *
 * Written against the Rig interface (harness/rig.ts): it runs on the simulated card and, with
 * HW_RIG=dahdi, on a real card with span 1 cabled to span 2 (the exchange on span 2 either way).
 */
import { Q850 } from '../../drivers/r2/china-no1.js';
import { R2Signalling, type R2CallEvents } from '../../drivers/r2/r2-span.js';
import { SimR2Exchange } from '../../drivers/sim/r2-exchange.js';
import type { ExecutionContext } from 'ava';
import { R2_SPAN, rigTest, spansUp, type Rig } from '../harness/rig.js';

const R2_EXCHANGE = { ...R2_SPAN, timing: 0 };

function next<E extends keyof R2CallEvents>(r2: R2Signalling, event: E): Promise<Parameters<R2CallEvents[E]>[0]> {
  return new Promise((resolve) => {
    const fn = ((p: Parameters<R2CallEvents[E]>[0]) => {
      r2.off(event, fn);
      resolve(p);
    }) as R2CallEvents[E];
    r2.on(event, fn);
  });
}

/** Span 1 the appliance's R2 signalling (DNIS of 5 digits), span 2 the simulated R2 exchange. */
async function r2Rig(t: ExecutionContext, rig: Rig): Promise<{ app: R2Signalling; exchange: SimR2Exchange }> {
  const appSpan = await rig.card.openSpan(1, R2_SPAN);
  const exSpan = await rig.card.openSpan(2, R2_EXCHANGE);
  await spansUp(rig, [appSpan, exSpan]);
  const app = new R2Signalling({ spanNo: 1, channels: appSpan.bChannels, incoming: { dnisLength: 5 } }, { clock: rig.clock, log: rig.log });
  const exchange = new SimR2Exchange({ span: exSpan }, { clock: rig.clock, log: rig.log });
  t.teardown(() => {
    app.close();
    exchange.close();
  });
  return { app, exchange };
}

rigTest('r2-call: DNIS 95598 + ANI 13800138000 received, alerting (B-1), answer, clear-forward, release', {}, async (t, rig) => {
  const { app, exchange } = await r2Rig(t, rig);
  const ring = next(app, 'ring');
  const placed = exchange.placeCall({ called: '95598', calling: '13800138000' });
  if (!placed.ok) return t.fail(`placeCall refused: ${placed.reason}`);
  const call = placed.call;
  const t0 = rig.now;
  const offer = await rig.until(ring, 5000, 'ring');
  t.like(offer, { timeslot: call.timeslot, called: '95598', calling: '13800138000', ka: 1, kd: 3 });
  t.log(`MF register phase (19 compelled cycles): ${rig.now - t0} ms of line time`);

  app.alerting(call.timeslot);
  await rig.until(call.waitFor('ringing', 2000), 2000, 'ringing');
  const answered = call.outcome(2000);
  app.answer(call.timeslot);
  t.deepEqual(await rig.until(answered, 2000, 'answer'), { outcome: 'answered' });
  t.is(app.state(call.timeslot), 'in-answered');

  const hung = next(app, 'hangup');
  const idle = next(app, 'idle');
  call.hangup();
  t.like(await rig.until(hung, 1000, 'hangup at the appliance'), { timeslot: call.timeslot, cause: Q850.NORMAL_CLEARING, by: 'remote' });
  await rig.until(idle, 1000, 'appliance circuit idle');
  await rig.until(call.waitFor('released', 1000), 1000, 'release guard at the exchange');
  t.is(exchange.r2.state(call.timeslot), 'idle');
});

rigTest('r2-call: the appliance refuses as busy (cause 17 → B-2); the exchange reports busy and both ends go idle', {}, async (t, rig) => {
  const { app, exchange } = await r2Rig(t, rig);
  app.on('ring', ({ timeslot }) => app.hangup(timeslot, Q850.USER_BUSY));
  const placed = exchange.placeCall({ called: '95598', calling: '13800138000' });
  if (!placed.ok) return t.fail(placed.reason);
  const outcome = await rig.until(placed.call.outcome(5000), 5000, 'outcome');
  t.like(outcome, { outcome: 'busy', cause: Q850.USER_BUSY });
  await rig.until(() => app.state(placed.call.timeslot) === 'idle' && exchange.r2.state(placed.call.timeslot) === 'idle', 1000, 'both idle');
  t.pass();
});

rigTest('r2-call: a circuit the appliance blocks is refused by the exchange; unblocked it carries a call', {}, async (t, rig) => {
  const { app, exchange } = await r2Rig(t, rig);
  app.block(1);
  await rig.until(() => exchange.r2.state(1) === 'blocked-remote', 500, 'blocked at the exchange');
  t.like(exchange.placeCall({ called: '95598', calling: '1', timeslot: 1 }), { ok: false, reason: 'circuit-busy' });
  app.unblock(1);
  await rig.until(() => exchange.r2.state(1) === 'idle', 500, 'unblocked');
  const ring = next(app, 'ring');
  const placed = exchange.placeCall({ called: '95598', calling: '1', timeslot: 1 });
  t.true(placed.ok);
  t.like(await rig.until(ring, 5000, 'ring'), { timeslot: 1, called: '95598', calling: '1' });
});
