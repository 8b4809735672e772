import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import type { FaxDone, FaxJobOptions, MediaEngine } from '../media/engine/media-engine.js';
import { EngineFaxPort } from './fax-on-demand.js';

function rig(result: Partial<FaxDone> | 'never' = { ok: true, pages: 2 }) {
  const dir = tempDir('fod-');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'tariff-2026.tif'), 'II*\0');
  const started: Array<{ leg: string; o: FaxJobOptions }> = [];
  let stopped = 0;
  let finish: (d: FaxDone) => void = () => undefined;
  const engine = {
    startFax: async (leg: { id: string }, o: FaxJobOptions) => {
      started.push({ leg: leg.id, o });
      const done = new Promise<FaxDone>((r) => (finish = r));
      const end = (d: Partial<FaxDone>): void => finish({ faxId: 'fx1', endpointId: leg.id, ok: false, completionCode: -1, completionText: '', reason: 'completed', pages: 0, bitRate: 9600, ecm: true, remoteIdent: '', seconds: 30, ...d } as FaxDone);
      if (result !== 'never') queueMicrotask(() => end(result));
      return { id: 'fx1', done, stop: async () => (stopped++, end({ ok: false, reason: 'stopped' })) };
    },
  } as unknown as Pick<MediaEngine, 'startFax'>;
  const clock = new ManualClock();
  const channel = Object.assign(new FakeChannel({ clock }), { rtp: { id: 'rtp-1' } });
  const port = new EngineFaxPort({ engine, log: silentLogger(), dir });
  return { port, channel, started, stopped: () => stopped };
}

test("a library document is sent on the caller's own leg as the T.30 answerer; phase E success is `sent`", async (t) => {
  const r = rig({ ok: true, pages: 2, completionCode: 0 });
  const res = await r.port.send({ callId: 'c1', channel: r.channel, document: 'tariff-2026', to: 'caller', signal: new AbortController().signal });
  t.deepEqual(res, { outcome: 'sent' });
  t.is(r.started.length, 1);
  t.like(r.started[0], { leg: 'rtp-1', o: { direction: 'send', role: 'answerer' } });
  t.true(r.started[0]!.o.file.endsWith('tariff-2026.tif'));
});

test('unknown documents, path tricks and numbers fail without a fax session; a T.30 failure is `failed`', async (t) => {
  const r = rig();
  const signal = new AbortController().signal;
  for (const document of ['no-such-doc', '../tariff-2026', 'a/b'])
    t.deepEqual(await r.port.send({ callId: 'c1', channel: r.channel, document, to: 'caller', signal }), { outcome: 'failed' }, document);
  t.deepEqual(await r.port.send({ callId: 'c1', channel: r.channel, document: 'tariff-2026', to: { number: '02087654321' }, signal }), { outcome: 'failed' });
  t.is(r.started.length, 0);
  const bad = rig({ ok: false, completionCode: 48 });
  t.deepEqual(await bad.port.send({ callId: 'c1', channel: bad.channel, document: 'tariff-2026', to: 'caller', signal }), { outcome: 'failed' });
});

test('the caller hanging up mid-fax stops the T.30 session', async (t) => {
  const r = rig('never');
  const ctl = new AbortController();
  const sending = r.port.send({ callId: 'c1', channel: r.channel, document: 'tariff-2026', to: 'caller', signal: ctl.signal });
  while (r.started.length === 0) await new Promise((res) => setImmediate(res));
  ctl.abort();
  t.deepEqual(await sending, { outcome: 'failed' });
  t.is(r.stopped(), 1);
});
