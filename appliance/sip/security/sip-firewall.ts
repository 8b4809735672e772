/**
 * The SIP firewall: a Transport decorator that filters every inbound message before the
 * transaction layer sees it (so a flood costs no transaction state), RELIABILITY.md S4, S5, S11:
 *   1. whitelisted sources (trunks, management networks) skip banning and rate limits;
 *   2. a banned source is dropped silently (no answer: answering a flood amplifies it);
 *   3. S11: requests whose User-Agent names a known scanner are dropped silently, when enabled
 *      (Kamailio's default config does the same for "friendly-scanner" and friends);
 *   4. S4: more than `rateLimit` messages in `rateWindowMs` from one address (default 30 in 2 s,
 *      Kamailio pike-like) bans it for `floodBanMs` (default 300 s), logged and published once;
 *   5. S5 admission control: while `admission.load()` is over `admission.limit`, new work
 *      (out-of-dialog requests other than ACK and CANCEL) is answered statelessly with 503 and
 *      Retry-After (RFC 3261 §21.5.4 "The server MAY indicate when the client should retry the
 *      request in a Retry-After header field"); in-dialog requests still pass so calls can end.
 * Housekeeping (pruning counters) runs on the Clock.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { SipMessage, SipRequest } from '../message/index.js';
import { serializeMessage } from '../parser/index.js';
import { createResponse } from '../transaction/index.js';
import { responseDestination, type Destination, type HostPort, type MessageHandler, type Source, type Transport } from '../transport/index.js';
import { normalizeIp } from './address-set.js';
import type { BanList } from './ban-list.js';
import { SlidingWindow } from './sliding-window.js';

/** User-Agent fragments of SIP scanners (lower case). */
export const SCANNER_USER_AGENTS = ['friendly-scanner', 'sipvicious', 'sipcli', 'vaxsipuseragent', 'sundayddr', 'iwar', 'sip-scan', 'sipscan', 'smap', 'pplsip'] as const;

export interface FirewallOptions {
  rateLimit: number;
  rateWindowMs: number;
  floodBanMs: number;
  dropScanners: boolean;
}

export const FIREWALL_DEFAULTS: FirewallOptions = { rateLimit: 30, rateWindowMs: 2_000, floodBanMs: 300_000, dropScanners: true };

export interface Admission {
  /** Current amount of work (e.g. server transactions in progress). */
  load(): number;
  limit: number;
  retryAfterSeconds: number;
}

export interface FirewallStats {
  passed: number;
  droppedBanned: number;
  droppedScanner: number;
  floodBans: number;
  shed503: number;
}

export interface SipFirewallDeps {
  clock: Clock;
  log: Logger;
  bans: BanList;
  /** Server header on the 503s (config.sip.userAgent). */
  serverHeader: string;
  admission?: Admission;
  options?: Partial<FirewallOptions>;
  /** Extra housekeeping on the same timer (SecurityAuthGuard.prune). */
  onPrune?: () => void;
}

const PRUNE_EVERY_MS = 60_000;

export class SipFirewall {
  readonly options: FirewallOptions;
  readonly stats: FirewallStats = { passed: 0, droppedBanned: 0, droppedScanner: 0, floodBans: 0, shed503: 0 };
  private readonly rate: SlidingWindow;
  private readonly housekeeping: TimerHandle;

  constructor(private readonly deps: SipFirewallDeps) {
    this.options = { ...FIREWALL_DEFAULTS, ...deps.options };
    this.rate = new SlidingWindow(this.options.rateLimit, this.options.rateWindowMs);
    this.housekeeping = deps.clock.setInterval(() => {
      this.rate.prune(deps.clock.now());
      deps.onPrune?.();
    }, PRUNE_EVERY_MS);
  }

  /** A Transport that behaves like `inner` but passes inbound messages through this firewall. */
  wrap(inner: Transport): Transport {
    return new GuardedTransport(inner, this);
  }

  close(): void {
    this.housekeeping.cancel();
  }

  /** The verdict for one inbound message: 'pass', 'drop', or '503' (answered here). */
  inspect(msg: SipMessage, source: Source): 'pass' | 'drop' | '503' {
    const ip = normalizeIp(source.host);
    const trusted = this.deps.bans.isWhitelisted(ip);
    if (!trusted) {
      if (this.deps.bans.isBanned(ip)) {
        this.stats.droppedBanned++;
        return 'drop';
      }
      if (this.options.dropScanners && msg.kind === 'request' && isScanner(msg)) {
        this.stats.droppedScanner++;
        return 'drop';
      }
      if (this.rate.hit(ip, this.deps.clock.now())) {
        if (this.deps.bans.ban(ip, 'flood', this.options.floodBanMs, this.options.rateLimit + 1)) this.stats.floodBans++;
        this.rate.reset(ip);
        this.stats.droppedBanned++;
        return 'drop';
      }
    }
    const a = this.deps.admission;
    if (a && msg.kind === 'request' && isNewWork(msg) && a.load() >= a.limit) {
      this.stats.shed503++;
      return '503';
    }
    this.stats.passed++;
    return 'pass';
  }

  /** The stateless 503 of admission control. */
  overloadResponse(req: SipRequest): Buffer {
    const res = createResponse(req, 503);
    res.headers.append('Server', this.deps.serverHeader);
    res.headers.append('Retry-After', String(this.deps.admission?.retryAfterSeconds ?? 5));
    return serializeMessage(res);
  }
}

function isScanner(req: SipRequest): boolean {
  const ua = req.headers.get('user-agent')?.toLowerCase();
  return ua !== undefined && SCANNER_USER_AGENTS.some((s) => ua.includes(s));
}

/** Out-of-dialog work: not ACK/CANCEL, and no To tag (RFC 3261 §12.2.2: in-dialog requests carry one). */
function isNewWork(req: SipRequest): boolean {
  if (req.method === 'ACK' || req.method === 'CANCEL') return false;
  try {
    return !req.to()?.tag;
  } catch {
    return true;
  }
}

class GuardedTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly firewall: SipFirewall,
  ) {}

  get protocol(): Transport['protocol'] {
    return this.inner.protocol;
  }

  get reliable(): boolean {
    return this.inner.reliable;
  }

  localAddress(): HostPort {
    return this.inner.localAddress();
  }

  send(bytes: Buffer, dest: Destination): Promise<void> {
    return this.inner.send(bytes, dest);
  }

  onMessage(handler: MessageHandler): void {
    this.inner.onMessage((msg, source) => {
      const verdict = this.firewall.inspect(msg, source);
      if (verdict === 'pass') handler(msg, source, this);
      else if (verdict === '503' && msg.kind === 'request') {
        const via = msg.topVia();
        if (via) this.inner.send(this.firewall.overloadResponse(msg), responseDestination(via, source)).catch(() => undefined);
      }
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
