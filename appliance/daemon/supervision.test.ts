/**
 * The supervisor files (image/systemd unit, pm2 ecosystem file) agree with the daemon: stop
 * timeouts above the default drain limit, config errors (exit 2) not restarted, hardening on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import test from 'ava';
import { parseConfig } from '../core/config.js';
import { REPO_ROOT } from './testing/daemon-harness.js';

const defaultDrainMs = parseConfig({ text: null, dataDirOverride: null }).lifecycle.drainLimitMs;
const unitFile = path.join(REPO_ROOT, 'image/systemd/hotline-appliance.service');

function unitDirectives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

test('systemd unit: graceful stop, restart policy and hardening', (t) => {
  const d = unitDirectives(readFileSync(unitFile, 'utf8'));
  const one = (k: string) => d.get(k)?.at(-1);
  t.is(one('KillMode'), 'control-group');
  t.is(one('KillSignal'), 'SIGTERM');
  t.is(one('Restart'), 'always');
  t.is(one('RestartPreventExitStatus'), '2');
  t.is(one('NoNewPrivileges'), 'yes');
  t.is(one('ProtectSystem'), 'strict');
  t.is(one('User'), 'hotline');
  const dataDir = d.get('Environment')?.find((e) => e.startsWith('APPLIANCE_DATA_DIR='))?.split('=')[1];
  t.truthy(dataDir);
  t.true(d.get('ReadWritePaths')?.includes(dataDir!), 'the data dir is writable under ProtectSystem=strict');
  const stopSec = Number(/^(\d+)s$/.exec(one('TimeoutStopSec') ?? '')?.[1]);
  t.true(stopSec * 1000 > defaultDrainMs, `TimeoutStopSec ${stopSec}s must exceed drain limit ${defaultDrainMs} ms`);
  t.regex(one('ExecStart') ?? '', /dist\/appliance\/daemon\/main\.js$/);
});

test('systemd unit passes systemd-analyze verify', (t) => {
  if (!existsSync('/usr/bin/systemd-analyze')) {
    t.pass('systemd-analyze not installed');
    return;
  }
  // It exits 0 even for bad directives, so its complaints (on stderr) are what count.
  const r = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
  t.is(`${r.stdout}${r.stderr}`.trim(), '');
});

test('pm2 ecosystem: one forked process, kill_timeout above the drain limit, exit 2 not restarted', (t) => {
  const eco = createRequire(import.meta.url)(path.join(REPO_ROOT, 'ecosystem.config.cjs')) as {
    apps: { script: string; exec_mode: string; instances: number; kill_timeout: number; stop_exit_codes: number[] }[];
  };
  t.is(eco.apps.length, 1);
  const app = eco.apps[0]!;
  t.is(app.script, 'dist/appliance/daemon/main.js');
  t.is(app.exec_mode, 'fork');
  t.is(app.instances, 1);
  t.true(app.kill_timeout > defaultDrainMs);
  t.deepEqual(app.stop_exit_codes, [2]);
});

test('npm start, systemd and pm2 start the daemon with the same Node flags', (t) => {
  const flagsOf = (cmd: string): string[] => cmd.split(/\s+/).filter((w) => w.startsWith('--'));
  const start = /^exec node (.*)$/m.exec(readFileSync(path.join(REPO_ROOT, 'scripts/start.sh'), 'utf8'))?.[1] ?? '';
  const exec = unitDirectives(readFileSync(unitFile, 'utf8')).get('ExecStart')?.at(-1) ?? '';
  const eco = createRequire(import.meta.url)(path.join(REPO_ROOT, 'ecosystem.config.cjs')) as { apps: { node_args: string }[] };
  const flags = flagsOf(start);
  t.true(flags.includes('--max-semi-space-size=32'), start);
  t.deepEqual(flagsOf(exec), flags, 'systemd ExecStart');
  t.deepEqual(flagsOf(eco.apps[0]!.node_args), flags, 'pm2 node_args');
});
