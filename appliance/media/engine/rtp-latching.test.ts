/**
 * NAT latching of RTP legs (rtp-session.ts; issue 3 "phones behind NAT", RFC 4961 §3 symmetric
 * RTP): a phone signals one address and its RTP arrives from another. The session latches after
 * N consecutive packets from one source with the first SSRC, sends there, and keeps the S12
 * hijack rules once locked. First on RtpSession with fake ports (exact counts), then through the
 * real media engine with loopback sockets on 127.0.0.2 (what the SDP says) and 127.0.0.3 (where
 * the phone really is).
 */
import test from 'ava';
import dgram from 'node:dgram';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { decode as decodeRtp, encode as encodeRtp } from '../rtp/packet.js';
import { MediaEngine } from './media-engine.js';
import { DEFAULT_LATCH_PACKETS, RtpSession, type UdpPort } from './rtp-session.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rtp(ssrc: number, seq: number): Uint8Array {
  return encodeRtp({ marker: false, payloadType: 8, sequenceNumber: seq, timestamp: seq * 160, ssrc, csrc: [], extension: null, payload: new Uint8Array(160).fill(0xd5), paddingSize: 0 });
}

class FakePort implements UdpPort {
  readonly sent: Array<{ port: number; address: string }> = [];
  send(_buf: Uint8Array, port: number, address: string): void {
    this.sent.push({ port, address });
  }
  close(): void {}
}

function session(latchPackets?: number): { s: RtpSession; out: FakePort } {
  const out = new FakePort();
  const s = new RtpSession(
    { id: 'ep', codec: 'PCMA', telephoneEventPt: 101, remote: { address: '10.0.0.5', port: 4000 }, rtpTimeoutMs: 0, wallNow: () => 0, emit: () => undefined, ...(latchPackets === undefined ? {} : { latchPackets }) },
    out,
    new FakePort(),
    0,
  );
  return { s, out };
}

const NAT = { address: '203.0.113.7', port: 61000 };

test('latches onto an unsignalled source after N consecutive packets with the first SSRC and sends there', (t) => {
  const { s, out } = session();
  s.send(new Uint8Array(160));
  t.deepEqual(out.sent.at(-1), { address: '10.0.0.5', port: 4000 }, 'before latching: the signalled address');
  for (let i = 0; i < DEFAULT_LATCH_PACKETS - 1; i++) s.onRtp(rtp(42, i), NAT, i * 20);
  t.deepEqual(s.sendingTo, { address: '10.0.0.5', port: 4000 }, `not latched after ${DEFAULT_LATCH_PACKETS - 1} packets`);
  s.onRtp(rtp(42, 99), NAT, 100);
  t.deepEqual(s.sendingTo, NAT);
  s.send(new Uint8Array(160));
  t.deepEqual(out.sent.at(-1), NAT, 'RTP goes to where the phone really is');
  t.is(s.counters.natLatched, 1);
  t.is(s.counters.foreignDropped, DEFAULT_LATCH_PACKETS - 1, 'packets before the latch are not played');
});

test('a foreign SSRC never counts, another source restarts the count; once latched other sources are dropped (S12)', (t) => {
  const { s } = session(3);
  const attacker = { address: '198.51.100.9', port: 5000 };
  s.onRtp(rtp(42, 1), NAT, 0); // the first SSRC seen: 42
  s.onRtp(rtp(7, 1), attacker, 1);
  s.onRtp(rtp(7, 2), attacker, 2);
  s.onRtp(rtp(7, 3), attacker, 3);
  t.deepEqual(s.sendingTo, { address: '10.0.0.5', port: 4000 }, 'an attacker with its own SSRC never latches');
  s.onRtp(rtp(42, 2), NAT, 4);
  s.onRtp(rtp(42, 3), attacker, 5); // spoofed SSRC from elsewhere: restarts the count at the attacker
  s.onRtp(rtp(42, 4), NAT, 6);
  s.onRtp(rtp(42, 5), NAT, 7);
  t.deepEqual(s.sendingTo, { address: '10.0.0.5', port: 4000 }, 'interleaved sources do not add up');
  s.onRtp(rtp(42, 6), NAT, 8);
  t.deepEqual(s.sendingTo, NAT, 'three consecutive packets from one source latch');
  const dropped = s.counters.foreignDropped;
  for (let i = 0; i < 10; i++) s.onRtp(rtp(42, 10 + i), attacker, 10 + i);
  t.deepEqual(s.sendingTo, NAT, 'once latched, the stream stays');
  t.is(s.counters.foreignDropped, dropped + 10);
});

test('the signalled address wins at once; latchPackets 0 turns NAT latching off; a new remote restarts', (t) => {
  const off = session(0);
  for (let i = 0; i < 20; i++) off.s.onRtp(rtp(42, i), NAT, i);
  t.deepEqual(off.s.sendingTo, { address: '10.0.0.5', port: 4000 });
  t.is(off.s.counters.foreignDropped, 20);

  const { s } = session(2);
  s.onRtp(rtp(42, 1), NAT, 0);
  s.onRtp(rtp(42, 2), NAT, 1);
  t.deepEqual(s.sendingTo, NAT);
  s.onRtp(rtp(43, 1), { address: '10.0.0.5', port: 4000 }, 2);
  t.deepEqual(s.sendingTo, { address: '10.0.0.5', port: 4000 }, 'a packet from exactly the signalled address locks to it');
  s.setRemote({ address: '10.0.0.6', port: 4002 });
  s.onRtp(rtp(50, 1), NAT, 3);
  s.onRtp(rtp(50, 2), NAT, 4);
  t.deepEqual(s.sendingTo, NAT, 'after a re-INVITE the SSRC is learnt afresh');
});

async function socketOn(host: string): Promise<{ sock: dgram.Socket; port: number; got: Array<{ ssrc: number }> }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  sock.unref();
  const got: Array<{ ssrc: number }> = [];
  sock.on('message', (m) => {
    try {
      got.push({ ssrc: decodeRtp(new Uint8Array(m)).ssrc });
    } catch {
      // RTCP
    }
  });
  return { sock, port: sock.address().port, got };
}

test('through the media engine: SDP says 127.0.0.2, RTP comes from 127.0.0.3; after the latch the engine’s RTP arrives at 127.0.0.3', async (t) => {
  const base = 46000 + (process.pid % 40) * 50;
  const engine = new MediaEngine({ workers: 1, rtpPortMin: base, rtpPortMax: base + 9, bindAddress: '127.0.0.1', clock: systemClock, log: createLogger('silent') });
  await engine.start();
  t.teardown(() => engine.stop());
  const signalled = await socketOn('127.0.0.2');
  const real = await socketOn('127.0.0.3');
  t.teardown(() => {
    signalled.sock.close();
    real.sock.close();
  });
  const ep = await engine.createRtpEndpoint({ codec: 'PCMA', remote: { address: '127.0.0.2', port: signalled.port }, rtpTimeoutMs: 0 });
  await sleep(200);
  t.true(signalled.got.length > 0, 'before any RTP arrives the engine sends to the SDP address');
  t.is(real.got.length, 0);
  for (let i = 0; i < 25; i++) {
    real.sock.send(rtp(0x1234, i), ep.localPort, '127.0.0.1');
    await sleep(20);
  }
  const before = signalled.got.length;
  await sleep(200);
  t.true(real.got.length >= 5, `the engine's RTP reached the phone's real address (${real.got.length} packets)`);
  t.true(signalled.got.length - before <= 1, 'and no longer goes to the SDP address');
  const stats = await ep.close();
  t.true(stats.packetsReceived >= 25 - DEFAULT_LATCH_PACKETS, `received ${stats.packetsReceived}`);
});
