import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaxTerminal, type FaxOptions } from './fax.js';
import { liveCallbacks, T30_STATS_SIZE } from './ffi.js';

const BLOCK = 160; // 20 ms at 8 kHz

/** A small A4 page: a frame, a heading and some lines of text, as PostScript. */
function pagePostScript(): string {
  const lines = Array.from({ length: 20 }, (_, i) => `72 ${700 - i * 24} moveto (Work order ${1000 + i}: meter reading verified, line ${i + 1}.) show`);
  return [
    '%!PS-Adobe-3.0',
    '<< /PageSize [595 842] >> setpagedevice',
    '4 setlinewidth 36 36 523 770 rectstroke',
    '/Helvetica-Bold findfont 28 scalefont setfont 72 760 moveto (95598 hotline fax test) show',
    '/Helvetica findfont 12 scalefont setfont',
    ...lines,
    'showpage',
    '',
  ].join('\n');
}

function tiffDimensions(file: string): { width: number; length: number } {
  const info = execFileSync('tiffinfo', [file], { encoding: 'utf8' });
  const m = /Image Width: (\d+) Image Length: (\d+)/.exec(info);
  if (!m) throw new Error(`tiffinfo gave no dimensions for ${file}:\n${info}`);
  return { width: Number(m[1]), length: Number(m[2]) };
}

/** Runs two terminals back to back, 20 ms at a time, until both reach phase E or `maxSeconds`. */
function runBackToBack(a: FaxTerminal, b: FaxTerminal, maxSeconds: number): number {
  const ab = new Int16Array(BLOCK);
  const ba = new Int16Array(BLOCK);
  let blocks = 0;
  while ((!a.outcome || !b.outcome) && blocks < (maxSeconds * 1000) / 20) {
    a.tx(ab);
    b.tx(ba);
    b.rx(ab);
    a.rx(ba);
    blocks++;
  }
  return (blocks * 20) / 1000;
}

/** One fax-shaped page for all tests, rendered by ghostscript (tiffg3, 204×196 dpi, A4). */
const shared = { dir: '', page: '' };
test.before(() => {
  shared.dir = mkdtempSync(join(tmpdir(), 'hotline-fax-'));
  shared.page = join(shared.dir, 'page.tif');
  const ps = join(shared.dir, 'page.ps');
  writeFileSync(ps, pagePostScript());
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-sDEVICE=tiffg3', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${shared.page}`, ps]);
});
test.after.always(() => {
  if (shared.dir) rmSync(shared.dir, { recursive: true, force: true });
});

function setup(t: { title: string }): { dir: string; page: string; received: string } {
  return { dir: shared.dir, page: shared.page, received: join(shared.dir, `rx-${t.title.replace(/\W+/g, '-')}.tif`) };
}

for (const variant of [
  { name: 'V.17 with ECM', modems: ['v27ter', 'v29', 'v17'], ecm: true, rate: 14400 },
  { name: 'V.29 without ECM', modems: ['v29'], ecm: false, rate: 9600 },
] as const) {
  test(`fax back to back (${variant.name}): one page sent caller→answerer, both complete OK, same dimensions`, (t) => {
    const { page, received } = setup(t);
    const common: Pick<FaxOptions, 'modems' | 'ecm'> = { modems: variant.modems, ecm: variant.ecm };
    const caller = new FaxTerminal({ role: 'caller', direction: 'send', file: page, ident: '+86 371 95598', ...common });
    const answerer = new FaxTerminal({ role: 'answerer', direction: 'receive', file: received, ident: 'HOTLINE RX', ...common });
    t.teardown(() => {
      caller.close();
      answerer.close();
    });
    const phases: string[] = [];
    caller.on('phaseB', () => phases.push('caller:B'));
    answerer.on('phaseD', (d) => phases.push(`answerer:D:${d.stats.pagesRx}`));
    caller.on('phaseE', () => phases.push('caller:E'));

    const started = performance.now();
    const simulated = runBackToBack(caller, answerer, 180);
    const wallMs = performance.now() - started;
    t.log(`${variant.name}: ${simulated.toFixed(1)} s simulated in ${wallMs.toFixed(0)} ms wall`);

    const sent = caller.outcome;
    const got = answerer.outcome;
    if (!sent || !got) return t.fail(`no phase E after ${simulated} s`);
    t.is(sent.completionCode, 0, sent.completionText);
    t.is(got.completionCode, 0, got.completionText);
    t.true(sent.ok && got.ok);
    t.is(sent.stats.pagesTx, 1);
    t.is(got.stats.pagesRx, 1);
    t.is(got.stats.bitRate, variant.rate);
    t.is(got.stats.errorCorrectingMode, variant.ecm);
    t.is(got.remoteIdent, '+86 371 95598');
    t.is(sent.remoteIdent, 'HOTLINE RX');
    t.true(phases.includes('caller:B') && phases.includes('answerer:D:1') && phases.includes('caller:E'), phases.join(','));

    // Close first so spandsp finishes writing the TIFF.
    answerer.close();
    t.true(statSync(received).size > 0);
    const src = tiffDimensions(page);
    t.deepEqual(tiffDimensions(received), src);
    t.is(src.width, 1728);
  });
}

test('a fax call to silence ends with a T.30 failure outcome, not an exception', (t) => {
  const { page } = setup(t);
  const caller = new FaxTerminal({ role: 'caller', direction: 'send', file: page });
  t.teardown(() => caller.close());
  const out = new Int16Array(BLOCK);
  const silence = new Int16Array(BLOCK);
  let seconds = 0;
  while (!caller.outcome && seconds < 120) {
    caller.tx(out);
    caller.rx(silence);
    seconds += 0.02;
  }
  const outcome = caller.outcome;
  if (!outcome) return t.fail('no phase E after 120 s of silence');
  t.log(`gave up after ${seconds.toFixed(1)} s simulated: ${outcome.completionCode} ${outcome.completionText}`);
  t.false(outcome.ok);
  t.not(outcome.completionCode, 0);
  t.is(outcome.stats.pagesTx, 0);
});

test.serial('t30_stats_t is 15 ints in spandsp 0.0.6, and close() unregisters the three phase handlers', (t) => {
  t.is(T30_STATS_SIZE, 60);
  const before = liveCallbacks();
  const fax = new FaxTerminal({ role: 'answerer', direction: 'receive', file: join(shared.dir, 'unused.tif') });
  t.is(liveCallbacks(), before + 3);
  fax.close();
  t.is(liveCallbacks(), before);
  t.throws(() => fax.stats());
});
