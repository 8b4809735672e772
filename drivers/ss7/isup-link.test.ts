import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { systemClock } from '../../appliance/core/clock.js';
import { InvalidTransitionError } from '../../appliance/core/errors.js';
import { silentLogger } from '../../appliance/core/log.js';
import { DriverError } from '../types.js';
import { eventLayout, loadLibSs7 } from './ffi.js';
import { IsupSignalling, Q850, type IsupSignallingEvents, type IsupSignallingOptions } from './isup-link.js';

/**
 * Two IsupSignalling back to back (the SSP, point code 1, and the exchange, point code 2) through
 * a virtual signalling timeslot: whatever one end transmits the other receives. `cut` drops SUs.
 */
function pair(over: Partial<IsupSignallingOptions> = {}): { ssp: IsupSignalling; exch: IsupSignalling; log: Record<string, string[]>; cable: { cut: boolean; carried: number }; close(): void } {
  const cable = { cut: false, carried: 0 };
  const ends: (IsupSignalling | null)[] = [null, null];
  const waiting: Uint8Array[][] = [[], []];
  const tx = (to: 0 | 1) => (su: Uint8Array) => {
    if (cable.cut) return;
    cable.carried++;
    const end = ends[to];
    if (end) end.receiveFrame(su);
    else waiting[to]?.push(su);
  };
  const deps = { clock: systemClock, log: silentLogger() };
  const ssp = new IsupSignalling({ linkNo: 1, pc: 1, adjPc: 2, transmit: tx(1), ...over }, deps);
  const exch = new IsupSignalling({ linkNo: 2, pc: 2, adjPc: 1, transmit: tx(0), ...over }, deps);
  ends[0] = ssp;
  ends[1] = exch;
  for (const [i, end] of [ssp, exch].entries()) for (const su of waiting[i]?.splice(0) ?? []) end.receiveFrame(su);
  const log: Record<string, string[]> = { ssp: [], exch: [] };
  const names = ['linkUp', 'linkDown', 'iam', 'acm', 'anm', 'rel', 'rlc', 'grs', 'gra', 'blo', 'ubl', 'bla', 'uba'] as const;
  for (const [who, sig] of [['ssp', ssp], ['exch', exch]] as const) {
    for (const n of names) sig.on(n, (p: unknown) => log[who]?.push(`${n}${'cic' in (p as object) ? `:${(p as { cic: number }).cic}` : ''}`));
  }
  return {
    ssp,
    exch,
    log,
    cable,
    close() {
      ssp.close();
      exch.close();
    },
  };
}

function next<K extends keyof IsupSignallingEvents>(sig: IsupSignalling, event: K, ms = 5000): Promise<IsupSignallingEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sig.off(event, fn);
      reject(new Error(`timed out waiting for ${event} on link ${sig.linkNo}`));
    }, ms);
    const fn = (p: IsupSignallingEvents[K]): void => {
      clearTimeout(timer);
      sig.off(event, fn);
      resolve(p);
    };
    sig.on(event, fn);
  });
}

async function up(r: ReturnType<typeof pair>): Promise<void> {
  await Promise.all([r.ssp.linkUp ? null : next(r.ssp, 'linkUp'), r.exch.linkUp ? null : next(r.exch, 'linkUp'), next(r.ssp, 'gra'), next(r.exch, 'gra')]);
}

// One linkset for the call tests (alignment takes about a second of real time).
const shared = pair();
const ready = up(shared);
test.after.always(() => shared.close());

test('ss7_event views match gcc offsetof() on /usr/include/libss7.h', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ss7-layout-'));
  try {
    const fields = Object.keys(eventLayout);
    const lines = fields.map((k) => {
      const [type, field] = k.split('.') as [string, string];
      return `printf("%s %zu\\n", "${k}", offsetof(${type}, ${field}));`;
    });
    const src = `#include <stdio.h>\n#include <stddef.h>\n#include <libss7.h>\nint main(void){\n${lines.join('\n')}\nprintf("sizeof %zu\\n", sizeof(ss7_event));\nreturn 0;}\n`;
    writeFileSync(join(dir, 'layout.c'), src);
    try {
      execFileSync('gcc', ['-o', join(dir, 'layout'), join(dir, 'layout.c')], { stdio: 'pipe' });
    } catch (err) {
      t.fail(`gcc could not compile against libss7.h: ${String(err)}`);
      return;
    }
    const out = execFileSync(join(dir, 'layout'), { encoding: 'utf8' });
    const c = Object.fromEntries(out.trim().split('\n').map((l) => l.split(' ') as [string, string]).map(([k, v]) => [k, Number(v)]));
    for (const k of fields) t.is(eventLayout[k], c[k], k);
    t.is(c.sizeof, 1320, 'sizeof(ss7_event) on x86-64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('libss7 is the Debian 2.0 build', (t) => {
  t.is(loadLibSs7().version(), '2.0.0');
});

test.serial('MTP2 aligns, MTP3 brings the linkset up and each end resets the other with GRS', async (t) => {
  const started = performance.now();
  await ready;
  const ms = performance.now() - started;
  t.log(`linkset up on both ends after ${Math.round(ms)} ms, ${shared.cable.carried} signal units carried`);
  t.true(shared.ssp.linkUp && shared.exch.linkUp);
  for (const who of ['ssp', 'exch'] as const) {
    const log = shared.log[who] ?? [];
    t.true(log.includes('linkUp'), `${who}: ${log.join(' ')}`);
    t.true(log.includes('grs'), `${who} received GRS`);
    t.true(log.includes('gra'), `${who} got GRA for its GRS`);
  }
  t.deepEqual(shared.ssp.cics.slice(0, 3), [1, 2, 3]);
  t.is(shared.ssp.cics.length, 30);
  t.is(shared.ssp.cicOf(16), null, 'timeslot 16 carries the link, not a circuit');
  t.is(shared.ssp.timeslotOf(17), 17);
});

test.serial('IAM → ACM → ANM → REL(16) → RLC from the SSP to the exchange', async (t) => {
  await ready;
  const { ssp, exch } = shared;
  const iam = next(exch, 'iam');
  t.is(ssp.iam({ timeslot: 5, called: '95598', calling: '13800138000', presentation: 'restricted' }), 'sent');
  const got = await iam;
  t.like(got, { cic: 5, timeslot: 5, called: '95598', calling: '13800138000', presentation: 'restricted', complete: true, overlap: false, callingCategory: 0x0a });
  t.is(exch.callLevel(5), 'setup');
  t.is(ssp.iam({ cic: 5, called: '1', calling: '2' }), 'cic-busy');

  const acm = next(ssp, 'acm');
  exch.acm(5);
  t.like(await acm, { cic: 5, timeslot: 5 });
  t.is(ssp.callLevel(5), 'alerting');

  const anm = next(ssp, 'anm');
  exch.anm(5);
  await anm;
  t.is(ssp.callLevel(5), 'answered');
  t.is(exch.callLevel(5), 'answered');

  const rel = next(exch, 'rel');
  const rlc = next(ssp, 'rlc');
  ssp.rel(5, Q850.NORMAL_CLEARING);
  t.is(ssp.callLevel(5), 'releasing');
  t.like(await rel, { cic: 5, cause: 16, reason: 'remote' });
  t.like(await rlc, { cic: 5 });
  t.is(ssp.callLevel(5), 'idle');
  t.is(exch.callLevel(5), 'idle');
});

test.serial('the exchange calls the SSP and clears first: REL(16) from the exchange, RLC back', async (t) => {
  await ready;
  const { ssp, exch } = shared;
  const iam = next(ssp, 'iam');
  t.is(exch.iam({ cic: 20, called: '4008001234', calling: '057112345678', calledNai: 'national' }), 'sent');
  t.like(await iam, { cic: 20, called: '4008001234', calling: '057112345678', presentation: 'allowed', calledNai: 'national' });
  const acm = next(exch, 'acm');
  ssp.acm(20);
  await acm;
  const anm = next(exch, 'anm');
  ssp.anm(20);
  await anm;
  t.throws(() => ssp.acm(20), { instanceOf: InvalidTransitionError }, 'ACM after ANM is not a valid transition');
  const rel = next(ssp, 'rel');
  const rlc = next(exch, 'rlc');
  exch.rel(20, Q850.NORMAL_CLEARING);
  t.like(await rel, { cic: 20, cause: 16, reason: 'remote' });
  await rlc;
  t.is(ssp.callLevel(20), 'idle');
  // The CIC is reusable at once.
  const again = next(exch, 'iam');
  t.is(ssp.iam({ cic: 20, called: '110', calling: '95598' }), 'sent');
  await again;
  const rel2 = next(ssp, 'rel');
  const rlc2 = next(exch, 'rlc');
  exch.rel(20, Q850.NORMAL_CLEARING);
  await rel2;
  await rlc2;
  t.is(ssp.callLevel(20), 'idle');
});

test.serial('glare: both ends seize CIC 4; the higher point code controls even CICs (Q.764 §2.10.1.4)', async (t) => {
  await ready;
  const { ssp, exch } = shared;
  const lost = next(ssp, 'rel');
  const ignoredIam = next(exch, 'iam', 1500).then(() => 'exchange saw an IAM', () => 'none');
  const incoming = next(ssp, 'iam');
  t.is(ssp.iam({ cic: 4, called: '95598', calling: '13800000001' }), 'sent');
  t.is(exch.iam({ cic: 4, called: '057188888888', calling: '4001' }), 'sent');
  t.like(await lost, { cic: 4, reason: 'dual-seizure' });
  t.like(await incoming, { cic: 4, called: '057188888888', calling: '4001' }, 'the SSP handles the controlling exchange\'s IAM');
  t.is(ssp.callLevel(4), 'setup');
  t.is(await ignoredIam, 'none', 'the controlling exchange ignores the SSP\'s IAM');
  const rel = next(ssp, 'rel');
  const rlc = next(exch, 'rlc');
  exch.rel(4, Q850.NORMAL_CLEARING);
  await rel;
  await rlc;
  t.is(ssp.callLevel(4), 'idle');
});

test.serial('busy: the exchange answers an IAM with REL cause 17', async (t) => {
  await ready;
  const { ssp, exch } = shared;
  const iam = next(exch, 'iam');
  t.is(ssp.iam({ cic: 7, called: '95598', calling: '13900000000' }), 'sent');
  await iam;
  const rel = next(ssp, 'rel');
  const rlc = next(exch, 'rlc');
  exch.rel(7, Q850.USER_BUSY);
  t.like(await rel, { cic: 7, cause: Q850.USER_BUSY, reason: 'remote' });
  await rlc;
  t.is(ssp.callLevel(7), 'idle');
  t.is(exch.callLevel(7), 'idle');
});

test.serial('BLO blocks a CIC at both ends until UBL', async (t) => {
  await ready;
  const { ssp, exch } = shared;
  const blo = next(exch, 'blo');
  const bla = next(ssp, 'bla');
  ssp.blo(9);
  t.like(await blo, { cic: 9 });
  await bla;
  t.deepEqual(ssp.blocking(9), { local: true, remote: false });
  t.deepEqual(exch.blocking(9), { local: false, remote: true });
  t.is(exch.iam({ cic: 9, called: '1', calling: '2' }), 'cic-blocked', 'the exchange may not seize a CIC we blocked');
  t.is(ssp.iam({ cic: 9, called: '1', calling: '2' }), 'cic-blocked');
  const ubl = next(exch, 'ubl');
  const uba = next(ssp, 'uba');
  ssp.ubl(9);
  await ubl;
  await uba;
  t.deepEqual(exch.blocking(9), { local: false, remote: false });
  const iam = next(ssp, 'iam');
  t.is(exch.iam({ cic: 9, called: '95598', calling: '1' }), 'sent');
  await iam;
  const rlc = next(ssp, 'rlc');
  ssp.rel(9, Q850.NORMAL_CLEARING);
  await rlc;
  t.is(exch.callLevel(9), 'idle');
});

test.serial('verbs check the circuit: unknown CIC, no call, link closed', async (t) => {
  await ready;
  const { ssp } = shared;
  t.is(ssp.iam({ cic: 16, called: '1', calling: '2' }), 'no-cic');
  t.throws(() => ssp.anm(3), { instanceOf: DriverError });
  t.throws(() => ssp.rel(3), { instanceOf: DriverError });
  t.throws(() => ssp.rlc(3), { instanceOf: InvalidTransitionError });
});

test.serial('a closed link refuses verbs, closes its mailbox fds; a link that is not up refuses IAMs', (t) => {
  const fds = (): number => readdirSync('/proc/self/fd').length;
  const before = fds();
  const r = pair({ grsOnStart: false });
  t.is(fds(), before + 4, 'one socketpair per linkset');
  t.false(r.ssp.linkUp);
  t.is(r.ssp.iam({ cic: 1, called: '1', calling: '2' }), 'link-down');
  r.close();
  t.throws(() => r.ssp.iam({ cic: 1, called: '1', calling: '2' }), { instanceOf: DriverError });
  t.notThrows(() => r.ssp.close(), 'close is idempotent');
  t.is(fds(), before, 'both socketpairs closed');
});
