/**
 * Outbound routes: the matcher (priority, pattern, strip/prefix) and every toll-fraud guard
 * refusing on its own (unauthenticated, class of service, allow-list, blocked prefix, route
 * concurrency, calls per hour, opening hours), on the ManualClock; then the dialer's gateway
 * fallback on congestion with fake gateways and a fake channel.
 */
import test from 'ava';
import type { Channel } from '../channel/channel.js';
import { EventBus, type AnyAppEvent } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import type { Call } from './call.js';
import { GatewayRegistry, type Gateway, type GatewayDialResult } from './gateway.js';
import { OutboundDialer } from './outbound-dialer.js';
import { matchOutboundRoute, normalise, OutboundPolicy, OutboundRouteSchema, withinHours, type ClassOfService, type OutboundRoute, type OutboundRouteInput } from './outbound-routes.js';

const log = silentLogger();
const route = (r: Partial<OutboundRouteInput> & { id: string }): OutboundRoute => OutboundRouteSchema.parse({ name: r.id, pattern: '_0X.', gateways: ['trunk-a'], ...r });

function policy(routes: OutboundRoute[], classes: Record<string, ClassOfService> = {}, clock = new ManualClock()) {
  return { clock, p: new OutboundPolicy({ clock, routes: () => routes, classOf: (e) => classes[e] ?? 'internal' }) };
}

test('matcher: first enabled route by priority; strip and prefix make the number sent out', (t) => {
  const routes = [
    route({ id: 'mobile', priority: 10, pattern: '_01[3-9]XXXXXXXXX', strip: 1 }),
    route({ id: 'national', priority: 20, pattern: '_00ZX.', strip: 1, blockedPrefixes: [] }),
    route({ id: 'local', priority: 30, pattern: '_0ZXXXXXXX', strip: 1, prefix: '021' }),
    route({ id: 'off', priority: 0, pattern: '_X.', enabled: false }),
  ];
  t.is(matchOutboundRoute(routes, '013800138000')?.id, 'mobile');
  t.is(matchOutboundRoute(routes, '0021500000')?.id, 'national');
  t.is(matchOutboundRoute(routes, '050001234')?.id, 'local');
  t.is(matchOutboundRoute(routes, '1002'), null);
  t.is(normalise(routes[0]!, '013800138000'), '13800138000');
  t.is(normalise(routes[2]!, '050001234'), '02150001234');
  const { p } = policy(routes, { '1001': 'national' });
  t.deepEqual(p.decide('1001', '013800138000'), { kind: 'allowed', route: routes[0], number: '13800138000' });
  t.deepEqual(p.decide('1001', '1002'), { kind: 'no-route' });
});

test('each guard refuses on its own, with its reason', (t) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 2, 0, 0)); // Monday 10:00 in UTC+8
  const routes = [
    route({ id: 'intl', priority: 1, pattern: '_000.', strip: 1, class: 'international' }),
    route({ id: 'premium', priority: 2, pattern: '_0168.', strip: 1, class: 'local' }),
    route({ id: 'vip', priority: 3, pattern: '_09.', strip: 1, class: 'local', extensions: ['_20XX'] }),
    route({ id: 'busy', priority: 4, pattern: '_08.', strip: 1, class: 'local', maxConcurrent: 1 }),
    route({ id: 'hourly', priority: 5, pattern: '_07.', strip: 1, class: 'local', maxCallsPerHour: 2 }),
    route({ id: 'office', priority: 6, pattern: '_06.', strip: 1, class: 'local', hours: { windows: [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00' }] } }),
    route({ id: 'emergency', priority: 7, pattern: '_11[09]', class: 'emergency', hours: { windows: [{ days: [0], from: '00:00', to: '00:01' }] } }),
    route({ id: 'national', priority: 8, pattern: '_0Z.', strip: 1, class: 'national' }),
  ];
  const { p } = policy(routes, { '1001': 'international', '1002': 'local', '1003': 'internal', '2001': 'local' }, clock);
  const reason = (ext: string | null, n: string) => {
    const d = p.decide(ext, n);
    return d.kind === 'refused' ? d.reason : d.kind;
  };
  t.is(reason(null, '013800138000'), 'unauthenticated');
  t.is(reason('1002', '021500001'), 'class-of-service', 'local may not use a national route');
  t.is(reason('1003', '021500001'), 'class-of-service', 'internal never dials out');
  t.is(reason('1001', '021500001'), 'allowed');
  t.is(reason('1001', '000852123456'), 'blocked-prefix', 'international is blocked by default even for an international extension');
  t.is(reason('1001', '01680000'), 'blocked-prefix', 'premium rate');
  t.is(reason('1002', '0912345'), 'not-allowed');
  t.is(reason('2001', '0912345'), 'allowed');

  const d = p.decide('1002', '0812345');
  t.is(d.kind, 'allowed');
  const use = d.kind === 'allowed' ? p.begin(d.route, '1002') : null;
  t.is(reason('1001', '0812345'), 'route-busy');
  use!.end();
  use!.end();
  t.is(p.activeOn('busy'), 0);
  t.is(reason('1001', '0812345'), 'allowed');

  for (let i = 0; i < 2; i++) {
    const a = p.decide('1002', '0712345');
    if (a.kind === 'allowed') p.begin(a.route, '1002').end();
  }
  t.is(reason('1002', '0712345'), 'hourly-limit');
  t.is(reason('2001', '0712345'), 'allowed', 'the limit is per extension');
  clock.advance(3_600_000);
  t.is(reason('1002', '0712345'), 'allowed', 'a rolling hour later');

  t.is(reason('1002', '0612345'), 'allowed', 'Monday 11:00 local');
  clock.advance(8 * 3_600_000);
  t.is(reason('1002', '0612345'), 'off-hours', 'Monday 19:00 local');
  t.is(reason('1003', '110'), 'allowed', 'emergency: any extension, any time');
});

test('opening hours in local time; route schema refuses bad windows and patterns', (t) => {
  const hours = { utcOffsetMinutes: 480, windows: [{ days: [6], from: '09:00', to: '12:00' }] };
  t.true(withinHours(hours, Date.UTC(2026, 0, 10, 1, 0)), 'Saturday 09:00 in UTC+8');
  t.false(withinHours(hours, Date.UTC(2026, 0, 10, 4, 0)), 'Saturday 12:00 is the end');
  t.false(withinHours(hours, Date.UTC(2026, 0, 9, 1, 0)), 'Friday');
  t.false(OutboundRouteSchema.safeParse({ id: 'x', name: 'x', pattern: '_0X.', gateways: ['g'], hours: { windows: [{ days: [1], from: '18:00', to: '08:00' }] } }).success);
  t.false(OutboundRouteSchema.safeParse({ id: 'x', name: 'x', pattern: '_0.X', gateways: ['g'] }).success);
  t.false(OutboundRouteSchema.safeParse({ id: 'x', name: 'x', pattern: '_0X.', gateways: [] }).success);
  t.deepEqual(route({ id: 'd' }).blockedPrefixes, ['00', '160', '168', '900', '1900']);
});

class FakeLeg {
  level: Channel['level'] = 'setup';
  readonly abort = new AbortController();
  readonly caller = { number: '1001', presentation: 'allowed' as const };
  readonly called = { number: '013800138000', presentation: 'allowed' as const };
  hangups: number[] = [];
  get ended(): AbortSignal {
    return this.abort.signal;
  }
  async alerting(): Promise<void> {
    this.level = 'alerting';
  }
  async answer(): Promise<void> {
    this.level = 'connected';
  }
  async hangup(cause: number): Promise<void> {
    this.hangups.push(cause);
    this.level = 'terminated';
    this.abort.abort();
  }
}

function gateway(id: string, result: GatewayDialResult | 'unavailable', calls: string[]): Gateway {
  return {
    id,
    kind: 'sip-trunk',
    available: () => result !== 'unavailable',
    dial: async (req) => {
      calls.push(`${id}:${req.called}`);
      return result as GatewayDialResult;
    },
  };
}

async function dialWith(gws: Gateway[], routes: OutboundRoute[], ext: string | null) {
  const clock = new ManualClock();
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const registry = new GatewayRegistry();
  for (const g of gws) registry.add(g);
  const p = new OutboundPolicy({ clock, routes: () => routes, classOf: () => 'national' });
  const dialer = new OutboundDialer({ log, bus, policy: p, gateways: registry });
  const leg = new FakeLeg();
  const bridged: string[] = [];
  const routedOut: Array<{ routeId: string | null; gatewayId?: string | null }> = [];
  const call = { id: 'call-1', bridge: async () => void bridged.push('bridged'), routedOut: (o: (typeof routedOut)[number]) => void routedOut.push(o) } as unknown as Call;
  const handled = await dialer.connect({ call, channel: leg as unknown as Channel, extension: ext, dialled: '013800138000', track: () => undefined });
  return { handled, leg, events, bridged, p, routedOut };
}

test('dialer: falls back to the next gateway on congestion, stops on busy; refusals clear with 21 and publish an event', async (t) => {
  const routes = [route({ id: 'out', gateways: ['down', 'full', 'busy', 'never'], strip: 1 })];
  const calls: string[] = [];
  const r = await dialWith(
    [gateway('down', 'unavailable', calls), gateway('full', { outcome: 'congestion', cause: 34 }, calls), gateway('busy', { outcome: 'busy', cause: 17 }, calls), gateway('never', { outcome: 'congestion', cause: 34 }, calls)],
    routes,
    '1001',
  );
  t.true(r.handled);
  t.deepEqual(calls, ['full:13800138000', 'busy:13800138000'], 'unavailable skipped, congestion falls back, busy ends the attempt');
  t.deepEqual(r.leg.hangups, [17]);
  t.is(r.p.activeOn('out'), 0, 'the route slot is given back when the caller leg ends');
  t.deepEqual(r.routedOut.at(-1), { routeId: 'out', gatewayId: 'busy' }, 'the CDR names the outbound route and the last gateway tried');

  const allFull = await dialWith([gateway('a', { outcome: 'congestion', cause: 34 }, [])], [route({ id: 'out', gateways: ['a'], strip: 1 })], '1001');
  t.deepEqual(allFull.leg.hangups, [34], 'every gateway congested: 34 (SIP 503)');

  const refused = await dialWith([gateway('a', { outcome: 'busy', cause: 17 }, [])], [route({ id: 'out', gateways: ['a'], strip: 1 })], null);
  t.deepEqual(refused.leg.hangups, [21], 'CALL_REJECTED → 403');
  const ev = refused.events.find((e) => e.type === 'call.outbound.refused');
  t.like(ev?.payload, { callId: 'call-1', extension: null, routeId: 'out', reason: 'unauthenticated' });
  t.deepEqual(refused.routedOut, [{ routeId: 'out' }], 'a refused attempt is still an outbound call in the CDR');

  const none = await dialWith([], [route({ id: 'out', pattern: '_9X.', gateways: ['a'] })], '1001');
  t.false(none.handled, 'no outbound route: the call handler answers 404');
  t.deepEqual(none.routedOut, [], 'no outbound route: the call stays inbound');
  t.deepEqual(none.leg.hangups, []);
});
