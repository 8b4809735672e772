/**
 * Analog ports of the simulated card. Ports are wired in FXS/FXO pairs, like a phone cord from an
 * FXS port (which feeds a phone) to an FXO port (which acts as the phone, or as a line into the
 * appliance): ringing the FXS rings the FXO, the FXO going off hook trips the ring and shows up at
 * the FXS as off-hook, and so on. Audio crosses on the card's 20 ms tick (sim-card.ts).
 *
 * Signals, as an analog line carries them:
 * - ringing with a cadence (ms on, ms off, … repeated), tripped by going off hook;
 * - caller-ID between the first and second ring (ETSI EN 300 659-1 §6.1.1, ring-first method),
 *   reported here as an event rather than as FSK/DTMF audio;
 * - hook flash (a timed break, Q.552-style register recall) and on/off hook;
 * - polarity reversal (answer or disconnect supervision, EN 300 659-1 §6.1.2).
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import { DriverError, type AnalogEvent, type AnalogPort, type AnalogPortKind, type CallerId } from '../types.js';
import { SimTdmChannel } from './channels.js';

export class SimAnalogPort implements AnalogPort {
  readonly audio: SimTdmChannel;
  /** The port at the other end of the cord, if wired. */
  peer: SimAnalogPort | null = null;
  private ownHook: 'on' | 'off' = 'on';
  private reversed = false;
  private ringTimer: TimerHandle | null = null;
  private ringing = false;
  /** Bumped by every ring() and stopRing(), so a cadence step knows it was stopped under it. */
  private ringCycle = 0;
  private readonly events = new EventEmitter();
  private closed = false;

  constructor(
    readonly portNo: number,
    readonly kind: AnalogPortKind,
    chanNo: number,
    private readonly clock: Clock,
    private readonly onClose: (p: SimAnalogPort) => void,
  ) {
    this.audio = new SimTdmChannel(0, portNo, chanNo, false);
  }

  /** FXS: the phone's hook (the wired FXO's). FXO: our own. */
  get hook(): 'on' | 'off' {
    if (this.kind === 'fxo') return this.ownHook;
    return this.peer?.ownHook ?? 'on';
  }

  get isClosed(): boolean {
    return this.closed;
  }

  on(_event: 'event', fn: (e: AnalogEvent) => void): this {
    this.events.on('event', fn);
    return this;
  }

  off(_event: 'event', fn: (e: AnalogEvent) => void): this {
    this.events.off('event', fn);
    return this;
  }

  ring(cadence: readonly number[], callerId?: CallerId): void {
    this.requireKind('fxs', 'DAHDI_RING');
    if (cadence.length === 0 || cadence.length % 2 !== 0 || cadence.some((ms) => !(ms > 0)))
      throw new DriverError('DAHDI_SETCADENCE', null, 'ring cadence must be pairs of positive ms (on, off, …)');
    if (this.hook === 'off') throw new DriverError('DAHDI_RING', null, `port ${this.portNo}: cannot ring a phone that is off hook`);
    this.stopRing();
    const cycle = ++this.ringCycle;
    let step = 0;
    let first = true;
    const next = (): void => {
      const ms = cadence[step % cadence.length] as number;
      const on = step % 2 === 0;
      if (on) {
        this.ringing = true;
        this.peer?.emit({ type: 'ring-start' });
      } else {
        this.ringing = false;
        this.peer?.emit({ type: 'ring-stop' });
        if (first && callerId) this.peer?.emit({ type: 'caller-id', callerId });
        first = false;
      }
      step++;
      // The phone may have gone off hook inside the ring-start it was just given (ring trip).
      if (cycle !== this.ringCycle) return;
      this.ringTimer = this.clock.setTimeout(next, ms);
    };
    next();
  }

  stopRing(): void {
    this.requireKind('fxs', 'DAHDI_RING_OFF');
    this.ringCycle++;
    this.ringTimer?.cancel();
    this.ringTimer = null;
    if (this.ringing) {
      this.ringing = false;
      this.peer?.emit({ type: 'ring-stop' });
    }
  }

  setPolarity(reversed: boolean): void {
    this.requireKind('fxs', 'DAHDI_SETPOLARITY');
    if (reversed === this.reversed) return;
    this.reversed = reversed;
    this.peer?.emit({ type: 'polarity-reversal' });
  }

  setHook(state: 'on' | 'off'): void {
    this.requireKind('fxo', state === 'off' ? 'DAHDI_OFFHOOK' : 'DAHDI_ONHOOK');
    if (state === this.ownHook) return;
    this.ownHook = state;
    const peer = this.peer;
    if (!peer) return;
    // Ring trip: going off hook during ringing stops the ring at once.
    if (state === 'off' && peer.ringTimer) peer.stopRing();
    peer.emit({ type: state === 'off' ? 'off-hook' : 'on-hook' });
  }

  flash(ms: number): void {
    this.requireKind('fxo', 'DAHDI_FLASH');
    if (this.ownHook !== 'off') throw new DriverError('DAHDI_FLASH', null, `port ${this.portNo}: flash needs the line seized`);
    if (!(ms > 0)) throw new DriverError('DAHDI_FLASH', null, 'flash duration must be positive');
    this.peer?.emit({ type: 'flash', ms });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.kind === 'fxs') this.stopRing();
    else this.setHook('on');
    this.closed = true;
    this.events.removeAllListeners();
    this.audio.flushTx();
    this.onClose(this);
  }

  private emit(e: AnalogEvent): void {
    if (!this.closed) this.events.emit('event', e);
  }

  private requireKind(kind: AnalogPortKind, call: string): void {
    if (this.closed) throw new DriverError(call, null, `analog port ${this.portNo} is closed`);
    if (this.kind !== kind) throw new DriverError(call, null, `port ${this.portNo} is ${this.kind.toUpperCase()}; ${call} is for ${kind.toUpperCase()} ports`);
  }
}
