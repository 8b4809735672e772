import test from 'ava';
import { writeSdp, writeSdpGeneric, type WriteMedia, type WriteSession } from './session.js';

const directions = ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const;
const audio = (port: number, te: boolean, direction: WriteMedia['direction'], ptime: number | null): WriteMedia => ({
  type: 'audio',
  port,
  protocol: 'RTP/AVP',
  codecs: [{ pt: 8, name: 'PCMA', rate: 8000 }, { pt: 0, name: 'PCMU', rate: 8000 }, ...(te ? [{ pt: 101, name: 'TELEPHONE-EVENT', rate: 8000, fmtp: '0-16' }] : [])],
  direction,
  ptime,
});

test('the direct SDP writer writes byte for byte what sdp-transform writes, over every shape the appliance produces', (t) => {
  const sessions: WriteSession[] = [];
  for (const address of ['192.0.2.10', '2001:db8::7', '0.0.0.0'])
    for (const direction of directions)
      for (const te of [true, false])
        for (const ptime of [20, null]) {
          sessions.push({ sessionId: '12345', sessionVersion: 3, address, media: [audio(40000, te, direction, ptime)] });
          // A rejected stream beside the accepted one (RFC 3264 §6: port 0), and a video line refused.
          sessions.push({
            sessionId: '99',
            sessionVersion: 1,
            address,
            name: 'hotline',
            media: [
              { type: 'audio', port: 0, protocol: 'RTP/SAVP', codecs: [{ pt: 0, name: 'PCMU', rate: 8000 }], direction: 'inactive' },
              audio(20002, te, direction, ptime),
              { type: 'video', port: 0, protocol: 'RTP/AVP', codecs: [], direction: 'inactive' },
            ],
          });
        }
  for (const s of sessions) t.is(writeSdp(s), writeSdpGeneric(s), JSON.stringify(s));
});
