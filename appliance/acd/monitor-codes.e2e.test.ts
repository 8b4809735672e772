/**
 * Supervisor monitoring by feature code, end to end (issue 6 "Supervision", calls/monitor-codes.ts):
 * the REAL daemon (daemon/testing/daemon-rig.ts) and four baresip phones, each sending a tone of
 * its own frequency so every recording says who was heard:
 *
 *   1001 caller 1000 Hz · 1002 agent 600 Hz · 1003 an agent-role user 800 Hz · 1004 supervisor 1800 Hz
 *
 * 1001 calls the queue and talks to 1002. Then:
 *  - 1003 (a panel user whose role is `agent`: no supervisor × monitor) dials *901002 and hears
 *    the congestion tone; the refusal is audited;
 *  - 1004 (a panel user with the built-in `supervisor` role) dials *901002 (listen: hears caller
 *    and agent, heard by nobody), *911002 (whisper: heard by the agent only), *921002 (barge:
 *    heard by both), then presses 4 (back to listen: heard by nobody again);
 * checked by Goertzel over the phases of each phone's recording; every session is audited.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Baresip, BaresipEvent } from '../calls/testing/baresip.js';
import { silentLogger } from '../core/log.js';
import { systemClock } from '../core/clock.js';
import { AuditLog } from '../ops/audit.js';
import { DB_FILE_NAME, openStore } from '../store/database.js';
import { Users } from '../../control-panel/auth/users.js';
import { startRig, type ApiCall, type DaemonRig } from '../daemon/testing/daemon-rig.js';
import { sleep } from '../daemon/testing/wait.js';
import { samplesSoFar, toneMax, wavSamples } from './testing/recordings.js';

const haveBaresip = existsSync('/usr/bin/baresip') && existsSync('/usr/lib/baresip/modules/ctrl_tcp.so');
const serial = haveBaresip ? test.serial : test.serial.skip;

const F = { caller: 1000, agent: 600, other: 800, supervisor: 1800, congestion: 450 } as const;
/** Goertzel amplitude (500 ms windows) above which a tone was heard, below which it was not. */
const HEARD = 1000;
const SILENT = 300;

let rig: DaemonRig;
let api: ApiCall;
let caller: Baresip;
let agent: Baresip;
let other: Baresip;
let sup: Baresip;

// eslint-disable-next-line no-control-regex -- baresip colours `reginfo`
const ANSI = /\x1b\[[0-9;]*m/g;

/** The next event of `type` from now on (baresip's own waitEvent also returns past ones). */
function next(p: Baresip, type: string, ms = 10_000): Promise<BaresipEvent> {
  const mark = p.events.length;
  return p.waitEvent(type, ms, (e) => p.events.indexOf(e) >= mark);
}

function newDec(p: Baresip, known: readonly string[]): string | undefined {
  return p.recordings().filter((f) => f.endsWith('-dec.wav') && !known.includes(f)).sort().pop();
}

type Session = { id: string; supervisor: string; agentId: string; mode: string; state: string; endReason: string | null };

async function activeSession(): Promise<Session> {
  return rig.until('a monitoring session active', async () => (await api<{ items: Session[] }>('GET', '/acd/monitor')).items.find((s) => s.state === 'active'), 8_000);
}

test.before(async () => {
  if (!haveBaresip) return;
  rig = await startRig({ phones: 4, config: { acd: { reconcileIntervalMs: 1000 } } });
  const [, , , , , keyOut] = await Promise.all([
    rig.extension('1001', 'caller'),
    rig.extension('1002', 'agent'),
    rig.extension('1003', 'agent role'),
    rig.extension('1004', 'supervisor'),
    rig.route('agents', '95599', 'queue:hotline'),
    rig.apiKey('monitor-codes-e2e', ['queues:write', 'queues:read', 'acd:supervise']),
  ]);
  api = rig.api(keyOut);
  // Panel users whose logins are the phones' extensions, created as an administrator would.
  const store = openStore({ file: path.join(rig.inst.dataDir, DB_FILE_NAME), clock: systemClock, log: silentLogger() });
  try {
    const users = new Users({ db: store.db, clock: systemClock, audit: new AuditLog({ db: store.db, clock: systemClock }) });
    const by = { actor: 'e2e-admin', ip: null };
    await users.create({ login: '1004', displayName: 'Supervisor', password: 'Kettle-Orchard-77', roles: ['supervisor'] }, by);
    await users.create({ login: '1003', displayName: 'Agent', password: 'Lantern-Meadow-58', roles: ['agent'] }, by);
  } finally {
    await store.close();
  }
  [caller, agent, other, sup] = await Promise.all([
    rig.phone({ name: 'caller', user: '1001', tone: { freq: F.caller, toneMs: 60_000 }, answer: false }),
    rig.phone({ name: 'agent', user: '1002', tone: { freq: F.agent, toneMs: 60_000 }, answer: true }),
    rig.phone({ name: 'other', user: '1003', tone: { freq: F.other }, answer: false }),
    rig.phone({ name: 'sup', user: '1004', tone: { freq: F.supervisor, toneMs: 60_000 }, answer: false }),
  ]);
  for (const p of [caller, agent, other, sup]) await rig.until(`${p.name} registered`, async () => /\bOK\b/.test(String((await p.command('reginfo'))['data'] ?? '').replace(ANSI, ' ')));
  await api('POST', '/acd/queues', {
    id: 'hotline',
    name: '95599',
    strategy: 'least-recent',
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
});

test.afterEach.always((t) => {
  if (!t.passed && rig) t.log(`daemon output:\n${rig.output()}`);
});

test.after.always(async () => {
  await rig?.stop();
});

serial('listen, whisper and barge by *90 / *91 / *92 and DTMF: each party hears exactly what it should; others are refused; all audited', async (t) => {
  // The agent logs in by its own feature code (the agent codes share the service with the monitoring codes).
  const loggedIn = next(agent, 'CALL_CLOSED');
  await agent.command('dial', rig.sipUri('*21'));
  await loggedIn;
  await rig.until('1002 available', async () => (await api<{ status: string }>('GET', '/acd/agents/1002/snapshot')).status === 'available');

  const knownC = caller.recordings();
  const knownA = agent.recordings();
  const agentUp = next(agent, 'CALL_ESTABLISHED', 8_000);
  await caller.command('dial', rig.sipUri('95599'));
  await agentUp;
  const recC = await rig.until('caller recording', () => newDec(caller, knownC));
  const recA = await rig.until('agent recording', () => newDec(agent, knownA));

  // Least privilege: an agent-role user's phone is refused with the congestion tone.
  const knownO = other.recordings();
  const refusedClosed = next(other, 'CALL_CLOSED', 10_000);
  await other.command('dial', rig.sipUri('*901002'));
  await refusedClosed;
  const heardByOther = wavSamples(await rig.until('1003 recording', () => newDec(other, knownO), 3_000)).samples;
  t.true(toneMax(heardByOther, F.congestion, { windowMs: 200 }) > HEARD, '1003 hears congestion');
  t.true(toneMax(heardByOther, F.caller) < SILENT && toneMax(heardByOther, F.agent) < SILENT, '1003 hears neither party');

  const mark = (): { c: number; a: number } => ({ c: samplesSoFar(recC), a: samplesSoFar(recA) });
  /** The supervisor dials a code; resolves with the phases' marks and its own recording once it hung up. */
  async function session(code: string, then?: (s: Session) => Promise<void>): Promise<{ from: { c: number; a: number }; to: { c: number; a: number }; rec: string; session: Session; dtmfAt?: { c: number; a: number; s: number } }> {
    const known = sup.recordings();
    const up = next(sup, 'CALL_ESTABLISHED', 8_000);
    await sup.command('dial', rig.sipUri(code));
    await up;
    const s = await activeSession();
    const rec = await rig.until('supervisor recording', () => newDec(sup, known));
    const from = mark();
    await sleep(2_500);
    let dtmfAt: { c: number; a: number; s: number } | undefined;
    if (then) {
      dtmfAt = { ...mark(), s: samplesSoFar(rec) };
      await then(s);
      await sleep(2_500);
    }
    const to = mark();
    const closed = next(sup, 'CALL_CLOSED', 8_000);
    await sup.command('hangup');
    await closed;
    await rig.until('session ended', async () => (await api<Session>('GET', `/acd/monitor/${s.id}`)).state === 'ended');
    return { from, to, rec, session: s, ...(dtmfAt ? { dtmfAt } : {}) };
  }

  const listen = await session('*901002');
  t.like(listen.session, { supervisor: '1004', agentId: '1002', mode: 'listen' });
  const whisper = await session('*911002');
  t.is(whisper.session.mode, 'whisper');
  const barge = await session('*921002', async (s) => {
    await sup.command('sndcode', '4');
    await rig.until('back to listen by DTMF 4', async () => (await api<Session>('GET', `/acd/monitor/${s.id}`)).mode === 'listen', 5_000);
  });
  t.is(barge.session.mode, 'barge');

  const callerClosed = next(caller, 'CALL_CLOSED', 8_000);
  await caller.command('hangup');
  await callerClosed;

  const m = 4_000; // 0.5 s margin either side of a switch
  const C = wavSamples(recC).samples;
  const A = wavSamples(recA).samples;
  const tone = (x: Int16Array, f: number, from: number, to: number): number => toneMax(x, f, { from: from + m, to: to - m });
  const supHeard = (r: { rec: string }, f: number, from = 0, to?: number): number => {
    const S = wavSamples(r.rec).samples;
    return tone(S, f, from, to ?? S.length);
  };
  const d = barge.dtmfAt!;
  const report = {
    listen: { supHearsCaller: supHeard(listen, F.caller), supHearsAgent: supHeard(listen, F.agent), callerHearsSup: tone(C, F.supervisor, listen.from.c, listen.to.c), agentHearsSup: tone(A, F.supervisor, listen.from.a, listen.to.a) },
    whisper: { supHearsCaller: supHeard(whisper, F.caller), agentHearsSup: tone(A, F.supervisor, whisper.from.a, whisper.to.a), callerHearsSup: tone(C, F.supervisor, whisper.from.c, whisper.to.c) },
    barge: { callerHearsSup: tone(C, F.supervisor, barge.from.c, d.c), agentHearsSup: tone(A, F.supervisor, barge.from.a, d.a), callerHearsAgent: tone(C, F.agent, barge.from.c, d.c) },
    dtmfListen: { callerHearsSup: tone(C, F.supervisor, d.c, barge.to.c), agentHearsSup: tone(A, F.supervisor, d.a, barge.to.a), supHearsCaller: supHeard(barge, F.caller, d.s) },
  };
  t.log(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v)));
  t.true(report.listen.supHearsCaller > HEARD, 'listen: the supervisor hears the caller');
  t.true(report.listen.supHearsAgent > HEARD, 'listen: the supervisor hears the agent');
  t.true(report.listen.callerHearsSup < SILENT, 'listen: the caller does not hear the supervisor');
  t.true(report.listen.agentHearsSup < SILENT, 'listen: the agent does not hear the supervisor');
  t.true(report.whisper.supHearsCaller > HEARD, 'whisper: the supervisor still hears the caller');
  t.true(report.whisper.agentHearsSup > HEARD, 'whisper: the agent hears the supervisor');
  t.true(report.whisper.callerHearsSup < SILENT, 'whisper: the caller does not');
  t.true(report.barge.callerHearsSup > HEARD, 'barge: the caller hears the supervisor');
  t.true(report.barge.agentHearsSup > HEARD, 'barge: the agent hears the supervisor');
  t.true(report.barge.callerHearsAgent > HEARD, 'barge: caller and agent still hear each other');
  t.true(report.dtmfListen.callerHearsSup < SILENT, 'DTMF 4: the caller no longer hears the supervisor');
  t.true(report.dtmfListen.agentHearsSup < SILENT, 'DTMF 4: nor does the agent');
  t.true(report.dtmfListen.supHearsCaller > HEARD, 'DTMF 4: the supervisor still hears the caller');

  const audit = rig.query<{ action: string; actor: string; after: string }>("SELECT action, actor, after FROM audit_log WHERE action LIKE 'acd-monitor.%' ORDER BY id");
  t.deepEqual(
    audit.map((a) => [a.action, a.actor]),
    [
      ['acd-monitor.refused', 'phone:1003'],
      ['acd-monitor.started', 'phone:1004'],
      ['acd-monitor.ended', 'phone:1004'],
      ['acd-monitor.started', 'phone:1004'],
      ['acd-monitor.ended', 'phone:1004'],
      ['acd-monitor.started', 'phone:1004'],
      ['acd-monitor.mode-changed', 'phone:1004'],
      ['acd-monitor.ended', 'phone:1004'],
    ],
  );
  t.like(JSON.parse(audit[0]!.after) as object, { why: 'not-permitted' });
  t.like(JSON.parse(audit[1]!.after) as object, { agentId: '1002', mode: 'listen', via: 'feature-code' });
});
