/**
 * hw-test span-up: span 1 cabled to span 2 (crossover). Both framers find alignment and clear
 * their alarms, the PRI D channel comes up on both ends (Q.921 multiple-frame established, CPE on
 * span 1, NET on span 2), the card takes timing from span 1, and every one of the 30 bearers
 * carries a pseudo-random A-law pattern bit-exact in both directions.
 *
 * Written against the Rig interface (harness/rig.ts), so `HW_CARD=dahdi` runs it on a real card
 * with span 1 cabled to span 2 (dahdi_cfg: span 1 timing 1, span 2 timing 0, CCS/HDB3/CRC-4,
 * timeslot 16 hardhdlc). The pattern is compared as a stream from its first non-idle byte, since
 * a real card's read blocks need not line up with the writer's.
 */
import { ALAW_IDLE } from '../../drivers/sim/channels.js';
import { bindPri } from '../../drivers/sim/pri-link.js';
import type { SpanStatus } from '../../drivers/types.js';
import { patternSource } from '../harness/audio.js';
import { PRI_CPE, PRI_NET, rigTest, SimRig } from '../harness/rig.js';

rigTest('span-up: crossover 1↔2 — alarms clear, D channel up on both ends, timing from span 1', {}, async (t, rig) => {
  const s1 = await rig.card.openSpan(1, PRI_CPE);
  const s2 = await rig.card.openSpan(2, PRI_NET);
  if (rig instanceof SimRig) t.deepEqual(s1.status().alarms, ['red', 'los'], 'a framer starts out of alignment');
  const events: SpanStatus[] = [];
  s1.on('alarm', (s) => events.push(s));
  s2.on('alarm', (s) => events.push(s));

  // The framers align first (RED clears after 100 ms of signal); a SABME sent into a span in RED
  // is lost and libpri would only retry after T200 (1 s of wall time).
  await rig.until(() => s1.status().alarms.length === 0 && s2.status().alarms.length === 0, rig.kind === 'sim' ? 1000 : 10_000, 'alarms clear');
  if (rig instanceof SimRig) t.true(rig.now <= 200, `alarms cleared after ${rig.now} ms`);
  const cpe = bindPri(s1, { side: 'cpe' }, { clock: rig.signallingClock, log: rig.log });
  const net = bindPri(s2, { side: 'net' }, { clock: rig.signallingClock, log: rig.log });
  t.teardown(() => {
    cpe.close();
    net.close();
  });
  await rig.until(() => cpe.pri.dchanUp && net.pri.dchanUp, 2000, 'D channel up');
  const cable = rig instanceof SimRig ? rig.card.cableAt(1) : null;
  t.log(`D channel up on both ends after ${rig.now} ms of card time${cable ? `, ${cable.stats(2).dFramesCarried + cable.stats(1).dFramesCarried} frames` : ''}`);

  for (const s of [s1, s2]) {
    const st = s.status();
    t.deepEqual(st.alarms, [], `span ${s.spanNo} in service`);
    t.is(st.bpvCount + st.crc4Count + st.fasCount + st.slips, 0);
    t.is(st.syncSrc, 1, 'span 1 (timing 1) is the sync source; span 2 is timing 0');
  }
  if (rig instanceof SimRig) {
    // A real card may already be in service when the spec opens it: no alarm change to report.
    t.true(events.some((e) => e.spanNo === 1 && e.alarms.length === 0));
    t.true(events.some((e) => e.spanNo === 2 && e.alarms.length === 0));
  }
  t.is(s1.bChannels.length, 30);
  t.not(s1.dChannel, null);
});

rigTest('span-up: all 30 bearers carry a pseudo-random A-law pattern bit-exact both ways', {}, async (t, rig) => {
  const spans = [await rig.card.openSpan(1, PRI_CPE), await rig.card.openSpan(2, PRI_NET)] as const;
  await rig.until(() => spans.every((s) => s.status().alarms.length === 0), rig.kind === 'sim' ? 1000 : 10_000, 'alarms clear');

  const BLOCKS = 50;
  const BYTES = BLOCKS * 160;
  const received = new Map<string, { bytes: number[]; expect: Uint8Array }>();
  for (const [from, to] of [
    [spans[0], spans[1]],
    [spans[1], spans[0]],
  ] as const) {
    for (const tx of from.bChannels) {
      const seed = from.spanNo * 100 + tx.timeslot;
      const send = patternSource(seed);
      const expectSrc = patternSource(seed);
      const expect = new Uint8Array(BYTES);
      for (let i = 0; i < BLOCKS; i++) expect.set(expectSrc(), i * 160);
      const rx = to.bChannels.find((c) => c.timeslot === tx.timeslot);
      if (!rx) throw new Error(`no timeslot ${tx.timeslot} on span ${to.spanNo}`);
      const got = { bytes: [] as number[], expect };
      received.set(`${from.spanNo}→${to.spanNo} ts${tx.timeslot}`, got);
      // Everything the line brings (idle code first, then the pattern), up to a margin.
      rx.on('frame', (f) => {
        if (got.bytes.length < 2 * BYTES) got.bytes.push(...f);
      });
      const ticker = rig.clock.setInterval(() => tx.write(send()), 20);
      t.teardown(() => ticker.cancel());
    }
  }
  /** Where the pattern starts in what was received: the first non-idle run matching its first 16 bytes. */
  const startOf = (r: { bytes: number[]; expect: Uint8Array }): number => {
    for (let i = 0; i + 16 <= r.bytes.length; i++) {
      if (r.bytes[i] === ALAW_IDLE && r.expect[0] !== ALAW_IDLE) continue;
      let k = 0;
      while (k < 16 && r.bytes[i + k] === r.expect[k]) k++;
      if (k === 16) return i;
    }
    return -1;
  };
  await rig.until(() => [...received.values()].every((r) => { const at = startOf(r); return at >= 0 && r.bytes.length - at >= BYTES; }), (BLOCKS + 10) * 20 * (rig.kind === 'sim' ? 1 : 3), 'every stream received');
  const mismatches: string[] = [];
  for (const [name, r] of received) {
    const from = startOf(r);
    const at = r.expect.findIndex((b, i) => r.bytes[from + i] !== b);
    if (at >= 0) mismatches.push(`${name} byte ${at}`);
  }
  t.is(received.size, 2 * 30, 'every bearer both ways');
  t.deepEqual(mismatches, []);
});
