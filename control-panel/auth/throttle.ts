/**
 * Login throttling (RELIABILITY.md W5; ASVS 4.0.3 2.2.1, ASVS 5.0 6.3.1):
 *
 * - per account: after 5 failures within 15 min, each further attempt must wait
 *   1 s, 2 s, 4 s … (doubling, at most 60 s) after the last failure, which also bounds failures
 *   to well under 100 per hour per account. This is a delay, never a lock-out.
 * - per source IP: 20 failures within 10 min ban the IP for 15 min.
 * - management networks (configured CIDRs) are never IP-banned, and their per-account count is
 *   kept apart from everyone else's, so an attacker hammering `admin` from elsewhere cannot
 *   slow the real administrator down ("no denial of service through lockout").
 *
 * Failures and bans are rows (store migration 0005) so a restart does not reset them; all
 * times come from the injected Clock.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../appliance/core/clock.js';
import type { Database } from '../../appliance/store/schema.js';
import { inAnyCidr, type Cidr } from './cidr.js';

export const ACCOUNT_WINDOW_MS = 15 * 60_000;
export const ACCOUNT_FREE_FAILURES = 5;
export const ACCOUNT_MAX_DELAY_MS = 60_000;
export const IP_WINDOW_MS = 10 * 60_000;
export const IP_MAX_FAILURES = 20;
export const IP_BAN_MS = 15 * 60_000;

export type ThrottleVerdict =
  | { allowed: true }
  | { allowed: false; reason: 'ip-banned' | 'account-delay'; retryAfterMs: number };

export interface LoginThrottleDeps {
  db: Kysely<Database>;
  clock: Clock;
  managementNetworks: readonly Cidr[];
}

/** Delay owed after `failures` failures in the window: 0 for the first five, then 1 s, 2 s … 60 s. */
export function accountDelayMs(failures: number): number {
  if (failures < ACCOUNT_FREE_FAILURES) return 0;
  return Math.min(1000 * 2 ** (failures - ACCOUNT_FREE_FAILURES), ACCOUNT_MAX_DELAY_MS);
}

export class LoginThrottle {
  constructor(private readonly deps: LoginThrottleDeps) {}

  trusted(ip: string): boolean {
    return inAnyCidr(this.deps.managementNetworks, ip);
  }

  /** May this attempt even be checked? Call before verifying the password. */
  async check(login: string, ip: string): Promise<ThrottleVerdict> {
    const now = this.deps.clock.now();
    const trusted = this.trusted(ip);
    if (!trusted) {
      const ban = await this.deps.db.selectFrom('panel_ip_bans').select('until').where('ip', '=', ip).executeTakeFirst();
      if (ban && ban.until > now) return { allowed: false, reason: 'ip-banned', retryAfterMs: ban.until - now };
    }
    const recent = await this.deps.db
      .selectFrom('panel_login_failures')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('at').as('last')])
      .where('login', '=', login)
      .where('trusted', '=', trusted ? 1 : 0)
      .where('at', '>', now - ACCOUNT_WINDOW_MS)
      .executeTakeFirst();
    const n = Number(recent?.n ?? 0);
    const last = recent?.last === null || recent?.last === undefined ? 0 : Number(recent.last);
    const wait = last + accountDelayMs(n) - now;
    if (n >= ACCOUNT_FREE_FAILURES && wait > 0) return { allowed: false, reason: 'account-delay', retryAfterMs: wait };
    return { allowed: true };
  }

  /** Count a failure; returns true when this failure got the IP banned. */
  async recordFailure(login: string, ip: string): Promise<boolean> {
    const now = this.deps.clock.now();
    const trusted = this.trusted(ip);
    await this.deps.db.insertInto('panel_login_failures').values({ at: now, login: login.slice(0, 100), ip, trusted: trusted ? 1 : 0 }).execute();
    if (trusted) return false;
    const row = await this.deps.db
      .selectFrom('panel_login_failures')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('ip', '=', ip)
      .where('at', '>', now - IP_WINDOW_MS)
      .executeTakeFirst();
    if (Number(row?.n ?? 0) < IP_MAX_FAILURES) return false;
    await this.deps.db
      .insertInto('panel_ip_bans')
      .values({ ip, until: now + IP_BAN_MS, created_at: now })
      .onConflict((oc) => oc.column('ip').doUpdateSet({ until: now + IP_BAN_MS, created_at: now }))
      .execute();
    return true;
  }

  /** A success clears the account's failures of the same trust class. */
  async recordSuccess(login: string, ip: string): Promise<void> {
    await this.deps.db
      .deleteFrom('panel_login_failures')
      .where('login', '=', login)
      .where('trusted', '=', this.trusted(ip) ? 1 : 0)
      .execute();
  }
}
