/**
 * hw-test span-up: span 1 cabled to span 2 (crossover). Both framers find alignment and clear
 * their alarms, the PRI D channel comes up on both ends (Q.921 multiple-frame established, CPE on
 * span 1, NET on span 2), the card takes timing from span 1, and every one of the 30 bearers
 * carries a pseudo-random A-law pattern bit-exact in both directions.
 */
import { ALAW_IDLE } from '../../drivers/sim/channels.js';
import { bindPri } from '../../drivers/sim/pri-link.js';
import type { SpanStatus } from '../../drivers/types.js';
import { patternSource } from '../harness/audio.js';
import { hwTest, PRI_CPE, PRI_NET, SimRig } from '../harness/rig.js';

hwTest('span-up: crossover 1↔2 — alarms clear, D channel up on both ends, timing from span 1', async (t) => {
  const rig = new SimRig();
  t.teardown(() => rig.close());
  const cable = rig.card.connect(1, 2);
  const s1 = await rig.card.openSpan(1, PRI_CPE);
  const s2 = await rig.card.openSpan(2, PRI_NET);
  t.deepEqual(s1.status().alarms, ['red', 'los'], 'a framer starts out of alignment');
  const events: SpanStatus[] = [];
  s1.on('alarm', (s) => events.push(s));
  s2.on('alarm', (s) => events.push(s));

  // The framers align first (RED clears after 100 ms of signal); a SABME sent into a span in RED
  // is lost and libpri would only retry after T200 (1 s of wall time).
  await rig.until(() => s1.status().alarms.length === 0 && s2.status().alarms.length === 0, 1000, 'alarms clear');
  t.true(rig.now <= 200, `alarms cleared after ${rig.now} ms`);
  const cpe = bindPri(s1, { side: 'cpe' }, { clock: rig.signallingClock, log: rig.log });
  const net = bindPri(s2, { side: 'net' }, { clock: rig.signallingClock, log: rig.log });
  t.teardown(() => {
    cpe.close();
    net.close();
  });
  await rig.until(() => cpe.pri.dchanUp && net.pri.dchanUp, 2000, 'D channel up');
  t.log(`D channel up on both ends after ${rig.now} ms of card time, ${cable.stats(2).dFramesCarried + cable.stats(1).dFramesCarried} frames`);

  for (const s of [s1, s2]) {
    const st = s.status();
    t.deepEqual(st.alarms, [], `span ${s.spanNo} in service`);
    t.is(st.bpvCount + st.crc4Count + st.fasCount + st.slips, 0);
    t.is(st.syncSrc, 1, 'span 1 (timing 1) is the sync source; span 2 is timing 0');
  }
  t.true(events.some((e) => e.spanNo === 1 && e.alarms.length === 0));
  t.true(events.some((e) => e.spanNo === 2 && e.alarms.length === 0));
  t.is(s1.bChannels.length, 30);
  t.not(s1.dChannel, null);
});

hwTest('span-up: all 30 bearers carry a pseudo-random A-law pattern bit-exact both ways', async (t) => {
  const rig = new SimRig();
  t.teardown(() => rig.close());
  rig.card.connect(1, 2);
  const spans = [await rig.card.openSpan(1, PRI_CPE), await rig.card.openSpan(2, PRI_NET)] as const;
  await rig.until(() => spans.every((s) => s.status().alarms.length === 0), 1000, 'alarms clear');

  const BLOCKS = 50;
  let checked = 0;
  const mismatches: string[] = [];
  for (const [from, to] of [
    [spans[0], spans[1]],
    [spans[1], spans[0]],
  ] as const) {
    for (const tx of from.bChannels) {
      const seed = from.spanNo * 100 + tx.timeslot;
      const send = patternSource(seed);
      const expect = patternSource(seed);
      const rx = to.bChannels.find((c) => c.timeslot === tx.timeslot);
      if (!rx) throw new Error(`no timeslot ${tx.timeslot} on span ${to.spanNo}`);
      let started = false;
      let n = 0;
      rx.on('frame', (f) => {
        if (!started && f.every((b) => b === ALAW_IDLE)) return;
        started = true;
        if (n++ >= BLOCKS) return;
        const want = expect();
        if (Buffer.compare(Buffer.from(f), Buffer.from(want)) !== 0) mismatches.push(`${from.spanNo}→${to.spanNo} ts${tx.timeslot} block ${n}`);
        checked++;
      });
      const ticker = rig.clock.setInterval(() => tx.write(send()), 20);
      t.teardown(() => ticker.cancel());
    }
  }
  await rig.run((BLOCKS + 3) * 20);
  t.is(checked, 2 * 30 * BLOCKS, 'every block of every channel arrived');
  t.deepEqual(mismatches, []);
});
