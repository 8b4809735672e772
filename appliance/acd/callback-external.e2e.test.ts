/**
 * Callback-in-queue to a number outside the appliance, end to end (issue 6 "Callback-in-queue",
 * calls/callback-dialer.ts): the REAL daemon (daemon/testing/daemon-rig.ts), an agent phone
 * 1002 (600 Hz) and a baresip "carrier" (1400 Hz) on a SIP trunk with an IP ACL — it calls in
 * as a mobile customer 13800138000 and receives the callback.
 *
 *  1. The carrier's caller reaches the queue by DID (trunk ACL, no Digest); no agent is free;
 *     the caller presses 1 (callback) and is cleared; the callback is stored for 13800138000.
 *  2. The agent comes back (*24): the ACD rings 1002 FIRST, then the customer's number — not an
 *     extension — goes out through the outbound route `_1X.` and the trunk, as the agent's call
 *     (1002's class of service: national), to the carrier, which answers; both hear each other.
 *  3. CDR: one outbound call, agent leg answered before the customer leg was created; the
 *     callback is completed.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import type { Baresip, BaresipEvent } from '../calls/testing/baresip.js';
import { lastHeardSince } from '../daemon/testing/baresip-phone.js';
import { startRig, type ApiCall, type DaemonRig } from '../daemon/testing/daemon-rig.js';
import { sleep } from '../daemon/testing/wait.js';
import { toneMax, wavSamples } from './testing/recordings.js';

const haveBaresip = existsSync('/usr/bin/baresip') && existsSync('/usr/lib/baresip/modules/ctrl_tcp.so');
const serial = haveBaresip ? test.serial : test.serial.skip;

const F = { agent: 600, carrier: 1400 } as const;
const HEARD = 1000;
const CUSTOMER = '13800138000';

let rig: DaemonRig;
let api: ApiCall;
let agent: Baresip;
let carrier: Baresip;

// eslint-disable-next-line no-control-regex -- baresip colours `reginfo`
const ANSI = /\x1b\[[0-9;]*m/g;

function next(p: Baresip, type: string, ms = 10_000): Promise<BaresipEvent> {
  const mark = p.events.length;
  return p.waitEvent(type, ms, (e) => p.events.indexOf(e) >= mark);
}

async function featureCode(p: Baresip, code: string): Promise<void> {
  const closed = next(p, 'CALL_CLOSED', 10_000);
  await p.command('dial', rig.sipUri(code));
  await closed;
}

test.before(async () => {
  if (!haveBaresip) return;
  rig = await startRig({ phones: 2, config: { acd: { reconcileIntervalMs: 1000 } } });
  const [, , keyOut] = await Promise.all([
    rig.extension('1002', 'agent'),
    rig.route('hotline', '95599', 'queue:hotline'),
    rig.apiKey('callback-external-e2e', ['queues:write', 'queues:read', 'trunks:write', 'trunks:read']),
  ]);
  api = rig.api(keyOut);
  [agent, carrier] = await Promise.all([
    rig.phone({ name: 'agent', user: '1002', tone: { freq: F.agent, toneMs: 60_000 }, answer: true }),
    rig.phone({ name: 'carrier', user: CUSTOMER, tone: { freq: F.carrier, toneMs: 60_000 }, answer: false, noRegister: true }),
  ]);
  await rig.until('1002 registered', async () => /\bOK\b/.test(String((await agent.command('reginfo'))['data'] ?? '').replace(ANSI, ' ')));
  await api('POST', '/trunks', {
    id: 'carrier',
    name: 'Test carrier',
    host: '127.0.0.1',
    port: carrier.sipPort,
    auth: { kind: 'ip' },
    acl: ['127.0.0.1/32'],
    sourcePort: carrier.sipPort,
    qualifySeconds: 0,
  });
  await api('POST', '/outbound-routes', { id: 'mobile', name: 'Mobiles via the carrier', pattern: '_1X.', gateways: ['carrier'], class: 'national' });
  await api('PUT', '/class-of-service/1002', { class: 'national' });
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
    callback: { key: '1', maxAttempts: 2, retryDelayMs: 5_000, expiryMs: 600_000, customerRingMs: 8_000 },
  });
  await api('POST', '/acd/agents', { id: '1002', name: 'Agent 1002', skills: {}, memberships: [{ queueId: 'hotline', penalty: 0 }] });
});

test.afterEach.always((t) => {
  if (!t.passed && rig) t.log(`daemon output:\n${rig.output()}`);
});

test.after.always(async () => {
  await rig?.stop();
});

serial('a carrier caller asks for a callback; the agent is rung first, then the mobile number goes out through the outbound route and trunk, and both are bridged', async (t) => {
  await featureCode(agent, '*21');
  await featureCode(agent, '*2301');
  await rig.until('1002 on break', async () => (await api<{ status: string }>('GET', '/acd/agents/1002/snapshot')).status === 'on-break');

  // 1. The carrier's caller waits, presses 1 and is cleared.
  const callerClosed = next(carrier, 'CALL_CLOSED', 20_000);
  await carrier.command('dial', rig.sipUri('95599'));
  await next(carrier, 'CALL_ESTABLISHED', 8_000);
  await rig.until('the caller waiting in the queue', () => rig.query<{ n: number }>("SELECT COUNT(*) AS n FROM acd_events WHERE type = 'queue.caller.joined'")[0]!.n > 0);
  await sleep(300);
  await carrier.command('sndcode', '1');
  await callerClosed;
  const cb = await rig.until('the stored callback', () => rig.query<{ id: string; number: string }>("SELECT id, number FROM acd_callbacks WHERE status = 'pending'")[0]);
  t.is(cb.number, CUSTOMER);
  // CDRs are written in batches (calls/cdr-batch.ts): wait for the caller's.
  const inbound = await rig.until('the caller\'s CDR', () => {
    const rows = rig.query<{ direction: string; party: string }>("SELECT l.direction, l.party FROM cdrs c JOIN cdr_legs l ON l.call_id = c.call_id WHERE c.called = '95599'");
    return rows.length > 0 && rows;
  });
  t.deepEqual(inbound, [{ direction: 'inbound', party: CUSTOMER }], 'the caller came in over the trunk with its own number');

  // 2. The agent comes back: agent first, then the customer over the trunk.
  await carrier.command('answermode', 'auto');
  const agentUp = next(agent, 'CALL_ESTABLISHED', 10_000);
  const customerUp = next(carrier, 'CALL_ESTABLISHED', 15_000);
  const before = Date.now();
  await featureCode(agent, '*24');
  await agentUp;
  await customerUp;
  await sleep(2_000);
  const closed = next(agent, 'CALL_CLOSED', 10_000);
  await carrier.command('hangup');
  await closed;

  // 3. The record.
  const cdr = await rig.until('callback CDR', () =>
    rig.query<{ call_id: string; direction: string }>("SELECT call_id, direction FROM cdrs WHERE route_id = 'callback' AND started_at >= ?", before)[0],
  );
  t.is(cdr.direction, 'outbound');
  const legs = rig.query<{ direction: string; party: string; created_at: number; answered_at: number | null }>(
    'SELECT direction, party, created_at, answered_at FROM cdr_legs WHERE call_id = ? ORDER BY position',
    cdr.call_id,
  );
  t.deepEqual(
    legs.map((l) => [l.direction, l.party]),
    [
      ['outbound', '1002'],
      ['outbound', CUSTOMER],
    ],
  );
  t.true(legs[0]!.answered_at !== null && legs[1]!.created_at >= legs[0]!.answered_at, 'the customer was dialled only after the agent answered');
  t.not(legs[1]!.answered_at, null, 'the carrier answered');
  await rig.until('callback completed', () => rig.query<{ status: string }>('SELECT status FROM acd_callbacks WHERE id = ?', cb.id)[0]?.status === 'completed');
  const heardByCustomer = wavSamples(await rig.until('customer recording', () => lastHeardSince(carrier, before))).samples;
  const heardByAgent = wavSamples(await rig.until('agent recording', () => lastHeardSince(agent, before))).samples;
  const c = toneMax(heardByCustomer, F.agent);
  const a = toneMax(heardByAgent, F.carrier);
  t.log(`callback over the trunk: customer heard the agent at ${c.toFixed(0)}, the agent heard the customer at ${a.toFixed(0)}`);
  t.true(c > HEARD, 'the customer hears the agent');
  t.true(a > HEARD, 'the agent hears the customer');
});
