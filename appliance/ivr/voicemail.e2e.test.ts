/**
 * Issue 7 voicemail (留言) end to end on the REAL daemon (main.ts from source) with a baresip
 * caller: 1001 dials 95599, routed to a published one-node voicemail flow; after the beep it
 * sends a tone for ~3 s and presses # (RFC 4733). The message is recorded on the media engine
 * (a `recordings` ledger row, complete, and a WAV whose caller channel holds the tone), stored
 * in voicemail_messages, and the subscriber makes it a work order of source 'voicemail' with the
 * call and the recording linked and the caller's number as contact.
 */
import test from 'ava';
import BetterSqlite3 from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Baresip, freePortBlock, writeToneWav } from '../calls/testing/baresip.js';
import { cleanup, freePort, instance, runCli, startDaemon, type Instance, type Running } from '../daemon/testing/daemon-harness.js';
import { DB_FILE_NAME } from '../store/database.js';

const haveBaresip = existsSync('/usr/bin/baresip') && existsSync('/usr/lib/baresip/modules/ctrl_tcp.so') && existsSync('/usr/lib/baresip/modules/sndfile.so');
const serial = haveBaresip ? test.serial : test.serial.skip;
const FLOW = 'leave-a-message';

let inst: Instance;
let daemon: Running;
let url = '';
let sipPort = 0;
let caller: Baresip;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; daemon stderr: ${daemon?.stderr().slice(-2000)}`);
    await sleep(100);
  }
}

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
  const ports = await freePortBlock(40);
  sipPort = ports + 12;
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
      `  rtpPortMax: ${ports + 39}`,
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
  await cli('extension', 'add', '--number', '1001', '--name', 'Caller phone', '--password', 'secret-1001');
  const tone = path.join(inst.dir, 'tone.wav');
  writeToneWav(tone, 500, 60_000, 1000);
  caller = await Baresip.start({ name: 'caller', dir: inst.dir, user: '1001', wav: tone, answer: false, ports, register: { registrar: `127.0.0.1:${sipPort}`, password: 'secret-1001' }, quitAfterS: 120 });
});

test.after.always(async () => {
  await caller?.stop();
  if (daemon) {
    daemon.child.kill('SIGTERM');
    await Promise.race([daemon.exited, sleep(5000)]);
    cleanup(daemon);
  }
});

serial('baresip caller leaves a message ended by #: recording + row + work order of source voicemail with the call and recording', async (t) => {
  const out = await cli('api-key', 'create', '--name', 'vm-e2e', '--scopes', 'ivr:write,ivr:read');
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
  await cli('route', 'add', '--id', 'voicemail', '--did', '95599', '--target', `ivr:${FLOW}`);
  await until('caller registered', () => query('SELECT aor FROM sip_bindings WHERE aor = ?', '1001').length > 0);

  await caller.command('dial', `sip:95599@127.0.0.1:${sipPort}`);
  await caller.waitEvent('CALL_ESTABLISHED', 10_000);
  // The ledger row opens when the recording starts (after the prompt and the beep).
  const open = await until('the message recording started', () => query<{ id: string; call_id: string }>("SELECT id, call_id FROM recordings WHERE call_id LIKE '%-vm%'")[0]);
  await sleep(3000);
  await caller.command('sndcode', '#');
  await caller.waitEvent('CALL_CLOSED', 10_000);

  const msg = await until('the message with its work order', () =>
    query<{ id: string; call_id: string; caller: string; recording_path: string; recording_id: string; duration_ms: number; ended_by: string; work_order_id: string | null; work_order_error: string | null }>('SELECT * FROM voicemail_messages').find((m) => m.work_order_id || m.work_order_error),
  );
  t.is(msg.work_order_error, null);
  t.like(msg, { caller: '1001', ended_by: 'key', recording_id: open.id });
  t.is(open.call_id, `${msg.call_id}-vm1`);
  t.true(msg.duration_ms >= 2500 && msg.duration_ms < 8000, `${msg.duration_ms} ms`);

  const rec = await until('the recording row complete', () => query<{ state: string; path: string; duration_ms: number }>("SELECT state, path, duration_ms FROM recordings WHERE id = ? AND state != 'open'", open.id)[0]);
  t.is(rec.state, 'complete');
  t.is(rec.path, msg.recording_path);
  t.true(existsSync(rec.path));
  const activity = callerActivity(rec.path);
  t.log(`message ${msg.duration_ms} ms, caller channel active ${(activity * 100).toFixed(0)} %`);
  t.true(activity > 0.4, 'the caller’s tone is in the recording');

  const [order] = query<{ id: string; source: string; type_id: string; contact_phone: string; status: string }>('SELECT id, source, type_id, contact_phone, status FROM workorders WHERE id = ?', msg.work_order_id);
  t.like(order, { source: 'voicemail', type_id: 'voicemail', contact_phone: '1001', status: 'new' });
  const links = query<{ kind: string; ref: string }>('SELECT kind, ref FROM workorder_links WHERE order_id = ? ORDER BY kind', msg.work_order_id).map((l) => `${l.kind}:${l.ref}`);
  t.deepEqual(links, [`call:${msg.call_id}`, `recording:${open.id}`]);
  // CDRs are group-committed (calls/cdr-batch.ts) once the call has ended: wait for the row.
  const cdr = await until('the CDR', () => query<{ target: string }>('SELECT target FROM cdrs WHERE call_id = ?', msg.call_id)[0]);
  t.is(cdr.target, FLOW);
});
