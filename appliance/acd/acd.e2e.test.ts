/**
 * The ACD end to end with real peers (issue 6 acceptance): the REAL daemon (main.ts spawned from
 * source, configured by CLI and REST only) and four baresip phones (calls/testing/baresip.ts),
 * each sending a tone of its own frequency so every recording says who was heard:
 *
 *   1001 caller 1000 Hz · 1002 agent A 600 Hz · 1003 agent B 800 Hz · 1004 supervisor 1800 Hz
 *
 *  1. Agents log in by feature code (*21) and hear the confirmation beep; the ACD says available.
 *  2. Calls from 1001 to the queue (rr-memory) alternate between 1002 and 1003 (CDR legs).
 *  3. Ring-no-answer: 1002 takes a break (*23), 1003 stops auto-answering; the offer times out
 *     and 1003 is put on break with reason ring-no-answer.
 *  4. Callback-in-queue: the caller still waiting presses 1, hears the confirmation and is
 *     cleared; 1002 comes back (*24), the ACD rings 1002 FIRST, then calls 1001 back and bridges
 *     them (CDR: agent leg answered before the customer leg was created; tones both ways).
 *  5. Supervision: 1001 → 1002; POST /acd/monitor rings 1004 and taps it in: listen (1004 hears
 *     both, nobody hears 1004), whisper (1002 hears 1004, 1001 does not), barge (both do);
 *     checked by Goertzel over the phases of each phone's recording. Audited.
 *  6. *22 logs 1002 out.
 * Short timers in config (ring 2 s, wrap-up 0) keep the file well under 90 s.
 */
import test from 'ava';
import type { Baresip } from '../calls/testing/baresip.js';
import { haveBaresip, lastHeard, nextEvent, waitRegistered } from '../daemon/testing/baresip-phone.js';
import { startRig, type ApiCall, type DaemonRig } from '../daemon/testing/daemon-rig.js';
import { sleep } from '../daemon/testing/wait.js';
import { samplesSoFar, toneMax, wavSamples } from './testing/recordings.js';
import { queueConfig } from './testing/acd-harness.js';

const serial = haveBaresip ? test.serial : test.serial.skip;

const F = { caller: 1000, agentA: 600, agentB: 800, supervisor: 1800, beep: 1400 } as const;
/** Goertzel amplitude (500 ms windows) above which a tone was heard, below which it was not. */
const HEARD = 1000;
const SILENT = 300;

let rig: DaemonRig;
let api: ApiCall;
let caller: Baresip;
let agentA: Baresip;
let agentB: Baresip;
let sup: Baresip;

const status = (agent: string): Promise<{ status: string; breakReason: string | null; state: string }> => api('GET', `/acd/agents/${agent}/snapshot`);

/** Dial a feature code and wait for the daemon to clear the call; resolves to what the phone heard. */
async function featureCode(p: Baresip, code: string): Promise<string> {
  const known = p.recordings();
  const closed = nextEvent(p, 'CALL_CLOSED', 10_000);
  await p.command('dial', rig.sipUri(code));
  await closed;
  return rig.until(`${p.name}'s recording of ${code}`, () => lastHeard(p, known), 3_000);
}

type Leg = { direction: string; party: string; created_at: number; answered_at: number | null };

function legsOf(callId: string): Leg[] {
  return rig.query<Leg>('SELECT direction, party, created_at, answered_at FROM cdr_legs WHERE call_id = ? ORDER BY position', callId);
}

/** 1001 calls the queue, the agent that answers is returned once both sides have hung up. */
async function queueCall(talkMs: number): Promise<{ agent: string; callId: string }> {
  const before = Date.now();
  const estA = nextEvent(agentA, 'CALL_ESTABLISHED', 8_000).then(() => '1002');
  const estB = nextEvent(agentB, 'CALL_ESTABLISHED', 8_000).then(() => '1003');
  estA.catch(() => undefined);
  estB.catch(() => undefined);
  const closed = nextEvent(caller, 'CALL_CLOSED', 15_000);
  await caller.command('dial', rig.sipUri('95599'));
  const agent = await Promise.race([estA, estB]);
  await sleep(talkMs);
  await caller.command('hangup');
  await closed;
  const cdr = await rig.until('the CDR', () => rig.query<{ call_id: string }>("SELECT call_id FROM cdrs WHERE called = '95599' AND started_at >= ? ORDER BY started_at DESC", before)[0], 10_000);
  return { agent, callId: cdr.call_id };
}

test.before(async () => {
  if (!haveBaresip) return;
  const bootAt = performance.now();
  rig = await startRig({ phones: 4, rtpPorts: 40, config: { acd: { reconcileIntervalMs: 1000 } } });
  const phones = [
    { name: 'caller', user: '1001', freq: F.caller, answer: false },
    { name: 'agentA', user: '1002', freq: F.agentA, answer: true },
    { name: 'agentB', user: '1003', freq: F.agentB, answer: true },
    { name: 'sup', user: '1004', freq: F.supervisor, answer: true },
  ];
  const t0 = performance.now();
  // The CLI runs as the operator would (one process per command: in parallel, they share the WAL database).
  const [, , , , , key] = await Promise.all([
    ...phones.map((p) => rig.extension(p.user, p.name)),
    rig.route('agents', '95599', 'queue:hotline'),
    rig.apiKey('acd-e2e', ['queues:write', 'queues:read', 'acd:supervise']),
  ]);
  api = rig.api(key!);
  console.log(`daemon ready in ${(t0 - bootAt).toFixed(0)} ms; CLI set-up ${(performance.now() - t0).toFixed(0)} ms`);
  const phonesUp = await Promise.all(phones.map((p) => rig.phone({ name: p.name, user: p.user, tone: { freq: p.freq, toneMs: 40_000, silenceMs: 1_000 }, answer: p.answer })));
  [caller, agentA, agentB, sup] = phonesUp as [Baresip, Baresip, Baresip, Baresip];
  for (const p of [caller, agentA, agentB, sup]) await waitRegistered(p);
  await api(
    'POST',
    '/acd/queues',
    queueConfig('hotline', {
      name: '95599',
      strategy: 'rr-memory',
      ringTimeoutMs: 2_000,
      defaultAhtMs: 60_000,
      callback: { key: '1', maxAttempts: 2, retryDelayMs: 5_000, expiryMs: 600_000, customerRingMs: 8_000 },
    }),
  );
  for (const id of ['1002', '1003']) await api('POST', '/acd/agents', { id, name: `Agent ${id}`, skills: {}, memberships: [{ queueId: 'hotline', penalty: 0 }] });
});

test.afterEach.always((t) => {
  if (!t.passed && rig) t.log(`daemon output:\n${rig.output(4000)}`);
});

test.after.always(() => rig?.stop());

serial('agents log in by feature code *21 and hear the confirmation beep; a non-agent is refused', async (t) => {
  t.is((await status('1002')).status, 'logged-out');
  const heard = await featureCode(agentA, '*21');
  await featureCode(agentB, '*21');
  t.like(await status('1002'), { status: 'available', state: 'idle' });
  t.like(await status('1003'), { status: 'available', state: 'idle' });
  const { samples } = wavSamples(heard);
  const beep = toneMax(samples, F.beep, { windowMs: 200 });
  t.log(`1002 heard the confirmation at ${beep.toFixed(0)} (1.4 kHz) in ${samples.length} samples`);
  t.true(beep > HEARD, 'the confirmation beep was heard');
  const refused = wavSamples(await featureCode(sup, '*21')).samples;
  t.true(toneMax(refused, 450, { windowMs: 200 }) > HEARD, 'a phone that is no agent hears the congestion tone');
  t.true(toneMax(refused, F.beep, { windowMs: 200 }) < SILENT, 'and no confirmation');
  const changes = rig.query<{ payload: string }>("SELECT payload FROM acd_events WHERE type = 'acd.agent.status-changed' AND agent_id = '1002'");
  t.true(changes.some((c) => (JSON.parse(c.payload) as { to: string; by: string }).to === 'available'));
});

serial('calls from 1001 are distributed round-robin: the answering agent alternates', async (t) => {
  const agents: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await queueCall(600);
    agents.push(r.agent);
    const legs = legsOf(r.callId);
    t.deepEqual(
      legs.map((l) => [l.direction, l.party]),
      [
        ['inbound', '1001'],
        ['outbound', r.agent],
      ],
    );
    await rig.until('agent idle again', async () => (await status(r.agent)).state === 'idle');
  }
  t.log(`answered by ${agents.join(', ')}`);
  t.deepEqual(new Set(agents).size, 2);
  for (let i = 1; i < agents.length; i++) t.not(agents[i], agents[i - 1], `call ${i + 1} went to the other agent`);
});

serial('ring-no-answer puts the agent on break; the waiting caller asks for a callback; the agent is rung first, then the caller is called back and bridged', async (t) => {
  await featureCode(agentA, '*2307');
  t.like(await status('1002'), { status: 'on-break', breakReason: 'code-07' });
  await agentB.command('answermode', 'manual');
  const rang = nextEvent(agentB, 'CALL_INCOMING', 8_000);
  const callerClosed = nextEvent(caller, 'CALL_CLOSED', 20_000);
  await caller.command('dial', rig.sipUri('95599'));
  await nextEvent(caller, 'CALL_ESTABLISHED', 8_000);
  await rang;
  const rna = await rig.until('ring-no-answer break', async () => {
    const s = await status('1003');
    return s.status === 'on-break' ? s : null;
  }, 8_000);
  t.is(rna.breakReason, 'ring-no-answer');
  t.is(rna.state, 'idle');
  await agentB.command('answermode', 'auto');

  // Nobody is available: the caller keeps their place and hangs up (callback-in-queue).
  await sleep(300);
  await caller.command('sndcode', '1');
  await callerClosed;
  const cb = await rig.until('the stored callback', () => rig.query<{ id: string; status: string; number: string }>("SELECT id, status, number FROM acd_callbacks WHERE status = 'pending'")[0]);
  t.is(cb.number, '1001');

  await caller.command('answermode', 'auto');
  const agentUp = nextEvent(agentA, 'CALL_ESTABLISHED', 10_000);
  const customerUp = nextEvent(caller, 'CALL_ESTABLISHED', 15_000);
  const knownA = caller.recordings();
  const knownB = agentA.recordings();
  const before = Date.now();
  await featureCode(agentA, '*24');
  await agentUp;
  await customerUp;
  await sleep(1_500);
  const closed = nextEvent(agentA, 'CALL_CLOSED', 10_000);
  await caller.command('hangup');
  await closed;
  await caller.command('answermode', 'manual');
  const cdr = await rig.until('callback CDR', () =>
    rig.query<{ call_id: string; direction: string; target: string }>("SELECT call_id, direction, target FROM cdrs WHERE route_id = 'callback' AND started_at >= ?", before)[0],
  );
  t.is(cdr.direction, 'outbound');
  const legs = legsOf(cdr.call_id);
  t.deepEqual(
    legs.map((l) => [l.direction, l.party]),
    [
      ['outbound', '1002'],
      ['outbound', '1001'],
    ],
    'agent leg first, then the customer',
  );
  t.true(legs[0]!.answered_at !== null && legs[1]!.created_at >= legs[0]!.answered_at, 'the customer was dialled only after the agent answered');
  t.is(rig.query<{ status: string }>('SELECT status FROM acd_callbacks WHERE id = ?', cb.id)[0]?.status, 'completed');
  const heardByCustomer = wavSamples(await rig.until('customer recording', () => lastHeard(caller, knownA))).samples;
  const heardByAgent = wavSamples(await rig.until('agent recording', () => lastHeard(agentA, knownB))).samples;
  t.log(`callback: customer heard agent at ${toneMax(heardByCustomer, F.agentA).toFixed(0)}, agent heard customer at ${toneMax(heardByAgent, F.caller).toFixed(0)}`);
  t.true(toneMax(heardByCustomer, F.agentA) > HEARD);
  t.true(toneMax(heardByAgent, F.caller) > HEARD);
});

serial('a supervisor listens, whispers, then barges: each party hears exactly what it should', async (t) => {
  // 1003 is still on break (ring-no-answer): 1002 takes the call.
  const knownC = caller.recordings();
  const knownA = agentA.recordings();
  const knownS = sup.recordings();
  const agentUp = nextEvent(agentA, 'CALL_ESTABLISHED', 8_000);
  await caller.command('dial', rig.sipUri('95599'));
  await agentUp;
  const supUp = nextEvent(sup, 'CALL_ESTABLISHED', 8_000);
  const started = await api<{ id: string; state: string; mode: string }>('POST', '/acd/monitor', { supervisor: '1004', agentId: '1002', mode: 'listen' });
  t.like(started, { state: 'ringing', mode: 'listen' });
  await supUp;
  await rig.until('monitoring active', async () => {
    const s = await api<{ state: string; endReason: string | null }>('GET', `/acd/monitor/${started.id}`);
    if (s.state === 'ended') throw new Error(`monitoring ended: ${s.endReason}`);
    return s.state === 'active';
  });
  const recC = await rig.until('caller recording', () => lastHeard(caller, knownC));
  const recA = await rig.until('agent recording', () => lastHeard(agentA, knownA));
  const recS = await rig.until('supervisor recording', () => lastHeard(sup, knownS));
  const mark = (): { c: number; a: number; s: number } => ({ c: samplesSoFar(recC), a: samplesSoFar(recA), s: samplesSoFar(recS) });
  const listen = mark();
  await sleep(2_500);
  const whisper = mark();
  await api('PUT', `/acd/monitor/${started.id}/mode`, { mode: 'whisper' });
  await sleep(2_500);
  const barge = mark();
  await api('PUT', `/acd/monitor/${started.id}/mode`, { mode: 'barge' });
  await sleep(2_500);
  const supClosed = nextEvent(sup, 'CALL_CLOSED', 10_000);
  const agentClosed = nextEvent(agentA, 'CALL_CLOSED', 10_000);
  await caller.command('hangup');
  await Promise.all([supClosed, agentClosed]);
  const ended = await rig.until('session ended', async () => {
    const s = await api<{ state: string; endReason: string | null }>('GET', `/acd/monitor/${started.id}`);
    return s.state === 'ended' ? s : null;
  });
  t.is(ended.endReason, 'call-ended');

  const m = 4_000; // 0.5 s margin either side of a switch
  const C = wavSamples(recC).samples;
  const A = wavSamples(recA).samples;
  const S = wavSamples(recS).samples;
  const phase = (x: Int16Array, f: number, from: number, to?: number): number => toneMax(x, f, { from: from + m, ...(to === undefined ? {} : { to: to - m }) });
  const report = {
    listen: { supHearsCaller: phase(S, F.caller, listen.s, whisper.s), supHearsAgent: phase(S, F.agentA, listen.s, whisper.s), callerHearsSup: phase(C, F.supervisor, listen.c, whisper.c), agentHearsSup: phase(A, F.supervisor, listen.a, whisper.a) },
    whisper: { callerHearsSup: phase(C, F.supervisor, whisper.c, barge.c), agentHearsSup: phase(A, F.supervisor, whisper.a, barge.a), supHearsCaller: phase(S, F.caller, whisper.s, barge.s) },
    barge: { callerHearsSup: phase(C, F.supervisor, barge.c), agentHearsSup: phase(A, F.supervisor, barge.a), callerHearsAgent: phase(C, F.agentA, barge.c) },
  };
  t.log(JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v)));
  t.true(report.listen.supHearsCaller > HEARD, 'listen: the supervisor hears the caller');
  t.true(report.listen.supHearsAgent > HEARD, 'listen: the supervisor hears the agent');
  t.true(report.listen.callerHearsSup < SILENT, 'listen: the caller does not hear the supervisor');
  t.true(report.listen.agentHearsSup < SILENT, 'listen: the agent does not hear the supervisor');
  t.true(report.whisper.agentHearsSup > HEARD, 'whisper: the agent hears the supervisor');
  t.true(report.whisper.callerHearsSup < SILENT, 'whisper: the caller does not');
  t.true(report.whisper.supHearsCaller > HEARD, 'whisper: the supervisor still hears the caller');
  t.true(report.barge.callerHearsSup > HEARD, 'barge: the caller hears the supervisor');
  t.true(report.barge.agentHearsSup > HEARD, 'barge: the agent hears the supervisor');
  t.true(report.barge.callerHearsAgent > HEARD, 'barge: caller and agent still hear each other');

  const audit = rig.query<{ action: string }>("SELECT action FROM audit_log WHERE action LIKE 'acd-monitor.%' ORDER BY id").map((r) => r.action);
  t.deepEqual(audit, ['acd-monitor.started', 'acd-monitor.mode-changed', 'acd-monitor.mode-changed']);
});

serial('*22 logs the agent out', async (t) => {
  await featureCode(agentA, '*22');
  t.like(await status('1002'), { status: 'logged-out' });
});
