/**
 * The four RFC 3261 §17 machines driven through two TransactionLayers on a FakeTransportPair
 * and a ManualClock: transitions, timers (RFC letters) and the bytes on the wire.
 */
import test from 'ava';
import { InvalidTransitionError, TransactionError } from '../../core/errors.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { parseMessage } from '../parser/index.js';
import { createFakeTransportPair, type FakeTransport } from '../transport/testing/fake-transport.js';
import { InviteClientTransaction } from './invite-client.js';
import { InviteServerTransaction } from './invite-server.js';
import { TransactionLayer } from './layer.js';
import { NonInviteServerTransaction } from './non-invite-server.js';
import { RecordingClientUser, RecordingUser, request } from './testing.js';
import type { TimerConfig } from './timers.js';

const T: TimerConfig = { t1: 500, t2: 4000, t4: 5000 };

function setup(protocol: 'udp' | 'tcp' = 'udp', limits: { maxServerTransactions?: number } = {}) {
  const clock = new ManualClock();
  const pair = createFakeTransportPair(protocol);
  const uac = new RecordingUser();
  const uas = new RecordingUser();
  const client = new TransactionLayer({ clock, timers: T, transports: [pair.a], tu: uac, serverHeader: 'test' });
  const server = new TransactionLayer({ clock, timers: T, transports: [pair.b], tu: uas, serverHeader: 'test', ...limits });
  const dest = { protocol, host: '192.0.2.2', port: 5060 } as const;
  /** Advance time and deliver whatever the timers sent. */
  const tick = (ms: number): void => {
    clock.advance(ms);
    pair.flush();
  };
  return { clock, pair, uac, uas, client, server, dest, tick };
}

/** Times (ms since start) at which `side` sent a message whose start line begins with `prefix`. */
function sendTimes(side: FakeTransport, prefix: string, times: Array<{ n: number; at: number }>): number[] {
  const lines = side.startLines();
  return times.filter((t) => (lines[t.n] ?? '').startsWith(prefix)).map((t) => t.at);
}

function recordTimes(clock: ManualClock, side: FakeTransport): Array<{ n: number; at: number }> {
  const out: Array<{ n: number; at: number }> = [];
  const orig = side.send.bind(side);
  side.send = (bytes, dest) => {
    out.push({ n: side.sent.length, at: clock.monotonic() });
    return orig(bytes, dest);
  };
  return out;
}

test('INVITE client over UDP: Timer A doubles (T1, 2T1, 4T1 …) and Timer B ends it at 64*T1 with a timeout', (t) => {
  const { clock, pair, client, dest } = setup();
  pair.a.lose = () => true; // nothing reaches the server
  const times = recordTimes(clock, pair.a);
  const user = new RecordingClientUser();
  const tx = client.sendRequest(request('INVITE'), dest, user) as InviteClientTransaction;
  const states: string[] = [];
  tx.onTransition((_f, to) => states.push(to));
  t.deepEqual(tx.runningTimers, ['A', 'B']);
  clock.advance(31_999);
  t.deepEqual(sendTimes(pair.a, 'INVITE', times), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  t.is(tx.state, 'calling');
  clock.advance(1);
  t.is(tx.state, 'terminated');
  t.deepEqual(states, ['terminated']);
  t.is(user.errors.length, 1);
  t.true(user.errors[0] instanceof TransactionError);
  t.is(user.errors[0]?.kind, 'timeout');
  t.is(client.clientCount, 0);
  t.is(clock.pendingTimers, 0);
});

test('INVITE client: 1xx stops Timer A; 486 → Completed with an ACK (same branch, To tag of the response); retransmitted 486 re-ACKed, not passed up; Timer D', (t) => {
  const { pair, uas, client, dest, tick } = setup();
  const user = new RecordingClientUser();
  const tx = client.sendRequest(request('INVITE'), dest, user) as InviteClientTransaction;
  pair.flush();
  const stx = uas.requests[0]?.tx as InviteServerTransaction;
  t.true(stx instanceof InviteServerTransaction);
  stx.respond(stx.createResponse(180));
  pair.flush();
  t.is(tx.state, 'proceeding');
  t.deepEqual(tx.runningTimers, ['C']);
  const invitesBefore = pair.a.startLines().filter((l) => l.startsWith('INVITE')).length;
  tick(10_000);
  t.is(pair.a.startLines().filter((l) => l.startsWith('INVITE')).length, invitesBefore, 'no retransmission in Proceeding');
  stx.respond(stx.createResponse(486));
  pair.flush();
  t.is(tx.state, 'completed');
  t.deepEqual(user.statuses, [180, 486]);
  const ackText = pair.a.sent.at(-1)?.text ?? '';
  const ack = parseMessage(Buffer.from(ackText));
  t.is(ack.kind, 'request');
  if (ack.kind !== 'request') return;
  t.is(ack.method, 'ACK');
  t.is(ack.via().length, 1);
  t.is(ack.topVia()?.branch, tx.request.topVia()?.branch);
  t.is(ack.to()?.tag, stx.toTag);
  t.deepEqual(ack.cseq(), { seq: 1, method: 'ACK' });
  t.is(stx.state, 'confirmed', 'the ACK matched the server transaction');
  // A retransmitted 486 (the server did not see the ACK) is re-ACKed and not passed to the TU.
  const acks = pair.a.startLines().filter((l) => l.startsWith('ACK')).length;
  tx.receiveResponse(parseMessage(pair.b.sent.at(-1)!.bytes) as never);
  t.is(pair.a.startLines().filter((l) => l.startsWith('ACK')).length, acks + 1);
  t.deepEqual(user.statuses, [180, 486]);
  t.deepEqual(tx.runningTimers, ['D']);
  tick(31_999);
  t.is(tx.state, 'completed');
  tick(1);
  t.is(tx.state, 'terminated');
});

test('INVITE client over TCP: no Timer A retransmissions and Timer D is zero', (t) => {
  const { pair, uas, client, dest, tick } = setup('tcp');
  const user = new RecordingClientUser();
  const tx = client.sendRequest(request('INVITE'), dest, user) as InviteClientTransaction;
  t.deepEqual(tx.runningTimers, ['B']);
  tick(20_000);
  t.is(pair.a.startLines().filter((l) => l.startsWith('INVITE')).length, 1);
  const stx = uas.requests[0]?.tx as InviteServerTransaction;
  stx.respond(stx.createResponse(603));
  pair.flush();
  t.is(tx.state, 'terminated');
  t.is(stx.state, 'terminated', 'Timer I is zero on TCP too');
  t.deepEqual(user.statuses, [603]);
});

test('INVITE client: 2xx → Accepted (RFC 6026), later 2xx passed to the TU, Timer M ends it', (t) => {
  const { uas, client, dest, pair, tick } = setup();
  const user = new RecordingClientUser();
  const tx = client.sendRequest(request('INVITE'), dest, user) as InviteClientTransaction;
  pair.flush();
  const stx = uas.requests[0]?.tx as InviteServerTransaction;
  stx.respond(stx.createResponse(200));
  pair.flush();
  t.is(tx.state, 'accepted');
  t.is(stx.state, 'accepted');
  stx.respond(stx.createResponse(200)); // the UAS core retransmits its 2xx (§13.3.1.4)
  pair.flush();
  t.deepEqual(user.statuses, [200, 200]);
  t.false(pair.a.startLines().some((l) => l.startsWith('ACK')), 'the ACK for a 2xx is the TU\'s job');
  tick(64 * 500 - 1);
  t.is(tx.state, 'accepted');
  tick(1);
  t.is(tx.state, 'terminated');
  t.is(stx.state, 'terminated', 'Timer L');
});

test('non-INVITE client over UDP: Timer E doubles up to T2, Timer F times out at 64*T1', (t) => {
  const { clock, pair, client, dest } = setup();
  pair.a.lose = () => true;
  const times = recordTimes(clock, pair.a);
  const user = new RecordingClientUser();
  const tx = client.sendRequest(request('OPTIONS'), dest, user);
  clock.advance(32_000);
  t.deepEqual(sendTimes(pair.a, 'OPTIONS', times), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  t.is(tx.state, 'terminated');
  t.is(user.errors[0]?.kind, 'timeout');
});

test('non-INVITE client: 1xx → Proceeding (Timer E every T2), 200 → Completed, Timer K = T4', (t) => {
  const { clock, pair, uas, client, dest } = setup();
  const user = new RecordingClientUser();
  const tx = client.sendRequest(request('REGISTER'), dest, user);
  pair.flush();
  const stx = uas.requests[0]?.tx as NonInviteServerTransaction;
  stx.respond(stx.createResponse(100));
  pair.flush();
  t.is(tx.state, 'proceeding');
  const times = recordTimes(clock, pair.a);
  clock.advance(12_000);
  pair.flush();
  // Timer E set in Trying still fires at T1; from then on it is reset to T2 (§17.1.2.2).
  t.deepEqual(times.map((x) => x.at), [500, 4500, 8500]);
  stx.respond(stx.createResponse(200));
  pair.flush();
  t.is(tx.state, 'completed');
  // Each retransmission in Proceeding drew the 100 again, and Figure 6 passes every 1xx up.
  t.deepEqual(user.statuses, [100, 100, 100, 100, 200]);
  clock.advance(4999);
  t.is(tx.state, 'completed');
  clock.advance(1);
  t.is(tx.state, 'terminated');
});

test('INVITE server: 100 Trying after 200 ms, Timer G retransmits the 486 up to T2, Timer H reports the missing ACK', (t) => {
  const { clock, pair, uas, server, dest, client } = setup();
  client.sendRequest(request('INVITE'), dest, new RecordingClientUser());
  pair.a.lose = () => true; // the client's ACKs and retransmissions never arrive
  pair.flush();
  const stx = uas.requests[0]?.tx as InviteServerTransaction;
  clock.advance(199);
  t.deepEqual(pair.b.startLines(), []);
  clock.advance(1);
  t.deepEqual(pair.b.startLines(), ['SIP/2.0 100 Trying']);
  const times = recordTimes(clock, pair.b);
  const t0 = clock.monotonic();
  stx.respond(stx.createResponse(486));
  t.is(stx.state, 'completed');
  clock.advance(64 * 500);
  t.deepEqual(
    times.map((x) => x.at - t0),
    [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500],
  );
  t.is(stx.state, 'terminated');
  t.is(uas.errors.length, 1);
  t.is(uas.errors[0]?.err.kind, 'timeout');
  t.is(server.serverCount, 0);
});

test('INVITE server: ACK → Confirmed, ACK retransmissions absorbed, Timer I = T4', (t) => {
  const { pair, uas, client, dest, tick } = setup();
  uas.answer = (_req, tx) => tx.respond(tx.createResponse(404));
  client.sendRequest(request('INVITE'), dest, new RecordingClientUser());
  pair.flush();
  const stx = uas.requests[0]?.tx as InviteServerTransaction;
  t.is(stx.state, 'confirmed');
  t.false(pair.b.startLines().includes('SIP/2.0 100 Trying'), 'no 100 when the TU answered at once');
  const ack = parseMessage(pair.a.sent.at(-1)!.bytes);
  server_receive(t, pair, ack);
  t.is(uas.acks.length, 0, 'the ACK for a non-2xx never reaches the TU');
  tick(4999);
  t.is(stx.state, 'confirmed');
  tick(1);
  t.is(stx.state, 'terminated');
});

function server_receive(t: { is: (a: unknown, b: unknown) => void }, pair: ReturnType<typeof createFakeTransportPair>, _msg: unknown): void {
  // Re-send the last client packet to the server (a retransmission on the wire).
  const last = pair.a.sent.at(-1)!;
  pair.a.lose = null;
  void pair.a.send(last.bytes, last.dest);
  pair.flush();
  t.is(pair.b.sent.length > 0, true);
}

test('INVITE server: INVITE retransmission in Proceeding resends the last provisional, in Accepted it is absorbed', (t) => {
  const { pair, uas, client, dest } = setup();
  client.sendRequest(request('INVITE'), dest, new RecordingClientUser());
  pair.flush();
  const stx = uas.requests[0]?.tx as InviteServerTransaction;
  stx.respond(stx.createResponse(180));
  pair.flush();
  const first = pair.a.sent[0]!;
  void pair.a.send(first.bytes, first.dest);
  pair.flush();
  t.deepEqual(pair.b.startLines(), ['SIP/2.0 180 Ringing', 'SIP/2.0 180 Ringing']);
  t.is(uas.requests.length, 1, 'a retransmission is not a new request');
  stx.respond(stx.createResponse(200));
  void pair.a.send(first.bytes, first.dest);
  pair.flush();
  t.deepEqual(pair.b.startLines(), ['SIP/2.0 180 Ringing', 'SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);
  t.is(uas.requests.length, 1);
});

test('non-INVITE server: retransmissions get the final response again; Timer J = 64*T1 on UDP, 0 on TCP', (t) => {
  for (const protocol of ['udp', 'tcp'] as const) {
    const { pair, uas, client, dest, tick } = setup(protocol);
    uas.answer = (_req, tx) => tx.respond(tx.createResponse(200));
    client.sendRequest(request('OPTIONS'), dest, new RecordingClientUser());
    pair.flush();
    const stx = uas.requests[0]?.tx as NonInviteServerTransaction;
    if (protocol === 'tcp') {
      t.is(stx.state, 'terminated');
      continue;
    }
    t.is(stx.state, 'completed');
    const first = pair.a.sent[0]!;
    void pair.a.send(first.bytes, first.dest);
    pair.flush();
    t.deepEqual(pair.b.startLines(), ['SIP/2.0 200 OK', 'SIP/2.0 200 OK']);
    tick(64 * 500 - 1);
    t.is(stx.state, 'completed');
    tick(1);
    t.is(stx.state, 'terminated');
  }
});

test('non-INVITE server whose TU never answers sends 500 at 64*T1 and still terminates', (t) => {
  const { pair, uas, client, dest, tick, server } = setup();
  client.sendRequest(request('MESSAGE'), dest, new RecordingClientUser());
  pair.flush();
  tick(64 * 500 - 1);
  t.deepEqual(pair.b.startLines(), [], 'retransmissions in Trying are absorbed');
  tick(1);
  t.deepEqual([...new Set(pair.b.startLines())], ['SIP/2.0 500 Server Internal Error']);
  t.is(uas.requests.length, 1);
  t.is(uas.errors[0]?.err.kind, 'timeout');
  tick(64 * 500);
  t.is(server.serverCount, 0);
});

test('illegal transitions throw InvalidTransitionError', (t) => {
  const { pair, uas, client, dest } = setup();
  client.sendRequest(request('OPTIONS'), dest, new RecordingClientUser());
  client.sendRequest(request('INVITE'), dest, new RecordingClientUser());
  pair.flush();
  const nist = uas.requests[0]?.tx as NonInviteServerTransaction;
  const ist = uas.requests[1]?.tx as InviteServerTransaction;
  nist.respond(nist.createResponse(200));
  const e1 = t.throws(() => nist.respond(nist.createResponse(200)), { instanceOf: InvalidTransitionError });
  t.is(e1?.from, 'completed');
  t.throws(() => nist.respond(nist.createResponse(180)), { instanceOf: InvalidTransitionError });
  ist.respond(ist.createResponse(486));
  const e2 = t.throws(() => ist.respond(ist.createResponse(200)), { instanceOf: InvalidTransitionError });
  t.is(e2?.from, 'completed');
  t.throws(() => ist.respond(ist.createResponse(183)), { instanceOf: InvalidTransitionError });
});

test('CANCEL (§9.1, §9.2): deferred until a 1xx, matched to the INVITE server transaction, 200 + 487, INVITE ACKed', (t) => {
  const { pair, uas, client, dest } = setup();
  const inviteUser = new RecordingClientUser();
  const cancelUser = new RecordingClientUser();
  const tx = client.sendRequest(request('INVITE'), dest, inviteUser) as InviteClientTransaction;
  client.cancel(tx, cancelUser);
  t.false(pair.a.startLines().some((l) => l.startsWith('CANCEL')), 'no CANCEL before a provisional response');
  pair.flush();
  const stx = uas.requests[0]?.tx as InviteServerTransaction;
  stx.respond(stx.createResponse(180));
  pair.flush();
  t.true(pair.a.startLines().some((l) => l.startsWith('CANCEL')));
  t.is(uas.cancels.length, 1);
  const c = uas.cancels[0]!;
  t.is(c.target, stx);
  c.tx.respond(c.tx.createResponse(200));
  c.target?.respond(c.target.createResponse(487));
  pair.flush();
  t.deepEqual(cancelUser.statuses, [200]);
  t.deepEqual(inviteUser.statuses, [180, 487]);
  t.is(tx.state, 'completed');
  t.is(stx.state, 'confirmed');
  const cancelText = pair.a.sent.find((p) => p.text.startsWith('CANCEL'))!.text;
  t.regex(cancelText, /CSeq: 1 CANCEL/);
  t.is((cancelText.match(/^Via:/gm) ?? []).length, 1);
});

test('CANCEL matching nothing is handed to the TU with a null target', (t) => {
  const { pair, uas, client, dest } = setup();
  client.sendRequest(request('CANCEL'), dest, new RecordingClientUser());
  pair.flush();
  t.is(uas.cancels.length, 1);
  t.is(uas.cancels[0]?.target, null);
});

test('transport errors reach the TU as TransactionError kind transport and terminate the transaction', async (t) => {
  const { pair, client, dest } = setup();
  pair.a.failWith = new Error('ECONNREFUSED');
  const user = new RecordingClientUser();
  const tx = client.sendRequest(request('INVITE'), dest, user);
  await new Promise<void>((r) => setImmediate(r));
  t.is(tx.state, 'terminated');
  t.is(user.errors[0]?.kind, 'transport');
  t.is(user.errors[0]?.code, 'SIP_TRANSPORT');
  t.true((user.errors[0]?.cause as Error).message.includes('fake failure'));
  t.is(client.clientCount, 0);
});

test('bounded server table: past the limit new requests get 503 with Retry-After; tables drain to zero', (t) => {
  const { pair, uas, client, dest, tick, server } = setup('udp', { maxServerTransactions: 2 });
  uas.answer = (_req, tx) => tx.respond(tx.createResponse(200));
  for (let i = 0; i < 3; i++) client.sendRequest(request('OPTIONS'), dest, new RecordingClientUser());
  pair.flush();
  const lines = pair.b.startLines();
  t.deepEqual(lines, ['SIP/2.0 200 OK', 'SIP/2.0 200 OK', 'SIP/2.0 503 Service Unavailable']);
  t.regex(pair.b.sent[2]!.text, /Retry-After: 5/);
  t.is(server.serverCount, 2);
  tick(64 * 500);
  t.is(server.serverCount, 0);
  t.is(client.clientCount, 0);
});

test('RFC 2543 fallback matching: a retransmitted INVITE without magic cookie is absorbed, and its ACK confirms', (t) => {
  const { pair, uas, server } = setup();
  const inv = [
    'INVITE sip:1002@192.0.2.2 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.1:5060',
    'From: <sip:1001@192.0.2.1>;tag=x',
    'To: <sip:1002@192.0.2.2>',
    'Call-ID: old@192.0.2.1',
    'CSeq: 5 INVITE',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  uas.answer = (_req, tx) => tx.respond(tx.createResponse(486));
  const src = { host: '192.0.2.1', port: 5060 };
  void pair.a.send(Buffer.from(inv), src);
  void pair.a.send(Buffer.from(inv), src);
  pair.flush();
  t.is(uas.requests.length, 1);
  t.deepEqual(pair.b.startLines(), ['SIP/2.0 486 Busy Here', 'SIP/2.0 486 Busy Here']);
  const ack = inv.replace('INVITE sip', 'ACK sip').replace('5 INVITE', '5 ACK');
  void pair.a.send(Buffer.from(ack), src);
  pair.flush();
  t.is(uas.requests[0]?.tx.state, 'confirmed');
  t.is(server.serverCount, 1);
});

test('requests failing validateRequest are answered statelessly (400/505), ACKs never', (t) => {
  const { pair, uas, server } = setup();
  const bad = 'OPTIONS sip:a@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\nFrom: <sip:b@c>;tag=1\r\nTo: <sip:a@192.0.2.2>\r\nCall-ID: v1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
  void pair.a.send(Buffer.from(bad), { host: '192.0.2.2', port: 5060 });
  void pair.a.send(Buffer.from(bad.replace('SIP/2.0\r\n', 'SIP/7.0\r\n')), { host: '192.0.2.2', port: 5060 });
  void pair.a.send(Buffer.from(bad.replace('OPTIONS', 'ACK')), { host: '192.0.2.2', port: 5060 });
  pair.flush();
  t.deepEqual(pair.b.startLines(), ['SIP/2.0 400 CSeq method does not match the request', 'SIP/2.0 505 Version Not Supported']);
  t.is(uas.requests.length, 0);
  t.is(server.serverCount, 0);
});
