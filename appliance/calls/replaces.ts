/**
 * An INVITE carrying a Replaces header received from a phone (RFC 3891; issue 3 "REFER with
 * Replaces", the other half): the new leg takes the place of a leg the appliance already has.
 *
 *  - The replaced dialog is one the appliance is in: §3 "the to-tag parameter is compared to the
 *    local tag, and the from-tag parameter is compared to the remote tag" (sip/dialog/refer.ts
 *    replacedDialogKey). "If no match is found, the UAS rejects the INVITE and returns a 481".
 *    §3: "If more than one Replaces header field is present in an INVITE ... the UAS MUST reject
 *    the request with a 400 Bad Request response"; a Replaces without both tags is a 400 too.
 *  - "If the Replaces header field matches a dialog which has already terminated, the UA SHOULD
 *    decline the request with a 603 Declined response."
 *  - Early dialog (the appliance's own INVITE to a phone still ringing): call pickup. "If the
 *    Replaces header field matches an early dialog that was not initiated by this UA, it returns
 *    a 481" — a caller's INVITE still ringing here cannot be picked up. The new leg is answered,
 *    the ringing leg cancelled, and the dial that was waiting for it (CallHandler.dialExtension)
 *    gets the new leg as the one that answered (leg-handover.ts), so the caller is bridged with
 *    the picker and answered as if the rung phone had answered.
 *  - Confirmed dialog: "If the Replaces header field matches a confirmed dialog, it checks for
 *    the presence of the "early-only" flag ... If the flag is present, the UA rejects the request
 *    with a 486 Busy response." Otherwise the new leg is answered and bridged with the replaced
 *    leg's partner in its place, and the replaced leg gets a BYE ("the UA ... terminates the
 *    matched dialog by sending a BYE").
 *
 * Authorisation (§6.1: "the UA MUST verify that the initiator of the new INVITE is authorized to
 * replace the matched dialog"): the INVITE has passed the Digest guard like any call; pickup is
 * open to every extension of the appliance (not to trunks); a confirmed leg may only be taken
 * over by a phone of the same extension (moving a call to another device) — anything else is
 * 403. Without a guard configured (test rigs) only the trunk rule applies.
 *
 * The call's CDR lists the replacement as a transfer of kind 'replaces' (migration 0024):
 * transferor = the replaced leg, transferee = the party that stayed, target = the new leg.
 */
import type { Channel, PartyNumber } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import type { SipChannel } from '../channel/sip-channel.js';
import type { Clock } from '../core/clock.js';
import { toAppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import { parseReplaces, replacedDialogKey } from '../sip/dialog/refer.js';
import type { InviteSession } from '../sip/dialog/session.js';
import { isSipUri, isTelUri, type SipRequest, type Uri } from '../sip/message/index.js';
import type { Call } from './call.js';
import type { LegHandover } from './leg-handover.js';
import type { Admission } from './ports.js';

declare module '../core/events.js' {
  interface EventMap {
    'call.leg.replaced': { callId: string; replacedLegId: string; newLegId: string; early: boolean; party: string };
  }
}

export interface ReplacesDeps {
  clock: Clock;
  log: Logger;
  bus: Pick<EventBus, 'publish'>;
  handover: LegHandover;
  /** The session of a dialog by key (UserAgent.sessionOf). */
  sessionOf(dialogKey: string): InviteSession | null;
  /** The call a leg takes part in now, by its session (TransferService.legOf). */
  legOf(session: InviteSession): { call: Call; channel: SipChannel } | null;
  /** A new inbound leg on `session` (CallHandler: SipChannel.inbound with its channel deps). */
  newLeg(session: InviteSession, o: { caller: PartyNumber; called: PartyNumber; affinity: string }): SipChannel;
  /** Make `ch` a leg of `call` (CallHandler.track: CDR, REFER). */
  track(call: Call, ch: Channel): void;
}

export type ReplacesVerdict =
  | { ok: true; call: Call; replaced: SipChannel; early: boolean }
  | { ok: false; status: 400 | 403 | 481 | 486 | 603; reason: string };

export class ReplacesService {
  private readonly log: Logger;

  constructor(private readonly deps: ReplacesDeps) {
    this.log = deps.log.child({ mod: 'calls.replaces' });
  }

  /** Whether an INVITE is one for this module. */
  static wants(req: SipRequest): boolean {
    return req.headers.has('replaces');
  }

  /** Which leg an INVITE with Replaces may replace, or the status to refuse it with (RFC 3891 §3). */
  match(req: SipRequest, admitted: Admission, authRequired: boolean): ReplacesVerdict {
    const values = req.headers.getAll('replaces');
    if (values.length !== 1) return { ok: false, status: 400, reason: 'More than one Replaces' };
    const r = parseReplaces(values[0]!);
    if (!r) return { ok: false, status: 400, reason: 'Bad Replaces' };
    if (admitted.trunk || (authRequired && !admitted.user)) return { ok: false, status: 403, reason: 'Not allowed to replace' };
    const session = this.deps.sessionOf(replacedDialogKey(r));
    if (!session) return { ok: false, status: 481, reason: 'Call/Transaction Does Not Exist' };
    const leg = this.deps.legOf(session);
    if (session.ended || !leg || leg.channel.level === 'terminated') return { ok: false, status: 603, reason: 'Declined' };
    if (!session.isAnswered) {
      if (session.role === 'uas') return { ok: false, status: 481, reason: 'Early dialog not initiated here' };
      return { ok: true, call: leg.call, replaced: leg.channel, early: true };
    }
    if (r.earlyOnly) return { ok: false, status: 486, reason: 'Busy Here' };
    if (authRequired && admitted.user?.extension !== partyOf(leg.channel)) return { ok: false, status: 403, reason: 'Not allowed to replace' };
    return { ok: true, call: leg.call, replaced: leg.channel, early: false };
  }

  /** Carry out an INVITE with Replaces: refuse it, pick up the ringing leg, or take over the confirmed one. */
  async onInvite(session: InviteSession, req: SipRequest, admitted: Admission, authRequired: boolean): Promise<void> {
    const v = this.match(req, admitted, authRequired);
    if (!v.ok) {
      this.log.info({ status: v.status, reason: v.reason, source: session.source?.host }, 'INVITE with Replaces refused');
      session.reject(v.status, v.reason);
      return;
    }
    const caller = admitted.caller ?? party(req.from()?.uri);
    const leg = this.deps.newLeg(session, { caller, called: admitted.called ?? party(req.to()?.uri), affinity: v.call.id });
    const prepared = await leg.prepare();
    if (!prepared.ok) return;
    if (v.early) await this.pickup(v.call, v.replaced, leg);
    else await this.takeOver(v.call, v.replaced, leg);
  }

  /** Early: answer the picker, cancel the ringing leg; the dial waiting for it bridges the picker instead. */
  private async pickup(call: Call, ringing: SipChannel, picker: SipChannel): Promise<void> {
    this.deps.handover.substitute(ringing, picker);
    await picker.answer();
    ringing.on('hangup', () => {
      // Nobody was waiting for the ringing leg (it was not placed by a dial): the pickup has nothing to join.
      if (this.deps.handover.wasTaken(ringing)) {
        this.done(call, ringing, picker, true);
        return;
      }
      this.log.warn({ callId: call.id, legId: ringing.id }, 'picked-up leg had no dial waiting: clearing the picker');
      void picker.hangup(HangupCauses.NORMAL_CLEARING);
    });
    await ringing.hangup(HangupCauses.NORMAL_CLEARING);
  }

  /** Confirmed: the new leg is bridged with the replaced leg's partner, the replaced leg gets a BYE. */
  private async takeOver(call: Call, replaced: SipChannel, leg: SipChannel): Promise<void> {
    const partner = call.partners(replaced)[0];
    if (!partner) {
      leg.session.reject(480, 'Nothing to replace');
      return;
    }
    this.deps.track(call, leg);
    await leg.answer();
    await call.detach(replaced, { transferred: true });
    try {
      // The new leg takes the replaced leg's side of the bridge (its recording channel).
      if (replaced.direction === 'inbound') await call.bridge(leg, partner);
      else await call.bridge(partner, leg);
    } catch (err) {
      this.log.error({ err: toAppError(err).message, callId: call.id }, 'replacing leg could not be bridged');
      await leg.hangup(HangupCauses.TEMPORARY_FAILURE);
      await call.bridge(partner, replaced).catch(() => undefined);
      return;
    }
    await replaced.hangup(HangupCauses.NORMAL_CLEARING);
    this.done(call, replaced, leg, false);
  }

  private done(call: Call, replaced: Channel, by: Channel, early: boolean): void {
    const stayed = call.partners(by)[0] ?? call.channels.find((c) => c !== replaced && c !== by && c.level !== 'terminated') ?? null;
    call.recordTransfer({
      kind: 'replaces',
      at: this.deps.clock.now(),
      transferorLegId: replaced.id,
      transfereeLegId: stayed?.id ?? null,
      targetLegId: by.id,
      target: partyOf(by),
      replacedCallId: null,
      outcome: 200,
    });
    this.deps.bus.publish('call.leg.replaced', { callId: call.id, replacedLegId: replaced.id, newLegId: by.id, early, party: partyOf(by) });
    this.log.info({ callId: call.id, replaced: replaced.id, by: by.id, early }, early ? 'ringing leg picked up' : 'leg replaced');
  }
}

/** The number a leg stands for: the caller of an inbound leg, the called party of an outbound one. */
function partyOf(ch: Channel): string {
  return ch.direction === 'inbound' ? ch.caller.number : ch.called.number;
}

function party(uri: Uri | undefined): PartyNumber {
  const number = !uri ? '' : isSipUri(uri) ? (uri.user ?? '') : isTelUri(uri) ? uri.number : '';
  return { number, presentation: number ? 'allowed' : 'unavailable' };
}
