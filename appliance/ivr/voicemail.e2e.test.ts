/**
 * Issue 7 voicemail (留言) end to end on the REAL daemon (main.ts from source) with a baresip
 * caller: 1001 dials 95599, routed to a published one-node voicemail flow; after the beep it
 * sends a tone for ~3 s and presses # (RFC 4733). The message is recorded on the media engine
 * (a `recordings` ledger row, complete, and a WAV whose caller channel holds the tone), stored
 * in voicemail_messages, and the subscriber makes it a work order of source 'voicemail' with the
 * call and the recording linked and the caller's number as contact.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import type { Baresip } from '../calls/testing/baresip.js';
import { haveBaresip } from '../daemon/testing/baresip-phone.js';
import { startRig, type DaemonRig } from '../daemon/testing/daemon-rig.js';
import { sleep } from '../daemon/testing/wait.js';

const serial = haveBaresip ? test.serial : test.serial.skip;
const FLOW = 'leave-a-message';

let rig: DaemonRig;
let caller: Baresip;

/** Share of the left (caller) channel's A-law samples that are not silence codes, in a stereo A-law WAV. */
function callerActivity(file: string): number {
  const buf = readFileSync(file);
  const at = buf.indexOf('data');
  const data = buf.subarray(at + 8);
  let loud = 0;
  let n = 0;
  for (let i = 0; i + 1 < data.length; i += 2) {
    n++;
    // A-law: 0xD5/0x55 and their neighbours are the quietest codes; a 8000-peak tone is far above.
    if ((data[i]! ^ 0x55) & 0x70) loud++;
  }
  return n === 0 ? 0 : loud / n;
}

test.before(async () => {
  if (!haveBaresip) return;
  rig = await startRig({ phones: 1, rtpPorts: 20 });
  await rig.extension('1001', 'Caller phone');
  caller = await rig.phone({ name: 'caller', user: '1001', tone: { freq: 500, toneMs: 60_000, silenceMs: 1000 }, answer: false, quitAfterS: 120 });
});

test.after.always(() => rig?.stop());

serial('baresip caller leaves a message ended by #: recording + row + work order of source voicemail with the call and recording', async (t) => {
  const api = rig.api(await rig.apiKey('vm-e2e', ['ivr:write', 'ivr:read']));
  const saved = (await api('PUT', `/ivr/flows/${FLOW}/draft`, {
    id: FLOW,
    name: '留言',
    start: 'msg',
    nodes: {
      msg: { verb: 'voicemail', prompt: [{ silenceMs: 500 }], orderType: 'voicemail-callback', minMs: 1000, next: 'bye' },
      bye: { verb: 'hangup', prompt: [{ silenceMs: 200 }] },
    },
  })) as { version: number };
  await api('POST', `/ivr/flows/${FLOW}/versions/${saved.version}/publish`);
  await rig.route('voicemail', '95599', `ivr:${FLOW}`);
  await rig.until('caller registered', () => rig.bound('1001'));

  await caller.command('dial', rig.sipUri('95599'));
  await caller.waitEvent('CALL_ESTABLISHED', 10_000);
  // The ledger row opens when the recording starts (after the prompt and the beep).
  const open = await rig.until('the message recording started', () => rig.query<{ id: string; call_id: string }>("SELECT id, call_id FROM recordings WHERE call_id LIKE '%-vm%'")[0]);
  await sleep(3000);
  await caller.command('sndcode', '#');
  await caller.waitEvent('CALL_CLOSED', 10_000);

  const msg = await rig.until('the message with its work order', () =>
    rig.query<{ id: string; call_id: string; caller: string; recording_path: string; recording_id: string; duration_ms: number; ended_by: string; work_order_id: string | null; work_order_error: string | null }>('SELECT * FROM voicemail_messages').find((m) => m.work_order_id || m.work_order_error),
  );
  t.is(msg.work_order_error, null);
  t.like(msg, { caller: '1001', ended_by: 'key', recording_id: open.id });
  t.is(open.call_id, `${msg.call_id}-vm1`);
  t.true(msg.duration_ms >= 2500 && msg.duration_ms < 8000, `${msg.duration_ms} ms`);

  const rec = await rig.until('the recording row complete', () => rig.query<{ state: string; path: string; duration_ms: number }>("SELECT state, path, duration_ms FROM recordings WHERE id = ? AND state != 'open'", open.id)[0]);
  t.is(rec.state, 'complete');
  t.is(rec.path, msg.recording_path);
  t.true(existsSync(rec.path));
  const activity = callerActivity(rec.path);
  t.log(`message ${msg.duration_ms} ms, caller channel active ${(activity * 100).toFixed(0)} %`);
  t.true(activity > 0.4, 'the caller’s tone is in the recording');

  const [order] = rig.query<{ id: string; source: string; type_id: string; contact_phone: string; status: string }>('SELECT id, source, type_id, contact_phone, status FROM workorders WHERE id = ?', msg.work_order_id);
  t.like(order, { source: 'voicemail', type_id: 'voicemail', contact_phone: '1001', status: 'new' });
  const links = rig.query<{ kind: string; ref: string }>('SELECT kind, ref FROM workorder_links WHERE order_id = ? ORDER BY kind', msg.work_order_id).map((l) => `${l.kind}:${l.ref}`);
  t.deepEqual(links, [`call:${msg.call_id}`, `recording:${open.id}`]);
  // CDRs are group-committed (calls/cdr-write-behind.ts) once the call has ended: wait for the row.
  const cdr = await rig.until('the CDR', () => rig.query<{ target: string }>('SELECT target FROM cdrs WHERE call_id = ?', msg.call_id)[0]);
  t.is(cdr.target, FLOW);
});
