/**
 * Configuration: one YAML file parsed once at boot against one zod schema. This module alone
 * reads the environment:
 *   APPLIANCE_CONFIG    path of the YAML file (default: none, embedded defaults)
 *   APPLIANCE_DATA_DIR  data directory (overrides `dataDir` in the file)
 * A bad file yields a ConfigError listing every problem by path
 * (`sip.port: expected number, got "abc"`), so the daemon can print them all and exit.
 * Operator data (queues, agents, routes) is not here: it lives in SQLite.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, type FieldIssue } from './errors.js';
import { LogLevels } from './log.js';

const port = z.number().int().min(1).max(65535);
const host = z.string().min(1);
/** An upstream system the IVR's lookups call (integrations/lookup): base URL, bearer token, timeout. */
const UpstreamSystem = z
  .object({
    baseUrl: z.url({ protocol: /^https?$/ }),
    token: z.string().min(1).optional(),
    timeoutMs: z.number().int().min(100).max(60_000).optional(),
  })
  .strict();

export const ConfigSchema = z
  .object({
    /** Name shown in the panel and in SIP `Server`/`User-Agent` (generic by default: S11). */
    name: z.string().min(1).max(64).default('hotline'),
    dataDir: z.string().min(1).default('var'),
    log: z
      .object({
        level: z.enum(LogLevels).default('info'),
        /** Dump SIP messages at debug level. */
        sipTrace: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        host: host.default('127.0.0.1'),
        port: port.default(8080),
        /** Public base URL printed at start (login link); derived from host/port when empty. */
        publicUrl: z.url().optional(),
        /** Express `trust proxy` setting: only when a reverse proxy sits in front. */
        trustProxy: z.boolean().default(false),
        /**
         * Management networks (CIDR) from which administrators sign in: never IP-banned by
         * login throttling, so an attack cannot lock the real administrator out (W5).
         */
        managementNetworks: z.array(z.string().min(1)).default(['127.0.0.0/8', '::1/128']),
      })
      .strict()
      .prefault({}),
    sip: z
      .object({
        host: host.default('127.0.0.1'),
        /** The address peers reach us at (Contact, SDP) when `host` is a wildcard or behind NAT; unset = chosen per peer (sip/ua/advertise.ts). */
        advertisedAddress: host.optional(),
        /** 0 = any free port (tests). */
        port: z.number().int().min(0).max(65535).default(5060),
        transports: z.array(z.enum(['udp', 'tcp', 'tls'])).min(1).default(['udp', 'tcp']),
        tlsPort: port.default(5061),
        tlsCert: z.string().optional(),
        tlsKey: z.string().optional(),
        /** RFC 3261 §17.1.1.1 timer values, ms. */
        t1: z.number().int().min(50).max(10000).default(500),
        t2: z.number().int().min(500).max(60000).default(4000),
        t4: z.number().int().min(500).max(60000).default(5000),
        userAgent: z.string().min(1).max(64).default('hotline'),
        realm: z.string().min(1).default('hotline.local'),
        /** Digest algorithms challenged, in order (RFC 7616 §3.7); ['MD5'] for phones that stop at an unknown one (baresip 1.0). */
        digestAlgorithms: z.array(z.enum(['SHA-256', 'MD5'])).min(1).default(['SHA-256', 'MD5']),
        /** Registrar (RFC 3261 §10.3): seconds; qualify = OPTIONS keepalive period (0: off). */
        registrar: z
          .object({
            minExpires: z.number().int().min(1).max(3600).default(60),
            maxExpires: z.number().int().min(60).max(86400).default(3600),
            defaultExpires: z.number().int().min(60).max(86400).default(3600),
            qualifySeconds: z.number().int().min(0).max(3600).default(30),
          })
          .strict()
          .prefault({}),
        /** SIP security (RELIABILITY.md S4, S5, S9, S11). */
        security: z
          .object({
            /** CIDR blocks never rate-limited or banned: SIP trunks, management networks. */
            trustedNetworks: z.array(z.string().min(1)).default([]),
            rateLimit: z.number().int().min(1).max(100000).default(30),
            rateWindowMs: z.number().int().min(100).max(600000).default(2000),
            floodBanSeconds: z.number().int().min(1).max(604800).default(300),
            authMaxFailures: z.number().int().min(1).max(1000).default(10),
            authWindowSeconds: z.number().int().min(1).max(86400).default(60),
            authBanSeconds: z.number().int().min(1).max(604800).default(900),
            dropScanners: z.boolean().default(true),
            /** Admission control: past this many server transactions, new requests get 503 + Retry-After. */
            maxServerTransactions: z.number().int().min(10).max(1000000).default(20000),
            retryAfterSeconds: z.number().int().min(1).max(3600).default(5),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    media: z
      .object({
        rtpPortMin: port.default(20000),
        rtpPortMax: port.default(20999),
        /** Media worker threads; 0 = one per core. */
        workers: z.number().int().min(0).max(64).default(0),
      })
      .strict()
      .refine((m) => m.rtpPortMin < m.rtpPortMax, {
        message: 'rtpPortMin must be below rtpPortMax',
        path: ['rtpPortMin'],
      })
      .prefault({}),
    /** Call recording (calls/recording-control.ts decides per call; media/recorder writes). */
    recording: z
      .object({
        /** all = every bridged call; per-queue = the calls of `queues` (others on demand); on-demand = only when asked. */
        mode: z.enum(['all', 'per-queue', 'on-demand']).default('all'),
        queues: z.array(z.string().min(1)).default([]),
        format: z.enum(['alaw', 'pcm16']).default('alaw'),
        /** The periodic recording-notice beep heard by the parties. */
        beep: z.boolean().default(false),
        /** Default: <dataDir>/recordings. */
        dir: z.string().min(1).optional(),
        /** Recording volume (media/recorder/recording-volume.ts): major alarm below this % free. */
        warnFreePercent: z.number().min(0).max(100).default(10),
        /** Critical alarm and `whenFull` below this % free. */
        fullFreePercent: z.number().min(0).max(100).default(3),
        whenFull: z.enum(['stop-new', 'overwrite-oldest-archived']).default('stop-new'),
        checkIntervalMs: z.number().int().min(1000).default(30_000),
        /** Opus (Ogg) archive copies made in the background (media/archive/opus-archive.ts). */
        archive: z
          .object({
            enabled: z.boolean().default(false),
            /** Archive recordings closed at least this many minutes ago. */
            afterMinutes: z.number().int().min(0).default(1440),
            /** ≥ 24: below it libopus merges the caller's and the agent's sides (media/archive/opus-archive.ts). */
            bitrateKbps: z.number().int().min(24, 'bitrateKbps: at least 24 (below it Opus merges the two sides of a call)').max(128).default(24),
            intervalSeconds: z.number().int().min(10).default(300),
            batch: z.number().int().min(1).max(10_000).default(50),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .refine((r) => r.fullFreePercent < r.warnFreePercent, {
        message: 'fullFreePercent must be below warnFreePercent',
        path: ['fullFreePercent'],
      })
      .prefault({}),
    card: z
      .object({
        /** `sim` = simulated card (default), `dahdi` = real card, `auto` = dahdi when present. */
        driver: z.enum(['sim', 'dahdi', 'auto']).default('sim'),
        /**
         * The appliance's E1 spans (daemon/card-spans.ts): signalling per span and the outbound
         * gateway group each belongs to (spans of one group are hunted in order). On the
         * simulated card every span gets a simulated exchange on a spare span cabled to it.
         */
        spans: z
          .array(
            z
              .object({
                span: z.number().int().min(1).max(128),
                signalling: z.enum(['pri_cpe', 'pri_net', 'ss7', 'r2']).default('pri_cpe'),
                /** Gateway id for outbound routes (calls/tdm-gateway.ts). */
                group: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/).default('e1'),
                crc4: z.boolean().default(true),
                /** DAHDI timing priority: 0 = never take clock from this span, 1 = preferred. */
                timing: z.number().int().min(0).max(32).default(1),
              })
              .strict(),
          )
          .refine((a) => new Set(a.map((s) => s.span)).size === a.length, { message: 'a span is listed twice' })
          .default([{ span: 1, signalling: 'pri_cpe', group: 'e1', crc4: true, timing: 1 }]),
        /** Analog ports: FXS ports carry extensions (phones), FXO ports are exchange lines with the DID they bring. */
        analog: z
          .object({
            fxs: z
              .array(
                z
                  .object({
                    port: z.number().int().min(1).max(64),
                    extension: z.string().regex(/^\d{1,16}$/),
                    callerId: z.enum(['fsk-v23', 'fsk-bell202', 'dtmf']).default('fsk-v23'),
                  })
                  .strict(),
              )
              .default([]),
            fxo: z
              .array(z.object({ port: z.number().int().min(1).max(64), did: z.string().regex(/^\d{1,20}$/) }).strict())
              .default([]),
          })
          .strict()
          .refine((a) => new Set([...a.fxs, ...a.fxo].map((p) => p.port)).size === a.fxs.length + a.fxo.length, { message: 'an analog port is listed twice' })
          .prefault({}),
      })
      .strict()
      .prefault({}),
    lifecycle: z
      .object({
        /** How long SIGTERM waits for active calls before closing them, ms. */
        drainLimitMs: z.number().int().min(0).max(3_600_000).default(30_000),
      })
      .strict()
      .prefault({}),
    integrations: z
      .object({
        /**
         * Run built-in simulators of the utility's billing, GIS and installation systems and use
         * them for IVR lookups: the demo / lab setting, like `card.driver: sim`. Set false on a
         * site and give the real systems' addresses.
         */
        simulators: z.boolean().default(true),
        /** The utility's billing (营销), GIS and installation (报装) systems; each given one replaces its simulator. */
        billing: UpstreamSystem.optional(),
        gis: UpstreamSystem.optional(),
        installation: UpstreamSystem.optional(),
        /** Pull customer master data from `billing` every this many minutes (customers/billing-sync.ts); 0 = never. */
        billingSyncMinutes: z.number().int().min(0).max(10_080).default(15),
        /** HTTP SMS gateway for sending knowledge articles (integrations/senders/sms-gateway.ts). */
        sms: z
          .object({
            baseUrl: z.url({ protocol: /^https?$/ }),
            token: z.string().min(1).optional(),
            /** The 【signature】 in front of every SMS. */
            signature: z.string().min(2).max(16).default('95598'),
            maxSegments: z.number().int().min(1).max(10).default(5),
            timeoutMs: z.number().int().min(100).max(60_000).optional(),
          })
          .strict()
          .optional(),
        /** Mail relay for sending knowledge articles by e-mail (integrations/senders/smtp-client.ts). */
        smtp: z
          .object({
            host,
            port,
            security: z.enum(['none', 'starttls', 'tls']).default('starttls'),
            username: z.string().min(1).optional(),
            password: z.string().optional(),
            from: z.email(),
            fromName: z.string().min(1).max(64).optional(),
            footer: z.string().max(500).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    acd: z
      .object({
        /** Codes agents dial from their phones (calls/feature-codes.ts checks they are distinct and prefix-free). */
        featureCodes: z
          .object({
            login: z.string().regex(/^[*#0-9]{2,16}$/).default('*21'),
            logout: z.string().regex(/^[*#0-9]{2,16}$/).default('*22'),
            break: z.string().regex(/^[*#0-9]{2,16}$/).default('*23'),
            available: z.string().regex(/^[*#0-9]{2,16}$/).default('*24'),
          })
          .strict()
          .prefault({}),
        /** Codes a supervisor's phone dials before an agent's extension (calls/monitor-codes.ts). */
        monitorCodes: z
          .object({
            listen: z.string().regex(/^[*#0-9]{2,16}$/).default('*90'),
            whisper: z.string().regex(/^[*#0-9]{2,16}$/).default('*91'),
            barge: z.string().regex(/^[*#0-9]{2,16}$/).default('*92'),
          })
          .strict()
          .prefault({}),
        /** How often agent states are checked against the call layer (ms). */
        reconcileIntervalMs: z.number().int().min(100).max(3_600_000).default(10_000),
      })
      .strict()
      .prefault({}),
    webhooks: z
      .object({
        maxAttempts: z.number().int().min(1).max(50).default(8),
        /** First retry delay; doubles per attempt up to maxBackoffMs. */
        backoffMs: z.number().int().min(10).max(3_600_000).default(5_000),
        maxBackoffMs: z.number().int().min(10).max(86_400_000).default(3_600_000),
        timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
        concurrency: z.number().int().min(1).max(64).default(4),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;

export interface ConfigSource {
  /** Path of the YAML file, or null for embedded defaults. */
  file: string | null;
  text: string | null;
  dataDirOverride: string | null;
}

/** Read where the configuration comes from. The only process.env access in the appliance. */
export function configSourceFromEnv(env: NodeJS.ProcessEnv = process.env): ConfigSource {
  const file = env['APPLIANCE_CONFIG'] || null;
  let text: string | null = null;
  if (file) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new ConfigError(`cannot read config file ${file}`, [
        { path: '(file)', message: `cannot read ${file}: ${code}` },
      ]);
    }
  }
  return { file, text, dataDirOverride: env['APPLIANCE_DATA_DIR'] || null };
}

/** Parse and validate configuration text (YAML). Throws ConfigError with every issue. */
export function parseConfig(source: Pick<ConfigSource, 'text' | 'dataDirOverride'> & { file?: string | null }): Config {
  let raw: unknown = {};
  if (source.text !== null && source.text.trim() !== '') {
    const doc = parseDocument(source.text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      throw new ConfigError(
        `${source.file ?? 'config'}: malformed YAML`,
        doc.errors.map((e) => ({
          path: `(yaml line ${e.linePos?.[0]?.line ?? '?'}, column ${e.linePos?.[0]?.col ?? '?'})`,
          message: e.message.split('\n')[0] ?? e.code,
        })),
      );
    }
    raw = doc.toJS() ?? {};
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ConfigError(`${source.file ?? 'config'}: top level must be a mapping`, [
        { path: '(root)', message: `expected a mapping of sections, got ${describe(raw)}` },
      ]);
    }
  }
  const result = ConfigSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const issues = zodIssues(result.error);
    throw new ConfigError(`${source.file ?? 'config'}: ${issues.length} problem(s)`, issues);
  }
  const config = result.data;
  if (source.dataDirOverride) config.dataDir = source.dataDirOverride;
  config.dataDir = path.resolve(config.dataDir);
  return config;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseConfig(configSourceFromEnv(env));
}

/** Format an issue list the way the daemon prints it: one `path: message` per line. */
export function formatIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
}

/** Turn zod issues into FieldIssues with dotted paths and plain messages. Shared with the API. */
export function zodIssues(error: z.ZodError): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: base ? `${base}.${key}` : key, message: 'unknown key' });
      continue;
    }
    let message = issue.message;
    if (issue.code === 'invalid_type') {
      const input = (issue as { input?: unknown }).input;
      message = input === undefined ? 'required' : `expected ${issue.expected}, got ${describe(input)}`;
    }
    out.push({ path: base || '(root)', message });
  }
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'object';
  return `${typeof v} ${String(v)}`;
}
