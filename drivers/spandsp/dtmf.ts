/**
 * DTMF (ITU-T Q.23 frequencies, Q.24 detection limits) through spandsp: a receiver that reports
 * digits found in 8 kHz linear audio and a generator that turns queued digits into audio.
 *
 * Both work on 16-bit linear samples, normally one 20 ms frame (160 samples) at a time; the A-law
 * ↔ linear step belongs to the media engine's G.711 codec (done in TypeScript, see
 * shared/NATIVE-PROBE.md §2a). Tones from the generator are spandsp's defaults: 50 ms on, 55 ms
 * off, -10 dBm0 per tone, which sit inside Q.24's acceptance window.
 */
import { DriverError } from '../types.js';
import { loadSpanDsp, type DtmfRxState, type DtmfTxState, type SpanDsp } from './ffi.js';

/** The 16 DTMF symbols, in keypad order. */
export const DTMF_DIGITS = '123A456B789C*0#D';
const VALID = new Set(DTMF_DIGITS);

/** Receiver adjustments (`dtmf_rx_parms`); anything left out keeps spandsp's default. */
export interface DtmfRxParms {
  /** Notch out 350/440 Hz dial tone before detection. */
  filterDialtone?: boolean;
  /** Acceptable twist (high group weaker than low), dB. */
  twistDb?: number;
  /** Acceptable reverse twist (low group weaker than high), dB. */
  reverseTwistDb?: number;
  /** Minimum level of each tone, dBm0. */
  thresholdDbm0?: number;
}

export class DtmfReceiver {
  private readonly dsp: SpanDsp;
  private readonly state: DtmfRxState;
  private readonly release: () => void;
  private closed = false;

  /** `onDigit` is called once per detected digit, synchronously inside `push()`. */
  constructor(onDigit: (digit: string) => void, dsp: SpanDsp = loadSpanDsp(), parms: DtmfRxParms = {}) {
    this.dsp = dsp;
    const rx = dsp.dtmfRxNew((digits) => {
      for (const d of digits) onDigit(d);
    });
    this.state = rx.state;
    this.release = rx.release;
    if (Object.keys(parms).length > 0) {
      dsp.dtmfRxParms(
        this.state,
        parms.filterDialtone === undefined ? -1 : parms.filterDialtone ? 1 : 0,
        parms.twistDb ?? -1,
        parms.reverseTwistDb ?? -1,
        parms.thresholdDbm0 ?? -99,
      );
    }
  }

  /** Feed linear samples (any length; normally 160). */
  push(samples: Int16Array): void {
    if (this.closed) throw new DriverError('dtmf_rx', null, 'DTMF receiver is closed');
    this.dsp.dtmfRx(this.state, samples);
  }

  /** Frees the spandsp state and unregisters the digits callback. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }
}

export class DtmfGenerator {
  private readonly dsp: SpanDsp;
  private readonly state: DtmfTxState;
  private readonly release: () => void;
  private closed = false;

  constructor(opts: { onMs?: number; offMs?: number } = {}, dsp: SpanDsp = loadSpanDsp()) {
    this.dsp = dsp;
    const tx = dsp.dtmfTxNew();
    this.state = tx.state;
    this.release = tx.release;
    if (opts.onMs !== undefined || opts.offMs !== undefined) {
      // spandsp: values <= 0 select its defaults (50 ms / 55 ms).
      dsp.dtmfTxSetTiming(this.state, opts.onMs ?? 0, opts.offMs ?? 0);
    }
  }

  /** Queue digits from DTMF_DIGITS. Throws DriverError on any other character or a full queue. */
  put(digits: string): void {
    if (this.closed) throw new DriverError('dtmf_tx_put', null, 'DTMF generator is closed');
    for (const d of digits) {
      if (!VALID.has(d)) throw new DriverError('dtmf_tx_put', null, `not a DTMF digit: ${JSON.stringify(d)}`);
    }
    const left = this.dsp.dtmfTxPut(this.state, digits);
    if (left !== 0) throw new DriverError('dtmf_tx_put', null, `DTMF queue full, ${left} digits not queued`);
  }

  /**
   * Fill `out` with the next samples. Returns how many were written; fewer than `out.length`
   * (the rest zeroed) means the queue ran empty, 0 that nothing is left to send.
   */
  generate(out: Int16Array): number {
    if (this.closed) throw new DriverError('dtmf_tx', null, 'DTMF generator is closed');
    const n = this.dsp.dtmfTx(this.state, out);
    if (n < out.length) out.fill(0, Math.max(0, n));
    return Math.max(0, n);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }
}
