/**
 * DAHDI channels through /dev/dahdi/channel (dahdi/user.h): every channel is its own fd, opened
 * O_NONBLOCK and bound to a channel number with DAHDI_SPECIFY ("must be done before performing
 * any other ioctls"). A bearer then gets DAHDI_SET_BLOCKSIZE 160 (one 20 ms A-law block per
 * read/write) and DAHDI_SETLAW A-law; the timeslot-16 channel configured `hardhdlc` by dahdi_cfg
 * reads and writes one HDLC frame per call, with the two FCS bytes at the end as DAHDI and
 * libpri exchange them. CAS bits are DAHDI_SETTXBITS / DAHDI_GETRXBITS, re-read whenever
 * DAHDI_GETEVENT reports DAHDI_EVENT_BITSCHANGED. A read that finds an event pending fails with
 * errno ELAST; the event is then fetched and handled before reading on.
 */
import type { CasBits, DChannel, DChannelFault, TdmChannel } from '../types.js';
import { assertFrame, DriverError, FRAME_BYTES } from '../types.js';
import { EAGAIN, O_NONBLOCK, O_RDWR, type Libc } from './ffi.js';
import type { IoLoop } from './io-loop.js';
import * as H from './user-h.js';

function intBuf(v = 0): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}
const intOf = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);

/** An fd on /dev/dahdi/channel bound to `chanNo`; ioctl failures throw DriverError with errno. */
export class ChannelFd {
  readonly fd: number;

  constructor(
    readonly libc: Libc,
    devRoot: string,
    readonly chanNo: number,
  ) {
    const fd = libc.open(`${devRoot}/channel`, O_RDWR | O_NONBLOCK);
    if (fd < 0) throw new DriverError('open', libc.errno(), `cannot open ${devRoot}/channel for channel ${chanNo}`);
    this.fd = fd;
    try {
      this.ioctlInt('DAHDI_SPECIFY', H.DAHDI_SPECIFY, chanNo);
    } catch (err) {
      libc.close(fd);
      throw err;
    }
  }

  ioctlInt(name: string, request: number, value = 0): number {
    const b = intBuf(value);
    this.ioctl(name, request, b);
    return intOf(b);
  }

  ioctl(name: string, request: number, buf: Uint8Array): void {
    if (this.libc.ioctl(this.fd, request, buf) < 0) throw new DriverError(name, this.libc.errno(), `${name} failed on channel ${this.chanNo}`);
  }

  /** DAHDI_GETEVENT until DAHDI_EVENT_NONE. */
  drainEvents(onEvent: (e: number) => void): void {
    for (let i = 0; i < 64; i++) {
      const e = this.ioctlInt('DAHDI_GETEVENT', H.DAHDI_GETEVENT);
      if (e === H.DAHDI_EVENT.NONE) return;
      onEvent(e);
    }
  }

  /** One non-blocking read: bytes read, 0 when nothing is waiting, -1 when an event is pending. */
  read(buf: Uint8Array): number {
    const n = this.libc.read(this.fd, buf);
    if (n >= 0) return n;
    const errno = this.libc.errno();
    if (errno === EAGAIN) return 0;
    if (errno === H.DAHDI_ELAST) return -1;
    throw new DriverError('read', errno, `read failed on channel ${this.chanNo}`);
  }

  close(): void {
    this.libc.close(this.fd);
  }
}

export class DahdiCasBits implements CasBits {
  private rxNow: number;
  private readonly listeners = new Set<(abcd: number) => void>();

  constructor(private readonly ch: ChannelFd) {
    this.rxNow = ch.ioctlInt('DAHDI_GETRXBITS', H.DAHDI_GETRXBITS) & 0xf;
  }

  get rx(): number {
    return this.rxNow;
  }

  setTx(abcd: number): void {
    if (!Number.isInteger(abcd) || abcd < 0 || abcd > 15) throw new DriverError('DAHDI_SETTXBITS', null, `ABCD bits must be 0–15, got ${abcd}`);
    this.ch.ioctlInt('DAHDI_SETTXBITS', H.DAHDI_SETTXBITS, abcd);
  }

  on(_e: 'change', fn: (abcd: number) => void): this {
    this.listeners.add(fn);
    return this;
  }

  off(_e: 'change', fn: (abcd: number) => void): this {
    this.listeners.delete(fn);
    return this;
  }

  /** After DAHDI_EVENT_BITSCHANGED. */
  refresh(): void {
    const bits = this.ch.ioctlInt('DAHDI_GETRXBITS', H.DAHDI_GETRXBITS) & 0xf;
    if (bits === this.rxNow) return;
    this.rxNow = bits;
    for (const fn of this.listeners) fn(bits);
  }
}

type FrameFn = (frame: Uint8Array) => void;

export class DahdiTdmChannel implements TdmChannel {
  readonly codec = 'PCMA' as const;
  readonly cas: DahdiCasBits | null;
  private readonly listeners = new Set<FrameFn>();
  private readonly rxBuf = new Uint8Array(FRAME_BYTES);
  /** Writes the driver refused because its buffers were full. */
  txOverruns = 0;

  constructor(
    private readonly ch: ChannelFd,
    readonly spanNo: number,
    readonly timeslot: number,
    cas: boolean,
    loop: IoLoop,
    onEvent: (e: number) => void,
  ) {
    ch.ioctlInt('DAHDI_SET_BLOCKSIZE', H.DAHDI_SET_BLOCKSIZE, FRAME_BYTES);
    ch.ioctlInt('DAHDI_SETLAW', H.DAHDI_SETLAW, H.DAHDI_LAW_ALAW);
    this.cas = cas ? new DahdiCasBits(ch) : null;
    const handleEvent = (e: number): void => {
      if (e === H.DAHDI_EVENT.BITSCHANGED) this.cas?.refresh();
      else onEvent(e);
    };
    loop.add(ch.fd, {
      readable: () => {
        for (let i = 0; i < 16; i++) {
          const n = ch.read(this.rxBuf);
          if (n === 0) return;
          if (n < 0) ch.drainEvents(handleEvent);
          else if (n === FRAME_BYTES) for (const fn of this.listeners) fn(this.rxBuf);
        }
      },
      event: () => ch.drainEvents(handleEvent),
      error: () => undefined,
    });
  }

  get chanNo(): number {
    return this.ch.chanNo;
  }

  on(_e: 'frame', fn: FrameFn): this {
    this.listeners.add(fn);
    return this;
  }

  off(_e: 'frame', fn: FrameFn): this {
    this.listeners.delete(fn);
    return this;
  }

  write(frame: Uint8Array): void {
    assertFrame('write', frame);
    if (this.ch.libc.write(this.ch.fd, frame) < 0) this.txOverruns++;
  }
}

const HDLC_MAX = 1024;
const FAULTS: Readonly<Record<number, DChannelFault>> = { [H.DAHDI_EVENT.ABORT]: 'abort', [H.DAHDI_EVENT.BADFCS]: 'bad-fcs', [H.DAHDI_EVENT.OVERRUN]: 'overrun' };

export class DahdiDChannel implements DChannel {
  private readonly frameFns = new Set<FrameFn>();
  private readonly faultFns = new Set<(f: DChannelFault) => void>();
  private readonly rxBuf = new Uint8Array(HDLC_MAX);

  constructor(
    private readonly ch: ChannelFd,
    private readonly libc: Libc,
    readonly spanNo: number,
    loop: IoLoop,
    onEvent: (e: number) => void,
  ) {
    // Buffers as Asterisk's sig_pri sets them: 16 × 1024, immediate policy both ways.
    const bi = new Uint8Array(H.SIZEOF_DAHDI_BUFFERINFO);
    const dv = new DataView(bi.buffer);
    [H.DAHDI_POLICY_IMMEDIATE, H.DAHDI_POLICY_IMMEDIATE, 16, HDLC_MAX].forEach((v, i) => dv.setInt32(i * 4, v, true));
    ch.ioctl('DAHDI_SET_BUFINFO', H.DAHDI_SET_BUFINFO, bi);
    const handleEvent = (e: number): void => {
      const fault = FAULTS[e];
      if (fault) for (const fn of this.faultFns) fn(fault);
      else onEvent(e);
    };
    loop.add(ch.fd, {
      readable: () => {
        for (let i = 0; i < 16; i++) {
          const n = ch.read(this.rxBuf);
          if (n === 0) return;
          if (n < 0) ch.drainEvents(handleEvent);
          else if (n >= 3) {
            const frame = this.rxBuf.slice(0, n);
            for (const fn of this.frameFns) fn(frame);
          }
        }
      },
      event: () => ch.drainEvents(handleEvent),
      error: () => undefined,
    });
  }

  get timeslot(): number {
    return 16;
  }

  send(frame: Uint8Array): void {
    if (frame.length < 5) throw new DriverError('write', null, `HDLC frame too short: ${frame.length} bytes`);
    if (this.libc.write(this.ch.fd, frame) < 0) throw new DriverError('write', this.libc.errno(), `D channel write failed on span ${this.spanNo}`);
  }

  on(event: 'frame', fn: FrameFn): this;
  on(event: 'fault', fn: (fault: DChannelFault) => void): this;
  on(event: 'frame' | 'fault', fn: FrameFn | ((fault: DChannelFault) => void)): this {
    if (event === 'frame') this.frameFns.add(fn as FrameFn);
    else this.faultFns.add(fn as (fault: DChannelFault) => void);
    return this;
  }

  off(event: 'frame', fn: FrameFn): this;
  off(event: 'fault', fn: (fault: DChannelFault) => void): this;
  off(event: 'frame' | 'fault', fn: FrameFn | ((fault: DChannelFault) => void)): this {
    if (event === 'frame') this.frameFns.delete(fn as FrameFn);
    else this.faultFns.delete(fn as (fault: DChannelFault) => void);
    return this;
  }
}
