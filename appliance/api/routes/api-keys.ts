/**
 * `/api-keys`: integrators' keys, managed with scope `admin:api-keys`. The secret appears once,
 * in the 201 answer to POST. A key can only grant scopes it holds itself (no escalation).
 * Creation and revocation are audited (actor `apikey:<id>`, the client IP) by ApiKeys.
 */
import { z } from 'zod';
import type { ApiKeyInfo, ApiKeys } from '../api-keys.js';
import { ForbiddenError } from '../error-map.js';
import { queryBool, type RouteRegistry } from '../registry.js';
import { Scopes } from '../scopes.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export const ApiKeySchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe('First part of the key (hk_<prefix>_…), to tell keys apart'),
  scopes: z.array(z.enum(Scopes)),
  createdAt: z.iso.datetime(),
  createdBy: z.string(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});

export const CreateApiKeySchema = z.strictObject({
  name: z.string().trim().min(1).max(100).describe('What the key is for (e.g. "billing system")'),
  scopes: z.array(z.enum(Scopes)).min(1).max(Scopes.length),
});

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });

export function apiKeyOut(k: ApiKeyInfo): z.input<typeof ApiKeySchema> {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    createdAt: iso(k.createdAt)!,
    createdBy: k.createdBy,
    lastUsedAt: iso(k.lastUsedAt),
    revokedAt: iso(k.revokedAt),
  };
}

export function registerApiKeyRoutes(registry: RouteRegistry, apiKeys: ApiKeys): void {
  registry.route({
    method: 'get',
    path: '/api-keys',
    summary: 'List API keys (never their secrets)',
    tags: ['api-keys'],
    scope: 'admin:api-keys',
    query: z.strictObject({ includeRevoked: queryBool().optional() }),
    response: { description: 'The keys, newest first', schema: z.strictObject({ items: z.array(ApiKeySchema) }) },
    handler: async ({ query }) => ({
      items: (await apiKeys.list({ includeRevoked: query.includeRevoked ?? false })).map(apiKeyOut),
    }),
  });

  registry.route({
    method: 'post',
    path: '/api-keys',
    summary: 'Create an API key; the secret is in this answer only',
    tags: ['api-keys'],
    scope: 'admin:api-keys',
    body: CreateApiKeySchema,
    response: {
      status: 201,
      description: 'The new key and its secret (store it now: it cannot be shown again)',
      schema: z.strictObject({ key: ApiKeySchema, secret: z.string().describe('The full key, hk_<prefix>_<secret>') }),
    },
    handler: async ({ body, key, actor, res }) => {
      const missing = body.scopes.filter((s) => !key!.scopes.includes(s));
      if (missing.length > 0) throw new ForbiddenError(`a key can only grant scopes it holds; missing ${missing.join(', ')}`);
      const created = await apiKeys.create({ name: body.name, scopes: body.scopes }, actor);
      res.setHeader('Location', `${res.req.baseUrl}/api-keys/${created.key.id}`);
      return { key: apiKeyOut(created.key), secret: created.secret };
    },
  });

  registry.route({
    method: 'get',
    path: '/api-keys/:id',
    summary: 'One API key (never its secret)',
    tags: ['api-keys'],
    scope: 'admin:api-keys',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The key', schema: ApiKeySchema },
    handler: async ({ params }) => apiKeyOut(await apiKeys.get(params.id)),
  });

  registry.route({
    method: 'delete',
    path: '/api-keys/:id',
    summary: 'Revoke an API key (it stops working at once; revoking twice is harmless)',
    tags: ['api-keys'],
    scope: 'admin:api-keys',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { status: 204, description: 'Revoked' },
    handler: async ({ params, actor }) => {
      await apiKeys.revoke(params.id, actor);
    },
  });
}
