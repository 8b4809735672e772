/**
 * Waiting on real peers in end-to-end tests (wall clock on purpose: a spawned daemon, baresip and
 * real sockets do not run on ManualClock). `until` polls a condition and names what it waited for
 * when it gives up, so a timed-out e2e test says which step never happened.
 */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type Polled<T> = T | null | undefined | false;

/**
 * Resolves with the first truthy value of `fn` (polled every `everyMs`), or rejects after `ms`
 * with "timed out waiting for <what>" plus whatever `detail()` adds (e.g. the daemon's stderr).
 */
export async function until<T>(what: string, fn: () => Polled<T> | Promise<Polled<T>>, ms = 10_000, o: { everyMs?: number; detail?: () => string } = {}): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${o.detail ? `; ${o.detail()}` : ''}`);
    await sleep(o.everyMs ?? 50);
  }
}
