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
 *   extension add --number N --name D --password P   an agent's SIP phone account (issue 3 registrar)
 *   route add --id I --did P --target kind:name      an inbound dialplan route (kind ivr|queue|extension|diagnostic, e.g. diagnostic:echo:0)
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
import { AppError, ConfigError, ValidationError } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { AuditLog } from '../ops/audit.js';
import { backupTo, restoreFrom } from '../store/backup.js';
import { DB_FILE_NAME, openStore, type Store } from '../store/database.js';
import { SqliteCallStore } from '../calls/call-store.js';
import { RouteSchema, RouteTargetKinds, targetFromName, type RouteInput } from '../calls/dialplan.js';
import { ExtensionService, SqliteSipStore } from '../sip/registrar/index.js';
import { acquirePidLock, readLock } from './pid-lock.js';

const USAGE = `usage: appliance <command>
  backup <file>                          online backup of the database to <file>
  restore <file>                         replace the database with <file> (daemon must be stopped)
  api-key create --name N --scopes a,b   create an API key for an integrator
  config check                           validate the configuration
  extension add --number N --name D --password P [--auth-user U]
                                         create a SIP extension (password stored only as H(A1))
  route add --id I --did P --target ivr:F|queue:Q|extension:E [--name N] [--priority n] [--caller P]
                                         create or replace an inbound dialplan route
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

const CLI_ACTOR = { actor: 'system:cli', ip: null } as const;

/** A ValidationError's issues as `path: message` lines (the same shape as config errors). */
function validationText(err: ValidationError): string {
  return err.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
}

async function extension(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'add') throw new UsageError('extension: the only subcommand is `add`');
  const { values, positionals } = parseArgs({
    args: rest,
    options: { number: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' }, 'auth-user': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`extension add: unexpected ${positionals.join(' ')}`);
  const config = loadConfig();
  const created = await withStore(config, async (store) => {
    // The same service (and zod schema) the registrar reads through; the realm decides H(A1).
    const service = new ExtensionService({ store: new SqliteSipStore(store), clock, realm: config.sip.realm });
    const v = service.create({
      number: values.number,
      displayName: values.name ?? values.number,
      password: values.password,
      ...(values['auth-user'] === undefined ? {} : { authUser: values['auth-user'] }),
    });
    await new AuditLog({ db: store.db, clock }).record({ ...CLI_ACTOR, action: 'sip-extension.created', target: v.number, after: v });
    return v;
  });
  process.stdout.write(`extension ${created.number} (${created.displayName}; auth user ${created.authUser}; realm ${config.sip.realm}) created\n`);
  return 0;
}

async function route(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'add') throw new UsageError('route: the only subcommand is `add`');
  const { values, positionals } = parseArgs({
    args: rest,
    options: { id: { type: 'string' }, name: { type: 'string' }, did: { type: 'string' }, target: { type: 'string' }, priority: { type: 'string' }, caller: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`route add: unexpected ${positionals.join(' ')}`);
  const m = /^([a-z]+):(.+)$/.exec(values.target ?? '');
  const kind = m?.[1];
  if (!m || !RouteTargetKinds.includes(kind as (typeof RouteTargetKinds)[number])) {
    throw new UsageError(`route add: --target is ${RouteTargetKinds.map((k) => `${k}:<name>`).join(' | ')}`);
  }
  const name = m[2]!;
  // Checked by RouteSchema below (e.g. `diagnostic:echo-record:60000` → mode and holdMs).
  const target = targetFromName(kind!, name) as RouteInput['target'];
  const input: RouteInput = {
    id: values.id ?? '',
    name: values.name ?? `${values.did ?? ''} → ${values.target}`,
    did: values.did ?? '',
    target,
    ...(values.priority === undefined ? {} : { priority: Number(values.priority) }),
    ...(values.caller === undefined ? {} : { caller: values.caller }),
  };
  const parsed = RouteSchema.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError('invalid route', parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })));
  }
  const config = loadConfig();
  const saved = await withStore(config, async (store) => {
    // Routes are read from the database for every call: a running daemon uses it at once.
    const r = new SqliteCallStore(store, () => clock.now()).saveRoute(parsed.data);
    await new AuditLog({ db: store.db, clock }).record({ ...CLI_ACTOR, action: 'call-route.saved', target: r.id, after: r });
    return r;
  });
  process.stdout.write(`route ${saved.id}: ${saved.did} → ${saved.target.kind}:${values.target?.slice(kind!.length + 1)} (priority ${saved.priority})\n`);
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
      case 'extension':
        return await extension(args);
      case 'route':
        return await route(args);
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
    if (err instanceof ValidationError) {
      process.stderr.write(`appliance: ${err.message}\n${validationText(err)}\n`);
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
