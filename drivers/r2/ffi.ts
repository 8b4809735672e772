/**
 * koffi bindings to spandsp 0.0.6's MFC/R2 tone generator and receiver (`libspandsp.so.2`),
 * declared against `/usr/include/spandsp/bell_r2_mf.h` (0.0.6 has no separate r2_mf.h):
 *
 *   r2_mf_tx_state_t *r2_mf_tx_init(r2_mf_tx_state_t *s, int fwd);
 *   int r2_mf_tx_put(r2_mf_tx_state_t *s, char digit);
 *   int r2_mf_tx(r2_mf_tx_state_t *s, int16_t amp[], int samples);
 *   int r2_mf_tx_free(r2_mf_tx_state_t *s);
 *   r2_mf_rx_state_t *r2_mf_rx_init(r2_mf_rx_state_t *s, int fwd, tone_report_func_t cb, void *user_data);
 *   int r2_mf_rx(r2_mf_rx_state_t *s, const int16_t amp[], int samples);
 *   int r2_mf_rx_free(r2_mf_rx_state_t *s);
 *   typedef void (*tone_report_func_t)(void *user_data, int code, int level, int delay);   (super_tone_rx.h)
 *
 * spandsp names the 15 R2 signals by the characters "1234567890BCDEF" (signal 10 is '0', 11–15
 * are 'B'…'F'); `put` of NUL stops the tone. The receiver reports each change: the signal's
 * character when a tone pair is recognised, 0 when it ends. `fwd` picks the frequency set: the
 * forward (Group I/II) tones 1380–1980 Hz or the backward (Group A/B) tones 540–1140 Hz (Q.441).
 *
 * This module talks in signal numbers 1–15 and null; nothing else of drivers/r2 sees koffi.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { DriverError } from '../types.js';

declare const txBrand: unique symbol;
declare const rxBrand: unique symbol;
export type R2MfTxState = bigint & { readonly [txBrand]: true };
export type R2MfRxState = bigint & { readonly [rxBrand]: true };

/** spandsp's character for each R2 signal number, index = signal − 1. */
export const R2_SIGNAL_CHARS = '1234567890BCDEF';

export function signalToChar(signal: number): string {
  const c = R2_SIGNAL_CHARS[signal - 1];
  if (!Number.isInteger(signal) || c === undefined) throw new DriverError('r2_mf_tx_put', null, `R2 signals are 1–15, got ${signal}`);
  return c;
}

/** The signal number for a character spandsp reported, or null for "tone ended" / unknown. */
export function charToSignal(code: number): number | null {
  if (code === 0) return null;
  const i = R2_SIGNAL_CHARS.indexOf(String.fromCharCode(code));
  return i < 0 ? null : i + 1;
}

export interface R2Mf {
  txNew(forward: boolean): { state: R2MfTxState; release(): void };
  /** Start sending `signal` (1–15) continuously, or stop with null. */
  txPut(state: R2MfTxState, signal: number | null): void;
  /** Fill `out` with the current tone (silence when stopped); returns samples written. */
  tx(state: R2MfTxState, out: Int16Array): number;
  /** `onTone` is called synchronously inside `rx()` on every change (null = tone ended). */
  rxNew(forward: boolean, onTone: (signal: number | null) => void): { state: R2MfRxState; release(): void };
  rx(state: R2MfRxState, samples: Int16Array): void;
}

const TONE_REPORT = koffi.proto('void hotline_r2_tone_report_func_t(void *user_data, int code, int level, int delay)');

let loaded: R2Mf | null = null;

/** Loads spandsp's R2 MF functions once per process. Throws DriverError when the library is missing. */
export function loadR2Mf(path = 'libspandsp.so.2'): R2Mf {
  if (loaded) return loaded;
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (err) {
    throw new DriverError('dlopen', null, `cannot load ${path}`, { cause: err });
  }
  const f = {
    txInit: lib.func('void *r2_mf_tx_init(void *s, int fwd)'),
    txPut: lib.func('int r2_mf_tx_put(void *s, char digit)'),
    tx: lib.func('int r2_mf_tx(void *s, _Out_ int16_t *amp, int samples)'),
    txFree: lib.func('int r2_mf_tx_free(void *s)'),
    rxInit: lib.func('void *r2_mf_rx_init(void *s, int fwd, hotline_r2_tone_report_func_t *cb, void *user_data)'),
    rx: lib.func('int r2_mf_rx(void *s, const int16_t *amp, int samples)'),
    rxFree: lib.func('int r2_mf_rx_free(void *s)'),
  };
  loaded = {
    txNew(forward) {
      const state = f.txInit(null, forward ? 1 : 0) as bigint | null;
      if (state === null) throw new DriverError('r2_mf_tx_init', null, 'spandsp could not allocate an R2 MF generator');
      return { state: state as R2MfTxState, release: () => void f.txFree(state) };
    },
    txPut(state, signal) {
      const code = signal === null ? 0 : signalToChar(signal).charCodeAt(0);
      if ((f.txPut(state, code) as number) !== 0) throw new DriverError('r2_mf_tx_put', null, `spandsp refused R2 signal ${signal}`);
    },
    tx: (state, out) => f.tx(state, out, out.length) as number,
    rxNew(forward, onTone) {
      const cb = koffi.register((_u: unknown, code: number) => onTone(charToSignal(code)), koffi.pointer(TONE_REPORT));
      const state = f.rxInit(null, forward ? 1 : 0, cb, null) as bigint | null;
      if (state === null) {
        koffi.unregister(cb);
        throw new DriverError('r2_mf_rx_init', null, 'spandsp could not allocate an R2 MF receiver');
      }
      return {
        state: state as R2MfRxState,
        release() {
          f.rxFree(state);
          koffi.unregister(cb);
        },
      };
    },
    rx: (state, samples) => void f.rx(state, samples, samples.length),
  };
  return loaded;
}
