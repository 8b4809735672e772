/**
 * The appliance's SIP call path assembled in the test process, for real-peer tests that need
 * to reach inside (call objects, dialogs, bus events) rather than observe a spawned daemon
 * (daemon-rig.ts does that): SQLite store with CDRs and routes, the SIP access layer
 * (sip/registrar/stack.ts: registrar, Digest authenticator, guard, firewall), one media
 * engine worker, the B2BUA call handler, the user agent and a UDP SipEndpoint on 127.0.0.1,
 * wired the way daemon/main.ts wires them (the firewall wraps the transport). System clock and
 * real sockets: baresip phones (PhoneSlots) register at `registrar` with `secret-<number>`.
 *
 *   const stack = await startCallStack({ dir, phones: 3, rtpPorts: 24, extensions: ['1001', '1002'] });
 *   const a = await stack.phone({ name: 'a', user: '1001', tone: { freq: 1000 }, answer: false });
 *   await a.command('dial', stack.uri('1002'));
 *   …
 *   await stack.close(); // phones, endpoint, access layer, engine, database
 *
 * Ports: the SIP port first, then 12 per phone slot, then the RTP range.
 */
import path from 'node:path';
import { freePortBlock, type Baresip } from '../../calls/testing/baresip.js';
import { CallHandler, type CallHandlerDeps } from '../../calls/call-handler.js';
import { SqliteCallStore } from '../../calls/call-store.js';
import { systemClock } from '../../core/clock.js';
import { EventBus, type AnyAppEvent } from '../../core/events.js';
import { silentLogger } from '../../core/log.js';
import { MediaEngine } from '../../media/engine/media-engine.js';
import { createSipAccess, type SipAccess, type SipAccessOptions } from '../../sip/registrar/stack.js';
import { SipEndpoint } from '../../sip/ua/endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from '../../sip/ua/user-agent.js';
import { openStore, type Store } from '../../store/database.js';
import { PhoneSlots, type PhoneOptions } from './baresip-phone.js';

export const REALM = 'hotline.local';

export interface CallStackOptions {
  /** Temp dir for the database, tone files and the phones' folders. */
  dir: string;
  /** Phone slots to reserve (12 ports each). */
  phones: number;
  /** Size of the media engine's RTP port range. */
  rtpPorts: number;
  /** Extensions created with password `secret-<number>`. */
  extensions: readonly string[];
  /** Inbound routes: dialled number → extension of the same number. */
  directRoutes?: readonly string[];
  /** Extra inbound routes (to IVR flows, queues, other extensions). */
  routes?: ReadonlyArray<Parameters<SqliteCallStore['saveRoute']>[0]>;
  /** Guard and firewall settings of the access layer. */
  access?: Pick<SipAccessOptions, 'guard' | 'firewall'>;
  /** Prompt files for SIP legs (default: none). */
  prompts?: CallHandlerDeps['channel']['prompts'];
  ringTimeoutMs?: number;
}

export interface CallStack {
  readonly dir: string;
  readonly db: Store;
  readonly store: SqliteCallStore;
  readonly bus: EventBus;
  /** Every event published on the bus since start (tests may empty it). */
  readonly events: AnyAppEvent[];
  readonly access: SipAccess;
  readonly engine: MediaEngine;
  readonly endpoint: SipEndpoint;
  readonly handler: CallHandler;
  readonly sipPort: number;
  /** `127.0.0.1:<sipPort>`. */
  readonly registrar: string;
  uri(user: string): string;
  phone(o: PhoneOptions): Promise<Baresip>;
  close(): Promise<void>;
}

export async function startCallStack(o: CallStackOptions): Promise<CallStack> {
  const clock = systemClock;
  const log = silentLogger();
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const base = await freePortBlock(1 + 12 * o.phones + o.rtpPorts);
  const sipPort = base;
  const rtpPortMin = base + 1 + 12 * o.phones;
  const registrar = `127.0.0.1:${sipPort}`;

  const db = openStore({ file: path.join(o.dir, 'hotline.db'), clock, log });
  const store = new SqliteCallStore(db, () => clock.now());
  const access = createSipAccess({ store: db, clock, log, bus }, { realm: REALM, userAgent: 'hotline', algorithms: ['MD5'], qualifyIntervalMs: 0, ...o.access });
  for (const n of o.extensions) access.extensions.create({ number: n, displayName: `Phone ${n}`, password: `secret-${n}` });
  for (const n of o.directRoutes ?? []) store.saveRoute({ id: `ext-${n}`, name: `extension ${n}`, did: n, target: { kind: 'extension', extension: n } });
  for (const r of o.routes ?? []) store.saveRoute(r);
  const engine = new MediaEngine({ workers: 1, rtpPortMin, rtpPortMax: rtpPortMin + o.rtpPorts - 1, bindAddress: '127.0.0.1', clock, log });
  await engine.start();
  const handler = new CallHandler({
    clock,
    log,
    bus,
    store,
    engine,
    channel: { prompts: o.prompts ?? { resolve: () => null }, mediaAddress: '127.0.0.1', codecs: ['PCMA', 'PCMU'], rtpTimeoutMs: 0 },
    contacts: { locate: (ext) => access.registrar.locate(ext) },
    guard: access.authenticator,
    flows: { flow: () => null },
    ...(o.ringTimeoutMs === undefined ? {} : { ringTimeoutMs: o.ringTimeoutMs }),
  });
  const ua = new UserAgent({ clock, log, t1: 500, t2: 4000, invites: handler, registrar: { onRegister: (req, tx, ep) => access.registrar.handleRegister(req, tx, ep) } });
  const endpoint = await SipEndpoint.listen(
    { host: '127.0.0.1', port: sipPort, transports: ['udp'], tlsPort: 5061, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: REALM },
    { clock, handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT], wrapTransport: (t) => access.firewall.wrap(t) },
  );
  ua.attach(endpoint);
  handler.attach(ua);
  access.attach(endpoint);
  const phones = new PhoneSlots({ dir: o.dir, firstPort: base + 1, slots: o.phones, registrar });

  return {
    dir: o.dir,
    db,
    store,
    bus,
    events,
    access,
    engine,
    endpoint,
    handler,
    sipPort,
    registrar,
    uri: (user) => `sip:${user}@${registrar}`,
    phone: (p) => phones.start(p),
    async close() {
      await phones.stopAll();
      await endpoint.close();
      access.close();
      await engine.stop();
      await db.close();
    },
  };
}
