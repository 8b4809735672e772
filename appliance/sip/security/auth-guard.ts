/**
 * What happens after failed SIP authentications (RELIABILITY.md S9), as the AuthGuard port of
 * auth/authenticator.ts:
 *   - per source IP: more than `ipMaxFailures - 1` failures within `ipWindowMs` (default 10 in
 *     60 s) bans the address for `ipBanMs` (default 15 min), "blocked after ≤ 10 failures in 60 s";
 *   - per account: `accountThreshold` failures within `accountWindowMs` lock the account for a
 *     backoff that doubles per lock (1 s → 60 s, ASVS 2.2.1 "soft lock"), and more than
 *     `accountHourlyMax` failures in an hour (S9: "≤ 100 failed attempts per hour per account")
 *     lock it until the hour has room again. A lock answers like a wrong password (S8), so an
 *     attacker spread over many addresses learns nothing while it lasts.
 *   - the lock never touches registrations, and it does not apply to an address that already
 *     holds a binding of that account (`trustedSource`, from the registrar): the real phone keeps
 *     refreshing while the account is under attack from elsewhere (S9 "without de-registering the
 *     real phone from its registered contact").
 * Every failure is a `sip.auth.failed` security event with IP, account and Call-ID.
 */
import type { Clock } from '../../core/clock.js';
import type { EventBus } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import type { AuthFailure, AuthGuard } from '../auth/index.js';
import { normalizeIp } from './address-set.js';
import type { BanList } from './ban-list.js';
import { SlidingWindow } from './sliding-window.js';

export interface AuthGuardOptions {
  ipMaxFailures: number;
  ipWindowMs: number;
  ipBanMs: number;
  accountThreshold: number;
  accountWindowMs: number;
  lockBaseMs: number;
  lockMaxMs: number;
  accountHourlyMax: number;
}

export const AUTH_GUARD_DEFAULTS: AuthGuardOptions = {
  ipMaxFailures: 10,
  ipWindowMs: 60_000,
  ipBanMs: 15 * 60_000,
  accountThreshold: 5,
  accountWindowMs: 60_000,
  lockBaseMs: 1_000,
  lockMaxMs: 60_000,
  accountHourlyMax: 100,
};

const HOUR = 3_600_000;

interface AccountLock {
  until: number;
  /** Locks in a row without a success: the next lasts lockBaseMs · 2^level. */
  level: number;
}

export interface SecurityAuthGuardDeps {
  clock: Clock;
  log: Logger;
  bus?: EventBus;
  bans: BanList;
  /** True when `ip` holds a live registration of `account` (registrar.hasBindingFrom). */
  trustedSource?: (account: string, ip: string) => boolean;
  options?: Partial<AuthGuardOptions>;
}

export class SecurityAuthGuard implements AuthGuard {
  readonly options: AuthGuardOptions;
  private readonly perIp: SlidingWindow;
  private readonly perAccount: SlidingWindow;
  private readonly perAccountHour: SlidingWindow;
  private readonly locks = new Map<string, AccountLock>();

  constructor(private readonly deps: SecurityAuthGuardDeps) {
    this.options = { ...AUTH_GUARD_DEFAULTS, ...deps.options };
    const o = this.options;
    this.perIp = new SlidingWindow(Math.max(1, o.ipMaxFailures - 1), o.ipWindowMs);
    this.perAccount = new SlidingWindow(Math.max(1, o.accountThreshold - 1), o.accountWindowMs);
    this.perAccountHour = new SlidingWindow(Math.max(1, o.accountHourlyMax - 1), HOUR);
  }

  locked(account: string, ip: string): boolean {
    const lock = this.locks.get(account);
    if (!lock || lock.until <= this.deps.clock.now()) return false;
    return !(this.deps.trustedSource?.(account, ip) ?? false);
  }

  /** When the account's lock ends (ms epoch), or null. */
  lockedUntil(account: string): number | null {
    const lock = this.locks.get(account);
    return lock && lock.until > this.deps.clock.now() ? lock.until : null;
  }

  failed(f: AuthFailure): void {
    const now = this.deps.clock.now();
    const ip = normalizeIp(f.ip);
    this.deps.log.info({ ip, account: f.account, callId: f.callId, method: f.method, reason: f.reason }, 'sip auth failed');
    this.deps.bus?.publish('sip.auth.failed', { ip, account: f.account, callId: f.callId, method: f.method, reason: f.reason });
    // S9: "blocked after ≤ 10 failures in 60 s per source IP": the window holds limit-1, so the limit-th failure exceeds it.
    if (!this.deps.bans.isWhitelisted(ip) && this.perIp.hit(ip, now)) {
      this.deps.bans.ban(ip, 'auth-failures', this.options.ipBanMs, this.options.ipMaxFailures);
      this.perIp.reset(ip);
    }
    const lock = this.locks.get(f.account);
    if (lock && lock.until > now) return; // attempts during a lock test nothing (answered uniformly)
    const burst = this.perAccount.hit(f.account, now);
    const hourly = this.perAccountHour.hit(f.account, now);
    if (burst || hourly) this.lock(f.account, now, hourly);
  }

  succeeded(account: string, ip: string): void {
    if (this.locked(account, ip)) return;
    this.locks.delete(account);
    this.perAccount.reset(account);
  }

  /** Forget idle counters (called on the Clock by the firewall's housekeeping). */
  prune(): void {
    const now = this.deps.clock.now();
    this.perIp.prune(now);
    this.perAccount.prune(now);
    this.perAccountHour.prune(now);
    for (const [k, l] of this.locks) if (l.until + HOUR <= now) this.locks.delete(k);
  }

  private lock(account: string, now: number, hourly: boolean): void {
    const o = this.options;
    const prev = this.locks.get(account);
    const level = prev ? prev.level + 1 : 0;
    const backoff = Math.min(o.lockMaxMs, o.lockBaseMs * 2 ** Math.min(level, 30));
    // Over the hourly budget: stay locked until the oldest failure of the hour leaves the window.
    const hourEnds = (this.perAccountHour.oldest(account) ?? now) + HOUR;
    const until = hourly ? Math.max(now + backoff, hourEnds) : now + backoff;
    this.locks.set(account, { until, level });
    this.perAccount.reset(account);
    const failures = this.perAccountHour.count(account, now);
    this.deps.log.warn({ account, until: new Date(until).toISOString(), failures }, 'sip account locked');
    this.deps.bus?.publish('sip.account.locked', { account, until, failures });
  }
}
