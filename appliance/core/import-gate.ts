/**
 * One import at a time per kind (customers, calendar days): an import runs as one long write
 * transaction in its own thread (core/worker-job.ts), and a second one of the same kind would
 * only queue behind its write lock, or race it for the same accounts. The second is refused at
 * once with a CONFLICT (409) that names the running import: who started it, when, and how far
 * it has got.
 */
import type { Clock } from './clock.js';
import { ConflictError } from './errors.js';

export interface RunningImport {
  kind: string;
  /** What is being imported, for the refusal: "customers.csv, 48 213 bytes". */
  what: string;
  actor: string;
  startedAt: number;
  /** Rows done so far (progress from the thread). */
  done: number;
}

export class ImportGate {
  private readonly running = new Map<string, RunningImport>();

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  /** Claim `kind`; throws ConflictError naming the running import. Call `release` when done. */
  enter(kind: string, what: string, actor: string): { entry: RunningImport; release: () => void } {
    const busy = this.running.get(kind);
    if (busy) {
      throw new ConflictError(
        `a ${kind} import is already running: ${busy.what}, started by ${busy.actor} at ${new Date(busy.startedAt).toISOString()}, ${busy.done} rows done; try again when it has finished`,
      );
    }
    const entry: RunningImport = { kind, what, actor, startedAt: this.clock.now(), done: 0 };
    this.running.set(kind, entry);
    return { entry, release: () => void (this.running.get(kind) === entry && this.running.delete(kind)) };
  }

  /** The import of `kind` now running, if any. */
  current(kind: string): RunningImport | null {
    return this.running.get(kind) ?? null;
  }
}
