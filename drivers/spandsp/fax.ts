/**
 * A fax terminal over audio: ITU-T T.30 procedures (phases A–E) with the V.21 / V.27ter / V.29 /
 * V.17 modems, ECM per T.30 Annex A, TIFF-F pages (T.4 1-D/2-D), all in spandsp's `fax_state_t`.
 *
 * The caller of this class owns the sample clock: feed what the line delivered with `rx()` and ask
 * for what to send with `tx()`, one 20 ms block (160 samples at 8 kHz) each way per tick. There
 * are no timers here; T.30's timers (T1–T5) run on the sample count, so 44 s of simulated call
 * takes a few hundredths of a second when two terminals are looped back to back.
 *
 * How a session ended is a value (`FaxOutcome`, with the T.30 completion code), not an error:
 * a far end that is not a fax machine is an ordinary telephony outcome.
 */
import { DriverError } from '../types.js';
import {
  loadSpanDsp,
  T30_ERR_OK,
  T30_SUPPORT_V17,
  T30_SUPPORT_V27TER,
  T30_SUPPORT_V29,
  type FaxState,
  type SpanDsp,
  type T30State,
  type T30Stats,
} from './ffi.js';

export type { T30Stats };

export const FaxModems = ['v27ter', 'v29', 'v17'] as const;
export type FaxModem = (typeof FaxModems)[number];
const modemBit: Readonly<Record<FaxModem, number>> = { v27ter: T30_SUPPORT_V27TER, v29: T30_SUPPORT_V29, v17: T30_SUPPORT_V17 };

export interface FaxOptions {
  /** The calling terminal sends CNG and waits for CED/DIS; the answering one sends CED and DIS. */
  role: 'caller' | 'answerer';
  /** Send `file` (a TIFF-F: 1728 px wide, 204×98 or 204×196 dpi) or receive into it. */
  direction: 'send' | 'receive';
  file: string;
  /** Our TSI/CSI, up to 20 characters (T.30 §5.3.6.2.4). */
  ident?: string;
  modems?: readonly FaxModem[];
  ecm?: boolean;
}

export interface FaxOutcome {
  /** T.30 completion code; 0 (T30_ERR_OK) is success. */
  readonly completionCode: number;
  readonly completionText: string;
  readonly ok: boolean;
  readonly remoteIdent: string;
  readonly stats: T30Stats;
}

export interface FaxEvents {
  phaseB: { readonly result: number };
  phaseD: { readonly result: number; readonly stats: T30Stats };
  phaseE: FaxOutcome;
}
type Name = keyof FaxEvents;

export class FaxTerminal {
  private readonly dsp: SpanDsp;
  private readonly state: FaxState;
  private readonly t30: T30State;
  private readonly release: () => void;
  private readonly listeners = new Map<Name, Set<(p: never) => void>>();
  private finished: FaxOutcome | null = null;
  private closed = false;

  constructor(opts: FaxOptions, dsp: SpanDsp = loadSpanDsp()) {
    if ((opts.ident ?? '').length > 20) throw new DriverError('t30_set_tx_ident', null, 'fax ident is limited to 20 characters');
    this.dsp = dsp;
    const session = dsp.faxNew(opts.role === 'caller', {
      phaseB: (result) => this.emit('phaseB', { result }),
      phaseD: (result) => this.emit('phaseD', { result, stats: dsp.t30Stats(this.t30) }),
      phaseE: (code) => {
        this.finished = {
          completionCode: code,
          completionText: dsp.completionText(code),
          ok: code === T30_ERR_OK,
          remoteIdent: dsp.t30GetRxIdent(this.t30),
          stats: dsp.t30Stats(this.t30),
        };
        this.emit('phaseE', this.finished);
      },
    });
    this.state = session.state;
    this.t30 = session.t30;
    this.release = session.release;
    dsp.faxSetTransmitOnIdle(this.state, true);
    if (opts.ident) dsp.t30SetTxIdent(this.t30, opts.ident);
    dsp.t30SetSupportedModems(this.t30, (opts.modems ?? FaxModems).reduce((m, k) => m | modemBit[k], 0));
    dsp.t30SetEcm(this.t30, opts.ecm ?? true);
    if (opts.direction === 'send') dsp.t30SetTxFile(this.t30, opts.file);
    else dsp.t30SetRxFile(this.t30, opts.file);
  }

  /** Set once phase E has run. */
  get outcome(): FaxOutcome | null {
    return this.finished;
  }

  on<K extends Name>(event: K, fn: (p: FaxEvents[K]) => void): this {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(fn as (p: never) => void);
    return this;
  }

  /** Audio received from the line (linear, 8 kHz). */
  rx(samples: Int16Array): void {
    this.assertOpen('fax_rx');
    this.dsp.faxRx(this.state, samples);
  }

  /** Audio to send to the line; fills `out` (silence when idle) and returns the count. */
  tx(out: Int16Array): number {
    this.assertOpen('fax_tx');
    const n = this.dsp.faxTx(this.state, out);
    if (n < out.length) out.fill(0, Math.max(0, n));
    return out.length;
  }

  stats(): T30Stats {
    this.assertOpen('t30_get_transfer_statistics');
    return this.dsp.t30Stats(this.t30);
  }

  /** Frees the spandsp state (closing the TIFF files) and unregisters the phase handlers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.listeners.clear();
  }

  private assertOpen(fn: string): void {
    if (this.closed) throw new DriverError(fn, null, 'fax terminal is closed');
  }

  private emit<K extends Name>(event: K, payload: FaxEvents[K]): void {
    for (const fn of this.listeners.get(event) ?? []) (fn as (p: FaxEvents[K]) => void)(payload);
  }
}
