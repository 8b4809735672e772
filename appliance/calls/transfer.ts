/**
 * Call transfer from phones (issue 3: "REFER with Replaces (blind and attended transfer from
 * phones)"): a phone bridged through the B2BUA sends REFER (RFC 3515) on its leg; the session
 * layer answers 202 and the first NOTIFY (sip/dialog/session.ts), and this module carries the
 * transfer out and reports the outcome as the final NOTIFY's message/sipfrag.
 *
 *  - Blind (Refer-To names a number): the appliance itself dials the target as a new leg of the
 *    same call (RFC 5589 §6 has the transferee do it; a B2BUA that anchors media places the call
 *    for it) with the transferee's number as caller; when the target answers, the transferor
 *    leaves the bridge, the transferee and the target are bridged, NOTIFY "200 OK" goes to the
 *    transferor and its leg is cleared. If the target is busy / does not answer, the NOTIFY
 *    carries that status (RFC 3398 mapping of the Q.850 cause) and nothing else changes: the
 *    transferor still has its call and may resume it (RFC 5589 §6.2).
 *  - Attended (Refer-To carries Replaces, RFC 3891): the Replaces names the transferor's
 *    consultation dialog, which ends at the appliance; its leg's partner (the target) is joined
 *    with the transferee, both of the transferor's legs are cleared. RFC 3891 §3: "If no match is
 *    found, the UAS rejects the INVITE and returns a 481 Call/Transaction Does Not Exist" — here
 *    the NOTIFY says 481. The target leg keeps its CDR row in the consultation call; both calls'
 *    CDRs list the transfer with the other call's id. When transferee and target sit on
 *    different media workers, the target is re-anchored by re-INVITE (SipChannel.moveMedia).
 *
 *  - Progress (RFC 3515 §2.4.5): NOTIFY "100 Trying" at once (session layer), "180 Ringing" when
 *    the target's leg alerts, then the final status with `Subscription-State: terminated;
 *    reason=noresource`.
 *  - While ringing (transfer-ringing.ts): a REFER that arrives as the dialog is confirmed waits
 *    for the bridge instead of being declined; an attended transfer whose consultation call still
 *    rings (RFC 5589 §7.3, "semi-attended") takes the ringing leg over and bridges it with the
 *    transferee when it answers.
 *
 * From an agent's phone during a queue call, the agent's leg is one that left by transfer: the
 * ACD keeps the caller when it ends (acd-transfer-handover.ts) and puts the agent in wrap-up.
 *
 * Policy (toll fraud, issue 3 "SIP security"): a REFER may only target a local extension
 * (`extensionFor`: a registered extension or a dialplan route to one); anything else is refused
 * with NOTIFY 403, so a transfer never reaches an outbound route. In-dialog REFERs are not
 * challenged: the dialog was created by an authenticated INVITE or by the appliance itself.
 */
import type { Channel, PartyNumber } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import type { SipChannel } from '../channel/sip-channel.js';
import { sipStatusForCause } from '../channel/sip-causes.js';
import type { Clock } from '../core/clock.js';
import { toAppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { InviteSession } from '../sip/dialog/session.js';
import { replacedDialogKey, type ReferRequest } from '../sip/dialog/refer.js';
import { isSipUri, isTelUri, REASON_PHRASES, type Uri } from '../sip/message/index.js';
import type { Call } from './call.js';
import type { CdrTransfer } from './call-store.js';
import { matchRoute, type Route } from './dialplan.js';
import type { LegHandover } from './leg-handover.js';
import type { ContactLocator } from './ports.js';
import { awaitAnswer, takeRingingTarget, waitForPartner } from './transfer-ringing.js';

export type DialResult = { outcome: 'answered'; channel: Channel } | { outcome: 'busy' | 'no-answer' | 'failed'; cause: number };

export interface TransferDeps {
  clock: Clock;
  log: Logger;
  bus: Pick<EventBus, 'publish'>;
  /** The extension a transfer target number reaches, or null when it is not a local extension. */
  extensionFor(number: string): string | null;
  /** Ring an extension as a new leg of `call` (CallHandler.dialExtension). */
  dial(call: Call, extension: string, o: { caller: PartyNumber; signal: AbortSignal; timeoutMs: number; onRinging?: () => void }): Promise<DialResult>;
  /** The session of a dialog by key (UserAgent.sessionOf), for Replaces. */
  sessionOf(dialogKey: string): InviteSession | null;
  /** How long a blind-transfer target rings (ms). */
  ringTimeoutMs: number;
  /** Ringing legs a transfer takes over from the dial that placed them (semi-attended transfer). */
  handover?: LegHandover;
  /** How long a REFER waits for its leg's bridge when it arrives as the dialog is confirmed (ms, default 2000). */
  bridgeWaitMs?: number;
}

type Kind = Exclude<CdrTransfer['kind'], 'replaces'>;

export class TransferService {
  private readonly legs = new Map<InviteSession, { call: Call; channel: SipChannel }>();
  /** Legs bridged in a call other than their own (the target of an attended transfer). */
  private readonly bridgedIn = new Map<Channel, Call>();
  private readonly log: Logger;

  constructor(private readonly deps: TransferDeps) {
    this.log = deps.log.child({ mod: 'calls.transfer' });
  }

  /** Take REFERs on a SIP leg of `call`. */
  watch(call: Call, ch: SipChannel): void {
    this.legs.set(ch.session, { call, channel: ch });
    ch.session.on('refer', (refer) => {
      void this.onRefer(ch, refer).catch((err: unknown) => {
        this.log.error({ err: toAppError(err).message, legId: ch.id }, 'transfer failed');
        void refer.notify(500, 'Server Internal Error');
      });
    });
    ch.on('hangup', () => {
      this.legs.delete(ch.session);
      this.bridgedIn.delete(ch);
    });
  }

  /** The call a SIP leg takes part in now (its own, or the one it was transferred into), by its session (RFC 3891 Replaces). */
  legOf(session: InviteSession): { call: Call; channel: SipChannel } | null {
    const l = this.legs.get(session);
    const call = l ? this.callOf(l.channel, session) : null;
    return l && call ? { call, channel: l.channel } : null;
  }

  private callOf(ch: Channel, session: InviteSession): Call | null {
    return this.bridgedIn.get(ch) ?? this.legs.get(session)?.call ?? null;
  }

  private async onRefer(transferor: SipChannel, refer: ReferRequest): Promise<void> {
    const call = this.callOf(transferor, transferor.session);
    // A REFER right after the answer may overtake the bridge being built (transfer-ringing.ts).
    const transferee = call ? (call.partners(transferor)[0] ?? (await waitForPartner(call, transferor, this.deps.clock, this.deps.bridgeWaitMs ?? 2000))) : null;
    const number = numberOf(refer.uri);
    const kind: Kind = refer.replaces ? 'attended' : 'blind';
    if (!call || !transferee) {
      await this.fail(call, kind, transferor, number, refer, 603);
      return;
    }
    this.log.info({ callId: call.id, kind, transferor: transferor.id, transferee: transferee.id, target: number }, 'REFER');
    if (kind === 'attended') await this.attended(call, transferor, transferee, number, refer);
    else await this.blind(call, transferor, transferee, number, refer);
  }

  private async blind(call: Call, transferor: SipChannel, transferee: Channel, number: string, refer: ReferRequest): Promise<void> {
    const ext = this.deps.extensionFor(number);
    if (!ext) {
      await this.fail(call, 'blind', transferor, number, refer, 403);
      return;
    }
    // RFC 5589 §6.1: the transferor may hang up as soon as the REFER is accepted; out of the bridge, its BYE clears nobody.
    await call.detach(transferor, { transferred: true });
    const r = await this.deps.dial(call, ext, { caller: partyOf(transferee), signal: transferee.ended, timeoutMs: this.deps.ringTimeoutMs, onRinging: ringingOnce(refer) });
    if (r.outcome !== 'answered' || transferee.level === 'terminated') {
      if (r.outcome === 'answered') await r.channel.hangup(HangupCauses.NORMAL_CLEARING);
      // §6.2: a failed transfer leaves the transferor with its call; if it has gone, the transferee is cleared with the target's cause.
      if (transferor.level !== 'terminated' && transferee.level !== 'terminated') await call.bridge(transferee, transferor);
      else if (transferee.level !== 'terminated') await transferee.hangup(r.outcome === 'answered' ? HangupCauses.NORMAL_CLEARING : r.cause);
      await this.fail(call, 'blind', transferor, number, refer, r.outcome === 'answered' ? 487 : sipStatusForCause(r.cause));
      return;
    }
    await call.bridge(transferee, r.channel);
    this.completed(call, { kind: 'blind', transferor, transferee, target: r.channel, number, replacedCallId: null });
    await this.finish(refer, [transferor]);
  }

  private async attended(call: Call, transferor: SipChannel, transferee: Channel, number: string, refer: ReferRequest): Promise<void> {
    const replaces = refer.replaces!;
    const consultSession = this.deps.sessionOf(replacedDialogKey(replaces));
    const consult = consultSession ? this.legs.get(consultSession) : undefined;
    if (!consult || consult.channel.level === 'terminated') {
      // RFC 3891 §3: no matching dialog → 481.
      await this.fail(call, 'attended', transferor, number, refer, 481);
      return;
    }
    const consultCall = this.callOf(consult.channel, consult.channel.session);
    const target = consultCall?.partners(consult.channel)[0];
    if (consultCall && !target && consult.channel.level !== 'connected' && this.deps.handover) {
      await this.toRinging(call, transferor, transferee, number, refer, consultCall, consult.channel);
      return;
    }
    if (!consultCall || !target || target === transferee) {
      await this.fail(call, 'attended', transferor, number, refer, 480);
      return;
    }
    await consultCall.detach(target);
    await consultCall.detach(consult.channel, { transferred: true });
    await call.detach(transferor, { transferred: true });
    if (!(await this.sameWorker(call, transferee, target))) {
      this.log.warn({ callId: call.id, target: target.id }, 'target could not be re-anchored: transfer failed');
      await this.fail(call, 'attended', transferor, number, refer, 500);
      await target.hangup(HangupCauses.TEMPORARY_FAILURE);
      return;
    }
    if (consultCall !== call) this.bridgedIn.set(target, call);
    await call.bridge(transferee, target);
    this.completed(call, { kind: 'attended', transferor, transferee, target, number, replacedCallId: consultCall.id === call.id ? null : consultCall.id });
    if (consultCall !== call) {
      consultCall.recordTransfer({
        kind: 'attended',
        at: this.deps.clock.now(),
        transferorLegId: consult.channel.id,
        transfereeLegId: transferee.id,
        targetLegId: target.id,
        target: number,
        replacedCallId: call.id,
        outcome: 200,
      });
    }
    await this.finish(refer, [consult.channel, transferor]);
  }

  /**
   * Semi-attended (RFC 5589 §7.3): the consultation still rings. Its ringing leg is taken over,
   * the consultation INVITE answered 487, NOTIFY 180 while the target rings; when it answers the
   * transferee and the target are bridged and the transferor's leg is cleared. A target that does
   * not answer leaves the transferee with the transferor (RFC 5589 §6.2), NOTIFY with the cause.
   * A consultation with no single ringing leg (forked to several contacts) is ended and the
   * target dialled afresh, as a blind transfer.
   */
  private async toRinging(call: Call, transferor: SipChannel, transferee: Channel, number: string, refer: ReferRequest, consultCall: Call, consult: SipChannel): Promise<void> {
    const target = takeRingingTarget(consultCall, consult, this.deps.handover!);
    if (!target) {
      // No single leg to take over (the consultation rings several contacts, or none yet): end it and dial the target afresh.
      this.log.info({ callId: call.id, consultCallId: consultCall.id }, 'consultation has no ringing leg to take over: dialling the target');
      consult.session.hangup({ status: 487 });
      await this.blind(call, transferor, transferee, number, refer);
      return;
    }
    this.log.info({ callId: call.id, consultCallId: consultCall.id, target: target.id }, 'transfer to a target still ringing');
    // RFC 3261 §9.2: the INVITE the transferor no longer needs ends as a cancelled one would.
    consult.session.hangup({ status: 487 });
    const rung = await awaitAnswer(target, { clock: this.deps.clock, timeoutMs: this.deps.ringTimeoutMs, signal: transferee.ended, onRinging: ringingOnce(refer) });
    if (!rung.answered || transferee.level === 'terminated') {
      if (rung.answered) await target.hangup(HangupCauses.NORMAL_CLEARING);
      await this.fail(call, 'attended', transferor, number, refer, rung.answered ? 487 : sipStatusForCause(rung.cause));
      return;
    }
    await call.detach(transferor, { transferred: true });
    if (!(await this.sameWorker(call, transferee, target))) {
      await this.fail(call, 'attended', transferor, number, refer, 500);
      await target.hangup(HangupCauses.TEMPORARY_FAILURE);
      return;
    }
    if (consultCall !== call) this.bridgedIn.set(target, call);
    await call.bridge(transferee, target);
    this.completed(call, { kind: 'attended', transferor, transferee, target, number, replacedCallId: consultCall.id === call.id ? null : consultCall.id });
    if (consultCall !== call) {
      consultCall.recordTransfer({ kind: 'attended', at: this.deps.clock.now(), transferorLegId: consult.id, transfereeLegId: transferee.id, targetLegId: target.id, target: number, replacedCallId: call.id, outcome: 200 });
    }
    await this.finish(refer, [transferor]);
  }

  /** Transferee and target must mix on one media worker; move the target there if not. */
  private async sameWorker(call: Call, transferee: Channel, target: Channel): Promise<boolean> {
    const a = call.mediaOf(transferee) as { link?: unknown } | null;
    const b = (target as Partial<SipChannel>).rtp as { link?: unknown } | null | undefined;
    if (!a || !b || a.link === b.link) return true;
    const sip = target as Partial<SipChannel>;
    this.log.info({ callId: call.id, target: target.id }, 'target on another media worker: re-anchoring it by re-INVITE');
    return typeof sip.moveMedia === 'function' ? sip.moveMedia(call.id) : false;
  }

  private completed(call: Call, o: { kind: Kind; transferor: Channel; transferee: Channel; target: Channel; number: string; replacedCallId: string | null }): void {
    call.recordTransfer({
      kind: o.kind,
      at: this.deps.clock.now(),
      transferorLegId: o.transferor.id,
      transfereeLegId: o.transferee.id,
      targetLegId: o.target.id,
      target: o.number,
      replacedCallId: o.replacedCallId,
      outcome: 200,
    });
    this.deps.bus.publish('call.transfer.completed', {
      callId: call.id,
      kind: o.kind,
      transferorLegId: o.transferor.id,
      transfereeLegId: o.transferee.id,
      targetLegId: o.target.id,
      target: o.number,
      replacedCallId: o.replacedCallId,
    });
    this.log.info({ callId: call.id, kind: o.kind, transferee: o.transferee.id, target: o.target.id }, 'transfer completed');
  }

  /**
   * The final NOTIFY (200 OK), then the transferor's legs are cleared. RFC 5589 §6.1 has the
   * transferor send BYE itself on that NOTIFY; the appliance does not wait for it (a phone that
   * forgets would keep a dead leg), and whichever BYE comes second gets a harmless 481.
   */
  private async finish(refer: ReferRequest, clear: readonly Channel[]): Promise<void> {
    await refer.notify(200, 'OK');
    for (const ch of clear) if (ch.level !== 'terminated') await ch.hangup(HangupCauses.NORMAL_CLEARING);
  }

  private async fail(call: Call | null | undefined, kind: Kind, transferor: Channel, number: string, refer: ReferRequest, status: number): Promise<void> {
    this.log.info({ callId: call?.id, kind, transferor: transferor.id, target: number, status }, 'transfer refused or failed');
    if (call) {
      call.recordTransfer({ kind, at: this.deps.clock.now(), transferorLegId: transferor.id, transfereeLegId: null, targetLegId: null, target: number, replacedCallId: null, outcome: status });
      this.deps.bus.publish('call.transfer.failed', { callId: call.id, kind, transferorLegId: transferor.id, target: number, status });
    }
    await refer.notify(status, REASON_PHRASES[status] ?? 'Failed');
  }
}

/** The number a Refer-To URI names: the user part of a SIP URI, a tel: number. */
export function numberOf(uri: Uri): string {
  if (isSipUri(uri)) return uri.user ?? '';
  if (isTelUri(uri)) return uri.number;
  return '';
}

/** RFC 3515 §2.4.5 progress: one NOTIFY "180 Ringing" however often the target's leg alerts. */
function ringingOnce(refer: ReferRequest): () => void {
  let sent = false;
  return () => {
    if (sent) return;
    sent = true;
    void refer.notify(180, 'Ringing');
  };
}

/** How a leg's party is presented when it becomes the caller of a transfer target. */
function partyOf(ch: Channel): PartyNumber {
  return ch.direction === 'inbound' ? ch.caller : ch.called;
}

/** `extensionFor` over the registrar and the dialplan: a registered extension, or a route whose target is one. */
export function localExtension(number: string, contacts: ContactLocator, routes: readonly Route[]): string | null {
  if (number === '') return null;
  if (contacts.locate(number).length > 0) return number;
  const r = matchRoute(routes, number, '');
  return r?.target.kind === 'extension' ? r.target.extension : null;
}
