/**
 * Media worker thread entry. Builds a WorkerCore with real UDP sockets, the system clock and
 * the node file system, runs its 20 ms tick, and speaks protocol.ts with the main thread:
 * every request is validated (version and shape) before it reaches the core; every reply and
 * event carries the version. Nothing here decides anything — that is worker-core.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../../core/clock.js';
import { nodeRecorderFs } from '../recorder/recorder-fs.js';
import { spandspDsp } from './dsp.js';
import { Outbox, PROTOCOL_VERSION, RequestSchema, WorkerConfigSchema, type WorkerEvent, type WorkerMessage } from './protocol.js';
import { UdpSocketFactory } from './udp.js';
import { WorkerCore } from './worker-core.js';

const port = parentPort;
if (!port) throw new Error('worker-main.ts runs only as a worker thread');
const config = WorkerConfigSchema.parse(workerData);

const outbox = new Outbox((m) => port.postMessage(m));
const post = (m: WorkerMessage): void => outbox.post(m);
const emit = (event: WorkerEvent): void => post({ v: PROTOCOL_VERSION, kind: 'event', event });

const core = new WorkerCore({
  clock: systemClock,
  sockets: new UdpSocketFactory({ min: config.rtpPortMin, max: config.rtpPortMax }, config.bindAddress),
  recorderFs: nodeRecorderFs,
  emit,
  dsp: spandspDsp(),
  ticker: { periodMs: config.tickMs, lateThresholdMs: config.lateThresholdMs },
  loopLoad: () => {
    const u = performance.eventLoopUtilization();
    return { activeMs: u.active, idleMs: u.idle };
  },
});
core.start();

const onRequest = (raw: unknown): void => {
  if ((raw as { kind?: unknown } | null)?.kind === 'shutdown') {
    core
      .shutdown()
      .finally(() => {
        outbox.flush();
        port.postMessage({ kind: 'shutdown-done' });
      })
      .catch(() => undefined);
    return;
  }
  const parsed = RequestSchema.safeParse(raw);
  if (!parsed.success) {
    const id = typeof (raw as { id?: unknown } | null)?.id === 'number' ? (raw as { id: number }).id : -1;
    const message = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    post({ v: PROTOCOL_VERSION, kind: 'reply', id, ok: false, error: { code: 'VALIDATION', message } });
    return;
  }
  const { id, cmd } = parsed.data;
  core.handle(cmd).then(
    (result) => post({ v: PROTOCOL_VERSION, kind: 'reply', id, ok: true, result: result ?? null }),
    (err: unknown) => post({ v: PROTOCOL_VERSION, kind: 'reply', id, ok: false, error: WorkerCore.errorOf(err) }),
  );
};
// protocol.ts Outbox: a batch is an array of requests, handled in order.
port.on('message', (raw: unknown) => {
  if (!Array.isArray(raw)) onRequest(raw);
  else for (const r of raw) onRequest(r);
});
