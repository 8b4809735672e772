/**
 * hw-test glare-blocking: dual seizure and blocked circuits on the crossover.
 *
 * SS7 ISUP (span 1: the appliance, point code 1; span 2: the simulated exchange, point code 2):
 *  - Circuit group blocking (Q.764 §2.8.2): the exchange sends CGB for CICs 1–5, the appliance
 *    acknowledges (CGBA) and may not seize them; CGU lifts it. The appliance's own CGB for CICs
 *    10–12 keeps the exchange off them until its CGU.
 *  - Dual seizure (Q.764 §2.10.1.4): "the exchange with the higher signalling point code will
 *    control all even-numbered circuits … and the other exchange the odd-numbered circuits". Both
 *    ends send an IAM on one CIC at once: on an even CIC the exchange (PC 2) wins, the
 *    appliance's call is backed off (`dual-seizure`) and it receives the exchange's IAM instead;
 *    on an odd CIC the appliance wins and its IAM is the one the exchange sees.
 *
 * China No.1 MFC-R2 (span 1 the appliance, span 2 the simulated R2 exchange): both ends seize the
 * same timeslot at once (each sends 0 0 and sees 0 0 instead of the seizure acknowledgement):
 * Q.421 dual seizure, each end reports cause 44 and clears; both circuits go back to idle through
 * the release guard, and a call on the same timeslot goes through afterwards.
 *
 * Written against the Rig interface (harness/rig.ts): it runs on the simulated card and, with
 * HW_RIG=dahdi, on a real card with span 1 cabled to span 2 (the exchange on span 2 either way).
 */
import { Q850 as R2Q850 } from '../../drivers/r2/china-no1.js';
import { R2Signalling } from '../../drivers/r2/r2-span.js';
import { SimR2Exchange } from '../../drivers/sim/r2-exchange.js';
import { SimSs7Exchange } from '../../drivers/sim/ss7-exchange.js';
import { bindIsup } from '../../drivers/sim/ss7-link.js';
import type { IsupSignalling, IsupSignallingEvents } from '../../drivers/ss7/isup-link.js';
import type { ExecutionContext } from 'ava';
import { R2_SPAN, rigTest, spansUp, SS7_SPAN, type Rig } from '../harness/rig.js';

function next<K extends keyof IsupSignallingEvents>(sig: IsupSignalling, event: K): Promise<IsupSignallingEvents[K]> {
  return new Promise((resolve) => {
    const fn = (p: IsupSignallingEvents[K]): void => {
      sig.off(event, fn);
      resolve(p);
    };
    sig.on(event, fn);
  });
}

async function isupRig(t: ExecutionContext, rig: Rig): Promise<{ app: IsupSignalling; exchange: SimSs7Exchange }> {
  const appSpan = await rig.card.openSpan(1, SS7_SPAN);
  const netSpan = await rig.card.openSpan(2, { ...SS7_SPAN, timing: 0 });
  await spansUp(rig, [appSpan, netSpan]);
  const app = bindIsup(appSpan, { pc: 1, adjPc: 2 }, { clock: rig.signallingClock, log: rig.log });
  const exchange = new SimSs7Exchange({ span: netSpan, pc: 2, adjPc: 1 }, { clock: rig.clock, signallingClock: rig.signallingClock, log: rig.log });
  t.teardown(() => {
    app.close();
    exchange.close();
  });
  const gra = next(app.isup, 'gra');
  await rig.untilPaced(() => exchange.linkUp && app.isup.linkUp, 8000, 'linkset up', 2);
  await rig.untilPaced(gra, 3000, 'GRA', 2);
  return { app: app.isup, exchange };
}

rigTest('glare-blocking: ISUP CGB/CGU both ways — blocked CICs refuse seizure until unblocked', {}, async (t, rig) => {
  const { app, exchange } = await isupRig(t, rig);

  const cgb = next(app, 'cgb');
  const cgba = next(exchange.isup, 'cgba');
  exchange.isup.cgb(1, 5);
  t.like(await rig.untilPaced(cgb, 3000, 'CGB at the appliance', 2), { startCic: 1, endCic: 5, cics: [1, 2, 3, 4, 5] });
  t.like(await rig.untilPaced(cgba, 3000, 'CGBA at the exchange', 2), { startCic: 1, endCic: 5, cics: [1, 2, 3, 4, 5] });
  t.is(app.iam({ cic: 3, called: '110', calling: '95598' }), 'cic-blocked');
  t.deepEqual(app.blocking(3), { local: false, remote: true });
  const cgu = next(app, 'cgu');
  const cgua = next(exchange.isup, 'cgua');
  exchange.isup.cgu(1, 5);
  t.like(await rig.untilPaced(cgu, 3000, 'CGU at the appliance', 2), { cics: [1, 2, 3, 4, 5] });
  await rig.untilPaced(cgua, 3000, 'CGUA', 2);
  t.is(app.iam({ cic: 3, called: '110', calling: '95598' }), 'sent');
  const out = await rig.untilPaced(exchange.expectCall(60_000), 3000, 'IAM on CIC 3', 2);
  t.is(out?.cic, 3);
  const rlc = next(app, 'rlc');
  app.rel(3, 16);
  await rig.untilPaced(rlc, 3000, 'RLC', 2);

  // The appliance blocks 10–12: the exchange may not seize them, then may again.
  const exCgb = next(exchange.isup, 'cgb');
  const appCgba = next(app, 'cgba');
  app.cgb(10, 12);
  t.like(await rig.untilPaced(exCgb, 3000, 'CGB at the exchange', 2), { cics: [10, 11, 12] });
  t.like(await rig.untilPaced(appCgba, 3000, 'CGBA at the appliance', 2), { cics: [10, 11, 12] });
  t.deepEqual(exchange.placeCall({ calling: '1', called: '95598', cic: 11 }), { ok: false, reason: 'cic-blocked' });
  const exCgu = next(exchange.isup, 'cgu');
  app.cgu(10, 12);
  await rig.untilPaced(exCgu, 3000, 'CGU at the exchange', 2);
  const iam = next(app, 'iam');
  t.true(exchange.placeCall({ calling: '1', called: '95598', cic: 11 }).ok);
  t.like(await rig.untilPaced(iam, 3000, 'IAM on CIC 11', 2), { cic: 11 });
});

rigTest('glare-blocking: ISUP dual seizure — the higher point code wins even CICs, the lower odd ones (Q.764 §2.10.1.4)', {}, async (t, rig) => {
  const { app, exchange } = await isupRig(t, rig);

  // Even CIC 8: the exchange (PC 2 > 1) controls it.
  const appRel = next(app, 'rel');
  const appIam = next(app, 'iam');
  t.is(app.iam({ cic: 8, called: '057188880000', calling: '95598' }), 'sent');
  const theirs = exchange.placeCall({ calling: '13800138000', called: '95598', cic: 8 });
  if (!theirs.ok) return t.fail(theirs.reason);
  t.like(await rig.untilPaced(appRel, 3000, 'the appliance backs off', 2), { cic: 8, reason: 'dual-seizure' });
  t.like(await rig.untilPaced(appIam, 3000, 'the exchange’s IAM reaches the appliance', 2), { cic: 8, calling: '13800138000', called: '95598' });
  app.acm(8);
  await rig.untilPaced(theirs.call.waitFor('alerting', 60_000), 3000, 'ACM at the exchange', 2);
  const released = next(app, 'rel');
  theirs.call.rel(16);
  await rig.untilPaced(released, 3000, 'REL', 2);

  // Odd CIC 7: the appliance (PC 1) controls it; its IAM is the one the exchange sees.
  const expected = exchange.expectCall(60_000);
  t.is(app.iam({ cic: 7, called: '057188880000', calling: '95598' }), 'sent');
  const lost = exchange.placeCall({ calling: '13800138000', called: '95598', cic: 7 });
  if (!lost.ok) return t.fail(lost.reason);
  const ours = await rig.untilPaced(expected, 3000, 'the appliance’s IAM at the exchange', 2);
  t.like(ours, { cic: 7, called: '057188880000', calling: '95598', direction: 'out' });
  t.is(app.callLevel(7), 'setup', 'the appliance’s own call on CIC 7 goes on');
  const rlc = next(app, 'rlc');
  app.rel(7, 16);
  await rig.untilPaced(rlc, 3000, 'RLC', 2);
});

rigTest('glare-blocking: R2 dual seizure — both ends clear with cause 44, return to idle, and the timeslot then carries a call', {}, async (t, rig) => {
  const appSpan = await rig.card.openSpan(1, R2_SPAN);
  const exSpan = await rig.card.openSpan(2, { ...R2_SPAN, timing: 0 });
  await spansUp(rig, [appSpan, exSpan]);
  const app = new R2Signalling({ spanNo: 1, channels: appSpan.bChannels, incoming: { dnisLength: 5 } }, { clock: rig.clock, log: rig.log });
  const exchange = new SimR2Exchange({ span: exSpan }, { clock: rig.clock, log: rig.log });
  t.teardown(() => {
    app.close();
    exchange.close();
  });
  const hangups: Array<{ timeslot: number; cause: number }> = [];
  app.on('hangup', (h) => hangups.push(h));

  t.like(app.dial({ timeslot: 5, called: '057188880000', calling: '95598' }), { ok: true, timeslot: 5 });
  const theirs = exchange.placeCall({ called: '95598', calling: '13800138000', timeslot: 5 });
  if (!theirs.ok) return t.fail(theirs.reason);
  await rig.until(() => hangups.length > 0 && theirs.call.state === 'released', 3000, 'both ends give up the seizure');
  t.like(hangups[0], { timeslot: 5, cause: R2Q850.REQUESTED_CHAN_UNAVAIL });
  t.like(theirs.call.clearing, { cause: R2Q850.REQUESTED_CHAN_UNAVAIL });
  await rig.until(() => app.state(5) === 'idle' && exchange.r2.state(5) === 'idle', 5000, 'both circuits idle');

  const ring = new Promise<{ timeslot: number; calling: string }>((resolve) => app.on('ring', resolve));
  const retry = exchange.placeCall({ called: '95598', calling: '13800138000', timeslot: 5 });
  t.true(retry.ok);
  t.like(await rig.until(ring, 5000, 'the retry rings the appliance'), { timeslot: 5, calling: '13800138000' });
});
