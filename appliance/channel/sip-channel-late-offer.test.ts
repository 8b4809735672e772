/**
 * Late offer with a real peer (RFC 3261 §13.2.1): SIPp sends an INVITE without SDP, the
 * SipChannel's offer goes in the 200 (SIPp checks its m=audio line), SIPp's answer comes in the
 * ACK and becomes the leg's RTP destination.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import type { RtpEndpoint } from '../media/engine/media-engine.js';
import { SipEndpoint } from '../sip/ua/endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from '../sip/ua/user-agent.js';
import { SipChannel } from './sip-channel.js';

const SIPP = ['/usr/bin/sipp', '/usr/local/bin/sipp'].find((p) => existsSync(p));
const maybe = SIPP ? test.serial : test.serial.skip;

maybe('INVITE without SDP: our offer in the 200, SIPp’s answer in the ACK sets the RTP destination', async (t) => {
  const remotes: unknown[] = [];
  const rtp = { localPort: 31000, on: () => rtp, setRemote: async (r: unknown) => void remotes.push(r), close: async () => null } as unknown as RtpEndpoint;
  const legs: SipChannel[] = [];
  const ua = new UserAgent({
    clock: systemClock,
    log: silentLogger(),
    t1: 500,
    t2: 4000,
    invites: {
      onInvite: (session) => {
        const ch = SipChannel.inbound(session, { id: 'leg-late', caller: { number: '1001', presentation: 'allowed' }, called: { number: '1002', presentation: 'allowed' }, affinity: 'c1' }, {
          clock: systemClock,
          log: silentLogger(),
          engine: { createRtpEndpoint: async () => rtp, play: async () => Promise.reject(new Error('no')) },
          prompts: { resolve: () => null },
          mediaAddress: '127.0.0.1',
          codecs: ['PCMA', 'PCMU'],
        });
        legs.push(ch);
        void ch.prepare().then(async (r) => {
          if (r.ok) await ch.answer();
        });
      },
    },
  });
  const ep = await SipEndpoint.listen(
    { host: '127.0.0.1', port: 0, transports: ['udp'], tlsPort: 0, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock: systemClock, handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT] },
  );
  t.teardown(() => ep.close());
  ua.attach(ep);
  const scenario = fileURLToPath(new URL('../sip/testdata/sipp/late-offer-uac.xml', import.meta.url));
  const errors = path.join(mkdtempSync(path.join(tmpdir(), 'sipp-late-')), 'errors.log');
  const code = await new Promise<number>((resolve) => {
    const p = execFile(SIPP!, ['-sf', scenario, '-t', 'u1', '-i', '127.0.0.1', '-p', '0', '-m', '1', '-nostdin', '-timeout', '10s', '-timeout_error', '-trace_err', '-error_file', errors, `127.0.0.1:${ep.address('udp')!.port}`], { timeout: 15_000 }, (err, out) => {
      if (err) t.log(String(out).slice(-1500));
    });
    p.on('exit', (c) => resolve(c ?? 99));
  });
  if (code !== 0 && existsSync(errors)) t.log(readFileSync(errors, 'utf8').slice(0, 3000));
  t.is(code, 0, 'SIPp found an offer in the 200 and got the BYE answered');
  const leg = legs[0]!;
  t.is(leg.negotiated?.codec, 'PCMA');
  t.deepEqual(remotes, [{ address: '127.0.0.1', port: 40000 }], 'the ACK’s answer is where RTP goes');
  t.is(leg.level, 'terminated', 'SIPp’s BYE ended the leg');
});
