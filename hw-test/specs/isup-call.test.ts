/**
 * hw-test isup-call: SS7 ISUP calls across the crossover, the appliance's side (span 1, point code
 * 1) driven here directly through IsupSignalling, the carrier's side by the simulated SS7 exchange
 * (span 2, point code 2). MTP2 aligns on timeslot 16 of the cable and MTP3 brings the linkset up;
 * then Q.764 §2.1–2.3: IAM with calling/called numbers → ACM → ANM, a second of tone each way on
 * the call's timeslot, REL cause 16 → RLC; a call the exchange refuses with cause 17 (busy); and a
 * blocked circuit (BLO) the appliance may not seize until UBL.
 *
 * libss7's timers follow the wall clock (drivers/ss7/isup-link.ts), and MTP2 alignment takes about
 * a second of it, so the card is stepped at a pace (20 ms of card time, then a 2 ms pause).
 *
 * Written against the Rig interface (harness/rig.ts): it runs on the simulated card and, with
 * HW_RIG=dahdi, on a real card with span 1 cabled to span 2 (the exchange on span 2 either way).
 */
import type { ExecutionContext } from 'ava';
import { Q850, type IsupSignalling, type IsupSignallingEvents } from '../../drivers/ss7/isup-link.js';
import { SimSs7Exchange } from '../../drivers/sim/ss7-exchange.js';
import { bindIsup } from '../../drivers/sim/ss7-link.js';
import type { Span } from '../../drivers/types.js';
import { toneShare, toneSource } from '../harness/audio.js';
import { bearer, rigTest, spansUp, SS7_SPAN, type Rig } from '../harness/rig.js';

const SS7_SPAN_MASTER = { ...SS7_SPAN, timing: 0 };

function next<K extends keyof IsupSignallingEvents>(sig: IsupSignalling, event: K): Promise<IsupSignallingEvents[K]> {
  return new Promise((resolve) => {
    const fn = (p: IsupSignallingEvents[K]): void => {
      sig.off(event, fn);
      resolve(p);
    };
    sig.on(event, fn);
  });
}

/** Step the card at a pace (20 ms of card time, then 2 ms of wall time) until `what` settles or holds. */
function paced<T>(rig: Rig, what: Promise<T> | (() => boolean), realMs: number, label: string): Promise<T | undefined> {
  return rig.untilPaced(what, realMs, label, 2);
}

/** Span 1 the appliance (PC 1), span 2 the simulated SS7 exchange (PC 2): linkset up, the appliance's GRS acknowledged. */
async function isupRig(t: ExecutionContext, rig: Rig): Promise<{ app: IsupSignalling; exchange: SimSs7Exchange; appSpan: Span; upMs: number }> {
  const appSpan = await rig.card.openSpan(1, SS7_SPAN);
  const netSpan = await rig.card.openSpan(2, SS7_SPAN_MASTER);
  await spansUp(rig, [appSpan, netSpan]);
  const started = performance.now();
  const app = bindIsup(appSpan, { pc: 1, adjPc: 2 }, { clock: rig.signallingClock, log: rig.log });
  const exchange = new SimSs7Exchange({ span: netSpan, pc: 2, adjPc: 1 }, { clock: rig.clock, signallingClock: rig.signallingClock, log: rig.log });
  t.teardown(() => {
    app.close();
    exchange.close();
  });
  const appGra = next(app.isup, 'gra');
  await paced(rig, () => exchange.linkUp && app.isup.linkUp, 8000, 'linkset up');
  const upMs = performance.now() - started;
  await paced(rig, appGra, 3000, 'GRA for the appliance’s GRS');
  return { app: app.isup, exchange, appSpan, upMs };
}

rigTest('isup-call: linkset up over the cable; inbound IAM → ACM → ANM, tone both ways, REL(16) → RLC', {}, async (t, rig) => {
  const { app, exchange, appSpan, upMs } = await isupRig(t, rig);
  t.log(`SS7 linkset up on both ends ${Math.round(upMs)} ms after binding`);

  const iam = next(app, 'iam');
  const placed = exchange.placeCall({ calling: '037160001234', called: '95598', presentation: 'allowed' });
  if (!placed.ok) return t.fail(`placeCall refused: ${placed.reason}`);
  const call = placed.call;
  const got = await paced(rig, iam, 3000, 'IAM at the appliance');
  t.like(got, { cic: call.cic, calling: '037160001234', called: '95598', presentation: 'allowed', complete: true, overlap: false });

  app.acm(call.cic);
  await paced(rig, call.waitFor('alerting', 60_000), 3000, 'ACM at the exchange');
  app.anm(call.cic);
  t.deepEqual(await paced(rig, call.outcome(60_000), 3000, 'ANM at the exchange'), { outcome: 'answered' });

  // Audio on the call's timeslot: the exchange plays 1 kHz, the appliance 1.4 kHz.
  const appBearer = bearer(appSpan, got?.timeslot ?? -1);
  const exTone = toneSource(1000);
  const appTone = toneSource(1400);
  const heardByApp: Uint8Array[] = [];
  const heardByExchange: Uint8Array[] = [];
  const onApp = (f: Uint8Array): void => {
    heardByApp.push(f.slice());
    appBearer.write(appTone());
  };
  const onEx = (f: Uint8Array): void => {
    heardByExchange.push(f.slice());
    call.bearer.write(exTone());
  };
  appBearer.on('frame', onApp);
  call.bearer.on('frame', onEx);
  await rig.run(1000 + (rig.settleBlocks - 3) * 20);
  appBearer.off('frame', onApp);
  call.bearer.off('frame', onEx);
  const atApp = Buffer.concat(heardByApp.slice(rig.settleBlocks));
  const atEx = Buffer.concat(heardByExchange.slice(rig.settleBlocks));
  t.true(atApp.length >= 40 * 160 && atEx.length >= 40 * 160, `${atApp.length / 160} / ${atEx.length / 160} blocks`);
  t.true(toneShare(atApp, 1000) > 0.95, 'the exchange’s tone reached the appliance on the CIC’s timeslot');
  t.true(toneShare(atEx, 1400) > 0.95, 'the appliance’s tone reached the exchange');

  const rel = next(app, 'rel');
  call.rel(Q850.NORMAL_CLEARING);
  t.like(await paced(rig, rel, 3000, 'REL at the appliance'), { cic: call.cic, cause: 16, reason: 'remote' });
  await paced(rig, call.waitFor('released', 60_000), 3000, 'RLC at the exchange');
  t.is(app.callLevel(call.cic), 'idle');
  t.is(exchange.activeCalls, 0);
});

rigTest('isup-call: outbound IAM refused busy (REL 17); a blocked CIC cannot be seized until UBL', {}, async (t, rig) => {
  const { app, exchange } = await isupRig(t, rig);

  t.is(app.iam({ cic: 7, called: '057188880000', calling: '95598' }), 'sent');
  const offered = await paced(rig, exchange.expectCall(60_000), 3000, 'IAM at the exchange');
  t.like(offered, { cic: 7, called: '057188880000', calling: '95598', direction: 'out' });
  const rel = next(app, 'rel');
  offered?.rel(Q850.USER_BUSY);
  t.like(await paced(rig, rel, 3000, 'REL at the appliance'), { cic: 7, cause: Q850.USER_BUSY });
  await paced(rig, offered?.waitFor('released', 60_000) ?? Promise.reject(new Error('no call')), 3000, 'RLC at the exchange');

  const blo = next(app, 'blo');
  exchange.isup.blo(9);
  await paced(rig, blo, 3000, 'BLO at the appliance');
  t.is(app.iam({ cic: 9, called: '1', calling: '2' }), 'cic-blocked');
  const ubl = next(app, 'ubl');
  exchange.isup.ubl(9);
  await paced(rig, ubl, 3000, 'UBL at the appliance');
  t.is(app.iam({ cic: 9, called: '110', calling: '95598' }), 'sent');
  const second = await paced(rig, exchange.expectCall(60_000), 3000, 'IAM on CIC 9');
  t.is(second?.cic, 9);
  const rlc = next(app, 'rlc');
  app.rel(9, Q850.NORMAL_CLEARING);
  await paced(rig, rlc, 3000, 'RLC at the appliance');
  t.is(exchange.activeCalls, 0);
});
