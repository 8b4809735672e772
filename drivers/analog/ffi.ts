/**
 * koffi binding of spandsp's ADSI module (spandsp/adsi.h, libspandsp2 0.0.6): the modems and
 * framing of on-hook caller-ID as an analog line carries it between rings:
 *  - ADSI_STANDARD_CLIP: ETSI EN 300 659-1/-3, ITU-T V.23 FSK (1300/2100 Hz), MDMF messages;
 *  - ADSI_STANDARD_CLASS: Bellcore GR-30 (Bell 202 FSK, 1200/2200 Hz), MDMF messages;
 *  - ADSI_STANDARD_CLIP_DTMF: ETSI EN 300 659-1 annex B / ITU-T Q.23 digits ("A<number>C").
 * China's PSTN sends both FSK (YD/T 1277, Bell 202 or V.23 modulation) and DTMF caller-ID.
 *
 * Messages are built and parsed with spandsp's own `adsi_add_field` / `adsi_next_field`, so the
 * byte layout (message type, length, parameter TLVs, checksum) is spandsp's, not ours.
 * Contexts are allocated by spandsp (`*_init(NULL, …)`) and freed by release(), which also
 * unregisters the receive callback.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { DriverError } from '../types.js';

export const ADSI_STANDARD = { CLASS: 1, CLIP: 2, CLIP_DTMF: 5 } as const;
export type AdsiStandard = (typeof ADSI_STANDARD)[keyof typeof ADSI_STANDARD];

/** Opaque spandsp context. */
export type AdsiState = unknown;

export interface Adsi {
  txNew(standard: AdsiStandard): { state: AdsiState; release(): void };
  /** Append a field to `msg` (the first call, with `len` 0, writes the message type); returns the new length. */
  addField(tx: AdsiState, msg: Uint8Array, len: number, type: number, body: Uint8Array): number;
  /** Queue a whole message; returns the length taken (0 when one is still being sent, -1 when invalid). */
  putMessage(tx: AdsiState, msg: Uint8Array, len: number): number;
  /** Generate up to `out.length` samples; returns how many were written. */
  tx(tx: AdsiState, out: Int16Array): number;
  rxNew(standard: AdsiStandard, onMessage: (msg: Uint8Array) => void): { state: AdsiState; release(): void };
  rx(rx: AdsiState, samples: Int16Array): void;
  /** The fields of a received message: [type, body] pairs (the first is the message type, empty body). */
  fields(rx: AdsiState, msg: Uint8Array): Array<[number, Uint8Array]>;
}

const PUT_MSG = koffi.proto('void hotline_adsi_put_msg_t(void *user_data, const uint8_t *msg, int len)');

let loaded: Adsi | null = null;

export function loadAdsi(path = 'libspandsp.so.2'): Adsi {
  if (loaded) return loaded;
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (err) {
    throw new DriverError('dlopen', null, `cannot load ${path}`, { cause: err });
  }
  const f = {
    txInit: lib.func('void *adsi_tx_init(void *s, int standard)'),
    txFree: lib.func('int adsi_tx_free(void *s)'),
    addField: lib.func('int adsi_add_field(void *s, _Inout_ uint8_t *msg, int len, uint8_t field_type, const uint8_t *field_body, int field_len)'),
    putMessage: lib.func('int adsi_tx_put_message(void *s, const uint8_t *msg, int len)'),
    tx: lib.func('int adsi_tx(void *s, _Out_ int16_t *amp, int max_len)'),
    rxInit: lib.func('void *adsi_rx_init(void *s, int standard, hotline_adsi_put_msg_t *put_msg, void *user_data)'),
    rxFree: lib.func('int adsi_rx_free(void *s)'),
    rx: lib.func('int adsi_rx(void *s, const int16_t *amp, int len)'),
    nextField: lib.func('int adsi_next_field(void *s, const uint8_t *msg, int msg_len, int pos, _Out_ uint8_t *field_type, _Out_ void **field_body, _Out_ int *field_len)'),
  };
  loaded = {
    txNew(standard) {
      const state = f.txInit(null, standard) as unknown;
      if (state === null) throw new DriverError('adsi_tx_init', null, 'spandsp could not allocate an ADSI transmitter');
      let freed = false;
      return {
        state,
        release: () => {
          if (freed) return;
          freed = true;
          f.txFree(state);
        },
      };
    },
    addField: (tx, msg, len, type, body) => f.addField(tx, msg, len, type, body.length > 0 ? body : null, body.length) as number,
    putMessage: (tx, msg, len) => f.putMessage(tx, msg, len) as number,
    tx: (tx, out) => f.tx(tx, out, out.length) as number,
    rxNew(standard, onMessage) {
      const cb = koffi.register((_u: unknown, msg: unknown, len: number) => {
        // A negative length is a modem status report (carrier up/down), not a message.
        if (len > 0 && msg !== null) onMessage(Uint8Array.from(koffi.decode(msg, koffi.array('uint8_t', len)) as number[]));
      }, koffi.pointer(PUT_MSG));
      const state = f.rxInit(null, standard, cb, null) as unknown;
      if (state === null) {
        koffi.unregister(cb);
        throw new DriverError('adsi_rx_init', null, 'spandsp could not allocate an ADSI receiver');
      }
      let freed = false;
      return {
        state,
        release: () => {
          if (freed) return;
          freed = true;
          f.rxFree(state);
          koffi.unregister(cb);
        },
      };
    },
    rx: (rx, samples) => void f.rx(rx, samples, samples.length),
    fields(rx, msg) {
      const out: Array<[number, Uint8Array]> = [];
      const type = new Uint8Array(1);
      const body: unknown[] = [null];
      const len = new Int32Array(1);
      let pos = 0;
      for (let guard = 0; guard < 64; guard++) {
        pos = f.nextField(rx, msg, msg.length, pos, type, body, len) as number;
        if (pos <= 0) break;
        const n = len[0] as number;
        const ptr = body[0];
        out.push([type[0] as number, n > 0 && ptr ? Uint8Array.from(koffi.decode(ptr, koffi.array('uint8_t', n)) as number[]) : new Uint8Array(0)]);
        if (pos >= msg.length) break;
      }
      return out;
    },
  };
  return loaded;
}
