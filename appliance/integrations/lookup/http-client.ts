/**
 * The HTTP client every integration adapter (billing, GIS, installation) talks through: JSON
 * over HTTP with a per-attempt timeout, bounded retries with exponential back-off, and a
 * circuit breaker, all timed on the injected Clock.
 *
 * - Retried: network errors, timeouts, 429 and 5xx (RFC 9110 §15.6: server errors; RFC 6585
 *   §4 429). Only idempotent requests are retried (GET; a POST only when the caller marks it
 *   idempotent, e.g. a meter reading carrying its own request id).
 * - Not retried: other 4xx — the request itself is wrong; 404 is an answer (`not-found`).
 * - Every failed attempt counts against the breaker; while it is open, calls fail at once with
 *   kind `circuit-open` and no request is sent, so a dead back end costs callers nothing.
 * - The caller's AbortSignal (the IVR lookup's own timeout, or a hangup) stops the attempt in
 *   flight and any back-off wait; no retry follows.
 *
 * Failures are UpstreamError values with a `kind` callers match on, never the message.
 */
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { CircuitBreaker, type BreakerState } from './circuit-breaker.js';

export const UpstreamFailureKinds = ['timeout', 'network', 'status', 'bad-response', 'circuit-open', 'aborted'] as const;
export type UpstreamFailureKind = (typeof UpstreamFailureKinds)[number];

export class UpstreamError extends AppError {
  readonly kind: UpstreamFailureKind;
  readonly upstream: string;
  readonly status: number | null;

  constructor(upstream: string, kind: UpstreamFailureKind, message: string, status: number | null = null, options?: { cause?: unknown }) {
    super('UPSTREAM_UNAVAILABLE', `${upstream}: ${message}`, options);
    this.kind = kind;
    this.upstream = upstream;
    this.status = status;
  }
}

export type UpstreamAuth = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'header'; name: string; value: string };

export interface HttpClientOptions {
  /** Adapter name, for logs, errors and breaker events (`billing`, `gis`…). */
  name: string;
  baseUrl: string;
  auth?: UpstreamAuth;
  clock: Clock;
  log?: Logger;
  /** Per attempt (default 2000 ms). */
  timeoutMs?: number;
  /** Extra attempts after the first for retryable failures (default 2). */
  retries?: number;
  /** First back-off; doubles per retry (default 200 ms). */
  backoffMs?: number;
  /** Consecutive failed attempts that open the breaker (default 5). */
  breakerThreshold?: number;
  /** How long the breaker stays open (default 30 s). */
  breakerOpenMs?: number;
  onBreaker?: (from: BreakerState, to: BreakerState) => void;
  /** Injected for tests; default global fetch. */
  fetch?: typeof fetch;
}

export interface JsonResponse {
  status: number;
  /** Parsed JSON (null for 404 without a JSON body). */
  body: unknown;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  query?: Record<string, string>;
  body?: unknown;
  /** Safe to send twice (default: GET only). */
  idempotent?: boolean;
  signal?: AbortSignal;
}

type Attempt = { ok: true; res: JsonResponse } | { ok: false; error: UpstreamError; retryable: boolean };

export class HttpJsonClient {
  readonly breaker: CircuitBreaker;
  private readonly base: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly opts: HttpClientOptions) {
    this.base = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`;
    this.doFetch = opts.fetch ?? fetch;
    this.breaker = new CircuitBreaker({
      clock: opts.clock,
      failureThreshold: opts.breakerThreshold ?? 5,
      openMs: opts.breakerOpenMs ?? 30_000,
      onTransition: (from, to) => {
        opts.log?.warn({ upstream: opts.name, from, to }, 'circuit breaker changed');
        opts.onBreaker?.(from, to);
      },
    });
  }

  get name(): string {
    return this.opts.name;
  }

  /** 2xx and 404 resolve; everything else throws UpstreamError after the retries. */
  async request(path: string, ro: RequestOptions = {}): Promise<JsonResponse> {
    const method = ro.method ?? 'GET';
    const idempotent = ro.idempotent ?? method === 'GET';
    const retries = idempotent ? (this.opts.retries ?? 2) : 0;
    let last: UpstreamError | null = null;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (ro.signal?.aborted) throw new UpstreamError(this.opts.name, 'aborted', 'request cancelled by caller');
      if (attempt > 0) {
        const wait = (this.opts.backoffMs ?? 200) * 2 ** (attempt - 1);
        try {
          await this.opts.clock.sleep(wait, ro.signal);
        } catch {
          throw new UpstreamError(this.opts.name, 'aborted', 'request cancelled by caller');
        }
      }
      if (!this.breaker.allow()) {
        throw new UpstreamError(this.opts.name, 'circuit-open', `circuit open, next trial in ${this.breaker.retryInMs()} ms`);
      }
      const r = await this.attempt(path, method, ro);
      if (r.ok) {
        this.breaker.success();
        return r.res;
      }
      if (r.error.kind === 'aborted') {
        this.breaker.success(); // the caller gave up; says nothing about the upstream
        throw r.error;
      }
      this.breaker.failure();
      last = r.error;
      this.opts.log?.warn({ upstream: this.opts.name, path, attempt, kind: r.error.kind, status: r.error.status }, 'upstream attempt failed');
      if (!r.retryable) break;
    }
    throw last!;
  }

  private async attempt(path: string, method: 'GET' | 'POST', ro: RequestOptions): Promise<Attempt> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(ro.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json' };
    const auth = this.opts.auth ?? { kind: 'none' };
    if (auth.kind === 'bearer') headers['authorization'] = `Bearer ${auth.token}`;
    if (auth.kind === 'header') headers[auth.name.toLowerCase()] = auth.value;
    if (ro.body !== undefined) headers['content-type'] = 'application/json';

    const ctl = new AbortController();
    let timedOut = false;
    const timer = this.opts.clock.setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, this.opts.timeoutMs ?? 2000);
    const onCallerAbort = (): void => ctl.abort();
    ro.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const fail = (kind: UpstreamFailureKind, msg: string, retryable: boolean, status: number | null = null, cause?: unknown): Attempt => ({
      ok: false,
      error: new UpstreamError(this.opts.name, kind, msg, status, cause === undefined ? undefined : { cause }),
      retryable,
    });
    try {
      let res: Response;
      try {
        res = await this.doFetch(url, {
          method,
          headers,
          signal: ctl.signal,
          ...(ro.body !== undefined && { body: JSON.stringify(ro.body) }),
        });
      } catch (err) {
        if (timedOut) return fail('timeout', `no answer within ${this.opts.timeoutMs ?? 2000} ms`, true);
        if (ro.signal?.aborted) return fail('aborted', 'request cancelled by caller', false);
        return fail('network', (err as Error).message, true, null, err);
      }
      const text = await readText(res, ctl.signal).catch(() => null);
      if (text === null) {
        if (timedOut) return fail('timeout', `body not complete within ${this.opts.timeoutMs ?? 2000} ms`, true);
        if (ro.signal?.aborted) return fail('aborted', 'request cancelled by caller', false);
        return fail('network', 'connection lost while reading the body', true);
      }
      if (res.status === 404) return { ok: true, res: { status: 404, body: parseJson(text) ?? null } };
      if (res.status === 429 || res.status >= 500) return fail('status', `answered ${res.status}`, true, res.status);
      if (res.status < 200 || res.status >= 300) return fail('status', `answered ${res.status}`, false, res.status);
      const body = parseJson(text);
      if (body === undefined) return fail('bad-response', 'answer is not JSON', false, res.status);
      return { ok: true, res: { status: res.status, body } };
    } finally {
      timer.cancel();
      ro.signal?.removeEventListener('abort', onCallerAbort);
    }
  }
}

async function readText(res: Response, signal: AbortSignal): Promise<string> {
  if (signal.aborted) throw new Error('aborted');
  return res.text();
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
