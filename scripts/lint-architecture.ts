/**
 * Architecture rules from DESIGN.md / STYLE.md that the compiler cannot see, checked on every
 * `npm test` (part of `npm run lint`). Production code only (tests and testing/ helpers may do
 * what a test needs). A line can opt out with `// lint-allow: <rule> <reason>`.
 *
 *   env        only appliance/core/config.ts reads process.env
 *   timers     no bare setTimeout/setInterval: time goes through the injected Clock
 *   koffi      only drivers' ffi.ts files import koffi
 *   sql        no SQL assembled with template literals or `+` (W3): use Kysely or `?` parameters
 *   layers     imports follow the dependency direction
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SOURCE_DIRS = ['appliance', 'drivers', 'control-panel'];

export interface Violation {
  file: string;
  line: number;
  rule: string;
  message: string;
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name === 'testdata' || name === 'testing') continue;
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
}

/** Which top-level area a repo-relative path belongs to, e.g. `appliance/sip`, `drivers/libpri`. */
function area(rel: string): string {
  const parts = rel.split('/');
  if (parts[0] === 'control-panel') return 'control-panel';
  return parts.slice(0, 2).join('/');
}

const TELEPHONY = ['appliance/sip', 'appliance/sdp', 'appliance/media', 'appliance/channel', 'appliance/calls', 'appliance/fax', 'appliance/dialer', 'drivers'];
const CALL_CENTRE = ['appliance/acd', 'appliance/ivr', 'appliance/dialer', 'appliance/workorders', 'appliance/knowledge', 'appliance/customers'];

/** Returns a reason string when `from` may not import `to` (both repo-relative). */
export function forbiddenImport(from: string, to: string): string | null {
  const a = area(from);
  const b = area(to);
  if (a === b) return null;
  if (a === 'appliance/core' && !b.startsWith('appliance/core')) return 'core imports nothing of ours';
  if (a.startsWith('drivers/')) {
    // drivers/types.ts is the contract; drivers/g711.ts the one A-law table every driver's own audio uses.
    if (b === 'appliance/core' || to === 'drivers/types.ts' || to === 'drivers/g711.ts') return null;
    // The simulated and DAHDI cards run the signalling stacks over their channels.
    const stacks = ['drivers/libpri', 'drivers/ss7', 'drivers/spandsp', 'drivers/r2'];
    if ((a === 'drivers/sim' || a === 'drivers/dahdi') && stacks.includes(b)) return null;
    return 'drivers may import only drivers/types, drivers/g711 and appliance/core';
  }
  if (['appliance/sip', 'appliance/sdp', 'appliance/media'].includes(a) && CALL_CENTRE.some((c) => b.startsWith(c)))
    return `${a} knows nothing of queues, IVR or work orders`;
  if (['appliance/workorders', 'appliance/knowledge', 'appliance/customers'].includes(a) && TELEPHONY.some((c) => b.startsWith(c)))
    return `${a} never imports telephony code (use events)`;
  if ((a === 'appliance/api' || a === 'control-panel') && ['appliance/sip', 'appliance/media', 'drivers'].some((c) => b.startsWith(c)))
    return `${a} calls domain services, not sip/media/driver internals`;
  if (b === 'appliance/daemon' && a !== 'appliance/daemon') return 'only the daemon wires modules; nothing imports it';
  return null;
}

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const SQL_WORDS = /\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b/i;

export function checkFile(rel: string, text: string): Violation[] {
  const out: Violation[] = [];
  const lines = text.split('\n');
  const allowed = (i: number, rule: string): boolean =>
    (lines[i] ?? '').includes(`lint-allow: ${rule}`) || (lines[i - 1] ?? '').includes(`lint-allow: ${rule}`);
  const isMigration = rel.includes('/migrations/');
  lines.forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '');
    if (/process\.env\b/.test(code) && rel !== 'appliance/core/config.ts' && !allowed(i, 'env'))
      out.push({ file: rel, line: i + 1, rule: 'env', message: 'only core/config.ts reads process.env' });
    if (/(^|[^.\w])(setTimeout|setInterval)\s*\(/.test(code) && rel !== 'appliance/core/clock.ts' && !allowed(i, 'timers'))
      out.push({ file: rel, line: i + 1, rule: 'timers', message: 'use the injected Clock, not a bare timer' });
    // Kysely's sql`…` tag binds ${} as parameters, so only untagged template literals count.
    const untagged = code.replace(/\bsql(<[^>]*>)?`[^`]*`/g, 'sql()');
    if (!isMigration && /`[^`]*\$\{/.test(untagged) && SQL_WORDS.test(untagged) && !allowed(i, 'sql'))
      out.push({ file: rel, line: i + 1, rule: 'sql', message: 'SQL assembled from a template literal' });
    if (!isMigration && /['"]\s*\+\s*\w/.test(code) && SQL_WORDS.test(code) && !allowed(i, 'sql'))
      out.push({ file: rel, line: i + 1, rule: 'sql', message: 'SQL assembled by concatenation' });
  });
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? '';
    const lineNo = text.slice(0, m.index).split('\n').length;
    if (spec === 'koffi' && path.basename(rel) !== 'ffi.ts')
      out.push({ file: rel, line: lineNo, rule: 'koffi', message: 'only ffi.ts imports koffi' });
    if (!spec.startsWith('.')) continue;
    const target = path.relative(root, path.resolve(root, path.dirname(rel), spec)).replace(/\.js$/, '.ts');
    const why = forbiddenImport(rel, target);
    if (why && !allowed(lineNo - 1, 'layers')) out.push({ file: rel, line: lineNo, rule: 'layers', message: `imports ${target}: ${why}` });
  }
  return out;
}

function main(): void {
  const files: string[] = [];
  for (const d of SOURCE_DIRS) {
    try {
      walk(path.join(root, d), files);
    } catch {
      // directory not present yet
    }
  }
  const violations = files.flatMap((f) => {
    const rel = path.relative(root, f);
    return checkFile(rel, readFileSync(f, 'utf8'));
  });
  for (const v of violations) console.error(`${v.file}:${v.line}: [${v.rule}] ${v.message}`);
  if (violations.length > 0) {
    console.error(`architecture lint: ${violations.length} violation(s)`);
    process.exit(1);
  }
  console.log(`architecture lint: ${files.length} files, 0 violations`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) main();
