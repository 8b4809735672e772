/**
 * One register's MF transceiver on a B channel: spandsp's R2 MF generator in one direction and
 * its receiver (ITU-T Q.441 §4.3, compliant with Q.441D per spandsp) in the other, on A-law
 * blocks. The outgoing register sends forward tones (Group I/II) and hears backward ones
 * (Group A/B); the incoming register the reverse.
 *
 * `process(rxBlock)` runs once per received block: it feeds the receiver (which may call
 * `onSignal` synchronously) and returns the block to transmit, so the register's audio runs in
 * step with the line and keeps no time of its own.
 */
import { FRAME_BYTES } from '../types.js';
import { decodeAlaw, encodeAlaw } from '../g711.js';
import { loadR2Mf, type R2Mf, type R2MfRxState, type R2MfTxState } from './ffi.js';

export class MfTransceiver {
  private readonly mf: R2Mf;
  private readonly tx: { state: R2MfTxState; release(): void };
  private readonly rx: { state: R2MfRxState; release(): void };
  private readonly pcmIn = new Int16Array(FRAME_BYTES);
  private readonly pcmOut = new Int16Array(FRAME_BYTES);
  private sendingNow: number | null = null;
  private hearingNow: number | null = null;
  private closed = false;

  /**
   * `role: 'outgoing'` sends forward and detects backward tones; `'incoming'` the reverse.
   * `onSignal(signal)` reports every change of the far end's tone (null when it stops).
   */
  constructor(
    readonly role: 'outgoing' | 'incoming',
    onSignal: (signal: number | null) => void,
    mf: R2Mf = loadR2Mf(),
  ) {
    this.mf = mf;
    this.tx = mf.txNew(role === 'outgoing');
    this.rx = mf.rxNew(role === 'incoming', (s) => {
      if (s === this.hearingNow) return;
      this.hearingNow = s;
      onSignal(s);
    });
  }

  /** The signal being sent now, or null. */
  get sending(): number | null {
    return this.sendingNow;
  }

  /** The far end's signal being heard now, or null. */
  get hearing(): number | null {
    return this.hearingNow;
  }

  /** Send `signal` (1–15) until told otherwise; null stops. Re-sending the same signal is a no-op. */
  send(signal: number | null): void {
    if (this.closed || signal === this.sendingNow) return;
    this.sendingNow = signal;
    this.mf.txPut(this.tx.state, signal);
  }

  /** One received A-law block in, one A-law block to transmit out. */
  process(rxBlock: Uint8Array): Uint8Array {
    if (this.closed) return encodeAlaw(this.pcmOut.fill(0));
    this.mf.rx(this.rx.state, decodeAlaw(rxBlock, this.pcmIn));
    const n = this.mf.tx(this.tx.state, this.pcmOut);
    if (n < this.pcmOut.length) this.pcmOut.fill(0, Math.max(0, n));
    return encodeAlaw(this.pcmOut);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tx.release();
    this.rx.release();
  }
}
