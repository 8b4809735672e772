/**
 * A control panel on a real socket for tests: temp SQLite, ManualClock, cheap scrypt, express
 * on 127.0.0.1 port 0 with `trust proxy` so a test can play any client address through
 * X-Forwarded-For. `PanelClient` is a tiny cookie-keeping fetch client (supertest is not
 * installed) that never follows redirects, so tests see every 303.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import express from 'express';
import { EventBus } from '../../appliance/core/events.js';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { tempDir } from '../../appliance/core/testing/temp-dir.js';
import { AuditLog } from '../../appliance/ops/audit.js';
import { issueSetupCodeOnFirstStart } from '../../appliance/ops/setup-code.js';
import { openStore, type Store } from '../../appliance/store/database.js';
import { createPanel, type Panel, type PanelDeps } from '../panel.js';

export const TEST_COST = { N: 1024, r: 8, p: 1 };
export const ADMIN_PASSWORD = 'correct horse battery';
export const USER_PASSWORD = 'my-own-password-2';

export interface Harness {
  base: string;
  bus: EventBus;
  store: Store;
  clock: ManualClock;
  audit: AuditLog;
  panel: Panel;
  setupCode: string;
  close(): Promise<void>;
}

/** `live` builds the live pages' services (ACD, work orders…) on the harness's store, clock and bus. */
export type LiveSetup = (h: { store: Store; clock: ManualClock; bus: EventBus }) => Partial<PanelDeps>;

export async function startPanel(opts: Partial<PanelDeps> & { trustProxy?: boolean; live?: LiveSetup } = {}): Promise<Harness> {
  const clock = new ManualClock();
  const log = silentLogger();
  const store = openStore({ file: path.join(tempDir('panel-'), 'appliance.db'), clock, log });
  const audit = new AuditLog({ db: store.db, clock });
  const bus = opts.bus ?? new EventBus({ clock, log });
  const { live, trustProxy: _tp, ...rest } = opts;
  const extra = live ? live({ store, clock, bus }) : {};
  const panel = await createPanel({ store, clock, log, bus, audit, passwordCost: TEST_COST, ...rest, ...extra });
  const setupCode = issueSetupCodeOnFirstStart(store, clock);
  if (!setupCode) throw new Error('no setup code on a fresh database');
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.trustProxy ?? true);
  app.use(panel);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    bus,
    store,
    clock,
    audit,
    panel,
    setupCode,
    close: async () => {
      panel.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await store.close();
    },
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

export class PanelClient {
  readonly jar = new Map<string, string>();
  /** X-Forwarded-For to send (the client address the panel sees). */
  ip: string | null = null;
  /** CSRF token from the last HTML page received. */
  csrf = '';

  constructor(readonly base: string) {}

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, p: string, init: { form?: Record<string, string | string[]>; headers?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.jar.size) headers['cookie'] = this.cookieHeader();
    if (this.ip) headers['x-forwarded-for'] = this.ip;
    let body: string | undefined;
    if (init.form) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(init.form)) for (const x of Array.isArray(v) ? v : [v]) params.append(k, x);
      body = params.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(this.base + p, { method, headers, redirect: 'manual', ...(body !== undefined && { body }) });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const text = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (m) this.csrf = m[1]!;
    return { status: res.status, headers: res.headers, text, location: res.headers.get('location') };
  }

  get(p: string, headers?: Record<string, string>): Promise<Reply> {
    return this.request('GET', p, headers ? { headers } : {});
  }

  /** POST a form with the current CSRF token (unless `_csrf` is given). */
  post(p: string, form: Record<string, string | string[]> = {}, headers?: Record<string, string>): Promise<Reply> {
    return this.request('POST', p, { form: { _csrf: this.csrf, ...form }, ...(headers && { headers }) });
  }

  /** GET the login page (for the anonymous CSRF cookie and token), then sign in. */
  async login(login: string, password: string): Promise<Reply> {
    await this.get('/login');
    return this.post('/login', { login, password });
  }
}

/** Complete first-start setup as `admin` and return a signed-in admin client. */
export async function setupAdmin(h: Harness, password = ADMIN_PASSWORD): Promise<PanelClient> {
  const c = new PanelClient(h.base);
  await c.get('/setup');
  const r = await c.post('/setup', { code: h.setupCode, login: 'admin', displayName: '管理员', password, confirm: password });
  if (r.status !== 303) throw new Error(`setup failed: ${r.status} ${r.text.slice(0, 500)}`);
  const l = await c.login('admin', password);
  if (l.status !== 303) throw new Error(`admin login failed: ${l.status}`);
  await c.get('/');
  return c;
}

/** Create a user through the admin page and return a signed-in client for them (password already changed). */
export async function addUser(h: Harness, admin: PanelClient, login: string, roles: string[], opts: { displayName?: string; ip?: string | null } = {}): Promise<PanelClient> {
  await admin.get('/admin/users');
  const initial = 'temporary-pass-1';
  const r = await admin.post('/admin/users', { login, displayName: opts.displayName ?? login, password: initial, roles });
  if (r.status !== 303) throw new Error(`create ${login} failed: ${r.status} ${r.text.slice(0, 800)}`);
  const c = new PanelClient(h.base);
  c.ip = opts.ip ?? null;
  const l = await c.login(login, initial);
  if (l.location !== '/account/password') throw new Error(`first login of ${login}: ${l.status} ${l.location}`);
  await c.get('/account/password');
  const final = USER_PASSWORD;
  const p = await c.post('/account/password', { current: initial, password: final, confirm: final });
  if (p.status !== 303) throw new Error(`password change of ${login} failed: ${p.status}`);
  await c.get('/');
  return c;
}
