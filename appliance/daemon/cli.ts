/**
 * The operator's command line (issue 2: "online backup … and restore commands"; API keys for
 * integrators). Same configuration as the daemon (APPLIANCE_CONFIG / APPLIANCE_DATA_DIR, read
 * by core/config.ts). Run compiled (`node dist/appliance/daemon/cli.js …`) or from source
 * (`node --import=tsx appliance/daemon/cli.ts …`):
 *
 *   backup <file>                          online copy (SQLite backup API); fine while the daemon runs
 *   restore <file>                         offline: refused while a live daemon holds the pid lock
 *   api-key create --name N --scopes a,b   prints the new key once (only its hash is stored)
 *   config check                           validate the configuration, list every problem
 *
 * Exit codes: 0 done, 1 failed, 2 bad usage or invalid configuration.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ApiKeys } from '../api/api-keys.js';
import { isScope, Scopes, type Scope } from '../api/scopes.js';
import { SystemClock } from '../core/clock.js';
import { configSourceFromEnv, formatIssues, loadConfig, type Config } from '../core/config.js';
import { AppError, ConfigError } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { AuditLog } from '../ops/audit.js';
import { backupTo, restoreFrom } from '../store/backup.js';
import { DB_FILE_NAME, openStore, type Store } from '../store/database.js';
import { acquirePidLock, readLock } from './pid-lock.js';

const USAGE = `usage: appliance <command>
  backup <file>                          online backup of the database to <file>
  restore <file>                         replace the database with <file> (daemon must be stopped)
  api-key create --name N --scopes a,b   create an API key for an integrator
  config check                           validate the configuration
scopes: ${Scopes.join(', ')}`;

class UsageError extends Error {}

const clock = new SystemClock();
const log = silentLogger();

function dbFile(config: Config): string {
  return path.join(config.dataDir, DB_FILE_NAME);
}

async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const file = dbFile(config);
  if (!existsSync(file)) throw new AppError('NOT_FOUND', `no database at ${file} (has the appliance been started?)`);
  const store = openStore({ file, clock, log });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function backup(args: string[]): Promise<number> {
  const [file, ...extra] = args;
  if (!file || extra.length > 0) throw new UsageError('backup takes one argument: the target file');
  const config = loadConfig();
  const result = await withStore(config, (store) => backupTo(store, file));
  process.stdout.write(`backup written: ${result.file} (${result.bytes} bytes, schema version ${result.schemaVersion})\n`);
  return 0;
}

function restore(args: string[]): number {
  const [file, ...extra] = args;
  if (!file || extra.length > 0) throw new UsageError('restore takes one argument: the backup file');
  const config = loadConfig();
  const holder = readLock(config.dataDir);
  if (holder?.alive) {
    throw new AppError(
      'CONFLICT',
      `the appliance daemon is running on ${config.dataDir} (pid ${holder.pid}); stop it before restoring`,
    );
  }
  const lock = acquirePidLock(config.dataDir, 'a restore or a daemon');
  try {
    const result = restoreFrom(file, dbFile(config), clock);
    process.stdout.write(
      `restored ${dbFile(config)} from ${result.restoredFrom} (schema version ${result.schemaVersion})\n` +
        (result.previousKeptAs ? `previous database kept as ${result.previousKeptAs}\n` : ''),
    );
  } finally {
    lock.release();
  }
  return 0;
}

async function apiKey(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create') throw new UsageError('api-key: the only subcommand is `create`');
  const { values, positionals } = parseArgs({
    args: rest,
    options: { name: { type: 'string' }, scopes: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`api-key create: unexpected ${positionals.join(' ')}`);
  const name = values.name?.trim();
  if (!name) throw new UsageError('api-key create: --name is required');
  const scopes = (values.scopes ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (scopes.length === 0) throw new UsageError('api-key create: --scopes is required (comma-separated)');
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length > 0) throw new UsageError(`api-key create: unknown scope(s) ${unknown.join(', ')}`);

  const config = loadConfig();
  const created = await withStore(config, (store) => {
    const keys = new ApiKeys({
      db: store.db,
      clock,
      bus: new EventBus({ clock, log }),
      audit: new AuditLog({ db: store.db, clock }),
    });
    return keys.create({ name, scopes: scopes as Scope[] }, { actor: 'system', ip: null });
  });
  process.stdout.write(
    `API key ${created.key.id} (${created.key.name}; scopes ${created.key.scopes.join(', ')})\n` +
      `${created.secret}\n` +
      'Shown once: store it now. Send it as "Authorization: Bearer <key>".\n',
  );
  return 0;
}

function configCheck(args: string[]): number {
  if (args[0] !== 'check' || args.length > 1) throw new UsageError('config: the only subcommand is `check`');
  const source = configSourceFromEnv();
  const config = loadConfig();
  process.stdout.write(
    `configuration OK: ${source.file ?? 'embedded defaults (APPLIANCE_CONFIG not set)'}\n` +
      `  data dir: ${config.dataDir}\n  http: ${config.http.host}:${config.http.port}\n` +
      `  sip: ${config.sip.host}:${config.sip.port} (${config.sip.transports.join(', ')})\n`,
  );
  return 0;
}

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'backup':
        return await backup(args);
      case 'restore':
        return restore(args);
      case 'api-key':
        return await apiKey(args);
      case 'config':
        return configCheck(args);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`appliance: invalid configuration: ${err.message}\n${formatIssues(err.issues)}\n`);
      return 2;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`appliance: ${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof AppError) {
      process.stderr.write(`appliance: ${err.message} [${err.code}]\n`);
      return 1;
    }
    throw err;
  }
}

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`appliance: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
