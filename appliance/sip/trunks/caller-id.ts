/**
 * Caller ID over a trunk: presentation and privacy, RFC 3325 (P-Asserted-Identity inside a
 * trust domain) and RFC 3323 (Privacy), both directions.
 *
 * Out (our INVITE to the carrier):
 *   RFC 3325 §9.1: "P-Asserted-Identity ... contains a URI ... and an optional display-name"
 *     — the site's number, sent when the trunk is configured to assert identity (the carrier is
 *     in our trust domain, §2).
 *   RFC 3323 §4.1.1.3: an anonymous From: `"Anonymous" <sip:anonymous@anonymous.invalid>`;
 *   RFC 3325 §9.3 / RFC 3323 §4.2: "Privacy: id" asks the carrier to withhold the asserted
 *     identity from the called party.
 * In (an INVITE from the carrier):
 *   the caller is the P-Asserted-Identity when present (the carrier is trusted by ACL), else
 *   the From user; Privacy: id, or an anonymous From, makes the presentation `restricted`;
 *   the called number (DID) is the Request-URI user, or the To user when the trunk says so.
 */
import { isSipUri, isTelUri, NameAddr, parseNameAddr, sipUri, type SipRequest, type Uri } from '../message/index.js';
import type { TrunkConfig } from './trunk-schema.js';

/** A party as call control sees it (structurally channel/channel.ts PartyNumber). */
export interface Party {
  number: string;
  name?: string;
  presentation: 'allowed' | 'restricted' | 'unavailable';
}

export const ANONYMOUS_FROM = (): NameAddr => new NameAddr(sipUri({ user: 'anonymous', host: 'anonymous.invalid' }), 'Anonymous');

/** From and extra headers of an INVITE we send to the trunk's carrier. */
export function outboundIdentity(t: TrunkConfig, caller: Party, host: string): { from: NameAddr; headers: Array<[string, string]>; restricted: boolean; number: string } {
  const number = t.callerId.number ?? caller.number;
  const restricted = t.callerId.restrict || caller.presentation === 'restricted';
  const own = sipUri({ user: number || 'anonymous', host });
  const from = restricted ? ANONYMOUS_FROM() : new NameAddr(own, caller.name ?? null);
  const headers: Array<[string, string]> = [];
  if (t.callerId.assert && number) headers.push(['P-Asserted-Identity', `<sip:${number}@${host}>`]);
  if (restricted) headers.push(['Privacy', 'id']);
  return { from, headers, restricted, number };
}

function userOf(u: Uri | undefined): string {
  if (!u) return '';
  if (isSipUri(u)) return u.user ?? '';
  if (isTelUri(u)) return u.number;
  return '';
}

/** Caller and called of an INVITE from the trunk. */
export function inboundParties(t: Pick<TrunkConfig, 'didFrom'>, req: SipRequest): { caller: Party; called: Party } {
  let asserted: NameAddr | null = null;
  const pai = req.headers.get('p-asserted-identity');
  if (pai) {
    try {
      asserted = parseNameAddr(pai.split(',')[0]!.trim());
    } catch {
      asserted = null;
    }
  }
  const from = req.from();
  const privacy = req.headers.getAll('privacy').flatMap((v) => v.split(';').map((s) => s.trim().toLowerCase()));
  const fromUser = userOf(from?.uri);
  const anonymousFrom = fromUser.toLowerCase() === 'anonymous' || (from && isSipUri(from.uri) && from.uri.host.toLowerCase() === 'anonymous.invalid');
  const number = asserted ? userOf(asserted.uri) : anonymousFrom ? '' : fromUser;
  const name = (asserted?.displayName ?? (anonymousFrom ? null : from?.displayName)) || undefined;
  const restricted = privacy.includes('id') || privacy.includes('user') || !!anonymousFrom;
  const caller: Party = { number, ...(name ? { name } : {}), presentation: restricted ? 'restricted' : number ? 'allowed' : 'unavailable' };
  const calledNumber = t.didFrom === 'to' ? userOf(req.to()?.uri) : userOf(req.uri);
  return { caller, called: { number: calledNumber, presentation: calledNumber ? 'allowed' : 'unavailable' } };
}
