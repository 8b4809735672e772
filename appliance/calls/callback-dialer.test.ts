import test from 'ava';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { HangupCauses } from '../channel/q850.js';
import { EventBus, type AnyAppEvent } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import type { Call } from './call.js';
import { agentExtensionOf, dialCallbackCustomer } from './callback-dialer.js';
import { GatewayRegistry, type Gateway, type GatewayDialRequest, type GatewayDialResult } from './gateway.js';
import { OutboundDialer } from './outbound-dialer.js';
import { OutboundPolicy, OutboundRouteSchema, type ClassOfService } from './outbound-routes.js';

function rig(o: { classes?: Record<string, ClassOfService>; gatewayOutcome?: GatewayDialResult['outcome'] } = {}) {
  const clock = new ManualClock();
  const log = silentLogger();
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const dialled: GatewayDialRequest[] = [];
  const customerLegs: FakeChannel[] = [];
  const carrier: Gateway = {
    id: 'carrier',
    kind: 'sip-trunk',
    available: () => true,
    dial: async (req) => {
      dialled.push(req);
      const leg = new FakeChannel({ clock, direction: 'outbound', called: req.called });
      req.onLeg?.(leg);
      const outcome = o.gatewayOutcome ?? 'answered';
      if (outcome !== 'answered') return { outcome, cause: HangupCauses.USER_BUSY };
      await leg.answer();
      customerLegs.push(leg);
      return { outcome: 'answered', channel: leg };
    },
  };
  const gateways = new GatewayRegistry();
  gateways.add(carrier);
  const policy = new OutboundPolicy({
    clock,
    routes: () => [OutboundRouteSchema.parse({ id: 'mobile', name: 'mobiles', pattern: '_1X.', gateways: ['carrier'], class: 'national', maxConcurrent: 1 })],
    classOf: (ext) => o.classes?.[ext] ?? 'internal',
  });
  const outbound = new OutboundDialer({ log, bus, policy, gateways });
  const extensionDials: string[] = [];
  const tracked: string[] = [];
  const agentLeg = new FakeChannel({ clock, direction: 'outbound', called: '1002' });
  void agentLeg.answer();
  const call = { id: 'call-cb', channels: [agentLeg] } as unknown as Call;
  const deps = {
    log,
    isLocal: (n: string) => n === '1001',
    dialExtension: async (_c: Call, ext: string) => {
      extensionDials.push(ext);
      const leg = new FakeChannel({ clock, direction: 'outbound', called: ext });
      await leg.answer();
      return { outcome: 'answered' as const, channel: leg };
    },
    outbound,
    track: (_c: Call, leg: { id: string }) => void tracked.push(leg.id),
  };
  const dial = (number: string) =>
    dialCallbackCustomer(deps, { call, number, agentExtension: agentExtensionOf(call), caller: { number: '', presentation: 'allowed' }, signal: new AbortController().signal, timeoutMs: 30_000 });
  return { clock, events, dialled, customerLegs, extensionDials, tracked, policy, dial };
}

test("an outside number goes out through the outbound route and gateway as the agent's call; the route slot is held until the customer's leg ends", async (t) => {
  const r = rig({ classes: { '1002': 'national' } });
  const res = await r.dial('13800138000');
  t.is(res.outcome, 'answered');
  t.deepEqual(r.extensionDials, []);
  t.is(r.dialled.length, 1);
  t.is(r.dialled[0]!.called, '13800138000');
  t.is(r.dialled[0]!.callId, 'call-cb');
  t.deepEqual(r.tracked, [r.customerLegs[0]!.id], 'the customer leg joins the callback call');
  t.like(r.events.find((e) => e.type === 'call.outbound.routed')?.payload, { extension: '1002', routeId: 'mobile', gatewayId: 'carrier' });
  t.is(r.policy.activeOn('mobile'), 1);
  r.customerLegs[0]!.remoteHangup();
  t.is(r.policy.activeOn('mobile'), 0);
});

test('an extension is rung as an extension', async (t) => {
  const r = rig({ classes: { '1002': 'national' } });
  t.is((await r.dial('1001')).outcome, 'answered');
  t.deepEqual(r.extensionDials, ['1001']);
  t.is(r.dialled.length, 0);
});

test('toll-fraud guards apply to the agent: an internal-class agent cannot call out, and a premium-rate caller number is never dialled', async (t) => {
  const internal = rig();
  t.is((await internal.dial('13800138000')).outcome, 'failed');
  t.is(internal.dialled.length, 0);
  t.like(internal.events.find((e) => e.type === 'call.outbound.refused')?.payload, { extension: '1002', reason: 'class-of-service' });

  const premium = rig({ classes: { '1002': 'international' } });
  t.is((await premium.dial('16812345678')).outcome, 'failed');
  t.is(premium.dialled.length, 0);
  t.like(premium.events.find((e) => e.type === 'call.outbound.refused')?.payload, { reason: 'blocked-prefix' });
  t.is(premium.policy.activeOn('mobile'), 0, 'a refusal holds no route slot');
});

test("a number no outbound route takes is rung as an extension (an analog phone has no SIP contact); busy is the customer's answer", async (t) => {
  const r = rig({ classes: { '1002': 'national' } });
  t.is((await r.dial('2001')).outcome, 'answered');
  t.deepEqual(r.extensionDials, ['2001']);
  const busy = rig({ classes: { '1002': 'national' }, gatewayOutcome: 'busy' });
  t.is((await busy.dial('13800138000')).outcome, 'busy');
  t.is(busy.policy.activeOn('mobile'), 0);
});
