/**
 * The agent desktop's call controls on real calls (issue 9; calls/agent-call-control.ts): the
 * REAL daemon (daemon/testing/daemon-rig.ts) and three baresip phones, each sending its own
 * tone so every recording says who was heard:
 *
 *   1001 caller 1000 Hz · 1002 agent 600 Hz · 1003 another extension 800 Hz
 *
 * The agent signs in to the control panel as panel user `1002` (the ACD agent of that login)
 * and presses the desk's buttons (POST /desk/call with the session's CSRF token, as htmx does):
 *
 *  1. hold → the caller hears the hold music (HOLD_MUSIC's 523 Hz) and not the agent; resume →
 *     the agent again; hang up from the desk → both legs end, the CDR says cause 16 (normal
 *     clearing) with both legs.
 *  2. blind transfer to 1003 → 1003 rings and answers, the caller hears 1003, the agent's leg is
 *     cleared, the CDR lists the transfer (blind, target 1003, 200).
 */
import test from 'ava';
import { HOLD_MUSIC } from './agent-call-control.js';
import { samplesSoFar, toneMax, wavSamples } from '../acd/testing/recordings.js';
import { haveBaresip, lastHeard, nextEvent, waitRegistered } from '../daemon/testing/baresip-phone.js';
import { startRig, type ApiCall, type DaemonRig } from '../daemon/testing/daemon-rig.js';
import { sleep } from '../daemon/testing/wait.js';
import type { Baresip } from './testing/baresip.js';
import { PanelClient, setupAdmin, USER_PASSWORD, type Harness } from '../../control-panel/testing/panel-harness.js';

const serial = haveBaresip ? test.serial : test.serial.skip;

const F = { caller: 1000, agent: 600, other: 800, music: HOLD_MUSIC.segments[0]!.freqs[0]! } as const;
const HEARD = 1000;
const SILENT = 300;

let rig: DaemonRig;
let api: ApiCall;
let caller: Baresip;
let agent: Baresip;
let other: Baresip;
let desk: PanelClient;

test.before(async () => {
  if (!haveBaresip) return;
  rig = await startRig({ phones: 3, config: { acd: { reconcileIntervalMs: 1000 } } });
  const [, , , , key] = await Promise.all([
    rig.extension('1001', 'caller'),
    rig.extension('1002', 'agent'),
    rig.extension('1003', 'other'),
    rig.route('agents', '95599', 'queue:hotline'),
    rig.apiKey('desk-e2e', ['queues:write', 'queues:read', 'acd:supervise']),
  ]);
  api = rig.api(key!);
  [caller, agent, other] = await Promise.all([
    rig.phone({ name: 'caller', user: '1001', tone: { freq: F.caller, toneMs: 40_000 }, answer: false }),
    rig.phone({ name: 'agent', user: '1002', tone: { freq: F.agent, toneMs: 40_000 }, answer: true }),
    rig.phone({ name: 'other', user: '1003', tone: { freq: F.other, toneMs: 40_000 }, answer: true }),
  ]);
  await Promise.all([caller, agent, other].map((p) => waitRegistered(p)));
  await api('POST', '/acd/queues', {
    id: 'hotline',
    name: '95599',
    strategy: 'ring-all',
    ringTimeoutMs: 5_000,
    wrapUpMs: 0,
    maxLength: 0,
    maxWaitMs: 0,
    joinWhenEmpty: 'never',
    leaveWhenEmpty: 'never',
    serviceLevelMs: 20_000,
    shortAbandonMs: 5_000,
    defaultAhtMs: 60_000,
  });
  await api('POST', '/acd/agents', { id: '1002', name: 'Agent 1002', skills: {}, memberships: [{ queueId: 'hotline', penalty: 0 }] });
  await api('PUT', '/acd/agents/1002/status', { status: 'available' });

  // The control panel: first-run administrator, then the agent's panel user (login = ACD agent id).
  const setupCode = /setup code:\s+(\S+)/.exec(rig.daemon.stdout())?.[1];
  if (!setupCode) throw new Error(`no setup code printed: ${rig.output()}`);
  const h = { base: rig.url.replace(/\/$/, ''), setupCode } as Harness;
  const admin = await setupAdmin(h);
  await admin.get('/admin/users');
  const created = await admin.post('/admin/users', { login: '1002', displayName: '坐席1002', password: 'temporary-pass-1', roles: ['agent'] });
  if (created.status !== 303) throw new Error(`create agent user: ${created.status}`);
  desk = new PanelClient(h.base);
  await desk.login('1002', 'temporary-pass-1');
  await desk.get('/account/password');
  await desk.post('/account/password', { current: 'temporary-pass-1', password: USER_PASSWORD, confirm: USER_PASSWORD });
  await desk.get('/desk');
});

test.afterEach.always((t) => {
  if (!t.passed && rig) t.log(rig.output());
});

test.after.always(async () => {
  await rig?.stop();
});

async function press(action: string, callId: string, extra: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return desk.post('/desk/call', { action, callId, ...extra }, { 'HX-Request': 'true' });
}

/** 1001 dials the queue; resolves once the agent answered, with the ACD's call id. */
async function callToAgent(): Promise<string> {
  const up = nextEvent(agent, 'CALL_ESTABLISHED', 10_000);
  await caller.command('dial', rig.sipUri('95599'));
  await up;
  const snap = await rig.until('the agent in the call', async () => {
    const s = await api<{ state: string; callId: string | null }>('GET', '/acd/agents/1002/snapshot');
    return s.state === 'in-call' && s.callId ? s : null;
  });
  // The ACD says in-call when the agent answers; caller and agent are bridged just after.
  await sleep(500);
  return snap.callId!;
}

serial('desk: hold → the caller hears hold music and not the agent; resume; hang up ends both legs with cause 16 in the CDR', async (t) => {
  const knownC = caller.recordings();
  const callId = await callToAgent();
  const rec = await rig.until('caller recording', () => lastHeard(caller, knownC));
  await sleep(1_500);
  const talking = samplesSoFar(rec);
  const held = await press('hold', callId);
  t.is(held.status, 200, held.text);
  const holdAt = samplesSoFar(rec);
  await sleep(2_500);
  const resumed = await press('unhold', callId);
  t.is(resumed.status, 200, resumed.text);
  const resumeAt = samplesSoFar(rec);
  await sleep(2_000);
  t.is((await press('unhold', callId)).status, 409, 'resume while talking is refused');

  // DTMF to the caller (RFC 4733 through the media engine) and a paused span in the recording.
  const dtmf = nextEvent(caller, 'CALL_DTMF_START', 5_000);
  t.is((await press('dtmf', callId, { digits: '5' })).status, 200);
  t.like(await dtmf, { param: '5' });
  t.is((await press('record-pause', callId)).status, 200);
  await sleep(600);
  t.is((await press('record-resume', callId)).status, 200);

  const callerClosed = nextEvent(caller, 'CALL_CLOSED', 10_000);
  const agentClosed = nextEvent(agent, 'CALL_CLOSED', 10_000);
  const hung = await press('hangup', callId);
  t.is(hung.status, 200, hung.text);
  await Promise.all([callerClosed, agentClosed]);

  const C = wavSamples(rec).samples;
  const m = 4_000; // 0.5 s margin either side of a switch
  const report = {
    talkingAgent: toneMax(C, F.agent, { from: talking - 8_000, to: holdAt - m }),
    heldAgent: toneMax(C, F.agent, { from: holdAt + m, to: resumeAt - m }),
    heldMusic: toneMax(C, F.music, { from: holdAt + m, to: resumeAt - m }),
    resumedAgent: toneMax(C, F.agent, { from: resumeAt + m }),
    resumedMusic: toneMax(C, F.music, { from: resumeAt + m }),
  };
  t.log(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v)));
  t.true(report.talkingAgent > HEARD, 'before hold the caller hears the agent');
  t.true(report.heldAgent < SILENT, 'on hold the caller does not hear the agent');
  t.true(report.heldMusic > HEARD, 'on hold the caller hears the hold music');
  t.true(report.resumedAgent > HEARD, 'after resume the agent again');
  t.true(report.resumedMusic < SILENT, 'and no more music');

  const cdr = await rig.until('the CDR', () => rig.query<{ cause: number; ended_by: string }>('SELECT cause, ended_by FROM cdrs WHERE call_id = ?', callId)[0]);
  t.is(cdr.cause, 16);
  const legs = rig.query<{ party: string; cause: number }>('SELECT party, cause FROM cdr_legs WHERE call_id = ? ORDER BY position', callId);
  t.deepEqual(legs.map((l) => [l.party, l.cause]), [
    ['1001', 16],
    ['1002', 16],
  ]);
  const audit = rig.query<{ action: string }>("SELECT action FROM audit_log WHERE action LIKE 'call.%' AND target = ? ORDER BY id", `call:${callId}`).map((r) => r.action);
  t.deepEqual(audit, ['call.hold', 'call.unhold', 'call.unhold', 'call.dtmf', 'call.record-pause', 'call.record-resume', 'call.hangup']);
  const recording = await rig.until('the recording row', () => rig.query<{ marks: string }>("SELECT marks FROM recordings WHERE call_id = ? AND state != 'open'", callId)[0]);
  const marks = JSON.parse(recording.marks) as Array<{ fromMs: number; toMs: number }>;
  t.is(marks.length, 1, 'one paused span');
  t.true(marks[0]!.toMs - marks[0]!.fromMs >= 400, `paused ${marks[0]!.toMs - marks[0]!.fromMs} ms`);
});

serial('desk: blind transfer to extension 1003 → 1003 answers and talks with the caller, the agent leg is cleared; the CDR lists the transfer', async (t) => {
  await rig.until('agent idle again', async () => (await api<{ state: string }>('GET', '/acd/agents/1002/snapshot')).state === 'idle');
  const knownC = caller.recordings();
  const callId = await callToAgent();
  const otherUp = nextEvent(other, 'CALL_ESTABLISHED', 10_000);
  const agentClosed = nextEvent(agent, 'CALL_CLOSED', 10_000);
  const r = await press('transfer', callId, { toKind: 'number', to: '1003' });
  t.is(r.status, 200, r.text);
  await Promise.all([otherUp, agentClosed]);
  const rec = await rig.until('caller recording', () => lastHeard(caller, knownC));
  const joined = samplesSoFar(rec);
  await sleep(2_000);
  const otherClosed = nextEvent(other, 'CALL_CLOSED', 10_000);
  await caller.command('hangup');
  await otherClosed;
  const heardOther = toneMax(wavSamples(rec).samples, F.other, { from: joined + 4_000 });
  t.log(`caller heard 1003 at ${heardOther.toFixed(0)}`);
  t.true(heardOther > HEARD, 'the caller talks with 1003');

  const cdr = await rig.until('the CDR', () => rig.query<{ cause: number }>('SELECT cause FROM cdrs WHERE call_id = ?', callId)[0]);
  const legs = rig.query<{ party: string }>('SELECT party FROM cdr_legs WHERE call_id = ? ORDER BY position', callId).map((l) => l.party);
  t.deepEqual(legs, ['1001', '1002', '1003']);
  t.is(cdr.cause, 16);
  const transfers = rig.query<{ kind: string; target: string; outcome: number }>('SELECT kind, target, outcome FROM cdr_transfers WHERE call_id = ?', callId);
  t.deepEqual(transfers, [{ kind: 'blind', target: '1003', outcome: 200 }]);
});

serial('desk: consult 1003 (the caller is held), then complete → the caller talks with 1003, the agent leg is cleared; the CDR lists an attended transfer', async (t) => {
  await rig.until('agent idle again', async () => (await api<{ state: string }>('GET', '/acd/agents/1002/snapshot')).state === 'idle');
  const knownC = caller.recordings();
  const knownA = agent.recordings();
  const callId = await callToAgent();
  const recC = await rig.until('caller recording', () => lastHeard(caller, knownC));
  const recA = await rig.until('agent recording', () => lastHeard(agent, knownA));
  const otherUp = nextEvent(other, 'CALL_ESTABLISHED', 10_000);
  t.is((await press('complete', callId)).status, 409, 'nothing to complete yet');
  const r = await press('consult', callId, { toKind: 'number', to: '1003' });
  t.is(r.status, 200, r.text);
  await otherUp;
  const consultC = samplesSoFar(recC);
  const consultA = samplesSoFar(recA);
  await sleep(2_000);
  const agentClosed = nextEvent(agent, 'CALL_CLOSED', 10_000);
  t.is((await press('complete', callId)).status, 200);
  await agentClosed;
  const joined = samplesSoFar(recC);
  await sleep(2_000);
  const otherClosed = nextEvent(other, 'CALL_CLOSED', 10_000);
  await caller.command('hangup');
  await otherClosed;

  const C = wavSamples(recC).samples;
  const A = wavSamples(recA).samples;
  const m = 4_000;
  const report = {
    consultCallerHearsAgent: toneMax(C, F.agent, { from: consultC + m, to: joined - m }),
    consultCallerHearsOther: toneMax(C, F.other, { from: consultC + m, to: joined - m }),
    consultCallerHearsMusic: toneMax(C, F.music, { from: consultC + m, to: joined - m }),
    consultAgentHearsOther: toneMax(A, F.other, { from: consultA + m }),
    consultAgentHearsCaller: toneMax(A, F.caller, { from: consultA + m }),
    afterCallerHearsOther: toneMax(C, F.other, { from: joined + m }),
  };
  t.log(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v)));
  t.true(report.consultCallerHearsMusic > HEARD, 'during the consultation the caller hears hold music');
  t.true(report.consultCallerHearsAgent < SILENT && report.consultCallerHearsOther < SILENT, 'and neither the agent nor the target');
  t.true(report.consultAgentHearsOther > HEARD, 'the agent talks with the target');
  t.true(report.consultAgentHearsCaller < SILENT, 'without the caller');
  t.true(report.afterCallerHearsOther > HEARD, 'after completing, the caller talks with the target');

  await rig.until('the CDR', () => rig.query('SELECT call_id FROM cdrs WHERE call_id = ?', callId)[0]);
  t.deepEqual(rig.query<{ party: string }>('SELECT party FROM cdr_legs WHERE call_id = ? ORDER BY position', callId).map((l) => l.party), ['1001', '1002', '1003']);
  t.deepEqual(rig.query('SELECT kind, target, outcome FROM cdr_transfers WHERE call_id = ?', callId), [{ kind: 'attended', target: '1003', outcome: 200 }]);
});

serial('desk: transfer to the queue → the agent leg is cleared, the ACD queues the caller again and offers it (here: to the same agent, free again)', async (t) => {
  await rig.until('agent idle again', async () => (await api<{ state: string }>('GET', '/acd/agents/1002/snapshot')).state === 'idle');
  const callId = await callToAgent();
  const agentClosed = nextEvent(agent, 'CALL_CLOSED', 10_000);
  const agentAgain = nextEvent(agent, 'CALL_ESTABLISHED', 15_000);
  const r = await press('transfer', callId, { toKind: 'queue', to: 'hotline' });
  t.is(r.status, 200, r.text);
  await agentClosed;
  await agentAgain;
  const again = await rig.until('the agent in the call again', async () => {
    const s = await api<{ state: string; callId: string | null }>('GET', '/acd/agents/1002/snapshot');
    return s.state === 'in-call' ? s : null;
  });
  t.is(again.callId, callId, 'the same call, queued again');
  const closed = nextEvent(caller, 'CALL_CLOSED', 10_000);
  await sleep(500);
  t.is((await press('hangup', callId)).status, 200);
  await closed;
  await rig.until('the CDR', () => rig.query('SELECT call_id FROM cdrs WHERE call_id = ?', callId)[0]);
  t.deepEqual(rig.query<{ party: string }>('SELECT party FROM cdr_legs WHERE call_id = ? ORDER BY position', callId).map((l) => l.party), ['1001', '1002', '1002']);
  t.deepEqual(rig.query('SELECT kind, target, outcome FROM cdr_transfers WHERE call_id = ?', callId), [{ kind: 'blind', target: 'queue:hotline', outcome: 200 }]);
});

serial('desk: consult 1003, then conference → all three hear each other; the agent hangs up and caller and 1003 go on', async (t) => {
  await rig.until('agent idle again', async () => (await api<{ state: string }>('GET', '/acd/agents/1002/snapshot')).state === 'idle');
  const knownC = caller.recordings();
  const knownO = other.recordings();
  const callId = await callToAgent();
  const otherUp = nextEvent(other, 'CALL_ESTABLISHED', 10_000);
  t.is((await press('consult', callId, { toKind: 'number', to: '1003' })).status, 200);
  await otherUp;
  const recC = await rig.until('caller recording', () => lastHeard(caller, knownC));
  const recO = await rig.until('1003 recording', () => lastHeard(other, knownO));
  t.is((await press('conference', callId)).status, 200);
  const confC = samplesSoFar(recC);
  const confO = samplesSoFar(recO);
  await sleep(2_000);
  const agentClosed = nextEvent(agent, 'CALL_CLOSED', 10_000);
  t.is((await press('hangup', callId)).status, 200);
  await agentClosed;
  const afterC = samplesSoFar(recC);
  await sleep(1_500);
  const otherClosed = nextEvent(other, 'CALL_CLOSED', 10_000);
  await caller.command('hangup');
  await otherClosed;
  const C = wavSamples(recC).samples;
  const O = wavSamples(recO).samples;
  const m = 4_000;
  const report = {
    callerHearsAgent: toneMax(C, F.agent, { from: confC + m, to: afterC - m }),
    callerHearsOther: toneMax(C, F.other, { from: confC + m, to: afterC - m }),
    otherHearsCaller: toneMax(O, F.caller, { from: confO + m }),
    afterCallerHearsOther: toneMax(C, F.other, { from: afterC + m }),
    afterCallerHearsAgent: toneMax(C, F.agent, { from: afterC + m }),
  };
  t.log(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v)));
  t.true(report.callerHearsAgent > HEARD && report.callerHearsOther > HEARD, 'in conference the caller hears agent and target');
  t.true(report.otherHearsCaller > HEARD, 'the target hears the caller');
  t.true(report.afterCallerHearsOther > HEARD, 'after the agent left, caller and target still talk');
  t.true(report.afterCallerHearsAgent < SILENT, 'without the agent');
});
