/**
 * One poll(2) loop for every open DAHDI fd. The poll runs as a koffi `.async` call on a libuv
 * worker thread, so the event loop is never blocked; when it returns, the ready fds are served
 * on the main thread with non-blocking reads (each a few µs), and the next poll is armed. At most
 * one poll is in flight; fds added meanwhile join at the next round (the poll times out every
 * `maxWaitMs`, 20 ms by default, one TDM block).
 */
import { POLLERR, POLLIN, POLLPRI, type Libc } from './ffi.js';

export interface FdHandler {
  /** POLLIN: data (audio blocks or HDLC frames) to read. */
  readable(): void;
  /** POLLPRI: a DAHDI event is waiting (DAHDI_GETEVENT). */
  event(): void;
  /** POLLERR/POLLHUP, or the poll itself failed. */
  error(revents: number): void;
}

export class IoLoop {
  private readonly handlers = new Map<number, FdHandler>();
  private polling = false;
  private stopped = false;
  /** Completed poll rounds (for tests and metrics). */
  rounds = 0;

  constructor(
    private readonly libc: Libc,
    private readonly maxWaitMs = 20,
  ) {}

  add(fd: number, h: FdHandler): void {
    this.handlers.set(fd, h);
    this.arm();
  }

  remove(fd: number): void {
    this.handlers.delete(fd);
  }

  stop(): void {
    this.stopped = true;
  }

  private arm(): void {
    if (this.polling || this.stopped || this.handlers.size === 0) return;
    const fds = [...this.handlers.keys()];
    const buf = new Uint8Array(8 * fds.length);
    const dv = new DataView(buf.buffer);
    fds.forEach((fd, i) => {
      dv.setInt32(i * 8, fd, true);
      dv.setInt16(i * 8 + 4, POLLIN | POLLPRI, true);
    });
    this.polling = true;
    this.libc.pollAsync(buf, fds.length, this.maxWaitMs, (err, ready) => {
      this.polling = false;
      this.rounds++;
      if (!err && ready > 0) {
        fds.forEach((fd, i) => {
          const revents = dv.getInt16(i * 8 + 6, true);
          const h = this.handlers.get(fd);
          if (!h || revents === 0) return;
          if (revents & POLLPRI) h.event();
          if (revents & POLLIN) h.readable();
          if (revents & ~(POLLIN | POLLPRI)) h.error(revents);
        });
      } else if (err) {
        for (const h of this.handlers.values()) h.error(POLLERR);
      }
      this.arm();
    });
  }
}
