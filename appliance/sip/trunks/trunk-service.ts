/**
 * The trunks of the appliance: loads them from the store, runs one SipTrunk per configuration
 * (registration, qualify, channel count), replaces a trunk's runtime when its configuration
 * changes, and answers the INVITE guard question for call control (calls/ports.ts InviteGuard,
 * structurally — sip/ does not import calls/):
 *
 *   a new INVITE from a trunk's ACL (and source port, if set) is the carrier's: it skips phone
 *   Digest authentication (issue 3 "trunk ACLs (accept INVITEs only from the carrier's
 *   addresses)"), takes a channel, and carries the caller/called parties read per RFC 3325 /
 *   RFC 3323 (caller-id.ts) and the trunk's codec order. Over the channel limit it is answered
 *   503 with Retry-After (RFC 3261 §21.5.4). Anything else goes to the phones' guard.
 */
import type { Clock } from '../../core/clock.js';
import type { EventBus } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import type { SipRequest } from '../message/index.js';
import type { Source } from '../transport/index.js';
import { parse as parseSdp } from 'sdp-transform';
import { inboundParties, type Party } from './caller-id.js';
import type { SipRequester } from './requester.js';
import { SipTrunk, type ChannelLease, type TrunkStatus } from './trunk.js';
import type { TrunkConfig, TrunkInput } from './trunk-schema.js';
import type { TrunkStorePort } from './trunk-store.js';
import './trunk-events.js';

/** The guard's answer (structurally calls/ports.ts GuardResult). */
export type TrunkGuardResult =
  | {
      ok: true;
      user?: { extension: string };
      trunk?: { id: string; codecs: readonly ('PCMA' | 'PCMU')[]; lease: ChannelLease };
      caller?: Party;
      called?: Party;
    }
  | { ok: false; status: number; headers: ReadonlyArray<[string, string]> };

export interface PhoneGuard {
  check(req: SipRequest, source: Source): { ok: true; user?: { extension: string } } | { ok: false; status: number; headers: ReadonlyArray<[string, string]> };
}

export interface TrunkServiceDeps {
  clock: Clock;
  log: Logger;
  bus?: Pick<EventBus, 'publish'>;
  store: TrunkStorePort;
  requester: SipRequester;
  random?: () => number;
}

export type TrunkListener = (id: string, trunk: SipTrunk | null) => void;

export class TrunkService {
  private readonly trunks = new Map<string, SipTrunk>();
  private readonly listeners = new Set<TrunkListener>();
  private running = false;
  private readonly log: Logger;

  constructor(private readonly deps: TrunkServiceDeps) {
    this.log = deps.log.child({ mod: 'sip.trunks' });
  }

  /** Build and start every stored trunk. */
  start(): void {
    this.running = true;
    for (const cfg of this.deps.store.list()) this.install(cfg);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all([...this.trunks.values()].map((t) => t.stop()));
  }

  /** Hear about trunks added, replaced (new runtime) or removed (null). */
  onChange(fn: TrunkListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(id: string): SipTrunk | undefined {
    return this.trunks.get(id);
  }

  list(): SipTrunk[] {
    return [...this.trunks.values()];
  }

  configs(): TrunkConfig[] {
    return this.deps.store.list();
  }

  config(id: string): TrunkConfig | null {
    return this.deps.store.get(id);
  }

  status(id: string): TrunkStatus | null {
    return this.trunks.get(id)?.status() ?? null;
  }

  /** Store a configuration and (re)start its runtime. */
  async save(input: TrunkInput): Promise<TrunkConfig> {
    const cfg = this.deps.store.save(input);
    await this.trunks.get(cfg.id)?.stop();
    this.install(cfg);
    return cfg;
  }

  async remove(id: string): Promise<boolean> {
    const removed = this.deps.store.remove(id);
    const t = this.trunks.get(id);
    if (t) {
      this.trunks.delete(id);
      await t.stop();
      for (const fn of this.listeners) fn(id, null);
    }
    return removed;
  }

  /** The trunk a request from `source` belongs to, if any. */
  identify(source: { host: string; port: number }): SipTrunk | null {
    for (const t of this.trunks.values()) if (t.identifies(source)) return t;
    return null;
  }

  /** The INVITE guard: trunk calls by ACL, everything else through `phones` (Digest). */
  guard(phones: PhoneGuard | null): { check(req: SipRequest, source: Source): TrunkGuardResult } {
    return {
      check: (req, source) => {
        const trunk = this.identify(source);
        if (!trunk) return phones ? phones.check(req, source) : { ok: true };
        const lease = trunk.tryAcquire();
        if (!lease) {
          this.log.warn({ trunkId: trunk.id, inUse: trunk.channelsInUse, limit: trunk.config.channels }, 'trunk channel limit: inbound call refused');
          this.deps.bus?.publish('sip.trunk.call-refused', { trunkId: trunk.id, direction: 'inbound', reason: 'channel-limit', inUse: trunk.channelsInUse, limit: trunk.config.channels });
          return { ok: false, status: 503, headers: [['Retry-After', '30']] };
        }
        const parties = inboundParties(trunk.config, req);
        return { ok: true, trunk: { id: trunk.id, codecs: preferredCodecs(trunk.config.codecs, req.body), lease }, ...parties };
      },
    };
  }

  private install(cfg: TrunkConfig): void {
    const t = new SipTrunk(cfg, { clock: this.deps.clock, log: this.deps.log, requester: this.deps.requester, ...(this.deps.bus ? { bus: this.deps.bus } : {}), ...(this.deps.random ? { random: this.deps.random } : {}) });
    this.trunks.set(cfg.id, t);
    if (this.running) t.start();
    for (const fn of this.listeners) fn(cfg.id, t);
  }
}

/** RFC 3551 static payload types of the codecs a trunk may prefer. */
const STATIC_PT: Readonly<Record<number, 'PCMU' | 'PCMA'>> = { 0: 'PCMU', 8: 'PCMA' };

/**
 * The trunk's codec order applied to an offer: the answer takes the first offered codec we list
 * (sdp/offer-answer.ts follows the offerer's order), so the list is narrowed to the trunk's most
 * preferred codec the carrier offered; an offer with none of them keeps the whole list (→ 488).
 */
export function preferredCodecs(order: readonly ('PCMA' | 'PCMU')[], sdp: Buffer): readonly ('PCMA' | 'PCMU')[] {
  const offered = new Set<string>();
  try {
    for (const m of parseSdp(sdp.toString('utf8')).media) {
      if (m.type !== 'audio') continue;
      for (const r of m.rtp) offered.add(r.codec.toUpperCase());
      for (const pt of String(m.payloads ?? '').split(' ')) {
        const s = STATIC_PT[Number(pt)];
        if (s) offered.add(s);
      }
    }
  } catch {
    return order;
  }
  const first = order.find((c) => offered.has(c));
  return first ? [first] : order;
}
