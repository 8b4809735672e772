/**
 * Time, injected. Every timer in the appliance (SIP §17 timers, IVR timeouts, ACD ring and
 * wrap-up, work-order SLAs, webhook retry back-off) goes through a Clock so tests can drive
 * it with ManualClock (core/testing/manual-clock.ts) instead of sleeping.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch (what is stored and shown). */
  now(): number;
  /** Monotonic milliseconds, for measuring durations; never jumps with NTP steps. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Resolves after `ms` on this clock; rejects with the signal's reason if aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A Node timer as a TimerHandle (a class, not a closure per timer: SIP transactions start several per call). */
class NodeTimer implements TimerHandle {
  constructor(private readonly timer: NodeJS.Timeout) {}

  cancel(): void {
    // clearTimeout and clearInterval are the same function in Node.
    clearTimeout(this.timer);
  }
}

/** The real clock: Date.now, performance.now and Node timers. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  monotonic(): number {
    return performance.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return new NodeTimer(setTimeout(fn, Math.max(0, ms)));
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return new NodeTimer(setInterval(fn, Math.max(1, ms)));
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

/** sleep() in terms of setTimeout, shared by every Clock implementation. */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const systemClock: Clock = new SystemClock();
