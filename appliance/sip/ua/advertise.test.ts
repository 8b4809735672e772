import test from 'ava';
import { createSocket } from 'node:dgram';
import { systemClock } from '../../core/clock.js';
import { silentLogger } from '../../core/log.js';
import { NameAddr, parseUri } from '../message/index.js';
import { parseMessage } from '../parser/index.js';
import { advertisedHost, type InterfaceTable } from './advertise.js';
import { SipEndpoint } from './endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from './user-agent.js';

const table: InterfaceTable = {
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  eth0: [
    { address: '192.0.2.10', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.0.2.10/24' },
    { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
  ],
  eth1: [{ address: '198.51.100.7', netmask: '255.255.255.240', family: 'IPv4', mac: '02:00:00:00:00:02', internal: false, cidr: '198.51.100.7/28' }],
};
const interfaces = () => table;

test('a configured advertisedAddress wins; a specific bind address is used as is', (t) => {
  t.is(advertisedHost('0.0.0.0', '192.0.2.50', { configured: '203.0.113.9', interfaces }), '203.0.113.9');
  t.is(advertisedHost('10.1.1.1', '192.0.2.50', { interfaces }), '10.1.1.1');
});

test('bound to 0.0.0.0: the interface whose subnet holds the peer, loopback for loopback, else the first external address', (t) => {
  t.is(advertisedHost('0.0.0.0', '192.0.2.50', { interfaces }), '192.0.2.10');
  t.is(advertisedHost('0.0.0.0', '198.51.100.1', { interfaces }), '198.51.100.7');
  t.is(advertisedHost('0.0.0.0', '198.51.100.20', { interfaces }), '192.0.2.10', 'outside eth1’s /28: the default uplink');
  t.is(advertisedHost('0.0.0.0', '127.0.0.5', { interfaces }), '127.0.0.1');
  t.is(advertisedHost('::', '::ffff:192.0.2.99', { interfaces }), '192.0.2.10', 'IPv4-mapped peer on a dual-stack socket');
  t.is(advertisedHost('0.0.0.0', null, { interfaces }), '192.0.2.10');
  t.is(advertisedHost('0.0.0.0', '192.0.2.50', { interfaces: () => ({ lo: table['lo'] }) }), '127.0.0.1', 'no external interface');
  t.not(advertisedHost('0.0.0.0', '192.0.2.50', { interfaces }), '0.0.0.0');
});

test('on the wire: a UA bound to 0.0.0.0 never writes 0.0.0.0 in Contact (INVITE out, 200 to an INVITE in)', async (t) => {
  const ua = new UserAgent({ clock: systemClock, log: silentLogger(), t1: 500, t2: 4000, invites: { onInvite: (s) => s.accept(SDP) } });
  const ep = await SipEndpoint.listen(
    { host: '0.0.0.0', port: 0, transports: ['udp'], tlsPort: 0, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock: systemClock, handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT] },
  );
  t.teardown(() => ep.close());
  ua.attach(ep);
  t.is(ep.address('udp')?.host, '0.0.0.0');
  const port = ep.address('udp')!.port;
  const peer = createSocket('udp4');
  peer.unref();
  t.teardown(() => peer.close());
  await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
  const received: string[] = [];
  peer.on('message', (m) => received.push(m.toString()));
  const next = async (pred: (s: string) => boolean): Promise<string> => {
    const end = Date.now() + 3000;
    for (;;) {
      const hit = received.find(pred);
      if (hit) return hit;
      if (Date.now() > end) throw new Error('nothing received');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const s = ua.invite({
    requestUri: parseUri(`sip:1002@127.0.0.1:${peer.address().port}`),
    from: new NameAddr(parseUri('sip:1001@hotline.local')),
    to: new NameAddr(parseUri('sip:1002@hotline.local')),
    hop: { host: '127.0.0.1', port: peer.address().port, protocol: 'udp' },
    sdp: SDP,
  });
  const invite = parseMessage(Buffer.from(await next((m) => m.startsWith('INVITE '))));
  t.is((invite as { contactAddresses(): Array<{ uri: { host: string } }> }).contactAddresses()[0]?.uri.host, '127.0.0.1');
  t.regex(received.find((m) => m.startsWith('INVITE '))!, /^Via: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;/m, 'Via sent-by too');
  t.notRegex(received.find((m) => m.startsWith('INVITE '))!, /0\.0\.0\.0/);
  s.hangup();

  const inbound = [
    `INVITE sip:1001@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.address().port};branch=z9hG4bK-adv-1;rport`,
    'Max-Forwards: 70',
    `From: <sip:1002@127.0.0.1>;tag=p1`,
    `To: <sip:1001@127.0.0.1>`,
    'Call-ID: adv-test-1',
    'CSeq: 1 INVITE',
    `Contact: <sip:1002@127.0.0.1:${peer.address().port}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n');
  peer.send(inbound, port, '127.0.0.1');
  const ok = await next((m) => m.startsWith('SIP/2.0 200'));
  t.regex(ok, /^Contact: <sip:hotline@127\.0\.0\.1:\d+>/m);
  t.notRegex(ok, /0\.0\.0\.0/);
});

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n';
