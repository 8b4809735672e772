/**
 * End to end on the REAL daemon (issues 3, 6, 7 acceptance "with real peers"): main.ts spawned
 * from source with a temp config and data dir, configured only the way an operator would
 * (the CLI for extensions, routes and an API key; the REST API for the ACD), and two baresip
 * phones (Debian baresip-core, headless, calls/testing/baresip.ts) that REGISTER with Digest
 * (MD5: baresip 1.0 stops at SHA-256, so `sip.digestAlgorithms: [MD5]`).
 *
 *  - 1001 and 1002 register: baresip reports REGISTER_OK and the bindings are in the daemon's
 *    database (sip_bindings, read-only).
 *  - 1001 dials 95598 → route → the default IVR flow: the phone hears the prompts (its sndfile
 *    recording is not silent), presses 2 (RFC 4733), the IVR takes the menu's outage branch
 *    (ivr_node_traffic), and the CDR says ivr / hotline-95598 with one leg.
 *  - ACD: queue + agent 1002 over REST with an API key, 95599 → queue: 1001 calls, 1002 rings
 *    and auto-answers, each phone hears the other's tone, the CDR has two legs.
 * The daemon is observed only from outside: SIP, its REST API and its database file.
 */
import test from 'ava';
import { queueConfig } from '../acd/testing/acd-harness.js';
import type { Baresip } from '../calls/testing/baresip.js';
import { toneMax, wavSamples } from '../acd/testing/recordings.js';
import { haveBaresip, lastHeard, waitRegistered } from './testing/baresip-phone.js';
import { startRig, type DaemonRig } from './testing/daemon-rig.js';
import { sleep } from './testing/wait.js';

const serial = haveBaresip ? test.serial : test.serial.skip;

let rig: DaemonRig;
let a: Baresip;
let b: Baresip;
const started = performance.now();

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return samples.length === 0 ? 0 : Math.sqrt(sum / samples.length);
}

/** Goertzel amplitude of `freq` over the loudest second of a recording (1 s windows every 0.5 s). */
function toneIn(file: string, freq: number): number {
  const { rate, samples } = wavSamples(file);
  return Math.max(toneMax(samples, freq, { windowMs: 1000 }), toneMax(samples, freq, { windowMs: 1000, from: rate / 2 }));
}

async function hangupAndCdr(caller: Baresip, called: string, before: number): Promise<{ call_id: string; target_kind: string; target: string; legs: number; cause: number; answered_at: number | null }> {
  await caller.command('hangup');
  return rig.until(`CDR for ${called}`, () =>
    rig.query<{ call_id: string; target_kind: string; target: string; legs: number; cause: number; answered_at: number | null; started_at: number }>(
      'SELECT * FROM cdrs WHERE called = ? AND started_at >= ? ORDER BY started_at DESC',
      called,
      before,
    )[0],
  10_000);
}

test.before(async () => {
  if (!haveBaresip) return;
  rig = await startRig({ phones: 2 });
  const t0 = performance.now();
  await rig.extension('1001', 'Caller phone');
  await rig.extension('1002', 'Agent phone');
  await rig.route('hotline', '95598', 'ivr:hotline-95598');
  console.log(`daemon ready in ${(t0 - started).toFixed(0)} ms; 3 CLI commands in ${(performance.now() - t0).toFixed(0)} ms`);
  [a, b] = await Promise.all([
    rig.phone({ name: 'a', user: '1001', tone: { freq: 1000 }, answer: false }),
    rig.phone({ name: 'b', user: '1002', tone: { freq: 600 }, answer: true }),
  ]);
});

test.after.always(() => rig?.stop());

serial('both phones register with Digest (MD5) and their bindings are stored', async (t) => {
  const t0 = performance.now();
  // baresip registers at once, maybe before ctrl_tcp is connected: ask it (reginfo) rather than wait for REGISTER_OK.
  for (const p of [a, b]) await waitRegistered(p);
  t.log(`both phones say registered ${(performance.now() - t0).toFixed(0)} ms after the test started`);
  const rows = await rig.until('two bindings', () => {
    const r = rig.query<{ aor: string; source_port: number; user_agent: string | null }>('SELECT aor, source_port, user_agent FROM sip_bindings ORDER BY aor');
    return r.length === 2 ? r : null;
  });
  t.deepEqual(rows.map((r) => [r.aor, r.source_port]), [['1001', a.sipPort], ['1002', b.sipPort]]);
  t.true(rows.every((r) => /baresip/i.test(r.user_agent ?? '')));
  const audit = rig.query<{ actor: string; action: string; target: string }>("SELECT actor, action, target FROM audit_log WHERE actor = 'system:cli' ORDER BY id");
  t.deepEqual(audit.map((r) => [r.action, r.target]), [['sip-extension.created', '1001'], ['sip-extension.created', '1002'], ['call-route.saved', 'hotline']]);
});

serial('1001 dials 95598: the IVR answers with audio, 2 (RFC 4733) takes the outage branch, CDR says ivr', async (t) => {
  // The daemon renders the default flow's prompts by TTS at start (espeak-ng): wait for them.
  const w0 = performance.now();
  const texts = await rig.promptsRendered(40_000);
  t.log(`${texts} default prompts rendered by TTS; waited ${(performance.now() - w0).toFixed(0)} ms`);
  const before = Date.now();
  const known = a.recordings();
  const t0 = performance.now();
  await a.command('dial', rig.sipUri('95598'));
  await a.waitEvent('CALL_ESTABLISHED', 10_000);
  t.log(`95598 answered ${(performance.now() - t0).toFixed(0)} ms after dial (Digest challenge included)`);
  const visits = (node: string): number =>
    rig.query<{ v: number }>("SELECT COALESCE(SUM(visits), 0) AS v FROM ivr_node_traffic WHERE flow_id = 'hotline-95598' AND node_id = ?", node)[0]?.v ?? 0;
  const outageBefore = visits('outage-area');
  await rig.until('the main menu', () => visits('main-menu') > 0, 15_000);
  t.log(`main menu reached ${(performance.now() - t0).toFixed(0)} ms after dial`);
  await a.command('sndcode', '2');
  await rig.until('the outage branch', () => visits('outage-area') > outageBefore, 10_000);
  await sleep(1000);
  const cdr = await hangupAndCdr(a, '95598', before);
  t.is(cdr.target_kind, 'ivr');
  t.is(cdr.target, 'hotline-95598');
  t.is(cdr.legs, 1);
  t.not(cdr.answered_at, null);
  t.is(cdr.cause, 16);
  const heard = await rig.until('A’s recording', () => lastHeard(a, known));
  const level = rms(wavSamples(heard).samples);
  t.log(`A heard the IVR at RMS ${level.toFixed(0)} (${heard})`);
  t.true(level > 100, `the IVR was audible at the phone (RMS ${level.toFixed(1)})`);
});

serial('ACD over REST: 1001 dials 95599 → queue → agent 1002 rings, auto-answers, audio both ways, CDR with two legs', async (t) => {
  const api = rig.api(await rig.apiKey('e2e', ['queues:write', 'queues:read', 'acd:supervise']));
  await api('POST', '/acd/queues', queueConfig('hotline', { name: '95599 agents' }));
  // The agent id is the extension its calls ring (CallHandler's default agentExtension).
  await api('POST', '/acd/agents', { id: '1002', name: 'Agent phone', skills: {}, memberships: [{ queueId: 'hotline', penalty: 0 }] });
  await api('PUT', '/acd/agents/1002/status', { status: 'available' });
  await rig.route('agents', '95599', 'queue:hotline');

  const before = Date.now();
  const knownA = a.recordings();
  const knownB = b.recordings();
  const t0 = performance.now();
  await a.command('dial', rig.sipUri('95599'));
  await b.waitEvent('CALL_ESTABLISHED', 15_000);
  t.log(`agent 1002 answered ${(performance.now() - t0).toFixed(0)} ms after 1001 dialled 95599`);
  await sleep(2500);
  const cdr = await hangupAndCdr(a, '95599', before);
  await b.waitEvent('CALL_CLOSED', 10_000);
  t.is(cdr.target_kind, 'queue');
  t.is(cdr.target, 'hotline');
  t.is(cdr.legs, 2);
  const legs = rig.query<{ direction: string; party: string; answered_at: number | null }>('SELECT direction, party, answered_at FROM cdr_legs WHERE call_id = ? ORDER BY position', cdr.call_id);
  t.deepEqual(legs.map((l) => [l.direction, l.party]), [['inbound', '1001'], ['outbound', '1002']]);
  t.true(legs.every((l) => l.answered_at !== null));

  const decA = await rig.until('A’s recording', () => lastHeard(a, knownA));
  const decB = await rig.until('B’s recording', () => lastHeard(b, knownB));
  const b1000 = toneIn(decB, 1000);
  const a600 = toneIn(decA, 600);
  t.log(`agent heard 1 kHz at ${b1000.toFixed(0)}; caller heard 600 Hz at ${a600.toFixed(0)}`);
  t.true(b1000 > 1000, 'the caller’s tone reached the agent');
  t.true(a600 > 1000, 'the agent’s tone reached the caller');
});
