/**
 * RELIABILITY.md S1: the RFC 4475 corpus (testdata/torture/ + manifest.json) sent over real UDP
 * and TCP sockets to a running SipEndpoint, following the manifest's harness rules: each file's
 * octets unchanged, one datagram / one connection per file; every `accept` request answered with
 * a status from its list, every `reject` with one from its list (400/505/501), every `drop` (and
 * every response) unanswered; an OPTIONS liveness probe answered 200 after each file. Over TCP a
 * framing failure may instead close the connection within the frame timeout (harness rule 4).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { systemClock } from '../../core/clock.js';
import { optionsRequest, statusOf, StreamPeer, UdpPeer } from '../transport/testing/clients.js';
import { SipEndpoint } from './endpoint.js';

const dir = new URL('../testdata/torture/', import.meta.url);
interface Entry {
  name: string;
  file: string;
  verdict: 'accept' | 'reject' | 'drop';
  acceptable_final_status: number[];
  is_response: boolean;
}
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as { messages: Entry[] };
/** How long to listen for an answer that must not come. */
const SILENCE_MS = 300;
const FRAME_TIMEOUT_MS = 1000;

function expectsAnswer(e: Entry): boolean {
  return e.verdict !== 'drop' && !e.is_response;
}

test('RFC 4475 corpus over UDP: manifest statuses, drops silent, OPTIONS liveness after each', async (t) => {
  const ep = await SipEndpoint.listen(
    { host: '127.0.0.1', port: 0, transports: ['udp'], tlsPort: 0, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock: systemClock },
  );
  t.teardown(() => ep.close());
  const port = ep.address('udp')!.port;
  const results: string[] = [];
  for (const e of manifest.messages) {
    const peer = await UdpPeer.open();
    await peer.send(readFileSync(new URL(e.file, dir)), port);
    const res = await peer.final(expectsAnswer(e) ? 2000 : SILENCE_MS);
    const status = res ? statusOf(res) : null;
    results.push(`${e.name}:${status ?? '-'}`);
    if (expectsAnswer(e)) t.true(status !== null && e.acceptable_final_status.includes(status), `${e.name} (${e.verdict}) answered ${status ?? 'nothing'}, want one of ${e.acceptable_final_status.join('/')}`);
    else t.is(status, null, `${e.name} (${e.verdict}) must not be answered`);
    const before = peer.received.length;
    await peer.send(optionsRequest('UDP', peer.port), port);
    const probe = await peer.final(1000, before);
    t.is(probe ? statusOf(probe) : null, 200, `liveness after ${e.name}`);
    await peer.close();
  }
  t.log(results.join(' '));
});

test('RFC 4475 corpus over TCP: one connection per file; framing failures answered 400 or closed within the frame timeout', async (t) => {
  const ep = await SipEndpoint.listen(
    { host: '127.0.0.1', port: 0, transports: ['tcp'], tlsPort: 0, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock: systemClock, frameTimeoutMs: FRAME_TIMEOUT_MS },
  );
  t.teardown(() => ep.close());
  const port = ep.address('tcp')!.port;
  const results: string[] = [];
  for (const e of manifest.messages) {
    const c = await StreamPeer.connect(port);
    c.send(readFileSync(new URL(e.file, dir)));
    const res = await c.final(expectsAnswer(e) ? FRAME_TIMEOUT_MS + 1000 : SILENCE_MS);
    const status = res ? statusOf(res) : null;
    results.push(`${e.name}:${status ?? (c.closed ? 'closed' : '-')}`);
    if (expectsAnswer(e)) {
      const answered = status !== null && e.acceptable_final_status.includes(status);
      const closedOnFramingError = status === null && c.closed && e.acceptable_final_status.includes(400);
      t.true(answered || closedOnFramingError, `${e.name} (${e.verdict}) got ${status ?? (c.closed ? 'close' : 'nothing')}`);
    } else t.is(status, null, `${e.name} (${e.verdict}) must not be answered`);
    c.close();
    const probe = await StreamPeer.connect(port);
    probe.send(optionsRequest('TCP', probe.socket.localPort ?? 0));
    const p = await probe.final(1000);
    t.is(p ? statusOf(p) : null, 200, `liveness after ${e.name}`);
    probe.close();
  }
  t.log(results.join(' '));
});
