/**
 * koffi bindings to Debian's spandsp 0.0.6 (`libspandsp.so.2`), declared against
 * `/usr/include/spandsp/{dtmf,fax,t30,t30_api,t30_logging}.h`. This is the only file of
 * drivers/spandsp that imports koffi; dtmf.ts and fax.ts see typed functions and branded pointers.
 *
 * 0.0.6 differs from the spandsp 3.x documentation found online:
 * - `dtmf_tx_init(s)` takes one argument (no callback, no user data);
 * - `t30_stats_t` is 15 ints (the rtp/rtn counters are `#if 0`), sizeof 60;
 * - the T.30 phase handlers are typedef'd as function types and passed as `handler *`.
 * Passing NULL as the state makes every `*_init` allocate; the matching `*_free` releases it.
 * Callbacks are registered per object and unregistered by that object's release(), after the
 * spandsp state that could call them has been freed.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { DriverError } from '../types.js';

declare const dtmfRxBrand: unique symbol;
declare const dtmfTxBrand: unique symbol;
declare const faxBrand: unique symbol;
declare const t30Brand: unique symbol;
export type DtmfRxState = bigint & { readonly [dtmfRxBrand]: true };
export type DtmfTxState = bigint & { readonly [dtmfTxBrand]: true };
export type FaxState = bigint & { readonly [faxBrand]: true };
export type T30State = bigint & { readonly [t30Brand]: true };

// t30.h: supported modems
export const T30_SUPPORT_V27TER = 0x01;
export const T30_SUPPORT_V29 = 0x02;
export const T30_SUPPORT_V17 = 0x04;
// t30.h: completion codes
export const T30_ERR_OK = 0;

/** t30.h `t30_stats_t` (0.0.6). */
export interface T30Stats {
  bitRate: number;
  errorCorrectingMode: boolean;
  pagesTx: number;
  pagesRx: number;
  pagesInFile: number;
  /** Pixels per metre. */
  xResolution: number;
  yResolution: number;
  width: number;
  length: number;
  imageSize: number;
  encoding: number;
  badRows: number;
  longestBadRowRun: number;
  errorCorrectingModeRetries: number;
  currentStatus: number;
}

export interface FaxHandlers {
  /** Phase B (negotiation) done; `result` is the last frame type received. */
  phaseB(result: number): void;
  /** Phase D (end of a page); `result` is the post-page message. */
  phaseD(result: number): void;
  /** Phase E (call over) with the T.30 completion code (T30_ERR_OK = 0). */
  phaseE(completionCode: number): void;
}

export interface SpanDsp {
  dtmfRxNew(onDigits: (digits: string) => void): { state: DtmfRxState; release(): void };
  /** Feeds samples; returns the number left unprocessed (0 in practice). */
  dtmfRx(state: DtmfRxState, samples: Int16Array): number;
  /**
   * `dtmf_rx_parms`: dial-tone filter (1/0, -1 = unchanged), acceptable twist and reverse twist
   * in dB (-1 = unchanged), minimum tone level in dBm0 (-99 = unchanged).
   */
  dtmfRxParms(state: DtmfRxState, filterDialtone: number, twistDb: number, reverseTwistDb: number, thresholdDbm0: number): void;
  dtmfTxNew(): { state: DtmfTxState; release(): void };
  /** Queues digits; returns the number that did not fit in spandsp's 128-digit buffer. */
  dtmfTxPut(state: DtmfTxState, digits: string): number;
  dtmfTxSetTiming(state: DtmfTxState, onMs: number, offMs: number): void;
  dtmfTxSetLevel(state: DtmfTxState, level: number, twist: number): void;
  /** Fills `out` with tone; returns samples written (0 once the queue is empty). */
  dtmfTx(state: DtmfTxState, out: Int16Array): number;

  faxNew(callingParty: boolean, handlers: FaxHandlers): { state: FaxState; t30: T30State; release(): void };
  faxSetTransmitOnIdle(state: FaxState, on: boolean): void;
  faxRx(state: FaxState, samples: Int16Array): number;
  faxTx(state: FaxState, out: Int16Array): number;
  t30SetTxIdent(t30: T30State, ident: string): void;
  t30GetRxIdent(t30: T30State): string;
  t30SetSupportedModems(t30: T30State, modems: number): void;
  t30SetEcm(t30: T30State, enabled: boolean): void;
  t30SetTxFile(t30: T30State, path: string): void;
  t30SetRxFile(t30: T30State, path: string): void;
  t30Stats(t30: T30State): T30Stats;
  completionText(code: number): string;
}

const DIGITS_PROTO = koffi.proto('void hotline_digits_rx_callback_t(void *user_data, const char *digits, int len)');
const PHASE_B_PROTO = koffi.proto('int hotline_t30_phase_b_handler_t(void *s, void *user_data, int result)');
const PHASE_D_PROTO = koffi.proto('int hotline_t30_phase_d_handler_t(void *s, void *user_data, int result)');
const PHASE_E_PROTO = koffi.proto('void hotline_t30_phase_e_handler_t(void *s, void *user_data, int completion_code)');
const T30_STATS = koffi.struct('hotline_t30_stats_t', {
  bit_rate: 'int',
  error_correcting_mode: 'int',
  pages_tx: 'int',
  pages_rx: 'int',
  pages_in_file: 'int',
  x_resolution: 'int',
  y_resolution: 'int',
  width: 'int',
  length: 'int',
  image_size: 'int',
  encoding: 'int',
  bad_rows: 'int',
  longest_bad_row_run: 'int',
  error_correcting_mode_retries: 'int',
  current_status: 'int',
});

/** sizeof(t30_stats_t) as koffi lays it out; 60 in 0.0.6. */
export const T30_STATS_SIZE = koffi.sizeof(T30_STATS);

/** koffi callbacks currently registered in this process (for leak checks in tests). */
export function liveCallbacks(): number {
  return koffi.stats().callbacks;
}

let loaded: SpanDsp | null = null;

/** Loads spandsp once per process. Throws DriverError when the library is missing. */
export function loadSpanDsp(path = 'libspandsp.so.2'): SpanDsp {
  if (loaded) return loaded;
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (err) {
    throw new DriverError('dlopen', null, `cannot load ${path}`, { cause: err });
  }
  const f = {
    dtmfRxInit: lib.func('void *dtmf_rx_init(void *s, hotline_digits_rx_callback_t *cb, void *user_data)'),
    dtmfRx: lib.func('int dtmf_rx(void *s, const int16_t *amp, int samples)'),
    dtmfRxFree: lib.func('int dtmf_rx_free(void *s)'),
    dtmfRxParms: lib.func('void dtmf_rx_parms(void *s, int filter_dialtone, int twist, int reverse_twist, int threshold)'),
    dtmfTxInit: lib.func('void *dtmf_tx_init(void *s)'),
    dtmfTxPut: lib.func('int dtmf_tx_put(void *s, const char *digits, int len)'),
    dtmfTxSetTiming: lib.func('void dtmf_tx_set_timing(void *s, int on_time, int off_time)'),
    dtmfTxSetLevel: lib.func('void dtmf_tx_set_level(void *s, int level, int twist)'),
    dtmfTx: lib.func('int dtmf_tx(void *s, _Out_ int16_t *amp, int max_samples)'),
    dtmfTxFree: lib.func('int dtmf_tx_free(void *s)'),
    faxInit: lib.func('void *fax_init(void *s, int calling_party)'),
    faxFree: lib.func('int fax_free(void *s)'),
    faxGetT30: lib.func('void *fax_get_t30_state(void *s)'),
    faxSetTransmitOnIdle: lib.func('void fax_set_transmit_on_idle(void *s, int transmit_on_idle)'),
    faxRx: lib.func('int fax_rx(void *s, int16_t *amp, int len)'),
    faxTx: lib.func('int fax_tx(void *s, _Out_ int16_t *amp, int max_len)'),
    t30SetTxIdent: lib.func('int t30_set_tx_ident(void *s, const char *id)'),
    t30GetRxIdent: lib.func('const char *t30_get_rx_ident(void *s)'),
    t30SetSupportedModems: lib.func('int t30_set_supported_modems(void *s, int supported_modems)'),
    t30SetEcm: lib.func('int t30_set_ecm_capability(void *s, int enabled)'),
    t30SetTxFile: lib.func('void t30_set_tx_file(void *s, const char *file, int start_page, int stop_page)'),
    t30SetRxFile: lib.func('void t30_set_rx_file(void *s, const char *file, int stop_page)'),
    t30SetPhaseB: lib.func('void t30_set_phase_b_handler(void *s, hotline_t30_phase_b_handler_t *h, void *user_data)'),
    t30SetPhaseD: lib.func('void t30_set_phase_d_handler(void *s, hotline_t30_phase_d_handler_t *h, void *user_data)'),
    t30SetPhaseE: lib.func('void t30_set_phase_e_handler(void *s, hotline_t30_phase_e_handler_t *h, void *user_data)'),
    t30GetStats: lib.func('void t30_get_transfer_statistics(void *s, _Out_ hotline_t30_stats_t *t)'),
    completionText: lib.func('const char *t30_completion_code_to_str(int result)'),
  };

  loaded = {
    dtmfRxNew(onDigits) {
      const cb = koffi.register((_u: unknown, digits: string | null, len: number) => {
        if (digits) onDigits(digits.slice(0, len));
      }, koffi.pointer(DIGITS_PROTO));
      const state = f.dtmfRxInit(null, cb, null) as bigint | null;
      if (state === null) {
        koffi.unregister(cb);
        throw new DriverError('dtmf_rx_init', null, 'spandsp could not allocate a DTMF receiver');
      }
      return {
        state: state as DtmfRxState,
        release() {
          f.dtmfRxFree(state);
          koffi.unregister(cb);
        },
      };
    },
    dtmfRx: (state, samples) => f.dtmfRx(state, samples, samples.length) as number,
    dtmfRxParms: (state, filterDialtone, twistDb, reverseTwistDb, thresholdDbm0) =>
      void f.dtmfRxParms(state, filterDialtone, twistDb, reverseTwistDb, thresholdDbm0),
    dtmfTxNew() {
      const state = f.dtmfTxInit(null) as bigint | null;
      if (state === null) throw new DriverError('dtmf_tx_init', null, 'spandsp could not allocate a DTMF generator');
      return { state: state as DtmfTxState, release: () => void f.dtmfTxFree(state) };
    },
    dtmfTxPut: (state, digits) => f.dtmfTxPut(state, digits, -1) as number,
    dtmfTxSetTiming: (state, onMs, offMs) => f.dtmfTxSetTiming(state, onMs, offMs),
    dtmfTxSetLevel: (state, level, twist) => f.dtmfTxSetLevel(state, level, twist),
    dtmfTx: (state, out) => f.dtmfTx(state, out, out.length) as number,

    faxNew(callingParty, handlers) {
      const state = f.faxInit(null, callingParty ? 1 : 0) as bigint | null;
      if (state === null) throw new DriverError('fax_init', null, 'spandsp could not allocate a fax session');
      const t30 = f.faxGetT30(state) as bigint;
      const b = koffi.register((_s: unknown, _u: unknown, result: number) => {
        handlers.phaseB(result);
        return T30_ERR_OK;
      }, koffi.pointer(PHASE_B_PROTO));
      const d = koffi.register((_s: unknown, _u: unknown, result: number) => {
        handlers.phaseD(result);
        return T30_ERR_OK;
      }, koffi.pointer(PHASE_D_PROTO));
      const e = koffi.register((_s: unknown, _u: unknown, code: number) => handlers.phaseE(code), koffi.pointer(PHASE_E_PROTO));
      f.t30SetPhaseB(t30, b, null);
      f.t30SetPhaseD(t30, d, null);
      f.t30SetPhaseE(t30, e, null);
      return {
        state: state as FaxState,
        t30: t30 as T30State,
        release() {
          f.faxFree(state);
          koffi.unregister(b);
          koffi.unregister(d);
          koffi.unregister(e);
        },
      };
    },
    faxSetTransmitOnIdle: (state, on) => f.faxSetTransmitOnIdle(state, on ? 1 : 0),
    faxRx: (state, samples) => f.faxRx(state, samples, samples.length) as number,
    faxTx: (state, out) => f.faxTx(state, out, out.length) as number,
    t30SetTxIdent: (t30, ident) => void f.t30SetTxIdent(t30, ident),
    t30GetRxIdent: (t30) => (f.t30GetRxIdent(t30) as string | null) ?? '',
    t30SetSupportedModems: (t30, modems) => void f.t30SetSupportedModems(t30, modems),
    t30SetEcm: (t30, enabled) => void f.t30SetEcm(t30, enabled ? 1 : 0),
    t30SetTxFile: (t30, path) => f.t30SetTxFile(t30, path, -1, -1),
    t30SetRxFile: (t30, path) => f.t30SetRxFile(t30, path, -1),
    t30Stats(t30) {
      const s: Record<string, number> = {};
      f.t30GetStats(t30, s);
      const n = (k: string): number => s[k] ?? 0;
      return {
        bitRate: n('bit_rate'),
        errorCorrectingMode: n('error_correcting_mode') !== 0,
        pagesTx: n('pages_tx'),
        pagesRx: n('pages_rx'),
        pagesInFile: n('pages_in_file'),
        xResolution: n('x_resolution'),
        yResolution: n('y_resolution'),
        width: n('width'),
        length: n('length'),
        imageSize: n('image_size'),
        encoding: n('encoding'),
        badRows: n('bad_rows'),
        longestBadRowRun: n('longest_bad_row_run'),
        errorCorrectingModeRetries: n('error_correcting_mode_retries'),
        currentStatus: n('current_status'),
      };
    },
    completionText: (code) => (f.completionText(code) as string | null) ?? `T.30 code ${code}`,
  };
  return loaded;
}
