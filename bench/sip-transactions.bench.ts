/**
 * SIP transaction throughput on loopback UDP: a client TransactionLayer sends OPTIONS through
 * non-INVITE client transactions to a SipEndpoint (server transactions, 200 OK) and back, with a
 * fixed window of requests in flight. Prints transactions/s and round-trip p50/p99.
 * `npm run bench -- sip-transactions [seconds] [window]`.
 */
import { systemClock } from '../appliance/core/clock.js';
import { SipRequest, sipUri, Headers } from '../appliance/sip/message/index.js';
import { TransactionLayer, newTag, type TransactionUser } from '../appliance/sip/transaction/index.js';
import { UdpTransport } from '../appliance/sip/transport/index.js';
import { SipEndpoint } from '../appliance/sip/ua/endpoint.js';

const seconds = Number(process.argv[2] ?? 5);
const window = Number(process.argv[3] ?? 64);
const timers = { t1: 500, t2: 4000, t4: 5000 };

const server = await SipEndpoint.listen(
  { host: '127.0.0.1', port: 0, transports: ['udp'], tlsPort: 0, ...timers, userAgent: 'hotline', realm: 'hotline.local' },
  { clock: systemClock },
);
const serverPort = server.address('udp')!.port;
const clientTransport = await UdpTransport.listen({ host: '127.0.0.1', port: 0, serverHeader: 'bench' });
const ignore: TransactionUser = { onRequest: () => undefined, onCancel: () => undefined, onAck: () => undefined };
const client = new TransactionLayer({ clock: systemClock, timers, transports: [clientTransport], tu: ignore, serverHeader: 'bench' });

let seq = 0;
function options(): SipRequest {
  const h = new Headers();
  h.append('Max-Forwards', 70);
  h.append('From', `<sip:bench@127.0.0.1>;tag=${newTag()}`);
  h.append('To', '<sip:probe@127.0.0.1>');
  h.append('Call-ID', `bench-${++seq}@127.0.0.1`);
  h.append('CSeq', '1 OPTIONS');
  return new SipRequest('OPTIONS', sipUri({ host: '127.0.0.1', port: serverPort }), h);
}

const latencies: number[] = [];
let done = 0;
let failed = 0;
let stop = false;
const end = performance.now() + seconds * 1000;

await new Promise<void>((resolve) => {
  let inFlight = 0;
  const launch = (): void => {
    if (performance.now() >= end) stop = true;
    if (stop) {
      if (inFlight === 0) resolve();
      return;
    }
    inFlight++;
    const t0 = performance.now();
    client.sendRequest(options(), { protocol: 'udp', host: '127.0.0.1', port: serverPort }, {
      onResponse(res) {
        if (res.status < 200) return;
        inFlight--;
        if (res.status === 200) {
          done++;
          latencies.push(performance.now() - t0);
        } else failed++;
        launch();
      },
      onError() {
        inFlight--;
        failed++;
        launch();
      },
    });
  };
  for (let i = 0; i < window; i++) launch();
});

latencies.sort((a, b) => a - b);
const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
console.log(`sip-transactions (node ${process.version}, ${seconds} s, window ${window}, loopback UDP, OPTIONS → 200)`);
console.log(`completed ${done}, failed ${failed}`);
console.log(`${Math.round(done / seconds).toLocaleString('en-US')} transactions/s   p50 ${pct(50).toFixed(2)} ms   p99 ${pct(99).toFixed(2)} ms`);
console.log(`server transactions held at end: ${server.layer.serverCount} (in Completed for Timer J)`);
client.close();
await clientTransport.close();
await server.close();
