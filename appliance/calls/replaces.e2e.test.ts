/**
 * INVITE with Replaces received (RFC 3891, calls/replaces.ts) with real peers: baresip phones
 * (1001 calls; 1002 rings without answering; 1003 auto-answers) registered with Digest to the
 * appliance's SIP access layer, and SIPp as the phone sending the INVITE with Replaces (Digest
 * MD5 too, the Replaces value given with `-key`; scenarios written per test into a temp dir).
 *
 *  - No such dialog → 481; Replaces naming a caller's INVITE still ringing here (an early dialog
 *    the appliance did not initiate) → 481.
 *  - Pickup: 1001 → 1002 ringing; SIPp (extension 1004) replaces the appliance's early dialog
 *    to 1002: SIPp gets 200, 1002's phone stops ringing, 1001 is answered and hears SIPp's tone;
 *    CDR: three legs and a 'replaces' entry (1002's leg replaced by 1004's).
 *  - Confirmed: 1001 ↔ 1003 talking. SIPp as 1002 → 403 (not its leg); as 1003 with early-only
 *    → 486; as 1003 (the same extension on another device) → 200: 1003's baresip gets a BYE,
 *    1001 stays up and hears SIPp, SIPp's BYE ends the call; CDR shows the replacement.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeUdpPort, SIPP, toneFile } from '../../bench/sipp/harness.js';
import type { SipChannel } from '../channel/sip-channel.js';
import { systemClock } from '../core/clock.js';
import { EventBus, type AnyAppEvent } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { MediaEngine } from '../media/engine/media-engine.js';
import { goertzelAmplitude } from '../media/tones/goertzel.js';
import { formatReplaces } from '../sip/dialog/refer.js';
import { createSipAccess, type SipAccess } from '../sip/registrar/stack.js';
import { SipEndpoint } from '../sip/ua/endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from '../sip/ua/user-agent.js';
import { openStore, type Store } from '../store/database.js';
import { CallHandler } from './call-handler.js';
import { SqliteCallStore, type CdrRecord } from './call-store.js';
import { Baresip, freePortBlock, writeToneWav } from './testing/baresip.js';
import { sleep, until } from '../daemon/testing/wait.js';
import { countEvents } from '../daemon/testing/baresip-phone.js';

const haveBaresip = existsSync('/usr/bin/baresip') && existsSync('/usr/lib/baresip/modules/ctrl_tcp.so');
const serial = haveBaresip && SIPP ? test.serial : test.serial.skip;

const REALM = 'hotline.local';
const dir = tempDir('replaces-e2e-');
const log = silentLogger();
const clock = systemClock;
const bus = new EventBus({ clock, log });
const events: AnyAppEvent[] = [];
bus.onAny((e) => events.push(e));

let db: Store;
let access: SipAccess;
let engine: MediaEngine;
let endpoint: SipEndpoint;
let handler: CallHandler;
let store: SqliteCallStore;
let appPort = 0;
let ports = 0;
let a: Baresip;
let b: Baresip;
let c: Baresip;

function cdrOf(callId: string): Promise<CdrRecord> {
  return until(`CDR of ${callId}`, () => events.some((e) => e.type === 'call.cdr.written' && (e.payload as { callId: string }).callId === callId) && store.cdr(callId), 15_000);
}

/** The leg of the call created most recently for `party` in `direction`. */
function legOf(direction: 'inbound' | 'outbound', party: string): SipChannel {
  const e = [...events].reverse().find((x) => x.type === 'call.leg.created' && (x.payload as { direction: string }).direction === direction && (x.payload as { party: string }).party === party);
  const legId = (e?.payload as { legId: string } | undefined)?.legId;
  const ch = legId ? handler.callOf(legId)?.channels.find((x) => x.id === legId) : undefined;
  if (!ch) throw new Error(`no ${direction} leg for ${party}`);
  return ch as SipChannel;
}

/** The Replaces value naming a leg's dialog as its phone sees it. */
function replacesFor(leg: SipChannel, extra = ''): string {
  const d = leg.session.dialogIds[0]!;
  return formatReplaces({ callId: d.callId, toTag: d.localTag, fromTag: d.remoteTag }) + extra;
}

/** A SIPp UAC scenario: INVITE with Replaces, the Digest challenge answered, then `expect`: 200 (ACK, tone for holdMs, BYE) or a refusal (ACK). */
function scenario(expect: number, holdMs = 0): string {
  const sdp = `v=0
      o=sipp 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000`;
  const invite = (cseq: number, auth: boolean): string => `
  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[user]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: ${cseq} INVITE
      Contact: <sip:[user]@[local_ip]:[local_port]>
      Replaces: [replaces]
      Require: replaces${auth ? '\n      [authentication]' : ''}
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      ${sdp}

    ]]>
  </send>`;
  const ack = (cseq: number, via: string): string => `
  <send>
    <![CDATA[

      ACK ${via === 'last' ? 'sip:[service]@[remote_ip]:[remote_port]' : '[next_url]'} SIP/2.0
      ${via === 'last' ? '[last_Via:]' : 'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]'}
      From: <sip:[user]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: ${cseq} ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>`;
  const tail =
    expect === 200
      ? `
  <recv response="200" rrs="true"/>
  ${ack(2, 'new')}
  <nop><action><exec rtp_stream="tone.alaw,-1,8"/></action></nop>
  <pause milliseconds="${holdMs}"/>
  <send retrans="500">
    <![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[user]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>`
      : `
  <recv response="${expect}"/>
  ${ack(2, 'last')}`;
  const xml = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="replaces-${expect}">
  ${invite(1, false)}
  <recv response="100" optional="true"/>
  <recv response="401" auth="true"/>
  ${ack(1, 'last')}
  ${invite(2, true)}
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  ${tail}
</scenario>
`;
  const file = path.join(dir, `replaces-${expect}-${holdMs}.xml`);
  writeFileSync(file, xml);
  return file;
}

/** Run SIPp as extension `user` sending one INVITE with `replaces`; resolves with its exit code (0: the scenario went as written). */
async function sipp(t: { log(s: string): void; teardown(fn: () => void): void }, o: { user: string; replaces: string; expect: number; holdMs?: number; service?: string }): Promise<number> {
  const port = await freeUdpPort();
  const mp = await freePortBlock(4, ports + 100);
  copyFileSync(toneFile(), path.join(dir, 'tone.alaw'));
  const errors = path.join(dir, `sipp-${port}-errors.log`);
  const child = spawn(
    SIPP!,
    [
      '-sf', scenario(o.expect, o.holdMs ?? 0),
      '-t', 'u1', '-i', '127.0.0.1', '-p', String(port), '-mp', String(mp), '-nostdin', '-m', '1',
      '-s', o.service ?? '1001', '-au', o.user, '-ap', `secret-${o.user}`,
      '-key', 'user', o.user, '-key', 'replaces', o.replaces,
      '-timeout', '20s', '-timeout_error', '-trace_err', '-error_file', errors,
      `127.0.0.1:${appPort}`,
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  t.teardown(() => void child.kill('SIGKILL'));
  const code = await new Promise<number>((r) => child.on('exit', (x, sig) => r(x ?? (sig ? 128 : 1))));
  if (code !== 0 && existsSync(errors)) t.log(readFileSync(errors, 'utf8').slice(0, 3000));
  return code;
}

/** Goertzel amplitude of `freq` per 250 ms block of a baresip recording (8 kHz). */
function toneProfile(file: string, freq: number): number[] {
  const buf = readFileSync(file);
  const data = buf.indexOf('data', 12);
  const s = new Int16Array(buf.buffer.slice(buf.byteOffset + data + 8, buf.byteOffset + buf.length - ((buf.length - data - 8) % 2)));
  const out: number[] = [];
  for (let i = 0; i + 2000 <= s.length; i += 2000) out.push(goertzelAmplitude(s.subarray(i, i + 2000), freq, 8000));
  return out;
}

function newDec(p: Baresip, known: readonly string[]): string | undefined {
  return p.recordings().filter((f) => f.endsWith('-dec.wav') && !known.includes(f)).sort().pop();
}

test.before(async () => {
  if (!haveBaresip || !SIPP) return;
  ports = await freePortBlock(120);
  appPort = ports;
  db = openStore({ file: path.join(dir, 'hotline.db'), clock, log });
  store = new SqliteCallStore(db, () => clock.now());
  access = createSipAccess(
    { store: db, clock, log, bus },
    { realm: REALM, userAgent: 'hotline', algorithms: ['MD5'], qualifyIntervalMs: 0, firewall: { rateLimit: 10_000 } },
  );
  for (const n of ['1001', '1002', '1003', '1004']) access.extensions.create({ number: n, displayName: `Phone ${n}`, password: `secret-${n}` });
  for (const n of ['1001', '1002', '1003']) store.saveRoute({ id: `ext-${n}`, name: `extension ${n}`, did: n, target: { kind: 'extension', extension: n } });
  engine = new MediaEngine({ workers: 1, rtpPortMin: ports + 50, rtpPortMax: ports + 89, bindAddress: '127.0.0.1', clock, log });
  await engine.start();
  handler = new CallHandler({
    clock,
    log,
    bus,
    store,
    engine,
    channel: { prompts: { resolve: () => null }, mediaAddress: '127.0.0.1', codecs: ['PCMA', 'PCMU'], rtpTimeoutMs: 0 },
    contacts: {
      locate: (ext) => access.registrar.lookup(ext).map((x) => ({ uri: x.uri, hop: { host: x.destination.host, port: x.destination.port, protocol: x.destination.protocol } })),
    },
    guard: { check: (req, source) => access.authenticator.check(req, source) },
    flows: { flow: () => null },
    ringTimeoutMs: 15_000,
  });
  const ua = new UserAgent({ clock, log, t1: 500, t2: 4000, invites: handler, registrar: { onRegister: (req, tx, ep) => access.registrar.handleRegister(req, tx, ep) } });
  endpoint = await SipEndpoint.listen(
    { host: '127.0.0.1', port: appPort, transports: ['udp'], tlsPort: 5061, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: REALM },
    { clock, handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT], wrapTransport: (t) => access.firewall.wrap(t) },
  );
  ua.attach(endpoint);
  handler.attach(ua);
  access.attach(endpoint);
  const registrar = `127.0.0.1:${appPort}`;
  const wav = (name: string, freq: number): string => {
    const f = path.join(dir, `${name}.wav`);
    writeToneWav(f, freq, 55_000, 5_000);
    return f;
  };
  // 1001 plays 600 Hz, so the 1 kHz it hears can only come from SIPp (tone.alaw).
  [a, b, c] = await Promise.all([
    Baresip.start({ name: 'a', dir, user: '1001', wav: wav('a', 600), answer: false, ports: ports + 1, register: { registrar, password: 'secret-1001' }, quitAfterS: 90 }),
    Baresip.start({ name: 'b', dir, user: '1002', wav: wav('b', 1400), answer: false, ports: ports + 13, register: { registrar, password: 'secret-1002' }, quitAfterS: 90 }),
    Baresip.start({ name: 'c', dir, user: '1003', wav: wav('c', 1400), answer: true, ports: ports + 25, register: { registrar, password: 'secret-1003' }, quitAfterS: 90 }),
  ]);
  await until('three phones registered', () => ['1001', '1002', '1003'].every((n) => access.registrar.lookup(n).length > 0));
});

test.after.always(async () => {
  await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
  await endpoint?.close();
  access?.close();
  await engine?.stop();
  await db?.close();
});

serial('pickup: SIPp (1004) replaces the early dialog ringing 1002; unknown dialog and the caller’s own early dialog get 481; CDR lists the replacement', async (t) => {
  events.length = 0;
  t.is(await sipp(t, { user: '1004', replaces: 'no-such-call@x;to-tag=a;from-tag=b', expect: 481 }), 0, 'no such dialog: 481');
  const known = a.recordings();
  const n = { aUp: countEvents(a, 'CALL_ESTABLISHED'), aDown: countEvents(a, 'CALL_CLOSED'), bIn: countEvents(b, 'CALL_INCOMING'), bDown: countEvents(b, 'CALL_CLOSED') };
  await a.command('dial', `sip:1002@127.0.0.1:${appPort}`);
  await until('1002 rings', () => countEvents(b, 'CALL_INCOMING') > n.bIn);
  const ringing = legOf('outbound', '1002');
  const caller = legOf('inbound', '1001');
  await until('early dialogs', () => ringing.session.dialogIds.length > 0 && caller.session.dialogIds.length > 0);
  t.is(await sipp(t, { user: '1004', replaces: replacesFor(caller), expect: 481 }), 0, 'a caller’s INVITE ringing here cannot be replaced: 481');
  const callId = handler.callOf(ringing.id)!.id;
  const run = sipp(t, { user: '1004', replaces: replacesFor(ringing), expect: 200, holdMs: 3000 });
  await until('1002 stops ringing', () => countEvents(b, 'CALL_CLOSED') > n.bDown);
  await until('1001 answered', () => countEvents(a, 'CALL_ESTABLISHED') > n.aUp);
  t.is(await run, 0, 'SIPp: 200, ACK, its BYE answered');
  await until('1001 cleared', () => countEvents(a, 'CALL_CLOSED') > n.aDown);
  t.is(countEvents(b, 'CALL_ESTABLISHED'), 0, '1002 never answered');
  const cdr = await cdrOf(callId);
  t.deepEqual(cdr.legs.map((l) => [l.direction, l.party, l.answeredAt !== null]), [['inbound', '1001', true], ['outbound', '1002', false], ['inbound', '1004', true]]);
  t.deepEqual(cdr.transfers?.map((x) => [x.kind, x.transferorLegId, x.transfereeLegId, x.targetLegId, x.target, x.outcome]), [['replaces', cdr.legs[1]!.legId, cdr.legs[0]!.legId, cdr.legs[2]!.legId, '1004', 200]]);
  const replaced = events.find((e) => e.type === 'call.leg.replaced')?.payload as { early: boolean } | undefined;
  t.is(replaced?.early, true);
  const dec = await until('1001’s recording', () => newDec(a, known));
  const heard = toneProfile(dec, 1000).filter((x) => x > 1000).length;
  t.log(`1001 heard SIPp's 1 kHz in ${heard} blocks of 250 ms`);
  t.true(heard >= 4, 'the picker’s audio reached the caller');
});

serial('confirmed: 1002 may not take 1003’s leg (403), early-only → 486, 1003 on another device replaces it (200): BYE to the old phone, the caller stays; CDR', async (t) => {
  events.length = 0;
  const known = a.recordings();
  const n = { aUp: countEvents(a, 'CALL_ESTABLISHED'), aDown: countEvents(a, 'CALL_CLOSED'), cUp: countEvents(c, 'CALL_ESTABLISHED'), cDown: countEvents(c, 'CALL_CLOSED') };
  await a.command('dial', `sip:1003@127.0.0.1:${appPort}`);
  await until('1001 ↔ 1003', () => countEvents(a, 'CALL_ESTABLISHED') > n.aUp && countEvents(c, 'CALL_ESTABLISHED') > n.cUp);
  const leg = legOf('outbound', '1003');
  const callId = handler.callOf(leg.id)!.id;
  t.is(await sipp(t, { user: '1002', replaces: replacesFor(leg), expect: 403 }), 0, 'another extension: 403');
  t.is(await sipp(t, { user: '1003', replaces: replacesFor(leg, ';early-only'), expect: 486 }), 0, 'early-only on a confirmed dialog: 486');
  t.is(countEvents(c, 'CALL_CLOSED'), n.cDown, 'refusals left the call alone');
  const run = sipp(t, { user: '1003', replaces: replacesFor(leg), expect: 200, holdMs: 3000 });
  await until('the old phone got its BYE', () => countEvents(c, 'CALL_CLOSED') > n.cDown);
  t.is(countEvents(a, 'CALL_CLOSED'), n.aDown, '1001 stays up');
  t.is(await run, 0, 'SIPp: 200, ACK, its BYE answered');
  await until('1001 cleared by SIPp’s BYE', () => countEvents(a, 'CALL_CLOSED') > n.aDown);
  const cdr = await cdrOf(callId);
  t.deepEqual(cdr.legs.map((l) => [l.direction, l.party, l.endedBy]), [['inbound', '1001', 'local'], ['outbound', '1003', 'local'], ['inbound', '1003', 'remote']]);
  t.deepEqual(cdr.transfers?.map((x) => [x.kind, x.transferorLegId, x.transfereeLegId, x.targetLegId]), [['replaces', cdr.legs[1]!.legId, cdr.legs[0]!.legId, cdr.legs[2]!.legId]]);
  t.is(cdr.endedBy, 'remote', 'the replacing phone’s BYE ended the call, not the replaced leg');
  const dec = await until('1001’s recording', () => newDec(a, known));
  const profile = toneProfile(dec, 1000);
  t.log(`1001 heard SIPp's 1 kHz: ${profile.map((x) => (x > 1000 ? '#' : '.')).join('')}`);
  t.true(profile.filter((x) => x > 1000).length >= 4, 'the new leg’s audio reached 1001');
});
