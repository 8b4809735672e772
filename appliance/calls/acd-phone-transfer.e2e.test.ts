/**
 * A transfer made from the agent's own phone during an ACD call (RFC 3515 REFER, RFC 5589 §6
 * blind transfer; calls/transfer.ts carries it out, calls/acd-transfer-handover.ts tells the ACD
 * the caller was handed over): the REAL daemon (daemon/testing/daemon-rig.ts) and three baresip
 * phones, each sending a tone of its own so every recording says who was heard:
 *
 *   1001 caller 1000 Hz · 1002 agent 600 Hz · 1003 another extension 1400 Hz
 *
 *  1. The agent logs in by feature code (*21); 1001 calls the queue (95599) and 1002 answers.
 *  2. Blind: 1002's phone REFERs 1001 to 1003 (baresip `transfer`): 1003 rings and answers,
 *     1001 stays up and 1001 and 1003 hear each other; 1002's leg is cleared; the ACD puts the
 *     agent in wrap-up (the queue's 1.5 s) and then idle — never left "in-call"; the CDR has the
 *     three legs and the transfer (blind, target 1003, 200) and the ACD event log the completion.
 *  3. Attended: 1002 holds the caller, calls 1003 (the consultation) and REFERs the caller with
 *     Replaces naming that dialog. baresip 1.0 has no attended-transfer command, but its
 *     `transfer` sends the Refer-To it is given verbatim (as in phones.e2e.test.ts); the dialog's
 *     tags are read off the wire: the consultation INVITE goes through a UDP relay in this test
 *     (`SipTap`), which sees 1002's From tag and the appliance's To tag in the 200. The caller and
 *     1003 are bridged and hear each other, both of 1002's legs end, the agent goes to wrap-up and
 *     idle, and the two CDRs cross-reference the transfer.
 *  4. Blind to a busy extension: the caller stays up while 1003 rings, 1003 rejects (486), the
 *     agent phone gets NOTIFY 486 and the CDR lists the failed transfer; baresip 1.0 ends its own
 *     call after the final NOTIFY, so the queue call ends as on any agent hang-up: wrap-up, idle.
 *
 * Without calls/acd-transfer-handover.ts, tests 2 and 3 fail: the ACD cleared the caller as soon
 * as the agent's leg ended ("the caller stays in its call").
 */
import test, { type ExecutionContext } from 'ava';
import dgram from 'node:dgram';
import { toneProfile, wavSamples } from '../acd/testing/recordings.js';
import { queueConfig } from '../acd/testing/acd-harness.js';
import { countEvents, haveBaresip, lastHeardSince, nextEvent, nthEvent, waitRegistered } from '../daemon/testing/baresip-phone.js';
import { startRig, type ApiCall, type DaemonRig } from '../daemon/testing/daemon-rig.js';
import { sleep, until } from '../daemon/testing/wait.js';
import { formatReplaces } from '../sip/dialog/refer.js';
import type { Baresip } from './testing/baresip.js';

const serial = haveBaresip ? test.serial : test.serial.skip;

const F = { caller: 1000, agent: 600, other: 1400 } as const;
/** Goertzel amplitude (250 ms windows) above which a tone was heard. */
const HEARD = 1000;
const WRAP_UP_MS = 1_500;

let rig: DaemonRig;
let api: ApiCall;
let caller: Baresip;
let agent: Baresip;
let other: Baresip;

type Snapshot = { status: string; state: string; callId: string | null };
const snapshot = (id: string): Promise<Snapshot> => api('GET', `/acd/agents/${id}/snapshot`);
/** The agent's snapshot once `ok` says so, asked every 200 ms (the API key's rate limit). */
const snapshotWhen = (what: string, ok: (s: Snapshot) => boolean, ms = 10_000): Promise<Snapshot> =>
  rig.until(what, async () => {
    const s = await snapshot('1002');
    if (ok(s)) return s;
    await sleep(200);
    return null;
  }, ms);
const heard = (file: string, freq: number): number => toneProfile(wavSamples(file).samples, freq, { windowMs: 250 }).filter((x) => x > HEARD).length;

test.before(async () => {
  if (!haveBaresip) return;
  rig = await startRig({ phones: 3, config: { acd: { reconcileIntervalMs: 1000 } } });
  const [, , , , , key] = await Promise.all([
    rig.extension('1001', 'caller'),
    rig.extension('1002', 'agent'),
    rig.extension('1003', 'other'),
    rig.route('agents', '95599', 'queue:hotline'),
    // Phone to phone (the agent's consultation call): 1003 dialled from a phone reaches its extension.
    rig.route('ext-1003', '1003', 'extension:1003'),
    rig.apiKey('phone-transfer-e2e', ['queues:write', 'queues:read']),
  ]);
  api = rig.api(key!);
  [caller, agent, other] = await Promise.all([
    rig.phone({ name: 'caller', user: '1001', tone: { freq: F.caller, toneMs: 40_000 }, answer: false }),
    rig.phone({ name: 'agent', user: '1002', tone: { freq: F.agent, toneMs: 40_000 }, answer: true }),
    rig.phone({ name: 'other', user: '1003', tone: { freq: F.other, toneMs: 40_000 }, answer: true }),
  ]);
  await Promise.all([caller, agent, other].map((p) => waitRegistered(p)));
  await api('POST', '/acd/queues', queueConfig('hotline', { name: '95599', strategy: 'ring-all', ringTimeoutMs: 5_000, wrapUpMs: WRAP_UP_MS, defaultAhtMs: 60_000 }));
  await api('POST', '/acd/agents', { id: '1002', name: 'Agent 1002', skills: {}, memberships: [{ queueId: 'hotline', penalty: 0 }] });
});

test.afterEach.always((t) => {
  if (!t.passed && rig) t.log(rig.output());
});

test.after.always(async () => {
  await rig?.stop();
});

/** The agent's ACD states during `callId`, from the event log (written in 50 ms group commits), once it has the return to idle. */
function statesUntilIdle(callId: string): Promise<string[]> {
  return rig.until('the agent back to idle in the ACD event log', () => {
    const states = rig
      .query<{ payload: string }>("SELECT payload FROM acd_events WHERE type = 'acd.agent.state-changed' AND agent_id = '1002' AND call_id = ? ORDER BY seq", callId)
      .map((r) => (JSON.parse(r.payload) as { to: string }).to);
    return states.at(-1) === 'idle' && states;
  }, 5_000);
}

/**
 * A UDP relay between one phone and the daemon that keeps every SIP message it carries: a
 * request the phone sends to `uri(user)` reaches the daemon through it, and the daemon answers
 * to the relay (the Via's rport, RFC 3581 §4), so both the INVITE and its 200 are seen.
 */
class SipTap {
  readonly seen: string[] = [];
  private phone: dgram.RemoteInfo | null = null;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly daemonPort: number,
  ) {
    socket.on('message', (msg, from) => {
      this.seen.push(msg.toString('utf8'));
      if (from.port === this.daemonPort) {
        if (this.phone) socket.send(msg, this.phone.port, this.phone.address);
      } else {
        this.phone = from;
        socket.send(msg, this.daemonPort, '127.0.0.1');
      }
    });
  }

  static async open(daemonPort: number): Promise<SipTap> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    socket.unref();
    return new SipTap(socket, daemonPort);
  }

  uri(user: string): string {
    return `sip:${user}@127.0.0.1:${this.socket.address().port}`;
  }

  /** The dialog the phone's INVITE to `user` created, as Replaces names it at the appliance (its tag is the To tag). */
  dialog(user: string): { callId: string; toTag: string; fromTag: string } | null {
    const header = (m: string, name: string): string | undefined => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(m)?.[1]?.trim();
    const tag = (v: string | undefined): string | undefined => /;\s*tag=([^;>\s]+)/i.exec(v ?? '')?.[1];
    for (const m of this.seen) {
      if (!/^SIP\/2\.0 200 /.test(m) || !/INVITE/i.test(header(m, 'CSeq') ?? '') || !(header(m, 'To') ?? '').includes(`sip:${user}@`)) continue;
      const callId = header(m, 'Call-ID');
      const toTag = tag(header(m, 'To'));
      const fromTag = tag(header(m, 'From'));
      if (callId && toTag && fromTag) return { callId, toTag, fromTag };
    }
    return null;
  }

  close(): void {
    this.socket.close();
  }
}

/** 1001 dials the queue; resolves once the agent answered and is bridged, with the ACD's call id. */
async function callToAgent(): Promise<string> {
  const up = nextEvent(agent, 'CALL_ESTABLISHED', 10_000);
  await caller.command('dial', rig.sipUri('95599'));
  await up;
  const snap = await snapshotWhen('the agent in the call', (s) => s.state === 'in-call' && !!s.callId);
  await sleep(500);
  return snap.callId!;
}

/**
 * After a transfer the agent handed on: the agent goes to wrap-up, the caller stays up through it,
 * the agent is idle again; then 1003 hangs up and the caller's call ends with it.
 */
async function wrapUpThenTargetHangsUp(t: ExecutionContext, n: { callerDown: number; otherDown: number }): Promise<void> {
  const wrap = await snapshotWhen('the agent out of the call', (s) => s.state !== 'in-call', 5_000);
  t.is(wrap.state, 'wrap-up');
  await sleep(2_000);
  t.is(countEvents(caller, 'CALL_CLOSED'), n.callerDown, 'the caller is still up after the agent’s wrap-up');
  t.like(await snapshot('1002'), { status: 'available', state: 'idle' });

  const callerClosed = nextEvent(caller, 'CALL_CLOSED', 10_000);
  await other.command('hangup');
  await nthEvent(other, 'CALL_CLOSED', n.otherDown + 1);
  await callerClosed;
}

serial('the agent logs in by feature code *21', async (t) => {
  const closed = nextEvent(agent, 'CALL_CLOSED', 10_000);
  await agent.command('dial', rig.sipUri('*21'));
  await closed;
  t.like(await snapshot('1002'), { status: 'available', state: 'idle' });
});

serial('blind transfer from the agent phone: 1003 answers, caller and 1003 hear each other, the agent goes to wrap-up then idle, the CDR shows the transfer', async (t) => {
  const since = Date.now();
  const n = { callerDown: countEvents(caller, 'CALL_CLOSED'), otherUp: countEvents(other, 'CALL_ESTABLISHED'), otherDown: countEvents(other, 'CALL_CLOSED') };
  const callId = await callToAgent();
  const agentClosed = nextEvent(agent, 'CALL_CLOSED', 15_000);

  await agent.command('transfer', rig.sipUri('1003'));
  await nthEvent(other, 'CALL_ESTABLISHED', n.otherUp + 1);
  await agentClosed;
  t.is(countEvents(caller, 'CALL_CLOSED'), n.callerDown, 'the caller stays in its call');

  // The ACD: the agent left the call (wrap-up), then is idle and available again.
  await wrapUpThenTargetHangsUp(t, n);

  const legs = await rig.until('the CDR', () => {
    // The CDR row first: its legs are committed in the same transaction, so once it is there they are too.
    if (rig.query('SELECT call_id FROM cdrs WHERE call_id = ?', callId).length === 0) return false;
    return rig.query<{ leg_id: string; direction: string; party: string; answered_at: number | null }>('SELECT leg_id, direction, party, answered_at FROM cdr_legs WHERE call_id = ? ORDER BY position', callId);
  });
  t.deepEqual(
    legs.map((l) => [l.direction, l.party, l.answered_at !== null]),
    [
      ['inbound', '1001', true],
      ['outbound', '1002', true],
      ['outbound', '1003', true],
    ],
  );
  const [transfer] = rig.query<{ kind: string; transferor_leg: string; transferee_leg: string; target_leg: string; target: string; outcome: number }>(
    'SELECT kind, transferor_leg, transferee_leg, target_leg, target, outcome FROM cdr_transfers WHERE call_id = ?',
    callId,
  );
  t.deepEqual(transfer, { kind: 'blind', transferor_leg: legs[1]!.leg_id, transferee_leg: legs[0]!.leg_id, target_leg: legs[2]!.leg_id, target: '1003', outcome: 200 });

  t.deepEqual((await statesUntilIdle(callId)).slice(-3), ['in-call', 'wrap-up', 'idle']);
  t.is(rig.query("SELECT 1 FROM acd_events WHERE type = 'acd.call.completed' AND call_id = ?", callId).length, 1);

  const callerHeard = await rig.until('the caller’s recording', () => lastHeardSince(caller, since));
  const otherHeard = await rig.until('1003’s recording', () => lastHeardSince(other, since));
  t.true(heard(otherHeard, F.caller) >= 4, '1003 heard the caller');
  t.true(heard(callerHeard, F.other) >= 4, 'the caller heard 1003');
});

serial('attended transfer from the agent phone: hold, consult 1003, REFER with Replaces; caller and 1003 bridged, the agent leaves both calls to wrap-up then idle, both CDRs show it', async (t) => {
  const tap = await SipTap.open(rig.sipPort);
  t.teardown(() => tap.close());
  const since = Date.now();
  const n = {
    callerDown: countEvents(caller, 'CALL_CLOSED'),
    agentUp: countEvents(agent, 'CALL_ESTABLISHED'),
    agentDown: countEvents(agent, 'CALL_CLOSED'),
    otherUp: countEvents(other, 'CALL_ESTABLISHED'),
    otherDown: countEvents(other, 'CALL_CLOSED'),
  };
  const callId = await callToAgent();
  await agent.command('hold');
  await sleep(300);
  await agent.command('dial', tap.uri('1003'));
  await nthEvent(other, 'CALL_ESTABLISHED', n.otherUp + 1);
  await nthEvent(agent, 'CALL_ESTABLISHED', n.agentUp + 2);
  const consult = await until('the consultation dialog on the wire', () => tap.dialog('1003'), 5_000);
  t.log(`consultation dialog ${consult.callId}`);
  await agent.command('line', '1');
  await agent.command('transfer', `<${rig.sipUri('1003')}?Replaces=${encodeURIComponent(formatReplaces(consult))}>`);
  await nthEvent(agent, 'CALL_CLOSED', n.agentDown + 2, 10_000);
  t.is(countEvents(caller, 'CALL_CLOSED'), n.callerDown, 'the caller stays up');
  t.is(countEvents(other, 'CALL_CLOSED'), n.otherDown, '1003 stays up');

  await wrapUpThenTargetHangsUp(t, n);

  type Transfer = { call_id: string; kind: string; transferor_leg: string; transferee_leg: string | null; target_leg: string | null; target: string; replaced_call_id: string | null; outcome: number };
  const mine = await rig.until('the queue call’s CDR', () => rig.query<Transfer>('SELECT t.* FROM cdr_transfers t JOIN cdrs c USING (call_id) WHERE t.call_id = ?', callId)[0]);
  t.like(mine, { kind: 'attended', target: '1003', outcome: 200 });
  const consultCallId = mine.replaced_call_id!;
  const theirs = await rig.until('the consultation’s CDR', () => rig.query<Transfer>('SELECT t.* FROM cdr_transfers t JOIN cdrs c USING (call_id) WHERE t.call_id = ?', consultCallId)[0]);
  t.like(theirs, { kind: 'attended', replaced_call_id: callId, outcome: 200 });
  const legs = (id: string): Array<{ leg_id: string; direction: string; party: string }> => rig.query('SELECT leg_id, direction, party FROM cdr_legs WHERE call_id = ? ORDER BY position', id);
  const [callerLeg, agentLeg] = legs(callId);
  const [consultLeg, targetLeg] = legs(consultCallId);
  t.deepEqual([callerLeg?.party, agentLeg?.party, consultLeg?.party, targetLeg?.party], ['1001', '1002', '1002', '1003']);
  t.like(mine, { transferor_leg: agentLeg!.leg_id, transferee_leg: callerLeg!.leg_id, target_leg: targetLeg!.leg_id });

  t.deepEqual((await statesUntilIdle(callId)).slice(-3), ['in-call', 'wrap-up', 'idle']);

  const callerHeard = await rig.until('the caller’s recording', () => lastHeardSince(caller, since));
  const otherHeard = await rig.until('1003’s recording', () => lastHeardSince(other, since));
  t.true(heard(otherHeard, F.caller) >= 4, '1003 heard the caller');
  t.true(heard(callerHeard, F.other) >= 4, 'the caller heard 1003');
});

serial('blind transfer to a busy extension: the caller stays up while 1003 rings; 486 reaches the agent phone and the CDR; the agent is never left in-call', async (t) => {
  const n = { callerDown: countEvents(caller, 'CALL_CLOSED'), otherDown: countEvents(other, 'CALL_CLOSED') };
  const callId = await callToAgent();
  await other.command('answermode', 'manual');
  t.teardown(() => other.command('answermode', 'auto'));
  const ringing = nextEvent(other, 'CALL_INCOMING', 10_000);
  const failed = nextEvent(agent, 'TRANSFER_FAILED', 10_000);
  await agent.command('transfer', rig.sipUri('1003'));
  await ringing;
  await sleep(500);
  t.is(countEvents(caller, 'CALL_CLOSED'), n.callerDown, 'the caller is up while the target rings');
  await other.command('hangup');
  t.regex(String((await failed).param), /^486\b/, 'NOTIFY with the target’s 486 (RFC 3515 §2.4.5)');
  await nthEvent(other, 'CALL_CLOSED', n.otherDown + 1);

  // RFC 5589 §6.2 gives the agent the caller back; baresip 1.0 then ends its call itself (its BYE
  // follows the final NOTIFY), which ends the queue call as any agent hang-up does.
  const callerClosed = nthEvent(caller, 'CALL_CLOSED', n.callerDown + 1, 10_000);
  await sleep(500);
  await agent.command('hangup');
  await callerClosed;
  await snapshotWhen('the agent idle again', (s) => s.state === 'idle', 5_000);
  const transfers = await rig.until('the CDR', () => rig.query('SELECT call_id FROM cdrs WHERE call_id = ?', callId).length > 0 && rig.query<{ kind: string; target: string; outcome: number }>('SELECT kind, target, outcome FROM cdr_transfers WHERE call_id = ?', callId));
  t.deepEqual(transfers, [{ kind: 'blind', target: '1003', outcome: 486 }]);
  t.deepEqual((await statesUntilIdle(callId)).slice(-3), ['in-call', 'wrap-up', 'idle']);
});
