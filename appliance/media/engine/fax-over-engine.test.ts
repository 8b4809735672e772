/**
 * Fax through the media engine (issue 4 acceptance: "two fax terminals back to back over the
 * engine transmit a 3-page document at 9600 bit/s or better with the received pages
 * matching"). The document is a 3-page TIFF-F rendered by ghostscript at test time; received
 * pages are compared scanline by scanline after decompression with libtiff's `tiffcmp -t`.
 *
 * Path: terminal A → E1 line A → TDM leg A → bridge → TDM leg B → line B → terminal B, in a
 * WorkerCore run in lock step (testing/lockstep.ts), so ~1 minute of fax call runs in well
 * under a second per variant. The engine-side fax endpoint (fax.start on a leg) is checked
 * both ways against a terminal on the line, and once through the real worker thread.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { FaxTerminal, type FaxModem } from '../../../drivers/spandsp/fax.js';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { FRAME_SAMPLES, SILENCE_CODE, decode, encode } from '../codec/g711.js';
import { spandspDsp } from './dsp.js';
import { MediaEngine } from './media-engine.js';
import type { Command } from './protocol.js';
import { LockstepRig } from './testing/lockstep.js';

const dir = tempDir('fax-engine-');

/** A 3-page A4 document: each page numbered, with its own text and a block in its own place. */
function threePagePostScript(): string {
  return `%!PS-Adobe-3.0
/Helvetica findfont 22 scalefont setfont
1 1 3 {
  /p exch def
  4 setlinewidth 36 36 523 770 rectstroke
  72 760 moveto (95598 work order fax, page ) show p 3 string cvs show ( of 3) show
  0 1 24 { /i exch def 72 720 i 24 mul sub moveto (Meter ) show p 1000 mul i add 8 string cvs show ( reading verified on line ) show i 3 string cvs show } for
  p 120 mul 60 120 80 rectfill
  showpage
} for
`;
}

const doc = path.join(dir, 'doc.tif');
test.before(() => {
  const ps = path.join(dir, 'doc.ps');
  writeFileSync(ps, threePagePostScript());
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-sDEVICE=tiffg3', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${doc}`, ps]);
});

function pageCount(file: string): number {
  return (execFileSync('tiffinfo', [file], { encoding: 'utf8' }).match(/Image Width: 1728/g) ?? []).length;
}

/** tiffcmp -t: pages equal after decompression (tags such as compression may differ). */
function samePages(a: string, b: string): { same: boolean; detail: string } {
  const r = spawnSync('tiffcmp', ['-t', a, b], { encoding: 'utf8' });
  return { same: r.status === 0, detail: `${r.stdout}${r.stderr}`.slice(0, 400) };
}

function alaw(pcm: Int16Array): Uint8Array {
  return encode('PCMA', pcm);
}

/** Run until both terminals reach phase E or `maxSeconds` of line time. */
function runThrough(rig: LockstepRig, ends: Array<{ line: string; fax: FaxTerminal | null }>, maxSeconds: number, until: () => boolean): number {
  const pcm = new Int16Array(FRAME_SAMPLES);
  const rxPcm = new Int16Array(FRAME_SAMPLES);
  let steps = 0;
  let received: Record<string, Uint8Array> = {};
  while (!until() && steps < (maxSeconds * 1000) / 20) {
    const frames: Record<string, Uint8Array> = {};
    for (const e of ends) {
      if (!e.fax) continue;
      const heard = received[e.line];
      if (heard) e.fax.rx(decode('PCMA', heard, rxPcm));
      e.fax.tx(pcm);
      frames[e.line] = alaw(pcm);
    }
    received = rig.step(frames);
    steps++;
  }
  return (steps * 20) / 1000;
}

const variants: Array<{ name: string; modems: FaxModem[]; ecm: boolean; rate: number }> = [
  { name: 'V.17 14400 with ECM', modems: ['v27ter', 'v29', 'v17'], ecm: true, rate: 14400 },
  { name: 'V.29 9600 without ECM', modems: ['v27ter', 'v29'], ecm: false, rate: 9600 },
];

for (const v of variants) {
  test(`two T.30 terminals back to back through two bridged TDM legs: 3 pages at ${v.name}, pages match`, async (t) => {
    const rig = new LockstepRig();
    await rig.line('a');
    await rig.line('b');
    await rig.bridge('br', [
      ['a', 'caller'],
      ['b', 'agent'],
    ]);
    const received = path.join(dir, `b2b-${v.rate}.tif`);
    const a = new FaxTerminal({ role: 'caller', direction: 'send', file: doc, ident: '+86 371 95598', modems: v.modems, ecm: v.ecm });
    const b = new FaxTerminal({ role: 'answerer', direction: 'receive', file: received, ident: 'HOTLINE FAX', modems: v.modems, ecm: v.ecm });
    t.teardown(() => {
      a.close();
      b.close();
    });
    const pagesSeen: number[] = [];
    b.on('phaseD', (d) => pagesSeen.push(d.stats.pagesRx));
    const started = performance.now();
    const seconds = runThrough(
      rig,
      [
        { line: 'a', fax: a },
        { line: 'b', fax: b },
      ],
      300,
      () => a.outcome !== null && b.outcome !== null,
    );
    const wall = performance.now() - started;
    const sent = a.outcome;
    const got = b.outcome;
    if (!sent || !got) return t.fail(`no phase E after ${seconds} s of line time`);
    t.log(`${v.name}: ${got.stats.pagesRx} pages in ${seconds.toFixed(1)} s of call (${wall.toFixed(0)} ms wall), ${got.stats.bitRate} bit/s, ECM ${got.stats.errorCorrectingMode}`);
    t.true(sent.ok, sent.completionText);
    t.true(got.ok, got.completionText);
    t.is(sent.stats.pagesTx, 3);
    t.is(got.stats.pagesRx, 3);
    t.deepEqual(pagesSeen, [1, 2, 3]);
    t.true(got.stats.bitRate >= 9600);
    t.is(got.stats.bitRate, v.rate);
    t.is(got.remoteIdent, '+86 371 95598');
    b.close();
    t.is(pageCount(received), 3);
    const cmp = samePages(doc, received);
    t.true(cmp.same, cmp.detail);
  });
}

test('the page comparison can fail: a document with one page changed does not match', (t) => {
  const ps = path.join(dir, 'other.ps');
  writeFileSync(ps, threePagePostScript().replace('p 120 mul 60 120 80 rectfill', 'p 120 mul 90 120 80 rectfill'));
  const other = path.join(dir, 'other.tif');
  execFileSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-sDEVICE=tiffg3', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${other}`, ps]);
  t.is(pageCount(other), 3);
  t.false(samePages(doc, other).same);
});

test('engine fax endpoint receives a 3-page fax on a leg into a file, and sends one to a terminal on the line', async (t) => {
  const rig = new LockstepRig({ dsp: spandspDsp() });
  await rig.line('in');
  await rig.line('out');
  const inbound = path.join(dir, 'endpoint-rx.tif');
  await rig.handle({ cmd: 'fax.start', faxId: 'rx1', endpointId: 'in', role: 'answerer', direction: 'receive', file: inbound, ident: 'HOTLINE FAX', modems: ['v27ter', 'v29', 'v17'], ecm: true });
  await rig.handle({ cmd: 'fax.start', faxId: 'tx1', endpointId: 'out', role: 'caller', direction: 'send', file: doc, ident: 'HOTLINE FAX', modems: ['v27ter', 'v29'], ecm: false });
  const sender = new FaxTerminal({ role: 'caller', direction: 'send', file: doc, ident: 'CUSTOMER 1' });
  const outbound = path.join(dir, 'endpoint-tx-received.tif');
  const receiver = new FaxTerminal({ role: 'answerer', direction: 'receive', file: outbound, ident: 'CUSTOMER 2', modems: ['v27ter', 'v29'], ecm: false });
  t.teardown(() => {
    sender.close();
    receiver.close();
  });
  const seconds = runThrough(
    rig,
    [
      { line: 'in', fax: sender },
      { line: 'out', fax: receiver },
    ],
    300,
    () => rig.of('fax.done').length === 2 && sender.outcome !== null && receiver.outcome !== null,
  );
  const done = Object.fromEntries(rig.of('fax.done').map((d) => [d.faxId, d]));
  const rx = done.rx1;
  const tx = done.tx1;
  if (!rx || !tx) return t.fail(`fax.done after ${seconds} s: ${JSON.stringify(rig.of('fax.done'))}`);
  t.log(`endpoint rx: ${rx.pages} pages ${rx.bitRate} bit/s ECM ${rx.ecm} in ${rx.seconds.toFixed(1)} s; endpoint tx: ${tx.pages} pages ${tx.bitRate} bit/s in ${tx.seconds.toFixed(1)} s`);
  t.like(rx, { ok: true, completionCode: 0, reason: 'completed', pages: 3, remoteIdent: 'CUSTOMER 1', endpointId: 'in' });
  t.true(rx.bitRate >= 9600);
  t.like(tx, { ok: true, completionCode: 0, reason: 'completed', pages: 3, remoteIdent: 'CUSTOMER 2', endpointId: 'out', bitRate: 9600 });
  t.deepEqual(
    rig.of('fax.page').filter((p) => p.faxId === 'rx1').map((p) => p.pages),
    [1, 2, 3],
  );
  t.true(samePages(doc, inbound).same, 'the file the engine received');
  receiver.close();
  t.true(samePages(doc, outbound).same, 'the file the engine sent');
});

test('a fax on a leg is refused without the DSP, refused twice on one leg, and ends as a value when the leg closes', async (t) => {
  const bare = new LockstepRig();
  await bare.line('x');
  await t.throwsAsync(bare.handle({ cmd: 'fax.start', faxId: 'f', endpointId: 'x', role: 'answerer', direction: 'receive', file: path.join(dir, 'n.tif'), ident: '', modems: ['v29'], ecm: false }), { code: 'CONFLICT' });
  const rig = new LockstepRig({ dsp: spandspDsp() });
  await rig.line('x');
  const start: Omit<Extract<Command, { cmd: 'fax.start' }>, 'faxId'> = { cmd: 'fax.start', endpointId: 'x', role: 'answerer', direction: 'receive', file: path.join(dir, 'never.tif'), ident: '', modems: ['v29'], ecm: false };
  await rig.handle({ ...start, faxId: 'f1' });
  await t.throwsAsync(rig.handle({ ...start, faxId: 'f2' }), { code: 'CONFLICT' });
  for (let i = 0; i < 50; i++) rig.step();
  await rig.handle({ cmd: 'endpoint.close', endpointId: 'x' });
  t.like(rig.of('fax.done')[0], { faxId: 'f1', ok: false, reason: 'endpoint-closed', completionCode: -1, pages: 0 });
  t.is(rig.of('fax.done').length, 1);
});

/** A B channel that delivers idle A-law every 20 ms and keeps what it is sent. */
class IdleLine extends EventEmitter {
  readonly written: Uint8Array[] = [];
  private timer: NodeJS.Timeout | null = null;
  start(): void {
    this.timer = setInterval(() => this.emit('frame', new Uint8Array(FRAME_SAMPLES).fill(SILENCE_CODE.PCMA)), 20).unref();
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
  write(f: Uint8Array): void {
    this.written.push(f.slice());
  }
}

test('through the worker thread: MediaEngine.startFax answers with CED (2100 Hz) on the line and stop() ends it', async (t) => {
  const base = 47000 + (process.pid % 40) * 20;
  const engine = new MediaEngine({ workers: 1, rtpPortMin: base, rtpPortMax: base + 19, bindAddress: '127.0.0.1', clock: systemClock, log: createLogger('silent') });
  await engine.start();
  t.teardown(() => engine.stop());
  const line = new IdleLine();
  t.teardown(() => line.stop());
  const leg = await engine.createTdmEndpoint({ line });
  line.start();
  const job = await engine.startFax(leg, { direction: 'receive', file: path.join(dir, 'thread.tif'), ident: 'HOTLINE FAX' });
  await systemClock.sleep(900);
  await job.stop();
  const done = await job.done;
  t.like(done, { faxId: job.id, ok: false, reason: 'stopped', pages: 0 });
  const heard = decode('PCMA', Buffer.concat(line.written));
  // T.30 §5.2 / V.25: the answering terminal sends CED, 2100 Hz, about 200 ms after answer.
  const { goertzelAmplitude } = await import('../tones/goertzel.js');
  let ced = 0;
  for (let o = 0; o + 800 <= heard.length; o += 800) ced = Math.max(ced, goertzelAmplitude(heard.subarray(o, o + 800), 2100));
  t.true(ced > 1000, `CED amplitude ${ced.toFixed(0)}`);
  await leg.close();
});
