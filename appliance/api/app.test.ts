import { existsSync, readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { z } from 'zod';
import type { AnyAppEvent } from '../core/events.js';
import { hashKey } from './api-keys.js';
import { openApiPath } from './openapi.js';
import { startApiHarness, type ApiHarness } from './testing.js';

type ErrorJson = { error: { code: string; message: string; fields?: { path: string; message: string }[] } };

function withApi(fn: (t: ExecutionContext, h: ApiHarness) => Promise<void>) {
  return async (t: ExecutionContext) => {
    const h = await startApiHarness();
    try {
      await fn(t, h);
    } finally {
      await h.close();
    }
  };
}

async function counts(h: ApiHarness): Promise<{ keys: number; audit: number }> {
  const keys = h.store.sqlite.prepare('SELECT count(*) AS n FROM api_keys').get() as { n: number };
  const audit = h.store.sqlite.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number };
  return { keys: keys.n, audit: audit.n };
}

function fieldPaths(body: ErrorJson): string[] {
  return (body.error.fields ?? []).map((f) => f.path).sort();
}

test(
  'system info answers 200 with version, uptime on the clock and schema version',
  withApi(async (t, h) => {
    h.clock.advance(5_000);
    const res = await h.call('GET', '/system/info');
    t.is(res.status, 200);
    const body = (await res.json()) as { version: string; uptimeSeconds: number; schemaVersion: number; now: string };
    t.is(body.version, '9.9.9-test');
    t.is(body.uptimeSeconds, 5);
    t.is(body.schemaVersion, h.store.schemaVersion());
    t.true(body.schemaVersion >= 2);
    t.is(body.now, new Date(h.clock.now()).toISOString());
    t.is(res.headers.get('cache-control'), 'no-store');
  }),
);

test(
  'no key, malformed, unknown key: 401 with WWW-Authenticate, logged as security events',
  withApi(async (t, h) => {
    const events: AnyAppEvent[] = [];
    h.bus.onAny((e) => events.push(e));
    const none = await h.call('GET', '/system/info', { key: null });
    t.is(none.status, 401);
    t.regex(none.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
    const body = (await none.json()) as ErrorJson;
    t.is(body.error.code, 'UNAUTHENTICATED');
    t.regex(body.error.message, /Authorization: Bearer/);

    const malformed = await h.call('GET', '/system/info', { key: 'not-a-key' });
    t.is(malformed.status, 401);
    const unknown = await h.call('GET', '/system/info', { key: `hk_abcdefgh_${'A'.repeat(43)}` });
    t.is(unknown.status, 401);
    const basic = await h.call('GET', '/system/info', { key: null, headers: { authorization: 'Basic dXNlcjpwdw==' } });
    t.is(basic.status, 401);

    const failures = events.filter((e) => e.type === 'api.auth.failed').map((e) => (e.payload as { reason: string }).reason);
    t.deepEqual(failures, ['missing', 'malformed', 'unknown', 'malformed']);
  }),
);

test(
  'scopes: 200 with the scope (Bearer or X-API-Key), 403 naming the missing scope',
  withApi(async (t, h) => {
    const reader = await h.keyWith(['system:read']);
    const ok = await h.call('GET', '/system/info', { key: reader.secret });
    t.is(ok.status, 200);
    const viaHeader = await h.call('GET', '/system/info', { key: null, headers: { 'x-api-key': reader.secret } });
    t.is(viaHeader.status, 200);
    const lowerScheme = await h.call('GET', '/system/info', { key: null, headers: { authorization: `bearer ${reader.secret}` } });
    t.is(lowerScheme.status, 200);

    const denied = await h.call('GET', '/api-keys', { key: reader.secret });
    t.is(denied.status, 403);
    const body = (await denied.json()) as ErrorJson;
    t.is(body.error.code, 'FORBIDDEN');
    t.regex(body.error.message, /admin:api-keys/);
    const denied2 = await h.call('GET', '/audit', { key: reader.secret });
    t.regex(((await denied2.json()) as ErrorJson).error.message, /audit:read/);
  }),
);

test(
  'a revoked key gets 401 from the next request on; revoking is audited once',
  withApi(async (t, h) => {
    const created = await h.call('POST', '/api-keys', { body: { name: 'billing', scopes: ['system:read'] } });
    t.is(created.status, 201);
    const { key, secret } = (await created.json()) as { key: { id: string }; secret: string };
    t.is(created.headers.get('location'), `/api/v1/api-keys/${key.id}`);
    t.is((await h.call('GET', '/system/info', { key: secret })).status, 200);

    const del = await h.call('DELETE', `/api-keys/${key.id}`);
    t.is(del.status, 204);
    const after = await h.call('GET', '/system/info', { key: secret });
    t.is(after.status, 401);
    t.truthy(after.headers.get('www-authenticate'));

    t.is((await h.call('DELETE', `/api-keys/${key.id}`)).status, 204);
    const revokes = h.store.sqlite.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'api-key.revoked'").get() as { n: number };
    t.is(revokes.n, 1);
    t.is((await h.call('DELETE', '/api-keys/key_nope')).status, 404);

    const listed = (await (await h.call('GET', '/api-keys')).json()) as { items: { id: string }[] };
    t.false(listed.items.some((k) => k.id === key.id));
    const all = (await (await h.call('GET', '/api-keys?includeRevoked=true')).json()) as { items: { id: string; revokedAt: string | null }[] };
    t.truthy(all.items.find((k) => k.id === key.id)?.revokedAt);
  }),
);

test(
  'validation errors name every failing field across params, query and body, and write nothing',
  withApi(async (t, h) => {
    const before = await counts(h);
    const res = await h.call('POST', '/api-keys', { body: { name: '', scopes: ['nope', 'system:read', 5], extra: 1 } });
    t.is(res.status, 400);
    const body = (await res.json()) as ErrorJson;
    t.is(body.error.code, 'VALIDATION');
    t.deepEqual(fieldPaths(body), ['extra', 'name', 'scopes.0', 'scopes.2']);
    t.is(body.error.fields?.find((f) => f.path === 'extra')?.message, 'unknown key');
    t.deepEqual(await counts(h), before);

    const missing = await h.call('POST', '/api-keys', { body: {} });
    t.deepEqual(fieldPaths((await missing.json()) as ErrorJson), ['name', 'scopes']);

    const q = await h.call('GET', '/audit?limit=abc&bogus=1&from=yesterday&limit2=3');
    t.is(q.status, 400);
    const qb = (await q.json()) as ErrorJson;
    t.deepEqual(fieldPaths(qb), ['bogus', 'from', 'limit', 'limit2']);
    t.regex(qb.error.fields?.find((f) => f.path === 'limit')?.message ?? '', /expected number, got "abc"/);

    const big = await h.call('GET', '/audit?limit=501');
    t.deepEqual(fieldPaths((await big.json()) as ErrorJson), ['limit']);
    const longId = await h.call('DELETE', `/api-keys/${'x'.repeat(65)}`);
    t.deepEqual(fieldPaths((await longId.json()) as ErrorJson), ['id']);
    t.deepEqual(await counts(h), before);
  }),
);

test(
  'malformed JSON → 400, wrong content type → 415, oversized body → 413, stray body → 400; nothing written',
  withApi(async (t, h) => {
    const before = await counts(h);
    const bad = await h.call('POST', '/api-keys', { body: '{"name": "x", "scopes": [' });
    t.is(bad.status, 400);
    const badBody = (await bad.json()) as ErrorJson;
    t.is(badBody.error.code, 'VALIDATION');
    t.regex(badBody.error.message, /malformed JSON/);
    t.deepEqual(fieldPaths(badBody), ['(body)']);

    const form = await h.call('POST', '/api-keys', {
      body: 'name=x&scopes=system:read',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    t.is(form.status, 415);
    t.is(((await form.json()) as ErrorJson).error.code, 'UNSUPPORTED_MEDIA_TYPE');

    const huge = await h.call('POST', '/api-keys', { body: { name: 'x'.repeat(1024 * 1024 + 10), scopes: ['system:read'] } });
    t.is(huge.status, 413);
    t.is(((await huge.json()) as ErrorJson).error.code, 'PAYLOAD_TOO_LARGE');

    const stray = await h.call('DELETE', `/api-keys/${h.adminKeyId}`, { body: { a: 1 } });
    t.is(stray.status, 400);
    t.deepEqual(fieldPaths((await stray.json()) as ErrorJson), ['(body)']);
    t.deepEqual(await counts(h), before);
  }),
);

test(
  'unknown routes under /api/v1 answer 404 in the error shape',
  withApi(async (t, h) => {
    for (const [method, p] of [
      ['GET', '/nope'],
      ['PUT', '/system/info'],
      ['GET', '/API-KEYS'],
    ] as const) {
      const res = await h.call(method, p);
      t.is(res.status, 404, `${method} ${p}`);
      const body = (await res.json()) as ErrorJson;
      t.is(body.error.code, 'NOT_FOUND');
      t.true(body.error.message.includes(p));
    }
  }),
);

test(
  'rate limit: burst of 20 per key, then 429 with Retry-After; refills at 10/s on the clock',
  withApi(async (t, h) => {
    const a = await h.keyWith(['system:read']);
    const b = await h.keyWith(['system:read']);
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await h.call('GET', '/system/info', { key: a.secret })).status);
    t.deepEqual(statuses, [...Array<number>(20).fill(200), 429]);
    const limited = await h.call('GET', '/system/info', { key: a.secret });
    t.is(limited.status, 429);
    t.is(limited.headers.get('retry-after'), '1');
    t.is(((await limited.json()) as ErrorJson).error.code, 'RATE_LIMITED');
    t.is((await h.call('GET', '/system/info', { key: b.secret })).status, 200, 'other keys are not limited');

    h.clock.advance(100);
    t.is((await h.call('GET', '/system/info', { key: a.secret })).status, 200);
    t.is((await h.call('GET', '/system/info', { key: a.secret })).status, 429);
    h.clock.advance(2_000);
    const refill: number[] = [];
    for (let i = 0; i < 21; i++) refill.push((await h.call('GET', '/system/info', { key: a.secret })).status);
    t.deepEqual(refill, [...Array<number>(20).fill(200), 429]);
  }),
);

test(
  'the OpenAPI document is public and lists every registered route with its schemas',
  withApi(async (t, h) => {
    h.api.registry.route({
      method: 'post',
      path: '/widgets/:widgetId/parts',
      summary: 'Late route added by another module',
      tags: ['widgets'],
      scope: 'system:read',
      params: z.strictObject({ widgetId: z.string() }),
      body: z.strictObject({ count: z.number().int().min(1) }),
      response: { status: 201, description: 'Made', schema: z.strictObject({ widgetId: z.string(), count: z.number() }) },
      handler: ({ params, body }) => ({ widgetId: params.widgetId, count: body.count }),
    });
    const res = await h.call('GET', '/openapi.json', { key: null });
    t.is(res.status, 200);
    const doc = (await res.json()) as {
      openapi: string;
      servers: { url: string }[];
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    t.is(doc.openapi, '3.1.0');
    t.deepEqual(doc.servers, [{ url: '/api/v1' }]);
    const routes = h.api.registry.routes();
    t.true(routes.length >= 8);
    for (const r of routes) {
      const op = doc.paths[openApiPath(r.path)]?.[r.method];
      t.truthy(op, `${r.method} ${r.path} documented`);
      if (!op) continue;
      t.deepEqual(op['security'], r.scope === null ? [] : [{ bearerAuth: [r.scope] }, { apiKeyHeader: [r.scope] }]);
      if (r.body) t.truthy((op['requestBody'] as { content: Record<string, unknown> }).content['application/json']);
      if (r.query) t.true((op['parameters'] as unknown[]).length > 0);
    }
    const create = doc.paths['/api-keys']?.['post'] as {
      requestBody: { required: boolean; content: { 'application/json': { schema: Record<string, unknown> } } };
      responses: Record<string, unknown>;
    };
    const schema = create.requestBody.content['application/json'].schema;
    t.true(create.requestBody.required);
    t.is(schema['additionalProperties'], false);
    t.deepEqual(schema['required'], ['name', 'scopes']);
    t.truthy((schema['properties'] as Record<string, { items?: { enum?: string[] } }>)['scopes']?.items?.enum?.includes('audit:read'));
    for (const s of ['201', '400', '401', '403', '413', '415', '429']) t.truthy(create.responses[s], `POST /api-keys documents ${s}`);
    const auditParams = (doc.paths['/audit']?.['get']?.['parameters'] ?? []) as { name: string; in: string; schema: { type?: string } }[];
    t.is(auditParams.find((p) => p.name === 'limit')?.schema.type, 'integer');
    const late = doc.paths['/widgets/{widgetId}/parts']?.['post'] as { parameters: { name: string; in: string }[] };
    t.deepEqual(late.parameters.map((p) => [p.name, p.in]), [['widgetId', 'path']]);

    const served = await h.call('POST', '/widgets/w1/parts', { body: { count: 3 } });
    t.is(served.status, 201);
    t.deepEqual(await served.json(), { widgetId: 'w1', count: 3 });
  }),
);

test(
  'administrative changes are audited with actor apikey:<id> and the client IP; /audit searches and exports them',
  withApi(async (t, h) => {
    const created = (await (await h.call('POST', '/api-keys', { body: { name: 'gis', scopes: ['calls:read'] } })).json()) as {
      key: { id: string };
      secret: string;
    };
    t.is((await h.call('DELETE', `/api-keys/${created.key.id}`)).status, 204);

    const rows = h.store.sqlite
      .prepare("SELECT actor, actor_ip, action, target, before, after FROM audit_log WHERE actor != 'system' ORDER BY id")
      .all() as { actor: string; actor_ip: string; action: string; target: string; before: string | null; after: string }[];
    t.deepEqual(
      rows.map((r) => [r.actor, r.actor_ip, r.action, r.target]),
      [
        [`apikey:${h.adminKeyId}`, '127.0.0.1', 'api-key.created', created.key.id],
        [`apikey:${h.adminKeyId}`, '127.0.0.1', 'api-key.revoked', created.key.id],
      ],
    );
    t.is(rows[0]!.before, null);
    t.like(JSON.parse(rows[0]!.after), { name: 'gis', scopes: ['calls:read'], revokedAt: null });
    t.like(JSON.parse(rows[1]!.before!), { revokedAt: null });
    t.is(JSON.parse(rows[1]!.after).revokedAt, h.clock.now());
    t.false(rows.some((r) => `${r.before}${r.after}`.includes(created.secret.slice(12))));

    const page1 = (await (await h.call('GET', '/audit?action=api-key.*&limit=1')).json()) as {
      items: { action: string; actor: string; ip: string; at: string }[];
      nextCursor: string | null;
    };
    t.is(page1.items.length, 1);
    t.is(page1.items[0]!.action, 'api-key.revoked');
    t.is(page1.items[0]!.at, new Date(h.clock.now()).toISOString());
    t.truthy(page1.nextCursor);
    const page2 = (await (await h.call('GET', `/audit?action=api-key.*&limit=1&cursor=${page1.nextCursor}`)).json()) as typeof page1;
    t.is(page2.items[0]!.action, 'api-key.created');
    const byActor = (await (await h.call('GET', `/audit?actor=apikey:${h.adminKeyId}`)).json()) as typeof page1;
    t.is(byActor.items.length, 2);
    t.is((await h.call('GET', '/audit?cursor=garbage')).status, 400);

    const csv = await h.call('GET', `/audit/export?actor=apikey:${h.adminKeyId}`);
    t.is(csv.status, 200);
    t.regex(csv.headers.get('content-type') ?? '', /^text\/csv/);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    t.is(lines[0], 'id,at,actor,ip,action,target,before,after');
    t.is(lines.length, 3);
    t.true(lines[1]!.includes(',api-key.revoked,'));
  }),
);

test(
  'a key can only grant scopes it holds; the refusal writes nothing',
  withApi(async (t, h) => {
    const keyAdmin = await h.keyWith(['admin:api-keys']);
    const before = await counts(h);
    const res = await h.call('POST', '/api-keys', { key: keyAdmin.secret, body: { name: 'x', scopes: ['admin:api-keys', 'audit:read'] } });
    t.is(res.status, 403);
    t.regex(((await res.json()) as ErrorJson).error.message, /audit:read/);
    t.deepEqual(await counts(h), before);
    const ok = await h.call('POST', '/api-keys', { key: keyAdmin.secret, body: { name: 'x', scopes: ['admin:api-keys'] } });
    t.is(ok.status, 201);
  }),
);

test(
  'last_used_at is recorded, at most once a minute per key',
  withApi(async (t, h) => {
    const k = await h.keyWith(['system:read']);
    const lastUsed = (): number | null =>
      (h.store.sqlite.prepare('SELECT last_used_at AS v FROM api_keys WHERE id = ?').get(k.id) as { v: number | null }).v;
    t.is(lastUsed(), null);
    await h.call('GET', '/system/info', { key: k.secret });
    const first = h.clock.now();
    t.is(lastUsed(), first);
    h.clock.advance(10_000);
    await h.call('GET', '/system/info', { key: k.secret });
    t.is(lastUsed(), first);
    h.clock.advance(60_000);
    await h.call('GET', '/system/info', { key: k.secret });
    t.is(lastUsed(), h.clock.now());
  }),
);

test('the key secret is never stored in clear: only its SHA-256 is in the database file', async (t) => {
  const h = await startApiHarness();
  let secret = '';
  let closed = false;
  try {
    const res = await h.call('POST', '/api-keys', { body: { name: 'billing', scopes: ['system:read'] } });
    secret = ((await res.json()) as { secret: string }).secret;
    t.regex(secret, /^hk_[0-9a-z]{8}_[A-Za-z0-9_-]{43}$/);
    const listed = await (await h.call('GET', '/api-keys')).text();
    t.false(listed.includes(secret.slice(12)), 'list never shows secrets');
    t.false(listed.includes(hashKey(secret).toString('hex')), 'list never shows hashes');
    await h.store.close();
    closed = true;
    const file = h.store.file;
    const bytes = Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
    t.true(bytes.includes(hashKey(secret).toString('hex')), 'the hash is in the file (so the file is the right one)');
    t.true(bytes.includes(secret.slice(3, 11)), 'the prefix is stored');
    t.false(bytes.includes(secret.slice(12)), 'the secret part is not');
    t.false(bytes.includes(secret));
  } finally {
    if (!closed) await h.store.close();
    await h.close().catch(() => undefined);
  }
});
