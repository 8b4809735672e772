/**
 * hw-test span-failover: the issue-5 acceptance "cable pull → RED alarm within 1 s, active calls
 * released with the right cause, new calls for that route go to the configured fallback (a SIP
 * trunk); cable back → alarm clears, D-channel restores", on span 1 (the appliance: PRI CPE,
 * libpri, TdmSpanLegs, SpanGuard, the TDM gateway `e1`) cabled to span 2 (the simulated
 * carrier exchange, PRI NET).
 *
 * Calls up before the pull: two inbound (exchange → appliance) and one outbound placed through
 * the gateway. The pull must raise RED within 1 s of card time and end all three legs at once
 * with Q.850 38 "network out of order", cleared by the network side; the gateway then reports
 * itself unavailable and answers `congestion` (38). An outbound route listing `e1` then
 * `sip-trunk` sends the next call to the SIP trunk, through the call layer's OutboundDialer
 * (calls/outbound-dialer.ts) and GatewayRegistry; the SIP trunk here is a fake Gateway that
 * answers with a fake leg, because this spec is about the E1 side.
 *
 * Split in two so a real card runs what it can: the calls in service (two inbound, one outbound
 * through the gateway, and a phone's call routed to the E1 ahead of the trunk) need nothing but
 * the cable; the pull and the fallback need the simulated cable (`needs: ['cable-pull']`).
 *
 * libpri supervises its link on wall time (Q.921 T200 × N200), so both ends run with a short
 * T200 (250 ms) and the rig is paced while the cable is out: both D channels drop and both
 * stacks free their calls. Reinserted, the framers realign, Q.921 re-establishes (SABME/UA),
 * and the next routed call takes the E1 again.
 */
import { EventEmitter } from 'node:events';
import { OutboundDialer } from '../../appliance/calls/outbound-dialer.js';
import { OutboundPolicy, type OutboundRoute, OutboundRouteSchema } from '../../appliance/calls/outbound-routes.js';
import { Call } from '../../appliance/calls/call.js';
import type { CdrRecord } from '../../appliance/calls/call-store.js';
import { GatewayRegistry, type Gateway, type GatewayDialRequest, type GatewayDialResult } from '../../appliance/calls/gateway.js';
import { TdmSpanGroupGateway } from '../../appliance/calls/tdm-gateway.js';
import type { ExecutionContext } from 'ava';
import type { HangupInfo } from '../../appliance/channel/channel.js';
import { SpanGuard } from '../../appliance/channel/tdm/span-guard.js';
import { TdmSpanLegs } from '../../appliance/channel/tdm/span-legs.js';
import type { TdmMediaPort } from '../../appliance/channel/tdm/ports.js';
import { FakeChannel } from '../../appliance/channel/testing/fake-channel.js';
import { EventBus } from '../../appliance/core/events.js';
import { priTdmSignalling } from '../../drivers/libpri/tdm-adapter.js';
import { SimExchange } from '../../drivers/sim/exchange.js';
import { bindPri } from '../../drivers/sim/pri-link.js';
import { PRI_CPE, PRI_NET, rigTest, spansUp, type Rig } from '../harness/rig.js';

const RED_WITHIN_MS = 1000;
/** Q.921 T200 for both ends (ms of wall time); N200 stays 3. */
const FAST_L2 = { T200: 250 };

/** Media for legs whose audio this spec does not look at (the endpoint is what a bridge is handed). */
const noMedia: TdmMediaPort = {
  open: async (_line, affinity) => ({ endpoint: { id: `tdm-${affinity}` } as never, play: async () => ({ done: new Promise(() => undefined), stop: async () => undefined }), sendDtmf: async () => undefined, close: async () => undefined }),
};

/** A SIP trunk stand-in: records what it was asked to dial and answers with a fake leg. */
class FakeTrunk implements Gateway {
  readonly kind = 'sip-trunk' as const;
  readonly dialled: GatewayDialRequest[] = [];
  constructor(
    readonly id: string,
    private readonly rig: Rig,
  ) {}
  available(): boolean {
    return true;
  }
  async dial(req: GatewayDialRequest): Promise<GatewayDialResult> {
    this.dialled.push(req);
    const leg = Object.assign(new FakeChannel({ clock: this.rig.clock, direction: 'outbound', called: req.called }), { rtp: { id: `rtp-${req.callId}` } });
    req.onLeg?.(leg);
    await leg.answer();
    return { outcome: 'answered', channel: leg };
  }
}

/**
 * Span 1 the appliance (PRI CPE with short T200, TdmSpanLegs answering every inbound call, the
 * SpanGuard, the gateway `e1`), span 2 the simulated exchange; a SIP trunk stand-in; an outbound
 * route `e1` then `sip-trunk`, and a phone that dials through it (OutboundDialer).
 */
async function appliance(t: ExecutionContext, rig: Rig) {
  const appSpan = await rig.card.openSpan(1, PRI_CPE);
  const netSpan = await rig.card.openSpan(2, PRI_NET);
  await spansUp(rig, [appSpan, netSpan]);
  const cpe = bindPri(appSpan, { side: 'cpe', timers: FAST_L2 }, { clock: rig.signallingClock, log: rig.log });
  const exchange = new SimExchange({ span: netSpan, timers: FAST_L2 }, { clock: rig.clock, signallingClock: rig.signallingClock, log: rig.log });
  t.teardown(() => {
    exchange.close();
    cpe.close();
  });
  await rig.untilPaced(() => cpe.pri.dchanUp && exchange.dchanUp, 5000, 'D channel up', 1);

  // The appliance: TDM legs on span 1, alarm supervision, the span as gateway `e1`.
  const legs = new TdmSpanLegs(priTdmSignalling(cpe.pri), appSpan.bChannels, {
    clock: rig.clock,
    log: rig.log,
    media: noMedia,
    prompts: { resolve: () => null },
    dtmf: () => ({ push: () => undefined, close: () => undefined }),
  });
  const guard = new SpanGuard(appSpan, legs, { log: rig.log });
  t.teardown(() => {
    guard.close();
    legs.close();
  });
  legs.on('incoming', (ch) => void ch.answer());
  const gateways = new GatewayRegistry();
  const e1 = new TdmSpanGroupGateway('e1', [{ spanNo: 1, legs, available: () => guard.inService && cpe.pri.dchanUp }], { clock: rig.clock, log: rig.log });
  const trunk = new FakeTrunk('sip-trunk', rig);
  gateways.add(e1);
  gateways.add(trunk);

  const ended: Array<{ id: string; info: HangupInfo }> = [];
  /** Two inbound calls (exchange → appliance) and one outbound through the gateway, all answered. */
  const callsUp = async (): Promise<void> => {
    for (const calling of ['13800138001', '13800138002']) {
      const placed = exchange.placeCall({ calling, called: '95598' });
      if (!placed.ok) return t.fail(placed.reason);
      await rig.until(placed.call.waitFor('connected', 3000), 3000, 'inbound answered');
    }
    const incoming = exchange.expectCall(3000);
    const dialling = e1.dial({ callId: 'call-out-1', caller: { number: '95598', presentation: 'allowed' }, called: '037160001234', signal: new AbortController().signal, timeoutMs: 30_000 });
    const farEnd = await rig.until(incoming, 3000, 'outbound at the exchange');
    farEnd?.answer();
    const out = await rig.until(dialling, 3000, 'outbound answered');
    t.is(out?.outcome, 'answered');
    t.is(legs.active.size, 3);
    t.is(exchange.activeCalls, 3);
    for (const leg of legs.active.values()) leg.on('hangup', (info) => ended.push({ id: leg.id, info }));
  };
  const route: OutboundRoute = OutboundRouteSchema.parse({ id: 'pstn', name: 'PSTN', pattern: '_0X.', gateways: ['e1', 'sip-trunk'], class: 'national' });
  const bus = new EventBus({ clock: rig.clock, log: rig.log });
  const routed: string[] = [];
  bus.on('call.outbound.routed', (e) => void routed.push(e.payload.gatewayId));
  const dialer = new OutboundDialer({ log: rig.log, bus, policy: new OutboundPolicy({ clock: rig.clock, routes: () => [route], classOf: () => 'national' }), gateways, ringTimeoutMs: 10_000 });
  const cdrs: CdrRecord[] = [];
  const bridges: string[] = [];
  const callDeps = {
    clock: rig.clock,
    log: rig.log,
    bus,
    store: { routes: () => [], saveRoute: () => Promise.reject(new Error('unused')) as never, writeCdr: (c: CdrRecord) => void cdrs.push(c), cdr: () => null },
    engine: {
      createBridge: async () => Object.assign(new EventEmitter(), { add: async (ep: { id: string }) => void bridges.push(ep.id), destroy: async () => undefined }) as never,
      release: () => undefined,
    },
  };
  const placeFromPhone = async (id: string): Promise<FakeChannel> => {
    const phone = Object.assign(new FakeChannel({ clock: rig.clock, caller: '8001', called: '037160001234' }), { rtp: { id: `rtp-phone-${id}` } });
    const call = new Call({ id, caller: '8001', called: '037160001234', direction: 'outbound' }, callDeps);
    call.addLeg(phone);
    const handled = dialer.connect({ call, channel: phone, extension: '8001', dialled: '037160001234', track: (leg) => call.addLeg(leg) });
    t.true(await rig.until(handled, 5000, `routed ${id}`));
    return phone;
  };
  return { appSpan, netSpan, cpe, exchange, legs, guard, e1, trunk, ended, callsUp, routed, bridges, placeFromPhone };
}

rigTest('span-failover: in service, the route’s calls take the E1 — inbound and outbound legs on span 1, the SIP trunk unused', {}, async (t, rig) => {
  const { cpe, exchange, legs, guard, e1, trunk, callsUp, routed, bridges, placeFromPhone } = await appliance(t, rig);
  t.true(guard.inService);
  t.true(e1.available());
  await callsUp();

  const next = exchange.expectCall(5000);
  const phoneDone = placeFromPhone('call-e1');
  const call = await rig.untilPaced(next, 5000, 'the E1 carries the routed call', 1);
  t.like(call, { called: '037160001234', direction: 'out' });
  call?.answer();
  const phone = await phoneDone;
  t.deepEqual(routed, ['e1'], 'the route’s first gateway');
  t.is(trunk.dialled.length, 0, 'the fallback was not needed');
  t.deepEqual(bridges, ['rtp-phone-call-e1', 'tdm-call-e1'], 'the B channel joined the call’s bridge');
  t.is(phone.level, 'connected');
  t.is(legs.active.size, 4);
  void phone.hangup(16);
  for (const leg of [...legs.active.values()]) void leg.hangup(16);
  await rig.untilPaced(() => legs.active.size === 0 && exchange.activeCalls === 0, 5000, 'cleared', 1);
  t.true(cpe.pri.dchanUp);
});

rigTest('span-failover: cable pull → RED < 1 s, calls cleared with 38, route falls back to the SIP trunk; reinsert → D channel back, E1 used again', { needs: ['cable-pull'] }, async (t, rig) => {
  const cable = rig.cable;
  const { appSpan, netSpan, cpe, exchange, legs, guard, e1, trunk, ended, callsUp, routed, bridges, placeFromPhone } = await appliance(t, rig);
  await callsUp();

  // Pull.
  const pulled = rig.now;
  cable.pull();
  await rig.until(() => appSpan.status().alarms.includes('red'), RED_WITHIN_MS, 'RED');
  const redMs = rig.now - pulled;
  t.log(`RED ${redMs} ms after the pull (card time); ${ended.length} legs cleared`);
  t.true(redMs <= RED_WITHIN_MS);
  t.false(guard.inService);
  t.is(ended.length, 3, 'every active call released as soon as RED was raised');
  for (const e of ended) t.like(e.info, { cause: 38, by: 'remote' }, `${e.id} cleared with 38 (network out of order)`);
  t.is(legs.active.size, 0);

  // New calls: the E1 gateway refuses as congestion; the route falls back to the SIP trunk.
  t.false(e1.available());
  t.deepEqual(await e1.dial({ callId: 'x', caller: { number: '95598', presentation: 'allowed' }, called: '1', signal: new AbortController().signal, timeoutMs: 1000 }), {
    outcome: 'congestion',
    cause: 38,
  });

  const phone1 = await placeFromPhone('call-fallback');
  t.deepEqual(routed, ['sip-trunk'], 'the E1 gateway was skipped while in alarm');
  t.is(trunk.dialled.length, 1);
  t.like(trunk.dialled[0], { called: '037160001234', callId: 'call-fallback' });
  t.is(phone1.level, 'connected', 'the phone is answered once the trunk leg answers');
  t.deepEqual(bridges, ['rtp-phone-call-fallback', 'rtp-call-fallback']);

  // Held out long enough for Q.921 to give up (T200 × N200 of wall time): both stacks drop the link and free their calls.
  await rig.untilPaced(() => !cpe.pri.dchanUp && !exchange.dchanUp, 8000, 'D channel down at both ends');
  await rig.untilPaced(() => exchange.activeCalls === 0, 8000, 'the exchange released its calls');
  t.is(exchange.activeCalls, 0);

  // Reinsert: the alarm clears, the D channel comes back, the E1 takes the route's next call.
  const back = rig.now;
  cable.reinsert();
  await rig.until(() => appSpan.status().alarms.length === 0 && netSpan.status().alarms.length === 0, 1000, 'alarms clear');
  t.log(`alarms cleared ${rig.now - back} ms after reinsertion (card time)`);
  t.true(guard.inService);
  const realStart = performance.now();
  await rig.untilPaced(() => cpe.pri.dchanUp && exchange.dchanUp, 8000, 'D channel restored', 2);
  t.log(`D channel re-established ${Math.round(performance.now() - realStart)} ms (wall) after the alarms cleared`);
  t.true(e1.available());

  const again = exchange.expectCall(5000);
  const phone2Done = placeFromPhone('call-e1-again');
  const call2 = await rig.untilPaced(again, 5000, 'the E1 carries the next call', 1);
  t.like(call2, { called: '037160001234', direction: 'out' });
  call2?.answer();
  const phone2 = await phone2Done;
  t.deepEqual(routed, ['sip-trunk', 'e1']);
  t.deepEqual(bridges.slice(2), ['rtp-phone-call-e1-again', 'tdm-call-e1-again'], 'the B channel joined the call’s bridge, on the call’s worker');
  t.is(trunk.dialled.length, 1, 'the trunk was not used once the E1 was back');
  t.is(phone2.level, 'connected');
  void phone1.hangup(16);
  void phone2.hangup(16);
  await rig.untilPaced(() => legs.active.size === 0 && exchange.activeCalls === 0, 5000, 'cleared', 1);
});
