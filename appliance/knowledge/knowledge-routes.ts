/**
 * `/knowledge/*`: the REST face of the knowledge base (knowledge-service.ts) on the API route
 * registry. Searching and reading need `knowledge:read`; writing needs `knowledge:write`. A key
 * acts as a knowledge administrator unless it names a person (X-Acting-User / -Roles /
 * -Departments with `workorders:act-as`, api/acting-user.ts), whose department edit rights then
 * apply. Edits carry the version the editor saw (stale → 409). Every change is audited.
 *
 *   GET   /knowledge/search?q=…                 Chinese full-text search (published, valid now)
 *   GET   /knowledge/categories                 the category tree (flat, with parentId)
 *   POST  /knowledge/categories                 add a category
 *   POST  /knowledge/articles                   new article (draft, version 1)
 *   GET   /knowledge/articles/:id               one article (counts a hit)
 *   PATCH /knowledge/articles/:id               save a new version
 *   POST  /knowledge/articles/:id/publish       publish a version
 *   GET   /knowledge/articles/:id/revisions     every saved version
 */
import { z } from 'zod';
import { actingUser } from '../api/acting-user.js';
import type { ApiKeyInfo } from '../api/api-keys.js';
import { ForbiddenError } from '../api/error-map.js';
import { queryInt, type RouteContext, type RouteRegistry } from '../api/registry.js';
import { NotFoundError } from '../core/errors.js';
import type { AuditInput } from '../ops/audit.js';
import { KB_ADMIN_ROLE, type KnowledgeService } from './knowledge-service.js';
import { ArticleStatuses, Visibilities, type Article, type KbActor } from './model.js';
import { CategoryInputSchema, CreateArticleSchema, UpdateArticleSchema } from './schemas.js';

export interface RoutesAudit {
  record(input: AuditInput): Promise<unknown>;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export const ArticleSchema = z.strictObject({
  id: z.string(),
  categoryId: z.string().nullable(),
  title: z.string(),
  body: z.string(),
  tags: z.array(z.string()),
  status: z.enum(ArticleStatuses),
  visibility: z.enum(Visibilities),
  departmentId: z.string().nullable(),
  validFrom: z.iso.datetime().nullable(),
  validTo: z.iso.datetime().nullable(),
  version: z.number().int().describe('Latest saved version; send it back with an edit or publish'),
  publishedVersion: z.number().int().nullable(),
  hits: z.number().int(),
  createdAt: z.iso.datetime(),
  createdBy: z.string(),
  updatedAt: z.iso.datetime(),
  updatedBy: z.string(),
  publishedAt: z.iso.datetime().nullable(),
  attachments: z.array(z.strictObject({ ref: z.string(), name: z.string(), mime: z.string(), size: z.number().int() })),
});

const HitSchema = z.strictObject({
  id: z.string(),
  title: z.string(),
  categoryId: z.string().nullable(),
  tags: z.array(z.string()),
  visibility: z.enum(Visibilities),
  hits: z.number().int(),
  rank: z.number().describe('Lower is better'),
  snippet: z.string(),
  highlights: z.array(z.tuple([z.number().int(), z.number().int()])).describe('[start, end) offsets of matched terms in snippet'),
});

const CategorySchema = z.strictObject({ id: z.string(), parentId: z.string().nullable(), name: z.string(), sort: z.number().int() });

function articleOut(a: Article): z.input<typeof ArticleSchema> {
  return {
    ...a,
    validFrom: isoOrNull(a.validFrom),
    validTo: isoOrNull(a.validTo),
    createdAt: iso(a.createdAt),
    updatedAt: iso(a.updatedAt),
    publishedAt: isoOrNull(a.publishedAt),
  };
}

/** Dates arrive as RFC 3339 in the API and are milliseconds in the service. */
const DateTime = z.iso.datetime().transform((s) => Date.parse(s));
const CreateBody = z.strictObject({ ...CreateArticleSchema.shape, validFrom: DateTime.nullable().optional(), validTo: DateTime.nullable().optional() });
const UpdateBody = z.strictObject({ ...UpdateArticleSchema.shape, validFrom: DateTime.nullable().optional(), validTo: DateTime.nullable().optional() });

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });

function editor(ctx: Pick<RouteContext, 'req' | 'key'>): KbActor {
  const who = actingUser(ctx.req, ctx.key);
  return { id: who.id, ip: who.ip, roles: who.delegated ? who.roles : [KB_ADMIN_ROLE], departmentIds: who.departmentIds };
}

/**
 * Internal (staff-only) articles need `knowledge:internal`: an integration such as the utility's
 * public website reads public articles only, whatever it asks for. Panel users get the scope
 * through their role (control-panel/auth/api-scopes.ts).
 */
const mayReadInternal = (key: ApiKeyInfo | null): boolean => !!key?.scopes.includes('knowledge:internal');

export function registerKnowledgeRoutes(registry: RouteRegistry, svc: KnowledgeService, audit: RoutesAudit): void {
  registry.route({
    method: 'get',
    path: '/knowledge/search',
    summary: 'Search published, currently valid articles (Chinese full text; every term must match)',
    description: 'Terms are separated by spaces. Terms of 3+ characters use the FTS5 trigram index (ranked by bm25, title first); 1–2 character terms such as 电费 match by substring.',
    tags: ['knowledge'],
    scope: 'knowledge:read',
    query: z.strictObject({
      q: z.string().trim().min(1).max(200),
      categoryId: z.string().min(1).max(64).optional(),
      visibility: z.enum(Visibilities).optional(),
      limit: queryInt(1, 100).optional(),
    }),
    errors: ['NOT_FOUND', 'FORBIDDEN'],
    response: { description: 'Best first', schema: z.strictObject({ items: z.array(HitSchema) }) },
    handler: ({ query, key }) => {
      const internal = mayReadInternal(key);
      if (query.visibility === 'internal' && !internal) throw new ForbiddenError('internal articles need the knowledge:internal scope');
      const visibility = internal ? query.visibility : 'public';
      return {
        items: svc.search({
          q: query.q,
          ...(query.categoryId !== undefined && { categoryId: query.categoryId }),
          ...(visibility !== undefined && { visibility }),
          ...(query.limit !== undefined && { limit: query.limit }),
        }),
      };
    },
  });

  registry.route({
    method: 'get',
    path: '/knowledge/categories',
    summary: 'Every category (a tree through parentId)',
    tags: ['knowledge'],
    scope: 'knowledge:read',
    response: { description: 'Categories', schema: z.strictObject({ items: z.array(CategorySchema) }) },
    handler: () => ({ items: svc.categories() }),
  });

  registry.route({
    method: 'post',
    path: '/knowledge/categories',
    summary: 'Add a category',
    tags: ['knowledge'],
    scope: 'knowledge:write',
    body: CategoryInputSchema,
    errors: ['VALIDATION'],
    response: { status: 201, description: 'The category', schema: CategorySchema },
    handler: async ({ body, actor }) => {
      const c = svc.createCategory(body);
      await audit.record({ actor: actor.actor, ip: actor.ip, action: 'knowledge.category.created', target: c.id, after: c });
      return c;
    },
  });

  registry.route({
    method: 'post',
    path: '/knowledge/articles',
    summary: 'Write a new article (a draft, version 1)',
    tags: ['knowledge'],
    scope: 'knowledge:write',
    body: CreateBody,
    errors: ['VALIDATION', 'FORBIDDEN'],
    response: { status: 201, description: 'The article', schema: ArticleSchema },
    handler: async (ctx) => {
      const a = svc.create(ctx.body, editor(ctx));
      await audit.record({ actor: ctx.actor.actor, ip: ctx.actor.ip, action: 'knowledge.article.created', target: a.id, after: { title: a.title, version: a.version } });
      ctx.res.setHeader('Location', `${ctx.res.req.baseUrl}/knowledge/articles/${a.id}`);
      return articleOut(a);
    },
  });

  registry.route({
    method: 'get',
    path: '/knowledge/articles/:id',
    summary: 'One article (counts a hit)',
    tags: ['knowledge'],
    scope: 'knowledge:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The article', schema: ArticleSchema },
    handler: ({ params, key }) => {
      // An internal article is "not found" for a caller that may not read it (its existence is not confirmed).
      if (!mayReadInternal(key) && svc.get(params.id, { countHit: false }).visibility === 'internal') throw new NotFoundError("article", params.id);
      return articleOut(svc.get(params.id, { countHit: true }));
    },
  });

  registry.route({
    method: 'patch',
    path: '/knowledge/articles/:id',
    summary: 'Save a new version (agents keep seeing the published one until it is published)',
    tags: ['knowledge'],
    scope: 'knowledge:write',
    params: IdParams,
    body: UpdateBody,
    errors: ['NOT_FOUND', 'CONFLICT', 'VALIDATION', 'FORBIDDEN'],
    response: { description: 'The article', schema: ArticleSchema },
    handler: async (ctx) => {
      const before = svc.get(ctx.params.id);
      const a = svc.update(ctx.params.id, ctx.body, editor(ctx));
      await audit.record({
        actor: ctx.actor.actor,
        ip: ctx.actor.ip,
        action: 'knowledge.article.updated',
        target: a.id,
        before: { version: before.version },
        after: { version: a.version, fields: Object.keys(ctx.body).filter((k) => k !== 'version') },
      });
      return articleOut(a);
    },
  });

  registry.route({
    method: 'post',
    path: '/knowledge/articles/:id/publish',
    summary: 'Publish the latest version',
    tags: ['knowledge'],
    scope: 'knowledge:write',
    params: IdParams,
    body: z.strictObject({ version: z.number().int().positive() }),
    errors: ['NOT_FOUND', 'CONFLICT', 'FORBIDDEN'],
    response: { description: 'The article', schema: ArticleSchema },
    handler: async (ctx) => {
      const a = svc.publish(ctx.params.id, ctx.body.version, editor(ctx));
      await audit.record({ actor: ctx.actor.actor, ip: ctx.actor.ip, action: 'knowledge.article.published', target: a.id, after: { version: a.publishedVersion } });
      return articleOut(a);
    },
  });

  registry.route({
    method: 'get',
    path: '/knowledge/articles/:id/revisions',
    summary: 'Every saved version of an article, oldest first',
    tags: ['knowledge'],
    scope: 'knowledge:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: {
      description: 'Versions',
      schema: z.strictObject({
        items: z.array(
          z.strictObject({ version: z.number().int(), title: z.string(), body: z.string(), tags: z.array(z.string()), at: z.iso.datetime(), actor: z.string(), note: z.string() }),
        ),
      }),
    },
    handler: ({ params }) => ({ items: svc.revisions(params.id).map(({ articleId: _a, ...r }) => ({ ...r, at: iso(r.at) })) }),
  });
}
