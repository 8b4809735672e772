/**
 * One SIP trunk at run time: its configuration (trunk-schema.ts), its registration client
 * (registration.ts) when it registers, its OPTIONS qualify, its channel count, and whether it is
 * up. A trunk is up when it is enabled, registered (or IP-authenticated), and answered its last
 * OPTIONS (or qualify is off). Every change of `up` is published as `sip.trunk.state-changed`.
 *
 *   RFC 3261 §11.1: OPTIONS lets a UA "query ... capabilities ... without 'ringing' the other
 *     party"; any final response shows the peer is there (a 405 or 404 comes from a live stack),
 *     except 408 and 503, which a proxy sends for a peer it cannot reach.
 *   Channels: calls in and out share one count (`channels`, 0 = unlimited). An inbound INVITE
 *     over the limit is answered 503 (RFC 3261 §21.5.4 "temporarily unable to process"), an
 *     outbound attempt gets `congestion` (Q.850 34 NO_CIRCUIT_AVAILABLE) so the route falls back.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { EventBus } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import type { NextHop } from '../dialog/dialog.js';
import { Headers, NameAddr, SipRequest, sipUri, type SipUri } from '../message/index.js';
import type { AddressSet } from '../security/address-set.js';
import { normalizeIp } from '../security/address-set.js';
import { newTag } from '../transaction/index.js';
import type { ClientAuth } from '../dialog/session.js';
import { digestClientAuth } from './client-digest.js';
import { RegistrationClient, type RegistrationState } from './registration.js';
import type { SipRequester } from './requester.js';
import { aclOf, type TrunkConfig } from './trunk-schema.js';
import './trunk-events.js';

export interface TrunkDeps {
  clock: Clock;
  log: Logger;
  bus?: Pick<EventBus, 'publish'>;
  requester: SipRequester;
  /** For the registration back-off's random factor (tests: () => 1). */
  random?: () => number;
}

export interface TrunkStatus {
  id: string;
  up: boolean;
  reason: string;
  registration: RegistrationState | null;
  registrationExpiresAt: number | null;
  reachable: boolean | null;
  lastQualifyMs: number | null;
  channelsInUse: number;
  channels: number;
}

/** A channel held by a call; release it once (later calls are no-ops). */
export interface ChannelLease {
  release(): void;
}

export class SipTrunk {
  readonly config: TrunkConfig;
  readonly registration: RegistrationClient | null;
  private readonly acl: AddressSet;
  private inUse = 0;
  private reachable: boolean | null = null;
  private lastQualifyMs: number | null = null;
  private qualifyTimer: TimerHandle | null = null;
  private qualifying = false;
  private isUp = false;
  private reason = 'starting';
  private started = false;
  private readonly log: Logger;

  constructor(
    config: TrunkConfig,
    private readonly deps: TrunkDeps,
  ) {
    this.config = config;
    this.acl = aclOf(config);
    this.log = deps.log.child({ mod: 'sip.trunk', trunkId: config.id });
    const a = config.auth;
    this.registration =
      a.kind === 'registration'
        ? new RegistrationClient({
            clock: deps.clock,
            log: deps.log,
            requester: deps.requester,
            hop: this.hop,
            domain: a.domain ?? config.host,
            port: a.domain === null ? config.port : null,
            username: a.username,
            authUser: a.authUser,
            password: a.password,
            expires: a.expires,
            ...(deps.random ? { random: deps.random } : {}),
            onChange: (_registered, why) => this.evaluate(why),
          })
        : null;
  }

  get id(): string {
    return this.config.id;
  }

  /**
   * Credentials for a carrier that challenges our INVITEs (RFC 3261 §22.2): the registration's
   * auth user and password. An IP-authenticated trunk has none (a challenge ends the call).
   */
  get inviteAuth(): ClientAuth | null {
    const a = this.config.auth;
    if (a.kind !== 'registration') return null;
    this.clientAuth ??= digestClientAuth({ username: a.authUser ?? a.username, password: a.password });
    return this.clientAuth;
  }

  private clientAuth: ClientAuth | null = null;

  /** Where requests to the carrier go. */
  get hop(): NextHop {
    return { host: this.config.host.replace(/^\[|\]$/g, ''), port: this.config.port, protocol: this.config.transport };
  }

  get up(): boolean {
    return this.isUp;
  }

  get channelsInUse(): number {
    return this.inUse;
  }

  start(): void {
    if (this.started || !this.config.enabled) {
      this.evaluate('disabled');
      return;
    }
    this.started = true;
    this.registration?.start();
    if (this.config.qualifySeconds > 0) {
      this.qualify();
      this.qualifyTimer = this.deps.clock.setInterval(() => this.qualify(), this.config.qualifySeconds * 1000);
    }
    this.evaluate('started');
  }

  async stop(): Promise<void> {
    this.qualifyTimer?.cancel();
    this.qualifyTimer = null;
    this.started = false;
    await this.registration?.stop();
    this.evaluate('stopped');
  }

  /** True when a request from `source` is this trunk's (ACL, and the source port if configured). */
  identifies(source: { host: string; port: number }): boolean {
    if (!this.config.enabled) return false;
    if (this.config.sourcePort !== null && source.port !== this.config.sourcePort) return false;
    return this.acl.has(normalizeIp(source.host));
  }

  /** Take a channel, or null when the trunk is at its limit. */
  tryAcquire(): ChannelLease | null {
    if (this.config.channels > 0 && this.inUse >= this.config.channels) return null;
    this.inUse++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.inUse--;
      },
    };
  }

  status(): TrunkStatus {
    return {
      id: this.id,
      up: this.isUp,
      reason: this.reason,
      registration: this.registration?.state ?? null,
      registrationExpiresAt: this.registration?.expiresAt ?? null,
      reachable: this.reachable,
      lastQualifyMs: this.lastQualifyMs,
      channelsInUse: this.inUse,
      channels: this.config.channels,
    };
  }

  /** The Request-URI for a number on this trunk: sip:<number>@host[:port]. */
  uriFor(number: string): SipUri {
    return sipUri({ user: number, host: this.config.host.replace(/^\[|\]$/g, ''), ...(this.config.port === 5060 ? {} : { port: this.config.port }) });
  }

  private qualify(): void {
    if (this.qualifying) return;
    this.qualifying = true;
    const uri = sipUri({ host: this.hop.host, port: this.config.port });
    const h = new Headers();
    h.append('Max-Forwards', 70);
    h.appendTyped('from', new NameAddr(sipUri({ user: 'qualify', host: this.hop.host }), null, new Map([['tag', newTag()]])));
    h.appendTyped('to', new NameAddr(uri));
    h.append('Call-ID', `${newTag()}${newTag()}@qualify`);
    h.appendTyped('cseq', { seq: 1, method: 'OPTIONS' });
    const t0 = this.deps.clock.monotonic();
    void this.deps.requester.send(new SipRequest('OPTIONS', uri, h), this.hop).then((res) => {
      this.qualifying = false;
      if (!this.started) return;
      const alive = res !== null && res.status !== 408 && res.status !== 503;
      this.lastQualifyMs = alive ? this.deps.clock.monotonic() - t0 : null;
      if (alive === this.reachable) return;
      this.reachable = alive;
      this.evaluate(alive ? 'qualify ok' : res ? `qualify answered ${res.status}` : 'qualify timed out');
    });
  }

  private evaluate(why: string): void {
    const c = this.config;
    const up =
      this.started && c.enabled && (this.registration === null || this.registration.registered) && (c.qualifySeconds === 0 || this.reachable === true);
    if (up === this.isUp) {
      if (!up) this.reason = why;
      return;
    }
    this.isUp = up;
    this.reason = why;
    this.log.info({ up, reason: why }, up ? 'trunk up' : 'trunk down');
    this.deps.bus?.publish('sip.trunk.state-changed', { trunkId: c.id, up, reason: why });
  }
}
