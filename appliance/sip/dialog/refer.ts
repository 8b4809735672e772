/**
 * REFER (RFC 3515) as a B2BUA receives it from a phone, and the Replaces header (RFC 3891) an
 * attended transfer embeds in the Refer-To URI. This module holds the grammar and the notifier
 * of the implicit subscription; what a transfer does with the legs is call control's business
 * (calls/transfer.ts).
 *
 *  - RFC 3515 §2.1: "Refer-To = ("Refer-To" / "r") HCOLON ( name-addr / addr-spec ) *(SEMI
 *    generic-param)"; §2.4.1: "A REFER request MUST contain exactly one Refer-To header field
 *    value" — otherwise 400.
 *  - §2.4.2: "the UA MUST respond ... with 202 Accepted" when it accepts the REFER, and §2.4.4:
 *    "The NOTIFY MUST contain a body of type message/sipfrag"; §2.4.5: "the first NOTIFY" is
 *    sent immediately with "SIP/2.0 100 Trying"; the final NOTIFY carries the outcome and
 *    `Subscription-State: terminated;reason=noresource`. §2.4.6: the implicit subscription's
 *    Event header is `refer` (with `;id=` the CSeq of the REFER when several exist in a dialog).
 *  - RFC 3891 §6.1: "Replaces = "Replaces" HCOLON callid *(SEMI replaces-param)",
 *    replaces-param = to-tag / from-tag / early-flag; §3: the to-tag and from-tag are
 *    mandatory. In a Refer-To URI the header travels escaped (`?Replaces=id%3Bto-tag%3D...`);
 *    the URI parser has already decoded it.
 *  - RFC 3891 §3: the to-tag names the dialog as the sender of Replaces sees it: "to-tag" is
 *    the remote tag of the transferor's dialog, which at the appliance — the other end of that
 *    dialog — is our local tag; "from-tag" is our remote tag.
 */
import { isSipUri, parseNameAddr, type NameAddr, type SipRequest, type Uri } from '../message/index.js';
import { dialogKey } from './dialog.js';

export interface Replaces {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
}

export type ReferTarget =
  | { ok: true; target: NameAddr; uri: Uri; replaces: Replaces | null }
  | { ok: false; status: 400; reason: string };

/** The Refer-To of a REFER: exactly one value, a URI, with an optional embedded Replaces. */
export function parseReferTo(req: SipRequest): ReferTarget {
  const values = req.headers.getAll('refer-to');
  // §2.4.1: "A REFER request MUST contain exactly one Refer-To header field value."
  if (values.length !== 1) return { ok: false, status: 400, reason: values.length === 0 ? 'Missing Refer-To' : 'More than one Refer-To' };
  let target: NameAddr;
  try {
    target = parseNameAddr(values[0]!.trim());
  } catch {
    return { ok: false, status: 400, reason: 'Bad Refer-To' };
  }
  const uri = target.uri;
  let replaces: Replaces | null = null;
  if (isSipUri(uri)) {
    const raw = uri.headers.find(([k]) => k.toLowerCase() === 'replaces')?.[1];
    if (raw !== undefined) {
      replaces = parseReplaces(raw);
      if (!replaces) return { ok: false, status: 400, reason: 'Bad Replaces in Refer-To' };
    }
  }
  return { ok: true, target, uri, replaces };
}

/** RFC 3891 §6.1 Replaces value; null when the Call-ID or either tag is missing (§3: they are mandatory). */
export function parseReplaces(value: string): Replaces | null {
  const parts = value.split(';').map((p) => p.trim());
  const callId = parts.shift();
  if (!callId) return null;
  let toTag: string | null = null;
  let fromTag: string | null = null;
  let earlyOnly = false;
  for (const p of parts) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (name === 'to-tag') toTag = v;
    else if (name === 'from-tag') fromTag = v;
    else if (name === 'early-only') earlyOnly = true;
  }
  if (!toTag || !fromTag) return null;
  return { callId, toTag, fromTag, earlyOnly };
}

/** The Replaces value naming a dialog as its peer sees it (for tests and for REFERs we would send). */
export function formatReplaces(r: { callId: string; toTag: string; fromTag: string }): string {
  return `${r.callId};to-tag=${r.toTag};from-tag=${r.fromTag}`;
}

/** The key of the dialog a Replaces names, at the far end of the sender's dialog (our local tag = its to-tag). */
export function replacedDialogKey(r: Replaces): string {
  return dialogKey({ callId: r.callId, localTag: r.toTag, remoteTag: r.fromTag });
}

/** RFC 3420 message/sipfrag body of a NOTIFY: just the status line (§2.4.5 "SIP/2.0 100 Trying"). */
export function sipfrag(status: number, reason: string): string {
  return `SIP/2.0 ${status} ${reason}\r\n`;
}

/** What the session layer gives call control for a received REFER it has answered 202. */
export interface ReferRequest {
  readonly request: SipRequest;
  readonly target: NameAddr;
  readonly uri: Uri;
  readonly replaces: Replaces | null;
  /** Referred-By (RFC 3892) as sent, if any. */
  readonly referredBy: string | null;
  /**
   * Report progress in the implicit subscription (§2.4.4): a NOTIFY carrying
   * `SIP/2.0 <status> <reason>`; a final status (≥ 200) terminates the subscription. Resolves
   * with the status of the NOTIFY's answer (481/408 when the transferor is gone).
   */
  notify(status: number, reason: string): Promise<number>;
}
