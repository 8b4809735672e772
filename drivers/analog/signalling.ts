/**
 * The card's analog ports as one `TdmSignalling` (drivers/types.ts), so the appliance carries
 * analog calls as TDM legs (appliance/channel/tdm-channel.ts over TdmSpanLegs) and routes them
 * like E1 calls (issue 5 "Analog: FXS (ring a phone, detect hook/flash, send caller-ID) and FXO
 * (detect ring and caller-ID, seize, disconnect supervision …)"). A port's "timeslot" is its
 * port number; its bearer is the port's audio channel.
 *
 *  - FXO (a line from the exchange into the appliance): the line rings; the call is offered
 *    (`ring`) once its caller-ID is decoded between the first and second ring (EN 300 659-1
 *    §6.1.1 ring-first), or at the second ring without one. The DID is the one configured for
 *    the line: an analog line carries no called number. `answer` seizes the line (off hook);
 *    `alerting`/`progress` are no-ops (the exchange plays ringback to the caller). The caller
 *    gives up when the rings stop for longer than a ring cycle (`abandonAfterMs`): `hangup` 16
 *    by the remote side. An answered call ends by the far end's polarity reversal, busy tone or
 *    loop drop (lines.ts), or by our `hangup` (on hook).
 *  - FXS (a phone on the appliance, an extension): `setup` rings it with the caller-ID in the
 *    audio after the first ring; going off hook is the answer (ring trip); on hook is the
 *    phone's clearing. Our clearing of an answered call plays busy tone to the phone until it
 *    hangs up (the port stays busy until then). A phone going off hook on its own (to dial out)
 *    is not taken yet (TODO(#5): dial tone and digit collection).
 *
 * Each port's call state follows the transition table `nextPortStates`; causes are Q.850.
 */
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import { InvalidTransitionError } from '../../appliance/core/errors.js';
import type { Logger } from '../../appliance/core/log.js';
import type { CallerId, TdmSetup, TdmSetupResult, TdmSignalling, TdmSignallingEvents } from '../types.js';
import { EventEmitter } from 'node:events';
import type { FxoDisconnect, FxoLine, FxsLine } from './lines.js';

/** Q.850 cause 16: normal call clearing. */
const NORMAL_CLEARING = 16;

export const AnalogPortStates = ['idle', 'incoming', 'offered', 'answered', 'ringing-out', 'connected'] as const;
export type AnalogPortState = (typeof AnalogPortStates)[number];

/** Per-port call states: FXO idle → incoming → offered → answered; FXS idle → ringing-out → connected. */
export const nextPortStates: Readonly<Record<AnalogPortState, readonly AnalogPortState[]>> = {
  idle: ['incoming', 'ringing-out'],
  incoming: ['offered', 'idle'],
  offered: ['answered', 'idle'],
  answered: ['idle'],
  'ringing-out': ['connected', 'idle'],
  connected: ['idle'],
};

export type AnalogLineSpec =
  | {
      readonly kind: 'fxo';
      readonly line: FxoLine;
      /** The number the appliance's dialplan sees as called (the line's DID). */
      readonly did: string;
    }
  | {
      readonly kind: 'fxs';
      readonly line: FxsLine;
      /** How the phone expects its caller-ID (default V.23 FSK). */
      readonly callerIdMethod?: CallerId['method'];
    };

export interface AnalogSignallingOptions {
  /** An FXO call still ringing is abandoned when no ring starts for this long (default 6 s: China's 1 s on, 4 s off, plus margin). */
  abandonAfterMs?: number;
  /** The span number the adapter reports (default 0: the card's analog ports). */
  spanNo?: number;
}

interface PortCall {
  state: AnalogPortState;
  abandon: TimerHandle | null;
}

export class AnalogSignalling implements TdmSignalling {
  readonly kind = 'analog' as const;
  readonly spanNo: number;
  private readonly emitter = new EventEmitter();
  private readonly ports = new Map<number, { spec: AnalogLineSpec; call: PortCall; detach: () => void }>();
  private readonly log: Logger;
  private readonly abandonAfterMs: number;

  constructor(
    lines: readonly AnalogLineSpec[],
    private readonly deps: { clock: Clock; log: Logger },
    opts: AnalogSignallingOptions = {},
  ) {
    this.spanNo = opts.spanNo ?? 0;
    this.abandonAfterMs = opts.abandonAfterMs ?? 6000;
    this.log = deps.log.child({ mod: 'drivers.analog' });
    for (const spec of lines) {
      const portNo = spec.line.port.portNo;
      const call: PortCall = { state: 'idle', abandon: null };
      const detach = spec.kind === 'fxo' ? this.watchFxo(portNo, spec.line, spec.did) : this.watchFxs(portNo, spec.line);
      this.ports.set(portNo, { spec, call, detach });
    }
  }

  /** The call state of a port (tests, status pages). */
  stateOf(portNo: number): AnalogPortState | null {
    return this.ports.get(portNo)?.call.state ?? null;
  }

  on<K extends keyof TdmSignallingEvents>(event: K, fn: (e: TdmSignallingEvents[K]) => void): this {
    this.emitter.on(event, fn as never);
    return this;
  }

  off<K extends keyof TdmSignallingEvents>(event: K, fn: (e: TdmSignallingEvents[K]) => void): this {
    this.emitter.off(event, fn as never);
    return this;
  }

  /** Ring the FXS phone on port `p.timeslot` with the caller-ID of `p.calling`. */
  setup(p: TdmSetup): TdmSetupResult {
    const portNo = p.timeslot;
    const port = portNo === undefined ? undefined : this.ports.get(portNo);
    if (portNo === undefined || !port || port.spec.kind !== 'fxs') return { ok: false, reason: 'no-circuit' };
    const line = port.spec.line;
    if (port.call.state !== 'idle' || line.port.hook === 'off') return { ok: false, reason: 'busy' };
    const presentation = p.presentation ?? 'allowed';
    const callerId: CallerId =
      presentation === 'allowed' && p.calling
        ? { number: p.calling, ...(p.callingName ? { name: p.callingName } : {}), presentation, method: port.spec.callerIdMethod ?? 'fsk-v23' }
        : { number: '', presentation: presentation === 'allowed' ? 'unavailable' : presentation, method: port.spec.callerIdMethod ?? 'fsk-v23' };
    this.move(portNo, port.call, 'ringing-out');
    try {
      line.ring(callerId);
    } catch (err) {
      this.move(portNo, port.call, 'idle');
      this.log.warn({ portNo, err: (err as Error).message }, 'FXS port refused to ring');
      return { ok: false, reason: 'busy' };
    }
    // After setup returns, so the caller has the leg in hand when the event arrives.
    queueMicrotask(() => {
      if (port.call.state === 'ringing-out') this.emitter.emit('ringing', { timeslot: portNo, inband: false });
    });
    return { ok: true, timeslot: portNo };
  }

  proceeding(): void {
    // An analog line has no call-proceeding signal.
  }

  alerting(): void {
    // The exchange rings the caller itself; nothing to send on an FXO line.
  }

  progress(): void {
    // In-band audio needs the line seized, which the exchange takes as the answer.
  }

  answer(timeslot: number): void {
    const port = this.ports.get(timeslot);
    if (!port || port.spec.kind !== 'fxo' || port.call.state !== 'offered') return;
    this.clearAbandon(port.call);
    port.spec.line.answer();
  }

  hangup(timeslot: number, cause: number): void {
    const port = this.ports.get(timeslot);
    if (!port || port.call.state === 'idle') return;
    const { spec, call } = port;
    if (spec.kind === 'fxo') {
      this.clearAbandon(call);
      spec.line.hangup();
    } else if (call.state === 'ringing-out') spec.line.stopRing();
    else spec.line.farEndCleared('busy-tone');
    this.cleared(timeslot, call, cause, 'local');
  }

  close(): void {
    for (const [, port] of this.ports) {
      this.clearAbandon(port.call);
      port.detach();
    }
    this.ports.clear();
    this.emitter.removeAllListeners();
  }

  // ---- FXO: a line rings us ----

  private watchFxo(portNo: number, line: FxoLine, did: string): () => void {
    const call = (): PortCall | undefined => this.ports.get(portNo)?.call;
    const offer = (cid: CallerId | null): void => {
      const c = call();
      if (!c || c.state !== 'incoming') return;
      this.move(portNo, c, 'offered');
      this.emitter.emit('ring', {
        timeslot: portNo,
        calling: cid?.number ?? '',
        callingName: cid?.name ?? '',
        called: did,
        presentation: cid?.presentation ?? 'unavailable',
      });
    };
    const onRing = (count: number): void => {
      const c = call();
      if (!c) return;
      if (c.state === 'idle') this.move(portNo, c, 'incoming');
      if (c.state !== 'incoming' && c.state !== 'offered') return;
      this.armAbandon(portNo, c, line);
      if (count >= 2) offer(line.callerId);
    };
    const onCallerId = (cid: CallerId): void => offer(cid);
    const onAnswered = (): void => {
      const c = call();
      if (!c || c.state !== 'offered') return;
      this.move(portNo, c, 'answered');
      this.emitter.emit('answer', { timeslot: portNo });
    };
    const onDisconnect = (reason: FxoDisconnect): void => {
      const c = call();
      if (!c || c.state === 'idle') return;
      this.log.info({ portNo, reason }, 'far end cleared the analog line');
      this.cleared(portNo, c, NORMAL_CLEARING, 'remote');
    };
    line.on('ring', onRing);
    line.on('caller-id', onCallerId);
    line.on('answered', onAnswered);
    line.on('disconnect', onDisconnect);
    return () => {
      line.off('ring', onRing);
      line.off('caller-id', onCallerId);
      line.off('answered', onAnswered);
      line.off('disconnect', onDisconnect);
    };
  }

  private armAbandon(portNo: number, c: PortCall, line: FxoLine): void {
    this.clearAbandon(c);
    c.abandon = this.deps.clock.setTimeout(() => {
      c.abandon = null;
      if (c.state !== 'incoming' && c.state !== 'offered') return;
      const offered = c.state === 'offered';
      line.hangup();
      if (offered) this.cleared(portNo, c, NORMAL_CLEARING, 'remote');
      else this.move(portNo, c, 'idle');
    }, this.abandonAfterMs);
  }

  private clearAbandon(c: PortCall): void {
    c.abandon?.cancel();
    c.abandon = null;
  }

  // ---- FXS: we ring a phone ----

  private watchFxs(portNo: number, line: FxsLine): () => void {
    const call = (): PortCall | undefined => this.ports.get(portNo)?.call;
    const onOffHook = (): void => {
      const c = call();
      if (!c) return;
      if (c.state === 'ringing-out') {
        this.move(portNo, c, 'connected');
        this.emitter.emit('answer', { timeslot: portNo });
      } else if (c.state === 'idle') this.log.info({ portNo }, 'phone off hook with no call (dialling out is not supported yet)');
    };
    const onOnHook = (): void => {
      const c = call();
      if (c && c.state === 'connected') this.cleared(portNo, c, NORMAL_CLEARING, 'remote');
    };
    const onFlash = (ms: number): void => this.log.info({ portNo, ms }, 'hook flash (register recall not supported yet)');
    line.on('off-hook', onOffHook);
    line.on('on-hook', onOnHook);
    line.on('flash', onFlash);
    return () => {
      line.off('off-hook', onOffHook);
      line.off('on-hook', onOnHook);
      line.off('flash', onFlash);
    };
  }

  // ---- bookkeeping ----

  private cleared(portNo: number, c: PortCall, cause: number, by: 'local' | 'remote'): void {
    this.clearAbandon(c);
    this.move(portNo, c, 'idle');
    this.emitter.emit('hangup', { timeslot: portNo, cause, by });
  }

  private move(portNo: number, c: PortCall, to: AnalogPortState): void {
    if (c.state === to) return;
    if (!nextPortStates[c.state].includes(to)) throw new InvalidTransitionError(`analog port ${portNo}`, c.state, to);
    c.state = to;
  }
}
