/**
 * Session timers, RFC 4028: the negotiated interval and who refreshes.
 *
 *  - §4: "Session-Expires = ("Session-Expires" / "x") HCOLON delta-seconds *(SEMI se-params)",
 *    se-params "refresher" = "uas" / "uac"; "Min-SE = "Min-SE" HCOLON delta-seconds".
 *  - §8.1: "If the Session-Expires interval is too small (less than Min-SE), the UAS MUST reject
 *    it with a 422 (Session Interval Too Small)" carrying Min-SE.
 *  - §9: a UAS answering a request "that contained a Session-Expires header field ... MUST set the
 *    refresher parameter"; "If the request contained a Supported header field listing 'timer'
 *    ... the UAS MAY set it to 'uac'"; otherwise the UAS refreshes. A UAS whose peer sent no
 *    Session-Expires may still add one when the UAC supports 'timer' (refresher uac).
 *  - §10: the refresher "SHOULD send a refresh request ... at half the session expiration
 *    interval"; the other side "SHOULD send a BYE ... [at] the session interval minus the
 *    minimum of 32 seconds and one third of the session interval".
 */
import type { SipRequest, SipResponse } from '../message/index.js';

export const MIN_SE_FLOOR = 90;

export interface SessionTimerConfig {
  /** Interval we ask for, seconds (RFC 4028 recommends 1800). */
  expires: number;
  /** Smallest interval we accept, seconds (≥ 90, §4). */
  minSE: number;
}

export interface Negotiated {
  expires: number;
  refresher: 'uac' | 'uas';
}

export function parseSessionExpires(value: string | undefined): { expires: number; refresher: 'uac' | 'uas' | null } | null {
  if (value === undefined) return null;
  const m = /^\s*(\d{1,10})\s*((?:;[^;]*)*)$/.exec(value);
  if (!m) return null;
  const r = /;\s*refresher\s*=\s*(uac|uas)\b/i.exec(m[2] ?? '');
  return { expires: Number(m[1]), refresher: r ? (r[1]!.toLowerCase() as 'uac' | 'uas') : null };
}

export function supportsTimer(msg: SipRequest | SipResponse): boolean {
  return [...msg.headers.getAll('supported'), ...msg.headers.getAll('require')].some((t) => t.trim().toLowerCase() === 'timer');
}

/** The UAS decision for an INVITE: 422 when too small, otherwise what goes into the 2xx (or null: no timer). */
export function uasSessionTimer(invite: SipRequest, cfg: SessionTimerConfig): { reject422: number } | Negotiated | null {
  const se = parseSessionExpires(invite.headers.get('session-expires'));
  const timer = supportsTimer(invite);
  if (se) {
    if (se.expires < cfg.minSE) return { reject422: cfg.minSE };
    return { expires: se.expires, refresher: se.refresher ?? (timer ? 'uac' : 'uas') };
  }
  return timer ? { expires: cfg.expires, refresher: 'uac' } : null;
}

export function formatSessionExpires(n: Negotiated): string {
  return `${n.expires};refresher=${n.refresher}`;
}

/** §10: when the side that does not refresh gives up (ms after the last refresh). */
export function expiryMs(expires: number): number {
  return (expires - Math.min(32, expires / 3)) * 1000;
}
