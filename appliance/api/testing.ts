/**
 * Test harness for the API: a real temporary SQLite store (openStore), a ManualClock, the API
 * mounted at /api/v1 on an in-process express app listening on 127.0.0.1, port 0, and an admin
 * key holding every scope. Other modules' route tests can use it too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { openStore, type Store } from '../store/database.js';
import { createApi, type Api, type ApiDeps } from './app.js';
import { Scopes, type Scope } from './scopes.js';

export interface ApiHarness {
  api: Api;
  store: Store;
  clock: ManualClock;
  bus: EventBus;
  dir: string;
  /** http://127.0.0.1:<port>/api/v1 */
  base: string;
  /** The full secret of a key holding every scope. */
  adminKey: string;
  adminKeyId: string;
  /** fetch `base + path` with the admin key unless `key` is given (null: no key). */
  call(method: string, p: string, opts?: { key?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** A new key with the given scopes, created directly through the service. */
  keyWith(scopes: Scope[]): Promise<{ id: string; secret: string }>;
  close(): Promise<void>;
}

export async function startApiHarness(overrides: Partial<ApiDeps> = {}): Promise<ApiHarness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'api-test-'));
  const clock = new ManualClock();
  const log = silentLogger();
  const store = openStore({ file: path.join(dir, 'appliance.db'), clock, log });
  const bus = new EventBus({ clock, log });
  const api = createApi({ store, clock, log, bus, version: '9.9.9-test', checkResponses: true, ...overrides });
  const app = express();
  app.use('/api/v1', api.router);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  const admin = await api.apiKeys.create({ name: 'test admin', scopes: Scopes }, { actor: 'system', ip: null });

  const call: ApiHarness['call'] = (method, p, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    const key = opts.key === undefined ? admin.secret : opts.key;
    if (key !== null) headers['authorization'] ??= `Bearer ${key}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    return fetch(base + p, { method, headers, ...(body !== undefined && { body }) });
  };

  return {
    api,
    store,
    clock,
    bus,
    dir,
    base,
    adminKey: admin.secret,
    adminKeyId: admin.key.id,
    call,
    keyWith: async (scopes) => {
      const k = await api.apiKeys.create({ name: `test ${scopes.join(' ')}`, scopes }, { actor: 'system', ip: null });
      return { id: k.key.id, secret: k.secret };
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close().catch(() => undefined); // a test may have closed it already
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
