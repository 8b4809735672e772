/**
 * Issue 7 acceptance, end to end on the REAL daemon (main.ts spawned from source, configured
 * the way an operator would: the CLI for extensions and routes, the REST API for the ACD) with
 * the billing and GIS SIMULATORS run by this test (config.integrations points the daemon at
 * them, so what the billing system received is read from the simulator itself) and baresip
 * phones (Debian baresip-core, headless, sndfile recording what each phone hears):
 *
 *   1001 dials 95598 → the PUBLISHED 95598 flow: it hears the menu (speech in its recording
 *   after main-menu), presses 1 and keys 户号 041000000001 by RFC 4733 and confirms, hears the
 *   balance the billing simulator holds (135.79, speech after bill-balance), then the outage
 *   of that account's supply area (GIS simulator outage GZ-20260105-0032, speech after
 *   bill-outage); back to the menu, 4: 户号 and meter reading 12345, confirmed — the billing
 *   simulator receives it; 0: the general queue, where agent 1002 (auto-answer) takes the call.
 *   The IVR's call record has the queue and the variables (account, balance, outage, reading)
 *   the agent's screen pop shows.
 *
 * Speech detection: 20 ms frames of the phone's recording whose RMS is over a floor; "heard"
 * means enough voiced frames in the window after the node was entered (the recording starts
 * when the call is established; node times come from polling ivr_node_traffic).
 */
import test from 'ava';
import { queueConfig } from '../acd/testing/acd-harness.js';
import { wavSamples } from '../acd/testing/recordings.js';
import type { Baresip } from '../calls/testing/baresip.js';
import { systemClock } from '../core/clock.js';
import { BillingSimulator } from '../customers/testing/billing-simulator.js';
import { haveBaresip, lastHeard } from '../daemon/testing/baresip-phone.js';
import { startRig, type DaemonRig } from '../daemon/testing/daemon-rig.js';
import { sleep, until } from '../daemon/testing/wait.js';
import { GisSimulator } from '../integrations/testing/gis-simulator.js';

const serial = haveBaresip ? test.serial : test.serial.skip;
const FLOW = 'hotline-95598';
/** Seeded billing customer 1: 户号 041000000001, supply area 41010202 (GIS outage GZ-20260105-0032). */
const ACCOUNT = '041000000001';

let rig: DaemonRig;
let caller: Baresip;
let agent: Baresip;
const billing = new BillingSimulator({ clock: systemClock });
const gis = new GisSimulator({ clock: systemClock });

const visits = (node: string): number =>
  rig.query<{ v: number }>('SELECT COALESCE(SUM(visits), 0) AS v FROM ivr_node_traffic WHERE flow_id = ? AND node_id = ?', FLOW, node)[0]?.v ?? 0;

/** Waits for the next visit of `node` and returns when it was seen (wall ms). */
async function entered(node: string, ms = 20_000): Promise<number> {
  const before = visitsSeen.get(node) ?? 0;
  await until(`node ${node}`, () => visits(node) > before, ms).catch((err: unknown) => {
    const traffic = rig.query<{ node_id: string; visits: number; abandons: number }>('SELECT node_id, visits, abandons FROM ivr_node_traffic WHERE flow_id = ?', FLOW);
    throw new Error(`${(err as Error).message}; traffic ${JSON.stringify(traffic)}; daemon stderr: ${rig.daemon.stderr().slice(-3000)}`);
  });
  visitsSeen.set(node, visits(node));
  return Date.now();
}
const visitsSeen = new Map<string, number>();

async function keys(p: Baresip, digits: string): Promise<void> {
  for (const d of digits) {
    await p.command('sndcode', d);
    await sleep(300);
  }
}

/** Share of 20 ms frames in [fromMs, toMs) of the recording whose RMS is over `floor` (voice activity). */
function voiced(rec: { rate: number; samples: Int16Array }, fromMs: number, toMs: number, floor = 300): number {
  const frame = Math.round(rec.rate / 50);
  let n = 0;
  let on = 0;
  for (let i = Math.max(0, Math.round((fromMs * rec.rate) / 1000)); i + frame <= Math.min(rec.samples.length, Math.round((toMs * rec.rate) / 1000)); i += frame) {
    let sum = 0;
    for (let j = i; j < i + frame; j++) sum += rec.samples[j]! * rec.samples[j]!;
    n++;
    if (Math.sqrt(sum / frame) > floor) on++;
  }
  return n === 0 ? 0 : on / n;
}

test.before(async () => {
  if (!haveBaresip) return;
  const now = Date.now();
  billing.seed(20, now);
  gis.seed(now);
  await Promise.all([billing.start(), gis.start()]);
  rig = await startRig({
    phones: 2,
    config: { integrations: { billing: { baseUrl: billing.url, token: billing.token }, gis: { baseUrl: gis.url, token: gis.token } } },
  });
  await rig.extension('1001', 'Caller phone');
  await rig.extension('1002', 'Agent phone');
  await rig.route('hotline', '95598', `ivr:${FLOW}`);
  [caller, agent] = await Promise.all([
    // Silence for 240 s (aufile ends the call at EOF).
    rig.phone({ name: 'caller', user: '1001', tone: { freq: 400, toneMs: 0, silenceMs: 240_000 }, answer: false, quitAfterS: 300 }),
    rig.phone({ name: 'agent', user: '1002', tone: { freq: 600 }, answer: true, quitAfterS: 300 }),
  ]);
});

test.after.always(async () => {
  await rig?.stop();
  await Promise.all([billing.stop(), gis.stop()]);
});

serial('baresip caller: menu, balance by 户号, outage of the account’s area, meter reading to billing, 0 → queue with the IVR variables', async (t) => {
  const api = rig.api(await rig.apiKey('ivr-e2e', ['queues:write', 'queues:read', 'acd:supervise']));
  await api('POST', '/acd/queues', queueConfig('general', { name: '人工服务' }));
  await api('POST', '/acd/agents', { id: '1002', name: 'Agent phone', skills: {}, memberships: [{ queueId: 'general', penalty: 0 }] });
  await api('PUT', '/acd/agents/1002/status', { status: 'available' });
  for (const p of [caller, agent]) await until(`${p.name} registered`, () => rig.bound(p === caller ? '1001' : '1002'));

  // The daemon renders the flow's prompts by TTS at start (espeak-ng): wait for them.
  await rig.promptsRendered(60_000);

  for (const n of ['main-menu', 'bill-account', 'bill-balance', 'bill-outage', 'after-service', 'reading-account', 'reading-value', 'reading-done', 'agent']) visitsSeen.set(n, visits(n));
  const known = caller.recordings();
  const t0 = performance.now();
  await caller.command('dial', rig.sipUri('95598'));
  await caller.waitEvent('CALL_ESTABLISHED', 10_000);
  const established = Date.now();
  const at: Record<string, number> = {};

  at.menu = await entered('main-menu');
  await sleep(2500); // let the menu be heard before keying through it
  await keys(caller, '1');
  at.account = await entered('bill-account');
  await sleep(500);
  await keys(caller, ACCOUNT);
  await sleep(1200); // the read-back starts; 1 confirms (barge-in)
  await keys(caller, '1');
  at.balance = await entered('bill-balance');
  at.outage = await entered('bill-outage');
  await entered('after-service', 40_000); // announcement, notify offer unanswered
  await keys(caller, '1');
  await entered('main-menu');
  await keys(caller, '4');
  await entered('reading-account');
  await sleep(500);
  await keys(caller, `${ACCOUNT}`);
  await entered('reading-value');
  await sleep(500);
  await keys(caller, '12345#');
  await sleep(1200);
  await keys(caller, '1');
  await entered('reading-done');
  await entered('after-service', 20_000);
  await keys(caller, '0');
  await entered('agent');
  await agent.waitEvent('CALL_ESTABLISHED', 20_000);
  t.log(`caller reached the agent ${((performance.now() - t0) / 1000).toFixed(1)} s after dialling`);
  await sleep(1500);
  await caller.command('hangup');
  await agent.waitEvent('CALL_CLOSED', 10_000);

  // The billing simulator received the reading, for that account, with the call as request id.
  t.is(billing.meterReadings.length, 1);
  t.like(billing.meterReadings[0], { accountNo: ACCOUNT, reading: 12345 });

  // The IVR's call record: the queue and the variables the agent's screen pop shows.
  const rec = await until('the IVR call record', () => rig.query<{ call_id: string; outcome: string; queue: string | null; vars: string; path: string; flow_version: number }>('SELECT * FROM ivr_call_records WHERE flow_id = ?', FLOW)[0]);
  t.is(rec.outcome, 'enqueued');
  t.is(rec.queue, 'general');
  const vars = JSON.parse(rec.vars) as Record<string, string>;
  t.like(vars, { caller: '1001', account: ACCOUNT, balance: '135.79', account_area: '41010202', outage_id: 'GZ-20260105-0032', outage_order: 'WO-GZ-0032', reading: '12345', reading_id: `MR-${rec.call_id}` });
  t.is(billing.meterReadings[0]?.requestId, rec.call_id);
  const path_ = JSON.parse(rec.path) as string[];
  t.deepEqual(path_.slice(0, 3), ['welcome', 'outage-check', 'main-menu']);
  t.true(path_.includes('bill-outage') && path_.indexOf('reading-submit') > path_.indexOf('bill-outage'));
  t.is(path_.at(-1), 'agent');
  const cdr = await until('the CDR', () => rig.query<{ target_kind: string; target: string; legs: number }>('SELECT target_kind, target, legs FROM cdrs WHERE call_id = ?', rec.call_id)[0]);
  t.like(cdr, { target_kind: 'ivr', target: FLOW, legs: 2 });

  // What the caller heard: speech after the menu, the balance and the outage announcement started.
  const heard = await until('the caller’s recording', () => lastHeard(caller, known));
  const wav = wavSamples(heard);
  const share = (from: number): number => voiced(wav, from - established, from - established + 2000);
  const heardAt = { menu: share(at.menu!), balance: share(at.balance!), outage: share(at.outage!) };
  t.log(`voiced share in the 2 s after: menu ${heardAt.menu.toFixed(2)}, balance ${heardAt.balance.toFixed(2)}, outage ${heardAt.outage.toFixed(2)}; recording ${(wav.samples.length / wav.rate).toFixed(1)} s`);
  t.true(heardAt.menu > 0.3, 'the menu was heard');
  t.true(heardAt.balance > 0.3, 'the balance was heard');
  t.true(heardAt.outage > 0.3, 'the outage announcement was heard');
});

serial('PRI caller from the simulated exchange: in-band DTMF through the published flow submits a meter reading to billing', async (t) => {
  const key = await rig.apiKey('ivr-e2e-demo', ['demo:write']);
  const before = billing.meterReadings.length;
  const since = Date.now();
  // 4 抄表读数申报, 户号 (12 keys end the entry), reading 54321#, 1 confirms the read-back: keyed
  // in-band (spandsp generator on the exchange side) once the IVR answers.
  const digits = `4${ACCOUNT}54321#1`;
  let placed: Response | null = null;
  await until('the D channel up and the call placed', async () => {
    placed = await fetch(`${rig.url}api/v1/demo/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ calling: '13937000001', called: '95598', digits }),
    });
    return placed.status === 202;
  }, 20_000);
  t.is(placed!.status, 202);
  const reading = await until('billing received the reading', () => billing.meterReadings.slice(before).find((m) => m.reading === 54321), 60_000);
  t.is(reading.accountNo, ACCOUNT);
  // The billing request id is the call id; the record is written when the flow ends (after-service times out → goodbye).
  const rec = await until('the TDM call’s IVR record', () => rig.query<{ call_id: string; vars: string; path: string }>('SELECT call_id, vars, path FROM ivr_call_records WHERE call_id = ?', reading.requestId)[0], 60_000).catch((err: unknown) => {
    const rows = rig.query<{ call_id: string; outcome: string; last_node: string }>('SELECT call_id, outcome, last_node FROM ivr_call_records WHERE ended_at >= ?', since);
    throw new Error(`${(err as Error).message}: request ${reading.requestId}; records since: ${JSON.stringify(rows)}; stderr ${rig.daemon.stderr().slice(-2000)}`);
  });
  const vars = JSON.parse(rec.vars) as Record<string, string>;
  t.like(vars, { caller: '13937000001', account: ACCOUNT, reading: '54321', reading_id: `MR-${rec.call_id}` });
  t.true((JSON.parse(rec.path) as string[]).includes('reading-done'));
  t.is(reading.requestId, rec.call_id);
});

serial('PRI caller with timed in-band DTMF: menu, balance by 户号, outage announcement, 0 → queue with the IVR variables', async (t) => {
  const key = await rig.apiKey('ivr-e2e-pri-walk', ['demo:write']);
  const calling = '13937000002';
  for (const n of ['main-menu', 'bill-account', 'bill-balance', 'bill-outage', 'after-service', 'agent']) visitsSeen.set(n, visits(n));
  // A person's pace: 1 in the menu, the 户号, 1 to confirm the read-back; after the balance (now
  // spoken in full: 一百三十五元七角九分) and the outage announcement, 0 in the after-service menu,
  // keyed every 6 s over its window (a 0 that falls on a prompt without barge-in is not heard).
  const dtmf = [
    { after: 'answer+4s', digits: '1' },
    { after: '+2s', digits: ACCOUNT },
    { after: '+3s', digits: '1' },
    { after: '+28s', digits: '0' },
    { after: '+6s', digits: '0' },
    { after: '+6s', digits: '0' },
    { after: '+6s', digits: '0' },
    { after: '+6s', digits: '0' },
  ];
  let placed: Response | null = null;
  await until('the call placed', async () => {
    placed = await fetch(`${rig.url}api/v1/demo/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ calling, called: '95598', dtmf }),
    });
    return placed.status === 202;
  }, 20_000);
  await entered('main-menu');
  await entered('bill-balance', 30_000);
  await entered('bill-outage', 30_000);
  await entered('after-service', 60_000);
  await entered('agent', 60_000);
  await agent.waitEvent('CALL_ESTABLISHED', 20_000);
  await sleep(1000);
  await agent.command('hangup');
  const rec = await until('the PRI call’s IVR record', () => rig.query<{ call_id: string; outcome: string; queue: string | null; vars: string; path: string }>("SELECT * FROM ivr_call_records WHERE json_extract(vars, '$.caller') = ?", calling)[0], 20_000);
  t.is(rec.outcome, 'enqueued');
  t.is(rec.queue, 'general');
  t.like(JSON.parse(rec.vars) as Record<string, string>, { caller: calling, account: ACCOUNT, balance: '135.79', outage_id: 'GZ-20260105-0032' });
  const p = JSON.parse(rec.path) as string[];
  t.true(p.indexOf('bill-outage') > p.indexOf('bill-balance') && p.at(-1) === 'agent', p.join(' → '));
});
