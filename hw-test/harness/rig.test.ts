import test from 'ava';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TdmChannel } from '../../drivers/types.js';
import { PatternCheck, patternBytes } from './audio.js';
import { RigSpanSetup } from './dahdi-conf.js';
import { DahdiRig, planSpec, PRI_CPE, realLimit, SimRig, waitReal } from './rig.js';
import { selectCard } from './select-card.js';

/** A bearer whose received blocks the test pushes. */
function fakeBearer(): TdmChannel & { push(f: Uint8Array): void } {
  const ee = new EventEmitter();
  return {
    spanNo: 1,
    timeslot: 1,
    chanNo: 1,
    codec: 'PCMA',
    cas: null,
    on(_e: 'frame', fn: (f: Uint8Array) => void) {
      ee.on('frame', fn);
      return this;
    },
    off(_e: 'frame', fn: (f: Uint8Array) => void) {
      ee.off('frame', fn);
      return this;
    },
    write: () => undefined,
    push: (f) => void ee.emit('frame', f),
  };
}

test('DahdiRig: the line is the clock — everyBlock writes once per block read, until cancelled', (t) => {
  const rig = new DahdiRig({ devRoot: path.join(mkdtempSync(path.join(tmpdir(), 'rig-')), 'dahdi') });
  const ch = fakeBearer();
  let n = 0;
  const h = rig.everyBlock(ch, () => n++);
  for (let i = 0; i < 3; i++) ch.push(new Uint8Array(160));
  t.is(n, 3);
  h.cancel();
  ch.push(new Uint8Array(160));
  t.is(n, 3);
});

test('DahdiRig without /dev/dahdi: crossover refuses with the reason; waits are real time with a margin', async (t) => {
  const rig = new DahdiRig({ devRoot: path.join(mkdtempSync(path.join(tmpdir(), 'rig-')), 'dahdi') });
  t.throws(() => rig.crossover(1, 2), { message: /no DAHDI card/ });
  t.is(realLimit(500), 2500);
  t.is(realLimit(10_000), 20_000);
  await t.throwsAsync(waitReal(() => false, 60, 'never'), { message: 'never: not reached within 60 ms' });
  t.is(await waitReal(Promise.resolve(7), 60, 'now'), 7);
  await rig.close();
});

test('DahdiRig: spans are configured (dahdi_cfg) before they are opened, and not on a machine without a card', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'rig-'));
  const applied: string[] = [];
  const setup = new RigSpanSetup((n) => (n - 1) * 31 + 1, (conf) => applied.push(conf));
  const absent = new DahdiRig({ devRoot: path.join(root, 'none') }, setup);
  await t.throwsAsync(absent.card.openSpan(1, PRI_CPE), { message: /no DAHDI card/ });
  t.deepEqual(applied, []);
  // A DAHDI tree with spans but no channel device: configured first, then the open fails on the device.
  const fake = path.join(root, 'dev', 'dahdi');
  const sys = path.join(root, 'sys');
  for (const n of [1, 2]) {
    mkdirSync(path.join(sys, `span-${n}`), { recursive: true });
    writeFileSync(path.join(sys, `span-${n}`, 'spantype'), 'E1\n');
    writeFileSync(path.join(sys, `span-${n}`, 'basechan'), `${(n - 1) * 31 + 1}\n`);
  }
  mkdirSync(fake, { recursive: true });
  const present = new DahdiRig({ devRoot: fake, sysRoot: sys, procRoot: path.join(root, 'proc') }, setup);
  await t.throwsAsync(present.card.openSpan(1, PRI_CPE));
  t.is(applied.length, 1);
  t.regex(applied[0] ?? '', /span=1,1,0,ccs,hdb3,crc4\nbchan=1-15,17-31\nhardhdlc=16\nspan=2,0,0,ccs,hdb3,crc4/);
  await present.close();
  await absent.close();
});

test('SimRig: until fails after maxMs of card time, and everyBlock ticks on the card clock', async (t) => {
  const rig = new SimRig();
  t.teardown(() => rig.close());
  let n = 0;
  const h = rig.everyBlock(fakeBearer(), () => n++);
  await rig.run(100);
  t.is(n, 5);
  h.cancel();
  await t.throwsAsync(rig.until(() => false, 200, 'nothing'), { message: 'nothing: not reached within 200 ms of card time' });
  t.true(rig.now >= 300 && rig.now <= 340);
});

test('planSpec: a spec with needs runs on the simulated rig and is skipped on a real card', (t) => {
  const card = selectCard('dahdi', { exists: () => true });
  t.like(planSpec('x', ['cable-pull'], card), { action: 'skip', reason: 'needs pulling and replugging the span 1–2 cable: not on a real card' });
  t.like(planSpec('x', [], card), { action: 'run', title: 'x [dahdi]' });
  t.like(planSpec('x', ['cable-pull'], selectCard('sim')), { action: 'run', title: 'x [sim]' });
});

test('PatternCheck: bit-exact after idle, at any offset; a damaged byte or leading garbage is caught', (t) => {
  const expect = patternBytes(42, 4);
  const feed = (c: PatternCheck, bytes: Uint8Array, block = 160): void => {
    for (let i = 0; i < bytes.length; i += block) c.push(bytes.subarray(i, i + block));
  };
  const idle = (n: number): Uint8Array => new Uint8Array(n).fill(0xd5);
  const aligned = new PatternCheck(expect);
  feed(aligned, Buffer.concat([idle(320), expect, idle(160)]));
  t.true(aligned.complete());
  t.deepEqual(aligned.blocks(), { ok: 4, bad: 0 });

  const shifted = new PatternCheck(expect);
  feed(shifted, Buffer.concat([idle(37), expect, idle(123)]));
  t.is(shifted.start(), 37);
  t.deepEqual(shifted.blocks(), { ok: 4, bad: 0 });

  const damaged = Buffer.concat([idle(160), expect]);
  damaged[160 + 2 * 160 + 9] = (damaged[160 + 2 * 160 + 9] ?? 0) ^ 0x01;
  const hurt = new PatternCheck(expect);
  feed(hurt, damaged);
  t.deepEqual(hurt.blocks(), { ok: 3, bad: 1 });

  const garbage = new PatternCheck(expect);
  feed(garbage, Buffer.concat([idle(100), Uint8Array.of(0x12), expect, idle(59)]));
  t.is(garbage.start(), 100, 'the pattern is not searched for past a non-idle byte');
  t.is(garbage.blocks().ok, 0);

  const short = new PatternCheck(expect);
  feed(short, Buffer.concat([idle(160), expect.subarray(0, 400)]));
  t.false(short.complete());
  t.deepEqual(short.blocks(), { ok: 2, bad: 2 });
});
