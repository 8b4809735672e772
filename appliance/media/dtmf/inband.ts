/**
 * In-band DTMF detection on one leg (issue 4: "in-band detection on every leg that needs it
 * (spandsp `dtmf_rx` through koffi, or an equivalent that passes the same test set)"). Each
 * tick the leg's received 20 ms G.711 frame is decoded by table and fed to a Q.24 receiver;
 * digits it reports go to `onDigit`.
 *
 * The receiver is injected (`DigitDetectorFactory`) so the worker can use spandsp's `dtmf_rx`
 * (engine/dsp.ts) and a test can count what reaches it. ITU-T Q.24 §2 (Table 1) bounds what a
 * receiver must accept: tone pairs of at least 40 ms separated by at least 40 ms, each
 * frequency within ±(1.5 % + 2 Hz), and levels down to the administration's minimum — the
 * test set (inband.test.ts) checks all 16 digits at 40 ms / 40 ms and -26 dBm0 per tone, and
 * no digit at all on Mandarin and English speech, music-like chords and noise.
 */
import { ALAW_TO_LINEAR, FRAME_SAMPLES, ULAW_TO_LINEAR, type G711Law } from '../codec/g711.js';

export interface DigitDetector {
  /** Feed linear 8 kHz samples; digits are reported through the factory's callback. */
  push(samples: Int16Array): void;
  close(): void;
}

export type DigitDetectorFactory = (onDigit: (digit: string) => void) => DigitDetector;

export class InbandDtmf {
  private readonly detector: DigitDetector;
  private readonly table: Readonly<Int16Array>;
  private readonly pcm = new Int16Array(FRAME_SAMPLES);
  private closed = false;

  constructor(law: G711Law, factory: DigitDetectorFactory, onDigit: (digit: string) => void) {
    this.table = law === 'PCMA' ? ALAW_TO_LINEAR : ULAW_TO_LINEAR;
    this.detector = factory(onDigit);
  }

  /** One received frame of G.711 codes. */
  push(codes: Uint8Array): void {
    if (this.closed) return;
    const n = Math.min(codes.length, this.pcm.length);
    for (let i = 0; i < n; i++) this.pcm[i] = this.table[codes[i] as number] as number;
    this.detector.push(n === this.pcm.length ? this.pcm : this.pcm.subarray(0, n));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detector.close();
  }
}
