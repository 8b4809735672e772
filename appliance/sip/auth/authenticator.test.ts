/**
 * DigestAuthenticator on ManualClock with an in-memory directory: challenge shape (SHA-256 then
 * MD5, qop, opaque), success with either algorithm, stale nonce (stale=true only with a valid
 * digest), nc replay, nonce bound to the client address, identity (S10 d) and S8 uniformity.
 */
import test from 'ava';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { digestChallenge, parseAuth, type SipRequest } from '../message/index.js';
import { parseMessage } from '../parser/index.js';
import { DigestAuthenticator, type AuthFailure, type DirectoryEntry, type ExtensionDirectory } from './authenticator.js';
import { ha1 } from './digest.js';
import { NonceCounts } from './nonce.js';
import { authorize } from './testing/digest-client.js';

const REALM = 'hotline.local';

function directory(): ExtensionDirectory {
  const users = new Map<string, DirectoryEntry>([
    ['1001', { extension: '1001', authUser: '1001', enabled: true, ha1: { MD5: ha1('MD5', '1001', REALM, 's3cret'), 'SHA-256': ha1('SHA-256', '1001', REALM, 's3cret') } }],
  ]);
  return { credentials: (u) => users.get(u) ?? null };
}

function request(method: string, opts: { from?: string; to?: string; auth?: string[]; callId?: string } = {}): SipRequest {
  const from = opts.from ?? '1001';
  const text = [
    `${method} sip:${method === 'REGISTER' ? '' : '2000@'}127.0.0.1 SIP/2.0`,
    'Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKabc',
    'Max-Forwards: 70',
    `From: <sip:${from}@127.0.0.1>;tag=f1`,
    `To: <sip:${opts.to ?? (method === 'REGISTER' ? from : '2000')}@127.0.0.1>`,
    `Call-ID: ${opts.callId ?? 'c1'}`,
    `CSeq: 1 ${method}`,
    ...(opts.auth ?? []).map((a) => `Authorization: ${a}`),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const m = parseMessage(Buffer.from(text));
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}

function setup(extra: { nonceLifetimeMs?: number } = {}) {
  const clock = new ManualClock();
  const failures: AuthFailure[] = [];
  const auth = new DigestAuthenticator({
    clock,
    realm: REALM,
    directory: directory(),
    guard: { locked: () => false, failed: (f) => failures.push(f), succeeded: () => undefined },
    ...extra,
  });
  const challenge = (method = 'REGISTER', ip = '10.0.0.5'): string[] => {
    const r = auth.authenticate(request(method), { host: ip });
    if (r.ok) throw new Error('expected a challenge');
    return r.response.headers.map(([, v]) => v);
  };
  return { clock, auth, failures, challenge };
}

const URI = 'sip:127.0.0.1';

test('no credentials: 401 with SHA-256 then MD5 challenges sharing one nonce, qop="auth", opaque, no failure counted', (t) => {
  const { auth, failures } = setup();
  const r = auth.authenticate(request('REGISTER'), { host: '10.0.0.5' });
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.reason, 'no-credentials');
  t.is(r.response.status, 401);
  t.deepEqual(r.response.headers.map(([k]) => k), ['WWW-Authenticate', 'WWW-Authenticate']);
  const [a, b] = r.response.headers.map(([, v]) => digestChallenge(parseAuth(v)));
  t.is(a?.algorithm, 'SHA-256');
  t.is(b?.algorithm, 'MD5');
  t.is(a?.nonce, b?.nonce);
  t.deepEqual(a?.qop, ['auth']);
  t.truthy(a?.opaque);
  t.regex(r.response.headers[0]![1], /qop="auth"/);
  t.is(failures.length, 0);
});

for (const idx of [0, 1]) {
  test(`correct credentials with ${idx === 0 ? 'SHA-256' : 'MD5'} authenticate`, (t) => {
    const { auth, challenge } = setup();
    const ch = challenge()[idx]!;
    const r = auth.authenticate(request('REGISTER', { auth: [authorize(ch, { username: '1001', password: 's3cret', method: 'REGISTER', uri: URI })] }), { host: '10.0.0.5' });
    t.true(r.ok);
    if (r.ok) t.deepEqual(r.user, { extension: '1001', authUser: '1001', algorithm: idx === 0 ? 'SHA-256' : 'MD5' });
  });
}

test('wrong password: 401 with a fresh challenge and one counted failure naming IP, account, Call-ID', (t) => {
  const { auth, challenge, failures } = setup();
  const r = auth.authenticate(request('REGISTER', { callId: 'brute-1', auth: [authorize(challenge()[0]!, { username: '1001', password: 'nope', method: 'REGISTER', uri: URI })] }), { host: '10.0.0.5' });
  t.false(r.ok);
  if (r.ok) return;
  t.is(r.reason, 'wrong-password');
  t.is(r.response.status, 401);
  t.deepEqual(failures, [{ ip: '10.0.0.5', account: '1001', callId: 'brute-1', method: 'REGISTER', reason: 'wrong-password' }]);
});

test('stale nonce: stale=true only when the digest is right; a wrong digest with an old nonce is a plain failure', (t) => {
  const { auth, clock, challenge } = setup({ nonceLifetimeMs: 30_000 });
  const ch = challenge()[0]!;
  clock.advance(30_001);
  const good = auth.authenticate(request('REGISTER', { auth: [authorize(ch, { username: '1001', password: 's3cret', method: 'REGISTER', uri: URI })] }), { host: '10.0.0.5' });
  t.false(good.ok);
  if (good.ok) return;
  t.is(good.reason, 'stale');
  t.true(good.response.headers.every(([, v]) => digestChallenge(parseAuth(v)).stale));
  const bad = auth.authenticate(request('REGISTER', { auth: [authorize(ch, { username: '1001', password: 'x', method: 'REGISTER', uri: URI })] }), { host: '10.0.0.5' });
  t.false(bad.ok);
  if (bad.ok) return;
  t.is(bad.reason, 'wrong-password');
  t.false(bad.response.headers.some(([, v]) => digestChallenge(parseAuth(v)).stale));
  // Re-authenticating with the new nonce works.
  const again = auth.authenticate(request('REGISTER', { auth: [authorize(good.response.headers[0]![1], { username: '1001', password: 's3cret', method: 'REGISTER', uri: URI })] }), { host: '10.0.0.5' });
  t.true(again.ok);
});

test('nonce still valid just before its lifetime ends', (t) => {
  const { auth, clock, challenge } = setup({ nonceLifetimeMs: 30_000 });
  const ch = challenge()[0]!;
  clock.advance(30_000);
  t.true(auth.authenticate(request('REGISTER', { auth: [authorize(ch, { username: '1001', password: 's3cret', method: 'REGISTER', uri: URI })] }), { host: '10.0.0.5' }).ok);
});

test('nc replay: the same nc twice is refused; a higher nc and a reordered lower one pass', (t) => {
  const { auth, challenge, failures } = setup();
  const ch = challenge()[0]!;
  const send = (nc: number) =>
    auth.authenticate(request('REGISTER', { auth: [authorize(ch, { username: '1001', password: 's3cret', method: 'REGISTER', uri: URI, nc })] }), { host: '10.0.0.5' });
  t.true(send(1).ok);
  const replay = send(1);
  t.false(replay.ok);
  if (!replay.ok) t.is(replay.reason, 'replay');
  t.true(send(3).ok);
  t.true(send(2).ok);
  t.false(send(2).ok);
  t.is(failures.filter((f) => f.reason === 'replay').length, 2);
});

test('a nonce issued to one address does not verify from another', (t) => {
  const { auth, challenge } = setup();
  const ch = challenge('REGISTER', '10.0.0.5')[0]!;
  const r = auth.authenticate(request('REGISTER', { auth: [authorize(ch, { username: '1001', password: 's3cret', method: 'REGISTER', uri: URI })] }), { host: '10.0.0.6' });
  t.false(r.ok);
  if (!r.ok) t.is(r.reason, 'bad-nonce');
});

test('S10 d: valid credentials for 1001 in a REGISTER for 1002, or an INVITE From 1002, get 403', (t) => {
  const { auth, challenge, failures } = setup();
  const reg = auth.authenticate(request('REGISTER', { to: '1002', auth: [authorize(challenge()[0]!, { username: '1001', password: 's3cret', method: 'REGISTER', uri: URI })] }), { host: '10.0.0.5' });
  t.false(reg.ok);
  if (!reg.ok) t.deepEqual([reg.reason, reg.response.status], ['identity-mismatch', 403]);
  const inv = auth.authenticate(
    request('INVITE', { from: '1002', auth: [authorize(challenge('INVITE')[0]!, { username: '1001', password: 's3cret', method: 'INVITE', uri: 'sip:2000@127.0.0.1' })] }),
    { host: '10.0.0.5' },
  );
  t.false(inv.ok);
  if (!inv.ok) t.is(inv.response.status, 403);
  t.is(failures.length, 2);
});

test('S8: unknown user and wrong password give the same status and headers apart from the nonce', (t) => {
  const { auth, challenge } = setup();
  const answer = (username: string) => {
    const r = auth.authenticate(
      request('REGISTER', { from: username, auth: [authorize(challenge()[0]!, { username, password: 'guess', method: 'REGISTER', uri: URI })] }),
      { host: '10.0.0.5' },
    );
    if (r.ok) throw new Error('unexpected success');
    return JSON.stringify({ status: r.response.status, headers: r.response.headers.map(([k, v]) => [k, v.replace(/nonce="[^"]+"/, 'nonce="N"')]) });
  };
  t.is(answer('1001'), answer('9999'));
});

test('locked account: correct credentials are answered like a wrong password (uniform 401)', (t) => {
  const clock = new ManualClock();
  const auth = new DigestAuthenticator({ clock, realm: REALM, directory: directory(), guard: { locked: () => true, failed: () => undefined, succeeded: () => undefined } });
  const first = auth.authenticate(request('REGISTER'), { host: '10.0.0.5' });
  if (first.ok) return t.fail();
  const r = auth.authenticate(request('REGISTER', { auth: [authorize(first.response.headers[0]![1], { username: '1001', password: 's3cret', method: 'REGISTER', uri: URI })] }), { host: '10.0.0.5' });
  t.false(r.ok);
  if (!r.ok) t.deepEqual([r.reason, r.response.status], ['locked', 401]);
});

test('malformed and foreign-realm credentials are challenged, never accepted', (t) => {
  const { auth } = setup();
  const bad = auth.authenticate(request('REGISTER', { auth: ['Digest username="1001", realm="hotline.local"'] }), { host: '10.0.0.5' });
  t.false(bad.ok);
  if (!bad.ok) t.is(bad.reason, 'malformed');
  const other = auth.authenticate(
    request('REGISTER', { auth: ['Digest username="1001", realm="elsewhere", nonce="x", uri="sip:a", response="0", qop=auth, nc=00000001, cnonce="c"'] }),
    { host: '10.0.0.5' },
  );
  t.false(other.ok);
  if (!other.ok) t.is(other.reason, 'no-credentials');
});

test('NonceCounts stays bounded and a forgotten nonce is untracked, not fresh', (t) => {
  const counts = new NonceCounts(2);
  t.is(counts.use('a', 1, 1), 'fresh');
  t.is(counts.use('b', 2, 1), 'fresh');
  t.is(counts.use('c', 3, 1), 'fresh');
  t.is(counts.size, 2);
  t.is(counts.use('a', 1, 2), 'untracked');
  t.is(counts.use('c', 3, 33), 'fresh');
  t.is(counts.use('c', 3, 1), 'replay'); // used before the jump: the window edge (33 - 32) remembers it
  t.is(counts.use('c', 3, 2), 'fresh');
  t.is(counts.use('c', 3, 2), 'replay');
  t.is(counts.use('c', 3, 100), 'fresh');
  t.is(counts.use('c', 3, 50), 'replay'); // below the window
});
