/**
 * The simulated card's channels: a B channel (TdmChannel, G.711 A-law blocks of 20 ms), the
 * timeslot-16 D channel (DChannel, HDLC frames as DAHDI hands them over: LAPD frame + 2 FCS bytes)
 * and the Q.421 ABCD bits of a CAS timeslot. They only queue and hand over; the card's 20 ms tick
 * (sim-card.ts) moves what they queued across the virtual cable.
 */
import type { CasBits, DChannel, DChannelFault, TdmChannel } from '../types.js';
import { assertFrame, DriverError, FRAME_BYTES } from '../types.js';

/** A-law idle code sent when nothing was written (G.711 A-law "zero" with even-bit inversion). */
export const ALAW_IDLE = 0xd5;
const IDLE_BLOCK: Uint8Array = new Uint8Array(FRAME_BYTES).fill(ALAW_IDLE);
/** Blocks a B channel queues for transmission before it drops the oldest (an overrun). */
export const TX_QUEUE_BLOCKS = 8;

type FrameFn = (frame: Uint8Array) => void;

export class SimCasBits implements CasBits {
  rx = 0b1001;
  tx = 0b1001;
  private readonly listeners = new Set<(abcd: number) => void>();

  setTx(abcd: number): void {
    if (!Number.isInteger(abcd) || abcd < 0 || abcd > 15) throw new DriverError('DAHDI_SETTXBITS', null, `ABCD bits must be 0–15, got ${abcd}`);
    this.tx = abcd;
  }

  on(_event: 'change', fn: (abcd: number) => void): this {
    this.listeners.add(fn);
    return this;
  }

  off(_event: 'change', fn: (abcd: number) => void): this {
    this.listeners.delete(fn);
    return this;
  }

  /** Line side: the far end's bits as received. */
  receive(abcd: number): void {
    if (abcd === this.rx) return;
    this.rx = abcd;
    for (const fn of this.listeners) fn(abcd);
  }
}

export class SimTdmChannel implements TdmChannel {
  readonly codec = 'PCMA' as const;
  readonly cas: SimCasBits | null;
  private readonly txq: Uint8Array[] = [];
  private readonly listeners = new Set<FrameFn>();
  /** Blocks dropped because the transmit queue was full. */
  txOverruns = 0;
  /** Blocks handed to readers. */
  rxBlocks = 0;

  constructor(
    readonly spanNo: number,
    readonly timeslot: number,
    readonly chanNo: number,
    cas: boolean,
  ) {
    this.cas = cas ? new SimCasBits() : null;
  }

  on(_event: 'frame', fn: FrameFn): this {
    this.listeners.add(fn);
    return this;
  }

  off(_event: 'frame', fn: FrameFn): this {
    this.listeners.delete(fn);
    return this;
  }

  write(frame: Uint8Array): void {
    assertFrame('write', frame);
    if (this.txq.length >= TX_QUEUE_BLOCKS) {
      this.txq.shift();
      this.txOverruns++;
    }
    this.txq.push(frame.slice());
  }

  /** Line side: the next block to send; the shared idle block (do not modify) when none was written. */
  takeTx(): Uint8Array {
    return this.txq.shift() ?? IDLE_BLOCK;
  }

  /** Line side: is anyone reading? (The tick skips line-model work for unread channels.) */
  get listening(): boolean {
    return this.listeners.size > 0;
  }

  /** Line side: a received block. */
  deliver(frame: Uint8Array): void {
    this.rxBlocks++;
    for (const fn of this.listeners) fn(frame);
  }

  /** Drops queued blocks (span closed or cable pulled: the line no longer takes them). */
  flushTx(): void {
    this.txq.length = 0;
  }
}

/** Whether `frame` is the shared idle block (callers must copy before changing it). */
export function isIdleBlock(frame: Uint8Array): boolean {
  return frame === IDLE_BLOCK;
}

export class SimDChannel implements DChannel {
  readonly timeslot = 16;
  private readonly txq: Uint8Array[] = [];
  private readonly frameFns = new Set<FrameFn>();
  private readonly faultFns = new Set<(fault: DChannelFault) => void>();

  constructor(readonly spanNo: number) {}

  send(frame: Uint8Array): void {
    // Q.921 §2.1: the shortest LAPD frame is address (2) + control (1); DAHDI adds 2 FCS bytes.
    if (frame.length < 5) throw new DriverError('write', null, `HDLC frame too short: ${frame.length} bytes`);
    this.txq.push(frame.slice());
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

  /** Line side: every frame queued since the last tick. */
  takeTx(): Uint8Array[] {
    return this.txq.splice(0);
  }

  deliver(frame: Uint8Array): void {
    for (const fn of this.frameFns) fn(frame);
  }

  fault(f: DChannelFault): void {
    for (const fn of this.faultFns) fn(f);
  }

  flushTx(): void {
    this.txq.length = 0;
  }
}
