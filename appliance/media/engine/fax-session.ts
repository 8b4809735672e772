/**
 * Fax on a leg (issue 4 "Fax": T.30 over G.711 audio on SIP and TDM legs): a T.30 terminal
 * (drivers/spandsp FaxTerminal, ITU-T T.30 phases A–E with V.21/V.27ter/V.29/V.17) attached to
 * one leg of a media worker. Each tick it hears the leg's received frame and replaces what the
 * leg sends with its own modem audio, like a player that listens. Sending a TIFF-F or
 * receiving into one; the IVR's fax-on-demand and inbound fax use it through
 * MediaEngine.startFax.
 *
 * Events (as values, never errors): `page` after every page (T.30 phase D) and `done` once
 * (phase E, or stopped / the leg closed), with the T.30 completion code and the transfer
 * statistics. The terminal is closed before `done` is reported, so a received TIFF is complete
 * on disk by then.
 */
import { FRAME_SAMPLES, decode, encode, type G711Law } from '../codec/g711.js';
import type { FaxOptions, FaxTerminal } from '../../../drivers/spandsp/fax.js';

export interface FaxResult {
  ok: boolean;
  /** T.30 completion code (0 = OK); -1 when the session was stopped before phase E. */
  completionCode: number;
  completionText: string;
  reason: 'completed' | 'stopped' | 'endpoint-closed';
  pages: number;
  bitRate: number;
  ecm: boolean;
  remoteIdent: string;
  /** Seconds of line audio the session ran for. */
  seconds: number;
}

export class FaxSession {
  private readonly pcmIn = new Int16Array(FRAME_SAMPLES);
  private readonly pcmOut = new Int16Array(FRAME_SAMPLES);
  private frames = 0;
  private pages = 0;
  private result: FaxResult | null = null;

  constructor(
    readonly id: string,
    readonly endpointId: string,
    private readonly law: G711Law,
    private readonly terminal: FaxTerminal,
    private readonly opts: Pick<FaxOptions, 'direction'>,
    private readonly onPage: (pages: number) => void,
  ) {
    terminal.on('phaseD', (d) => {
      this.pages = this.opts.direction === 'send' ? d.stats.pagesTx : d.stats.pagesRx;
      this.onPage(this.pages);
    });
  }

  /** The outcome once the session is over (then `step` does nothing). */
  get done(): FaxResult | null {
    return this.result;
  }

  /** One tick: `input` is what the leg received, `output` what it will send (replaced). */
  step(input: Uint8Array, output: Uint8Array): void {
    if (this.result) return;
    this.terminal.rx(decode(this.law, input, this.pcmIn));
    this.terminal.tx(this.pcmOut);
    encode(this.law, this.pcmOut, output);
    this.frames++;
    const outcome = this.terminal.outcome;
    if (outcome) {
      const s = outcome.stats;
      this.finish({
        ok: outcome.ok,
        completionCode: outcome.completionCode,
        completionText: outcome.completionText,
        reason: 'completed',
        pages: this.opts.direction === 'send' ? s.pagesTx : s.pagesRx,
        bitRate: s.bitRate,
        ecm: s.errorCorrectingMode,
        remoteIdent: outcome.remoteIdent,
        seconds: (this.frames * FRAME_SAMPLES) / 8000,
      });
    }
  }

  /** End early (command or the leg went away); a no-op once done. */
  stop(reason: 'stopped' | 'endpoint-closed'): FaxResult {
    if (this.result) return this.result;
    return this.finish({
      ok: false,
      completionCode: -1,
      completionText: reason,
      reason,
      pages: this.pages,
      bitRate: 0,
      ecm: false,
      remoteIdent: '',
      seconds: (this.frames * FRAME_SAMPLES) / 8000,
    });
  }

  private finish(r: FaxResult): FaxResult {
    this.result = r;
    this.terminal.close();
    return r;
  }
}
