/**
 * The benchmarks' SIPp scenarios (bench/sipp/*.xml) run for a few calls each, so they cannot rot
 * while the benchmarks are not run: against the appliance's SIP stack, call handler, digest
 * authenticator (MD5, as the benchmark config) and media engine in process, with the
 * diagnostic lines and an extension (a SIPp UAS) as routes.
 *
 *  - cps-uac.xml → answer-hangup line (holdMs 300): 401 challenge answered, 200, the line's BYE;
 *  - rtp-uac.xml → echo-record line: A-law streamed, echoed and recorded, SIPp's BYE;
 *  - rtp-uac.xml → extension 2000 → rtp-uas.xml: two SIPps bridged through the B2BUA.
 * Every CDR must show the route's target and, for RTP calls, packets received on each leg.
 */
import test from 'ava';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { HangupCauses } from '../channel/q850.js';
import { systemClock } from '../core/clock.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { MediaEngine } from '../media/engine/media-engine.js';
import { DigestAuthenticator, ha1 } from '../sip/auth/index.js';
import { parseUri } from '../sip/message/index.js';
import { SipEndpoint } from '../sip/ua/endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from '../sip/ua/user-agent.js';
import { openStore } from '../store/database.js';
import { migrations } from '../store/migrations/index.js';
import { CallHandler } from './call-handler.js';
import { SqliteCallStore, type CdrRecord } from './call-store.js';
import { freePortBlock } from './testing/baresip.js';
import { freeUdpPort, injectionFile, runSipp, SIPP } from '../../bench/sipp/harness.js';

const serial = SIPP ? test.serial : test.serial.skip;
const log = silentLogger();
const clock = systemClock;
const dir = tempDir('sipp-scen-');
const cdrs: CdrRecord[] = [];
let endpoint: SipEndpoint;
let engine: MediaEngine;
let uasPort = 0;

test.before(async () => {
  if (!SIPP) return;
  const ports = await freePortBlock(40);
  uasPort = await freeUdpPort();
  const store = openStore({ file: path.join(dir, 'h.db'), clock, log, migrations });
  const sqlCalls = new SqliteCallStore(store, () => clock.now());
  sqlCalls.saveRoute({ id: 'cps', name: 'cps', did: '7000', target: { kind: 'diagnostic', mode: 'answer-hangup', holdMs: 300 } });
  sqlCalls.saveRoute({ id: 'echo', name: 'echo', did: '7100', target: { kind: 'diagnostic', mode: 'echo-record', holdMs: 0 } });
  sqlCalls.saveRoute({ id: 'b2bua', name: 'b2bua', did: '8000', target: { kind: 'extension', extension: '2000' } });
  const calls = {
    routes: () => sqlCalls.routes(),
    saveRoute: (r: Parameters<SqliteCallStore['saveRoute']>[0]) => sqlCalls.saveRoute(r),
    cdr: (id: string) => sqlCalls.cdr(id),
    writeCdr: (c: CdrRecord) => {
      sqlCalls.writeCdr(c);
      cdrs.push(c);
    },
  };
  engine = new MediaEngine({ workers: 1, rtpPortMin: ports, rtpPortMax: ports + 39, bindAddress: '127.0.0.1', recordingsDir: path.join(dir, 'rec'), clock, log });
  await engine.start();
  const realm = 'hotline.local';
  const auth = new DigestAuthenticator({
    clock,
    realm,
    algorithms: ['MD5'],
    directory: {
      credentials: (u) => (u === '1001' ? { extension: '1001', authUser: '1001', enabled: true, ha1: { MD5: ha1('MD5', '1001', realm, 'secret-1001'), 'SHA-256': ha1('SHA-256', '1001', realm, 'secret-1001') } } : null),
    },
  });
  const handler = new CallHandler({
    clock,
    log,
    bus: new EventBus({ clock, log }),
    store: calls,
    engine,
    channel: { prompts: { resolve: () => null }, mediaAddress: '127.0.0.1', codecs: ['PCMA', 'PCMU'], rtpTimeoutMs: 0 },
    contacts: { locate: (ext) => (ext === '2000' ? [{ uri: parseUri(`sip:2000@127.0.0.1:${uasPort}`), hop: { host: '127.0.0.1', port: uasPort, protocol: 'udp' } }] : []) },
    guard: { check: (req, source) => auth.check(req, source) },
    flows: { flow: () => null },
  });
  const ua = new UserAgent({ clock, log, t1: 500, t2: 4000, invites: handler });
  endpoint = await SipEndpoint.listen(
    { host: '127.0.0.1', port: 0, transports: ['udp'], tlsPort: 5061, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm },
    { clock, handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT] },
  );
  ua.attach(endpoint);
  handler.attach(ua);
});

test.after.always(async () => {
  await endpoint?.close();
  await engine?.stop();
});

async function uac(t: { log: (s: string) => void; teardown: (fn: () => void) => void }, scenario: string, did: string, calls: number, extra: string[]): Promise<number> {
  const inf = injectionFile(dir, [['1001', 'secret-1001']]);
  const run = runSipp(scenario, ['-s', did, '-inf', inf, '-au', '1001', '-ap', 'secret-1001', '-m', String(calls), '-r', '5', '-timeout', '15s', '-timeout_error', ...extra], `127.0.0.1:${endpoint.address('udp')!.port}`);
  t.teardown(() => void run.child.kill('SIGKILL'));
  const code = await run.exited;
  if (code !== 0) t.log(`${run.errors()}\n${run.output().slice(-1500)}`);
  return code;
}

serial('cps-uac.xml: challenged, answered by the answer-hangup line, BYE from the appliance', async (t) => {
  const before = cdrs.length;
  t.is(await uac(t, 'cps-uac.xml', '7000', 3, ['-mp', '31000']), 0);
  const mine = cdrs.slice(before);
  t.is(mine.length, 3);
  t.true(mine.every((c) => c.targetKind === 'diagnostic' && c.endedBy === 'local' && c.cause === HangupCauses.NORMAL_CLEARING && c.answeredAt !== null));
});

serial('rtp-uac.xml: A-law streamed into the echo-record line, recorded, BYE from SIPp', async (t) => {
  const before = cdrs.length;
  t.is(await uac(t, 'rtp-uac.xml', '7100', 2, ['-d', '1500', '-mp', '31100']), 0);
  const mine = cdrs.slice(before);
  t.is(mine.length, 2);
  t.true(mine.every((c) => c.target === 'echo-record:0' && c.endedBy === 'remote'));
  t.true(mine.every((c) => (c.legs[0]?.mos ?? null) !== null), 'RTP arrived on every leg');
  t.true(existsSync(path.join(dir, 'rec')));
});

serial('rtp-uac.xml → extension → rtp-uas.xml: bridged through the B2BUA with RTP on both legs', async (t) => {
  const uas = runSipp('rtp-uas.xml', ['-p', String(uasPort), '-mp', '31200', '-m', '2', '-timeout', '15s'], null);
  t.teardown(() => void uas.child.kill('SIGKILL'));
  const before = cdrs.length;
  t.is(await uac(t, 'rtp-uac.xml', '8000', 2, ['-d', '1500', '-mp', '31300']), 0);
  t.is(await uas.exited, 0, uas.errors());
  const mine = cdrs.slice(before);
  t.is(mine.length, 2);
  t.true(mine.every((c) => c.legs.length === 2 && c.legs.every((l) => l.mos !== null)), JSON.stringify(mine.map((c) => c.legs.map((l) => l.mos))));
});

serial('rtp-uas.xml: INVITE retransmissions arriving after the 200 (before the ACK) do not abort the call', async (t) => {
  const port = await freeUdpPort();
  const uas = runSipp('rtp-uas.xml', ['-p', String(port), '-mp', '31400', '-m', '1', '-timeout', '15s', '-timeout_error'], null);
  t.teardown(() => void uas.child.kill('SIGKILL'));
  const sock = dgram.createSocket('udp4');
  t.teardown(() => sock.close());
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const me = sock.address().port;
  const received: string[] = [];
  const waiters: Array<() => void> = [];
  sock.on('message', (m) => {
    received.push(m.toString('utf8'));
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (pred: (msgs: string[]) => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (!pred(received)) {
      if (Date.now() > deadline) throw new Error(`no ${what}; got:\n${received.join('\n---\n')}\nSIPp: ${uas.errors()}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100).unref();
      });
    }
  };
  const send = (text: string): void => void sock.send(Buffer.from(text.replace(/\n/g, '\r\n')), port, '127.0.0.1');
  const sdp = 'v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 31490 RTP/AVP 8\na=rtpmap:8 PCMA/8000\n';
  const head = (method: string, cseq: number, branch: string, toTag = ''): string =>
    `${method} sip:2000@127.0.0.1:${port} SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:${me};branch=${branch}\nMax-Forwards: 70\nFrom: <sip:1001@127.0.0.1>;tag=uac1\nTo: <sip:2000@127.0.0.1>${toTag}\nCall-ID: retrans-invite-1\nCSeq: ${cseq} ${method}\nContact: <sip:1001@127.0.0.1:${me}>\n`;
  // Give SIPp a moment to bind, then INVITE until it answers (it may not be listening yet).
  const invite = `${head('INVITE', 1, 'z9hG4bKinv1')}Content-Type: application/sdp\nContent-Length: ${sdp.replace(/\n/g, '\r\n').length}\n\n${sdp}`;
  const ok200 = (msgs: string[]): number => msgs.filter((m) => m.startsWith('SIP/2.0 200') && /CSeq: 1 INVITE/.test(m)).length;
  const deadline = Date.now() + 5000;
  while (ok200(received) === 0 && Date.now() < deadline) {
    send(invite);
    await new Promise((r) => setTimeout(r, 200));
  }
  await waitFor((m) => ok200(m) >= 1, '200 to the INVITE');
  // The retransmissions a slow 180 provokes (the appliance's Timer A), reaching SIPp after its 200.
  send(invite);
  await new Promise((r) => setTimeout(r, 50));
  send(invite);
  await new Promise((r) => setTimeout(r, 50));
  const toTag = /^To: .*(;tag=[^\r\n;]+)/m.exec(received.find((m) => m.startsWith('SIP/2.0 200'))!)?.[1] ?? '';
  send(`${head('ACK', 1, 'z9hG4bKack1', toTag)}Content-Length: 0\n\n`);
  await new Promise((r) => setTimeout(r, 300));
  send(`${head('BYE', 2, 'z9hG4bKbye1', toTag)}Content-Length: 0\n\n`);
  await waitFor((m) => m.some((x) => x.startsWith('SIP/2.0 200') && /CSeq: 2 BYE/.test(x)), '200 to the BYE');
  t.is(await uas.exited, 0, `${uas.errors()}\n${uas.output().slice(-1500)}`);
});
