/**
 * The REST API (/api/v1) of issue 2: express 5, zod-validated input, an OpenAPI 3.1 document
 * from the same schemas, one error shape `{error:{code,message,fields?}}`, scoped API keys.
 *
 * The daemon mounts it:
 *
 *   const api = createApi({ store, clock, log, bus, version });
 *   app.use('/api/v1', api.router);
 *
 * Adding a resource from another module (webhooks, work orders, …) is one call per operation
 * on `api.registry`, typically in a `registerXRoutes(registry, service, audit)` function of
 * that module, called by the daemon after createApi with `api.registry` and `api.audit`.
 * Routes may be added after mounting; the OpenAPI document picks them up.
 *
 *   import { z } from 'zod';
 *   import type { RouteRegistry } from '../../api/registry.js';
 *   import type { AuditLog } from '../../ops/audit.js';
 *
 *   export function registerWebhookRoutes(registry: RouteRegistry, hooks: Webhooks, audit: AuditLog): void {
 *     registry.route({
 *       method: 'post', path: '/webhooks', summary: 'Subscribe an endpoint', tags: ['webhooks'],
 *       scope: 'webhooks:write',                      // from api/scopes.ts; null = public
 *       body: z.strictObject({ url: z.url(), eventTypes: z.array(z.string()).min(1) }),
 *       response: { status: 201, description: 'Created', schema: SubscriptionSchema },
 *       errors: ['CONFLICT'],                          // extra codes, for the document
 *       handler: async ({ body, actor }) => {          // body is typed and already valid;
 *                                                      // also params, query, key, req, res
 *         const sub = await hooks.subscribe(body);
 *         await audit.record({ ...actor, action: 'webhook.subscription.created', target: sub.id, after: sub });
 *         return sub;                                  // sent as JSON with the status above
 *       },
 *     });
 *   }
 *
 * Rules for handlers: throw AppErrors (NotFoundError, ConflictError, ValidationError, …) and
 * error-map.ts picks the status; audit every administrative change with `audit.record`
 * (ideally in the same Kysely transaction as the change; actor is `ctx.actor`); never return
 * secrets except the once-only creation answer.
 */
import type { Router } from 'express';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import { AuditLog } from '../ops/audit.js';
import type { Store } from '../store/database.js';
import { ApiKeys } from './api-keys.js';
import { createAuthenticator } from './auth.js';
import type { RateLimitOptions } from './rate-limit.js';
import { RouteRegistry } from './registry.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerSystemRoutes } from './routes/system.js';
import type { SessionAuthenticate } from './session-auth.js';

export interface ApiDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  bus: EventBus;
  /** Software version, shown in /system/info and the OpenAPI document. */
  version: string;
  /** Per-key token bucket; default 10 requests/s, burst 20. */
  rateLimit?: RateLimitOptions;
  /** Largest JSON body; default 1 MiB. */
  bodyLimitBytes?: number;
  /** Check handler results against response schemas (tests/development). Default false. */
  checkResponses?: boolean;
}

export interface Api {
  /** Mount at /api/v1. Includes the 404 fallback and the error handler. */
  router: Router;
  registry: RouteRegistry;
  apiKeys: ApiKeys;
  audit: AuditLog;
  /** Let signed-in control-panel sessions call the API (session-auth.ts); API keys work as before. */
  useSessionAuth(auth: SessionAuthenticate): void;
}

export function createApi(deps: ApiDeps): Api {
  const log = deps.log.child({ mod: 'api' });
  const audit = new AuditLog({ db: deps.store.db, clock: deps.clock });
  const apiKeys = new ApiKeys({ db: deps.store.db, clock: deps.clock, audit, bus: deps.bus });
  let sessionAuth: SessionAuthenticate | null = null;
  const authenticate = createAuthenticator({
    apiKeys,
    sessions: () => sessionAuth,
    clock: deps.clock,
    log,
    bus: deps.bus,
    ...(deps.rateLimit && { rateLimit: deps.rateLimit }),
  });
  const registry = new RouteRegistry({
    log,
    authenticate,
    basePath: '/api/v1',
    info: {
      title: 'Hotline appliance API',
      version: deps.version,
      description: 'REST API of the hotline appliance for integrators (billing, GIS, CRM).',
    },
    ...(deps.bodyLimitBytes !== undefined && { bodyLimitBytes: deps.bodyLimitBytes }),
    checkResponses: deps.checkResponses ?? false,
  });
  registerSystemRoutes(registry, {
    clock: deps.clock,
    store: deps.store,
    version: deps.version,
    startedMonotonic: deps.clock.monotonic(),
  });
  registerApiKeyRoutes(registry, apiKeys);
  registerAuditRoutes(registry, audit);
  return {
    router: registry.router,
    registry,
    apiKeys,
    audit,
    useSessionAuth: (auth) => {
      sessionAuth = auth;
    },
  };
}
