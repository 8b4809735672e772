/**
 * SipEndpoint over real sockets on 127.0.0.1 (port 0): OPTIONS 200 with the generic Server
 * header, 405/501 with Allow, 481 for an unmatched CANCEL, 420, 415, 406, 401 challenge, CANCEL of a
 * pending INVITE, and the UDP/TCP transport behaviours (rport, CRLF ping, per-IP cap, idle close,
 * framing errors, connection reuse) plus TLS with a self-signed certificate.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../../core/clock.js';
import { parseMessage } from '../parser/index.js';
import { optionsRequest, statusOf, StreamPeer, UdpPeer } from '../transport/testing/clients.js';
import { SipEndpoint, type RequestHandler, type SipListenConfig } from './endpoint.js';

const base: SipListenConfig = {
  host: '127.0.0.1',
  port: 0,
  transports: ['udp', 'tcp'],
  tlsPort: 0,
  t1: 500,
  t2: 4000,
  t4: 5000,
  userAgent: 'hotline',
  realm: 'hotline.local',
};

function req(method: string, port: number, opts: { transport?: string; extra?: string[]; cseqMethod?: string; body?: string; callId?: string; branch?: string } = {}): string {
  const body = opts.body ?? '';
  return [
    `${method} sip:1002@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/${opts.transport ?? 'UDP'} 127.0.0.1:${port};branch=${opts.branch ?? `z9hG4bK${Math.random().toString(36).slice(2)}`};rport`,
    'Max-Forwards: 70',
    'From: <sip:1001@127.0.0.1>;tag=abc',
    'To: <sip:1002@127.0.0.1>',
    `Call-ID: ${opts.callId ?? Math.random().toString(36).slice(2)}@127.0.0.1`,
    `CSeq: 7 ${opts.cseqMethod ?? method}`,
    ...(opts.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

async function udpExchange(ep: SipEndpoint, text: string | ((port: number) => string)): Promise<Buffer | null> {
  const peer = await UdpPeer.open();
  await peer.send(typeof text === 'string' ? text : text(peer.port), ep.address('udp')!.port);
  const res = await peer.final(1500);
  await peer.close();
  return res;
}

test('OPTIONS over UDP: 200 with Allow/Accept/Supported and the configured Server header; answered to the source port (rport)', async (t) => {
  const ep = await SipEndpoint.listen(base, { clock: systemClock });
  t.teardown(() => ep.close());
  const res = await udpExchange(ep, (p) => optionsRequest('UDP', p + 1)); // Via names another port: rport wins
  t.truthy(res);
  const m = parseMessage(res!);
  t.is(m.kind, 'response');
  if (m.kind !== 'response') return;
  t.is(m.status, 200);
  t.is(m.headers.get('server'), 'hotline');
  t.regex(m.headers.getAll('allow').join(','), /INVITE.*OPTIONS/);
  t.is(m.headers.get('accept'), 'application/sdp');
  t.true(m.headers.has('supported'));
  t.truthy(m.to()?.tag);
  t.is(m.topVia()?.received, '127.0.0.1');
  t.is(typeof m.topVia()?.rport, 'number');
});

test('405 for a known method not allowed, 501 for an unknown one, both with Allow', async (t) => {
  const ep = await SipEndpoint.listen(base, { clock: systemClock });
  t.teardown(() => ep.close());
  const r405 = await udpExchange(ep, (p) => req('PUBLISH', p));
  const r501 = await udpExchange(ep, (p) => req('FROBNICATE', p));
  t.is(statusOf(r405!), 405);
  t.is(statusOf(r501!), 501);
  t.regex(r405!.toString(), /\r\nAllow: /);
  t.regex(r501!.toString(), /\r\nAllow: /);
});

test('481 for a CANCEL that matches no INVITE; an in-dialog request without dialogs is challenged, not revealed', async (t) => {
  const ep = await SipEndpoint.listen(base, { clock: systemClock });
  t.teardown(() => ep.close());
  t.is(statusOf((await udpExchange(ep, (p) => req('CANCEL', p)))!), 481);
  t.is(statusOf((await udpExchange(ep, (p) => req('BYE', p).replace('To: <sip:1002@127.0.0.1>', 'To: <sip:1002@127.0.0.1>;tag=zz')))!), 401);
});

test('420 lists unsupported Require tags, 415 for a body type not taken, 406 when Accept excludes SDP, 401 Digest challenge otherwise', async (t) => {
  const ep = await SipEndpoint.listen(base, { clock: systemClock });
  t.teardown(() => ep.close());
  const r420 = await udpExchange(ep, (p) => req('INVITE', p, { extra: ['Require: nothing-known'] }));
  t.is(statusOf(r420!), 420);
  t.regex(r420!.toString(), /Unsupported: nothing-known/);
  t.is(statusOf((await udpExchange(ep, (p) => req('INVITE', p, { extra: ['Content-Type: application/x-foo'], body: 'abc' })))!), 415);
  t.is(statusOf((await udpExchange(ep, (p) => req('INVITE', p, { extra: ['Accept: text/plain'] })))!), 406);
  const r401 = await udpExchange(ep, (p) => req('REGISTER', p));
  t.is(statusOf(r401!), 401);
  const m = parseMessage(r401!);
  const challenges = m.wwwAuthenticate().map((a) => a.params.get('algorithm'));
  t.deepEqual(challenges, ['SHA-256', 'MD5']);
});

test('CANCEL of a ringing INVITE: 200 for the CANCEL, 487 for the INVITE', async (t) => {
  const ringing: RequestHandler = { methods: ['INVITE'], onRequest: (_r, tx, e) => void e.respond(tx, 180) };
  const ep = await SipEndpoint.listen(base, { clock: systemClock, handler: ringing });
  t.teardown(() => ep.close());
  const peer = await UdpPeer.open();
  t.teardown(() => peer.close());
  const opts = { branch: 'z9hG4bKcancelme', callId: 'cancel-1' };
  await peer.send(req('INVITE', peer.port, opts), ep.address('udp')!.port);
  await systemClock.sleep(100);
  t.is(statusOf(peer.received[0]!), 180);
  await peer.send(req('CANCEL', peer.port, opts), ep.address('udp')!.port);
  await peer.final(1000);
  await systemClock.sleep(50);
  const statuses = peer.received.map((b) => `${statusOf(b)} ${/CSeq: 7 (\w+)/.exec(b.toString())?.[1]}`);
  t.true(statuses.includes('200 CANCEL'));
  t.true(statuses.includes('487 INVITE'));
});

test('UDP: a request that does not parse gets 400 when a Via is readable, otherwise silence; oversize gets 513', async (t) => {
  const ep = await SipEndpoint.listen(base, { clock: systemClock });
  t.teardown(() => ep.close());
  const broken = (p: number): string => req('OPTIONS', p).replace('To: <sip:1002@127.0.0.1>', 'To: "unterminated <sip:1002@127.0.0.1>');
  t.is(statusOf((await udpExchange(ep, broken))!), 400);
  t.is(await udpExchange(ep, 'GARBAGE\r\nno colon here\r\n\r\n'), null);
  const big = (p: number): string => req('OPTIONS', p, { extra: Array.from({ length: 300 }, (_, i) => `X-Pad-${i}: ${'a'.repeat(20)}`) });
  t.is(statusOf((await udpExchange(ep, big))!), 513);
});

test('TCP: OPTIONS answered on the same connection; CRLFCRLF ping gets a CRLF pong', async (t) => {
  const ep = await SipEndpoint.listen(base, { clock: systemClock });
  t.teardown(() => ep.close());
  const c = await StreamPeer.connect(ep.address('tcp')!.port);
  t.teardown(() => c.close());
  let raw = Buffer.alloc(0);
  c.socket.on('data', (d: Buffer) => (raw = Buffer.concat([raw, d])));
  c.send('\r\n\r\n');
  await systemClock.sleep(100);
  t.is(raw.toString(), '\r\n');
  c.send(optionsRequest('TCP', c.socket.localPort ?? 0));
  const res = await c.final(1000);
  t.is(statusOf(res!), 200);
});

test('TCP framing errors: missing Content-Length answered 400 then closed; garbage without Via closed without answer', async (t) => {
  const ep = await SipEndpoint.listen(base, { clock: systemClock });
  t.teardown(() => ep.close());
  const a = await StreamPeer.connect(ep.address('tcp')!.port);
  a.send(optionsRequest('TCP', 1).replace('Content-Length: 0\r\n', 'Content-Length: -1\r\n'));
  const res = await a.final(1000);
  t.is(statusOf(res!), 400);
  t.true(await a.waitClosed(2000));
  const b = await StreamPeer.connect(ep.address('tcp')!.port);
  b.send(`JUNK\r\n${'x'.repeat(70 * 1024)}`);
  t.true(await b.waitClosed(2000));
  t.is(b.received.length, 0);
});

test('TCP (S6): per-IP connection cap and close of connections that never complete a message', async (t) => {
  const ep = await SipEndpoint.listen(base, { clock: systemClock, frameTimeoutMs: 1500 });
  t.teardown(() => ep.close());
  const port = ep.address('tcp')!.port;
  const peers = await Promise.all(Array.from({ length: 70 }, () => StreamPeer.connect(port)));
  t.teardown(() => peers.forEach((p) => p.close()));
  for (let i = 0; i < 100 && peers.filter((p) => p.closed).length < 6; i++) await systemClock.sleep(10);
  const closedEarly = peers.filter((p) => p.closed).length;
  t.is(closedEarly, 6, 'connections beyond 64 from one IP are closed at once');
  // UDP is unaffected meanwhile.
  t.is(statusOf((await udpExchange(ep, (p) => optionsRequest('UDP', p)))!), 200);
  peers[0]!.send('OPTIONS sip:x SIP/2.0\r\n'); // a partial message does not keep it open
  for (let i = 0; i < 300 && peers.filter((p) => p.closed).length < 70; i++) await systemClock.sleep(10);
  t.is(peers.filter((p) => p.closed).length, 70, 'idle connections closed after the frame timeout');
  // After the cap frees up, new connections work.
  const fresh = await StreamPeer.connect(port);
  fresh.send(optionsRequest('TCP', 1));
  t.is(statusOf((await fresh.final(1000))!), 200);
  fresh.close();
});

test('TLS with a self-signed certificate (openssl): OPTIONS answered 200', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sip-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  } catch {
    writeFileSync(path.join(dir, 'skipped'), '');
    t.pass('openssl not available');
    return;
  }
  const ep = await SipEndpoint.listen({ ...base, transports: ['tls'], tlsCert: cert, tlsKey: key }, { clock: systemClock });
  t.teardown(() => ep.close());
  const c = await StreamPeer.connect(ep.address('tls')!.port, { tls: true });
  t.teardown(() => c.close());
  c.send(optionsRequest('TLS', c.socket.localPort ?? 0));
  const res = await c.final(2000);
  t.is(statusOf(res!), 200);
});
