/**
 * The caller's keys for one IVR run. Every `dtmf` event of the channel lands here, including
 * the key that interrupted a barge-in prompt, so a caller who knows the menu can type ahead
 * ("press 1" while the welcome is still playing). Keys pressed during a prompt that does not
 * allow barge-in are dropped: the caller was told to listen.
 */
import type { Channel, Digit } from '../channel/channel.js';
import type { Clock } from '../core/clock.js';
import { VerbAborted } from './errors.js';

export class DtmfBuffer {
  /** False while a no-barge-in prompt plays. */
  accepting = true;
  private readonly keys: Digit[] = [];
  private waiter: ((d: Digit) => void) | null = null;
  private readonly onDtmf = (d: Digit): void => {
    if (!this.accepting) return;
    if (this.waiter) this.waiter(d);
    else this.keys.push(d);
  };

  constructor(
    private readonly channel: Channel,
    private readonly clock: Clock,
  ) {
    channel.on('dtmf', this.onDtmf);
  }

  get pending(): number {
    return this.keys.length;
  }

  clear(): void {
    this.keys.length = 0;
  }

  /** The next key, or null when none comes within `timeoutMs`. Throws VerbAborted when `signal` aborts. */
  next(timeoutMs: number, signal: AbortSignal): Promise<Digit | null> {
    if (signal.aborted) return Promise.reject(new VerbAborted());
    const queued = this.keys.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise<Digit | null>((resolve, reject) => {
      const done = (): void => {
        timer.cancel();
        this.waiter = null;
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(new VerbAborted());
      };
      const timer = this.clock.setTimeout(() => {
        done();
        resolve(null);
      }, timeoutMs);
      this.waiter = (d) => {
        done();
        resolve(d);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  dispose(): void {
    this.channel.off('dtmf', this.onDtmf);
    this.keys.length = 0;
  }
}
