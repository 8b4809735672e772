/**
 * The daemon's error log (issue 9 "Audit: … error-log export"): the warn, error and fatal
 * records the root pino logger writes are kept, newest last, in a bounded ring in memory, so an
 * administrator can export them from the audit page (CSV or JSON) without shell access. The ring
 * is a pino destination: `teedLogger` writes every record to stdout at the configured level as
 * before and, through pino.multistream, the warn-and-above ones to the ring as well (pino has
 * already redacted credentials by then, core/log.ts `redactPaths`).
 *
 * A record keeps pino's own fields: `time`, `level` (named), `mod`, `msg`, and every other
 * field as JSON (`err` with its message and stack, callId, …). When the ring is full the oldest
 * record goes; `dropped` counts them, so an export says what it no longer has.
 */
import { pino, type DestinationStream } from 'pino';
import { createLogger, type LogLevel, type Logger } from '../core/log.js';

export const ErrorLogLevels = ['warn', 'error', 'fatal'] as const;
export type ErrorLogLevel = (typeof ErrorLogLevels)[number];

/** pino's numeric levels (pino.levels.values) for the ones kept. */
const LEVEL_NAMES: Readonly<Record<number, ErrorLogLevel>> = { 40: 'warn', 50: 'error', 60: 'fatal' };

export interface ErrorLogRecord {
  /** Position in the daemon's error log since start (1, 2, …); survives the ring's turnover. */
  seq: number;
  /** ms since the epoch (pino `time`). */
  at: number;
  level: ErrorLogLevel;
  /** The module (child logger's `mod`), or '' when the record has none. */
  mod: string;
  msg: string;
  /** Every other field of the record (svc, pid and hostname left out). */
  fields: Record<string, unknown>;
}

/** What the control panel reads (control-panel/routes/error-log-pages.ts). */
export interface ErrorLogSource {
  records(): readonly ErrorLogRecord[];
  /** Records pushed out of the ring since start. */
  readonly dropped: number;
}

const DROPPED_FIELDS = new Set(['time', 'level', 'msg', 'mod', 'svc', 'pid', 'hostname']);

export class ErrorLog implements DestinationStream, ErrorLogSource {
  private readonly ring: ErrorLogRecord[] = [];
  private seq = 0;
  private droppedCount = 0;

  constructor(private readonly capacity = 2000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`error log capacity must be a positive integer, got ${capacity}`);
  }

  /** pino destination: one JSON line per record. Lines that are not a warn+ record are ignored. */
  write(line: string): void {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const level = typeof rec['level'] === 'number' ? LEVEL_NAMES[rec['level']] : undefined;
    if (!level) return;
    const time = rec['time'];
    const at = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : Number.NaN;
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec)) if (!DROPPED_FIELDS.has(k)) fields[k] = v;
    this.ring.push({
      seq: ++this.seq,
      at: Number.isFinite(at) ? at : 0,
      level,
      mod: typeof rec['mod'] === 'string' ? rec['mod'] : '',
      msg: typeof rec['msg'] === 'string' ? rec['msg'] : '',
      fields,
    });
    if (this.ring.length > this.capacity) {
      this.ring.shift();
      this.droppedCount++;
    }
  }

  records(): readonly ErrorLogRecord[] {
    return [...this.ring];
  }

  get dropped(): number {
    return this.droppedCount;
  }
}

/**
 * The daemon's root logger: every record at `level` and above to `out` (stdout by default), and
 * warn-and-above to `errors` whatever `level` says (the logger itself runs at the lower of the
 * two, so a daemon logging at `error` still keeps its warnings for the export).
 */
export function teedLogger(level: LogLevel, errors: ErrorLog, out: DestinationStream = process.stdout): Logger {
  const streams: pino.StreamEntry[] = [{ level: 'warn', stream: errors }];
  if (level !== 'silent') streams.push({ level, stream: out });
  const lowest = level === 'silent' || pino.levels.values[level]! > pino.levels.values['warn']! ? 'warn' : level;
  return createLogger(lowest, pino.multistream(streams));
}
