import type { AddressInfo } from 'node:net';
import test from 'ava';
import express from 'express';
import { pino } from 'pino';
import { z } from 'zod';
import { AppError, NotFoundError } from '../core/errors.js';
import type { ApiKeyInfo } from './api-keys.js';
import { ForbiddenError, UnauthenticatedError } from './error-map.js';
import { RouteRegistry, type Authenticate } from './registry.js';

const key: ApiKeyInfo = {
  id: 'key_T',
  name: 't',
  prefix: 'abcdefgh',
  scopes: ['system:read'],
  createdAt: 0,
  createdBy: 'system',
  lastUsedAt: null,
  revokedAt: null,
};

/** Accepts header `x-api-key: good`, which holds only system:read. */
const authenticate: Authenticate = async (req, scope) => {
  if (req.headers['x-api-key'] !== 'good') throw new UnauthenticatedError('invalid API key');
  if (!key.scopes.includes(scope)) throw new ForbiddenError(`lacks scope ${scope}`);
  return key;
};

function logCapture(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
  return { log, lines };
}

async function serve(registry: RouteRegistry): Promise<{ base: string; close: () => Promise<void> }> {
  const app = express();
  app.use('/api/v1', registry.router);
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  // A failing assertion throws past close(); an unref'd server cannot keep the ava worker alive.
  server.unref();
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function registry(opts: { checkResponses?: boolean } = {}) {
  const { log, lines } = logCapture();
  const r = new RouteRegistry({ log, authenticate, info: { title: 't', version: '1' }, ...opts });
  return { r, lines };
}

test('declarations are checked: loose schemas, path/params mismatch, duplicates, unsupported paths', (t) => {
  const { r } = registry();
  const base = { tags: ['x'], scope: null, summary: 's', response: { description: 'd' }, handler: () => undefined };
  t.throws(() => r.route({ ...base, method: 'get', path: '/a/:id' }), { message: /params must be a z.strictObject/ });
  t.throws(() => r.route({ ...base, method: 'get', path: '/a/:id', params: z.object({ id: z.string() }) }), {
    message: /params must be a z.strictObject/,
  });
  t.throws(() => r.route({ ...base, method: 'get', path: '/a/:id', params: z.strictObject({ key: z.string() }) }), {
    message: /differ from path/,
  });
  t.throws(() => r.route({ ...base, method: 'get', path: '/a', query: z.object({ q: z.string() }) }), {
    message: /query must be a z.strictObject/,
  });
  t.throws(() => r.route({ ...base, method: 'post', path: '/a', body: z.object({ q: z.string() }) }), {
    message: /body object must be strict/,
  });
  t.throws(() => r.route({ ...base, method: 'get', path: '/a/*rest' }), { message: /only :name parameters/ });
  r.route({ ...base, method: 'get', path: '/a/:id', params: z.strictObject({ id: z.string() }) });
  t.throws(() => r.route({ ...base, method: 'get', path: '/a/:other', params: z.strictObject({ other: z.string() }) }), {
    message: /declared twice/,
  });
  t.is(r.routes().length, 2, 'openapi.json and /a/:id');
});

test('unexpected errors are 500 without internals (logged); SQLITE_FULL is 507; AppErrors keep their status', async (t) => {
  const { r, lines } = registry();
  const base = { tags: ['x'], scope: null, summary: 's', response: { description: 'd' } } as const;
  r.route({
    ...base,
    method: 'get',
    path: '/boom',
    handler: () => {
      throw new Error('open /var/lib/secret-path failed');
    },
  });
  r.route({
    ...base,
    method: 'post',
    path: '/full',
    handler: () => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    },
  });
  r.route({ ...base, method: 'get', path: '/db-full', handler: () => {
    throw new AppError('DB_FULL', 'database /var/x.db: disk full', { cause: Object.assign(new Error('full'), { code: 'SQLITE_FULL' }) });
  } });
  r.route({ ...base, method: 'get', path: '/missing', handler: () => {
    throw new NotFoundError('work order', 'wo_1');
  } });
  const s = await serve(r);
  try {
    const boom = await fetch(`${s.base}/boom`);
    t.is(boom.status, 500);
    const text = await boom.text();
    t.deepEqual(JSON.parse(text), { error: { code: 'INTERNAL', message: 'internal error' } });
    t.false(text.includes('secret-path'));
    t.true(lines.some((l) => l.includes('secret-path') && l.includes('api request failed')), 'the cause is logged');

    const full = await fetch(`${s.base}/full`, { method: 'POST' });
    t.is(full.status, 507);
    t.is(((await full.json()) as { error: { code: string } }).error.code, 'DB_FULL');
    const dbFull = await fetch(`${s.base}/db-full`);
    t.is(dbFull.status, 507);
    t.false((await dbFull.text()).includes('/var/x.db'));

    const missing = await fetch(`${s.base}/missing`);
    t.is(missing.status, 404);
    t.deepEqual(await missing.json(), { error: { code: 'NOT_FOUND', message: 'work order wo_1 not found' } });
  } finally {
    await s.close();
  }
});

test('auth runs before body parsing and validation; handlers get typed, parsed input', async (t) => {
  const { r } = registry();
  let calls = 0;
  r.route({
    method: 'post',
    path: '/items/:n',
    summary: 's',
    tags: ['x'],
    scope: 'system:read',
    params: z.strictObject({ n: z.string().regex(/^\d+$/).transform(Number) }),
    body: z.strictObject({ label: z.string().trim().min(1) }),
    response: { status: 201, description: 'd', schema: z.strictObject({ n: z.number(), label: z.string() }) },
    handler: ({ params, body }) => {
      calls++;
      return { n: params.n * 2, label: body.label };
    },
  });
  const s = await serve(r);
  try {
    const noKey = await fetch(`${s.base}/items/x`, { method: 'POST', body: '{bad', headers: { 'content-type': 'application/json' } });
    t.is(noKey.status, 401, 'a bad body from an unauthenticated client is never parsed');
    t.truthy(noKey.headers.get('www-authenticate'));
    const ok = await fetch(`${s.base}/items/21`, {
      method: 'POST',
      body: JSON.stringify({ label: '  hi ' }),
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-api-key': 'good' },
    });
    t.is(ok.status, 201);
    t.deepEqual(await ok.json(), { n: 42, label: 'hi' });
    const bad = await fetch(`${s.base}/items/x`, {
      method: 'POST',
      body: JSON.stringify({ label: ' ' }),
      headers: { 'content-type': 'application/json', 'x-api-key': 'good' },
    });
    t.is(bad.status, 400);
    const fields = ((await bad.json()) as { error: { fields: { path: string }[] } }).error.fields.map((f) => f.path);
    t.deepEqual(fields.sort(), ['label', 'n']);
    const noBody = await fetch(`${s.base}/items/1`, { method: 'POST', headers: { 'x-api-key': 'good' } });
    t.is(noBody.status, 400);
    t.deepEqual(((await noBody.json()) as { error: { fields: { path: string }[] } }).error.fields.map((f) => f.path), ['(body)']);
    t.is(calls, 1);
  } finally {
    await s.close();
  }
});

test('with checkResponses, a handler result that breaks its schema is a 500, not a leak', async (t) => {
  const { r } = registry({ checkResponses: true });
  r.route({
    method: 'get',
    path: '/leaky',
    summary: 's',
    tags: ['x'],
    scope: null,
    response: { description: 'd', schema: z.strictObject({ name: z.string() }) },
    handler: () => ({ name: 'a', secretHash: 'abc' }) as { name: string },
  });
  const s = await serve(r);
  try {
    const res = await fetch(`${s.base}/leaky`);
    t.is(res.status, 500);
    t.false((await res.text()).includes('abc'));
  } finally {
    await s.close();
  }
});
