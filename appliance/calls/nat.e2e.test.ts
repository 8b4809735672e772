/**
 * Phones behind NAT (issue 3) with SIPp as the phone: it writes an address it cannot be reached
 * at (127.0.0.98/99, as a phone behind a NAT writes its private one) in Via, Contact and SDP, and
 * really sits on 127.0.0.1. The appliance must reach it anyway:
 *
 *  - Signalling (sip/dialog/nat.ts): a NATed caller's ACK-confirmed dialog gets the appliance's
 *    BYE at its source (RFC 3581 idea applied to requests); a NATed callee (the registrar's hop
 *    is its real address, its Contact a private one) gets the ACK and the BYE at that hop.
 *  - Media (media/engine/rtp-session.ts): RTP arriving from the real address, not the SDP one,
 *    is latched after a few packets: the legs' CDR shows packets received (dropped otherwise).
 *
 * Without the NAT handling each SIPp waits in vain for the ACK / BYE and fails on its timeout.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freeUdpPort, SIPP, toneFile } from '../../bench/sipp/harness.js';
import { systemClock } from '../core/clock.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { MediaEngine } from '../media/engine/media-engine.js';
import { parseUri } from '../sip/message/index.js';
import { SipEndpoint } from '../sip/ua/endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from '../sip/ua/user-agent.js';
import { openStore } from '../store/database.js';
import { CallHandler } from './call-handler.js';
import { SqliteCallStore, type CdrRecord } from './call-store.js';
import { freePortBlock } from './testing/baresip.js';

const serial = SIPP ? test.serial : test.serial.skip;
const log = silentLogger();
const clock = systemClock;
const dir = tempDir('nat-e2e-');
const cdrs: CdrRecord[] = [];
let endpoint: SipEndpoint;
let engine: MediaEngine;
let uasPort = 0;
let ports = 0;

test.before(async () => {
  if (!SIPP) return;
  ports = await freePortBlock(60);
  const db = openStore({ file: path.join(dir, 'h.db'), clock, log });
  const sql = new SqliteCallStore(db, () => clock.now());
  sql.saveRoute({ id: 'line', name: 'line', did: '7000', target: { kind: 'diagnostic', mode: 'answer-hangup', holdMs: 1500 } });
  sql.saveRoute({ id: 'agent', name: 'agent', did: '8000', target: { kind: 'extension', extension: '2000' } });
  const store = {
    routes: () => sql.routes(),
    saveRoute: (r: Parameters<SqliteCallStore['saveRoute']>[0]) => sql.saveRoute(r),
    cdr: (id: string) => sql.cdr(id),
    writeCdr: (c: CdrRecord) => {
      sql.writeCdr(c);
      cdrs.push(c);
    },
  };
  engine = new MediaEngine({ workers: 1, rtpPortMin: ports, rtpPortMax: ports + 39, bindAddress: '127.0.0.1', clock, log });
  await engine.start();
  const handler = new CallHandler({
    clock,
    log,
    bus: new EventBus({ clock, log }),
    store,
    engine,
    channel: { prompts: { resolve: () => null }, mediaAddress: '127.0.0.1', codecs: ['PCMA', 'PCMU'], rtpTimeoutMs: 0 },
    // What the registrar gives for a phone behind NAT: its private Contact, and the REGISTER's source as the hop.
    contacts: { locate: (ext) => (ext === '2000' ? [{ uri: parseUri('sip:2000@127.0.0.98:5998'), hop: { host: '127.0.0.1', port: uasPort, protocol: 'udp' } }] : []) },
    flows: { flow: () => null },
  });
  const ua = new UserAgent({ clock, log, t1: 500, t2: 4000, invites: handler });
  endpoint = await SipEndpoint.listen(
    { host: '127.0.0.1', port: 0, transports: ['udp'], tlsPort: 5061, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock, handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT] },
  );
  ua.attach(endpoint);
  handler.attach(ua);
  copyFileSync(toneFile(), path.join(dir, 'tone.alaw'));
});

test.after.always(async () => {
  await endpoint?.close();
  await engine?.stop();
});

const SDP = (host: string, port: string): string => `v=0
      o=phone 1 1 IN IP4 ${host}
      s=-
      c=IN IP4 ${host}
      t=0 0
      m=audio ${port} RTP/AVP 8
      a=rtpmap:8 PCMA/8000`;

/** A caller: INVITE (Via/Contact/SDP naming `host`), 200, ACK, tone; then BYE received (`byeFrom: 'appliance'`) or sent after holdMs. */
function callerScenario(name: string, host: string, byeFrom: 'appliance' | 'caller'): string {
  const sentBy = host === 'real' ? '[local_ip]:[local_port]' : `${host}:5999`;
  const sdpHost = host === 'real' ? '[media_ip]' : host;
  const bye =
    byeFrom === 'appliance'
      ? `<recv request="BYE"/>
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
  </send>`
      : `<pause milliseconds="1500"/>
  <send retrans="500">
    <![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] ${sentBy};branch=[branch];rport
      From: <sip:1001@${host === 'real' ? '[local_ip]' : host}>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>`;
  const xml = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="${name}">
  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] ${sentBy};branch=[branch];rport
      From: <sip:1001@${host === 'real' ? '[local_ip]' : host}>;tag=[pid]SIPpTag[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:1001@${sentBy}>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      ${SDP(sdpHost, host === 'real' ? '[rtpstream_audio_port]' : '5990')}

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[

      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] ${sentBy};branch=[branch];rport
      From: <sip:1001@${host === 'real' ? '[local_ip]' : host}>;tag=[pid]SIPpTag[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <nop><action><exec rtp_stream="tone.alaw,-1,8"/></action></nop>
  ${bye}
  <pause milliseconds="300"/>
</scenario>
`;
  const file = path.join(dir, `${name}.xml`);
  writeFileSync(file, xml);
  return file;
}

/** A callee behind NAT: answers with Contact and SDP naming 127.0.0.98, streams its tone, must get the ACK and the BYE. */
function natCalleeScenario(): string {
  const resp = (status: string, sdp: boolean): string => `
    <![CDATA[

      SIP/2.0 ${status}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:2000@127.0.0.98:5998>
      ${sdp ? `Content-Type: application/sdp\n      Content-Length: [len]\n\n      ${SDP('127.0.0.98', '5990')}` : 'Content-Length: 0'}

    ]]>`;
  const xml = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="nat-callee">
  <recv request="INVITE" crlf="true"/>
  <send>${resp('180 Ringing', false)}
  </send>
  <send retrans="500">${resp('200 OK', true)}
  </send>
  <recv request="INVITE" optional="true"/>
  <recv request="ACK" crlf="true"/>
  <nop><action><exec rtp_stream="tone.alaw,-1,8"/></action></nop>
  <recv request="BYE"/>
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
  </send>
  <pause milliseconds="300"/>
</scenario>
`;
  const file = path.join(dir, 'nat-callee.xml');
  writeFileSync(file, xml);
  return file;
}

function sipp(t: { log(s: string): void; teardown(fn: () => void): void }, file: string, args: string[]): Promise<number> {
  const errors = path.join(dir, `${path.basename(file)}-${Math.random().toString(36).slice(2)}-errors.log`);
  const child = spawn(SIPP!, ['-sf', file, '-t', 'u1', '-i', '127.0.0.1', '-nostdin', '-m', '1', '-timeout', '15s', '-timeout_error', '-trace_err', '-error_file', errors, ...args], { cwd: dir, stdio: 'ignore' });
  t.teardown(() => void child.kill('SIGKILL'));
  return new Promise<number>((r) => child.on('exit', (x, sig) => r(x ?? (sig ? 128 : 1)))).then((code) => {
    if (code !== 0 && existsSync(errors)) t.log(readFileSync(errors, 'utf8').slice(0, 3000));
    return code;
  });
}

serial('a caller behind NAT (Via, Contact and SDP name 127.0.0.99): the appliance’s BYE reaches its real address, its RTP is latched', async (t) => {
  const before = cdrs.length;
  const code = await sipp(t, callerScenario('nat-caller', '127.0.0.99', 'appliance'), ['-s', '7000', '-p', String(await freeUdpPort()), '-mp', String(await freePortBlock(6, ports + 100)), `127.0.0.1:${endpoint.address('udp')!.port}`]);
  t.is(code, 0, 'SIPp got the 200 and the line’s BYE at its real address');
  await new Promise((r) => setTimeout(r, 300));
  const cdr = cdrs.slice(before)[0];
  t.is(cdr?.endedBy, 'local', 'the line hung up');
  t.true((cdr?.legs[0]?.mos ?? null) !== null, `RTP from the unsignalled address was taken (mos ${cdr?.legs[0]?.mos})`);
});

serial('a callee behind NAT (Contact and SDP name 127.0.0.98, registered from its real address): ACK and BYE reach it, its RTP is latched', async (t) => {
  uasPort = await freeUdpPort();
  const uas = sipp(t, natCalleeScenario(), ['-p', String(uasPort), '-mp', String(await freePortBlock(6, ports + 120))]);
  await new Promise((r) => setTimeout(r, 300));
  const before = cdrs.length;
  const caller = await sipp(t, callerScenario('caller', 'real', 'caller'), ['-s', '8000', '-p', String(await freeUdpPort()), '-mp', String(await freePortBlock(6, ports + 140)), `127.0.0.1:${endpoint.address('udp')!.port}`]);
  t.is(caller, 0, 'the caller’s call went through');
  t.is(await uas, 0, 'the NATed callee got the ACK and the BYE');
  await new Promise((r) => setTimeout(r, 300));
  const cdr = cdrs.slice(before)[0];
  t.is(cdr?.legs.length, 2);
  t.true(cdr!.legs.every((l) => l.mos !== null), `RTP taken on both legs (${cdr!.legs.map((l) => l.mos).join(', ')})`);
});
