/**
 * A real peer: baresip (Debian baresip-core, headless, NATIVE-PROBE.md §5) registers with
 * Digest to a SipEndpoint + registrar + firewall on 127.0.0.1, over real UDP sockets, with the
 * system clock. Checked: baresip's `reginfo` says OK, the binding is in lookup() with baresip's
 * address, it is persisted, and `sip.registration.created` was published; with a wrong password
 * baresip is refused and nothing is bound. Skipped when baresip is not installed.
 * (svwar/svcrack are not installed on this machine; S8/S9 are covered in security.test.ts.)
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect, type Socket } from 'node:net';
import { systemClock } from '../../core/clock.js';
import { EventBus, type AnyAppEvent } from '../../core/events.js';
import { silentLogger } from '../../core/log.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { openStore } from '../../store/database.js';
import { SipEndpoint } from '../ua/endpoint.js';
import { SqliteSipStore } from './sip-store.js';
import { createSipAccess } from './stack.js';

const BARESIP = '/usr/bin/baresip';
const MODULES = '/usr/lib/baresip/modules';

/** A port free for both TCP and UDP on every address right now (baresip's sip_listen binds both). */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '0.0.0.0', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const udpOk = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '0.0.0.0', () => u.close(() => resolve(true)));
    });
    if (udpOk) return port;
  }
}

class Ctrl {
  private buf = '';
  private readonly replies = new Map<string, (v: { ok: boolean; data: string }) => void>();
  private n = 0;
  private constructor(private readonly sock: Socket) {
    sock.on('data', (d) => {
      this.buf += d.toString('utf8');
      for (;;) {
        const colon = this.buf.indexOf(':');
        if (colon < 0) return;
        const len = Number(this.buf.slice(0, colon));
        if (this.buf.length < colon + 1 + len + 1) return;
        const body = this.buf.slice(colon + 1, colon + 1 + len);
        this.buf = this.buf.slice(colon + 1 + len + 1);
        try {
          const m = JSON.parse(body) as { response?: boolean; ok?: boolean; data?: string; token?: string };
          if (m.response && m.token) this.replies.get(m.token)?.({ ok: m.ok ?? false, data: m.data ?? '' });
        } catch {
          /* events we do not need */
        }
      }
    });
  }

  static async open(port: number, deadlineMs: number): Promise<Ctrl> {
    const end = Date.now() + deadlineMs;
    for (;;) {
      try {
        const s = await new Promise<Socket>((resolve, reject) => {
          const c = connect(port, '127.0.0.1', () => resolve(c));
          c.once('error', reject);
        });
        return new Ctrl(s);
      } catch (err) {
        if (Date.now() > end) throw err;
        await systemClock.sleep(100);
      }
    }
  }

  command(command: string, params = ''): Promise<{ ok: boolean; data: string }> {
    const token = `t${++this.n}`;
    const body = JSON.stringify({ command, params, token });
    return new Promise((resolve) => {
      this.replies.set(token, resolve);
      this.sock.write(`${Buffer.byteLength(body)}:${body},`);
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

async function startBaresip(dir: string, sipPort: number, ctrlPort: number, account: string): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'config'),
    [
      // baresip 1.0.0 answers ENOSYS to REGISTER when sip_listen is a loopback address but its default interface is not.
      `sip_listen 0.0.0.0:${sipPort}`,
      'audio_player aufile,/dev/null',
      'audio_source aufile,/dev/null',
      `module_path ${MODULES}`,
      'module g711.so',
      'module_tmp account.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'accounts'), `${account}\n`);
  const child = spawn(BARESIP, ['-f', dir, '-t', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => out.push(d));
  Object.assign(child, { output: () => Buffer.concat(out).toString('utf8') });
  return child;
}

async function until(pred: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return true;
    await systemClock.sleep(100);
  }
  return false;
}

async function rig(t: { teardown(fn: () => unknown): void }, algorithms?: ReadonlyArray<'MD5' | 'SHA-256'>) {
  const dir = tempDir('sip-baresip-');
  const log = silentLogger();
  const store = openStore({ file: path.join(dir, 'a.db'), clock: systemClock, log });
  const bus = new EventBus({ clock: systemClock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const access = createSipAccess({ store, clock: systemClock, log, bus }, { realm: 'hotline.local', userAgent: 'hotline', qualifyIntervalMs: 0, ...(algorithms ? { algorithms } : {}) });
  access.extensions.create({ number: '1001', displayName: 'Agent One', password: 'secret-1001' });
  const endpoint = await SipEndpoint.listen(
    { host: '127.0.0.1', port: 0, transports: ['udp'], tlsPort: 0, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock: systemClock, handler: access.handler, wrapTransport: (tr) => access.firewall.wrap(tr) },
  );
  access.attach(endpoint);
  t.teardown(async () => {
    access.close();
    await endpoint.close();
    await store.close();
  });
  return { dir, access, endpoint, events, store, port: endpoint.address('udp')!.port };
}

const haveBaresip = existsSync(BARESIP) && existsSync(path.join(MODULES, 'ctrl_tcp.so'));
const maybe = haveBaresip ? test.serial : test.skip;

maybe('baresip registers with Digest auth; the binding is looked up, persisted and announced', async (t) => {
  const r = await rig(t, ['MD5']);
  const sipPort = await freePort();
  const ctrlPort = await freePort();
  const child = await startBaresip(path.join(r.dir, 'ua'), sipPort, ctrlPort, `<sip:1001@127.0.0.1:${r.port}>;auth_pass=secret-1001;regint=600`);
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const ctrl = await Ctrl.open(ctrlPort, 5000);
  t.teardown(() => ctrl.close());
  const registered = await until(async () => /OK/.test((await ctrl.command('reginfo')).data), 8000);
  if (!registered) t.log((child as unknown as { output(): string }).output());
  t.true(registered, 'baresip reginfo never said OK');
  const [c] = r.access.registrar.lookup('1001');
  t.truthy(c);
  t.like(c?.destination, { protocol: 'udp', port: sipPort }); // the source address baresip sent from (NAT-safe target)
  t.true(r.access.registrar.isOnline('1001'));
  t.true(r.events.some((e) => e.type === 'sip.registration.created'));
  t.regex(c?.userAgent ?? '', /baresip/i);
  t.deepEqual(new SqliteSipStore(r.store).loadBindings().map((b) => [b.aor, b.contact]), [['1001', c?.contact]]);
  t.log(`baresip contact ${c?.contact}, UA ${c?.userAgent}`);
  await ctrl.command('quit');
});

maybe('baresip with a wrong password is refused and binds nothing', async (t) => {
  const r = await rig(t, ['MD5']);
  const sipPort = await freePort();
  const ctrlPort = await freePort();
  const child = await startBaresip(path.join(r.dir, 'ua'), sipPort, ctrlPort, `<sip:1001@127.0.0.1:${r.port}>;auth_pass=wrong-pass;regint=600`);
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const ctrl = await Ctrl.open(ctrlPort, 5000);
  t.teardown(() => ctrl.close());
  await until(() => r.events.some((e) => e.type === 'sip.auth.failed'), 8000);
  t.true(r.events.some((e) => e.type === 'sip.auth.failed'));
  t.false(/\bOK\b/.test((await ctrl.command('reginfo')).data));
  t.deepEqual(r.access.registrar.lookup('1001'), []);
});
