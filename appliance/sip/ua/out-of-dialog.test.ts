/**
 * RELIABILITY.md S10 at the UA: requests outside a dialog other than INVITE/REGISTER (MESSAGE,
 * REFER, SUBSCRIBE, BYE…) are challenged before anything is answered, and an in-dialog request
 * with matching dialog identifiers but from a foreign source is challenged too (not obeyed).
 * Real UDP sockets on loopback; the guard stands for the Digest authenticator.
 */
import test from 'ava';
import { createSocket, type Socket } from 'node:dgram';
import { systemClock } from '../../core/clock.js';
import { silentLogger } from '../../core/log.js';
import type { InviteSession } from '../dialog/session.js';
import type { SipRequest } from '../message/index.js';
import { SipEndpoint } from './endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from './user-agent.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n';
const guard = {
  check: (req: SipRequest) =>
    req.headers.get('authorization') ? ({ ok: true } as const) : ({ ok: false, status: 401, headers: [['WWW-Authenticate', 'Digest realm="hotline.local", nonce="n", qop="auth"']] as ReadonlyArray<[string, string]> } as const),
};

async function rig(t: import('ava').ExecutionContext) {
  const sessions: InviteSession[] = [];
  const ua = new UserAgent({ clock: systemClock, log: silentLogger(), t1: 500, t2: 4000, guard, invites: { onInvite: (s) => (sessions.push(s), s.accept(SDP)) } });
  const ep = await SipEndpoint.listen(
    { host: '127.0.0.1', port: 0, transports: ['udp'], tlsPort: 0, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock: systemClock, handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT] },
  );
  t.teardown(() => ep.close());
  ua.attach(ep);
  const port = ep.address('udp')!.port;
  const peer = async (host: string) => {
    const s: Socket = createSocket('udp4');
    s.unref();
    t.teardown(() => s.close());
    await new Promise<void>((r) => s.bind(0, host, () => r()));
    const got: string[] = [];
    s.on('message', (m) => got.push(m.toString()));
    let n = 0;
    return {
      port: s.address().port,
      /** Send a request and wait for its final response (its status line). */
      async request(lines: string[], body = ''): Promise<string> {
        const branch = `z9hG4bK-ood-${host}-${++n}-${Math.random().toString(36).slice(2)}`;
        const msg = [lines[0], `Via: SIP/2.0/UDP ${host}:${s.address().port};branch=${branch};rport`, 'Max-Forwards: 70', ...lines.slice(1), `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
        s.send(msg, port, '127.0.0.1');
        const end = Date.now() + 3000;
        for (;;) {
          const hit = got.find((m) => m.includes(branch) && /^SIP\/2\.0 [2-6]/.test(m));
          if (hit) return hit.split('\r\n')[0]!;
          if (Date.now() > end) throw new Error(`no final response to ${lines[0]}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      },
    };
  };
  return { port, peer, sessions };
}

test('S10: MESSAGE, REFER, SUBSCRIBE, NOTIFY, BYE outside a dialog are challenged; authenticated they get 405/481/489', async (t) => {
  const r = await rig(t);
  const p = await r.peer('127.0.0.1');
  const req = (method: string, auth: boolean) => [
    `${method} sip:1002@127.0.0.1:${r.port} SIP/2.0`,
    'From: <sip:1001@127.0.0.1>;tag=f1',
    'To: <sip:1002@127.0.0.1>',
    `Call-ID: ood-${method}-${auth}`,
    `CSeq: 1 ${method}`,
    ...(method === 'REFER' ? ['Refer-To: <sip:013800138000@127.0.0.1>'] : []),
    ...(method === 'SUBSCRIBE' || method === 'NOTIFY' ? ['Event: presence'] : []),
    ...(auth ? ['Authorization: Digest username="1001"'] : []),
  ];
  for (const m of ['MESSAGE', 'REFER', 'SUBSCRIBE', 'NOTIFY', 'BYE', 'INFO']) t.is(await p.request(req(m, false)), 'SIP/2.0 401 Unauthorized', m);
  t.is(await p.request(req('MESSAGE', true)), 'SIP/2.0 405 Method Not Allowed');
  t.is(await p.request(req('SUBSCRIBE', true)), 'SIP/2.0 489 Bad Event');
  t.is(await p.request(req('REFER', true)), 'SIP/2.0 481 Call/Transaction Does Not Exist');
});

test('S10: a BYE with the right dialog ids from a foreign source is challenged and ends nothing; from the peer it ends the call', async (t) => {
  const r = await rig(t);
  const phone = await r.peer('127.0.0.1');
  const intruder = await r.peer('127.0.0.2');
  const ok = await phone.request(
    [
      `INVITE sip:1002@127.0.0.1:${r.port} SIP/2.0`,
      'From: <sip:1001@127.0.0.1>;tag=ph1',
      'To: <sip:1002@127.0.0.1>',
      'Call-ID: in-dialog-1',
      'CSeq: 1 INVITE',
      `Contact: <sip:1001@127.0.0.1:${phone.port}>`,
      'Content-Type: application/sdp',
    ],
    SDP,
  );
  t.is(ok, 'SIP/2.0 200 OK');
  const s = r.sessions[0]!;
  const localTag = s.dialog!.id.localTag;
  const bye = (cseq: number) => [
    `BYE sip:hotline@127.0.0.1:${r.port} SIP/2.0`,
    'From: <sip:1001@127.0.0.1>;tag=ph1',
    `To: <sip:1002@127.0.0.1>;tag=${localTag}`,
    'Call-ID: in-dialog-1',
    `CSeq: ${cseq} BYE`,
  ];
  t.is(await intruder.request(bye(2)), 'SIP/2.0 401 Unauthorized');
  t.false(s.ended, 'the forged BYE ended nothing');
  t.is(await phone.request(bye(3)), 'SIP/2.0 200 OK');
  t.true(s.ended);
});
