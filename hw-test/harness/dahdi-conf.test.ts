import test from 'ava';
import { CLEAR, PRI_CPE, PRI_NET, R2_SPAN, SS7_SPAN } from './rig.js';
import { lineKey, mirror, RigSpanSetup, systemConf } from './dahdi-conf.js';

const base = (n: number): number => (n - 1) * 31 + 1;

test('system.conf for a PRI pair: span lines, bearers around timeslot 16, hardhdlc on 16', (t) => {
  t.is(
    systemConf([
      { spanNo: 1, baseChan: 1, config: PRI_CPE },
      { spanNo: 2, baseChan: 32, config: PRI_NET },
    ]),
    [
      '# written by hw-test/harness/dahdi-conf.ts for the span 1 ↔ span 2 crossover rig',
      'span=1,1,0,ccs,hdb3,crc4',
      'bchan=1-15,17-31',
      'hardhdlc=16',
      'span=2,0,0,ccs,hdb3,crc4',
      'bchan=32-46,48-62',
      'hardhdlc=47',
      '',
    ].join('\n'),
  );
});

test('system.conf for SS7, clear channels and R2 (CAS without CRC-4)', (t) => {
  t.regex(systemConf([{ spanNo: 2, baseChan: 32, config: SS7_SPAN }]), /span=2,1,0,ccs,hdb3,crc4\nbchan=32-46,48-62\ndchan=47\n$/);
  t.regex(systemConf([{ spanNo: 1, baseChan: 1, config: CLEAR }]), /span=1,1,0,ccs,hdb3,crc4\nbchan=1-31\n$/);
  t.regex(systemConf([{ spanNo: 1, baseChan: 1, config: R2_SPAN }]), /span=1,1,0,cas,hdb3\ncas=1-15,17-31:1101\n$/);
});

test('the mirror is the other PRI side and the other timing role', (t) => {
  t.deepEqual(mirror(PRI_CPE), PRI_NET);
  t.deepEqual(mirror(PRI_NET), PRI_CPE);
  t.like(mirror(R2_SPAN), { signalling: 'r2', framing: 'cas', timing: 0 });
});

test('dahdi_cfg runs once per line setup: a PRI spec, its second span, then an R2 spec', (t) => {
  const applied: string[] = [];
  const setup = new RigSpanSetup(base, (conf) => applied.push(conf));
  setup.ensure(1, PRI_CPE);
  setup.ensure(2, PRI_NET);
  t.is(setup.applications, 1, 'span 2 was already set up as span 1’s mirror');
  setup.ensure(2, PRI_NET);
  setup.ensure(1, R2_SPAN);
  t.is(setup.applications, 2);
  t.regex(applied[1] ?? '', /span=1,1,0,cas,hdb3\ncas=1-15,17-31:1101\nspan=2,0,0,cas,hdb3\ncas=32-46,48-62:1101\n/);
  setup.ensure(2, { ...R2_SPAN, timing: 0 });
  t.is(setup.applications, 2);
  setup.ensure(2, PRI_NET);
  t.is(setup.applications, 3, 'a PRI spec opening span 2 first sets span 1 up as the CPE');
  t.regex(applied[2] ?? '', /span=1,1,0,ccs,hdb3,crc4\nbchan=1-15,17-31\nhardhdlc=16\nspan=2,0,0/);
  t.not(lineKey(SS7_SPAN), lineKey(PRI_CPE), 'SS7 and PRI differ in the timeslot-16 channel');
  t.throws(() => setup.ensure(3, PRI_CPE), { message: /spans 1 and 2 only/ });
});
