/**
 * What the SIPp benchmarks share (issues 3, 4, 6 benchmarks: "driven by SIPp — never by the
 * appliance's own SIP code"): the REAL daemon as it ships — the source compiled once per bench run
 * (`npm run build`), started as scripts/start.sh starts it (DAEMON_NODE_FLAGS) — in
 * a temporary data dir with a benchmark config, its database seeded the way the CLI does it
 * (extensions, dialplan routes) before it starts; SIPp runs with statistics files; process CPU
 * and RSS read from /proc/PID/stat and /proc/PID/status; the machine described for the report.
 *
 * Benchmark config: SIP on 127.0.0.1 UDP, digest auth kept on (MD5: SIPp 3.6 does not do
 * SHA-256) so every call pays the challenge as a phone's call would, 127.0.0.0/8 trusted (no
 * flood bans on the load generator), no voice card, log level warn.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../appliance/core/clock.js';
import { silentLogger } from '../../appliance/core/log.js';
import { SqliteCallStore } from '../../appliance/calls/call-store.js';
import type { RouteInput } from '../../appliance/calls/dialplan.js';
import { ExtensionService } from '../../appliance/sip/registrar/extension-service.js';
import { SqliteSipStore } from '../../appliance/sip/registrar/sip-store.js';
import { DB_FILE_NAME, openStore, type Store } from '../../appliance/store/database.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Node flags of the production daemon (scripts/start.sh, image/systemd/hotline-appliance.service). */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=32'];

let built = false;
/** `npm run build` once per bench process, so the daemon measured is the current source compiled. */
function buildOnce(): void {
  if (built) return;
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
  built = true;
}
export const SCENARIOS = path.join(REPO_ROOT, 'bench/sipp');
export const SIPP = ['/usr/bin/sipp', '/usr/local/bin/sipp'].find((p) => existsSync(p)) ?? null;
const CLK_TCK = 100;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A TCP port that was free a moment ago. */
export async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A UDP port that was free a moment ago. */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface ApplianceOptions {
  routes: RouteInput[];
  extensions?: Array<{ number: string; password: string }>;
  /** Seed more operator data (ACD queues and agents) into the database before the daemon starts. */
  seed?: (store: Store) => void | Promise<void>;
  /** Extra YAML appended to the benchmark config. */
  extraConfig?: string;
  mediaWorkers?: number;
  rtpPorts?: [number, number];
  /** Write a V8 CPU profile of the main thread into this directory (`node --cpu-prof`). */
  cpuProfDir?: string;
}

export interface Appliance {
  pid: number;
  sipPort: number;
  httpUrl: string;
  dataDir: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Start the real daemon with a temp data dir and a benchmark config; resolves once it is ready. */
export async function startAppliance(o: ApplianceOptions): Promise<Appliance> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sipp-bench-'));
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  const sipPort = await freeUdpPort();
  const httpPort = await freeTcpPort();
  const [rtpMin, rtpMax] = o.rtpPorts ?? [20000, 29999];
  const config = [
    'log:',
    '  level: warn',
    'http:',
    '  host: 127.0.0.1',
    `  port: ${httpPort}`,
    'sip:',
    '  host: 127.0.0.1',
    `  port: ${sipPort}`,
    '  transports: [udp]',
    '  digestAlgorithms: [MD5]',
    '  registrar:',
    '    qualifySeconds: 0',
    '    minExpires: 60',
    '  security:',
    "    trustedNetworks: ['127.0.0.0/8']",
    '    rateLimit: 100000',
    '    maxServerTransactions: 1000000',
    'media:',
    `  rtpPortMin: ${rtpMin}`,
    `  rtpPortMax: ${rtpMax}`,
    `  workers: ${o.mediaWorkers ?? 0}`,
    'card:',
    '  driver: dahdi',
    'lifecycle:',
    '  drainLimitMs: 2000',
    o.extraConfig ?? '',
  ].join('\n');
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, config);

  const store = openStore({ file: path.join(dataDir, DB_FILE_NAME), clock: systemClock, log: silentLogger() });
  try {
    const calls = new SqliteCallStore(store, () => Date.now());
    for (const r of o.routes) calls.saveRoute(r);
    const ext = new ExtensionService({ store: new SqliteSipStore(store), clock: systemClock, realm: 'hotline.local' });
    for (const e of o.extensions ?? []) ext.create({ number: e.number, displayName: `bench ${e.number}`, password: e.password, maxContacts: 5 });
    await o.seed?.(store);
  } finally {
    await store.close();
  }

  // What ships: the compiled daemon with scripts/start.sh's flags (tsx adds its own per-function wrappers).
  buildOnce();
  const execArgv = ['--enable-source-maps', ...DAEMON_NODE_FLAGS];
  if (o.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`);
  // Extra Node flags for the daemon while investigating, e.g. BENCH_DAEMON_NODE_ARGS=--heapsnapshot-signal=SIGUSR2
  execArgv.push(...(process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean));
  const child = spawn(process.execPath, [...execArgv, path.join(REPO_ROOT, 'dist/appliance/daemon/main.js')], {
    cwd: REPO_ROOT,
    env: { ...process.env, APPLIANCE_CONFIG: configFile, APPLIANCE_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-20_000)));
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? 1)));
  const ready = await Promise.race([
    (async () => {
      while (!/control panel:\s+(\S+)/.test(out)) await sleep(100);
      return /control panel:\s+(\S+)/.exec(out)![1]!;
    })(),
    exited.then((code) => {
      throw new Error(`appliance exited ${code} before ready:\n${err}`);
    }),
    sleep(60_000).then(() => {
      throw new Error(`appliance not ready in 60 s:\n${err}`);
    }),
  ]);
  // Boot's remaining share: the default prompts are rendered into the TTS cache (one espeak-ng spawn
  // each, from the main thread) once per fresh data directory; measure the steady state after it.
  await promptWarmupDone(ready, 120_000);
  return {
    pid: child.pid!,
    sipPort,
    httpUrl: ready,
    dataDir,
    child,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU seconds (user + system) a process has used so far, all threads. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Resident set size, MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Bytes a process has written to storage so far (/proc/PID/io write_bytes; 0 when unreadable). */
export function writeBytes(pid: number): number {
  try {
    const m = /write_bytes:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * CPU of a set of processes since the meter was made, as % of one core. Each process is read
 * from /proc every 250 ms and the LAST GOOD reading is kept with its time: a process that has
 * exited (its /proc entry gone, or its pid taken by another process whose counters are lower)
 * is reported up to its last reading over the time to that reading, never as "0 − start" (the
 * negative figures of an earlier version, which read a finished SIPp as 0 CPU seconds).
 */
export class CpuMeter {
  private readonly t0 = performance.now();
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, { cpu: number; at: number }>();
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pids: readonly number[]) {
    for (const p of pids) {
      const c = readCpu(p);
      if (c === null) continue;
      this.first.set(p, c);
      this.last.set(p, { cpu: c, at: this.t0 });
    }
    this.timer = setInterval(() => this.sample(), 250).unref();
  }
  percent(pid: number): number {
    this.sample();
    const l = this.last.get(pid);
    if (!l || l.at <= this.t0) return 0;
    return (this.seconds(pid) / ((l.at - this.t0) / 1000)) * 100;
  }
  /** CPU seconds (user + system, all threads) the process used since the meter started (up to its last reading). */
  seconds(pid: number): number {
    this.sample();
    const f = this.first.get(pid);
    const l = this.last.get(pid);
    return f === undefined || !l ? 0 : l.cpu - f;
  }
  /** Stop sampling (the readings so far are kept). */
  stop(): void {
    clearInterval(this.timer);
  }
  private sample(): void {
    const now = performance.now();
    for (const p of this.pids) {
      const l = this.last.get(p);
      const c = readCpu(p);
      // Counters only grow: a lower value is another process that took the pid.
      if (c === null || !l || c < l.cpu) continue;
      this.last.set(p, { cpu: c, at: now });
    }
  }
}

function readCpu(pid: number): number | null {
  try {
    return cpuSeconds(pid);
  } catch {
    return null;
  }
}

export function machine(): string {
  const model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? '?';
  const la = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `${os.availableParallelism()} cores (${model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${la}, node ${process.version}, ${sippVersion()}`;
}

function sippVersion(): string {
  return SIPP ? 'SIPp 3.6 (Debian sip-tester)' : 'no sipp';
}

export interface SippRun {
  child: ChildProcess;
  pid: number;
  dir: string;
  /** Resolves with the exit code: 0 all calls succeeded, 1 some failed, other = SIPp error. */
  exited: Promise<number>;
  output(): string;
  /** The last statistics row (cumulative counters). */
  stats(): SippStats | null;
  /** Every error SIPp logged (first 4 kB). */
  errors(): string;
}

export interface SippStats {
  elapsedS: number;
  created: number;
  current: number;
  successful: number;
  failed: number;
  retransmissions: number;
  row: Record<string, string>;
}

/**
 * Run SIPp. `scenario` is a file in bench/sipp/; `args` are extra SIPp arguments. Statistics are
 * dumped every second into the run's directory (-trace_stat), errors into errors.log.
 */
export function runSipp(scenario: string, args: string[], target: string | null): SippRun {
  if (!SIPP) throw new Error('sipp is not installed (Debian package sip-tester)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sipp-run-'));
  // rtp_stream scenarios play tone.alaw from the working directory.
  copyFileSync(toneFile(), path.join(dir, 'tone.alaw'));
  const stf = path.join(dir, 'stats.csv');
  const child = spawn(
    SIPP,
    [
      '-sf', path.join(SCENARIOS, scenario),
      '-t', 'u1',
      '-i', '127.0.0.1',
      '-nostdin',
      '-trace_stat', '-stf', stf, '-fd', '1',
      '-trace_err', '-error_file', path.join(dir, 'errors.log'),
      '-max_recv_loops', '10000',
      '-max_sched_loops', '10000',
      ...args,
      ...(target ? [target] : []),
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString('utf8')).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number>((r) => child.on('exit', (code, signal) => r(code ?? (signal ? 128 : 1))));
  return {
    child,
    pid: child.pid!,
    dir,
    exited,
    output: () => out,
    stats: () => readStats(stf),
    errors: () => {
      try {
        return readFileSync(path.join(dir, 'errors.log'), 'utf8').slice(0, 4000);
      } catch {
        return '';
      }
    },
  };
}

function readStats(file: string): SippStats | null {
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  if (lines.length < 2) return null;
  const head = (lines[0] ?? '').split(';');
  const last = (lines[lines.length - 1] ?? '').split(';');
  const row: Record<string, string> = {};
  head.forEach((h, i) => (row[h] = last[i] ?? ''));
  const n = (k: string): number => Number(row[k] ?? 0);
  const elapsed = (row['ElapsedTime(C)'] ?? '0:0:0').split(':').map(Number);
  return {
    elapsedS: (elapsed[0] ?? 0) * 3600 + (elapsed[1] ?? 0) * 60 + (elapsed[2] ?? 0),
    created: n('TotalCallCreated'),
    current: n('CurrentCall'),
    successful: n('SuccessfulCall(C)'),
    failed: n('FailedCall(C)'),
    retransmissions: n('Retransmissions(C)'),
    row,
  };
}

let tone: string | null = null;
/** 10 s of a 1 kHz tone at -10 dBFS as raw A-law (payload 8), made once with sox. */
export function toneFile(): string {
  if (tone) return tone;
  const file = path.join(os.tmpdir(), `bench-tone-${process.pid}.alaw`);
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'raw', file, 'synth', '10', 'sine', '1000', 'vol', '-10dB']);
  tone = file;
  return file;
}

/** Static contacts: a binding per extension at `host:port` (as a REGISTER from there leaves), restored by the registrar at start. */
export function seedBindings(store: Store, rows: ReadonlyArray<{ aor: string; host: string; port: number }>, now = Date.now()): void {
  new SqliteSipStore(store).writeBindings(
    rows.map((r) => {
      const uri = `sip:${r.aor}@${r.host}:${r.port}`;
      return {
        aor: r.aor,
        contactKey: uri,
        contact: `<${uri}>`,
        callId: `bench-${r.aor}`,
        cseq: 1,
        q: null,
        expiresAt: now + 86_400_000,
        registeredAt: now,
        source: { protocol: 'udp' as const, host: r.host, port: r.port, connectionId: null },
        userAgent: 'sipp',
      };
    }),
    [],
  );
}

/** A SIPp injection file (-inf): one `user;password;` line per caller, used in sequence. */
export function injectionFile(dir: string, rows: Array<readonly string[]>): string {
  const file = path.join(dir, `inject-${process.pid}-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, `SEQUENTIAL\n${rows.map((r) => `${r.join(';')};`).join('\n')}\n`);
  return file;
}

/** Newest files in a directory tree (recordings), with sizes. */
export function filesUnder(dir: string): Array<{ file: string; size: number }> {
  const out: Array<{ file: string; size: number }> = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath, e.name);
    out.push({ file, size: statSync(file).size });
  }
  return out;
}

/** Poll /metrics for the main thread's event-loop lag p99 since the last poll (appliance_eventloop_lag_p99_seconds, ops/metrics.ts), seconds. */
export async function eventLoopP99(httpUrl: string): Promise<number | null> {
  try {
    const res = await fetch(new URL('/metrics', httpUrl));
    const text = await res.text();
    const m = /^appliance_eventloop_lag_p99_seconds(?:\{[^}]*\})? ([0-9.eE+-]+)$/m.exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Wait until the daemon reports its default prompts rendered (gauge ivr_prompt_warmup_remaining = 0). */
export async function promptWarmupDone(httpUrl: string, limitMs: number): Promise<void> {
  const until = performance.now() + limitMs;
  while (performance.now() < until) {
    try {
      const text = await (await fetch(new URL('/metrics', httpUrl))).text();
      const m = /^ivr_prompt_warmup_remaining ([0-9.eE+-]+)$/m.exec(text);
      if (!m || Number(m[1]) === 0) return;
    } catch {
      // not answering yet
    }
    await sleep(500);
  }
  console.log(`prompt warm-up not finished in ${limitMs / 1000} s: measuring anyway`);
}

/** Parse `key=value` benchmark arguments with defaults. */
export function args<T extends Record<string, number | string>>(defaults: T): T {
  const out: Record<string, number | string> = { ...defaults };
  for (const a of process.argv.slice(2)) {
    const m = /^([a-zA-Z-]+)=(.*)$/.exec(a);
    if (!m) continue;
    const k = m[1]!;
    out[k] = typeof defaults[k] === 'number' ? Number(m[2]) : m[2]!;
  }
  return out as T;
}
