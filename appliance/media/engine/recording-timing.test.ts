/**
 * Recordings are as long as the call when the worker is late (issue 4 bench: "every recording
 * complete (>= 99.7 % of expected length)"). A WorkerCore runs its own ticker on a LateClock
 * whose timers fire late by a seeded sequence of small delays and stalls of up to 600 ms (a
 * starved worker on the bench box). Whatever the stalls, the closed file holds the wall time
 * from the recording's start to its stop — missed ticks padded, the frames owed at stop
 * written before the file closes — and pause marks stay where they were put.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { tempDir } from '../../core/testing/temp-dir.js';
import { decodeHeader } from '../codec/wav.js';
import { nodeRecorderFs } from '../recorder/recorder-fs.js';
import type { Command, WorkerEvent } from './protocol.js';
import { FrameRing } from './tdm-ring.js';
import { LateClock, stallSequence } from './testing/late-clock.js';
import { WorkerCore } from './worker-core.js';

async function rig(seed: number, maxStallMs: number): Promise<{ clock: LateClock; core: WorkerCore; events: WorkerEvent[]; dir: string }> {
  const clock = new LateClock(stallSequence(seed, { stallEvery: 6, maxStallMs }));
  const events: WorkerEvent[] = [];
  const core = new WorkerCore({
    clock,
    sockets: { bindPair: () => Promise.reject(new Error('TDM legs only')) },
    recorderFs: nodeRecorderFs,
    emit: (e) => events.push(e),
    ticker: { periodMs: 20, lateThresholdMs: 10, maxCatchUp: 5 },
  });
  const cmd = (c: Command): Promise<unknown> => core.handle(c);
  for (const id of ['a', 'b']) await cmd({ cmd: 'endpoint.create-tdm', endpointId: id, rx: FrameRing.create(8).buffer, tx: FrameRing.create(8).buffer, maxFill: 3 });
  await cmd({ cmd: 'bridge.create', bridgeId: 'br' });
  await cmd({ cmd: 'bridge.add', bridgeId: 'br', endpointId: 'a', side: 'caller' });
  await cmd({ cmd: 'bridge.add', bridgeId: 'br', endpointId: 'b', side: 'agent' });
  core.start();
  return { clock, core, events, dir: tempDir('rec-timing-') };
}

/** Advance in uneven slices, as a worker's event loop would be entered. */
function run(clock: LateClock, ms: number): void {
  let left = ms;
  let i = 0;
  while (left > 0) {
    const d = Math.min(left, [7, 33, 120, 13, 250][i++ % 5] as number);
    clock.advance(d);
    left -= d;
  }
}

for (const [seed, maxStallMs] of [
  [11, 150],
  [12, 600],
  [13, 1500],
] as const) {
  test(`a 60 s recording on a worker stalling up to ${maxStallMs} ms holds the full 60 s (seed ${seed})`, async (t) => {
    const { clock, core, dir } = await rig(seed, maxStallMs);
    t.teardown(() => core.stop());
    run(clock, 1234); // the worker has been running a while: the recording starts mid-period
    const r = (await core.handle({ cmd: 'record.start', recordingId: 'r1', bridgeId: 'br', callId: 'call-1', dir, encoding: 'alaw', beep: false, startedAt: clock.now() })) as { path: string };
    const from = clock.monotonic();
    run(clock, 10_000);
    const p = (await core.handle({ cmd: 'record.pause', recordingId: 'r1' })) as { atMs: number };
    run(clock, 5_000);
    await core.handle({ cmd: 'record.resume', recordingId: 'r1' });
    run(clock, 45_000 + 7);
    const closed = (await core.handle({ cmd: 'record.stop', recordingId: 'r1' })) as { durationMs: number; path: string; marks: Array<{ fromMs: number; toMs: number }> };
    const wall = clock.monotonic() - from;
    const stats = core.tickStats();
    t.log(`stalls: ${stats.lateTicks} late ticks, ${stats.catchUpTicks} caught up, ${stats.skippedTicks} given up; max ${stats.maxLatenessMs.toFixed(0)} ms`);
    t.is(closed.path, r.path);
    const header = decodeHeader(new Uint8Array(readFileSync(closed.path)));
    t.is(header.declaredDataLength / 16_000, closed.durationMs / 1000, 'the file holds what the event says');
    t.true(closed.durationMs >= wall - 20, `recorded ${closed.durationMs} ms of ${wall} ms`);
    t.true(closed.durationMs <= wall + 20, `recorded ${closed.durationMs} ms of ${wall} ms: no audio from before the start`);
    t.true(closed.durationMs / wall >= 0.997);
    t.is(closed.marks.length, 1);
    const mark = closed.marks[0] as { fromMs: number; toMs: number };
    t.is(mark.fromMs, p.atMs);
    t.true(Math.abs(mark.toMs - mark.fromMs - 5_000) <= maxStallMs + 40, `paused span ${mark.toMs - mark.fromMs} ms for 5 s`);
  });
}
