/**
 * R2Signalling: China No.1 MFC-R2 (ITU-T Q.421 line signalling, Q.441 compelled inter-register
 * signalling, China variant in china-no1.ts) on the CAS bearers of one E1 span. It owns one
 * R2Circuit per timeslot and speaks to call control the way drivers/libpri's PriSignalling does:
 * typed events (`ring` with called/calling and category, `ringing`, `answer`, `hangup` with a
 * Q.850 cause and who cleared, `idle`, `blocked`, `fault`) and verbs named like the Channel's
 * (`dial`, `alerting`, `answer`, `hangup(cause)`, plus `block`/`unblock` for maintenance).
 *
 * Works on any span whose bearers carry CAS bits (simulated or DAHDI). Every circuit is
 * both-way: the far end may seize any idle one, and `dial()` takes the lowest idle one unless
 * told which.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../appliance/core/clock.js';
import type { Logger } from '../../appliance/core/log.js';
import { DriverError, type TdmChannel } from '../types.js';
import { CHINA_NO1, type R2Variant } from './china-no1.js';
import { R2Circuit, type DialParams, type R2CallEvents, type R2EventName, type R2Timers } from './circuit.js';
import type { R2Mf } from './ffi.js';
import type { IncomingOptions } from './register.js';
import { DEFAULT_REGISTER_TIMERS } from './register.js';

export type { DialParams, R2CallEvents, R2Timers };

export const DEFAULT_R2_TIMERS: R2Timers = { ...DEFAULT_REGISTER_TIMERS, seizeAckMs: 2_000, answerMs: 60_000, releaseGuardMs: 2_000 };

export interface R2SignallingOptions {
  spanNo: number;
  /** The span's bearers; each must carry CAS bits. */
  channels: readonly TdmChannel[];
  variant?: R2Variant;
  timers?: Partial<R2Timers>;
  /**
   * Incoming register behaviour. Default: ask for KA + ANI once the called number is complete,
   * which is when `dnisLength` digits are in (if given) or after `endOfDialMs` of silence.
   */
  incoming?: Partial<IncomingOptions> & { dnisLength?: number };
}

export interface R2SignallingDeps {
  clock: Clock;
  log: Logger;
  mf?: R2Mf;
}

export type R2DialResult = { readonly ok: true; readonly timeslot: number } | { readonly ok: false; readonly reason: 'no-circuit' | 'circuit-busy' | 'no-such-timeslot' };

export class R2Signalling {
  readonly spanNo: number;
  private readonly circuits = new Map<number, R2Circuit>();
  private readonly events = new EventEmitter();
  private readonly log: Logger;
  private closed = false;

  constructor(opts: R2SignallingOptions, deps: R2SignallingDeps) {
    this.spanNo = opts.spanNo;
    this.log = deps.log.child({ mod: 'drivers.r2', spanNo: opts.spanNo });
    this.events.setMaxListeners(0);
    const timers = { ...DEFAULT_R2_TIMERS, ...opts.timers };
    const len = opts.incoming?.dnisLength;
    const incoming: IncomingOptions = {
      dnisComplete: opts.incoming?.dnisComplete ?? ((d) => len !== undefined && d.length >= len),
      wantAni: opts.incoming?.wantAni ?? true,
      ...(opts.incoming?.aniAfterDigits !== undefined ? { aniAfterDigits: opts.incoming.aniAfterDigits } : {}),
    };
    for (const ch of opts.channels) {
      if (!ch.cas) throw new DriverError('DAHDI_GETRXBITS', null, `span ${opts.spanNo} timeslot ${ch.timeslot} has no CAS bits: R2 needs a CAS span`);
      const circuit = new R2Circuit(ch, opts.variant ?? CHINA_NO1, timers, incoming, {
        clock: deps.clock,
        log: this.log,
        ...(deps.mf ? { mf: deps.mf } : {}),
        emit: (e, payload) => {
          this.log.debug({ event: e, payload }, 'r2 event');
          this.events.emit(e, payload);
        },
      });
      this.circuits.set(ch.timeslot, circuit);
    }
  }

  on<E extends R2EventName>(event: E, fn: R2CallEvents[E]): this {
    this.events.on(event, fn);
    return this;
  }

  off<E extends R2EventName>(event: E, fn: R2CallEvents[E]): this {
    this.events.off(event, fn);
    return this;
  }

  /** The line state of a timeslot's circuit (for status pages and tests). */
  state(timeslot: number): R2Circuit['state'] {
    return this.circuit(timeslot, 'state').state;
  }

  /** Seize a circuit and send the address; progress arrives as events. */
  dial(p: DialParams & { timeslot?: number }): R2DialResult {
    this.assertOpen('dial');
    let c: R2Circuit | undefined;
    if (p.timeslot !== undefined) {
      c = this.circuits.get(p.timeslot);
      if (!c) return { ok: false, reason: 'no-such-timeslot' };
      if (c.busy) return { ok: false, reason: 'circuit-busy' };
    } else {
      c = [...this.circuits.values()].find((x) => !x.busy);
      if (!c) return { ok: false, reason: 'no-circuit' };
    }
    c.seize(p);
    return { ok: true, timeslot: c.timeslot };
  }

  alerting(timeslot: number): void {
    this.circuit(timeslot, 'alerting').alerting();
  }

  answer(timeslot: number): void {
    this.circuit(timeslot, 'answer').answer();
  }

  hangup(timeslot: number, cause: number): void {
    this.circuit(timeslot, 'hangup').hangup(cause);
  }

  block(timeslot: number): void {
    this.circuit(timeslot, 'block').block();
  }

  unblock(timeslot: number): void {
    this.circuit(timeslot, 'unblock').unblock();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.circuits.values()) c.close();
    this.events.removeAllListeners();
  }

  private circuit(timeslot: number, call: string): R2Circuit {
    this.assertOpen(call);
    const c = this.circuits.get(timeslot);
    if (!c) throw new DriverError(`r2_${call}`, null, `span ${this.spanNo} has no R2 circuit on timeslot ${timeslot}`);
    return c;
  }

  private assertOpen(call: string): void {
    if (this.closed) throw new DriverError(`r2_${call}`, null, `R2 signalling on span ${this.spanNo} is closed`);
  }
}
