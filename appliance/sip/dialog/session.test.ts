import test from 'ava';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { NameAddr, parseUri, type SipRequest } from '../message/index.js';
import { parseMessage } from '../parser/index.js';
import { createFakeTransportPair, type FakeTransport } from '../transport/testing/fake-transport.js';
import { SipEndpoint } from '../ua/endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from '../ua/user-agent.js';
import { parseReasonCause, type InviteSession } from './session.js';

const T1 = 500;
const T2 = 4000;
const SDP_A = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8\r\na=sendrecv\r\n';
const SDP_B = 'v=0\r\no=- 2 1 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=sendrecv\r\n';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function rig(o: { sessionTimer?: { expires: number; minSE: number } } = {}) {
  const clock = new ManualClock();
  const pair = createFakeTransportPair('udp');
  const incoming: InviteSession[] = [];
  const mk = (t: FakeTransport, onInvite: (s: InviteSession) => void) => {
    const ua = new UserAgent({
      clock,
      log: silentLogger(),
      t1: T1,
      t2: T2,
      invites: { onInvite: (s) => onInvite(s) },
      ...(o.sessionTimer ? { sessionTimer: o.sessionTimer } : {}),
    });
    const ep = new SipEndpoint({ clock, timers: { t1: T1, t2: T2, t4: 5000 }, transports: [t], userAgent: 'test', realm: 'test', handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT] });
    ua.attach(ep);
    return { ua, ep };
  };
  const a = mk(pair.a, () => undefined);
  const b = mk(pair.b, (s) => incoming.push(s));
  const call = (): InviteSession =>
    a.ua.invite({
      requestUri: parseUri('sip:1002@192.0.2.2'),
      from: new NameAddr(parseUri('sip:1001@192.0.2.1')),
      to: new NameAddr(parseUri('sip:1002@192.0.2.2')),
      hop: { host: '192.0.2.2', port: 5060, protocol: 'udp' },
      sdp: SDP_A,
    });
  return { clock, pair, a, b, incoming, call };
}

const lines = (t: FakeTransport): string[] => t.startLines();
const count = (t: FakeTransport, start: string): number => lines(t).filter((l) => l.startsWith(start)).length;

test('UAC INVITE → 180 → 200 → ACK: both dialogs confirmed, SDP exchanged', async (t) => {
  const r = rig();
  const uac = r.call();
  let answered = false;
  uac.on('answered', () => (answered = true));
  r.pair.flush();
  const uas = r.incoming[0]!;
  t.truthy(uas);
  uas.progress(180);
  r.pair.flush();
  t.is(r.a.ua.dialogCount, 1, 'early dialog on the UAC from the 180');
  let confirmed = false;
  uas.on('confirmed', () => (confirmed = true));
  uas.accept(SDP_B);
  r.pair.flush();
  t.true(answered);
  t.true(confirmed);
  t.is(uac.dialog?.state, 'confirmed');
  t.is(uas.dialog?.state, 'confirmed');
  t.is(uac.remoteSdp?.toString(), SDP_B);
  t.is(count(r.pair.a, 'ACK '), 1);
  t.is(uac.dialog?.id.remoteTag, uas.dialog?.id.localTag);
});

test('§13.3.1.4: the 2xx is retransmitted at T1, 2T1, 4T1… capped at T2 until the ACK arrives', async (t) => {
  const r = rig();
  r.call();
  r.pair.flush();
  const uas = r.incoming[0]!;
  // Lose every ACK the UAC sends.
  r.pair.a.lose = (p) => p.text.startsWith('ACK ');
  uas.accept(SDP_B);
  r.pair.flush();
  const sent200 = (): number => count(r.pair.b, 'SIP/2.0 200');
  t.is(sent200(), 1);
  r.clock.advance(T1 - 1);
  r.pair.flush();
  t.is(sent200(), 1, 'nothing before T1');
  r.clock.advance(1);
  r.pair.flush();
  t.is(sent200(), 2, 'first retransmission at T1');
  r.clock.advance(2 * T1);
  r.pair.flush();
  t.is(sent200(), 3, 'then after 2*T1');
  r.clock.advance(4 * T1);
  r.pair.flush();
  t.is(sent200(), 4, 'then after 4*T1 (= T2 here)');
  r.clock.advance(T2);
  r.pair.flush();
  t.is(sent200(), 5, 'capped at T2');
  t.true(count(r.pair.a, 'ACK ') >= 4, 'each retransmitted 2xx was ACKed again by the UAC');
  // Now let the ACK through: retransmissions stop.
  r.pair.a.lose = null;
  r.clock.advance(T2);
  r.pair.flush();
  const after = sent200();
  r.clock.advance(10 * T2);
  r.pair.flush();
  t.is(sent200(), after, 'no retransmission after the ACK');
  t.is(count(r.pair.b, 'BYE '), 0);
});

test('§13.3.1.4: no ACK within 64*T1 → the UAS ends the session with BYE', async (t) => {
  const r = rig();
  r.call();
  r.pair.flush();
  const uas = r.incoming[0]!;
  r.pair.a.lose = (p) => p.text.startsWith('ACK ');
  let ended = null as string | null;
  uas.on('ended', (e) => (ended = e.reason));
  uas.accept(SDP_B);
  r.pair.flush();
  for (let i = 0; i < 80; i++) {
    r.clock.advance(T1);
    r.pair.flush();
  }
  t.is(ended, 'no ACK for 2xx');
  t.is(count(r.pair.b, 'BYE '), 1);
  const bye = r.pair.b.sent.find((p) => p.text.startsWith('BYE '))!;
  t.regex(bye.text, /Reason: Q\.850;cause=102/);
});

test('BYE from the UAC: 200, both sides ended; the BYE carries the Q.850 cause', async (t) => {
  const r = rig();
  const uac = r.call();
  r.pair.flush();
  const uas = r.incoming[0]!;
  uas.accept(SDP_B);
  r.pair.flush();
  let remoteEnd: { by: string; cause?: number } | null = null;
  uas.on('ended', (e) => (remoteEnd = e));
  uac.hangup({ cause: 16 });
  r.pair.flush();
  await settle();
  t.deepEqual(remoteEnd, { by: 'remote', reason: 'BYE', cause: 16 });
  t.true(uac.ended);
  t.is(count(r.pair.b, 'SIP/2.0 200'), 2, '200 for INVITE and for BYE');
  t.is(parseReasonCause(['Q.850;cause=17;text="busy"']), 17);
});

test('481 for a request naming an unknown dialog; 481 for a BYE without To tag', (t) => {
  const r = rig();
  const raw = (s: string): SipRequest => parseMessage(Buffer.from(s)) as SipRequest;
  const bye = raw(
    'BYE sip:1002@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx1\r\nMax-Forwards: 70\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=nope\r\nCall-ID: zz\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n',
  );
  r.b.ep.layer.receive(bye, { protocol: 'udp', host: '192.0.2.1', port: 5060, connectionId: null }, r.pair.b);
  t.regex(r.pair.b.sent.at(-1)!.text, /^SIP\/2\.0 481/);
  const bye2 = raw(
    'BYE sip:1002@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx2\r\nMax-Forwards: 70\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: zz2\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n',
  );
  r.b.ep.layer.receive(bye2, { protocol: 'udp', host: '192.0.2.1', port: 5060, connectionId: null }, r.pair.b);
  t.regex(r.pair.b.sent.at(-1)!.text, /^SIP\/2\.0 481/);
});

test('re-INVITE for hold reaches onOffer and its 2xx is ACKed', async (t) => {
  const r = rig();
  const uac = r.call();
  r.pair.flush();
  const uas = r.incoming[0]!;
  uas.accept(SDP_B);
  r.pair.flush();
  const offers: string[] = [];
  uas.onOffer = (sdp) => {
    offers.push(sdp.toString());
    return { ok: true, sdp: SDP_B.replace('a=sendrecv', 'a=recvonly') };
  };
  const answer = uac.reinvite(SDP_A.replace('a=sendrecv', 'a=sendonly'));
  r.pair.flush();
  await settle();
  r.pair.flush();
  const body = await answer;
  t.is(offers.length, 1);
  t.regex(offers[0]!, /a=sendonly/);
  t.regex(body?.toString() ?? '', /a=recvonly/);
  t.is(count(r.pair.a, 'ACK '), 2, 'ACK for the initial 2xx and for the re-INVITE 2xx');
});

test('§12.2.2: a request with a CSeq below the last one is answered 500', async (t) => {
  const r = rig();
  const uac = r.call();
  r.pair.flush();
  r.incoming[0]!.accept(SDP_B);
  r.pair.flush();
  t.is(await (async () => { const p = uac.info('application/dtmf', '5'); r.pair.flush(); return p; })(), 200);
  const stale = uac.dialog!.createRequest('INFO', { cseq: 1 });
  const statuses: number[] = [];
  r.a.ep.layer.sendRequest(stale, { host: '192.0.2.2', port: 5060, protocol: 'udp' }, { onResponse: (res) => statuses.push(res.status), onError: () => undefined });
  r.pair.flush();
  t.deepEqual(statuses, [500]);
});

test('INFO dtmf-relay in the dialog is answered 200 and emitted', async (t) => {
  const r = rig();
  const uac = r.call();
  r.pair.flush();
  const uas = r.incoming[0]!;
  uas.accept(SDP_B);
  r.pair.flush();
  const infos: string[] = [];
  uas.on('info', (i) => infos.push(`${i.contentType}|${i.body.toString()}`));
  const status = uac.info('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n');
  r.pair.flush();
  t.is(await status, 200);
  t.deepEqual(infos, ['application/dtmf-relay|Signal=5\r\nDuration=160\r\n']);
});

test('CANCEL before the answer: the UAS session hears it, 487 goes out, the UAC ends with 487', async (t) => {
  const r = rig();
  const uac = r.call();
  r.pair.flush();
  const uas = r.incoming[0]!;
  uas.progress(180);
  r.pair.flush();
  let cancelled = false;
  uas.on('cancelled', () => (cancelled = true));
  let status: number | undefined;
  uac.on('ended', (e) => (status = e.status));
  uac.hangup();
  r.pair.flush();
  t.true(cancelled);
  t.is(status, 487);
  t.is(count(r.pair.b, 'SIP/2.0 487'), 1);
});

test('RFC 4028: the refresher sends UPDATE at half the interval; the other side BYEs when refreshes stop', async (t) => {
  const r = rig({ sessionTimer: { expires: 120, minSE: 90 } });
  const uac = r.call();
  r.pair.flush();
  const uas = r.incoming[0]!;
  uas.accept(SDP_B);
  r.pair.flush();
  t.deepEqual(uas.sessionTimer, { expires: 120, refresher: 'uac' });
  t.deepEqual(uac.sessionTimer, { expires: 120, refresher: 'uac' });
  r.clock.advance(59_999);
  r.pair.flush();
  t.is(count(r.pair.a, 'UPDATE '), 0);
  r.clock.advance(1);
  r.pair.flush();
  await settle();
  t.is(count(r.pair.a, 'UPDATE '), 1, 'refresh at 60 s');
  r.pair.flush();
  // The UAS reset its expiry at the refresh. Now refreshes get lost: the UAS BYEs at 120 - 32 s after the last one.
  r.pair.a.lose = (p) => p.text.startsWith('UPDATE ');
  let ended = null as string | null;
  uas.on('ended', (e) => (ended = e.reason));
  r.clock.advance(87_999);
  r.pair.flush();
  t.is(ended, null);
  r.clock.advance(1);
  r.pair.flush();
  t.is(ended, 'session timer expired');
  t.is(count(r.pair.b, 'BYE '), 1);
});

test('RFC 4028 §8.1: Session-Expires below Min-SE → 422 with Min-SE', (t) => {
  const r = rig({ sessionTimer: { expires: 1800, minSE: 90 } });
  r.a.ua.invite({
    requestUri: parseUri('sip:1002@192.0.2.2'),
    from: new NameAddr(parseUri('sip:1001@192.0.2.1')),
    to: new NameAddr(parseUri('sip:1002@192.0.2.2')),
    hop: { host: '192.0.2.2', port: 5060, protocol: 'udp' },
    sdp: SDP_A,
    headers: [['Session-Expires', '30']],
  });
  r.pair.flush();
  const res = r.pair.b.sent.find((p) => p.text.startsWith('SIP/2.0 422'));
  t.truthy(res);
  t.regex(res!.text, /Min-SE: 90/);
  t.is(r.incoming.length, 0);
});

test('BYEs that cross: each side answers the other 200 from its retired dialog; later requests get 481; the identity goes after 64*T1', async (t) => {
  const r = rig();
  const uac = r.call();
  r.pair.flush();
  const uas = r.incoming[0]!;
  uas.accept(SDP_B);
  r.pair.flush();
  await settle();
  t.is(r.a.ua.dialogCount, 1);
  // Both hang up before either BYE arrives.
  uac.hangup({ cause: 16 });
  uas.hangup({ cause: 16 });
  t.true(uac.ended && uas.ended);
  t.is(r.b.ua.sessionOf(uas.dialog!.key), null, 'a retired dialog has no session: the session (and the call above it) can be collected');
  r.pair.flush();
  await settle();
  const byeAnswers = (tr: FakeTransport): string[] => tr.sent.map((m) => m.text).filter((x) => /^SIP\/2\.0 \d+/.test(x) && /CSeq: \d+ BYE/.test(x)).map((x) => x.slice(8, 11));
  t.deepEqual(byeAnswers(r.pair.a), ['200'], 'the UAC answered the crossing BYE 200');
  t.deepEqual(byeAnswers(r.pair.b), ['200'], 'the UAS answered the crossing BYE 200');
  t.is(r.a.ua.dialogCount, 1, 'the retired identity stays for 64*T1');

  // An INFO in the retired dialog: 481 (§12.2.2), the over session is not woken.
  const info = uac.invite.callId();
  const raw = parseMessage(
    Buffer.from(
      `INFO sip:1001@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKinfo1\r\nMax-Forwards: 70\r\nFrom: <sip:1002@192.0.2.2>;tag=${uas.dialogIds[0]?.localTag}\r\nTo: <sip:1001@192.0.2.1>;tag=${uac.dialogIds[0]?.localTag}\r\nCall-ID: ${info}\r\nCSeq: 99 INFO\r\nContent-Length: 0\r\n\r\n`,
    ),
  ) as SipRequest;
  r.a.ep.layer.receive(raw, { protocol: 'udp', host: '192.0.2.2', port: 5060, connectionId: null }, r.pair.a);
  t.regex(r.pair.a.sent.at(-1)!.text, /^SIP\/2\.0 481/);

  r.clock.advance(64 * T1);
  t.is(r.a.ua.dialogCount, 0);
  t.is(r.b.ua.dialogCount, 0);
});
