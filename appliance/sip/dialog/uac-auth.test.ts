/**
 * RFC 3261 §22.2 on our outgoing INVITE: a carrier's 401 / 407 is answered with a new INVITE
 * (same Call-ID and From tag, CSeq + 1, new branch, Authorization / Proxy-Authorization), the
 * 401 itself ACKed by the first transaction, and a second challenge to the same credentials
 * ends the call instead of looping.
 */
import test from 'ava';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { digestResponse, ha1 } from '../auth/digest.js';
import { digestCredentials, NameAddr, parseUri, type SipRequest } from '../message/index.js';
import { createFakeTransportPair } from '../transport/testing/fake-transport.js';
import { digestClientAuth } from '../trunks/client-digest.js';
import { SipEndpoint } from '../ua/endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from '../ua/user-agent.js';
import type { ClientAuth, InviteSession } from './session.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8\r\na=sendrecv\r\n';
const REALM = 'carrier.example';

function rig(auth: ClientAuth | undefined, onInvite: (s: InviteSession, req: SipRequest) => void) {
  const clock = new ManualClock();
  const pair = createFakeTransportPair('udp');
  const mk = (t: typeof pair.a, fn: (s: InviteSession, req: SipRequest) => void) => {
    const ua = new UserAgent({ clock, log: silentLogger(), t1: 500, t2: 4000, invites: { onInvite: (s, req) => fn(s, req) } });
    const ep = new SipEndpoint({ clock, timers: { t1: 500, t2: 4000, t4: 5000 }, transports: [t], userAgent: 't', realm: 't', handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT] });
    ua.attach(ep);
    return ua;
  };
  const a = mk(pair.a, () => undefined);
  mk(pair.b, onInvite);
  const call = (): InviteSession =>
    a.invite({
      requestUri: parseUri('sip:+8610123@192.0.2.2'),
      from: new NameAddr(parseUri('sip:trunkuser@192.0.2.1')),
      to: new NameAddr(parseUri('sip:+8610123@192.0.2.2')),
      hop: { host: '192.0.2.2', port: 5060, protocol: 'udp' },
      sdp: SDP,
      ...(auth ? { auth } : {}),
    });
  return { clock, pair, call };
}

const challenge = (header: 'WWW-Authenticate' | 'Proxy-Authenticate', nonce: string, stale = false): [string, string] => [
  header,
  `Digest realm="${REALM}", nonce="${nonce}", qop="auth", algorithm=MD5${stale ? ', stale=true' : ''}`,
];

/** Checks the credentials as the carrier would (server side of sip/auth/digest.ts). */
function verify(req: SipRequest, header: 'authorization' | 'proxy-authorization', password: string): boolean {
  const raw = req.headers.get(header);
  if (!raw) return false;
  const c = digestCredentials(header === 'authorization' ? req.authorization()[0]! : req.proxyAuthorization()[0]!);
  const expected = digestResponse({
    alg: 'MD5',
    ha1: ha1('MD5', c.username, c.realm, password),
    method: req.method,
    uri: c.uri,
    nonce: c.nonce,
    qop: c.qop ? { qop: 'auth', nc: c.nc ?? '', cnonce: c.cnonce ?? '' } : null,
  });
  return expected === c.response && c.username === 'trunkuser' && c.uri === 'sip:+8610123@192.0.2.2';
}

for (const [status, header, creds] of [
  [401, 'WWW-Authenticate', 'authorization'],
  [407, 'Proxy-Authenticate', 'proxy-authorization'],
] as const) {
  test(`§22.2: a ${status} is answered with a new INVITE (same Call-ID/From tag, CSeq+1, ${creds}) and the call proceeds`, async (t) => {
    const seen: SipRequest[] = [];
    const r = rig(digestClientAuth({ username: 'trunkuser', password: 's3cret' }), (s, req) => {
      seen.push(req);
      if (seen.length === 1) s.reject(status, undefined, [challenge(header, 'n1')]);
      else s.accept(SDP);
    });
    const uac = r.call();
    let ended = false;
    let answered = false;
    uac.on('ended', () => (ended = true)).on('answered', () => (answered = true));
    r.pair.flush();
    r.pair.flush();
    r.pair.flush();
    t.is(seen.length, 2, 'two INVITEs reached the carrier');
    const [first, second] = seen as [SipRequest, SipRequest];
    t.is(second.callId(), first.callId());
    t.is(second.from()?.tag, first.from()?.tag);
    t.is(second.cseq()?.seq, first.cseq()!.seq + 1);
    t.not(second.topVia()?.branch, first.topVia()?.branch, 'a new transaction');
    t.true(verify(second, creds, 's3cret'), 'credentials the carrier accepts');
    t.is(second.body.toString(), SDP);
    const acks = r.pair.a.startLines().filter((l) => l.startsWith('ACK '));
    t.is(acks.length, 2, 'ACK for the challenge (by its transaction) and for the 2xx');
    t.true(answered);
    t.false(ended);
    t.is(uac.invite.cseq()?.seq, second.cseq()?.seq);
    t.is(uac.dialog?.localSeq, second.cseq()?.seq, 'in-dialog requests continue from the authenticated INVITE');
  });
}

test('§22.2: credentials refused again (no stale) end the call with that status, no loop', async (t) => {
  let invites = 0;
  const r = rig(digestClientAuth({ username: 'trunkuser', password: 'wrong' }), (s) => {
    invites++;
    s.reject(401, undefined, [challenge('WWW-Authenticate', `n${invites}`)]);
  });
  const uac = r.call();
  let status: number | undefined;
  uac.on('ended', (e) => (status = e.status));
  for (let i = 0; i < 5; i++) r.pair.flush();
  t.is(invites, 2);
  t.is(status, 401);
});

test('RFC 7616 §3.3 stale=true: the new nonce is tried once more', async (t) => {
  let invites = 0;
  const r = rig(digestClientAuth({ username: 'trunkuser', password: 's3cret' }), (s, req) => {
    invites++;
    if (invites === 1) s.reject(401, undefined, [challenge('WWW-Authenticate', 'old')]);
    else if (invites === 2) s.reject(401, undefined, [challenge('WWW-Authenticate', 'fresh', true)]);
    else {
      t.true(verify(req, 'authorization', 's3cret'));
      s.accept(SDP);
    }
  });
  const uac = r.call();
  for (let i = 0; i < 6; i++) r.pair.flush();
  t.is(invites, 3);
  t.true(uac.isAnswered);
});

test('without credentials a 401 ends the call (IP-authenticated trunk)', async (t) => {
  let invites = 0;
  const r = rig(undefined, (s) => {
    invites++;
    s.reject(401, undefined, [challenge('WWW-Authenticate', 'n')]);
  });
  const uac = r.call();
  let status: number | undefined;
  uac.on('ended', (e) => (status = e.status));
  for (let i = 0; i < 3; i++) r.pair.flush();
  t.is(invites, 1);
  t.is(status, 401);
});
