/**
 * Interop with a SIP stack that is not ours: the real `sipp` binary (Debian sip-tester) runs the
 * scenarios in testdata/sipp/ against a SipEndpoint on 127.0.0.1 over UDP and TCP. SIPp exits 0
 * only when every call of the scenario succeeded (all expected responses, header checks passed).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../core/clock.js';
import type { InviteServerTransaction, ServerTransactionAny } from '../transaction/index.js';
import { challengeAll } from './challenge-all.js';
import { SipEndpoint, type RequestHandler } from './endpoint.js';

const scenarios = fileURLToPath(new URL('../testdata/sipp/', import.meta.url));
const SIPP = ['/usr/bin/sipp', '/usr/local/bin/sipp'].find((p) => existsSync(p));

function sipp(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(SIPP!, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 99) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

async function run(t: { log: (s: string) => void }, transport: 'u1' | 't1', scenario: string, port: number, calls: number): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sipp-'));
  const r = await sipp([
    '-sf', path.join(scenarios, scenario),
    '-t', transport,
    '-i', '127.0.0.1',
    '-p', '0',
    '-m', String(calls),
    '-r', '50',
    '-nostdin',
    '-timeout', '15s',
    '-timeout_error',
    '-trace_err',
    '-error_file', path.join(dir, 'errors.log'),
    `127.0.0.1:${port}`,
  ]);
  if (r.code !== 0) {
    t.log(r.out.slice(-2000));
    for (const f of readdirSync(dir)) t.log(readFileSync(path.join(dir, f), 'utf8').slice(0, 2000));
  }
  return r.code;
}

const maybe = SIPP ? test.serial : test.serial.skip;

maybe('SIPp OPTIONS scenario over UDP and TCP: 200 with the generic Server header', async (t) => {
  const ep = await SipEndpoint.listen(
    { host: '127.0.0.1', port: 0, transports: ['udp', 'tcp'], tlsPort: 0, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock: systemClock },
  );
  t.teardown(() => ep.close());
  t.is(await run(t, 'u1', 'options-uac.xml', ep.address('udp')!.port, 20), 0);
  t.is(await run(t, 't1', 'options-uac.xml', ep.address('tcp')!.port, 20), 0);
});

maybe('SIPp INVITE scenario: 100/401, SIPp\'s ACK confirms our INVITE server transactions (UDP and TCP)', async (t) => {
  const seen: ServerTransactionAny[] = [];
  const inner = challengeAll('hotline.local');
  const handler: RequestHandler = {
    methods: inner.methods,
    onRequest(req, tx, e) {
      seen.push(tx);
      inner.onRequest(req, tx, e);
    },
  };
  const ep = await SipEndpoint.listen(
    { host: '127.0.0.1', port: 0, transports: ['udp', 'tcp'], tlsPort: 0, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock: systemClock, handler },
  );
  t.teardown(() => ep.close());
  t.is(await run(t, 'u1', 'invite-uac.xml', ep.address('udp')!.port, 10), 0);
  const udp = seen.filter((tx) => tx.kind === 'invite-server') as InviteServerTransaction[];
  t.is(udp.length, 10);
  t.true(udp.every((tx) => tx.state === 'confirmed' || tx.state === 'terminated'), udp.map((tx) => tx.state).join(','));
  seen.length = 0;
  t.is(await run(t, 't1', 'invite-uac.xml', ep.address('tcp')!.port, 10), 0);
  t.is(seen.length, 10);
  t.true(seen.every((tx) => tx.state === 'terminated'), 'TCP: Timer I is zero');
});
