/**
 * A registrar on ManualClock for tests: a SQLite store in a temp dir, extensions, the
 * authenticator, the security guard and firewall, and a SipEndpoint on an in-memory transport
 * pair. `phone(ip)` gives a scripted client that registers with Digest the way a phone does
 * (REGISTER → 401 → REGISTER with Authorization) and returns the final response.
 */
import path from 'node:path';
import type { AnyAppEvent } from '../../../core/events.js';
import { EventBus } from '../../../core/events.js';
import { silentLogger } from '../../../core/log.js';
import { ManualClock } from '../../../core/testing/manual-clock.js';
import { tempDir } from '../../../core/testing/temp-dir.js';
import { openStore, type Store } from '../../../store/database.js';
import { DigestAuthenticator } from '../../auth/index.js';
import { authorize } from '../../auth/testing/digest-client.js';
import type { SipResponse } from '../../message/index.js';
import { parseMessage } from '../../parser/index.js';
import { AddressSet, BanList, SecurityAuthGuard, SipFirewall, type AuthGuardOptions, type FirewallOptions } from '../../security/index.js';
import { FakeTransport } from '../../transport/testing/fake-transport.js';
import { SipEndpoint } from '../../ua/endpoint.js';
import { ExtensionService } from '../extension-service.js';
import { registrarHandler } from '../handler.js';
import { Registrar } from '../registrar.js';
import { SqliteSipStore } from '../sip-store.js';
import type { RegistrarPolicy } from '../bindings.js';

export const REALM = 'hotline.local';
export const SERVER = { host: '192.0.2.1', port: 5060 };

export interface RigOptions {
  dir?: string;
  clock?: ManualClock;
  policy?: Partial<RegistrarPolicy>;
  qualifyIntervalMs?: number;
  guard?: Partial<AuthGuardOptions>;
  firewall?: Partial<FirewallOptions>;
  whitelist?: string[];
  admission?: { load: () => number; limit: number; retryAfterSeconds: number };
}

export interface Rig {
  clock: ManualClock;
  dir: string;
  store: Store;
  sipStore: SqliteSipStore;
  extensions: ExtensionService;
  authenticator: DigestAuthenticator;
  registrar: Registrar;
  bans: BanList;
  guard: SecurityAuthGuard;
  firewall: SipFirewall;
  endpoint: SipEndpoint;
  server: FakeTransport;
  events: AnyAppEvent[];
  phone(ip: string, port?: number): Phone;
  close(): Promise<void>;
}

export function buildRig(o: RigOptions = {}): Rig {
  const clock = o.clock ?? new ManualClock();
  const log = silentLogger();
  const dir = o.dir ?? tempDir('sip-registrar-');
  const store = openStore({ file: path.join(dir, 'a.db'), clock, log });
  const sipStore = new SqliteSipStore(store);
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const extensions = new ExtensionService({ store: sipStore, clock, realm: REALM });
  const bans = new BanList({ clock, log, bus, store: sipStore, ...(o.whitelist ? { whitelist: new AddressSet(o.whitelist) } : {}) });
  let registrar: Registrar | null = null;
  const guard = new SecurityAuthGuard({
    clock,
    log,
    bus,
    bans,
    trustedSource: (account, ip) => registrar?.hasBindingFrom(account, ip) ?? false,
    ...(o.guard ? { options: o.guard } : {}),
  });
  const authenticator = new DigestAuthenticator({ clock, realm: REALM, directory: extensions, guard, nonceSecret: Buffer.alloc(32, 7) });
  registrar = new Registrar({
    clock,
    log,
    bus,
    authenticator,
    store: sipStore,
    extensions,
    ...(o.policy ? { policy: o.policy } : {}),
    qualifyIntervalMs: o.qualifyIntervalMs ?? 0,
  });
  const firewall = new SipFirewall({
    clock,
    log,
    bans,
    serverHeader: 'hotline',
    onPrune: () => guard.prune(),
    ...(o.firewall ? { options: o.firewall } : {}),
    ...(o.admission ? { admission: o.admission } : {}),
  });
  const server = new FakeTransport(SERVER, 'udp');
  const endpoint = new SipEndpoint({
    clock,
    timers: { t1: 500, t2: 4000, t4: 5000 },
    transports: [firewall.wrap(server)],
    userAgent: 'hotline',
    realm: REALM,
    handler: registrarHandler({ registrar, authenticator }),
  });
  registrar.attach(endpoint);
  const reg = registrar;
  return {
    clock,
    dir,
    store,
    sipStore,
    extensions,
    authenticator,
    registrar: reg,
    bans,
    guard,
    firewall,
    endpoint,
    server,
    events,
    phone: (ip, port = 5060) => new Phone(server, ip, port),
    async close() {
      reg.close();
      firewall.close();
      bans.close();
      await endpoint.close();
      await store.close();
    },
  };
}

let seq = 0;

export interface RegisterOptions {
  user?: string;
  authUser?: string;
  password?: string;
  /** Contact header values (default: one contact at the phone's address). */
  contacts?: string[];
  expires?: number | null;
  callId?: string;
  cseq?: number;
  userAgent?: string;
  /** Send no credentials (the first leg only). */
  noAuth?: boolean;
  /** Which challenge to answer: 0 = SHA-256, 1 = MD5. */
  algorithm?: 0 | 1;
  toUser?: string;
}

/** A scripted phone on one source address, talking to the rig's server transport. */
export class Phone {
  readonly callId = `call-${++seq}`;
  private cseq = 0;
  private readonly client: FakeTransport;

  constructor(
    private readonly server: FakeTransport,
    readonly ip: string,
    readonly port: number,
  ) {
    // A one-way peer: what it sends lands in the server's inbox; the server's answers stay in `server.sent`.
    this.client = new FakeTransport({ host: ip, port }, 'udp');
    this.client.peer = server;
  }

  /** Send raw octets as if from this phone; returns every response the server sent back for them. */
  send(text: string): SipResponse[] {
    const before = this.server.sent.length;
    void this.client.send(Buffer.from(text), SERVER);
    this.server.deliver();
    return this.server.sent.slice(before).map((p) => {
      const m = parseMessage(p.bytes);
      if (m.kind !== 'response') throw new Error('server sent a request');
      return m;
    });
  }

  registerText(o: RegisterOptions, auth: string | null, cseq: number): string {
    const user = o.user ?? '1001';
    const contacts = o.contacts ?? [`<sip:${user}@${this.ip}:${this.port}>`];
    return [
      `REGISTER sip:${REALM} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.ip}:${this.port};branch=z9hG4bK-${++seq};rport`,
      'Max-Forwards: 70',
      `From: <sip:${user}@${REALM}>;tag=ph${seq}`,
      `To: <sip:${o.toUser ?? user}@${REALM}>`,
      `Call-ID: ${o.callId ?? this.callId}`,
      `CSeq: ${cseq} REGISTER`,
      ...contacts.map((c) => `Contact: ${c}`),
      ...(o.expires === null || o.expires === undefined ? [] : [`Expires: ${o.expires}`]),
      ...(o.userAgent ? [`User-Agent: ${o.userAgent}`] : []),
      ...(auth ? [`Authorization: ${auth}`] : []),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  }

  /** REGISTER → 401 → REGISTER with credentials; the final response of the second (or the first if it was not a 401). */
  register(o: RegisterOptions = {}): SipResponse | undefined {
    const first = this.send(this.registerText(o, null, o.cseq ?? ++this.cseq)).at(-1);
    if (o.noAuth || !first || first.status !== 401) return first;
    const value = first.headers.getAll('www-authenticate')[o.algorithm ?? 0];
    if (value === undefined) return first;
    const auth = authorize(value, { username: o.authUser ?? o.user ?? '1001', password: o.password ?? 'secret-1001', method: 'REGISTER', uri: `sip:${REALM}` });
    return this.send(this.registerText(o, auth, o.cseq === undefined ? ++this.cseq : o.cseq + 1)).at(-1);
  }
}
