/**
 * The hw-test suite as a whole (issue 5 acceptance: "one suite, run in `npm test` on the
 * simulated rig and with `HW_RIG=dahdi` on a real card with span 1 cabled to span 2"): every
 * spec file is imported with rigTest in collect mode (nothing is handed to ava), and the
 * registry of specs and their needs is planned against each selection, as rigTest plans it:
 *
 *  - HW_RIG=dahdi on a machine without /dev/dahdi: every spec fails, with the reason;
 *  - HW_RIG=dahdi with a card: exactly the specs that need a cable pull, line fault injection or
 *    the simulated analog cords are skipped, each naming what it needs; all others run;
 *  - the simulated rig (no HW_RIG): everything runs.
 *
 * And once for real: a spec file run by ava in a child process with HW_RIG=dahdi on this
 * machine (which has no DAHDI card) reports every test failed with the reason.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { collectSpecsOnly, planSpec, RIG_NEEDS, specRegistry, type SpecEntry } from './rig.js';
import { selectCard } from './select-card.js';

collectSpecsOnly();
const specsDir = new URL('../specs/', import.meta.url);
const files = readdirSync(specsDir)
  .filter((f) => f.endsWith('.test.ts'))
  .sort();
const byFile = new Map<string, SpecEntry[]>();
for (const f of files) {
  const before = specRegistry.length;
  await import(new URL(f, specsDir).href);
  byFile.set(f, specRegistry.slice(before));
}
const all = [...byFile.values()].flat();

/** The specs a real card cannot run, by file: what software cannot do to a real line. */
const REAL_CARD_SKIPS: Readonly<Record<string, 'all' | readonly string[]>> = {
  'alarms.test.ts': 'all',
  'analog.test.ts': 'all',
  'analog-calls.test.ts': 'all',
  'dtmf-over-tdm.test.ts': ['dtmf-over-tdm: a cut B path (cable pulled) delivers no digits'],
  'span-failover.test.ts': [
    'span-failover: cable pull → RED < 1 s, calls cleared with 38, route falls back to the SIP trunk; reinsert → D channel back, E1 used again',
  ],
};

const noCard = selectCard('dahdi', { exists: () => false });
const withCard = selectCard('dahdi', { exists: (p) => p === '/dev/dahdi' });

test('every spec file declares its specs through rigTest, with unique titles', (t) => {
  t.true(files.length >= 14, `${files.length} spec files`);
  for (const [f, entries] of byFile) t.true(entries.length > 0, `${f} declares no rigTest spec`);
  t.is(new Set(all.map((e) => e.title)).size, all.length, 'titles are unique');
  t.log(`${all.length} specs in ${files.length} files`);
});

test('HW_RIG=dahdi without /dev/dahdi: every spec fails with the reason, none is skipped', (t) => {
  t.is(noCard.kind, 'unavailable');
  const plans = all.map((e) => planSpec(e.title, e.needs, noCard));
  t.deepEqual(
    plans.filter((p) => p.action !== 'fail').map((p) => p.title),
    [],
  );
  for (const p of plans) if (p.action === 'fail') t.regex(p.reason, /HW_CARD=dahdi but there is no \/dev\/dahdi: no DAHDI card/);
});

test('HW_RIG=dahdi with a card: exactly the cable-pull, fault-injection and analog-cord specs are skipped, naming the need', (t) => {
  t.is(withCard.kind, 'dahdi');
  const expected: string[] = [];
  for (const [f, entries] of byFile) {
    const skips = REAL_CARD_SKIPS[f];
    if (skips === 'all') expected.push(...entries.map((e) => e.title));
    else if (skips) expected.push(...skips);
  }
  const skipped: string[] = [];
  for (const e of all) {
    const plan = planSpec(e.title, e.needs, withCard);
    if (plan.action === 'fail') t.fail(`${e.title}: ${plan.reason}`);
    if (plan.action === 'run') {
      t.deepEqual(e.needs, [], `${e.title} runs on the card`);
      t.true(plan.title.endsWith('[dahdi]'));
    }
    if (plan.action === 'skip') {
      skipped.push(e.title);
      t.true(e.needs.length > 0);
      for (const n of e.needs) t.true(plan.reason.includes(RIG_NEEDS[n]), `${e.title}: reason names ${n}`);
      t.regex(plan.title, /\[skipped: needs .*: not on a real card\]$/);
    }
  }
  t.deepEqual(skipped.sort(), expected.sort());
  const runs = all.length - skipped.length;
  t.log(`on a real card: ${runs} specs run, ${skipped.length} skipped`);
  t.true(runs > skipped.length, 'most of the suite runs on the card');
});

test('the simulated rig runs every spec', (t) => {
  const sim = selectCard(undefined);
  for (const e of all) t.like(planSpec(e.title, e.needs, sim), { action: 'run', title: `${e.title} [sim]` });
});

test('a spec file run by ava with HW_RIG=dahdi on this card-less machine fails every test with the reason', async (t) => {
  if (existsSync('/dev/dahdi')) return t.pass('this machine has a DAHDI card');
  const root = fileURLToPath(new URL('../../', import.meta.url));
  // lint-allow: env (the child inherits the environment, with the rig chosen by HW_RIG alone)
  const { HW_CARD: _ignored, ...inherited } = process.env;
  const env = { ...inherited, HW_RIG: 'dahdi' };
  const out = await new Promise<{ code: number; text: string }>((resolve) => {
    const ava = fileURLToPath(new URL('../../node_modules/ava/entrypoints/cli.mjs', import.meta.url));
    const child = execFile(process.execPath, [ava, '--tap', 'hw-test/specs/dtmf-over-tdm.test.ts'], { cwd: root, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, text: `${stdout}\n${stderr}` });
    });
    t.teardown(() => child.kill());
  });
  t.not(out.code, 0, 'the run fails');
  const failed = out.text.match(/^not ok \d+ - .*$/gm) ?? [];
  t.is(failed.length, byFile.get('dtmf-over-tdm.test.ts')?.length ?? -1, out.text);
  t.regex(out.text, /no \/dev\/dahdi: no DAHDI card in this machine/);
  t.notRegex(out.text, /^ok \d+/m, 'nothing passes');
  t.notRegex(out.text, /# skip [1-9]/, 'nothing is skipped');
});
