/**
 * RFC 3261 §22.2 against a SIP stack that is not ours: the real `sipp` (Debian sip-tester) plays
 * a carrier that challenges our INVITE with 401 and verifies the Digest credentials of the INVITE
 * we send again (testdata/sipp/uas-challenge.xml). SIPp answers 403 to wrong credentials, so the
 * call is answered only if it computed the same response as we did.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../core/clock.js';
import { silentLogger } from '../../core/log.js';
import { NameAddr, parseUri } from '../message/index.js';
import { digestClientAuth } from '../trunks/client-digest.js';
import { SipEndpoint } from '../ua/endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from '../ua/user-agent.js';
import type { EndInfo } from './session.js';

const SIPP = ['/usr/bin/sipp', '/usr/local/bin/sipp'].find((p) => existsSync(p));
const scenarios = fileURLToPath(new URL('../testdata/sipp/', import.meta.url));
const maybe = SIPP ? test.serial : test.serial.skip;

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function answeredBySipp(t: import('ava').ExecutionContext, password: string): Promise<{ code: number; answered: boolean; ended: EndInfo | null }> {
  const port = await freeUdpPort();
  const dir = mkdtempSync(path.join(tmpdir(), 'sipp-uas-'));
  const sipp = execFile(
    SIPP!,
    ['-sf', path.join(scenarios, 'uas-challenge.xml'), '-t', 'u1', '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-nostdin', '-timeout', '15s', '-timeout_error', '-trace_err', '-error_file', path.join(dir, 'errors.log')],
    { timeout: 20_000 },
  );
  const exited = new Promise<number>((resolve) => sipp.on('exit', (code) => resolve(code ?? 99)));
  t.teardown(() => {
    if (sipp.exitCode === null) sipp.kill();
  });
  const ua = new UserAgent({ clock: systemClock, log: silentLogger(), t1: 500, t2: 4000, invites: { onInvite: (s) => s.reject(603) } });
  const ep = await SipEndpoint.listen(
    { host: '127.0.0.1', port: 0, transports: ['udp'], tlsPort: 0, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock: systemClock, handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT] },
  );
  t.teardown(() => ep.close());
  ua.attach(ep);
  await new Promise((r) => setTimeout(r, 300)); // SIPp binds its port
  const session = ua.invite({
    requestUri: parseUri(`sip:+8610123@127.0.0.1:${port}`),
    from: new NameAddr(parseUri('sip:trunkuser@127.0.0.1')),
    to: new NameAddr(parseUri(`sip:+8610123@127.0.0.1:${port}`)),
    hop: { host: '127.0.0.1', port, protocol: 'udp' },
    sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n',
    auth: digestClientAuth({ username: 'trunkuser', password }),
  });
  let ended: EndInfo | null = null;
  const outcome = await new Promise<boolean>((resolve) => {
    session.on('answered', () => resolve(true));
    session.on('ended', (e) => {
      ended = e;
      resolve(false);
    });
  });
  if (outcome) session.hangup({ cause: 16 });
  const code = await exited;
  if (code !== 0) for (const f of readdirSync(dir)) t.log(readFileSync(path.join(dir, f), 'utf8').slice(0, 2000));
  return { code, answered: outcome, ended };
}

maybe('SIPp carrier challenges our INVITE with 401: we resend with Digest credentials SIPp verifies, 200, ACK, BYE', async (t) => {
  const r = await answeredBySipp(t, 's3cret');
  t.true(r.answered, `ended: ${JSON.stringify(r.ended)}`);
  t.is(r.code, 0, 'SIPp saw the whole scenario');
});

maybe('SIPp carrier: wrong trunk password → SIPp refuses the credentials (403), the call ends', async (t) => {
  const r = await answeredBySipp(t, 'wrong');
  t.false(r.answered);
  t.is(r.ended?.status, 403);
});
