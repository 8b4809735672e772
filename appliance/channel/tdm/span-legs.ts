/**
 * The TDM legs of one span: turns the stack's `ring` (SETUP / IAM / R2 seizure with ANI and
 * DNIS) into an inbound TdmCallChannel on that timeslot's bearer, places outbound calls, and
 * routes the stack's per-timeslot events (proceeding, ringing, answer, hangup) to the leg on
 * that timeslot. Routing (which IVR or queue a DID goes to) is not here: `incoming` hands the
 * new leg to whoever the daemon wired (calls/ routing).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../core/log.js';
import type { TdmChannel as TdmBearer, TdmOffer, TdmSetup, TdmSignalling, TdmSignallingEvents } from '../../../drivers/types.js';
import { HangupCauses } from '../q850.js';
import { TdmCallChannel, type TdmChannelDeps } from '../tdm-channel.js';

export type OriginateResult = { ok: true; channel: TdmCallChannel } | { ok: false; reason: 'link-down' | 'busy' | 'blocked' | 'no-circuit' | 'no-bearer' };

export class TdmSpanLegs {
  private readonly legs = new Map<number, TdmCallChannel>();
  private readonly emitter = new EventEmitter();
  private readonly bearers: Map<number, TdmBearer>;
  private readonly log: Logger;
  private seq = 0;
  private readonly handlers: { [K in keyof TdmSignallingEvents]: (e: TdmSignallingEvents[K]) => void } = {
    ring: (e) => this.onRing(e),
    proceeding: (e) => this.legs.get(e.timeslot)?.signalled({ type: 'proceeding' }),
    ringing: (e) => this.legs.get(e.timeslot)?.signalled({ type: 'ringing', inband: e.inband }),
    answer: (e) => this.legs.get(e.timeslot)?.signalled({ type: 'answer' }),
    hangup: (e) => {
      const leg = this.legs.get(e.timeslot);
      if (!leg) return;
      this.legs.delete(e.timeslot);
      leg.signalled({ type: 'hangup', hangup: e });
    },
  };

  constructor(
    private readonly sig: TdmSignalling,
    bearers: readonly TdmBearer[],
    private readonly deps: TdmChannelDeps,
  ) {
    this.bearers = new Map(bearers.map((b) => [b.timeslot, b]));
    this.log = deps.log.child({ mod: 'channel.tdm.span', spanNo: sig.spanNo });
    for (const k of Object.keys(this.handlers) as (keyof TdmSignallingEvents)[]) sig.on(k, this.handlers[k] as never);
  }

  /** A new inbound leg, at level `setup`: answer it, refuse it (hangup with a cause) or route it. */
  on(event: 'incoming', fn: (channel: TdmCallChannel, offer: TdmOffer) => void): this {
    this.emitter.on(event, fn);
    return this;
  }

  off(event: 'incoming', fn: (channel: TdmCallChannel, offer: TdmOffer) => void): this {
    this.emitter.off(event, fn);
    return this;
  }

  /** Live legs by timeslot. */
  get active(): ReadonlyMap<number, TdmCallChannel> {
    return this.legs;
  }

  /** Place a call out on this span. Refusals are values (call control tries another route). */
  originate(p: TdmSetup & { affinity?: string }): OriginateResult {
    const r = this.sig.setup(p);
    if (!r.ok) return r;
    const bearer = this.bearers.get(r.timeslot);
    if (!bearer) {
      this.sig.hangup(r.timeslot, HangupCauses.CHANNEL_UNACCEPTABLE);
      return { ok: false, reason: 'no-bearer' };
    }
    const channel = new TdmCallChannel(
      {
        id: this.nextId(r.timeslot),
        signalling: this.sig,
        bearer,
        direction: 'outbound',
        caller: { number: p.calling, ...(p.callingName ? { name: p.callingName } : {}), presentation: p.presentation ?? 'allowed' },
        called: { number: p.called, presentation: 'allowed' },
        ...(p.affinity ? { affinity: p.affinity } : {}),
      },
      this.deps,
    );
    this.track(r.timeslot, channel);
    return { ok: true, channel };
  }

  /** End every live leg now with `cause`: the line under them failed (span-guard.ts). */
  failAll(cause: number): number {
    const legs = [...this.legs.values()];
    for (const leg of legs) leg.lineFailed(cause);
    return legs.length;
  }

  /** Stop listening to the stack (the legs themselves end with their calls). */
  close(): void {
    for (const k of Object.keys(this.handlers) as (keyof TdmSignallingEvents)[]) this.sig.off(k, this.handlers[k] as never);
  }

  /** Keep the leg until it ends (by the stack's clearing or its own guard). */
  private track(timeslot: number, channel: TdmCallChannel): void {
    this.legs.set(timeslot, channel);
    channel.on('hangup', () => {
      if (this.legs.get(timeslot) === channel) this.legs.delete(timeslot);
    });
  }

  private nextId(timeslot: number): string {
    const seq = (++this.seq).toString(36);
    return this.sig.kind === 'analog' ? `analog-${timeslot}-${seq}` : `tdm-${this.sig.spanNo}-${timeslot}-${seq}`;
  }

  private onRing(offer: TdmOffer): void {
    const bearer = this.bearers.get(offer.timeslot);
    if (!bearer || this.legs.has(offer.timeslot)) {
      this.log.warn({ timeslot: offer.timeslot, busy: this.legs.has(offer.timeslot) }, 'call offered on an unusable timeslot');
      this.sig.hangup(offer.timeslot, bearer ? HangupCauses.REQUESTED_CHAN_UNAVAIL : HangupCauses.CHANNEL_UNACCEPTABLE);
      return;
    }
    const channel = new TdmCallChannel(
      {
        id: this.nextId(offer.timeslot),
        signalling: this.sig,
        bearer,
        direction: 'inbound',
        caller: { number: offer.calling, ...(offer.callingName ? { name: offer.callingName } : {}), presentation: offer.presentation },
        called: { number: offer.called, presentation: 'allowed' },
      },
      this.deps,
    );
    this.track(offer.timeslot, channel);
    if (this.emitter.listenerCount('incoming') === 0) {
      this.log.warn({ timeslot: offer.timeslot }, 'no handler for incoming TDM calls');
      void channel.hangup(HangupCauses.SERVICE_UNAVAILABLE);
      return;
    }
    this.emitter.emit('incoming', channel, offer);
  }
}
