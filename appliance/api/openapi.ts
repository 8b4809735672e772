/**
 * Builds the OpenAPI 3.1.0 document (https://spec.openapis.org/oas/v3.1.0) from the route
 * registry's declarations, with JSON Schema (draft 2020-12, which OAS 3.1 §4.8.24 adopts as
 * its Schema Object) produced by zod 4's `z.toJSONSchema` from the very schemas that validate
 * requests: request schemas in `io: 'input'` mode (what a client may send), responses in
 * `io: 'output'` mode (what the appliance sends).
 *
 * Security: keys go in `Authorization: Bearer` (RFC 6750 §2.1) or `X-API-Key`. OAS 3.1
 * §4.8.30: for non-OAuth schemes the requirement array "MAY contain a list of role names
 * which are required for the execution", so each operation lists its scope there (and in
 * `x-required-scope`).
 */
import { z } from 'zod';
import { ErrorCodes, type ErrorCode } from '../core/errors.js';
import { httpStatusByCode } from './error-map.js';
import type { RegisteredRoute } from './registry.js';
import { ScopeDescriptions } from './scopes.js';

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

export type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: OpenApiInfo;
  servers: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, JsonSchema>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
}

export const ErrorBodySchema = z.strictObject({
  error: z.strictObject({
    code: z.enum(ErrorCodes),
    message: z.string(),
    fields: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
  }),
});

export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;
  delete out['$schema'];
  return out;
}

/** `/api-keys/:id` → `/api-keys/{id}` (OAS 3.1 §4.8.8 path templating). */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const obj = jsonSchema(schema, 'input');
  const props = (obj['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((obj['required'] ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => {
    const p: JsonSchema = { name, in: where, required: where === 'path' || required.has(name), schema: s };
    if (typeof s['description'] === 'string') p['description'] = s['description'];
    return p;
  });
}

const errorRef = { $ref: '#/components/schemas/Error' };

function errorResponse(description: string): JsonSchema {
  return { description, content: { 'application/json': { schema: errorRef } } };
}

const genericErrors: Partial<Record<ErrorCode, string>> = {
  VALIDATION: 'Invalid input: every failing field is listed in error.fields; nothing was written',
  UNAUTHENTICATED: 'No, an unknown or a revoked API key (see WWW-Authenticate)',
  FORBIDDEN: 'The key lacks the required scope',
  RATE_LIMITED: 'Too many requests for this key (see Retry-After)',
  PAYLOAD_TOO_LARGE: 'Request body too large',
  UNSUPPORTED_MEDIA_TYPE: 'Request body is not application/json',
  NOT_FOUND: 'No such resource',
  CONFLICT: 'The change conflicts with the current state',
  DB_FULL: 'Storage is full; nothing was written',
};

function operation(route: RegisteredRoute): JsonSchema {
  const codes = new Set<ErrorCode>(route.errors);
  if (route.params || route.query || route.body) codes.add('VALIDATION');
  if (route.scope !== null) ['UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED'].forEach((c) => codes.add(c as ErrorCode));
  if (route.body) ['PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'].forEach((c) => codes.add(c as ErrorCode));

  const status = route.response.status ?? 200;
  const success: JsonSchema = { description: route.response.description };
  if (status !== 204) {
    const ct = route.response.contentType ?? 'application/json';
    success['content'] = { [ct]: { schema: route.response.schema ? jsonSchema(route.response.schema, 'output') : {} } };
  }
  const responses: JsonSchema = { [String(status)]: success };
  for (const code of codes) {
    const s = String(httpStatusByCode[code]);
    const text = genericErrors[code] ?? code;
    const prior = responses[s] as JsonSchema | undefined;
    responses[s] = prior ? errorResponse(`${String(prior['description'])}; ${text}`) : errorResponse(text);
  }
  responses['default'] = errorResponse('Unexpected error (500) or a server-side failure');

  const op: JsonSchema = {
    operationId: route.operationId,
    summary: route.summary,
    tags: [...route.tags],
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    responses,
    security: route.scope === null ? [] : [{ bearerAuth: [route.scope] }, { apiKeyHeader: [route.scope] }],
  };
  if (route.description !== undefined) op['description'] = route.description;
  if (route.scope !== null) op['x-required-scope'] = route.scope;
  if (route.body) {
    op['requestBody'] = {
      required: !route.body.safeParse(undefined).success,
      content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
    };
  }
  if (route.rawBody) {
    const body = (op['requestBody'] ??= { required: true, content: {} }) as { content: Record<string, unknown> };
    for (const t of route.rawBody.types) body.content[t] = { schema: { type: 'string', format: 'binary', maxLength: route.rawBody.limitBytes } };
  }
  return op;
}

export function buildOpenApi(routes: readonly RegisteredRoute[], info: OpenApiInfo, basePath: string): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const tags = new Set<string>();
  for (const r of routes) {
    const p = openApiPath(r.path);
    paths[p] ??= {};
    paths[p][r.method] = operation(r);
    r.tags.forEach((t) => tags.add(t));
  }
  const scopeTable = Object.entries(ScopeDescriptions)
    .map(([s, d]) => `| \`${s}\` | ${d} |`)
    .join('\n');
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description: `${info.description ?? ''}\n\nScopes an API key can carry:\n\n| scope | grants |\n|---|---|\n${scopeTable}\n`.trim(),
    },
    servers: [{ url: basePath }],
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: jsonSchema(ErrorBodySchema, 'output') },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer hk_…' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}
