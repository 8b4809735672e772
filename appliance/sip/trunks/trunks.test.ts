/**
 * Trunks on the ManualClock with a scripted carrier (no sockets): the registration client
 * against the appliance's own DigestAuthenticator as the carrier's registrar (401 challenge,
 * refresh before expiry, 423, wrong password with RFC 5626 back-off, timeouts), up/down events,
 * OPTIONS qualify, the trunk INVITE guard (ACL, source port, channel limit → 503), and caller ID
 * per RFC 3325 / RFC 3323 in both directions.
 */
import test from 'ava';
import { EventBus, type AnyAppEvent } from '../../core/events.js';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { DigestAuthenticator, type DirectoryEntry } from '../auth/authenticator.js';
import { ha1 } from '../auth/digest.js';
import type { NextHop } from '../dialog/dialog.js';
import { Contact, Headers, parseNameAddr, serializeNameAddr, sipUri, SipResponse, Via, type SipRequest } from '../message/index.js';
import { parseMessage, serializeMessage } from '../parser/index.js';
import { inboundParties, outboundIdentity } from './caller-id.js';
import { BACKOFF_BASE_MS, RegistrationClient } from './registration.js';
import type { SipRequester } from './requester.js';
import { SipTrunk } from './trunk.js';
import { TrunkSchema, publicTrunk, type TrunkInput } from './trunk-schema.js';
import { TrunkService } from './trunk-service.js';
import { MemoryTrunkStore } from './trunk-store.js';

const log = silentLogger();
const REALM = 'carrier.example';
const HOP: NextHop = { host: '192.0.2.10', port: 5060, protocol: 'udp' };

type Script = (req: SipRequest) => SipResponse | null;

/** A carrier that answers every request through `script`, after a serialize → parse round trip. */
class FakeCarrier implements SipRequester {
  readonly seen: SipRequest[] = [];
  script: Script = () => null;

  send(req: SipRequest, _hop: NextHop): Promise<SipResponse | null> {
    req.headers.prependTyped('via', new Via('UDP', '198.51.100.7', 5060, new Map([['branch', `z9hG4bK${this.seen.length}`]])));
    const parsed = parseMessage(serializeMessage(req)) as SipRequest;
    this.seen.push(parsed);
    const res = this.script(parsed);
    return Promise.resolve(res);
  }

  contact(user: string): Contact {
    return new Contact(sipUri({ user, host: '198.51.100.7', port: 5060 }));
  }
}

function reply(req: SipRequest, status: number, headers: Array<[string, string]> = []): SipResponse {
  const h = new Headers();
  for (const v of req.via()) h.appendTyped('via', v);
  h.append('From', serializeNameAddr(req.from()!));
  h.append('To', `${serializeNameAddr(req.to()!)};tag=carrier`);
  h.append('Call-ID', req.callId()!);
  h.append('CSeq', `${req.cseq()!.seq} ${req.method}`);
  for (const [k, v] of headers) h.append(k, v);
  return parseMessage(serializeMessage(new SipResponse(status, undefined, h))) as SipResponse;
}

/** The carrier's registrar: the appliance's own Digest server, user `trunk1` / `pw`. */
function registrar(password = 'pw', granted = 120) {
  const entry: DirectoryEntry = { extension: 'trunk1', authUser: 'trunk1', enabled: true, ha1: { MD5: ha1('MD5', 'trunk1', REALM, password), 'SHA-256': ha1('SHA-256', 'trunk1', REALM, password) } };
  return (clock: ManualClock): Script => {
    const auth = new DigestAuthenticator({ clock, realm: REALM, directory: { credentials: (u) => (u === 'trunk1' ? entry : null) }, algorithms: ['MD5'] });
    return (req) => {
      const r = auth.authenticate(req, { host: '198.51.100.7' });
      if (!r.ok) return reply(req, r.response.status, r.response.headers);
      return reply(req, 200, [['Contact', `<sip:trunk1@198.51.100.7:5060>;expires=${granted}`]]);
    };
  };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

function client(clock: ManualClock, carrier: FakeCarrier, password = 'pw') {
  const changes: Array<[boolean, string]> = [];
  const c = new RegistrationClient({
    clock,
    log,
    requester: carrier,
    hop: HOP,
    domain: REALM,
    port: null,
    username: 'trunk1',
    authUser: null,
    password,
    expires: 600,
    random: () => 1,
    onChange: (up, why) => changes.push([up, why]),
  });
  return { c, changes };
}

test('registration answers the 401 with Digest, uses the granted expiry and refreshes at 90 % of it (same Call-ID, CSeq + 1)', async (t) => {
  const clock = new ManualClock();
  const carrier = new FakeCarrier();
  carrier.script = registrar()(clock);
  const { c, changes } = client(clock, carrier);
  c.start();
  await flush();
  t.is(c.state, 'registered');
  t.deepEqual(changes, [[true, 'registered']]);
  t.is(carrier.seen.length, 2, 'REGISTER, 401, REGISTER with credentials, 200');
  const [first, second] = carrier.seen;
  t.is(first!.authorization().length, 0);
  t.is(second!.authorization()[0]!.params.get('username'), 'trunk1');
  t.is(second!.callId(), first!.callId());
  t.is(second!.cseq()!.seq, first!.cseq()!.seq + 1);
  t.is(second!.headers.get('expires'), '600');
  t.is(c.expiresAt, clock.now() + 120_000, 'the Contact expires in the 200 wins over what we asked');

  clock.advance(107_999);
  await flush();
  t.is(carrier.seen.length, 2, 'no refresh before 90 % of 120 s');
  clock.advance(1);
  await flush();
  t.true(carrier.seen.length >= 3, 'refreshed at 108 s');
  t.is(c.state, 'registered');
  t.is(carrier.seen.at(-1)!.callId(), first!.callId());
  t.deepEqual(changes, [[true, 'registered']], 'a refresh is not a state change');
});

test('wrong password: one credentialed retry, then back-off 30 s, 60 s, 120 s … (RFC 5626 §4.5) and one down event', async (t) => {
  const clock = new ManualClock();
  const carrier = new FakeCarrier();
  carrier.script = registrar('right')(clock);
  const { c, changes } = client(clock, carrier, 'wrong');
  c.start();
  await flush();
  t.is(c.state, 'backoff');
  t.deepEqual(c.lastFailure, { reason: 'auth-rejected', status: 401 });
  t.is(carrier.seen.length, 2);
  t.deepEqual(changes, [[false, 'auth-rejected (401)']]);
  const attemptsAt: number[] = [];
  let last = carrier.seen.length;
  for (let ms = 0; ms < 30_000 + 60_000 + 120_000 + 1; ms += 1000) {
    clock.advance(1000);
    await flush();
    if (carrier.seen.length > last) {
      attemptsAt.push(ms + 1000);
      last = carrier.seen.length;
    }
  }
  t.deepEqual(attemptsAt, [BACKOFF_BASE_MS, BACKOFF_BASE_MS * 3, BACKOFF_BASE_MS * 7], 'retries after 30, +60, +120 s');
  t.is(c.consecutiveFailures, 4);
  t.deepEqual(changes, [[false, 'auth-rejected (401)']], 'still down: no repeated events');
});

test('a registered trunk that stops answering goes down, backs off, and comes back up', async (t) => {
  const clock = new ManualClock();
  const carrier = new FakeCarrier();
  const ok = registrar()(clock);
  carrier.script = ok;
  const { c, changes } = client(clock, carrier);
  c.start();
  await flush();
  carrier.script = () => null;
  clock.advance(108_000);
  await flush();
  t.is(c.state, 'backoff');
  t.deepEqual(c.lastFailure, { reason: 'timeout', status: null });
  carrier.script = ok;
  clock.advance(29_999);
  await flush();
  t.is(c.state, 'backoff');
  clock.advance(1);
  await flush();
  t.is(c.state, 'registered');
  t.deepEqual(changes, [
    [true, 'registered'],
    [false, 'timeout'],
    [true, 'registered'],
  ]);
});

test('423 Interval Too Brief is retried at once with Min-Expires; stop() removes the binding with Expires: 0', async (t) => {
  const clock = new ManualClock();
  const carrier = new FakeCarrier();
  carrier.script = (req) => (Number(req.headers.get('expires')) < 900 ? reply(req, 423, [['Min-Expires', '900']]) : reply(req, 200));
  const { c } = client(clock, carrier);
  c.start();
  await flush();
  t.is(c.state, 'registered');
  t.deepEqual(carrier.seen.map((r) => r.headers.get('expires')), ['600', '900']);
  t.is(c.expiresAt, clock.now() + 900_000, 'no Contact expires in the 200: the Expires we sent');
  await c.stop();
  t.is(c.state, 'stopped');
  t.is(carrier.seen.at(-1)!.headers.get('expires'), '0');
  clock.advance(2_000_000);
  await flush();
  t.is(carrier.seen.length, 3, 'no timers left after stop');
});

function trunkInput(over: Partial<TrunkInput> = {}): TrunkInput {
  return { id: 'carrier', name: 'Carrier', host: '192.0.2.10', acl: ['192.0.2.0/28'], channels: 2, ...over };
}

test('trunk up/down events: a registering trunk is up once registered AND its OPTIONS qualify answers', async (t) => {
  const clock = new ManualClock();
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const carrier = new FakeCarrier();
  const reg = registrar()(clock);
  let optionsAlive = false;
  carrier.script = (req) => (req.method === 'OPTIONS' ? (optionsAlive ? reply(req, 200) : null) : reg(req));
  const trunk = new SipTrunk(TrunkSchema.parse(trunkInput({ auth: { kind: 'registration', username: 'trunk1', password: 'pw', domain: REALM }, qualifySeconds: 30 })), {
    clock,
    log,
    bus,
    requester: carrier,
    random: () => 1,
  });
  trunk.start();
  await flush();
  const states = () => events.filter((e) => e.type === 'sip.trunk.state-changed').map((e) => (e.payload as { up: boolean }).up);
  t.false(trunk.up, 'registered but OPTIONS unanswered');
  t.deepEqual(states(), []);
  optionsAlive = true;
  clock.advance(30_000);
  await flush();
  t.true(trunk.up);
  t.deepEqual(states(), [true]);
  optionsAlive = false;
  clock.advance(30_000);
  await flush();
  t.false(trunk.up);
  t.deepEqual(states(), [true, false]);
  t.is(trunk.status().reachable, false);
  t.is(trunk.status().registration, 'registered');
  await trunk.stop();
});

test('trunk guard: the ACL (and source port) picks the trunk, skips Digest, reads PAI/Privacy and the DID; over the channel limit → 503', async (t) => {
  const clock = new ManualClock();
  const bus = new EventBus({ clock, log });
  const refused: AnyAppEvent[] = [];
  bus.on('sip.trunk.call-refused', (e) => refused.push(e as AnyAppEvent));
  const store = new MemoryTrunkStore();
  store.save(trunkInput({ qualifySeconds: 0, channels: 1, sourcePort: 5060, codecs: ['PCMU', 'PCMA'] }));
  const svc = new TrunkService({ clock, log, bus, store, requester: new FakeCarrier() });
  svc.start();
  t.true(svc.get('carrier')!.up, 'an IP trunk without qualify is up at once');
  let phoneChecks = 0;
  const guard = svc.guard({ check: () => (phoneChecks++, { ok: false, status: 401, headers: [] }) });
  const invite = (extra: string[] = []): SipRequest =>
    parseMessage(
      Buffer.from(
        [
          'INVITE sip:02150001234@198.51.100.7 SIP/2.0',
          'Via: SIP/2.0/UDP 192.0.2.3:5060;branch=z9hG4bK1',
          'From: "Anonymous" <sip:anonymous@anonymous.invalid>;tag=a',
          'To: <sip:02150001234@198.51.100.7>',
          'Call-ID: x1',
          'CSeq: 1 INVITE',
          'Max-Forwards: 70',
          ...extra,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      ),
    ) as SipRequest;
  const src = (host: string, port: number) => ({ host, port, protocol: 'udp' as const, connectionId: null });

  t.like(guard.check(invite(), src('203.0.113.9', 5060)), { ok: false, status: 401 }, 'outside the ACL: phones’ Digest guard');
  t.like(guard.check(invite(), src('192.0.2.3', 40000)), { ok: false, status: 401 }, 'ACL address, wrong source port');
  t.is(phoneChecks, 2);
  const first = guard.check(invite(['P-Asserted-Identity: "Zhang" <sip:13800138000@192.0.2.3>', 'Privacy: id']), src('::ffff:192.0.2.3', 5060));
  t.true(first.ok);
  if (!first.ok) return;
  t.is(first.trunk?.id, 'carrier');
  t.deepEqual(first.trunk?.codecs, ['PCMU', 'PCMA']);
  t.deepEqual(first.caller, { number: '13800138000', name: 'Zhang', presentation: 'restricted' });
  t.deepEqual(first.called, { number: '02150001234', presentation: 'allowed' });
  t.is(phoneChecks, 2, 'no Digest for the trunk');
  t.is(svc.get('carrier')!.channelsInUse, 1);

  t.like(guard.check(invite(), src('192.0.2.3', 5060)), { ok: false, status: 503 }, 'limit 1: the second concurrent call is refused');
  t.is(refused.length, 1);
  t.like(refused[0]!.payload, { trunkId: 'carrier', direction: 'inbound', reason: 'channel-limit', limit: 1 });
  first.trunk!.lease.release();
  first.trunk!.lease.release();
  t.is(svc.get('carrier')!.channelsInUse, 0, 'release is idempotent');
  t.true(guard.check(invite(), src('192.0.2.3', 5060)).ok, 'a channel is free again');
  await svc.stop();
});

test('caller ID out: P-Asserted-Identity with the site number; restricted → anonymous From + Privacy: id', (t) => {
  const trunk = TrunkSchema.parse(trunkInput({ callerId: { number: '02150000000' } }));
  const open = outboundIdentity(trunk, { number: '1001', name: 'Agent', presentation: 'allowed' }, '192.0.2.10');
  t.is(serializeNameAddr(open.from), '"Agent" <sip:02150000000@192.0.2.10>');
  t.deepEqual(open.headers, [['P-Asserted-Identity', '<sip:02150000000@192.0.2.10>']]);
  const hidden = outboundIdentity(trunk, { number: '1001', presentation: 'restricted' }, '192.0.2.10');
  t.is(serializeNameAddr(hidden.from), '"Anonymous" <sip:anonymous@anonymous.invalid>');
  t.deepEqual(hidden.headers, [
    ['P-Asserted-Identity', '<sip:02150000000@192.0.2.10>'],
    ['Privacy', 'id'],
  ]);
  const noAssert = outboundIdentity(TrunkSchema.parse(trunkInput({ callerId: { assert: false, restrict: true } })), { number: '1001', presentation: 'allowed' }, 'h');
  t.deepEqual(noAssert.headers, [['Privacy', 'id']]);
  const req = parseMessage(
    Buffer.from(['INVITE sip:trunk1@198.51.100.7 SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.3;branch=z9hG4bK2', 'From: <sip:02087654321@192.0.2.3>;tag=b', 'To: <sip:95598@198.51.100.7>', 'Call-ID: y', 'CSeq: 1 INVITE', 'Content-Length: 0', '', ''].join('\r\n')),
  ) as SipRequest;
  t.deepEqual(inboundParties({ didFrom: 'to' }, req), { caller: { number: '02087654321', presentation: 'allowed' }, called: { number: '95598', presentation: 'allowed' } });
  t.is(inboundParties({ didFrom: 'request-uri' }, req).called.number, 'trunk1');
  t.truthy(parseNameAddr('<sip:a@b>'));
});

test('trunk schema: defaults, write-only password, bad ACL entries named', (t) => {
  const t1 = TrunkSchema.parse(trunkInput({ auth: { kind: 'registration', username: 'u', password: 'secret' } }));
  t.deepEqual(t1.codecs, ['PCMA', 'PCMU']);
  t.is(t1.port, 5060);
  t.is(JSON.stringify(publicTrunk(t1)).includes('secret'), false);
  const bad = TrunkSchema.safeParse(trunkInput({ acl: ['10.0.0.0/8', 'not-an-ip'] }));
  t.false(bad.success);
  if (!bad.success) t.deepEqual(bad.error.issues[0]!.path, ['acl', 1]);
  t.false(TrunkSchema.safeParse(trunkInput({ codecs: ['PCMA', 'PCMA'] })).success);
  t.false(TrunkSchema.safeParse(trunkInput({ codecs: ['G729' as 'PCMA'] })).success);
});
