/**
 * hw-test pri-call: ISDN PRI calls across the crossover, the appliance's side (CPE, span 1) driven
 * here directly through PriSignalling, the carrier's side by the simulated exchange (NET, span 2).
 * Q.931 §5.1–5.3 call flow: SETUP with calling/called numbers → ALERTING → CONNECT, two seconds
 * of audio each way through the B channel (a 1 kHz tone towards the appliance, 1.4 kHz back,
 * found by Goertzel at the far end), DISCONNECT with cause 16; then a call refused with cause 17
 * (user busy), which the exchange reports as the outcome `busy`; and 30 simultaneous calls, each
 * B channel carrying its own pseudo-random A-law pattern bit-exact.
 *
 * Written against the Rig interface (harness/rig.ts): it runs on the simulated card and, with
 * HW_RIG=dahdi, on a real card with span 1 cabled to span 2 (the exchange on span 2 either way).
 */
import type { ExecutionContext } from 'ava';
import { Q850, type PriSignalling, type PriSignallingEvents } from '../../drivers/libpri/pri-span.js';
import { SimExchange } from '../../drivers/sim/exchange.js';
import { bindPri } from '../../drivers/sim/pri-link.js';
import { FRAME_MS, type Span } from '../../drivers/types.js';
import { PatternCheck, patternBytes, patternSource, toneShare, toneSource } from '../harness/audio.js';
import { bearer, PRI_CPE, PRI_NET, rigTest, spansUp, type Rig } from '../harness/rig.js';

function next<K extends keyof PriSignallingEvents>(sig: PriSignalling, event: K): Promise<PriSignallingEvents[K]> {
  return new Promise((resolve) => {
    const fn = (p: PriSignallingEvents[K]): void => {
      sig.off(event, fn);
      resolve(p);
    };
    sig.on(event, fn);
  });
}

/** Span 1 the appliance (libpri CPE), span 2 the simulated exchange (NET); D channel up on both. */
async function priRig(t: ExecutionContext, rig: Rig): Promise<{ cpe: PriSignalling; exchange: SimExchange; appSpan: Span }> {
  const appSpan = await rig.card.openSpan(1, PRI_CPE);
  const netSpan = await rig.card.openSpan(2, PRI_NET);
  await spansUp(rig, [appSpan, netSpan]);
  const cpe = bindPri(appSpan, { side: 'cpe' }, { clock: rig.signallingClock, log: rig.log });
  const exchange = new SimExchange({ span: netSpan }, { clock: rig.clock, signallingClock: rig.signallingClock, log: rig.log });
  t.teardown(() => {
    cpe.close();
    exchange.close();
  });
  await rig.until(exchange.waitDchanUp(2000), 2000, 'D channel up');
  await rig.until(() => cpe.pri.dchanUp, 2000, 'CPE D channel up');
  return { cpe: cpe.pri, exchange, appSpan };
}

rigTest('pri-call: inbound call with numbers, alerting, answer, 2 s of tone both ways, hangup cause 16', {}, async (t, rig) => {
  const { cpe, exchange, appSpan } = await priRig(t, rig);

  const ring = next(cpe, 'ring');
  const placed = exchange.placeCall({ calling: '037160001234', called: '95598', presentation: 'allowed', plan: 'national' });
  if (!placed.ok) return t.fail(`placeCall refused: ${placed.reason}`);
  const call = placed.call;
  const rang = await rig.until(ring, 2000, 'ring');
  t.like(rang, { calling: '037160001234', called: '95598', presentation: 'allowed', complete: true });
  t.is(rang?.channel, call.channel);

  cpe.alerting(call.channel);
  await rig.until(call.waitFor('alerting', 2000), 2000, 'alerting');
  cpe.answer(call.channel);
  t.deepEqual(await rig.until(call.outcome(2000), 2000, 'answer'), { outcome: 'answered' });
  t.is(call.state, 'connected');

  // The appliance's side of the B channel: record what arrives, answer each block with its tone.
  const b = bearer(appSpan, call.channel);
  const appTone = toneSource(1400);
  const heardByApp: Uint8Array[] = [];
  const onBlock = (f: Uint8Array): void => {
    heardByApp.push(f.slice());
    b.write(appTone());
  };
  b.on('frame', onBlock);
  t.teardown(() => b.off('frame', onBlock));
  call.startRecording();
  call.play(toneSource(1000));
  // 2 s of tone after the path has settled (3 blocks on the simulated card).
  await rig.run(2000 + (rig.settleBlocks - 3) * FRAME_MS);
  call.stopPlaying();

  // Skip the first blocks (idle before the first tone block crossed), check the rest.
  const atApp = Buffer.concat(heardByApp.slice(rig.settleBlocks));
  const atExchange = call.recording().subarray(rig.settleBlocks * 160);
  t.true(atApp.length >= 95 * 160, `${atApp.length / 160} blocks reached the appliance`);
  t.true(atExchange.length >= 95 * 160, `${atExchange.length / 160} blocks reached the exchange`);
  const s1000 = toneShare(atApp, 1000);
  const s1400 = toneShare(atExchange, 1400);
  t.log(`1 kHz at the appliance: ${s1000.toFixed(3)} of the signal; 1.4 kHz at the exchange: ${s1400.toFixed(3)}`);
  t.true(s1000 > 0.95, 'the exchange’s 1 kHz tone reached the appliance');
  t.true(s1400 > 0.95, 'the appliance’s 1.4 kHz tone reached the exchange');
  t.true(toneShare(atApp, 1400) < 0.05, 'no echo of our own tone');
  t.true(toneShare(atExchange, 1000) < 0.05);

  const cleared = next(cpe, 'hangup');
  call.hangup(Q850.NORMAL_CLEARING);
  t.like(await rig.until(cleared, 2000, 'hangup at CPE'), { channel: call.channel, cause: 16, by: 'remote' });
  await rig.until(call.waitFor('released', 2000), 2000, 'released');
  t.like(call.clearing, { cause: 16, by: 'local' });
  await rig.until(() => cpe.callLevel(call.channel) === null, 2000, 'CPE call record freed');
  t.is(exchange.activeCalls, 0);
});

rigTest('pri-call: the appliance refuses a call with cause 17; the exchange sees outcome busy', {}, async (t, rig) => {
  const { cpe, exchange } = await priRig(t, rig);
  cpe.on('ring', (r) => cpe.hangup(r.channel, Q850.USER_BUSY));
  const placed = exchange.placeCall({ calling: '13800138000', called: '95598', channel: 7 });
  if (!placed.ok) return t.fail(placed.reason);
  const outcome = await rig.until(placed.call.outcome(3000), 3000, 'busy');
  t.deepEqual(outcome, { outcome: 'busy', cause: 17, causeText: 'User busy' });
  t.is(placed.call.state, 'released');
  t.is(placed.call.channel, 7);
});

rigTest('pri-call: the appliance calls out; the exchange answers, then the appliance clears with 16', {}, async (t, rig) => {
  const { cpe, exchange } = await priRig(t, rig);
  const incoming = exchange.expectCall(2000);
  t.is(cpe.setup({ channel: 12, called: '13800138000', calling: '95598' }), 'sent');
  const call = await rig.until(incoming, 2000, 'call at exchange');
  if (!call) return t.fail('no call');
  t.like(call, { channel: 12, called: '13800138000', calling: '95598', direction: 'out' });
  const ringing = next(cpe, 'ringing');
  call.alerting();
  await rig.until(ringing, 2000, 'ringing at CPE');
  const answered = next(cpe, 'answer');
  call.answer();
  await rig.until(answered, 2000, 'answer at CPE');
  cpe.hangup(12, Q850.NORMAL_CLEARING);
  await rig.until(call.waitFor('released', 2000), 2000, 'released');
  t.like(call.clearing, { cause: 16, by: 'remote' });
});

rigTest('pri-call: a second call on a busy B channel is refused as a value, not sent', {}, async (t, rig) => {
  const { cpe, exchange } = await priRig(t, rig);
  const rings: number[] = [];
  cpe.on('ring', (r) => {
    rings.push(r.channel);
    cpe.alerting(r.channel);
  });
  const first = exchange.placeCall({ calling: '1', called: '2', channel: 3 });
  if (!first.ok) return t.fail(first.reason);
  await rig.until(first.call.waitFor('alerting', 2000), 2000, 'alerting');
  t.deepEqual(exchange.placeCall({ calling: '1', called: '2', channel: 3 }), { ok: false, reason: 'channel-busy' });
  const cleared = next(cpe, 'hangup');
  first.call.hangup(Q850.NORMAL_CLEARING);
  t.like(await rig.until(cleared, 2000, 'cleared'), { channel: 3, cause: 16 });
  t.deepEqual(rings, [3]);
});

rigTest('pri-call: 30 simultaneous calls fill the span, each B channel carrying its own pattern bit-exact', {}, async (t, rig) => {
  const { cpe, exchange, appSpan } = await priRig(t, rig);
  cpe.on('ring', (r) => cpe.answer(r.channel));
  const calls = [];
  for (let i = 0; i < 30; i++) {
    const placed = exchange.placeCall({ calling: String(13800000000 + i), called: '95598' });
    if (!placed.ok) return t.fail(`call ${i}: ${placed.reason}`);
    calls.push(placed.call);
  }
  t.deepEqual(exchange.placeCall({ calling: '1', called: '95598' }), { ok: false, reason: 'no-channel' });
  await rig.until(Promise.all(calls.map((c) => c.waitFor('connected', 3000))), 3000, '30 answers');

  const BLOCKS = 50;
  const checks = new Map<number, PatternCheck>();
  for (const call of calls) {
    const seed = 1000 + call.channel;
    call.play(patternSource(seed));
    const check = new PatternCheck(patternBytes(seed, BLOCKS));
    checks.set(call.channel, check);
    bearer(appSpan, call.channel).on('frame', (f) => check.push(f));
  }
  await rig.until(() => [...checks.values()].every((c) => c.complete()), (BLOCKS + 5) * 20, `${BLOCKS} blocks on every call`);
  const results = new Map([...checks].map(([ch, c]) => [ch, c.blocks()]));
  const summary = [...results.values()];
  t.is(summary.reduce((s, r) => s + r.ok, 0), 30 * BLOCKS, 'every block of every call bit-exact');
  t.true(summary.every((r) => r.bad === 0));
  t.deepEqual([...results.keys()].sort((a, b) => a - b), appSpan.bChannels.map((b) => b.timeslot));
});
