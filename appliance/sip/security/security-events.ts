/**
 * SIP security events on the bus (RELIABILITY.md S4, S9; design §5.4 "Emit security events in
 * the Asterisk style, in the audit log"): one event per ban, per lift, per account lock and per
 * authentication failure (IP, account, Call-ID), added to EventMap by declaration merging.
 */
import type { AuthFailureReason } from '../auth/index.js';

export const BanReasons = ['flood', 'auth-failures', 'manual'] as const;
export type BanReason = (typeof BanReasons)[number];

declare module '../../core/events.js' {
  interface EventMap {
    'sip.source.banned': { ip: string; reason: BanReason; until: number; count: number };
    'sip.source.unbanned': { ip: string; reason: BanReason };
    'sip.auth.failed': { ip: string; account: string; callId: string; method: string; reason: AuthFailureReason };
    'sip.account.locked': { account: string; until: number; failures: number };
  }
}
