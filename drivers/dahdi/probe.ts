/**
 * What DAHDI hardware this machine has, read from the places DAHDI publishes it:
 * - `/dev/dahdi/` exists once the dahdi kernel module is loaded (its absence means no card or
 *   no driver, the common case on a development box and in CI);
 * - `/sys/bus/dahdi_spans/devices/span-N/` (DAHDI ≥ 2.6) with the attributes `name`, `desc`,
 *   `spantype`, `basechan`, `channels`, `alarms`, `lineconfig`;
 * - `/proc/dahdi/N`, whose first line reads e.g.
 *   `Span 1: TE4/0/1 "T4XXP (PCI) Card 0 Span 1" (MASTER) HDB3/CCS/CRC4 RED`,
 *   used when sysfs is not there (older kernels or DAHDI versions).
 * The roots are parameters so tests point them at a temp dir. Nothing here throws for a missing
 * card: absence is a value with a reason.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface DahdiRoots {
  devRoot: string;
  procRoot: string;
  sysRoot: string;
}

export const DEFAULT_ROOTS: DahdiRoots = { devRoot: '/dev/dahdi', procRoot: '/proc/dahdi', sysRoot: '/sys/bus/dahdi_spans/devices' };

export interface DahdiSpanInfo {
  readonly spanNo: number;
  readonly name: string;
  readonly desc: string;
  /** "E1", "T1", "FXS", "FXO", "BRI" … (sysfs only). */
  readonly spanType: string | null;
  /** First channel number of the span (sysfs only). */
  readonly baseChan: number | null;
  readonly channels: number | null;
  /** Alarm words as DAHDI prints them ("RED", "YELLOW", "BLUE", "NOTOPEN" …); empty when OK. */
  readonly alarms: readonly string[];
  /** e.g. "HDB3/CCS/CRC4". */
  readonly lineConfig: string | null;
}

export type DahdiPresence =
  | { readonly kind: 'absent'; readonly reason: string }
  | { readonly kind: 'present'; readonly spans: readonly DahdiSpanInfo[]; readonly source: 'sysfs' | 'proc' | 'none' };

function readAttr(dir: string, name: string): string | null {
  try {
    return readFileSync(path.join(dir, name), 'utf8').trim();
  } catch {
    return null;
  }
}

function intOrNull(s: string | null): number | null {
  if (s === null || !/^\d+$/.test(s)) return null;
  return Number(s);
}

const ALARM_WORDS = /^(RED|YELLOW|BLUE|NOTOPEN|RECOVERING|LOOPBACK|LOS|LFA|LMFA|UNCONFIGURED)$/;

function fromSysfs(sysRoot: string): DahdiSpanInfo[] {
  const spans: DahdiSpanInfo[] = [];
  for (const entry of readdirSync(sysRoot)) {
    const m = /^span-(\d+)$/.exec(entry);
    if (!m) continue;
    const dir = path.join(sysRoot, entry);
    const alarms = readAttr(dir, 'alarms') ?? '';
    spans.push({
      spanNo: Number(m[1]),
      name: readAttr(dir, 'name') ?? entry,
      desc: readAttr(dir, 'desc') ?? '',
      spanType: readAttr(dir, 'spantype'),
      baseChan: intOrNull(readAttr(dir, 'basechan')),
      channels: intOrNull(readAttr(dir, 'channels')),
      alarms: alarms.split(/\s+/).filter((w) => w !== '' && w !== 'OK'),
      lineConfig: readAttr(dir, 'lineconfig'),
    });
  }
  return spans.sort((a, b) => a.spanNo - b.spanNo);
}

/** Parses the first line of /proc/dahdi/N; null when it is not a span header. */
export function parseProcSpanLine(line: string): Omit<DahdiSpanInfo, 'spanType' | 'baseChan' | 'channels'> | null {
  const m = /^Span (\d+): (\S+) "([^"]*)"(.*)$/.exec(line.trim());
  if (!m) return null;
  const rest = (m[4] ?? '').replace(/\([^)]*\)/g, ' ').split(/\s+/).filter((w) => w !== '');
  const lineConfig = rest.find((w) => w.includes('/')) ?? null;
  return { spanNo: Number(m[1]), name: m[2] ?? '', desc: m[3] ?? '', alarms: rest.filter((w) => ALARM_WORDS.test(w)), lineConfig };
}

function fromProc(procRoot: string): DahdiSpanInfo[] {
  const spans: DahdiSpanInfo[] = [];
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    const text = readAttr(procRoot, entry) ?? '';
    const lines = text.split('\n');
    const head = parseProcSpanLine(lines[0] ?? '');
    if (!head) continue;
    const chans = lines.slice(1).map((l) => /^\s*(\d+)\s/.exec(l)?.[1]).filter((x): x is string => x !== undefined).map(Number);
    spans.push({ ...head, spanType: null, baseChan: chans.length > 0 ? Math.min(...chans) : null, channels: chans.length > 0 ? chans.length : null });
  }
  return spans.sort((a, b) => a.spanNo - b.spanNo);
}

export function probeDahdi(roots: DahdiRoots = DEFAULT_ROOTS): DahdiPresence {
  if (!existsSync(roots.devRoot)) {
    return { kind: 'absent', reason: `no DAHDI card: ${roots.devRoot} does not exist (no card, or the dahdi kernel module is not loaded)` };
  }
  if (existsSync(roots.sysRoot)) return { kind: 'present', spans: fromSysfs(roots.sysRoot), source: 'sysfs' };
  if (existsSync(roots.procRoot)) return { kind: 'present', spans: fromProc(roots.procRoot), source: 'proc' };
  return { kind: 'present', spans: [], source: 'none' };
}
