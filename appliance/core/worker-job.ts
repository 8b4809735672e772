/**
 * One job in its own worker thread, for work too long for the main thread (which carries every
 * call's SIP signalling): bulk imports (customers/customer-import-thread.ts). The main thread
 * posts the input as the thread's workerData and awaits one answer; the thread runs the job
 * once, reports progress as it goes, posts the result or the error, and exits.
 *
 *   main                                   worker (serveWorkerJob)
 *   runWorkerJob(url, entry, data) ──────▶ job(data, progress)
 *        ◀── { kind: 'progress', done }     …
 *        ◀── { kind: 'done', result }  |  { kind: 'failed', error }  → exit
 *
 * Errors cross the thread boundary as values (`WireError`) and come back as the same AppError
 * subclasses (ValidationError with its issues, ParseError with its offset), so the REST error
 * map answers exactly as it did when the job ran in-process. A thread that ends without an
 * answer (killed, crashed, out of memory) rejects with INTERNAL naming the job and exit code.
 */
import { parentPort, workerData, type Worker } from 'node:worker_threads';
import { type Clock, SystemClock } from './clock.js';
import { AppError, ErrorCodes, ParseError, ValidationError, type ErrorCode, type FieldIssue } from './errors.js';
import { spawnSiblingWorker } from './spawn-worker.js';

export interface WireError {
  code: ErrorCode;
  message: string;
  issues?: FieldIssue[];
  offset?: number;
}

export type FromJob<R> = { kind: 'progress'; done: number } | { kind: 'done'; result: R } | { kind: 'failed'; error: WireError };

export function toWireError(err: unknown): WireError {
  if (err instanceof ValidationError) return { code: err.code, message: err.message, issues: err.issues.map((i) => ({ path: i.path, message: i.message })) };
  if (err instanceof ParseError) return { code: err.code, message: err.message, offset: err.offset };
  if (err instanceof AppError) return { code: err.code, message: err.message };
  if ((err as { code?: unknown } | null)?.code === 'SQLITE_FULL') return { code: 'DB_FULL', message: 'storage is full; nothing was written' };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export function fromWireError(w: WireError): AppError {
  if (w.code === 'VALIDATION') return new ValidationError(w.message, w.issues ?? []);
  if (w.code === 'PARSE') return new ParseError(w.message, w.offset ?? 0);
  return new AppError((ErrorCodes as readonly string[]).includes(w.code) ? w.code : 'INTERNAL', w.message);
}

export interface WorkerJob<R> {
  readonly result: Promise<R>;
  readonly worker: Worker;
  /** Stop the thread now; `result` rejects (INTERNAL) unless it already settled. */
  terminate(): Promise<void>;
}

export interface RunWorkerJobOptions {
  /** The job's name in errors: "customer import". */
  what: string;
  onProgress?: (done: number) => void;
}

/** Start `entryBaseName` (a sibling of `callerUrl`) with `data` and await its one answer. */
export function runWorkerJob<R>(callerUrl: string, entryBaseName: string, data: unknown, opts: RunWorkerJobOptions): WorkerJob<R> {
  const worker = spawnSiblingWorker(callerUrl, entryBaseName, data);
  const result = new Promise<R>((resolve, reject) => {
    let settled = false;
    let failure: string | null = null;
    worker.on('message', (m: FromJob<R>) => {
      if (settled) return;
      if (m.kind === 'progress') opts.onProgress?.(m.done);
      else if (m.kind === 'done') {
        settled = true;
        resolve(m.result);
      } else {
        settled = true;
        reject(fromWireError(m.error));
      }
    });
    worker.on('error', (err) => {
      failure = err instanceof Error ? err.message : String(err);
    });
    worker.on('exit', (code) => {
      if (settled) return;
      settled = true;
      reject(new AppError('INTERNAL', `the ${opts.what} thread stopped (exit code ${code}${failure ? `: ${failure}` : ''}) before it finished; nothing was stored`));
    });
  });
  return {
    result,
    worker,
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/**
 * The worker side: run `job` once on this thread's workerData, post progress and the answer.
 * Only for a module started by runWorkerJob.
 */
export function serveWorkerJob<D, R>(job: (data: D, progress: (done: number) => void) => R | Promise<R>): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorkerJob runs only in a worker thread');
  const post = (m: FromJob<R>): void => port.postMessage(m);
  void (async () => {
    try {
      post({ kind: 'done', result: await job(workerData as D, (done) => post({ kind: 'progress', done })) });
    } catch (err) {
      post({ kind: 'failed', error: toWireError(err) });
    }
  })();
}

/**
 * The main thread's wall clock carried into a worker: `now()` starts where the main thread's
 * clock stood when the job was posted (a ManualClock in tests) and runs on with real time.
 */
export function carriedClock(startWallMs: number): Clock {
  const base = new SystemClock();
  const t0 = base.monotonic();
  return {
    now: () => startWallMs + Math.floor(base.monotonic() - t0),
    monotonic: () => base.monotonic(),
    setTimeout: (fn, ms) => base.setTimeout(fn, ms),
    setInterval: (fn, ms) => base.setInterval(fn, ms),
    sleep: (ms, signal) => base.sleep(ms, signal),
  };
}
