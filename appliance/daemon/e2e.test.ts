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
import BetterSqlite3 from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DB_FILE_NAME } from '../store/database.js';
import { Baresip, freePortBlock, writeToneWav } from '../calls/testing/baresip.js';
import { DEFAULT_PROMPTS_ZH } from '../ivr/flows/index.js';
import { goertzelAmplitude } from '../media/tones/goertzel.js';
import { cleanup, freePort, instance, runCli, startDaemon, type Instance, type Running } from './testing/daemon-harness.js';

const haveBaresip = existsSync('/usr/bin/baresip') && existsSync('/usr/lib/baresip/modules/ctrl_tcp.so');
const serial = haveBaresip ? test.serial : test.serial.skip;

let inst: Instance;
let daemon: Running;
let url = '';
let sipPort = 0;
let a: Baresip;
let b: Baresip;
const started = performance.now();

// eslint-disable-next-line no-control-regex -- baresip colours `reginfo` ("\x1b[32mOK \x1b[;m")
const ANSI = /\x1b\[[0-9;]*m/g;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** One query on the daemon's database, opened read-only (WAL: the daemon keeps writing). */
function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new BetterSqlite3(path.join(inst.dataDir, DB_FILE_NAME), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

async function cli(...args: string[]): Promise<string> {
  const r = await runCli(args, inst);
  if (r.code !== 0) throw new Error(`cli ${args.join(' ')} → ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** S16LE samples of a WAV file, whatever chunks come first. */
function wavSamples(file: string): { rate: number; samples: Int16Array } {
  const buf = readFileSync(file);
  let off = 12;
  let rate = 8000;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') rate = buf.readUInt32LE(off + 12);
    if (id === 'data') {
      const end = Math.min(buf.length, off + 8 + size);
      const bytes = buf.subarray(off + 8, end - ((end - off - 8) % 2));
      return { rate, samples: new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) };
    }
    off += 8 + size + (size & 1);
  }
  return { rate, samples: new Int16Array(0) };
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return samples.length === 0 ? 0 : Math.sqrt(sum / samples.length);
}

/** Goertzel amplitude of `freq` over the loudest second of a recording. */
function toneIn(file: string, freq: number): number {
  const { rate, samples } = wavSamples(file);
  let best = 0;
  for (let i = 0; i + rate <= samples.length; i += rate / 2) best = Math.max(best, goertzelAmplitude(samples.subarray(i, i + rate), freq, rate));
  return best;
}

/** The newest `-dec.wav` (what the phone heard) recorded after `known`. */
function newRecording(p: Baresip, known: readonly string[]): string | undefined {
  return p.recordings().filter((f) => f.endsWith('-dec.wav') && !known.includes(f)).sort().pop();
}

async function hangupAndCdr(caller: Baresip, called: string, before: number): Promise<{ call_id: string; target_kind: string; target: string; legs: number; cause: number; answered_at: number | null }> {
  await caller.command('hangup');
  return until(`CDR for ${called}`, () =>
    query<{ call_id: string; target_kind: string; target: string; legs: number; cause: number; answered_at: number | null; started_at: number }>(
      'SELECT * FROM cdrs WHERE called = ? AND started_at >= ? ORDER BY started_at DESC',
      called,
      before,
    )[0],
  );
}

test.before(async () => {
  if (!haveBaresip) return;
  const ports = await freePortBlock(64);
  sipPort = ports + 24;
  inst = instance(
    [
      'http:',
      '  host: 127.0.0.1',
      `  port: ${await freePort()}`,
      'sip:',
      '  host: 127.0.0.1',
      `  port: ${sipPort}`,
      '  transports: [udp]',
      '  digestAlgorithms: [MD5]',
      '  registrar:',
      '    qualifySeconds: 0',
      'media:',
      `  rtpPortMin: ${ports + 30}`,
      `  rtpPortMax: ${ports + 63}`,
      '  workers: 1',
      'log:',
      '  level: warn',
      'lifecycle:',
      '  drainLimitMs: 2000',
      '',
    ].join('\n'),
  );
  daemon = startDaemon(inst);
  url = await daemon.ready;
  const t0 = performance.now();
  await cli('extension', 'add', '--number', '1001', '--name', 'Caller phone', '--password', 'secret-1001');
  await cli('extension', 'add', '--number', '1002', '--name', 'Agent phone', '--password', 'secret-1002');
  await cli('route', 'add', '--id', 'hotline', '--did', '95598', '--target', 'ivr:hotline-95598');
  console.log(`daemon ready in ${(t0 - started).toFixed(0)} ms; 3 CLI commands in ${(performance.now() - t0).toFixed(0)} ms`);

  const toneA = path.join(inst.dir, 'a-1000.wav');
  const toneB = path.join(inst.dir, 'b-600.wav');
  writeToneWav(toneA, 1000, 25_000, 5_000);
  writeToneWav(toneB, 600, 25_000, 5_000);
  const registrar = `127.0.0.1:${sipPort}`;
  [a, b] = await Promise.all([
    Baresip.start({ name: 'a', dir: inst.dir, user: '1001', wav: toneA, answer: false, ports, register: { registrar, password: 'secret-1001' } }),
    Baresip.start({ name: 'b', dir: inst.dir, user: '1002', wav: toneB, answer: true, ports: ports + 12, register: { registrar, password: 'secret-1002' } }),
  ]);
});

test.after.always(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  if (daemon) {
    daemon.child.kill('SIGTERM');
    await Promise.race([daemon.exited, sleep(5000)]);
    cleanup(daemon);
  }
});

serial('both phones register with Digest (MD5) and their bindings are stored', async (t) => {
  const t0 = performance.now();
  // baresip registers at once, maybe before ctrl_tcp is connected: ask it (reginfo) rather than wait for REGISTER_OK.
  for (const p of [a, b]) await until(`${p.name} registered`, async () => /\bOK\b/.test(String((await p.command('reginfo'))['data'] ?? '').replace(ANSI, ' ')));
  t.log(`both phones say registered ${(performance.now() - t0).toFixed(0)} ms after the test started`);
  const rows = await until('two bindings', () => {
    const r = query<{ aor: string; source_port: number; user_agent: string | null }>('SELECT aor, source_port, user_agent FROM sip_bindings ORDER BY aor');
    return r.length === 2 ? r : null;
  });
  t.deepEqual(rows.map((r) => [r.aor, r.source_port]), [['1001', a.sipPort], ['1002', b.sipPort]]);
  t.true(rows.every((r) => /baresip/i.test(r.user_agent ?? '')));
  const audit = query<{ actor: string; action: string; target: string }>("SELECT actor, action, target FROM audit_log WHERE actor = 'system:cli' ORDER BY id");
  t.deepEqual(audit.map((r) => [r.action, r.target]), [['sip-extension.created', '1001'], ['sip-extension.created', '1002'], ['call-route.saved', 'hotline']]);
});

serial('1001 dials 95598: the IVR answers with audio, 2 (RFC 4733) takes the outage branch, CDR says ivr', async (t) => {
  // The daemon renders the default flow's prompts by TTS at start (espeak-ng): wait for them.
  const ttsDir = path.join(inst.dataDir, 'prompts', 'tts', 'zh');
  const texts = new Set(Object.values(DEFAULT_PROMPTS_ZH).map((x) => x.replace(/\s+/g, ' ').trim())).size;
  const w0 = performance.now();
  await until('prompts rendered', () => existsSync(ttsDir) && readdirSync(ttsDir).filter((f) => f.endsWith('.wav')).length >= texts, 40_000);
  t.log(`${texts} default prompts rendered by TTS; waited ${(performance.now() - w0).toFixed(0)} ms`);
  const before = Date.now();
  const known = a.recordings();
  const t0 = performance.now();
  await a.command('dial', `sip:95598@127.0.0.1:${sipPort}`);
  await a.waitEvent('CALL_ESTABLISHED', 10_000);
  t.log(`95598 answered ${(performance.now() - t0).toFixed(0)} ms after dial (Digest challenge included)`);
  const visits = (node: string): number =>
    query<{ v: number }>("SELECT COALESCE(SUM(visits), 0) AS v FROM ivr_node_traffic WHERE flow_id = 'hotline-95598' AND node_id = ?", node)[0]?.v ?? 0;
  const outageBefore = visits('outage-area');
  await until('the main menu', () => visits('main-menu') > 0, 15_000);
  t.log(`main menu reached ${(performance.now() - t0).toFixed(0)} ms after dial`);
  await a.command('sndcode', '2');
  await until('the outage branch', () => visits('outage-area') > outageBefore, 10_000);
  await sleep(1000);
  const cdr = await hangupAndCdr(a, '95598', before);
  t.is(cdr.target_kind, 'ivr');
  t.is(cdr.target, 'hotline-95598');
  t.is(cdr.legs, 1);
  t.not(cdr.answered_at, null);
  t.is(cdr.cause, 16);
  const heard = await until('A’s recording', () => newRecording(a, known));
  const level = rms(wavSamples(heard).samples);
  t.log(`A heard the IVR at RMS ${level.toFixed(0)} (${heard})`);
  t.true(level > 100, `the IVR was audible at the phone (RMS ${level.toFixed(1)})`);
});

serial('ACD over REST: 1001 dials 95599 → queue → agent 1002 rings, auto-answers, audio both ways, CDR with two legs', async (t) => {
  const out = await cli('api-key', 'create', '--name', 'e2e', '--scopes', 'queues:write,queues:read,acd:supervise');
  const key = out.split('\n')[1]!.trim();
  const api = async (method: string, p: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${url}api/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p} → ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
  await api('POST', '/acd/queues', {
    id: 'hotline',
    name: '95599 agents',
    strategy: 'least-recent',
    ringTimeoutMs: 15_000,
    wrapUpMs: 0,
    maxLength: 0,
    maxWaitMs: 0,
    joinWhenEmpty: 'never',
    leaveWhenEmpty: 'never',
    serviceLevelMs: 20_000,
    shortAbandonMs: 5_000,
    defaultAhtMs: 180_000,
  });
  // The agent id is the extension its calls ring (CallHandler's default agentExtension).
  await api('POST', '/acd/agents', { id: '1002', name: 'Agent phone', skills: {}, memberships: [{ queueId: 'hotline', penalty: 0 }] });
  await api('PUT', '/acd/agents/1002/status', { status: 'available' });
  await cli('route', 'add', '--id', 'agents', '--did', '95599', '--target', 'queue:hotline');

  const before = Date.now();
  const knownA = a.recordings();
  const knownB = b.recordings();
  const t0 = performance.now();
  await a.command('dial', `sip:95599@127.0.0.1:${sipPort}`);
  await b.waitEvent('CALL_ESTABLISHED', 15_000);
  t.log(`agent 1002 answered ${(performance.now() - t0).toFixed(0)} ms after 1001 dialled 95599`);
  await sleep(2500);
  const cdr = await hangupAndCdr(a, '95599', before);
  await b.waitEvent('CALL_CLOSED', 10_000);
  t.is(cdr.target_kind, 'queue');
  t.is(cdr.target, 'hotline');
  t.is(cdr.legs, 2);
  const legs = query<{ direction: string; party: string; answered_at: number | null }>('SELECT direction, party, answered_at FROM cdr_legs WHERE call_id = ? ORDER BY position', cdr.call_id);
  t.deepEqual(legs.map((l) => [l.direction, l.party]), [['inbound', '1001'], ['outbound', '1002']]);
  t.true(legs.every((l) => l.answered_at !== null));

  const decA = await until('A’s recording', () => newRecording(a, knownA));
  const decB = await until('B’s recording', () => newRecording(b, knownB));
  const b1000 = toneIn(decB, 1000);
  const a600 = toneIn(decA, 600);
  t.log(`agent heard 1 kHz at ${b1000.toFixed(0)}; caller heard 600 Hz at ${a600.toFixed(0)}`);
  t.true(b1000 > 1000, 'the caller’s tone reached the agent');
  t.true(a600 > 1000, 'the agent’s tone reached the caller');
});
