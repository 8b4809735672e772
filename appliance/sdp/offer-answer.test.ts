import test from 'ava';
import { ParseError } from '../core/errors.js';
import { answerDirection, answerOffer, applyAnswer, createOffer, LocalDescription, type LocalMedia } from './offer-answer.js';
import { parseSdp } from './session.js';

const local: LocalMedia = { address: '192.0.2.10', port: 20000, codecs: ['PCMA', 'PCMU'] };

function offer(lines: string[]): string {
  return ['v=0', 'o=peer 1 1 IN IP4 198.51.100.7', 's=-', 'c=IN IP4 198.51.100.7', 't=0 0', ...lines, ''].join('\r\n');
}

const BARESIP_LIKE = offer(['m=audio 30000 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=ptime:20', 'a=sendrecv']);

test('answers a PCMU-first offer with PCMU, the offerer’s telephone-event PT and ptime 20', (t) => {
  const r = answerOffer(BARESIP_LIKE, local, new LocalDescription('42'));
  if (!r.ok) return t.fail(r.reason);
  t.is(r.media.codec, 'PCMU');
  t.is(r.media.pt, 0);
  t.is(r.media.telephoneEventPt, 101);
  t.deepEqual(r.media.remote, { address: '198.51.100.7', port: 30000 });
  t.is(r.media.direction, 'sendrecv');
  t.false(r.media.heldByPeer);
  const ans = parseSdp(r.sdp);
  t.is(ans.media.length, 1);
  t.deepEqual(ans.media[0]!.payloads, [0, 101]);
  t.is(ans.media[0]!.port, 20000);
  t.is(ans.media[0]!.ptime, 20);
  t.is(ans.address, '192.0.2.10');
  t.regex(r.sdp, /a=rtpmap:101 telephone-event\/8000/);
});

test('keeps m-line count and rejects the video stream with port 0', (t) => {
  const r = answerOffer(offer(['m=video 30002 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'm=audio 30000 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000']), local, new LocalDescription());
  if (!r.ok) return t.fail(r.reason);
  const ans = parseSdp(r.sdp);
  t.is(ans.media.length, 2);
  t.is(ans.media[0]!.port, 0);
  t.is(ans.media[1]!.port, 20000);
  t.is(r.media.codec, 'PCMA');
  t.is(r.media.telephoneEventPt, null, 'no telephone-event when not offered');
});

test('488 when no G.711 is offered, naming what was', (t) => {
  const r = answerOffer(offer(['m=audio 30000 RTP/AVP 18 111', 'a=rtpmap:18 G729/8000', 'a=rtpmap:111 opus/48000/2']), local, new LocalDescription());
  if (r.ok) return t.fail('should reject');
  t.is(r.status, 488);
  t.regex(r.warning, /G729\/OPUS/);
});

test('488 for a G.711 offer over SRTP (RTP/SAVP) only', (t) => {
  const r = answerOffer(offer(['m=audio 30000 RTP/SAVP 8', 'a=rtpmap:8 PCMA/8000']), local, new LocalDescription());
  t.false(r.ok);
  if (!r.ok) t.is(r.status, 488);
});

test('488 when the only codec offered is one we have switched off', (t) => {
  const r = answerOffer(offer(['m=audio 30000 RTP/AVP 0']), { ...local, codecs: ['PCMA'] }, new LocalDescription());
  t.false(r.ok);
});

test('bad SDP is a 400 with a reason, never a throw', (t) => {
  for (const bad of ['', 'hello', 'v=1\r\n', 'v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n', 'v=0\r\ngarbage line\r\n', 'v=0\r\no=a 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\nm=audio 99999999 RTP/AVP 0\r\n']) {
    const r = answerOffer(bad, local, new LocalDescription());
    t.false(r.ok, JSON.stringify(bad));
    if (!r.ok) t.is(r.status, 400, JSON.stringify(bad));
  }
  t.throws(() => parseSdp('v=0\r\nxx\r\n'), { instanceOf: ParseError });
});

test('hold: a sendonly re-offer is answered recvonly and marks the peer holding; c=0.0.0.0 too', (t) => {
  const origin = new LocalDescription('7');
  const first = answerOffer(BARESIP_LIKE, local, origin);
  const held = answerOffer(BARESIP_LIKE.replace('a=sendrecv', 'a=sendonly'), local, origin);
  if (!first.ok || !held.ok) return t.fail();
  t.is(held.media.direction, 'recvonly');
  t.true(held.media.heldByPeer);
  t.is(parseSdp(held.sdp).media[0]!.direction, 'recvonly');
  t.is(parseSdp(held.sdp).sessionVersion, parseSdp(first.sdp).sessionVersion + 1, 'o= version increments when our SDP changes');
  const same = answerOffer(BARESIP_LIKE.replace('a=sendrecv', 'a=sendonly'), local, origin);
  if (!same.ok) return t.fail();
  t.is(parseSdp(same.sdp).sessionVersion, parseSdp(held.sdp).sessionVersion, 'unchanged SDP keeps its version');
  const old = answerOffer(BARESIP_LIKE.replace('c=IN IP4 198.51.100.7', 'c=IN IP4 0.0.0.0'), local, origin);
  if (!old.ok) return t.fail();
  t.true(old.media.heldByPeer);
  t.is(old.media.remote, null);
  const inactive = answerOffer(BARESIP_LIKE.replace('a=sendrecv', 'a=inactive'), local, origin);
  if (inactive.ok) t.is(inactive.media.direction, 'inactive');
});

test('answerDirection follows RFC 3264 §6.1', (t) => {
  t.is(answerDirection('sendonly'), 'recvonly');
  t.is(answerDirection('recvonly'), 'sendonly');
  t.is(answerDirection('inactive'), 'inactive');
  t.is(answerDirection('sendrecv'), 'sendrecv');
  t.is(answerDirection('sendrecv', 'sendonly'), 'sendonly');
  t.is(answerDirection('sendonly', 'sendonly'), 'inactive');
});

test('our offer lists PCMA, PCMU, telephone-event; the answer is read back', (t) => {
  const o = createOffer(local, new LocalDescription('9'));
  const s = parseSdp(o.sdp);
  t.deepEqual(s.media[0]!.payloads, [8, 0, 101]);
  t.is(s.media[0]!.ptime, 20);
  const ans = offer(['m=audio 40000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv']);
  const r = applyAnswer(o, ans);
  if (!r.ok) return t.fail(r.reason);
  t.is(r.media.codec, 'PCMU');
  t.is(r.media.telephoneEventPt, 101);
  t.deepEqual(r.media.remote, { address: '198.51.100.7', port: 40000 });
  const rejected = applyAnswer(o, offer(['m=audio 0 RTP/AVP 8']));
  t.false(rejected.ok);
  const foreign = applyAnswer(o, offer(['m=audio 40000 RTP/AVP 18']));
  t.false(foreign.ok);
});
