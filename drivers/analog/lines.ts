/**
 * Analog line control over a card's AnalogPort (drivers/types.ts), the same on the simulated card
 * and on DAHDI (issue 5 "Analog: FXS (ring a phone, detect hook/flash, send caller-ID) and FXO
 * (detect ring and caller-ID, seize, disconnect supervision by polarity reversal, busy-tone
 * detection)"):
 *
 *  - FxsLine feeds a phone: rings it with a cadence and sends the caller-ID as line audio in the
 *    silence after the first ring (ETSI EN 300 659-1 §6.1.1 "ring-first": the data starts no
 *    sooner than 500 ms after the first ring ends), reports off-hook (answer / ring trip), on-hook
 *    and flash, and signals the far end's clearing to the phone by polarity reversal or by busy
 *    tone.
 *  - FxoLine faces an exchange line: counts rings, decodes the caller-ID from the line audio
 *    between them, answers (goes off hook) after `answerAfterRings`, and supervises the answered
 *    line for the far end's disconnect: a polarity reversal (EN 300 659-1 §6.1.2 line reversal),
 *    busy tone (busy-tone.ts), or the far end dropping the loop (on-hook seen by the port).
 *
 * Audio runs in 20 ms A-law blocks on the port's TdmChannel; caller-ID modems are injected
 * (caller-id.ts wraps spandsp's ADSI), so tests can script them.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import { DriverError, FRAME_BYTES, FRAME_MS, SAMPLE_RATE, type AnalogEvent, type AnalogPort, type CallerId } from '../types.js';
import { decodeAlaw, encodeAlaw } from '../g711.js';
import { BusyToneDetector, CHINA_BUSY_TONE, type BusyToneSpec } from './busy-tone.js';

/** EN 300 659-1 §6.1.1: caller-ID data no sooner than 500 ms after the end of the first ring. */
export const CALLER_ID_DELAY_MS = 500;
/** China's ringing cadence: 1 s on, 4 s off. */
export const CHINA_RING_CADENCE: readonly number[] = [1000, 4000];

export interface CallerIdModem {
  /** The caller-ID as 8 kHz linear audio. */
  encode(cid: CallerId): Int16Array;
  /** A receiver for one method; calls back once per complete caller-ID. */
  receiver(method: CallerId['method'], onCallerId: (cid: CallerId) => void): { push(pcm: Int16Array): void; close(): void };
}

/** Blocks written ahead of the line: a timer firing up to this many frames late leaves no gap. */
export const PLAYER_LEAD_BLOCKS = 3;
/** A player further behind than this (a stalled process) skips the owed time rather than bursting. */
const PLAYER_MAX_BURST = 6;

/**
 * Plays linear audio into a port at the line's rate. Blocks fall due by elapsed time on the
 * clock, PLAYER_LEAD_BLOCKS ahead, and a late timer is made up by writing the blocks owed:
 * Node's setInterval drifts by its own lateness, and a block missing under the card's frame
 * clock is an idle gap in the middle of an FSK caller-ID, which the phone then rejects (its
 * checksum fails) — seen as "no caller-ID" on a loaded box.
 */
export class Player {
  private timer: TimerHandle | null = null;
  constructor(
    private readonly port: Pick<AnalogPort, 'audio'>,
    private readonly clock: Clock,
  ) {}

  /** Play `next()` blocks until it returns null. */
  start(next: () => Int16Array | null): void {
    this.stop();
    const origin = this.clock.monotonic();
    let written = 0;
    const pump = (): void => {
      const due = Math.floor((this.clock.monotonic() - origin) / FRAME_MS) + PLAYER_LEAD_BLOCKS;
      if (due - written > PLAYER_MAX_BURST) written = due - PLAYER_LEAD_BLOCKS;
      while (written < due) {
        const pcm = next();
        if (!pcm) {
          this.stop();
          return;
        }
        this.port.audio.write(encodeAlaw(pcm));
        written++;
      }
    };
    this.timer = this.clock.setInterval(pump, FRAME_MS);
    pump();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }
}

function blocksOf(pcm: Int16Array): () => Int16Array | null {
  let off = 0;
  return () => {
    if (off >= pcm.length) return null;
    const block = new Int16Array(FRAME_BYTES);
    block.set(pcm.subarray(off, off + FRAME_BYTES));
    off += FRAME_BYTES;
    return block;
  };
}

/** Endless busy tone (450 Hz, cadence of `spec`) at about -10 dBm0. */
function busyTone(spec: BusyToneSpec): () => Int16Array {
  let n = 0;
  const period = ((spec.onMs + spec.offMs) * SAMPLE_RATE) / 1000;
  const on = (spec.onMs * SAMPLE_RATE) / 1000;
  return () => {
    const block = new Int16Array(FRAME_BYTES);
    for (let i = 0; i < FRAME_BYTES; i++, n++) block[i] = n % period < on ? Math.round(7000 * Math.sin((2 * Math.PI * spec.freq * n) / SAMPLE_RATE)) : 0;
    return block;
  };
}

export interface FxsLineEvents {
  'off-hook': [];
  'on-hook': [];
  flash: [ms: number];
}

export class FxsLine extends EventEmitter<FxsLineEvents> {
  private readonly player: Player;
  private cidTimer: TimerHandle | null = null;
  private reversed = false;
  private readonly onEvent = (e: AnalogEvent): void => {
    if (e.type === 'off-hook') {
      this.cidTimer?.cancel();
      this.emit('off-hook');
    } else if (e.type === 'on-hook') {
      this.player.stop();
      this.emit('on-hook');
    } else if (e.type === 'flash') this.emit('flash', e.ms);
  };

  constructor(
    readonly port: AnalogPort,
    private readonly deps: { clock: Clock; callerId: CallerIdModem },
  ) {
    super();
    if (port.kind !== 'fxs') throw new DriverError('fxs_line', null, `port ${port.portNo} is ${port.kind.toUpperCase()}, not FXS`);
    this.player = new Player(port, deps.clock);
    port.on('event', this.onEvent);
  }

  /** Ring the phone; `callerId` goes out as audio after the first ring. */
  ring(callerId?: CallerId, cadence: readonly number[] = CHINA_RING_CADENCE): void {
    this.port.ring(cadence);
    if (!callerId) return;
    const audio = this.deps.callerId.encode(callerId);
    this.cidTimer = this.deps.clock.setTimeout(() => this.player.start(blocksOf(audio)), (cadence[0] ?? 0) + CALLER_ID_DELAY_MS);
  }

  stopRing(): void {
    this.cidTimer?.cancel();
    this.port.stopRing();
  }

  /** Tell the phone the far end cleared: a line reversal, or busy tone until it hangs up. */
  farEndCleared(how: 'polarity-reversal' | 'busy-tone', spec: BusyToneSpec = CHINA_BUSY_TONE): void {
    if (how === 'polarity-reversal') {
      this.reversed = !this.reversed;
      this.port.setPolarity(this.reversed);
    } else this.player.start(busyTone(spec));
  }

  /** Play audio to the phone (20 ms blocks on the clock). */
  play(pcm: Int16Array): void {
    this.player.start(blocksOf(pcm));
  }

  close(): void {
    this.cidTimer?.cancel();
    this.player.stop();
    this.port.off('event', this.onEvent);
  }
}

export const FxoStates = ['idle', 'ringing', 'answered', 'disconnected'] as const;
export type FxoState = (typeof FxoStates)[number];
export type FxoDisconnect = 'polarity-reversal' | 'busy-tone' | 'loop-drop';

export interface FxoLineEvents {
  ring: [count: number];
  'caller-id': [cid: CallerId];
  answered: [];
  disconnect: [reason: FxoDisconnect];
}

export interface FxoLineOptions {
  /** Go off hook at this ring (default 2: after the caller-ID between rings 1 and 2). */
  answerAfterRings?: number;
  /** Caller-ID methods to listen for between rings (default all three). */
  callerIdMethods?: readonly CallerId['method'][];
  busyTone?: BusyToneSpec;
}

export class FxoLine extends EventEmitter<FxoLineEvents> {
  private stateNow: FxoState = 'idle';
  private rings = 0;
  private receivers: Array<{ push(pcm: Int16Array): void; close(): void }> = [];
  private readonly busy: BusyToneDetector;
  private readonly pcm = new Int16Array(FRAME_BYTES);
  /** The caller-ID of the current call, once decoded. */
  callerId: CallerId | null = null;
  private readonly onEvent = (e: AnalogEvent): void => this.event(e);
  private readonly onFrame = (f: Uint8Array): void => this.frame(f);

  constructor(
    readonly port: AnalogPort,
    private readonly deps: { clock: Clock; callerId: CallerIdModem },
    private readonly opts: FxoLineOptions = {},
  ) {
    super();
    if (port.kind !== 'fxo') throw new DriverError('fxo_line', null, `port ${port.portNo} is ${port.kind.toUpperCase()}, not FXO`);
    this.busy = new BusyToneDetector(() => this.disconnected('busy-tone'), opts.busyTone ?? CHINA_BUSY_TONE);
    port.on('event', this.onEvent);
    port.audio.on('frame', this.onFrame);
  }

  get state(): FxoState {
    return this.stateNow;
  }

  /** Seize the line now (answer a ringing line). */
  answer(): void {
    if (this.stateNow !== 'ringing' && this.stateNow !== 'idle') return;
    this.port.setHook('off');
    this.stopReceivers();
    this.busy.reset();
    this.stateNow = 'answered';
    this.emit('answered');
  }

  /** Release the line (our side hangs up) and wait for the next call. */
  hangup(): void {
    this.port.setHook('on');
    this.reset();
  }

  close(): void {
    this.stopReceivers();
    this.port.off('event', this.onEvent);
    this.port.audio.off('frame', this.onFrame);
  }

  private event(e: AnalogEvent): void {
    switch (e.type) {
      case 'ring-start':
        if (this.stateNow === 'idle' || this.stateNow === 'disconnected') this.startCall();
        if (this.stateNow !== 'ringing') return;
        this.rings++;
        this.emit('ring', this.rings);
        if (this.rings >= (this.opts.answerAfterRings ?? 2)) this.answer();
        return;
      case 'polarity-reversal':
        if (this.stateNow === 'answered') this.disconnected('polarity-reversal');
        return;
      case 'on-hook':
        // The far end dropped the loop current (kewlstart / loop disconnect).
        if (this.stateNow === 'answered') this.disconnected('loop-drop');
        return;
      default:
        return;
    }
  }

  private frame(f: Uint8Array): void {
    if (this.stateNow === 'idle' || this.stateNow === 'disconnected') return;
    decodeAlaw(f, this.pcm);
    if (this.stateNow === 'ringing') for (const r of this.receivers) r.push(this.pcm);
    else if (this.stateNow === 'answered') this.busy.push(this.pcm);
  }

  private startCall(): void {
    this.reset();
    this.stateNow = 'ringing';
    for (const method of this.opts.callerIdMethods ?? (['fsk-v23', 'fsk-bell202', 'dtmf'] as const)) {
      this.receivers.push(
        this.deps.callerId.receiver(method, (cid) => {
          if (this.callerId) return;
          this.callerId = cid;
          this.emit('caller-id', cid);
        }),
      );
    }
  }

  private disconnected(reason: FxoDisconnect): void {
    if (this.stateNow !== 'answered') return;
    this.stateNow = 'disconnected';
    this.port.setHook('on');
    this.emit('disconnect', reason);
  }

  private reset(): void {
    this.stopReceivers();
    this.rings = 0;
    this.callerId = null;
    this.busy.reset();
    this.stateNow = 'idle';
  }

  private stopReceivers(): void {
    for (const r of this.receivers) r.close();
    this.receivers = [];
  }
}
