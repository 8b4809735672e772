/**
 * One rig for end-to-end tests of the REAL daemon with real peers: main.ts spawned from source
 * (testing/daemon-harness.ts) on a temp config and data dir, a block of free ports laid out for
 * baresip phones, the daemon's SIP listener and its RTP range, and the ways an operator and a
 * test observe it: the CLI, the REST API with a key, the database file (read-only, WAL) and
 * phones that register with Digest (MD5: baresip 1.0 stops there, so `sip.digestAlgorithms: [MD5]`).
 *
 * Use:
 *
 *   let rig: DaemonRig;
 *   test.before(async () => {
 *     rig = await startRig({ phones: 2, config: { acd: { reconcileIntervalMs: 1000 } } });
 *     await rig.extension('1001', 'Caller phone');            // CLI, password secret-1001
 *     await rig.route('hotline', '95598', 'ivr:hotline-95598'); // CLI
 *     caller = await rig.phone({ name: 'caller', user: '1001', tone: { freq: 1000 }, answer: false });
 *   });
 *   test.after.always(() => rig?.stop());
 *   // rig.sipUri('95598'), rig.query(sql, …), rig.until(what, fn), rig.api(await rig.apiKey(name, scopes))
 *
 * Ports (from `freePortBlock`): phone i gets 12 from base + 12·i (calls/testing/baresip.ts),
 * then the daemon's SIP port, then its RTP range (`rtpPorts` of them, default 34).
 * `stop()` quits the phones, then SIGTERMs the daemon (SIGKILL after 5 s).
 */
import BetterSqlite3 from 'better-sqlite3';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePortBlock, type Baresip } from '../../calls/testing/baresip.js';
import { DEFAULT_PROMPTS_ZH } from '../../ivr/flows/index.js';
import { DB_FILE_NAME } from '../../store/database.js';
import { PhoneSlots, type PhoneOptions } from './baresip-phone.js';
import { cleanup, freePort, instance, runCli, startDaemon, type Instance, type Running } from './daemon-harness.js';
import { sleep, until, type Polled } from './wait.js';

export interface RigOptions {
  /** How many baresip phones `phone()` may start (12 ports each). Default 2. */
  phones?: number;
  /** Size of the daemon's RTP port range. Default 34. */
  rtpPorts?: number;
  /** The daemon is killed and startRig rejects if it has not printed its control-panel URL by then. Default 90 s. */
  readyTimeoutMs?: number;
  /** Config sections merged (deeply) over the rig's own (http, sip, media, log, lifecycle). */
  config?: Record<string, unknown>;
}

/** A REST call with one API key: `api('POST', '/acd/queues', body)`; throws with the status and body on non-2xx. */
export type ApiCall = <T = unknown>(method: string, p: string, body?: unknown) => Promise<T>;

export interface DaemonRig {
  readonly inst: Instance;
  readonly daemon: Running;
  /** The control panel's base URL, ending in `/`. */
  readonly url: string;
  readonly sipPort: number;
  /** `127.0.0.1:<sipPort>`: what phones register at. */
  readonly registrar: string;
  /** `sip:<user>@127.0.0.1:<sipPort>`. */
  sipUri(user: string): string;
  /** Runs the CLI against this daemon's config and data; rejects on a non-zero exit; resolves with stdout. */
  cli(...args: string[]): Promise<string>;
  /** `extension add` by CLI with password `secret-<number>`. */
  extension(number: string, name: string): Promise<string>;
  /** `route add` by CLI. */
  route(id: string, did: string, target: string): Promise<string>;
  /** `api-key create` by CLI; resolves with the key. */
  apiKey(name: string, scopes: readonly string[]): Promise<string>;
  api(key: string): ApiCall;
  /** One query on the daemon's database, opened read-only (WAL: the daemon keeps writing). */
  query<T>(sql: string, ...params: unknown[]): T[];
  /** `until` (wait.ts) whose timeout message ends with the daemon's stderr. Default 15 s. */
  until<T>(what: string, fn: () => Polled<T> | Promise<Polled<T>>, ms?: number): Promise<T>;
  /** Whether the extension has a binding in the database (it registered). */
  bound(aor: string): boolean;
  /** Waits until the default zh prompts are rendered by TTS (espeak-ng at daemon start). */
  promptsRendered(ms?: number): Promise<number>;
  /** Starts a baresip phone in the next free port slot; `stop()` stops it. */
  phone(o: PhoneOptions): Promise<Baresip>;
  /** The tail of the daemon's stdout and stderr (for a failed test's log). */
  output(chars?: number): string;
  stop(): Promise<void>;
}

export type { PhoneOptions };

type Section = Record<string, unknown>;

function isSection(v: unknown): v is Section {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: Section, over: Section): Section {
  const out: Section = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isSection(b) && isSection(v) ? merge(b, v) : v;
  }
  return out;
}

/** The daemon's config: loopback HTTP and UDP SIP (MD5 Digest, no qualify), one media worker, RTP right after the SIP port; `over` merged deeply. */
export function rigConfig(p: { httpPort: number; sipPort: number; rtpPorts: number }, over: Record<string, unknown> = {}): Record<string, unknown> {
  return merge(
    {
      http: { host: '127.0.0.1', port: p.httpPort },
      sip: { host: '127.0.0.1', port: p.sipPort, transports: ['udp'], digestAlgorithms: ['MD5'], registrar: { qualifySeconds: 0 } },
      media: { rtpPortMin: p.sipPort + 6, rtpPortMax: p.sipPort + 5 + p.rtpPorts, workers: 1 },
      log: { level: 'warn' },
      lifecycle: { drainLimitMs: 2000 },
    },
    over,
  );
}

export async function startRig(o: RigOptions = {}): Promise<DaemonRig> {
  const slots = o.phones ?? 2;
  const rtpPorts = o.rtpPorts ?? 34;
  const base = await freePortBlock(slots * 12 + 6 + rtpPorts);
  const sipPort = base + slots * 12;
  const inst = instance(stringify(rigConfig({ httpPort: await freePort(), sipPort, rtpPorts }, o.config)));
  const daemon = startDaemon(inst);
  const readyMs = o.readyTimeoutMs ?? 90_000;
  let timer: NodeJS.Timeout | undefined;
  const url = await Promise.race([
    daemon.ready,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`daemon not ready within ${readyMs} ms\n${daemon.stderr().slice(-2000)}`)), readyMs);
    }),
  ])
    .catch((err: unknown) => {
      cleanup(daemon);
      throw err;
    })
    .finally(() => clearTimeout(timer));
  const registrar = `127.0.0.1:${sipPort}`;
  const phones = new PhoneSlots({ dir: inst.dir, firstPort: base, slots, registrar });
  const output = (chars = 4000): string => `${daemon.stdout().slice(-chars)}\n${daemon.stderr().slice(-chars)}`;
  const waitFor = <T>(what: string, fn: () => Polled<T> | Promise<Polled<T>>, ms = 15_000): Promise<T> =>
    until(what, fn, ms, { detail: () => `daemon stderr: ${daemon.stderr().slice(-2000)}` });

  const cli = async (...args: string[]): Promise<string> => {
    const r = await runCli(args, inst);
    if (r.code !== 0) throw new Error(`cli ${args.join(' ')} → ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const query = <T>(sql: string, ...params: unknown[]): T[] => {
    const db = new BetterSqlite3(path.join(inst.dataDir, DB_FILE_NAME), { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  };

  return {
    inst,
    daemon,
    url,
    sipPort,
    registrar,
    sipUri: (user) => `sip:${user}@${registrar}`,
    cli,
    extension: (number, name) => cli('extension', 'add', '--number', number, '--name', name, '--password', `secret-${number}`),
    route: (id, did, target) => cli('route', 'add', '--id', id, '--did', did, '--target', target),
    async apiKey(name, scopes) {
      const out = await cli('api-key', 'create', '--name', name, '--scopes', scopes.join(','));
      const key = out.split('\n')[1]?.trim();
      if (!key) throw new Error(`api-key create printed no key: ${out}`);
      return key;
    },
    api(key) {
      return async <T>(method: string, p: string, body?: unknown): Promise<T> => {
        const res = await fetch(`${url}api/v1${p}`, {
          method,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        if (!res.ok) throw new Error(`${method} ${p} → ${res.status}: ${text}`);
        return (text ? JSON.parse(text) : null) as T;
      };
    },
    query,
    until: waitFor,
    bound: (aor) => query('SELECT aor FROM sip_bindings WHERE aor = ?', aor).length > 0,
    promptsRendered(ms = 40_000) {
      const ttsDir = path.join(inst.dataDir, 'prompts', 'tts', 'zh');
      const texts = new Set(Object.values(DEFAULT_PROMPTS_ZH).map((x) => x.replace(/\s+/g, ' ').trim())).size;
      return waitFor('prompts rendered', () => existsSync(ttsDir) && readdirSync(ttsDir).filter((f) => f.endsWith('.wav')).length >= texts && texts, ms);
    },
    phone: (p) => phones.start(p),
    output,
    async stop() {
      await phones.stopAll();
      daemon.child.kill('SIGTERM');
      await Promise.race([daemon.exited, sleep(5000)]);
      cleanup(daemon);
    },
  };
}
