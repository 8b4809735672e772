/**
 * A SIP leg whose offer has no telephone-event (RFC 4733 §7.1.1: the peer will send its keys
 * as tones) gets in-band DTMF detection in the media engine; a leg that negotiated RFC 4733
 * does not (its digits come as events, and searching its audio would only cost CPU).
 */
import test from 'ava';
import { EventEmitter } from 'node:events';
import { createLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import type { MediaEngine, RtpEndpoint } from '../media/engine/media-engine.js';
import type { InviteSession } from '../sip/dialog/session.js';
import { SipChannel } from './sip-channel.js';

function offer(withTelephoneEvent: boolean): Buffer {
  const pts = withTelephoneEvent ? '8 101' : '8';
  return Buffer.from(
    [
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.10',
      's=-',
      'c=IN IP4 192.0.2.10',
      't=0 0',
      `m=audio 40000 RTP/AVP ${pts}`,
      'a=rtpmap:8 PCMA/8000',
      ...(withTelephoneEvent ? ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15'] : []),
      'a=sendrecv',
      '',
    ].join('\r\n'),
  );
}

async function prepared(withTelephoneEvent: boolean): Promise<string[]> {
  const inband: string[] = [];
  const session = Object.assign(new EventEmitter(), {
    callId: 'c1@test',
    remoteSdp: offer(withTelephoneEvent),
    ended: false,
    onOffer: null,
    reject: () => undefined,
  }) as unknown as InviteSession;
  const rtp = Object.assign(new EventEmitter(), { id: 'ep-1', localPort: 20000, setRemote: async () => undefined, close: async () => null }) as unknown as RtpEndpoint;
  const engine = {
    createRtpEndpoint: async (o: { inbandDtmf?: boolean }) => {
      if (o.inbandDtmf) inband.push(rtp.id);
      return rtp;
    },
    play: async () => {
      throw new Error('not used');
    },
    setInbandDtmf: async (ep: RtpEndpoint, on: boolean) => {
      if (on) inband.push(ep.id);
    },
  } as unknown as Pick<MediaEngine, 'createRtpEndpoint' | 'play' | 'setInbandDtmf'>;
  const ch = SipChannel.inbound(
    session,
    { id: 'leg-1', caller: { number: '1001' }, called: { number: '7100' }, affinity: 'call-1' } as Parameters<typeof SipChannel.inbound>[1],
    { clock: new ManualClock(), log: createLogger('silent'), engine, prompts: { resolve: () => null }, mediaAddress: '127.0.0.1', codecs: ['PCMA'] },
  );
  const r = await ch.prepare();
  if (!r.ok) throw new Error(`prepare failed: ${r.reason}`);
  await new Promise((res) => setImmediate(res));
  return inband;
}

test('an offer without telephone-event: in-band DTMF detection is switched on for the leg', async (t) => {
  t.deepEqual(await prepared(false), ['ep-1']);
});

test('an offer with telephone-event: no in-band detection', async (t) => {
  t.deepEqual(await prepared(true), []);
});
