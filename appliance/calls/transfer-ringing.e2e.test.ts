/**
 * Transfers while the target rings, and the REFER's NOTIFY progress (RFC 3515 §2.4.5;
 * calls/transfer.ts, calls/transfer-ringing.ts) with real peers: baresip phones registered with
 * Digest (1001 dials; 1002 auto-answers; 1003 rings until the test accepts), SIPp as a
 * transferor whose scenario checks every NOTIFY's message/sipfrag and Subscription-State.
 *
 *  - Blind transfer to a ringing target: SIPp (1004) calls 1002 and REFERs it to 1003; SIPp must
 *    see NOTIFY "100 Trying" (active), "180 Ringing" (active), and after 1003 answers "200 OK"
 *    with `terminated;reason=noresource`, then the appliance's BYE. 1002 and 1003 talk; CDR.
 *  - Blind transfer refused by the target: 1003 rejects; SIPp sees 100, 180, then the failure
 *    status (terminated) and stays in its call with 1002 (RFC 5589 §6.2), which it then ends.
 *  - REFER before the bridge exists: 1001 calls 1005 (a SIPp UAS), which sends its REFER in the
 *    early dialog and answers only once it is accepted; the transfer waits for the bridge
 *    (without that it was declined 603) and SIPp sees 202, NOTIFY 100 / 180 / 200, BYE.
 *  - Semi-attended (RFC 5589 §7.3): 1001 → 1002; 1002 holds and calls 1003, which rings; 1002
 *    REFERs 1001 with Replaces naming that still-ringing consultation INVITE. 1002's calls end,
 *    1003 keeps ringing (never re-rung), answers, and 1001 and 1003 hear each other; CDRs.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeUdpPort, SIPP } from '../../bench/sipp/harness.js';
import type { SipChannel } from '../channel/sip-channel.js';
import { systemClock } from '../core/clock.js';
import { EventBus, type AnyAppEvent } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { MediaEngine } from '../media/engine/media-engine.js';
import { goertzelAmplitude } from '../media/tones/goertzel.js';
import { formatReplaces } from '../sip/dialog/refer.js';
import { parseUri } from '../sip/message/index.js';
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
const serial = haveBaresip ? test.serial : test.serial.skip;
const serialSipp = haveBaresip && SIPP ? test.serial : test.serial.skip;

const REALM = 'hotline.local';
const dir = tempDir('transfer-ringing-e2e-');
const log = silentLogger();
const clock = systemClock;
const bus = new EventBus({ clock, log });
const events: AnyAppEvent[] = [];
bus.onAny((e) => events.push(e));
const FREQ = { a: 600, b: 1000, c: 1400 } as const;

let db: Store;
let access: SipAccess;
let engine: MediaEngine;
let endpoint: SipEndpoint;
let handler: CallHandler;
let store: SqliteCallStore;
let appPort = 0;
let ports = 0;
let uasPort = 0;
let a: Baresip;
let b: Baresip;
let c: Baresip;

function cdrOf(callId: string): Promise<CdrRecord> {
  return until(`CDR of ${callId}`, () => events.some((e) => e.type === 'call.cdr.written' && (e.payload as { callId: string }).callId === callId) && store.cdr(callId), 15_000);
}

function legOf(direction: 'inbound' | 'outbound', party: string): SipChannel {
  const e = [...events].reverse().find((x) => x.type === 'call.leg.created' && (x.payload as { direction: string }).direction === direction && (x.payload as { party: string }).party === party);
  const legId = (e?.payload as { legId: string } | undefined)?.legId;
  const ch = legId ? handler.callOf(legId)?.channels.find((x) => x.id === legId) : undefined;
  if (!ch) throw new Error(`no ${direction} leg for ${party}`);
  return ch as SipChannel;
}

function toneProfile(file: string, freq: number): number[] {
  const buf = readFileSync(file);
  const data = buf.indexOf('data', 12);
  const s = new Int16Array(buf.buffer.slice(buf.byteOffset + data + 8, buf.byteOffset + buf.length - ((buf.length - data - 8) % 2)));
  const out: number[] = [];
  for (let i = 0; i + 2000 <= s.length; i += 2000) out.push(goertzelAmplitude(s.subarray(i, i + 2000), freq, 8000));
  return out;
}

const heard = (p: readonly number[]): number => p.filter((x) => x > 1000).length;

function newDec(p: Baresip, known: readonly string[]): string | undefined {
  return p.recordings().filter((f) => f.endsWith('-dec.wav') && !known.includes(f)).sort().pop();
}

/**
 * SIPp transferor: calls [service] (Digest), REFERs the call to [target], checks the NOTIFYs
 * (100 and 180 active, then `final` terminated;reason=noresource). Success: the appliance sends
 * BYE. Failure: SIPp still has its call and ends it.
 */
function transferorScenario(final: string, success: boolean): string {
  const head = (method: string, cseq: number): string => `
      ${method} ${cseq === 1 || method === 'INVITE' ? 'sip:[service]@[remote_ip]:[remote_port]' : '[next_url]'} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[user]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      ${method === 'INVITE' ? 'To: <sip:[service]@[remote_ip]:[remote_port]>' : '[$to]'}
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:[user]@[local_ip]:[local_port]>
      Max-Forwards: 70`;
  const sdp = `v=0
      o=sipp 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000`;
  const ok = `
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>`;
  const notify = (frag: string, state: string): string => `
  <recv request="NOTIFY">
    <action>
      <ereg regexp="^SIP/2.0 ${frag}" search_in="body" check_it="true" assign_to="frag"/>
      <ereg regexp="^ *${state}" search_in="hdr" header="Subscription-State:" check_it="true" assign_to="state"/>
      <ereg regexp="^ *refer" search_in="hdr" header="Event:" check_it="true" assign_to="event"/>
    </action>
  </recv>
  ${ok}`;
  const xml = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="transferor">
  <send retrans="500">
    <![CDATA[
${head('INVITE', 1)}
      Content-Type: application/sdp
      Content-Length: [len]

      ${sdp}

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="401" auth="true"/>
  <send>
    <![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      [last_From:]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
${head('INVITE', 2)}
      [authentication]
      Content-Type: application/sdp
      Content-Length: [len]

      ${sdp}

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true">
    <action><ereg regexp=".*" search_in="hdr" header="To:" assign_to="to"/></action>
  </recv>
  <send>
    <![CDATA[

      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[user]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      To: [$to]
      Call-ID: [call_id]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="800"/>
  <send retrans="500">
    <![CDATA[
${head('REFER', 3).replace('[$to]', 'To: [$to]')}
      Refer-To: <sip:[target]@[remote_ip]:[remote_port]>
      Referred-By: <sip:[user]@[remote_ip]>
      Content-Length: 0

    ]]>
  </send>
  <recv response="202"/>
  ${notify('100 Trying', 'active')}
  ${notify('180 Ringing', 'active')}
  ${notify(final, 'terminated;reason=noresource')}
  ${
    success
      ? `<recv request="BYE"/>
  ${ok}`
      : `<pause milliseconds="300"/>
  <send retrans="500">
    <![CDATA[
${head('BYE', 4).replace('[$to]', 'To: [$to]')}
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>`
  }
  <Reference variables="frag,state,event"/>
</scenario>
`;
  const file = path.join(dir, `transferor-${success ? 'ok' : 'fail'}.xml`);
  writeFileSync(file, xml);
  return file;
}

/**
 * SIPp callee 1005: rings, sends its REFER (to [target]) in the early dialog, before it answers
 * (so before the appliance can have bridged anything), answers once the REFER is accepted, then
 * checks the NOTIFYs and takes the BYE.
 */
function earlyReferScenario(): string {
  const ok = `
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>`;
  const notify = (frag: string, state: string): string => `
  <recv request="NOTIFY">
    <action>
      <ereg regexp="^SIP/2.0 ${frag}" search_in="body" check_it="true" assign_to="frag"/>
      <ereg regexp="^ *${state}" search_in="hdr" header="Subscription-State:" check_it="true" assign_to="state"/>
    </action>
  </recv>
  ${ok}`;
  const response = (status: string, sdp: boolean): string => `
    <![CDATA[

      SIP/2.0 ${status}
      Via:[$via]
      From:[$from]
      To:[$to];tag=[pid]SIPpTag01[call_number]
      Call-ID: [call_id]
      CSeq:[$cseq]
      Contact: <sip:1005@[local_ip]:[local_port]>
      ${sdp ? 'Content-Type: application/sdp\n      Content-Length: [len]\n\n      v=0\n      o=sipp 1 1 IN IP4 [local_ip]\n      s=-\n      c=IN IP4 [media_ip]\n      t=0 0\n      m=audio [rtpstream_audio_port] RTP/AVP 8\n      a=rtpmap:8 PCMA/8000' : 'Content-Length: 0'}

    ]]>`;
  const xml = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="early-refer">
  <recv request="INVITE" crlf="true" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="Via:" assign_to="via"/>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="to"/>
      <ereg regexp=".*" search_in="hdr" header="CSeq:" assign_to="cseq"/>
    </action>
  </recv>
  <send>${response('180 Ringing', false)}
  </send>
  <send retrans="500">
    <![CDATA[

      REFER [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:1005@127.0.0.1>;tag=[pid]SIPpTag01[call_number]
      To:[$from]
      Call-ID: [call_id]
      CSeq: 1 REFER
      Contact: <sip:1005@[local_ip]:[local_port]>
      Refer-To: <sip:[target]@[app]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="202"/>
  ${notify('100 Trying', 'active')}
  <send retrans="500">${response('200 OK', true)}
  </send>
  <recv request="ACK"/>
  ${notify('180 Ringing', 'active')}
  ${notify('200 OK', 'terminated;reason=noresource')}
  <recv request="BYE"/>
  ${ok}
  <pause milliseconds="300"/>
  <Reference variables="frag,state"/>
</scenario>
`;
  const file = path.join(dir, 'early-refer.xml');
  writeFileSync(file, xml);
  return file;
}

async function sipp(t: { log(s: string): void; teardown(fn: () => void): void }, file: string, o: { user?: string; service?: string; target: string; port?: number }): Promise<number> {
  const port = o.port ?? (await freeUdpPort());
  const mp = await freePortBlock(4, ports + 100);
  const errors = path.join(dir, `sipp-${port}-errors.log`);
  const child = spawn(
    SIPP!,
    [
      '-sf', file,
      '-t', 'u1', '-i', '127.0.0.1', '-p', String(port), '-mp', String(mp), '-nostdin', '-m', '1',
      ...(o.user && o.service ? ['-s', o.service, '-au', o.user, '-ap', `secret-${o.user}`, '-key', 'user', o.user] : []),
      '-key', 'target', o.target, '-key', 'app', `127.0.0.1:${appPort}`,
      '-timeout', '25s', '-timeout_error', '-trace_err', '-error_file', errors,
      ...(o.user ? [`127.0.0.1:${appPort}`] : []),
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  t.teardown(() => void child.kill('SIGKILL'));
  const code = await new Promise<number>((r) => child.on('exit', (x, sig) => r(x ?? (sig ? 128 : 1))));
  if (code !== 0 && existsSync(errors)) t.log(readFileSync(errors, 'utf8').slice(0, 4000));
  return code;
}

test.before(async () => {
  if (!haveBaresip) return;
  ports = await freePortBlock(120);
  appPort = ports;
  db = openStore({ file: path.join(dir, 'hotline.db'), clock, log });
  store = new SqliteCallStore(db, () => clock.now());
  access = createSipAccess(
    { store: db, clock, log, bus },
    { realm: REALM, userAgent: 'hotline', algorithms: ['MD5'], qualifyIntervalMs: 0, firewall: { rateLimit: 10_000 } },
  );
  for (const n of ['1001', '1002', '1003', '1004']) access.extensions.create({ number: n, displayName: `Phone ${n}`, password: `secret-${n}` });
  for (const n of ['1001', '1002', '1003', '1005']) store.saveRoute({ id: `ext-${n}`, name: `extension ${n}`, did: n, target: { kind: 'extension', extension: n } });
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
      locate: (ext) =>
        ext === '1005'
          ? [{ uri: parseUri(`sip:1005@127.0.0.1:${uasPort}`), hop: { host: '127.0.0.1', port: uasPort, protocol: 'udp' } }]
          : access.registrar.lookup(ext).map((x) => ({ uri: x.uri, hop: { host: x.destination.host, port: x.destination.port, protocol: x.destination.protocol } })),
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
  const wav = (name: keyof typeof FREQ): string => {
    const f = path.join(dir, `${name}.wav`);
    writeToneWav(f, FREQ[name], 55_000, 5_000);
    return f;
  };
  [a, b, c] = await Promise.all([
    Baresip.start({ name: 'a', dir, user: '1001', wav: wav('a'), answer: false, ports: ports + 1, register: { registrar, password: 'secret-1001' }, quitAfterS: 120 }),
    Baresip.start({ name: 'b', dir, user: '1002', wav: wav('b'), answer: true, ports: ports + 13, register: { registrar, password: 'secret-1002' }, quitAfterS: 120 }),
    Baresip.start({ name: 'c', dir, user: '1003', wav: wav('c'), answer: false, ports: ports + 25, register: { registrar, password: 'secret-1003' }, quitAfterS: 120 }),
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

serialSipp('blind transfer to a ringing target: NOTIFY 100 → 180 → 200 (terminated;reason=noresource), then BYE to the transferor; 1002 and 1003 bridged', async (t) => {
  events.length = 0;
  const known = c.recordings();
  const n = { bUp: countEvents(b, 'CALL_ESTABLISHED'), bDown: countEvents(b, 'CALL_CLOSED'), cIn: countEvents(c, 'CALL_INCOMING'), cUp: countEvents(c, 'CALL_ESTABLISHED'), cDown: countEvents(c, 'CALL_CLOSED') };
  const run = sipp(t, transferorScenario('200 OK', true), { user: '1004', service: '1002', target: '1003' });
  await until('1003 rings', () => countEvents(c, 'CALL_INCOMING') > n.cIn, 15_000);
  await sleep(700);
  await c.command('accept');
  t.is(await run, 0, 'SIPp saw 202, NOTIFY 100 / 180 / 200 with the right Subscription-State, and the BYE');
  await until('1003 up', () => countEvents(c, 'CALL_ESTABLISHED') > n.cUp);
  t.is(countEvents(b, 'CALL_CLOSED'), n.bDown, '1002 stays up, now with 1003');
  await sleep(1500);
  await b.command('hangup');
  await until('1003 cleared', () => countEvents(c, 'CALL_CLOSED') > n.cDown);
  const done = events.find((e) => e.type === 'call.transfer.completed')?.payload as { callId: string; kind: string } | undefined;
  t.is(done?.kind, 'blind');
  const cdr = await cdrOf(done!.callId);
  t.deepEqual(cdr.legs.map((l) => [l.direction, l.party]), [['inbound', '1004'], ['outbound', '1002'], ['outbound', '1003']]);
  t.deepEqual(cdr.transfers?.map((x) => [x.kind, x.target, x.outcome]), [['blind', '1003', 200]]);
  const dec = await until('1003’s recording', () => newDec(c, known));
  t.true(heard(toneProfile(dec, FREQ.b)) >= 3, '1002’s tone reached 1003');
});

serialSipp('blind transfer refused by the ringing target: NOTIFY 100 → 180 → 486 (terminated); the transferor keeps its call', async (t) => {
  events.length = 0;
  const n = { bDown: countEvents(b, 'CALL_CLOSED'), cIn: countEvents(c, 'CALL_INCOMING'), cDown: countEvents(c, 'CALL_CLOSED') };
  const run = sipp(t, transferorScenario('486 ', false), { user: '1004', service: '1002', target: '1003' });
  await until('1003 rings', () => countEvents(c, 'CALL_INCOMING') > n.cIn, 15_000);
  await sleep(500);
  await c.command('hangup');
  t.is(await run, 0, 'SIPp saw NOTIFY 100 / 180 / 486 and ended its own call');
  await until('1002 cleared by SIPp’s BYE', () => countEvents(b, 'CALL_CLOSED') > n.bDown);
  const failed = events.find((e) => e.type === 'call.transfer.failed')?.payload as { callId: string; status: number } | undefined;
  t.is(failed?.status, 486);
  const cdr = await cdrOf(failed!.callId);
  t.deepEqual(cdr.transfers?.map((x) => [x.kind, x.outcome]), [['blind', 486]]);
  t.is(cdr.endedBy, 'remote');
});

serialSipp('REFER from the callee in the early dialog, before its answer: the transfer waits for the bridge; NOTIFY 100 → 180 → 200, BYE; 1001 ends up with 1003', async (t) => {
  events.length = 0;
  const n = { aUp: countEvents(a, 'CALL_ESTABLISHED'), aDown: countEvents(a, 'CALL_CLOSED'), cIn: countEvents(c, 'CALL_INCOMING'), cUp: countEvents(c, 'CALL_ESTABLISHED'), cDown: countEvents(c, 'CALL_CLOSED') };
  uasPort = await freeUdpPort();
  const uas = sipp(t, earlyReferScenario(), { target: '1003', port: uasPort });
  await sleep(600);
  await a.command('dial', `sip:1005@127.0.0.1:${appPort}`);
  await until('1003 rings', () => countEvents(c, 'CALL_INCOMING') > n.cIn, 15_000).catch((err: unknown) => {
    const errs = readdirSync(dir).filter((f) => f.endsWith('-errors.log')).map((f) => readFileSync(path.join(dir, f), 'utf8'));
    t.log(`SIPp: ${errs.join('\n---\n').slice(-3000)}; a: ${a.events.map((e) => e.type).join(',')}; events: ${events.map((e) => e.type).join(',')}`);
    throw err;
  });
  await sleep(300);
  await c.command('accept');
  t.is(await uas, 0, 'SIPp saw ACK, 202, NOTIFY 100 / 180 / 200 and the BYE');
  await until('1001 ↔ 1003', () => countEvents(a, 'CALL_ESTABLISHED') > n.aUp && countEvents(c, 'CALL_ESTABLISHED') > n.cUp);
  const done = events.find((e) => e.type === 'call.transfer.completed')?.payload as { kind: string; callId: string } | undefined;
  t.is(done?.kind, 'blind');
  await sleep(500);
  await a.command('hangup');
  await until('1003 cleared', () => countEvents(c, 'CALL_CLOSED') > n.cDown);
  const cdr = await cdrOf(done!.callId);
  t.deepEqual(cdr.legs.map((l) => [l.direction, l.party]), [['inbound', '1001'], ['outbound', '1005'], ['outbound', '1003']]);
  t.deepEqual(cdr.transfers?.map((x) => [x.kind, x.outcome]), [['blind', 200]]);
});

serial('semi-attended: 1002 REFERs 1001 with Replaces naming its consultation INVITE still ringing 1003; 1003 answers and talks with 1001; 1002’s calls end', async (t) => {
  events.length = 0;
  const knownA = a.recordings();
  const knownC = c.recordings();
  const n = { aUp: countEvents(a, 'CALL_ESTABLISHED'), aDown: countEvents(a, 'CALL_CLOSED'), bUp: countEvents(b, 'CALL_ESTABLISHED'), bDown: countEvents(b, 'CALL_CLOSED'), cIn: countEvents(c, 'CALL_INCOMING'), cUp: countEvents(c, 'CALL_ESTABLISHED'), cDown: countEvents(c, 'CALL_CLOSED') };
  await a.command('dial', `sip:1002@127.0.0.1:${appPort}`);
  await until('1001 ↔ 1002', () => countEvents(a, 'CALL_ESTABLISHED') > n.aUp && countEvents(b, 'CALL_ESTABLISHED') > n.bUp);
  await b.command('hold');
  await until('1002 holds 1001', () => events.some((e) => e.type === 'call.leg.held'));
  await b.command('dial', `sip:1003@127.0.0.1:${appPort}`);
  await until('1003 rings', () => countEvents(c, 'CALL_INCOMING') > n.cIn);
  const consult = legOf('inbound', '1002');
  const ringing = legOf('outbound', '1003');
  await until('the consultation’s early dialog', () => consult.session.dialogIds.length > 0 && consult.level === 'alerting');
  const d = consult.session.dialogIds[0]!;
  const replaces = encodeURIComponent(formatReplaces({ callId: d.callId, toTag: d.localTag, fromTag: d.remoteTag }));
  await b.command('line', '1');
  await b.command('transfer', `<sip:1003@127.0.0.1:${appPort}?Replaces=${replaces}>`);
  await until('1002’s consultation call ended', () => countEvents(b, 'CALL_CLOSED') > n.bDown);
  t.is(ringing.level, 'alerting', '1003 keeps ringing: the same leg, not cancelled');
  t.is(countEvents(c, 'CALL_CLOSED'), n.cDown);
  await sleep(500);
  await c.command('accept');
  await until('transfer completed', () => events.some((e) => e.type === 'call.transfer.completed' || e.type === 'call.transfer.failed'));
  await until('both of 1002’s calls ended', () => countEvents(b, 'CALL_CLOSED') >= n.bDown + 2);
  t.is(countEvents(c, 'CALL_INCOMING'), n.cIn + 1, '1003 rang once');
  t.is(countEvents(a, 'CALL_CLOSED'), n.aDown, '1001 stays up');
  await sleep(2000);
  await c.command('hangup');
  await until('1003 hung up', () => countEvents(c, 'CALL_CLOSED') > n.cDown).catch(() => t.log(`c events: ${c.events.map((e) => e.type).join(',')}; ringing leg ${ringing.level}; events ${events.map((e) => e.type).join(',')}`));
  await until('1001 cleared', () => countEvents(a, 'CALL_CLOSED') > n.aDown);
  const done = events.find((e) => e.type === 'call.transfer.completed')?.payload as { callId: string; kind: string; replacedCallId: string | null; targetLegId: string } | undefined;
  t.is(done?.kind, 'attended');
  t.is(done?.targetLegId, ringing.id, 'the leg that was ringing is the one bridged');
  const x = await cdrOf(done!.callId);
  const y = await cdrOf(done!.replacedCallId!);
  t.deepEqual(x.legs.map((l) => [l.direction, l.party]), [['inbound', '1001'], ['outbound', '1002']]);
  t.deepEqual(y.legs.map((l) => [l.direction, l.party, l.answeredAt !== null]), [['inbound', '1002', false], ['outbound', '1003', true]]);
  t.deepEqual(x.transfers?.map((r) => [r.kind, r.targetLegId, r.replacedCallId, r.outcome]), [['attended', ringing.id, y.callId, 200]]);
  t.deepEqual(y.transfers?.map((r) => [r.kind, r.transferorLegId, r.replacedCallId]), [['attended', y.legs[0]!.legId, x.callId]]);
  const decA = await until('1001’s recording', () => newDec(a, knownA));
  const decC = await until('1003’s recording', () => newDec(c, knownC));
  const aHearsC = heard(toneProfile(decA, FREQ.c));
  const cHearsA = heard(toneProfile(decC, FREQ.a));
  t.log(`1001 heard 1003 in ${aHearsC} blocks, 1003 heard 1001 in ${cHearsA} blocks (250 ms)`);
  t.true(aHearsC >= 4 && cHearsA >= 4, 'two-way audio between transferee and target');
});
