/**
 * The registrar for agents' phones, RFC 3261 §10.3: authenticates REGISTER (auth/, with the To
 * and From users bound to the credentials, RELIABILITY.md S10 d), applies it to the AOR's
 * bindings (bindings.ts), commits the change to SQLite before answering (so bindings survive a
 * restart, D1), answers 200 with every current contact and its `expires` (§10.3 step 8), and
 * expires bindings on the Clock. The rest of the appliance sees registrations through events:
 *   sip.registration.created / expired / removed   one per binding,
 *   sip.presence.changed                           an extension going online or offline,
 *   sip.contact.reachability-changed               a NAT keepalive (OPTIONS qualify) result.
 * `lookup(aor)` gives the B2BUA the contacts to ring, with the address each REGISTER came from:
 * behind NAT that, not the Contact host, is where requests must go.
 *
 * NAT keepalive ("qualify"): every `qualifyIntervalMs` each binding is sent an OPTIONS over the
 * flow it registered on (keeping the NAT pinhole open); any final response marks it reachable,
 * a transaction timeout or transport error unreachable. An unreachable contact stays bound (the
 * phone may come back before it expires) but lookup() lists it last and presence counts only
 * reachable contacts.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { ParseError } from '../../core/errors.js';
import type { EventBus } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import type { DigestAuthenticator } from '../auth/index.js';
import { Headers, NameAddr, parseContact, parseDeltaSeconds, SipRequest, sipUri, WILDCARD, type Contact, type Uri } from '../message/index.js';
import type { ServerTransactionAny } from '../transaction/index.js';
import type { Source } from '../transport/index.js';
import { normalizeIp } from '../security/address-set.js';
import type { SipEndpoint } from '../ua/endpoint.js';
import { applyRegister, REGISTRAR_DEFAULTS, type Binding, type BindingStore, type RegistrarPolicy } from './bindings.js';

declare module '../../core/events.js' {
  interface EventMap {
    'sip.registration.created': { aor: string; contact: string; expiresAt: number; source: string; userAgent: string | null };
    'sip.registration.expired': { aor: string; contact: string };
    'sip.registration.removed': { aor: string; contact: string; why: 'unregistered' | 'replaced' | 'extension-removed' };
    'sip.presence.changed': { aor: string; online: boolean; contacts: number };
    'sip.contact.reachability-changed': { aor: string; contact: string; reachable: boolean };
  }
}

/** A contact the B2BUA can ring. */
export interface RegisteredContact {
  aor: string;
  /** The Contact URI (Request-URI of requests to the phone). */
  uri: Uri;
  contact: string;
  /** Where to send (the REGISTER's source: NAT-safe, and the connection for TCP/TLS). */
  destination: Binding['source'];
  q: number | null;
  expiresAt: number;
  registeredAt: number;
  reachable: boolean;
  userAgent: string | null;
}

/** What the registrar needs to know of an extension. */
export interface RegistrarExtensions {
  record(number: string): { enabled: boolean; maxContacts: number } | null;
  credentials(authUser: string): { extension: string } | null;
}

export interface RegistrarDeps {
  clock: Clock;
  log: Logger;
  bus?: EventBus;
  authenticator: DigestAuthenticator;
  store: BindingStore;
  extensions: RegistrarExtensions;
  policy?: Partial<RegistrarPolicy>;
  /** OPTIONS qualify period, ms (0: off). */
  qualifyIntervalMs?: number;
}

interface Live {
  binding: Binding;
  uri: Uri;
  timer: TimerHandle;
  reachable: boolean;
  qualifying: boolean;
}

export const QUALIFY_DEFAULT_MS = 30_000;

export class Registrar {
  readonly policy: RegistrarPolicy;
  private readonly aors = new Map<string, Map<string, Live>>();
  private readonly online = new Set<string>();
  private endpoint: SipEndpoint | null = null;
  private qualifyTimer: TimerHandle | null = null;

  constructor(private readonly deps: RegistrarDeps) {
    this.policy = { ...REGISTRAR_DEFAULTS, ...deps.policy };
    this.restore();
  }

  /** Start sending OPTIONS keepalives through this endpoint (and use it for nothing else). */
  attach(endpoint: SipEndpoint): void {
    this.endpoint = endpoint;
    const every = this.deps.qualifyIntervalMs ?? QUALIFY_DEFAULT_MS;
    if (every > 0 && !this.qualifyTimer) this.qualifyTimer = this.deps.clock.setInterval(() => this.qualifyAll(), every);
  }

  close(): void {
    this.qualifyTimer?.cancel();
    this.qualifyTimer = null;
    for (const m of this.aors.values()) for (const l of m.values()) l.timer.cancel();
    this.aors.clear();
  }

  /** Contacts of an AOR (extension number), reachable first, then by q (highest first), then most recently registered. */
  lookup(aor: string): RegisteredContact[] {
    const m = this.aors.get(aor);
    if (!m) return [];
    return [...m.values()]
      .map((l) => ({
        aor,
        uri: l.uri,
        contact: l.binding.contact,
        destination: l.binding.source,
        q: l.binding.q,
        expiresAt: l.binding.expiresAt,
        registeredAt: l.binding.registeredAt,
        reachable: l.reachable,
        userAgent: l.binding.userAgent,
      }))
      .sort((a, b) => Number(b.reachable) - Number(a.reachable) || (b.q ?? 1) - (a.q ?? 1) || b.registeredAt - a.registeredAt);
  }

  /**
   * calls/ports.ts ContactLocator: reachable contacts of an extension as (Request-URI, next hop), the hop being the REGISTER's
   * source. (Structural: sip/ does not import calls/.)
   */
  locate(extension: string): Array<{ uri: Uri; hop: { host: string; port: number; protocol: Binding['source']['protocol'] } }> {
    return this.lookup(extension)
      .filter((c) => c.reachable)
      .map((c) => ({ uri: c.uri, hop: { host: c.destination.host, port: c.destination.port, protocol: c.destination.protocol } }));
  }

  /** ua/user-agent.ts RegistrarPort. */
  onRegister(req: SipRequest, tx: ServerTransactionAny, endpoint: SipEndpoint): void {
    this.handleRegister(req, tx, endpoint);
  }

  isOnline(aor: string): boolean {
    return this.online.has(aor);
  }

  /** Every binding (panel, diagnostics). */
  bindings(): RegisteredContact[] {
    return [...this.aors.keys()].sort().flatMap((aor) => this.lookup(aor));
  }

  /** True when `ip` holds a live binding of the extension `authUser` authenticates as (SecurityAuthGuard.trustedSource). */
  hasBindingFrom(authUser: string, ip: string): boolean {
    const ext = this.deps.extensions.credentials(authUser)?.extension;
    const m = ext === undefined ? undefined : this.aors.get(ext);
    if (!m) return false;
    const n = normalizeIp(ip);
    for (const l of m.values()) if (normalizeIp(l.binding.source.host) === n) return true;
    return false;
  }

  /** Forget an AOR's bindings (its extension was deleted; the database rows went with it). */
  dropAor(aor: string): void {
    const m = this.aors.get(aor);
    if (!m) return;
    for (const l of [...m.values()]) this.forget(l.binding, 'removed', 'extension-removed');
  }

  /** Handle one REGISTER on its server transaction (the B2BUA's handler delegates here). */
  handleRegister(req: SipRequest, tx: ServerTransactionAny, endpoint: SipEndpoint): void {
    const auth = this.deps.authenticator.authenticate(req, tx.source, 'from-and-to');
    if (!auth.ok) {
      endpoint.respond(tx, auth.response.status, undefined, auth.response.headers);
      return;
    }
    const aor = auth.user.extension;
    const ext = this.deps.extensions.record(aor);
    if (!ext || !ext.enabled) {
      endpoint.respond(tx, 403);
      return;
    }
    let contacts: Contact[] | '*';
    let expiresHeader: number | null = null;
    try {
      const values = req.contacts();
      if (values.includes(WILDCARD)) {
        // §10.3 step 6: "*" with other contacts is invalid.
        if (values.length !== 1) {
          endpoint.respond(tx, 400, 'Invalid Wildcard');
          return;
        }
        contacts = '*';
      } else contacts = values as Contact[];
      const e = req.headers.get('expires');
      if (e !== undefined) {
        expiresHeader = parseDeltaSeconds(e.trim());
        if (expiresHeader === null) throw new ParseError('bad Expires', 0);
      }
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      endpoint.respond(tx, 400);
      return;
    }
    const now = this.deps.clock.now();
    const current = [...(this.aors.get(aor)?.values() ?? [])].map((l) => l.binding);
    const hasChanges = contacts === '*' || contacts.length > 0;
    const outcome = hasChanges
      ? applyRegister(
          current,
          {
            aor,
            callId: req.callId() ?? '',
            cseq: req.cseq()?.seq ?? 0,
            now,
            contacts,
            expiresHeader,
            source: sourceOf(tx.source),
            userAgent: req.headers.get('user-agent')?.slice(0, 128) ?? null,
            maxContacts: ext.maxContacts,
          },
          this.policy,
        )
      : ({ kind: 'ok', created: [], refreshed: [], removed: [], current } as const);
    switch (outcome.kind) {
      case 'interval-too-brief':
        // §10.3 step 7: "the registrar ... MUST add a Min-Expires header field" to the 423.
        endpoint.respond(tx, 423, undefined, [['Min-Expires', String(outcome.minExpires)]]);
        return;
      case 'invalid-wildcard':
        endpoint.respond(tx, 400, 'Invalid Wildcard');
        return;
      case 'out-of-order':
        // §10.3 step 7: "the update MUST be aborted and the request fails."
        endpoint.respond(tx, 500, 'Out Of Order CSeq', [['Retry-After', '1']]);
        return;
      case 'ok':
        break;
    }
    if (hasChanges) {
      const upserts = [...outcome.created, ...outcome.refreshed];
      this.deps.store.writeBindings(
        upserts,
        outcome.removed.map((r) => ({ aor, contactKey: r.binding.contactKey })),
      );
      for (const r of outcome.removed) this.forget(r.binding, 'removed', r.why);
      for (const b of outcome.refreshed) this.keep(b, false);
      for (const b of outcome.created) this.keep(b, true);
      this.updatePresence(aor);
    }
    // §10.3 step 8: "The response SHOULD contain a Date header field" and all current bindings, each with an "expires" parameter.
    const headers: Array<[string, string]> = outcome.current.map((b) => [
      'Contact',
      `${b.contact};expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`,
    ]);
    headers.push(['Date', new Date(now).toUTCString()]);
    endpoint.respond(tx, 200, undefined, headers);
  }

  private restore(): void {
    const now = this.deps.clock.now();
    const gone: Binding[] = [];
    for (const b of this.deps.store.loadBindings()) {
      if (b.expiresAt <= now) gone.push(b);
      else this.keep(b, false);
    }
    if (gone.length > 0) this.deps.store.writeBindings([], gone.map((b) => ({ aor: b.aor, contactKey: b.contactKey })));
    for (const b of gone) this.deps.bus?.publish('sip.registration.expired', { aor: b.aor, contact: b.contact });
    for (const aor of this.aors.keys()) this.updatePresence(aor);
    this.deps.log.info({ bindings: this.bindings().length, expired: gone.length }, 'registrar bindings restored');
  }

  /** Hold a binding in memory with its expiry timer (replacing an older copy). */
  private keep(b: Binding, isNew: boolean): void {
    let m = this.aors.get(b.aor);
    if (!m) {
      m = new Map();
      this.aors.set(b.aor, m);
    }
    const old = m.get(b.contactKey);
    old?.timer.cancel();
    let uri: Uri;
    try {
      const c = parseContact(b.contact);
      uri = c === WILDCARD ? sipUri({ host: b.source.host, port: b.source.port }) : c.uri;
    } catch {
      uri = sipUri({ host: b.source.host, port: b.source.port });
    }
    const timer = this.deps.clock.setTimeout(() => this.expire(b.aor, b.contactKey), b.expiresAt - this.deps.clock.now());
    m.set(b.contactKey, { binding: b, uri, timer, reachable: old?.reachable ?? true, qualifying: false });
    if (isNew) {
      const s = b.source;
      this.deps.log.info({ aor: b.aor, contact: b.contact, source: `${s.protocol}:${s.host}:${s.port}` }, 'sip registration created');
      this.deps.bus?.publish('sip.registration.created', {
        aor: b.aor,
        contact: b.contact,
        expiresAt: b.expiresAt,
        source: `${s.protocol}:${s.host}:${s.port}`,
        userAgent: b.userAgent,
      });
    }
  }

  private expire(aor: string, key: string): void {
    const l = this.aors.get(aor)?.get(key);
    if (!l) return;
    this.deps.store.writeBindings([], [{ aor, contactKey: key }]);
    this.forget(l.binding, 'expired');
    this.updatePresence(aor);
  }

  private forget(b: Binding, how: 'expired' | 'removed', why: 'unregistered' | 'replaced' | 'extension-removed' = 'unregistered'): void {
    const m = this.aors.get(b.aor);
    const l = m?.get(b.contactKey);
    if (!m || !l) return;
    l.timer.cancel();
    m.delete(b.contactKey);
    if (m.size === 0) this.aors.delete(b.aor);
    this.deps.log.info({ aor: b.aor, contact: b.contact, how, why }, 'sip registration ended');
    if (how === 'expired') this.deps.bus?.publish('sip.registration.expired', { aor: b.aor, contact: b.contact });
    else this.deps.bus?.publish('sip.registration.removed', { aor: b.aor, contact: b.contact, why });
    if (why === 'extension-removed') this.updatePresence(b.aor);
  }

  private updatePresence(aor: string): void {
    const live = [...(this.aors.get(aor)?.values() ?? [])].filter((l) => l.reachable).length;
    const was = this.online.has(aor);
    if (live > 0 === was) return;
    if (live > 0) this.online.add(aor);
    else this.online.delete(aor);
    this.deps.bus?.publish('sip.presence.changed', { aor, online: live > 0, contacts: live });
  }

  private qualifyAll(): void {
    if (!this.endpoint) return;
    for (const m of this.aors.values()) for (const l of m.values()) this.qualify(l);
  }

  private qualify(l: Live): void {
    const ep = this.endpoint;
    if (!ep || l.qualifying) return;
    const b = l.binding;
    const h = new Headers();
    h.append('Max-Forwards', 70);
    h.appendTyped('from', new NameAddr(sipUri({ user: 'qualify', host: this.deps.authenticator.realm }), null, new Map([['tag', randomBytes(6).toString('hex')]])));
    h.appendTyped('to', new NameAddr(l.uri));
    h.append('Call-ID', `${randomBytes(12).toString('hex')}@qualify`);
    h.appendTyped('cseq', { seq: 1, method: 'OPTIONS' });
    const req = new SipRequest('OPTIONS', l.uri, h);
    l.qualifying = true;
    const done = (reachable: boolean): void => {
      l.qualifying = false;
      const current = this.aors.get(b.aor)?.get(b.contactKey);
      if (current !== l || l.reachable === reachable) return;
      l.reachable = reachable;
      this.deps.log.info({ aor: b.aor, contact: b.contact, reachable }, 'sip contact reachability changed');
      this.deps.bus?.publish('sip.contact.reachability-changed', { aor: b.aor, contact: b.contact, reachable });
      this.updatePresence(b.aor);
    };
    try {
      ep.layer.sendRequest(req, { ...b.source, protocol: b.source.protocol }, {
        onResponse: (res) => {
          if (res.status >= 200) done(true);
        },
        onError: () => done(false),
      });
    } catch {
      done(false);
    }
  }
}

function sourceOf(s: Source): Binding['source'] {
  return { protocol: s.protocol, host: s.host, port: s.port, connectionId: s.connectionId };
}
