/**
 * The registrar over the SipEndpoint on ManualClock (RFC 3261 §10.3): register, refresh,
 * unregister, `*`, 423 Min-Expires, Call-ID/CSeq ordering, several contacts per AOR, exact
 * expiry events, restart keeping bindings (D1), presence, NAT qualify, and lookup for the B2BUA.
 */
import test from 'ava';
import type { AnyAppEvent } from '../../core/events.js';
import { buildRig, REALM, type Rig } from './testing/rig.js';

function setup(o: Parameters<typeof buildRig>[0] = {}): Rig {
  const rig = buildRig(o);
  rig.extensions.create({ number: '1001', displayName: 'Agent One', password: 'secret-1001' });
  rig.extensions.create({ number: '1002', displayName: 'Agent Two', password: 'secret-1002' });
  return rig;
}

const types = (events: AnyAppEvent[], prefix = 'sip.'): string[] => events.filter((e) => e.type.startsWith(prefix)).map((e) => e.type);

test('register: 401 first, then 200 listing the contact with its expires and a Date; created + presence events; lookup', async (t) => {
  const rig = setup();
  t.teardown(() => rig.close());
  const phone = rig.phone('10.0.0.5', 5062);
  const first = phone.register({ noAuth: true });
  t.is(first?.status, 401);
  const ok = phone.register({ expires: 600, userAgent: 'Yealink T46' });
  t.is(ok?.status, 200);
  t.deepEqual(ok?.headers.getAll('contact'), ['<sip:1001@10.0.0.5:5062>;expires=600']);
  t.is(ok?.headers.get('date'), new Date(rig.clock.now()).toUTCString());
  t.deepEqual(types(rig.events, 'sip.registration').concat(types(rig.events, 'sip.presence')), ['sip.registration.created', 'sip.presence.changed']);
  const [c] = rig.registrar.lookup('1001');
  t.like(c, { aor: '1001', destination: { protocol: 'udp', host: '10.0.0.5', port: 5062, connectionId: null }, reachable: true, userAgent: 'Yealink T46' });
  t.is(c?.expiresAt, rig.clock.now() + 600_000);
  t.true(rig.registrar.isOnline('1001'));
  t.false(rig.registrar.isOnline('1002'));
});

test('MD5 credentials register too', async (t) => {
  const rig = setup();
  t.teardown(() => rig.close());
  t.is(rig.phone('10.0.0.5').register({ algorithm: 1 })?.status, 200);
});

test('expiry is exact on the Clock: bound at 599 999 ms, expired event at 600 000 ms, presence offline', async (t) => {
  const rig = setup();
  t.teardown(() => rig.close());
  rig.phone('10.0.0.5').register({ expires: 600 });
  rig.clock.advance(599_999);
  t.is(rig.registrar.lookup('1001').length, 1);
  t.false(types(rig.events).includes('sip.registration.expired'));
  rig.clock.advance(1);
  t.is(rig.registrar.lookup('1001').length, 0);
  const expired = rig.events.find((e) => e.type === 'sip.registration.expired');
  t.deepEqual(expired?.payload, { aor: '1001', contact: '<sip:1001@10.0.0.5:5060>' });
  t.false(rig.registrar.isOnline('1001'));
  t.is(rig.sipStore.loadBindings().length, 0);
});

test('refresh extends the binding (no second created event); unregister with Expires: 0 removes it', async (t) => {
  const rig = setup();
  t.teardown(() => rig.close());
  const phone = rig.phone('10.0.0.5');
  phone.register({ expires: 600 });
  rig.clock.advance(500_000);
  t.is(phone.register({ expires: 600 })?.status, 200);
  rig.clock.advance(200_000); // past the first expiry
  t.is(rig.registrar.lookup('1001').length, 1);
  t.is(types(rig.events).filter((x) => x === 'sip.registration.created').length, 1);
  const un = phone.register({ expires: 0 });
  t.is(un?.status, 200);
  t.deepEqual(un?.headers.getAll('contact'), []);
  t.is(rig.registrar.lookup('1001').length, 0);
  t.like(rig.events.find((e) => e.type === 'sip.registration.removed')?.payload, { aor: '1001', why: 'unregistered' });
  t.like(rig.events.filter((e) => e.type === 'sip.presence.changed').at(-1)?.payload, { aor: '1001', online: false });
});

test('several contacts per AOR; the contact expires param wins over the Expires header; "*" with Expires: 0 removes all', async (t) => {
  const rig = setup();
  t.teardown(() => rig.close());
  const desk = rig.phone('10.0.0.5');
  const soft = rig.phone('10.0.0.9', 5080);
  desk.register({ expires: 600 });
  const r = soft.register({ contacts: ['<sip:1001@10.0.0.9:5080;transport=udp>;expires=120;q=0.5'], expires: 900 });
  t.is(r?.status, 200);
  t.deepEqual(r?.headers.getAll('contact').sort(), ['<sip:1001@10.0.0.5:5060>;expires=600', '<sip:1001@10.0.0.9:5080;transport=udp>;q=0.5;expires=120']);
  t.deepEqual(rig.registrar.lookup('1001').map((c) => c.destination.host), ['10.0.0.5', '10.0.0.9']); // q 1 before q 0.5
  const bad = desk.register({ contacts: ['*', '<sip:1001@10.0.0.5>'], expires: 0 });
  t.is(bad?.status, 400);
  const badExpires = desk.register({ contacts: ['*'], expires: 60 });
  t.is(badExpires?.status, 400);
  const all = desk.register({ contacts: ['*'], expires: 0 });
  t.is(all?.status, 200);
  t.is(rig.registrar.lookup('1001').length, 0);
  t.is(types(rig.events).filter((x) => x === 'sip.registration.removed').length, 2);
});

test('423 Interval Too Brief with Min-Expires; longer than the maximum is shortened', async (t) => {
  const rig = setup({ policy: { minExpires: 60, maxExpires: 3600 } });
  t.teardown(() => rig.close());
  const phone = rig.phone('10.0.0.5');
  const brief = phone.register({ expires: 30 });
  t.is(brief?.status, 423);
  t.is(brief?.headers.get('min-expires'), '60');
  t.is(rig.registrar.lookup('1001').length, 0);
  const long = phone.register({ expires: 86_400 });
  t.deepEqual(long?.headers.getAll('contact'), ['<sip:1001@10.0.0.5:5060>;expires=3600']);
});

test('Call-ID/CSeq ordering: same Call-ID with a lower CSeq fails and changes nothing; another Call-ID may update', async (t) => {
  const rig = setup();
  t.teardown(() => rig.close());
  const phone = rig.phone('10.0.0.5');
  t.is(phone.register({ expires: 600, cseq: 10 })?.status, 200); // bound with CSeq 11
  const stale = phone.register({ expires: 0, cseq: 5 }); // 5 → 401, then 6 with credentials
  t.is(stale?.status, 500);
  t.is(rig.registrar.lookup('1001').length, 1);
  const other = phone.register({ expires: 0, cseq: 1, callId: 'another-call-id' });
  t.is(other?.status, 200);
  t.is(rig.registrar.lookup('1001').length, 0);
});

test('a REGISTER with no Contact is a query: 200 listing the bindings, nothing changed', async (t) => {
  const rig = setup();
  t.teardown(() => rig.close());
  const phone = rig.phone('10.0.0.5');
  phone.register({ expires: 600 });
  rig.clock.advance(100_000);
  const q = phone.register({ contacts: [] });
  t.deepEqual(q?.headers.getAll('contact'), ['<sip:1001@10.0.0.5:5060>;expires=500']);
});

test('S10 d: 1001 registering the AOR of 1002 with its own credentials gets 403 and binds nothing', async (t) => {
  const rig = setup();
  t.teardown(() => rig.close());
  const r = rig.phone('10.0.0.5').register({ user: '1001', toUser: '1002' });
  t.is(r?.status, 403);
  t.is(rig.registrar.bindings().length, 0);
});

test('contact limit: the oldest binding makes room (a rebooted phone is not locked out)', async (t) => {
  const rig = setup();
  t.teardown(() => rig.close());
  rig.extensions.update('1001', { maxContacts: 2 });
  for (const port of [5060, 5061, 5062]) {
    rig.clock.advance(1000);
    t.is(rig.phone('10.0.0.5', port).register({ expires: 600 })?.status, 200);
  }
  t.deepEqual(rig.registrar.lookup('1001').map((c) => c.destination.port).sort(), [5061, 5062]);
  t.like(rig.events.find((e) => e.type === 'sip.registration.removed')?.payload, { why: 'replaced' });
});

test('restart keeps bindings (D1): a new registrar on the same database has them, with the remaining time, and expires them on time', async (t) => {
  const rig = setup();
  rig.phone('10.0.0.5', 5070).register({ expires: 600 });
  rig.clock.advance(100_000);
  const clock = rig.clock;
  const dir = rig.dir;
  await rig.close();
  const again = buildRig({ dir, clock });
  t.teardown(() => again.close());
  const [c] = again.registrar.lookup('1001');
  t.like(c, { aor: '1001', destination: { host: '10.0.0.5', port: 5070 } });
  t.true(again.registrar.isOnline('1001'));
  const q = again.phone('10.0.0.5', 5070).register({ contacts: [] });
  t.deepEqual(q?.headers.getAll('contact'), ['<sip:1001@10.0.0.5:5070>;expires=500']);
  clock.advance(500_000);
  t.is(again.registrar.lookup('1001').length, 0);
  t.true(types(again.events).includes('sip.registration.expired'));
});

test('restart after the bindings expired: they are dropped with expired events', async (t) => {
  const rig = setup();
  rig.phone('10.0.0.5').register({ expires: 60 });
  const { clock, dir } = rig;
  await rig.close();
  clock.advance(61_000); // no timers left running: the daemon was down
  const again = buildRig({ dir, clock });
  t.teardown(() => again.close());
  t.is(again.registrar.lookup('1001').length, 0);
  t.deepEqual(types(again.events), ['sip.registration.expired']);
  t.is(again.sipStore.loadBindings().length, 0);
});

test('NAT keepalive: OPTIONS to the REGISTER source each interval; no answer → unreachable and offline; an answer → reachable again', async (t) => {
  const rig = setup({ qualifyIntervalMs: 30_000 });
  t.teardown(() => rig.close());
  const phone = rig.phone('10.0.0.5', 5062);
  phone.register({ expires: 3600 });
  const before = rig.server.sent.length;
  rig.clock.advance(30_000);
  const options = rig.server.sent.slice(before).filter((p) => p.text.startsWith('OPTIONS '));
  t.is(options.length, 1);
  t.like(options[0]?.dest, { host: '10.0.0.5', port: 5062, connectionId: null });
  t.true(options[0]!.text.startsWith('OPTIONS sip:1001@10.0.0.5:5062 SIP/2.0'));
  rig.clock.advance(32_000 + 1); // Timer F (64·T1)
  t.false(rig.registrar.lookup('1001')[0]?.reachable);
  t.false(rig.registrar.isOnline('1001'));
  t.like(rig.events.find((e) => e.type === 'sip.contact.reachability-changed')?.payload, { aor: '1001', reachable: false });
  // The next probe is answered by the phone.
  const mark = rig.server.sent.length;
  rig.clock.advance(30_000);
  const probe = rig.server.sent.slice(mark).find((p) => p.text.startsWith('OPTIONS '));
  t.truthy(probe);
  const lines = probe!.text.split('\r\n');
  const pick = (name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  const answer = ['SIP/2.0 200 OK', ...pick('Via'), ...pick('From'), `${pick('To')[0]};tag=ph`, ...pick('Call-ID'), ...pick('CSeq'), 'Content-Length: 0', '', ''].join('\r\n');
  phone.send(answer);
  t.true(rig.registrar.lookup('1001')[0]?.reachable);
  t.true(rig.registrar.isOnline('1001'));
});

test('deleting an extension drops its bindings with removed events', async (t) => {
  const rig = setup();
  t.teardown(() => rig.close());
  rig.phone('10.0.0.5').register({ expires: 600 });
  rig.extensions.remove('1001');
  rig.registrar.dropAor('1001');
  t.is(rig.registrar.lookup('1001').length, 0);
  t.like(rig.events.find((e) => e.type === 'sip.registration.removed')?.payload, { why: 'extension-removed' });
  t.like(rig.events.filter((e) => e.type === 'sip.presence.changed').at(-1)?.payload, { online: false });
  t.is(rig.sipStore.loadBindings().length, 0);
});

test('extension service: zod validation names the field; HA1s stored, never the password', async (t) => {
  const rig = setup();
  t.teardown(() => rig.close());
  const err = t.throws(() => rig.extensions.create({ number: '12a', displayName: '', password: 'short' }));
  t.deepEqual(
    (err as unknown as { issues: Array<{ path: string }> }).issues.map((i) => i.path).sort(),
    ['displayName', 'number', 'password'],
  );
  t.throws(() => rig.extensions.create({ number: '1001', displayName: 'dup', password: 'secret-xyz' }), { message: /exists/ });
  const row = rig.store.sqlite.prepare('SELECT * FROM sip_extensions WHERE number = ?').get('1001') as Record<string, unknown>;
  t.false(JSON.stringify(row).includes('secret-1001'));
  t.is((row['ha1_sha256'] as string).length, 64);
  t.is(row['realm'], REALM);
  t.false('ha1Md5' in (rig.extensions.get('1001') ?? {}));
});
