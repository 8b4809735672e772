/**
 * The knowledge base (issue 8 "Knowledge base"): a category tree; articles with versions,
 * validity dates, attachments by reference, draft/published/archived status, internal/public
 * visibility and per-department edit rights; Chinese full-text search (search.ts) with ranking,
 * highlights and hit counts.
 *
 * Versions: every save is a kb_revisions row (version 1, 2, …). The article row carries the
 * text agents see — the published version, or the latest draft before first publication — so
 * editing a published article never shows half-finished text to agents until `publish`.
 * Every edit names the version the editor saw; a stale one is a ConflictError. Writes are one
 * IMMEDIATE transaction each; bus events go out after the commit.
 */
import type { Clock } from '../core/clock.js';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import type { Store } from '../store/database.js';
import './knowledge-events.js';
import { KnowledgeStore, type ArticleRow, type CategoryRow, type RevisionRow } from './knowledge-store.js';
import type { Article, Category, KbActor, Revision, SearchHit, Visibility } from './model.js';
import {
  CategoryInputSchema,
  CreateArticleSchema,
  parseWith,
  UpdateArticleSchema,
  type CategoryInput,
  type CreateArticleInput,
  type UpdateArticleInput,
} from './schemas.js';
import { planQuery, snippet } from './search.js';

export interface KnowledgeServiceDeps {
  store: Pick<Store, 'sqlite' | 'db'>;
  clock: Clock;
  bus: EventBus;
  log: Logger;
}

export interface SearchRequest {
  q: string;
  /** Restrict to this category and its descendants. */
  categoryId?: string;
  /** `public` for customer-facing callers. */
  visibility?: Visibility;
  limit?: number;
}

/** Editors may change articles of their departments; this role may change any. */
export const KB_ADMIN_ROLE = 'kb-admin';

export class KbForbiddenError extends AppError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

const splitTags = (s: string): string[] => (s === '' ? [] : s.split(' '));

export class KnowledgeService {
  readonly ks: KnowledgeStore;

  constructor(private readonly deps: KnowledgeServiceDeps) {
    this.ks = new KnowledgeStore(deps.store);
  }

  // ------------------------------------------------------------------ categories

  createCategory(input: CategoryInput): Category {
    const c = parseWith(CategoryInputSchema, input, 'category');
    if (this.ks.getCategory(c.id)) throw new ValidationError('duplicate category', [{ path: 'id', message: `category ${c.id} exists` }]);
    if (c.parentId !== null && !this.ks.getCategory(c.parentId))
      throw new ValidationError('bad parent', [{ path: 'parentId', message: `no category ${c.parentId}` }]);
    this.ks.insertCategory({ id: c.id, parent_id: c.parentId, name: c.name, sort: c.sort, created_at: this.deps.clock.now() });
    return { id: c.id, parentId: c.parentId, name: c.name, sort: c.sort };
  }

  categories(): Category[] {
    return this.ks.categories().map(toCategory);
  }

  /** `id` and every category below it. */
  subtree(id: string): string[] {
    const all = this.ks.categories();
    if (!all.some((c) => c.id === id)) throw new NotFoundError('category', id);
    const out = [id];
    for (let i = 0; i < out.length; i++) for (const c of all) if (c.parent_id === out[i]) out.push(c.id);
    return out;
  }

  // ------------------------------------------------------------------ articles

  create(input: CreateArticleInput, actor: KbActor): Article {
    const a = parseWith(CreateArticleSchema, input, 'article');
    this.checkCategory(a.categoryId, 'categoryId');
    this.checkDepartment(a.departmentId, actor);
    const id = newId('kb', this.deps.clock);
    this.ks.transaction(() => {
      const now = this.deps.clock.now();
      this.ks.insertArticle({
        id,
        category_id: a.categoryId,
        title: a.title,
        body: a.body,
        tags: a.tags.join(' '),
        status: 'draft',
        visibility: a.visibility,
        department_id: a.departmentId,
        valid_from: a.validFrom,
        valid_to: a.validTo,
        version: 1,
        published_version: null,
        created_at: now,
        created_by: actor.id,
        updated_at: now,
        updated_by: actor.id,
        published_at: null,
      });
      this.ks.insertRevision({ article_id: id, version: 1, title: a.title, body: a.body, tags: JSON.stringify(a.tags), at: now, actor: actor.id, note: a.note });
      for (const att of a.attachments) this.ks.upsertAttachment({ article_id: id, ...att });
    });
    this.deps.bus.publish('knowledge.article.created', { articleId: id, version: 1, actor: actor.id });
    return this.get(id);
  }

  /** Save a new version. Before first publication it is also what the article shows. */
  update(id: string, input: UpdateArticleInput, actor: KbActor): Article {
    const u = parseWith(UpdateArticleSchema, input, 'article');
    if (u.categoryId !== undefined) this.checkCategory(u.categoryId, 'categoryId');
    let version = 0;
    this.ks.transaction(() => {
      const row = this.mustGet(id);
      this.checkEditor(row, actor);
      if (u.departmentId !== undefined) this.checkDepartment(u.departmentId, actor);
      if (row.version !== u.version) throw new ConflictError(`article ${id} has changed (version ${row.version}, you edited ${u.version}); reload it`);
      const latest = this.ks.revision(id, row.version)!;
      const now = this.deps.clock.now();
      version = row.version + 1;
      const title = u.title ?? latest.title;
      const body = u.body ?? latest.body;
      const tags = u.tags ?? (JSON.parse(latest.tags) as string[]);
      const validFrom = u.validFrom !== undefined ? u.validFrom : row.valid_from;
      const validTo = u.validTo !== undefined ? u.validTo : row.valid_to;
      if (validFrom !== null && validTo !== null && validTo <= validFrom)
        throw new ValidationError('invalid article', [{ path: 'validTo', message: 'validTo must be after validFrom' }]);
      this.ks.insertRevision({ article_id: id, version, title, body, tags: JSON.stringify(tags), at: now, actor: actor.id, note: u.note });
      const showDraft = row.status === 'draft';
      const changed = this.ks.updateArticleVersioned(id, row.version, {
        version,
        updated_at: now,
        updated_by: actor.id,
        valid_from: validFrom,
        valid_to: validTo,
        ...(showDraft && { title, body, tags: tags.join(' ') }),
        ...(u.categoryId !== undefined && { category_id: u.categoryId }),
        ...(u.visibility !== undefined && { visibility: u.visibility }),
        ...(u.departmentId !== undefined && { department_id: u.departmentId }),
      });
      if (changed !== 1) throw new ConflictError(`article ${id} has changed; reload it`);
      if (u.attachments) {
        this.ks.deleteAttachmentsNotIn(id, u.attachments.map((a) => a.ref));
        for (const att of u.attachments) this.ks.upsertAttachment({ article_id: id, ...att });
      }
    });
    this.deps.bus.publish('knowledge.article.updated', { articleId: id, version, actor: actor.id });
    return this.get(id);
  }

  /** Publish the latest version (`version` must be it): agents see it from now on. */
  publish(id: string, version: number, actor: KbActor): Article {
    this.ks.transaction(() => {
      const row = this.mustGet(id);
      this.checkEditor(row, actor);
      if (row.version !== version) throw new ConflictError(`article ${id} has changed (version ${row.version}, you publish ${version}); reload it`);
      const rev = this.ks.revision(id, version)!;
      const now = this.deps.clock.now();
      this.ks.updateArticleVersioned(id, version, {
        title: rev.title,
        body: rev.body,
        tags: (JSON.parse(rev.tags) as string[]).join(' '),
        status: 'published',
        published_version: version,
        published_at: now,
        updated_at: now,
        updated_by: actor.id,
      });
    });
    this.deps.bus.publish('knowledge.article.published', { articleId: id, version, actor: actor.id });
    return this.get(id);
  }

  archive(id: string, version: number, actor: KbActor): Article {
    this.ks.transaction(() => {
      const row = this.mustGet(id);
      this.checkEditor(row, actor);
      if (row.version !== version) throw new ConflictError(`article ${id} has changed; reload it`);
      this.ks.updateArticleVersioned(id, version, { status: 'archived', updated_at: this.deps.clock.now(), updated_by: actor.id });
    });
    this.deps.bus.publish('knowledge.article.archived', { articleId: id, version, actor: actor.id });
    return this.get(id);
  }

  /** One article; `countHit` (an agent opened it) adds one to its hit count. */
  get(id: string, opts: { countHit?: boolean } = {}): Article {
    if (opts.countHit) this.ks.addHit(id);
    const r = this.mustGet(id);
    return {
      id: r.id,
      categoryId: r.category_id,
      title: r.title,
      body: r.body,
      tags: splitTags(r.tags),
      status: r.status,
      visibility: r.visibility,
      departmentId: r.department_id,
      validFrom: r.valid_from,
      validTo: r.valid_to,
      version: r.version,
      publishedVersion: r.published_version,
      hits: r.hits,
      createdAt: r.created_at,
      createdBy: r.created_by,
      updatedAt: r.updated_at,
      updatedBy: r.updated_by,
      publishedAt: r.published_at,
      attachments: this.ks.attachments(id).map((a) => ({ ref: a.ref, name: a.name, mime: a.mime, size: a.size })),
    };
  }

  revisions(id: string): Revision[] {
    this.mustGet(id);
    return this.ks.revisions(id).map(toRevision);
  }

  // ------------------------------------------------------------------ search

  /**
   * Published articles valid now that contain every term, best first: bm25 over title (×10),
   * tags (×5) and body for terms of 3+ characters; title matches then hit count for short ones.
   */
  search(req: SearchRequest): SearchHit[] {
    const plan = planQuery(req.q);
    if (plan.terms.length === 0) throw new ValidationError('empty query', [{ path: 'q', message: 'give at least one search term' }]);
    const rows = this.ks.search({
      plan,
      now: this.deps.clock.now(),
      limit: Math.min(Math.max(req.limit ?? 20, 1), 100),
      ...(req.categoryId !== undefined && { categoryIds: this.subtree(req.categoryId) }),
      ...(req.visibility !== undefined && { visibility: req.visibility }),
    });
    return rows.map((r) => {
      const s = snippet(r.body, plan.terms);
      return {
        id: r.id,
        title: r.title,
        categoryId: r.category_id,
        tags: splitTags(r.tags),
        visibility: r.visibility,
        hits: r.hits,
        rank: r.rank,
        snippet: s.text,
        highlights: s.highlights,
      };
    });
  }

  // ------------------------------------------------------------------ helpers

  private mustGet(id: string): ArticleRow {
    const r = this.ks.getArticle(id);
    if (!r) throw new NotFoundError('article', id);
    return r;
  }

  private checkCategory(id: string | null, path: string): void {
    if (id !== null && !this.ks.getCategory(id)) throw new ValidationError('bad category', [{ path, message: `no category ${id}` }]);
  }

  /** Per-department edit rights: the article's department must be one of the editor's. */
  private checkEditor(row: ArticleRow, actor: KbActor): void {
    if (row.department_id === null || actor.roles.includes(KB_ADMIN_ROLE) || actor.departmentIds.includes(row.department_id)) return;
    throw new KbForbiddenError(`article ${row.id} belongs to department ${row.department_id}; you may not edit it`);
  }

  private checkDepartment(departmentId: string | null, actor: KbActor): void {
    if (departmentId === null || actor.roles.includes(KB_ADMIN_ROLE) || actor.departmentIds.includes(departmentId)) return;
    throw new KbForbiddenError(`you may not file articles under department ${departmentId}`);
  }
}

function toCategory(c: CategoryRow): Category {
  return { id: c.id, parentId: c.parent_id, name: c.name, sort: c.sort };
}

function toRevision(r: RevisionRow): Revision {
  return { articleId: r.article_id, version: r.version, title: r.title, body: r.body, tags: JSON.parse(r.tags) as string[], at: r.at, actor: r.actor, note: r.note };
}
