/**
 * On-hook caller-ID as line audio (issue 5 "Analog: FXS … send caller-ID; FXO detect ring and
 * caller-ID"), over spandsp's ADSI modems (ffi.ts):
 *
 *  - `fsk-v23`: ETSI EN 300 659-3 MDMF "call set-up" message (type 0x80) with the calling line
 *    identity (parameter 0x02) or, when withheld, the reason for absence (0x04: "P" private,
 *    "O" unavailable), and the calling party name (0x07); V.23 FSK (EN 300 659-1);
 *  - `fsk-bell202`: the same parameters in a Bellcore MDMF message, Bell 202 FSK;
 *  - `dtmf`: EN 300 659-1 annex B digits, `A<number>C`, or `B<reason>C` when withheld.
 *
 * `encodeCallerId` renders a CallerId into 8 kHz linear samples to play between rings;
 * `CallerIdReceiver` takes the line's samples and reports each complete CallerId once.
 */
import type { CallerId } from '../types.js';
import { ADSI_STANDARD, loadAdsi, type Adsi, type AdsiStandard } from './ffi.js';

/** EN 300 659-3 §5.3 parameter types (Bellcore MDMF uses the same codes). */
const MDMF_CALLERID = 0x80;
const PARAM_NUMBER = 0x02;
const PARAM_ABSENCE = 0x04;
const PARAM_NAME = 0x07;
/** EN 300 659-1 annex B: A = calling number follows, B = reason for absence, C = end. */
const DTMF_NUMBER = 'A';
const DTMF_ABSENCE = 'B';

const ascii = (s: string): Uint8Array => Uint8Array.from([...s].map((c) => c.charCodeAt(0) & 0x7f));
const text = (b: Uint8Array): string => String.fromCharCode(...b);

function standardOf(method: CallerId['method']): AdsiStandard {
  return method === 'fsk-v23' ? ADSI_STANDARD.CLIP : method === 'fsk-bell202' ? ADSI_STANDARD.CLASS : ADSI_STANDARD.CLIP_DTMF;
}

/** The caller-ID as line audio (8 kHz linear), ready to play in the silence after the first ring. */
export function encodeCallerId(cid: CallerId, adsi: Adsi = loadAdsi()): Int16Array {
  const tx = adsi.txNew(standardOf(cid.method));
  try {
    const msg = new Uint8Array(256);
    let len: number;
    if (cid.method === 'dtmf') {
      const body = cid.presentation === 'allowed' ? `${DTMF_NUMBER}${cid.number}C` : `${DTMF_ABSENCE}${cid.presentation === 'restricted' ? '00' : '10'}C`;
      msg.set(ascii(body));
      len = body.length;
    } else {
      len = adsi.addField(tx.state, msg, 0, MDMF_CALLERID, new Uint8Array(0));
      if (cid.presentation === 'allowed') len = adsi.addField(tx.state, msg, len, PARAM_NUMBER, ascii(cid.number));
      else len = adsi.addField(tx.state, msg, len, PARAM_ABSENCE, ascii(cid.presentation === 'restricted' ? 'P' : 'O'));
      if (cid.name && cid.presentation === 'allowed') len = adsi.addField(tx.state, msg, len, PARAM_NAME, ascii(cid.name));
    }
    if (adsi.putMessage(tx.state, msg, len) <= 0) throw new Error(`spandsp refused the ${cid.method} caller-ID message`);
    const chunks: Int16Array[] = [];
    for (let guard = 0; guard < 400; guard++) {
      const block = new Int16Array(160);
      const n = adsi.tx(tx.state, block);
      if (n <= 0) break;
      chunks.push(block.subarray(0, n));
    }
    const out = new Int16Array(chunks.reduce((s, c) => s + c.length, 0));
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  } finally {
    tx.release();
  }
}

/** Listens to a line for one caller-ID method; `onCallerId` once per complete message. */
export class CallerIdReceiver {
  private readonly rx: { state: unknown; release(): void };
  private closed = false;

  constructor(
    readonly method: CallerId['method'],
    onCallerId: (cid: CallerId) => void,
    private readonly adsi: Adsi = loadAdsi(),
  ) {
    this.rx = adsi.rxNew(standardOf(method), (msg) => {
      const cid = this.parse(msg);
      if (cid) onCallerId(cid);
    });
  }

  push(samples: Int16Array): void {
    if (!this.closed) this.adsi.rx(this.rx.state, samples);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rx.release();
  }

  private parse(msg: Uint8Array): CallerId | null {
    const method = this.method;
    if (method === 'dtmf') {
      const s = text(msg);
      const m = /^([AB])([0-9*#]*)C?$/.exec(s.replace(/[#]$/, 'C'));
      if (!m) return null;
      if (m[1] === DTMF_ABSENCE) return { number: '', presentation: m[2] === '00' ? 'restricted' : 'unavailable', method };
      return { number: m[2] ?? '', presentation: 'allowed', method };
    }
    let number = '';
    let name: string | undefined;
    let absence: string | null = null;
    let callerId = false;
    for (const [type, body] of this.adsi.fields(this.rx.state, msg)) {
      if (body.length === 0 && type === MDMF_CALLERID) callerId = true;
      else if (type === PARAM_NUMBER) number = text(body);
      else if (type === PARAM_NAME) name = text(body);
      else if (type === PARAM_ABSENCE) absence = text(body);
    }
    if (!callerId) return null;
    if (absence !== null) return { number: '', presentation: absence === 'P' ? 'restricted' : 'unavailable', method };
    return { number, ...(name ? { name } : {}), presentation: 'allowed', method };
  }
}

/** spandsp's modems as the analog lines' CallerIdModem port (lines.ts). */
export const spandspCallerId = {
  encode: (cid: CallerId): Int16Array => encodeCallerId(cid),
  receiver: (method: CallerId['method'], onCallerId: (cid: CallerId) => void): CallerIdReceiver => new CallerIdReceiver(method, onCallerId),
};
