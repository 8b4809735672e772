/**
 * A webhook receiver for tests: a node:http server on 127.0.0.1, port 0, that records every
 * request (raw body and X-Hotline-* headers) and answers as the test's `respond` function says,
 * so it can fail on purpose (500 for the first N, hang past the timeout, answer slowly).
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  /** 1-based arrival number. */
  n: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  deliveryId: string;
  eventType: string;
  signature: string;
  timestamp: string;
}

/** What to answer; `hang` never answers (until the client gives up or the server closes). */
export type Reply = { status: number; body?: string; delayMs?: number } | 'hang';

export interface Receiver {
  readonly url: string;
  readonly requests: readonly ReceivedRequest[];
  /** Requests whose handler has not answered yet. */
  readonly open: number;
  /** Most requests open at the same time. */
  readonly maxOpen: number;
  /** Resolves once at least `n` requests have arrived. */
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(respond: (req: ReceivedRequest) => Reply | Promise<Reply>): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let open = 0;
  let maxOpen = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const header = (name: string): string => {
        const v = req.headers[name];
        return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
      };
      const rec: ReceivedRequest = {
        n: requests.length + 1,
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        deliveryId: header('x-hotline-delivery'),
        eventType: header('x-hotline-event'),
        signature: header('x-hotline-signature'),
        timestamp: header('x-hotline-timestamp'),
      };
      requests.push(rec);
      open++;
      maxOpen = Math.max(maxOpen, open);
      res.on('close', () => open--);
      for (const w of [...waiters]) {
        if (requests.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      void Promise.resolve(respond(rec)).then((reply) => {
        if (reply === 'hang') return;
        const send = (): void => {
          if (res.destroyed) return;
          res.writeHead(reply.status, { 'content-type': 'text/plain' });
          res.end(reply.body ?? '');
        };
        if (reply.delayMs) setTimeout(send, reply.delayMs);
        else send();
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    get requests() {
      return requests;
    },
    get open() {
      return open;
    },
    get maxOpen() {
      return maxOpen;
    },
    waitFor(n) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
