/**
 * The route registry: every /api/v1 operation is declared once, as data (method, path in
 * express 5 syntax, summary, tags, required scope, zod schemas for params/query/body and the
 * success response, handler). From that one declaration the registry
 *   - mounts an express Router handler that authenticates, checks the scope, rate-limits,
 *     reads the JSON body, validates params, query and body (strict objects: unknown fields
 *     are errors) and reports EVERY failing field at once, then calls the handler;
 *   - produces the OpenAPI 3.1 document (openapi.ts) from the same schemas.
 *
 * Order of checks for a request: authentication (401) → rate limit (429) → scope (403) →
 * content type (415) → body size (413) → JSON syntax (400) → schema validation (400) →
 * handler. A handler runs only with valid input, so a 400 never writes anything.
 *
 * Routes can be added at any time (other modules call `registry.route(...)` after
 * createApi); they are matched before the 404 fallback because they live in an inner router.
 * The registry itself serves `GET /openapi.json` (public).
 */
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { zodIssues } from '../core/config.js';
import { AppError, type ErrorCode, type FieldIssue, ValidationError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Actor, ApiKeyInfo } from './api-keys.js';
import { errorHandler, sendError } from './error-map.js';
import { buildOpenApi, type OpenApiDocument, type OpenApiInfo } from './openapi.js';
import type { Scope } from './scopes.js';

export const HttpMethods = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HttpMethods)[number];

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
/** What a handler returns: the response schema's input (it is serialized as JSON), or nothing. */
export type Reply<R> = R extends z.ZodType ? z.input<R> : void;

export interface RouteContext<P = unknown, Q = unknown, B = unknown> {
  params: P;
  query: Q;
  body: B;
  /** The authenticated key; null on public routes (scope: null). */
  key: ApiKeyInfo | null;
  /** For audit rows: `apikey:<id>` (or `anonymous`) and the client IP (express `req.ip`). */
  actor: Actor;
  /** The request body as bytes when it came as one of the route's `rawBody.types`; else null. */
  raw: Buffer | null;
  req: Request;
  res: Response;
}

export interface SuccessResponse<R> {
  /** Default 200. 204 sends no body. */
  status?: 200 | 201 | 202 | 204;
  description: string;
  schema?: R;
  /** Default application/json. Anything else is sent as the handler's string. */
  contentType?: string;
}

export interface RouteSpec<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType | undefined = undefined,
> {
  method: HttpMethod;
  /** Relative to the mount point (/api/v1), express 5 syntax: `/api-keys/:id`. */
  path: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  /** The scope a key needs; null makes the route public (no key). */
  scope: Scope | null;
  /** Default: derived from method and path (`deleteApiKeysById`). */
  operationId?: string;
  /** z.strictObject with one key per `:name` in the path. */
  params?: P;
  /** z.strictObject; values arrive as strings (use queryInt/queryBool for numbers/flags). */
  query?: Q;
  /** Usually z.strictObject; the request must be application/json. */
  body?: B;
  /**
   * Also accept these non-JSON bodies (e.g. `text/csv` for imports): read as bytes up to
   * `limitBytes` (larger: 413) and passed as `raw`, the JSON body schema not applied.
   */
  rawBody?: RawBodySpec;
  response: SuccessResponse<R>;
  /** Error codes this route answers with beyond the generic ones, for the document. */
  errors?: readonly ErrorCode[];
  handler: (ctx: RouteContext<Out<P>, Out<Q>, Out<B>>) => Reply<R> | Promise<Reply<R>>;
}

export interface RawBodySpec {
  types: readonly string[];
  limitBytes: number;
}

/** A registered route as the OpenAPI builder and callers see it. */
export interface RegisteredRoute {
  method: HttpMethod;
  path: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  scope: Scope | null;
  operationId: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  rawBody?: RawBodySpec;
  response: SuccessResponse<z.ZodType>;
  errors: readonly ErrorCode[];
}

/** Finds and checks the caller's key for a scope; throws UNAUTHENTICATED/FORBIDDEN/RATE_LIMITED. */
export type Authenticate = (req: Request, scope: Scope) => Promise<ApiKeyInfo>;

export interface RegistryOptions {
  log: Logger;
  authenticate: Authenticate;
  info: OpenApiInfo;
  /** Where the router is mounted, for the document's `servers` and 404 messages. */
  basePath?: string;
  /** Largest accepted JSON body; larger gives 413. Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Validate handler results against the response schema (tests, development). */
  checkResponses?: boolean;
}

/** A query-string integer (`?limit=50`): numeric text becomes a number, anything else fails. */
export function queryInt(min: number, max: number): z.ZodType<number, unknown> {
  return z.preprocess(
    (v) => (typeof v === 'string' && /^-?\d{1,15}$/.test(v) ? Number(v) : v),
    z.number().int().min(min).max(max),
  );
}

/** A query-string flag: `true`/`false`/`1`/`0`. */
export function queryBool(): z.ZodType<boolean, unknown> {
  return z.preprocess(
    (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v),
    z.boolean(),
  );
}

const PATH_PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;

function pathParams(path: string): string[] {
  return [...path.matchAll(PATH_PARAM)].map((m) => m[1]!);
}

function defaultOperationId(method: HttpMethod, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((seg) => (seg.startsWith(':') ? `by-${seg.slice(1)}` : seg))
    .flatMap((seg) => seg.split(/[^A-Za-z0-9]+/))
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return method + words.join('');
}

function isStrictObject(schema: z.ZodType): boolean {
  if (!(schema instanceof z.ZodObject)) return false;
  const catchall = (schema as z.ZodObject)._zod.def.catchall;
  return catchall instanceof z.ZodNever;
}

/** RFC 9110 §6.4.1: a body is present when Transfer-Encoding or a non-zero Content-Length is. */
function hasBody(req: Request): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

function issuesAt(where: '(params)' | '(query)' | '(body)', error: z.ZodError): FieldIssue[] {
  return zodIssues(error).map((i) => (i.path === '(root)' ? { ...i, path: where } : i));
}

export class RouteRegistry {
  /** Mount this (at basePath) in the daemon. */
  readonly router: Router;
  private readonly inner: Router;
  private readonly list: RegisteredRoute[] = [];
  private readonly keys = new Set<string>();
  private readonly jsonParser: express.RequestHandler;
  private readonly basePath: string;
  private cachedDocument: OpenApiDocument | null = null;

  constructor(private readonly opts: RegistryOptions) {
    this.basePath = opts.basePath ?? '/api/v1';
    this.jsonParser = express.json({ limit: opts.bodyLimitBytes ?? 1024 * 1024, strict: true, type: () => true });
    this.router = express.Router({ caseSensitive: true });
    this.inner = express.Router({ caseSensitive: true });
    this.router.use((_req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      // JSON is never to be sniffed into HTML; no URL (with ids in it) leaks to other sites.
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
      next();
    });
    this.router.use(this.inner);
    this.router.use((req, res) => {
      sendError(res, new AppError('NOT_FOUND', `no route ${req.method} ${this.basePath}${req.path}`), opts.log);
    });
    this.router.use(errorHandler(opts.log));
    this.route({
      method: 'get',
      path: '/openapi.json',
      summary: 'This API described as an OpenAPI 3.1 document',
      tags: ['meta'],
      scope: null,
      response: { description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) },
      handler: () => this.openapi() as unknown as Record<string, unknown>,
    });
  }

  /** Declare a route. Throws at once on a malformed declaration (bad path, loose schema, duplicate). */
  route<
    P extends z.ZodType | undefined = undefined,
    Q extends z.ZodType | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
    R extends z.ZodType | undefined = undefined,
  >(spec: RouteSpec<P, Q, B, R>): this {
    const where = `${spec.method.toUpperCase()} ${spec.path}`;
    if (!HttpMethods.includes(spec.method)) throw new Error(`route ${where}: unknown method`);
    if (!spec.path.startsWith('/') || /[*{}()?+]/.test(spec.path)) {
      throw new Error(`route ${where}: path must start with / and use only :name parameters`);
    }
    const key = `${spec.method} ${spec.path.replace(PATH_PARAM, ':')}`;
    if (this.keys.has(key)) throw new Error(`route ${where}: declared twice`);
    const names = pathParams(spec.path);
    if (names.length > 0 || spec.params) {
      if (!spec.params || !isStrictObject(spec.params)) throw new Error(`route ${where}: params must be a z.strictObject`);
      const declared = Object.keys((spec.params as unknown as z.ZodObject).shape).sort();
      if (declared.join(',') !== [...names].sort().join(',')) {
        throw new Error(`route ${where}: params schema keys [${declared.join(',')}] differ from path [${names.join(',')}]`);
      }
    }
    if (spec.query && !isStrictObject(spec.query)) throw new Error(`route ${where}: query must be a z.strictObject`);
    if (spec.body instanceof z.ZodObject && !isStrictObject(spec.body)) {
      throw new Error(`route ${where}: body object must be strict (z.strictObject)`);
    }
    if (spec.response.status === 204 && spec.response.schema) throw new Error(`route ${where}: 204 has no body schema`);

    const registered: RegisteredRoute = {
      method: spec.method,
      path: spec.path,
      summary: spec.summary,
      tags: spec.tags,
      scope: spec.scope,
      operationId: spec.operationId ?? defaultOperationId(spec.method, spec.path),
      response: spec.response as SuccessResponse<z.ZodType>,
      errors: spec.errors ?? [],
      ...(spec.description !== undefined && { description: spec.description }),
      ...(spec.params && { params: spec.params }),
      ...(spec.query && { query: spec.query }),
      ...(spec.body && { body: spec.body }),
      ...(spec.rawBody && { rawBody: spec.rawBody }),
    };
    if (this.list.some((r) => r.operationId === registered.operationId)) {
      throw new Error(`route ${where}: operationId ${registered.operationId} already used`);
    }
    // Build the operation's schemas now so a schema zod cannot express fails at declaration.
    buildOpenApi([registered], this.opts.info, this.basePath);
    this.keys.add(key);
    this.list.push(registered);
    this.cachedDocument = null;

    const handler = spec.handler as (ctx: RouteContext) => unknown;
    this.inner[spec.method](spec.path, (req, res) => {
      this.dispatch(registered, handler, req, res).catch((err: unknown) => sendError(res, err, this.opts.log));
    });
    return this;
  }

  /** Every registered route, in declaration order. */
  routes(): readonly RegisteredRoute[] {
    return this.list;
  }

  /** The OpenAPI 3.1 document for every route declared so far. */
  openapi(): OpenApiDocument {
    this.cachedDocument ??= buildOpenApi(this.list, this.opts.info, this.basePath);
    return this.cachedDocument;
  }

  private async dispatch(route: RegisteredRoute, handler: (ctx: RouteContext) => unknown, req: Request, res: Response): Promise<void> {
    const key = route.scope === null ? null : await this.opts.authenticate(req, route.scope);
    const raw = route.rawBody && hasBody(req) && req.is([...route.rawBody.types]) ? await this.readRaw(route.rawBody, req, res) : null;
    const rawBody = raw === null ? await this.readBody(route, req, res) : undefined;

    const issues: FieldIssue[] = [];
    const parse = (where: '(params)' | '(query)' | '(body)', schema: z.ZodType | undefined, input: unknown): unknown => {
      if (!schema) return undefined;
      const r = schema.safeParse(input, { reportInput: true });
      if (r.success) return r.data;
      issues.push(...issuesAt(where, r.error));
      return undefined;
    };
    const params = parse('(params)', route.params, { ...req.params });
    const query = route.query ? parse('(query)', route.query, { ...req.query }) : undefined;
    if (!route.query && Object.keys(req.query as object).length > 0) {
      for (const k of Object.keys(req.query as object)) issues.push({ path: k, message: 'unknown query parameter' });
    }
    const body = raw === null ? parse('(body)', route.body, rawBody) : undefined;
    if (issues.length > 0) throw new ValidationError(`${issues.length} invalid field(s)`, issues);

    const actor: Actor = { actor: key?.session ? `user:${key.session.userId}` : key ? `apikey:${key.id}` : 'anonymous', ip: req.ip ?? null };
    const result = await handler({ params, query, body, key, actor, raw, req, res });
    if (res.headersSent) return;
    const status = route.response.status ?? 200;
    if (status === 204) {
      res.status(204).end();
      return;
    }
    const contentType = route.response.contentType ?? 'application/json';
    if (contentType !== 'application/json') {
      res.status(status).type(contentType).send(result as string);
      return;
    }
    if (this.opts.checkResponses && route.response.schema) {
      const r = route.response.schema.safeParse(result);
      if (!r.success) {
        throw new AppError('INTERNAL', `response of ${route.operationId} does not match its schema: ${JSON.stringify(zodIssues(r.error))}`);
      }
    }
    res.status(status).json(result);
  }

  /** A non-JSON body the route accepts (rawBody), as bytes; body-parser gives 413 over the limit. */
  private async readRaw(spec: RawBodySpec, req: Request, res: Response): Promise<Buffer> {
    const parser = express.raw({ limit: spec.limitBytes, type: () => true });
    await new Promise<void>((resolve, reject) => {
      parser(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
    });
    return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  }

  /** RFC 9110 §15.5.16: 415 when the body is not JSON; body-parser gives 413/400 for size/syntax. */
  private async readBody(route: RegisteredRoute, req: Request, res: Response): Promise<unknown> {
    if (!hasBody(req)) return undefined;
    if (!route.body && !route.rawBody) {
      throw new ValidationError('this operation takes no request body', [
        { path: '(body)', message: 'this operation takes no request body' },
      ]);
    }
    if (!route.body || !req.is('application/json')) {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `request body must be ${[...(route.body ? ['application/json'] : []), ...(route.rawBody?.types ?? [])].join(' or ')}, got ${req.headers['content-type'] ?? 'no Content-Type'}`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      this.jsonParser(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
    });
    return req.body as unknown;
  }
}
