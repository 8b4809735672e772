import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DriverError } from '../../appliance/core/errors.js';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { alarmsOf, DahdiCard, decodeSpanInfo, lineConfigMismatch } from './dahdi-card.js';
import { offsetOf } from './ffi.js';
import { parseProcSpanLine } from './probe.js';
import * as H from './user-h.js';

const PRI = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 1, signalling: 'pri_cpe' } as const;

function roots(): { devRoot: string; procRoot: string; sysRoot: string; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'dahdi-root-'));
  return { dir, devRoot: path.join(dir, 'dev', 'dahdi'), procRoot: path.join(dir, 'proc', 'dahdi'), sysRoot: path.join(dir, 'sys', 'devices') };
}

const deps = () => ({ clock: new ManualClock(), log: silentLogger(), libc: () => { throw new Error('libc must not be loaded'); } });

test('no /dev/dahdi: a typed "absent" state, no cards, openSpan refused with ENOENT, libc never loaded', async (t) => {
  const r = roots();
  const card = new DahdiCard(r, deps());
  const p = card.presence();
  t.is(p.kind, 'absent');
  if (p.kind === 'absent') t.regex(p.reason, /no DAHDI card: .*dev\/dahdi does not exist/);
  t.deepEqual(await card.probe(), []);
  const err = await t.throwsAsync(card.openSpan(1, PRI), { instanceOf: DriverError });
  t.is(err?.errno, 2);
  t.is(err?.code, 'DRIVER');
  await t.throwsAsync(card.openAnalogPort(1), { instanceOf: DriverError, message: /no DAHDI card/ });
  await card.close();
});

test('sysfs spans are probed: names, basechan, alarms; non-E1 spans are not offered', async (t) => {
  const r = roots();
  mkdirSync(r.devRoot, { recursive: true });
  for (const [n, type, alarms] of [[1, 'E1', 'OK'], [2, 'E1', 'RED'], [3, 'FXS', '']] as const) {
    const d = path.join(r.sysRoot, `span-${n}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'name'), `TE4/0/${n}\n`);
    writeFileSync(path.join(d, 'desc'), `T4XXP (PCI) Card 0 Span ${n}\n`);
    writeFileSync(path.join(d, 'spantype'), `${type}\n`);
    writeFileSync(path.join(d, 'basechan'), `${(n - 1) * 31 + 1}\n`);
    writeFileSync(path.join(d, 'channels'), '31\n');
    writeFileSync(path.join(d, 'alarms'), `${alarms}\n`);
  }
  const card = new DahdiCard(r, deps());
  const p = card.presence();
  t.is(p.kind, 'present');
  if (p.kind !== 'present') return;
  t.is(p.source, 'sysfs');
  t.deepEqual(p.spans.map((s) => [s.spanNo, s.baseChan, s.alarms]), [[1, 1, []], [2, 32, ['RED']], [3, 63, []]]);
  t.deepEqual(await card.probe(), [{ name: 'DAHDI: T4XXP (PCI) Card 0 Span 1', kind: 'dahdi', spans: [1, 2], analogPorts: [] }]);
  await t.throwsAsync(card.openSpan(9, PRI), { instanceOf: DriverError, message: /no DAHDI span 9 \(spans present: 1, 2, 3\)/ });
});

test('/proc/dahdi is the fallback: span line parsed, channel list gives basechan', async (t) => {
  const r = roots();
  mkdirSync(r.devRoot, { recursive: true });
  mkdirSync(r.procRoot, { recursive: true });
  writeFileSync(
    path.join(r.procRoot, '2'),
    'Span 2: TE2/0/2 "T2XXP (PCI) Card 0 Span 2" HDB3/CAS YELLOW\n\n          32 TE2/0/2/1 CAS\n          33 TE2/0/2/2 CAS\n',
  );
  const p = new DahdiCard(r, deps()).presence();
  t.like(p, { kind: 'present', source: 'proc' });
  if (p.kind === 'present') t.like(p.spans[0], { spanNo: 2, name: 'TE2/0/2', desc: 'T2XXP (PCI) Card 0 Span 2', lineConfig: 'HDB3/CAS', alarms: ['YELLOW'], baseChan: 32, channels: 2 });
  t.like(parseProcSpanLine('Span 1: TE4/0/1 "T4XXP (PCI) Card 0 Span 1" (MASTER) HDB3/CCS/CRC4 RED'), { spanNo: 1, lineConfig: 'HDB3/CCS/CRC4', alarms: ['RED'] });
  t.is(parseProcSpanLine('garbage'), null);
});

test('/dev/dahdi without any span information: present, no cards', async (t) => {
  const r = roots();
  mkdirSync(r.devRoot, { recursive: true });
  const card = new DahdiCard(r, deps());
  t.like(card.presence(), { kind: 'present', spans: [], source: 'none' });
  t.deepEqual(await card.probe(), []);
});

test('DAHDI_SPANSTAT buffer decoding and alarm bits', (t) => {
  const buf = new Uint8Array(H.SIZEOF_DAHDI_SPANINFO);
  const dv = new DataView(buf.buffer);
  dv.setInt32(offsetOf('spaninfo', 'alarms'), H.DAHDI_ALARM.RED | H.DAHDI_ALARM.LOS, true);
  dv.setInt32(offsetOf('spaninfo', 'bpvcount'), 7, true);
  dv.setInt32(offsetOf('spaninfo', 'crc4count'), 3, true);
  dv.setInt32(offsetOf('spaninfo', 'syncsrc'), 2, true);
  dv.setInt32(offsetOf('spaninfo', 'lineconfig'), H.DAHDI_CONFIG.CCS | H.DAHDI_CONFIG.HDB3 | H.DAHDI_CONFIG.CRC4, true);
  const s = decodeSpanInfo(buf);
  t.like(s, { bpv: 7, crc4: 3, syncsrc: 2 });
  t.deepEqual(alarmsOf(s.alarms), ['red', 'los']);
  t.deepEqual(alarmsOf(H.DAHDI_ALARM.YELLOW | H.DAHDI_ALARM.BLUE), ['yellow', 'blue']);
  t.is(lineConfigMismatch(s.lineconfig, PRI), null);
  t.regex(lineConfigMismatch(s.lineconfig, { ...PRI, framing: 'cas', signalling: 'r2' }) ?? '', /configured CCS in system.conf, asked for CAS/);
  t.regex(lineConfigMismatch(s.lineconfig, { ...PRI, crc4: false }) ?? '', /CRC-4 is on/);
});
