/**
 * Temporary IP bans (fail2ban-style, RELIABILITY.md S4 and S9), kept in memory for the hot path
 * and written through a small store port so a restart does not lift them (design §5.4: "the ban
 * in memory and persisted"). Each ban lifts itself on the Clock. Whitelisted addresses (trunks,
 * management networks) are never banned. A ban is logged and published once, when it starts,
 * however many packets the source keeps sending.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { EventBus } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import { normalizeIp, type AddressSet } from './address-set.js';
import type { BanReason } from './security-events.js';

export interface Ban {
  ip: string;
  reason: BanReason;
  since: number;
  until: number;
}

/** Persistence port (registrar/sip-store.ts implements it on SQLite). */
export interface BanStore {
  loadBans(): Ban[];
  saveBan(ban: Ban): void;
  deleteBan(ip: string): void;
}

export interface BanListDeps {
  clock: Clock;
  log: Logger;
  bus?: EventBus;
  whitelist?: AddressSet;
  store?: BanStore;
}

export class BanList {
  private readonly bans = new Map<string, { ban: Ban; timer: TimerHandle }>();

  constructor(private readonly deps: BanListDeps) {
    const now = deps.clock.now();
    for (const b of deps.store?.loadBans() ?? []) {
      if (b.until > now) this.arm(b);
      else deps.store?.deleteBan(b.ip);
    }
  }

  isBanned(ip: string): boolean {
    return this.bans.has(normalizeIp(ip));
  }

  isWhitelisted(ip: string): boolean {
    return this.deps.whitelist?.has(ip) ?? false;
  }

  /** Ban `ip` for `ms`; false when it is whitelisted or already banned (nothing logged again). */
  ban(ip: string, reason: BanReason, ms: number, count = 0): boolean {
    const key = normalizeIp(ip);
    if (this.isWhitelisted(key) || this.bans.has(key)) return false;
    const now = this.deps.clock.now();
    const ban: Ban = { ip: key, reason, since: now, until: now + ms };
    this.arm(ban);
    this.deps.store?.saveBan(ban);
    this.deps.log.warn({ ip: key, reason, until: new Date(ban.until).toISOString(), count }, 'sip source banned');
    this.deps.bus?.publish('sip.source.banned', { ip: key, reason, until: ban.until, count });
    return true;
  }

  unban(ip: string): boolean {
    const key = normalizeIp(ip);
    const entry = this.bans.get(key);
    if (!entry) return false;
    entry.timer.cancel();
    this.lift(entry.ban);
    return true;
  }

  list(): Ban[] {
    return [...this.bans.values()].map((e) => ({ ...e.ban })).sort((a, b) => a.since - b.since);
  }

  close(): void {
    for (const e of this.bans.values()) e.timer.cancel();
    this.bans.clear();
  }

  private arm(ban: Ban): void {
    const timer = this.deps.clock.setTimeout(() => this.lift(ban), ban.until - this.deps.clock.now());
    this.bans.set(ban.ip, { ban, timer });
  }

  private lift(ban: Ban): void {
    this.bans.delete(ban.ip);
    this.deps.store?.deleteBan(ban.ip);
    this.deps.log.info({ ip: ban.ip, reason: ban.reason }, 'sip source ban lifted');
    this.deps.bus?.publish('sip.source.unbanned', { ip: ban.ip, reason: ban.reason });
  }
}
