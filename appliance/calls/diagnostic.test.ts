/**
 * Diagnostic lines (diagnostic.ts): hold timing on the manual clock with a fake leg, and the
 * echo and echo-record lines on a real media engine (one worker, UDP on 127.0.0.1): what we send
 * comes back byte for byte, and the recording covers the time we were connected. Also the
 * dialplan/CDR store round trip of a diagnostic route (migration 16).
 */
import test from 'ava';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { HangupCauses } from '../channel/q850.js';
import type { CallLevel } from '../channel/channel.js';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { MediaEngine, type BridgeHandle } from '../media/engine/media-engine.js';
import { Bridge } from '../media/mixer/bridge.js';
import { decode, encodeInto } from '../media/rtp/packet.js';
import { openStore } from '../store/database.js';
import { migrations } from '../store/migrations/index.js';
import { SqliteCallStore } from './call-store.js';
import { runDiagnostic, type DiagnosticDeps } from './diagnostic.js';
import { matchRoute, RouteSchema } from './dialplan.js';
import { freePortBlock } from './testing/baresip.js';

const log = silentLogger();

class FakeLeg {
  level: CallLevel = 'setup';
  readonly hangups: number[] = [];
  answers = 0;
  private readonly ctl = new AbortController();
  get ended(): AbortSignal {
    return this.ctl.signal;
  }
  async answer(): Promise<void> {
    this.answers++;
    this.level = 'connected';
  }
  async hangup(cause = 16): Promise<void> {
    this.hangups.push(cause);
    this.remoteBye();
  }
  remoteBye(): void {
    this.level = 'terminated';
    this.ctl.abort();
  }
}

const noEngine: DiagnosticDeps['engine'] = {
  createBridge: () => Promise.reject(new Error('no engine in this test')),
};

test('answer-hangup: answers at once, hangs up with cause 16 exactly when holdMs has passed', async (t) => {
  const clock = new ManualClock();
  const leg = new FakeLeg();
  const done = runDiagnostic(leg, { mode: 'answer-hangup', holdMs: 1000 }, { callId: 'c1', media: null }, { clock, log, engine: noEngine });
  await new Promise((r) => setImmediate(r));
  t.is(leg.answers, 1);
  clock.advance(999);
  await Promise.resolve();
  t.deepEqual(leg.hangups, []);
  clock.advance(1);
  const r = await done;
  t.is(r.outcome, 'held');
  t.deepEqual(leg.hangups, [HangupCauses.NORMAL_CLEARING]);
});

test('a caller who hangs up first ends the line without a second hangup; holdMs 0 waits for the caller', async (t) => {
  const clock = new ManualClock();
  const leg = new FakeLeg();
  const done = runDiagnostic(leg, { mode: 'answer-silence', holdMs: 0 }, { callId: 'c2', media: null }, { clock, log, engine: noEngine });
  clock.advance(3_600_000);
  await Promise.resolve();
  t.is(leg.level, 'connected');
  leg.remoteBye();
  const r = await done;
  t.is(r.outcome, 'caller-hungup');
  t.deepEqual(leg.hangups, []);
});

test('an echo line without media is refused (cause 41) without being answered', async (t) => {
  const leg = new FakeLeg();
  const r = await runDiagnostic(leg, { mode: 'echo', holdMs: 1000 }, { callId: 'c3', media: null }, { clock: new ManualClock(), log, engine: noEngine });
  t.is(r.outcome, 'failed');
  t.regex(r.reason ?? '', /media/);
  t.deepEqual(leg.hangups, [HangupCauses.TEMPORARY_FAILURE]);
  t.is(leg.answers, 0);
});

test('an echo bridge sends a lone member its own input; a plain bridge sends silence', (t) => {
  const echo = new Bridge('b1', { echo: true });
  const m = echo.add('ep', 'PCMA', 'caller');
  m.input.set(new Uint8Array(160).map((_, i) => i));
  echo.mix();
  t.deepEqual([...m.output.subarray(0, 4)], [0, 1, 2, 3]);
  const plain = new Bridge('b2');
  const p = plain.add('ep', 'PCMA', 'caller');
  p.input.set(new Uint8Array(160).map((_, i) => i));
  plain.mix();
  t.true(p.output.every((c) => c === 0xd5));
});

test.serial('echo-record on the media engine: every payload comes back unchanged, the recording covers the call', async (t) => {
  const ports = await freePortBlock(8);
  const dir = tempDir('diag-');
  const engine = new MediaEngine({ workers: 1, rtpPortMin: ports, rtpPortMax: ports + 7, bindAddress: '127.0.0.1', recordingsDir: dir, clock: systemClock, log });
  await engine.start();
  t.teardown(() => engine.stop());
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  sock.unref();
  t.teardown(() => sock.close());
  const ep = await engine.createRtpEndpoint({ codec: 'PCMA', remote: { address: '127.0.0.1', port: sock.address().port }, affinity: 'call-echo', rtpTimeoutMs: 0 });
  const sent = new Set<string>();
  const echoed: string[] = [];
  sock.on('message', (buf) => {
    const p = decode(buf);
    if (p.payloadType === 8) echoed.push(Buffer.from(p.payload).toString('hex'));
  });
  const leg = new FakeLeg();
  let bridges = 0;
  const counting: DiagnosticDeps['engine'] = {
    createBridge: async (o): Promise<BridgeHandle> => {
      bridges++;
      return engine.createBridge(o);
    },
  };
  const done = runDiagnostic(leg, { mode: 'echo-record', holdMs: 0 }, { callId: 'call-echo', media: ep }, { clock: systemClock, log, engine: counting });
  const frames = 50;
  const pkt = Buffer.alloc(172);
  for (let i = 0; i < frames; i++) {
    // Each frame is distinct, so an echo of frame i cannot be mistaken for another.
    const payload = new Uint8Array(160).map((_, k) => (i * 7 + k * 13) & 0xff);
    sent.add(Buffer.from(payload).toString('hex'));
    encodeInto({ marker: i === 0, payloadType: 8, sequenceNumber: i, timestamp: i * 160, ssrc: 0x1234, csrc: [], extension: null, payload, paddingSize: 0 }, pkt, 0);
    sock.send(pkt, ep.localPort, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 200));
  leg.remoteBye();
  await ep.close();
  const r = await done;
  t.is(bridges, 1);
  t.is(r.outcome, 'caller-hungup');
  const matched = echoed.filter((p) => sent.has(p)).length;
  // A loaded machine delays some frames past the jitter buffer (concealed): most must still come back intact.
  t.true(matched >= frames / 2, `${matched}/${frames} frames echoed unchanged`);
  t.truthy(r.recording);
  t.is(r.recording!.outcome, 'complete');
  t.true(existsSync(r.recording!.path));
  t.true(path.basename(r.recording!.path).includes('call-echo'));
  // Connected for ~1.2 s (50 frames + 200 ms).
  t.true(r.recording!.durationMs >= 1000 && r.recording!.durationMs <= 3000, `duration ${r.recording!.durationMs}`);
});

test('a diagnostic route is stored, read back and matched; its CDR keeps the diagnostic kind', (t) => {
  const dir = tempDir('diag-store-');
  const store = openStore({ file: path.join(dir, 'h.db'), clock: systemClock, log, migrations });
  t.teardown(() => store.close());
  const calls = new SqliteCallStore(store, () => 0);
  calls.saveRoute({ id: 'echo', name: 'echo test', did: '*43', target: { kind: 'diagnostic', mode: 'echo-record', holdMs: 60_000 } });
  calls.saveRoute({ id: 'cps', name: 'cps', did: '_9X', target: { kind: 'diagnostic', mode: 'answer-hangup' } });
  const routes = calls.routes();
  t.deepEqual(calls.issues, []);
  t.deepEqual(matchRoute(routes, '*43', '1001')?.target, { kind: 'diagnostic', mode: 'echo-record', holdMs: 60_000 });
  t.deepEqual(matchRoute(routes, '91', '1001')?.target, { kind: 'diagnostic', mode: 'answer-hangup', holdMs: 1000 });
  t.false(RouteSchema.safeParse({ id: 'x', name: 'x', did: '1', target: { kind: 'diagnostic', mode: 'sing' } }).success);
  calls.writeCdr({
    callId: 'call-d1',
    direction: 'inbound',
    caller: '1001',
    called: '*43',
    routeId: 'echo',
    targetKind: 'diagnostic',
    target: 'echo-record:60000',
    startedAt: 1,
    answeredAt: 2,
    endedAt: 3,
    cause: 16,
    endedBy: 'remote',
    legs: [{ legId: 'leg-1', tech: 'sip', direction: 'inbound', party: '1001', codec: 'PCMA', createdAt: 1, answeredAt: 2, endedAt: 3, cause: 16, endedBy: 'remote', mos: 4.4, packetsLost: 0, jitterMs: 0 }],
  });
  const cdr = calls.cdr('call-d1');
  t.is(cdr?.targetKind, 'diagnostic');
  t.is(cdr?.legs.length, 1);
});

test('migration 16 keeps the CDR legs and routes written before it', (t) => {
  const dir = tempDir('diag-mig-');
  const file = path.join(dir, 'h.db');
  const before = migrations.filter((m) => m.version < 16);
  const old = openStore({ file, clock: systemClock, log, migrations: before });
  const oldCalls = new SqliteCallStore(old, () => 0);
  oldCalls.saveRoute({ id: 'main', name: 'main', did: '95598', target: { kind: 'ivr', flow: 'hotline-95598' } });
  oldCalls.writeCdr({
    callId: 'call-old',
    direction: 'inbound',
    caller: '1001',
    called: '95598',
    routeId: 'main',
    targetKind: 'ivr',
    target: 'hotline-95598',
    startedAt: 1,
    answeredAt: null,
    endedAt: 3,
    cause: 16,
    endedBy: 'remote',
    legs: [{ legId: 'leg-1', tech: 'sip', direction: 'inbound', party: '1001', codec: null, createdAt: 1, answeredAt: null, endedAt: 3, cause: 16, endedBy: 'remote', mos: null, packetsLost: null, jitterMs: null }],
  });
  old.sqlite.close();
  const store = openStore({ file, clock: systemClock, log, migrations });
  t.teardown(() => store.close());
  const calls = new SqliteCallStore(store, () => 0);
  t.is(calls.cdr('call-old')?.legs.length, 1);
  t.is(calls.routes()[0]?.id, 'main');
  // The legs still cascade with their CDR (the foreign key follows the rebuilt table).
  store.sqlite.prepare("DELETE FROM cdrs WHERE call_id = 'call-old'").run();
  t.is((store.sqlite.prepare('SELECT count(*) AS n FROM cdr_legs').get() as { n: number }).n, 0);
});
