/**
 * What every real-peer test asks of a baresip phone (calls/testing/baresip.ts is the driver:
 * process, ctrl_tcp, events; this is the questions tests ask of it): is baresip installed, is
 * the phone registered (`reginfo` says OK), the next event from now on, the n-th event of a
 * kind, and which recordings of what the phone heard (sndfile `-dec.wav`) are new; and
 * `PhoneSlots`, which starts phones into a reserved port block with a tone of their own.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Baresip, writeToneWav, type BaresipEvent } from '../../calls/testing/baresip.js';
import { until } from './wait.js';

/** baresip with the modules the tests load: ctrl_tcp (control) and sndfile (recordings). */
export const haveBaresip = existsSync('/usr/bin/baresip') && existsSync('/usr/lib/baresip/modules/ctrl_tcp.so') && existsSync('/usr/lib/baresip/modules/sndfile.so');

// eslint-disable-next-line no-control-regex -- baresip colours `reginfo` ("\x1b[32mOK \x1b[;m")
const ANSI = /\x1b\[[0-9;]*m/g;

/** baresip's own answer to `reginfo` (it may register before ctrl_tcp is connected, so REGISTER_OK can be missed). */
export async function isRegistered(p: Baresip): Promise<boolean> {
  return /\bOK\b/.test(String((await p.command('reginfo'))['data'] ?? '').replace(ANSI, ' '));
}

export function waitRegistered(p: Baresip, ms = 10_000): Promise<true> {
  return until(`${p.name} registered`, () => isRegistered(p), ms);
}

/** Text of a ctrl_tcp answer without baresip's colour codes. */
export function plain(reply: Record<string, unknown>): string {
  return String(reply['data'] ?? '').replace(ANSI, '');
}

/** The next event of `type` from now on (Baresip.waitEvent also returns past ones). */
export function nextEvent(p: Baresip, type: string, ms = 10_000): Promise<BaresipEvent> {
  const mark = p.events.length;
  return p.waitEvent(type, ms, (e) => p.events.indexOf(e) >= mark);
}

export function countEvents(p: Baresip, type: string): number {
  return p.events.filter((e) => e.type === type).length;
}

/** Waits until `p` has seen `n` events of `type` (counted from the start of the run). */
export function nthEvent(p: Baresip, type: string, n: number, ms = 10_000): Promise<true> {
  return until(`${p.name} ${type} #${n}`, () => countEvents(p, type) >= n, ms);
}

/** Every recording of what `p` heard made after `known` (a `recordings()` snapshot), oldest first. */
export function newHeard(p: Baresip, known: readonly string[]): string[] {
  return p
    .recordings()
    .filter((f) => f.endsWith('-dec.wav') && !known.includes(f))
    .sort();
}

/**
 * The newest recording of what `p` heard, written since `sinceMs` (Date.now()). Prefer this to
 * lastHeard: baresip names files by the second a call starts, so a call starting in the second
 * the previous one's file was named REWRITES that file, which "a name not in `known`" misses.
 */
export function lastHeardSince(p: Baresip, sinceMs: number): string | undefined {
  return p
    .recordings()
    .filter((f) => f.endsWith('-dec.wav') && statSync(f).mtimeMs >= sinceMs)
    .sort()
    .pop();
}

/** The newest recording of what `p` heard, made after `known`. */
export function lastHeard(p: Baresip, known: readonly string[]): string | undefined {
  return newHeard(p, known).pop();
}

export interface PhoneOptions {
  name: string;
  /** Extension it registers as (password `secret-<user>` unless `password` is given). */
  user: string;
  answer: boolean;
  /** What it sends: a WAV file, or a tone written for it (default 25 s of `freq`, then 5 s silence; aufile ends the call at EOF). */
  wav?: string;
  tone?: { freq: number; toneMs?: number; silenceMs?: number };
  password?: string;
  /** Not registering: a static `sip:<user>@<host>:<port>` UA. */
  noRegister?: boolean;
  quitAfterS?: number;
  /** Loopback address the phone binds (default 127.0.0.1; 127.0.0.2 is another source). */
  host?: string;
}

/**
 * Phones started into consecutive 12-port slots of a free port block (calls/testing/baresip.ts's
 * layout: SIP, TLS, ctrl_tcp, RTP), registering at one registrar; `stopAll()` stops every one.
 */
export class PhoneSlots {
  private readonly started: Baresip[] = [];
  private next = 0;

  constructor(
    private readonly o: { dir: string; firstPort: number; slots: number; registrar: string },
  ) {}

  async start(p: PhoneOptions): Promise<Baresip> {
    const slot = this.next++;
    if (slot >= this.o.slots) throw new Error(`only ${this.o.slots} phone slots were reserved`);
    let wav = p.wav;
    if (!wav) {
      const tone = p.tone ?? { freq: 1000 };
      wav = path.join(this.o.dir, `${p.name}-${tone.freq}.wav`);
      writeToneWav(wav, tone.freq, tone.toneMs ?? 25_000, tone.silenceMs ?? 5_000);
    }
    const phone = await Baresip.start({
      name: p.name,
      dir: this.o.dir,
      user: p.user,
      wav,
      answer: p.answer,
      ports: this.o.firstPort + slot * 12,
      ...(p.noRegister ? {} : { register: { registrar: this.o.registrar, password: p.password ?? `secret-${p.user}` } }),
      ...(p.quitAfterS === undefined ? {} : { quitAfterS: p.quitAfterS }),
      ...(p.host === undefined ? {} : { host: p.host }),
    });
    this.started.push(phone);
    return phone;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.map((p) => p.stop()));
  }
}
