/**
 * Runs the real daemon (or the CLI) as a child process from source, the way an operator would,
 * with APPLIANCE_CONFIG / APPLIANCE_DATA_DIR pointing at temporary files. For the spawn tests
 * of daemon/main.ts and daemon/cli.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = path.join(REPO_ROOT, 'appliance/daemon/main.ts');
const CLI = path.join(REPO_ROOT, 'appliance/daemon/cli.ts');

export function tempDir(prefix = 'daemon-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A port that was free a moment ago (bound on port 0, then released). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface Instance {
  dir: string;
  configFile: string;
  dataDir: string;
}

/** A temp dir with `config.yaml` (the given text) and a `data/` path. */
export function instance(configText: string, dataDir?: string): Instance {
  const dir = tempDir();
  const configFile = path.join(dir, 'config.yaml');
  writeFileSync(configFile, configText);
  return { dir, configFile, dataDir: dataDir ?? path.join(dir, 'data') };
}

export function httpConfig(port: number, extra = ''): string {
  return `http:\n  host: 127.0.0.1\n  port: ${port}\nsip:\n  port: 0\nlog:\n  level: warn\nlifecycle:\n  drainLimitMs: 2000\n${extra}`;
}

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (signal exits map to 128+n). */
  exited: Promise<number>;
  /** Resolves with the control-panel URL once the daemon prints it; rejects if it exits first. */
  ready: Promise<string>;
}

function run(script: string, args: string[], inst: Pick<Instance, 'configFile' | 'dataDir'>): Running {
  const child = spawn(process.execPath, ['--import=tsx', script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, APPLIANCE_CONFIG: inst.configFile, APPLIANCE_DATA_DIR: inst.dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0))),
  );
  const ready = new Promise<string>((resolve, reject) => {
    const look = (): void => {
      const m = /control panel:\s+(\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', look);
    void exited.then((code) => reject(new Error(`daemon exited ${code} before ready\n${err}`)));
  });
  ready.catch(() => undefined);
  return { child, stdout: () => out, stderr: () => err, exited, ready };
}

export function startDaemon(inst: Pick<Instance, 'configFile' | 'dataDir'>): Running {
  return run(MAIN, [], inst);
}

export async function runCli(
  args: string[],
  inst: Pick<Instance, 'configFile' | 'dataDir'>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = run(CLI, args, inst);
  const code = await r.exited;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** Kill a child left running by a failed test. */
export function cleanup(r: Running): void {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
}
