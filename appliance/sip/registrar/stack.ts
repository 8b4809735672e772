/**
 * One call that builds the SIP access layer on a Store: extensions (the credential directory),
 * bans, the authentication failure guard, the Digest authenticator, the firewall, and the
 * registrar, wired to one another the way RELIABILITY.md S4/S8/S9 need (the guard bans through
 * the ban list and trusts addresses that hold a binding; bans persist in the same database).
 * The daemon and the real-peer tests use it; the B2BUA takes `authenticator` and `registrar`.
 */
import type { Clock } from '../../core/clock.js';
import type { EventBus } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import type { Store } from '../../store/database.js';
import { DigestAuthenticator, type ServerAlgorithm } from '../auth/index.js';
import { AddressSet, BanList, SecurityAuthGuard, SipFirewall, type Admission, type AuthGuardOptions, type FirewallOptions } from '../security/index.js';
import type { SipEndpoint } from '../ua/endpoint.js';
import type { RegistrarPolicy } from './bindings.js';
import { ExtensionService } from './extension-service.js';
import { registrarHandler } from './handler.js';
import { Registrar } from './registrar.js';
import { SqliteSipStore } from './sip-store.js';

export interface SipAccessOptions {
  realm: string;
  /** Server header of the firewall's stateless 503s. */
  userAgent: string;
  /** CIDR blocks never banned or rate-limited (trunks, management networks). */
  whitelist?: readonly string[];
  registrar?: Partial<RegistrarPolicy>;
  qualifyIntervalMs?: number;
  guard?: Partial<AuthGuardOptions>;
  firewall?: Partial<FirewallOptions>;
  admission?: Admission;
  nonceLifetimeMs?: number;
  /** Digest algorithms challenged and accepted (default SHA-256, MD5; see DigestAuthenticator). */
  algorithms?: readonly ServerAlgorithm[];
}

export interface SipAccess {
  extensions: ExtensionService;
  authenticator: DigestAuthenticator;
  registrar: Registrar;
  bans: BanList;
  guard: SecurityAuthGuard;
  firewall: SipFirewall;
  /** Handler for an endpoint without call control (REGISTER + authenticated 480 for the rest). */
  handler: ReturnType<typeof registrarHandler>;
  /** Start NAT keepalives through the endpoint. */
  attach(endpoint: SipEndpoint): void;
  close(): void;
}

export function createSipAccess(deps: { store: Pick<Store, 'sqlite' | 'db'>; clock: Clock; log: Logger; bus?: EventBus }, o: SipAccessOptions): SipAccess {
  const { clock, bus } = deps;
  const log = deps.log.child({ mod: 'sip.access' });
  const sipStore = new SqliteSipStore(deps.store, () => clock.now());
  const extensions = new ExtensionService({ store: sipStore, clock, realm: o.realm });
  const bans = new BanList({ clock, log, store: sipStore, ...(bus ? { bus } : {}), ...(o.whitelist ? { whitelist: new AddressSet(o.whitelist) } : {}) });
  let registrar: Registrar | null = null;
  const guard = new SecurityAuthGuard({
    clock,
    log,
    bans,
    ...(bus ? { bus } : {}),
    trustedSource: (account, ip) => registrar?.hasBindingFrom(account, ip) ?? false,
    ...(o.guard ? { options: o.guard } : {}),
  });
  const authenticator = new DigestAuthenticator({
    clock,
    realm: o.realm,
    directory: extensions,
    guard,
    ...(o.nonceLifetimeMs === undefined ? {} : { nonceLifetimeMs: o.nonceLifetimeMs }),
    ...(o.algorithms ? { algorithms: o.algorithms } : {}),
  });
  const reg = new Registrar({
    clock,
    log,
    authenticator,
    store: sipStore,
    extensions,
    ...(bus ? { bus } : {}),
    ...(o.registrar ? { policy: o.registrar } : {}),
    ...(o.qualifyIntervalMs === undefined ? {} : { qualifyIntervalMs: o.qualifyIntervalMs }),
  });
  registrar = reg;
  const firewall = new SipFirewall({
    clock,
    log,
    bans,
    serverHeader: o.userAgent,
    onPrune: () => guard.prune(),
    ...(o.firewall ? { options: o.firewall } : {}),
    ...(o.admission ? { admission: o.admission } : {}),
  });
  return {
    extensions,
    authenticator,
    registrar: reg,
    bans,
    guard,
    firewall,
    handler: registrarHandler({ registrar: reg, authenticator }),
    attach: (endpoint) => reg.attach(endpoint),
    close() {
      reg.close();
      firewall.close();
      bans.close();
    },
  };
}
