/**
 * Issue 7 acceptance for "a PRI caller from the simulated exchange", end to end on the REAL
 * daemon (main.ts spawned from source) with the simulated card configured the way an operator
 * does it (`card.spans`: span 1 ISDN PRI CPE, group e1; daemon/card-spans.ts cables the simulated
 * PRI NET exchange to it), the hotline DID routed to the published flow by the CLI, the ACD by
 * the REST API, and the billing and GIS SIMULATORS run by this test:
 *
 *   SimExchange (NET) ── crossover ── span 1 (CPE, libpri) → TDM leg (spandsp DTMF detector) →
 *   dialplan DID 95598 → ivr:hotline-95598 → … → queue general → agent 1002 (baresip, SIP)
 *
 * The caller is the exchange, and it behaves like a person: it LISTENS to its B channel (POST
 * /demo/calls with `record: true`, GET /demo/calls/:timeslot/recording) and keys in-band DTMF
 * (spandsp generator, POST /demo/calls/:timeslot/dtmf) only once it has heard the prompt that
 * asks for it (the first 1.5 s of it, as a person reacts). "Heard" is the prompt's own rendered
 * audio (the daemon's TTS cache, 8 kHz A-law) found in what the exchange received, 100 ms piece
 * by piece, each sample-aligned with a normalized cross-correlation over 0.9, for at least half of
 * its voiced pieces (testing/heard-audio.ts): the E1 carries A-law end to end, so an intact piece
 * scores ~1.0 and another prompt ~0; the share allows for frames the line loses when the daemon's
 * main thread (which pumps the TDM rings) stalls on a loaded box — logged with each prompt.
 *
 *   welcome → main menu (heard) → 1 → "enter your 户号" (heard) → 041000000001 → read-back:
 *   the 12 digits, "confirm 1" (heard) → 1 → "your balance is" 一百三十五元七角九分 (each piece
 *   found in order, one file per piece: the billing simulator's 135.79; a wrong digit's waveform
 *   does not match) → the outage announcement for the account's
 *   area (the GIS simulator's outage, rendered by TTS during the call, heard whole) → after-service
 *   menu (heard) → 1 → main menu → 4 → 户号, reading 12345#, confirmed → "reading received"
 *   (heard; the billing simulator holds the reading) → after-service → 0 → "transferring"
 *   (heard) → the agent answers: the exchange hears the agent phone's 600 Hz → the agent hangs
 *   up. The IVR call record has the queue and the variables the agent's screen pop shows.
 */
import test from 'ava';
import BetterSqlite3 from 'better-sqlite3';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Baresip, freePortBlock, writeToneWav } from '../calls/testing/baresip.js';
import { systemClock } from '../core/clock.js';
import { BillingSimulator } from '../customers/testing/billing-simulator.js';
import { cleanup, freePort, instance, runCli, startDaemon, type Instance, type Running } from '../daemon/testing/daemon-harness.js';
import { GisSimulator } from '../integrations/testing/gis-simulator.js';
import { EspeakTts } from '../integrations/tts/espeak-tts.js';
import { goertzelAmplitude } from '../media/tones/goertzel.js';
import { DB_FILE_NAME } from '../store/database.js';
import { promptTextsZh, promptTextZh } from './flows/index.js';
import { say } from './say/index.js';
import { alawToPcm, findPrompt, findPromptPiecewise, readPromptPcm, trimSilence, type PiecewiseOptions } from './testing/heard-audio.js';
import { sleep, until } from '../daemon/testing/wait.js';

const haveTools = ['/usr/bin/baresip', '/usr/lib/baresip/modules/ctrl_tcp.so', '/usr/bin/espeak-ng', '/usr/bin/sox'].every((f) => existsSync(f));
const serial = haveTools ? test.serial : test.serial.skip;
const FLOW = 'hotline-95598';
/** Seeded billing customer 1: 户号 041000000001, balance 135.79, supply area 41010202 (GIS outage GZ-20260105-0032). */
const ACCOUNT = '041000000001';
const CALLING = '13937000077';
/**
 * A prompt counts as heard when its rendered audio is found: 100 ms pieces of it, in turn, each
 * with a normalized cross-correlation over 0.9, for this share of its voiced pieces (a line may
 * slip a frame or insert an idle one); or, for a short say piece, the whole of it over 0.9.
 */
const HEARD = 0.5;

interface Heard {
  atMs: number;
  endMs: number;
  score: number;
  jumps: number;
}

function heardPrompt(pcm: Int16Array, audio: Int16Array, o: PiecewiseOptions): Heard | null {
  const pieces = findPromptPiecewise(pcm, audio, o);
  if (pieces && pieces.score >= HEARD) return pieces;
  const whole = findPrompt(pcm, audio, o);
  if (whole && whole.score > 0.9) return { ...whole, jumps: 0 };
  return pieces;
}

let inst: Instance;
let daemon: Running;
let url = '';
let agent: Baresip;
let tts: EspeakTts;
const billing = new BillingSimulator({ clock: systemClock });
const gis = new GisSimulator({ clock: systemClock });

const heardLog: string[] = [];

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

let apiKey = '';
async function api(method: string, p: string, body?: unknown, attempt = 1): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).catch((err: unknown) => {
    // A kept-alive connection the server closed as this request went out (its keep-alive timeout): nothing was processed.
    if ((err as { cause?: { code?: string } }).cause?.code === 'UND_ERR_SOCKET' && attempt < 3) return null;
    throw new Error(`${method} ${p}: ${(err as Error).message} (${(err as { cause?: Error }).cause?.message}); daemon exit ${daemon.child.exitCode ?? daemon.child.signalCode}; stderr: ${daemon.stderr().slice(-3000)}`);
  });
  if (!res) return api(method, p, body, attempt + 1);
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function apiOk(method: string, p: string, body?: unknown): Promise<unknown> {
  const r = await api(method, p, body);
  if (r.status >= 300) throw new Error(`${method} ${p} → ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json;
}

/** The rendered audio of a prompt (or say piece) in the daemon's TTS cache. */
const promptPcm = new Map<string, Int16Array>();
function prompt(name: string): Int16Array {
  let pcm = promptPcm.get(name);
  if (!pcm) {
    const text = promptTextZh(name);
    if (text === undefined) throw new Error(`no text for prompt ${name}`);
    pcm = readPromptPcm(tts.pathFor(text.replace(/\s+/g, ' ').trim(), 'zh'));
    promptPcm.set(name, pcm);
  }
  return pcm;
}

/** The exchange's ear on one call: what it received on the B channel, fetched as it grows. */
class Ear {
  alaw = new Uint8Array(0);
  state = 'setup';

  constructor(readonly timeslot: number) {}

  async poll(): Promise<Int16Array> {
    const r = (await apiOk('GET', `/demo/calls/${this.timeslot}/recording?from=${this.alaw.length}`)) as { state: string; alaw: string; from: number };
    const more = Buffer.from(r.alaw, 'base64');
    const next = new Uint8Array(this.alaw.length + more.length);
    next.set(this.alaw);
    next.set(more, this.alaw.length);
    this.alaw = next;
    this.state = r.state;
    return this.pcm();
  }

  pcm(): Int16Array {
    return alawToPcm(this.alaw);
  }

  get ms(): number {
    return this.alaw.length / 8;
  }

  /** Waits until the first `maxMs` (default 1.5 s) of `name` is heard after `fromMs`: a caller reacts to the start of a prompt. */
  async hear(name: string, fromMs: number, o: { maxMs?: number; within?: number } = {}): Promise<Heard> {
    const end = Date.now() + (o.within ?? 30_000);
    let best: Heard | null = null;
    for (;;) {
      // Only the audio since fromMs is searched (the test shares 2 cores with the daemon it listens to).
      const skip = Math.max(0, Math.floor(fromMs / 20) * 160 - 1600);
      const found = heardPrompt((await this.poll()).subarray(skip), prompt(name), { fromMs: fromMs - skip / 8, maxMs: o.maxMs ?? 1500 });
      const m = found && { ...found, atMs: found.atMs + skip / 8, endMs: found.endMs + skip / 8 };
      if (m && (!best || m.score > best.score)) best = m;
      if (m && m.score >= HEARD) {
        heardLog.push(`${name} ${m.score.toFixed(2)}@${(m.atMs / 1000).toFixed(1)}s${m.jumps ? ` (${m.jumps} jumps)` : ''}`);
        return m;
      }
      if (this.state === 'released' || Date.now() > end) {
        writeFileSync(path.join(inst.dir, 'heard-by-exchange.alaw'), this.alaw);
        throw new Error(`prompt ${name} not heard after ${fromMs} ms (best ${best ? `${best.score.toFixed(2)} at ${best.atMs} ms` : 'none'}; ${this.ms} ms recorded, call ${this.state}); daemon stderr: ${daemon.stderr().slice(-2000)}`);
      }
      await sleep(500);
    }
  }

  async key(digits: string): Promise<void> {
    await apiOk('POST', `/demo/calls/${this.timeslot}/dtmf`, { digits });
  }
}

/**
 * A say sequence heard (a prefix prompt, then one TTS file per digit or unit, played back to
 * back), item by item: each item's audio found (heardPrompt) starting within `firstGapMs` of
 * `fromMs` for the first, within 700 ms of the end of the one before for the rest (each file has
 * ~200 ms of silence at both ends), so a repeated digit is never matched one occurrence late.
 * An item the line damaged beyond recognition is named in `missed`, and the next one looked for in
 * a window wider by its length; none heard at all is an error.
 */
function heardSequence(pcm: Int16Array, names: readonly string[], fromMs: number, firstGapMs: number): { items: Array<Heard | null>; missed: string[]; atMs: number; endMs: number } {
  const items: Array<Heard | null> = [];
  let at = fromMs;
  let slack = 0;
  for (const [i, name] of names.entries()) {
    const withinMs = i === 0 ? firstGapMs : 700 + slack;
    const window = pcm.subarray(0, Math.min(pcm.length, Math.round((at + withinMs) * 8) + trimSilence(prompt(name)).length + 4000));
    const m = heardPrompt(window, prompt(name), { fromMs: at, withinMs });
    const ok = m !== null && m.score >= HEARD && m.atMs <= at + withinMs;
    items.push(ok ? m : null);
    if (ok) {
      at = m.endMs;
      slack = 0;
    } else if (i === 0) slack += firstGapMs;
    else slack += trimSilence(prompt(name)).length / 8 + 700;
  }
  const heardItems = items.filter((x): x is Heard => x !== null);
  if (heardItems.length === 0) throw new Error(`none of ${names.join(' ')} heard after ${fromMs} ms`);
  return { items, missed: names.filter((_, i) => items[i] === null), atMs: heardItems[0]!.atMs, endMs: heardItems.at(-1)!.endMs };
}

test.before(async () => {
  if (!haveTools) return;
  const now = Date.now();
  billing.seed(20, now);
  gis.seed(now);
  await Promise.all([billing.start(), gis.start()]);
  const ports = await freePortBlock(48);
  const sipPort = ports + 12;
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
      `  rtpPortMin: ${ports + 20}`,
      `  rtpPortMax: ${ports + 47}`,
      '  workers: 1',
      'card:',
      '  driver: sim',
      '  spans:',
      '    - span: 1',
      '      signalling: pri_cpe',
      '      group: e1',
      'integrations:',
      '  billing:',
      `    baseUrl: ${billing.url}`,
      `    token: ${billing.token}`,
      '  gis:',
      `    baseUrl: ${gis.url}`,
      `    token: ${gis.token}`,
      'log:',
      '  level: warn',
      'lifecycle:',
      '  drainLimitMs: 2000',
      '',
    ].join('\n'),
  );
  tts = new EspeakTts({ promptDir: path.join(inst.dataDir, 'prompts') });
  daemon = startDaemon(inst);
  url = await daemon.ready;
  await cli('extension', 'add', '--number', '1002', '--name', 'Agent phone', '--password', 'secret-1002');
  await cli('route', 'add', '--id', 'hotline', '--did', '95598', '--target', `ivr:${FLOW}`);
  const out = await cli('api-key', 'create', '--name', 'ivr-pri-e2e', '--scopes', 'queues:write,queues:read,acd:supervise,demo:write');
  apiKey = out.split('\n')[1]!.trim();
  const agentTone = path.join(inst.dir, 'agent-600.wav');
  writeToneWav(agentTone, 600, 25_000, 5_000);
  agent = await Baresip.start({ name: 'agent', dir: inst.dir, user: '1002', wav: agentTone, answer: true, ports, register: { registrar: `127.0.0.1:${sipPort}`, password: 'secret-1002' }, quitAfterS: 300 });
});

test.after.always(async () => {
  await agent?.stop();
  if (daemon) {
    daemon.child.kill('SIGTERM');
    await Promise.race([daemon.exited, sleep(5000)]);
    cleanup(daemon);
  }
  await Promise.all([billing.stop(), gis.stop()]);
});

serial('PRI caller from the simulated exchange: hears the menu, keys 户号 in-band, hears 135.79 and the outage announcement, submits a meter reading, 0 → queue with the IVR variables', async (t) => {
  t.timeout(300_000);
  await apiOk('POST', '/acd/queues', {
    id: 'general',
    name: '人工服务',
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
  await apiOk('POST', '/acd/agents', { id: '1002', name: 'Agent phone', skills: {}, memberships: [{ queueId: 'general', penalty: 0 }] });
  await apiOk('PUT', '/acd/agents/1002/status', { status: 'available' });
  await until('agent registered', () => query('SELECT aor FROM sip_bindings WHERE aor = ?', '1002').length > 0);
  // The daemon renders the prompts and the say pieces by TTS at start (espeak-ng): wait for all of them.
  const texts = promptTextsZh().map((x) => tts.pathFor(x.replace(/\s+/g, ' ').trim(), 'zh'));
  await until('prompts rendered', () => texts.every((f) => existsSync(f)), 90_000);
  const ttsDir = path.dirname(texts[0]!);
  const beforeCall = new Set(readdirSync(ttsDir));

  // The exchange places the call once the D channel is up, recording its B channel from the SETUP.
  const placed = await until('the D channel up and the call placed', async () => {
    const r = await api('POST', '/demo/calls', { calling: CALLING, called: '95598', record: true });
    return r.status === 202 ? (r.json as { timeslot: number }) : null;
  }, 20_000);
  const ear = new Ear(placed.timeslot);
  const t0 = performance.now();

  const welcome = await ear.hear('welcome-95598', 0, { maxMs: 3000 });
  const menu = await ear.hear('main-menu', welcome.endMs, { maxMs: 3000 });
  await ear.key('1');
  const enter = await ear.hear('enter-account', menu.endMs, { maxMs: 1500 });
  await ear.key(ACCOUNT);
  const question = await ear.hear('confirm-or-reenter', enter.endMs, { within: 45_000 });
  await ear.key('1');
  const afterService = await ear.hear('after-service', question.endMs, { maxMs: 2000, within: 100_000 });
  await ear.key('1');
  const menu2 = await ear.hear('main-menu', afterService.endMs, { maxMs: 2000 });
  await ear.key('4');
  const enter2 = await ear.hear('enter-account', menu2.endMs, { maxMs: 1500 });
  await ear.key(ACCOUNT);
  const enterReading = await ear.hear('enter-reading', enter2.endMs, { maxMs: 1500 });
  await ear.key('12345#');
  const question2 = await ear.hear('confirm-or-reenter', enterReading.endMs, { within: 30_000 });
  await ear.key('1');
  const received = await ear.hear('reading-received', question2.endMs, { within: 20_000 });
  const afterService2 = await ear.hear('after-service', received.endMs, { maxMs: 2000, within: 20_000 });
  await ear.key('0');
  const transfer = await ear.hear('transfer-agent', afterService2.endMs, { within: 20_000 });
  await agent.waitEvent('CALL_ESTABLISHED', 20_000);
  // Bridged once the transfer prompt has played: the exchange then hears the agent phone's 600 Hz.
  const agentAt = ear.ms;
  const lastSecond = async (): Promise<Int16Array> => (await ear.poll()).subarray(-8000);
  const talk = await until('the agent heard on the B channel', async () => {
    const s = await lastSecond();
    return goertzelAmplitude(s, 600, 8000) > 1000 ? s : null;
  }, 15_000).catch(() => lastSecond());
  const agentHeardAfterMs = ear.ms - agentAt;
  await agent.command('hangup');
  await until('the exchange saw the call cleared', async () => (await ear.poll(), ear.state === 'released'), 10_000);
  t.log(`PRI caller reached the agent ${((performance.now() - t0) / 1000).toFixed(1)} s after the SETUP; ${(ear.ms / 1000).toFixed(1)} s heard`);

  // What the exchange heard, in order, each prompt sample-aligned with its rendered audio.
  const heard = ear.pcm();
  writeFileSync(path.join(inst.dir, 'heard-by-exchange.alaw'), ear.alaw);
  t.log(`the exchange's recording: ${path.join(inst.dir, 'heard-by-exchange.alaw')} (A-law, 8 kHz)`);
  // Say sequences: most items heard (a stall of the daemon's main thread under load can cost the
  // line a syllable or more: logged), and the balance's digits, all but one at most — the amount
  // the billing simulator holds is what was spoken (a wrong digit's waveform does not match).
  const readBack = heardSequence(heard, ['you-entered', ...say('digits', ACCOUNT, 'zh')], enter.endMs, 10_000);
  const balance = heardSequence(heard, ['balance-is', ...say('money', '135.79', 'zh')], question.endMs, 20_000);
  const readingBack = heardSequence(heard, ['reading-you-entered', ...say('digits', '12345', 'zh')], enterReading.endMs, 20_000);
  t.log(`say sequences: 户号 read-back missed [${readBack.missed.join(' ')}], balance missed [${balance.missed.join(' ')}], reading read-back missed [${readingBack.missed.join(' ')}]`);
  for (const s of [readBack, balance, readingBack]) t.true(s.missed.length / s.items.length <= 0.4, `missed ${s.missed.join(' ')}`);
  t.true(balance.missed.filter((n) => n.startsWith('digit-')).length <= 1, 'the digits of 135.79 heard');
  t.true(readBack.endMs < question.atMs, 'the 户号 was read back before the confirm question');
  t.true(balance.endMs < afterService.atMs, 'the balance 一百三十五元七角九分 was read out before the after-service menu');
  t.true(readingBack.endMs < question2.atMs);
  // The outage announcement: rendered by TTS during the call (its text names the cause and the
  // restoration time), heard whole between the balance and the after-service menu.
  const rendered = readdirSync(ttsDir)
    .filter((f) => f.endsWith('.wav') && !beforeCall.has(f))
    .map((f) => path.join(ttsDir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  t.true(rendered.length >= 1, 'the outage announcement was rendered during the call');
  const announcement = heardPrompt(heard.subarray(0, Math.round(afterService.atMs * 8)), readPromptPcm(rendered[0]!), { fromMs: balance.endMs });
  const announcementMs = rendered[0] ? readPromptPcm(rendered[0]).length / 8 : 0;
  t.log(
    `heard (score, s): welcome ${welcome.score.toFixed(3)}@${(welcome.atMs / 1000).toFixed(1)}, menu ${menu.score.toFixed(3)}@${(menu.atMs / 1000).toFixed(1)}, ` +
      `balance from ${(balance.atMs / 1000).toFixed(1)} s to ${(balance.endMs / 1000).toFixed(1)} s, ` +
      `outage announcement ${announcement?.score.toFixed(3)}@${((announcement?.atMs ?? 0) / 1000).toFixed(1)} (${(announcementMs / 1000).toFixed(1)} s), transfer ${transfer.score.toFixed(3)}@${(transfer.atMs / 1000).toFixed(1)}`,
  );
  t.log(`heard while walking: ${heardLog.join(', ')}`);
  t.true(announcement !== null && announcement.score >= HEARD, 'the outage announcement was heard');
  t.true(announcementMs > 3000, 'the announcement is a sentence, not a syllable');
  // After the transfer the exchange hears the agent phone (600 Hz), not IVR prompts.
  const a600 = goertzelAmplitude(talk, 600, 8000);
  const a1000 = goertzelAmplitude(talk, 1000, 8000);
  t.log(`after the agent answered (within ${(agentHeardAfterMs / 1000).toFixed(1)} s): 600 Hz ${a600.toFixed(0)}, 1 kHz ${a1000.toFixed(0)}`);
  t.true(a600 > 1000 && a600 > 5 * a1000, 'the PRI caller hears the agent');

  // Billing received the reading; the IVR's record carries the queue and the screen-pop variables.
  t.is(billing.meterReadings.length, 1);
  t.like(billing.meterReadings[0], { accountNo: ACCOUNT, reading: 12345 });
  const rec = await until('the IVR call record', () => query<{ call_id: string; outcome: string; queue: string | null; vars: string; path: string }>("SELECT * FROM ivr_call_records WHERE json_extract(vars, '$.caller') = ?", CALLING)[0]);
  t.is(rec.outcome, 'enqueued');
  t.is(rec.queue, 'general');
  t.like(JSON.parse(rec.vars) as Record<string, string>, {
    caller: CALLING,
    did: '95598',
    account: ACCOUNT,
    balance: '135.79',
    account_area: '41010202',
    outage_id: 'GZ-20260105-0032',
    reading: '12345',
    reading_id: `MR-${rec.call_id}`,
  });
  t.is(billing.meterReadings[0]?.requestId, rec.call_id);
  const p = JSON.parse(rec.path) as string[];
  t.true(p.indexOf('bill-outage') > p.indexOf('bill-balance') && p.indexOf('reading-done') > p.indexOf('bill-outage') && p.at(-1) === 'agent', p.join(' → '));
  const cdr = await until('the CDR', () => query<{ target_kind: string; target: string; legs: number }>('SELECT target_kind, target, legs FROM cdrs WHERE call_id = ?', rec.call_id)[0]);
  t.like(cdr, { target_kind: 'ivr', target: FLOW, legs: 2 });
});
