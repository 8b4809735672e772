/**
 * The HTTP shell every upstream simulator (GIS, installation; billing in
 * customers/testing/billing-simulator.ts shares the fault controls) runs in: SIMULATORS, for
 * the demo config and the tests, clearly not the utility's systems. A real server on
 * 127.0.0.1 (port 0 unless told), a bearer token, and fault injection the way real upstream
 * systems fail:
 *
 *   latencyMs        every answer is late (on the injected clock)
 *   failNext(n, s)   the next n requests answer status s (default 503)
 *   hang()           requests are held without an answer until release() (a hung back end)
 *   malformNext(n)   the next n answers are 200 with a body that is not JSON
 *
 * `requests` counts what reached the simulator, so tests can prove a breaker sent nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../core/clock.js';

export interface SimRequest {
  method: string;
  url: URL;
  /** Path segments after the leading slash. */
  parts: string[];
  body: unknown;
}

export type SimAnswer = { status: number; body: unknown };
export type SimHandler = (req: SimRequest) => SimAnswer;

export interface SimServerOptions {
  token?: string;
  latencyMs?: number;
  clock?: Clock;
  port?: number;
}

export const notFound = (what: string): SimAnswer => ({ status: 404, body: { error: 'not found', what } });

export class SimServer {
  readonly token: string;
  latencyMs: number;
  requests = 0;
  private server: Server | null = null;
  private failures: { n: number; status: number } = { n: 0, status: 503 };
  private malformed = 0;
  private held: Array<() => void> | null = null;
  private readonly clock: Clock;

  constructor(
    private readonly handler: SimHandler,
    private readonly opts: SimServerOptions = {},
  ) {
    this.token = opts.token ?? 'sim-token';
    this.latencyMs = opts.latencyMs ?? 0;
    this.clock = opts.clock ?? systemClock;
  }

  get url(): string {
    if (!this.server) throw new Error('simulator not started');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port ?? 0, '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.release();
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  failNext(n: number, status = 503): void {
    this.failures = { n, status };
  }

  malformNext(n: number): void {
    this.malformed = n;
  }

  /** Hold every request from now on without answering. */
  hang(): void {
    this.held ??= [];
  }

  /** Answer held requests and stop holding. */
  release(): void {
    const held = this.held;
    this.held = null;
    for (const go of held ?? []) go();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs);
    if (res.destroyed) return;
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, { error: 'unauthorized' });
    if (this.failures.n > 0) {
      this.failures.n--;
      return send(this.failures.status, { error: 'simulated failure' });
    }
    if (this.malformed > 0) {
      this.malformed--;
      res.writeHead(200, { 'content-type': 'application/json' }).end('<html>gateway error</html>');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://sim');
    let body: unknown = undefined;
    if (chunks.length > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(400, { error: 'body is not JSON' });
      }
    }
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const answer = this.handler({ method: req.method ?? 'GET', url, parts, body });
    send(answer.status, answer.body);
  }
}
