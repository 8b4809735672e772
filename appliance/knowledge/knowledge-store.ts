/**
 * SQL for the knowledge base (store/migrations/0008-customers-knowledge.ts). Kysely builds and
 * compiles; better-sqlite3 runs synchronously so an edit (article row + revision) commits in one
 * IMMEDIATE transaction. The FTS5 table kb_fts is maintained by triggers; search joins it to
 * kb_articles on rowid = seq and ranks with bm25 (title weighted above tags above body).
 */
import { sql, type Insertable, type Selectable, type SqlBool, type Updateable } from 'kysely';
import type { Sqlite, Store } from '../store/database.js';
import { SyncQueries } from '../store/sync-query.js';
import type { KbArticlesTable, KbAttachmentsTable, KbCategoriesTable, KbRevisionsTable } from '../store/schema.js';
import type { Visibility } from './model.js';
import { likePattern, type QueryPlan } from './search.js';


export type ArticleRow = Selectable<KbArticlesTable>;
export type RevisionRow = Selectable<KbRevisionsTable>;
export type CategoryRow = Selectable<KbCategoriesTable>;
export type AttachmentRow = Selectable<KbAttachmentsTable>;

export interface SearchFilter {
  plan: QueryPlan;
  now: number;
  categoryIds?: readonly string[];
  visibility?: Visibility;
  limit: number;
}

export type SearchRow = Pick<ArticleRow, 'id' | 'title' | 'body' | 'tags' | 'category_id' | 'visibility' | 'hits'> & { rank: number };

/** bm25 weights per column: title, body, tags. */
const BM25 = sql<number>`bm25(kb_fts, 10.0, 1.0, 5.0)`;

export class KnowledgeStore {
  private readonly sqlite: Sqlite;
  private readonly q: SyncQueries;

  constructor(private readonly store: Pick<Store, 'sqlite' | 'db'>) {
    this.sqlite = store.sqlite;
    this.q = new SyncQueries(store.sqlite);
  }

  private get db(): Store['db'] {
    return this.store.db;
  }

  transaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn).immediate();
  }

  // ---- categories ----

  insertCategory(row: Insertable<KbCategoriesTable>): void {
    this.q.run(this.db.insertInto('kb_categories').values(row).compile());
  }

  categories(): CategoryRow[] {
    return this.q.all(this.db.selectFrom('kb_categories').selectAll().orderBy('sort').orderBy('name').compile());
  }

  getCategory(id: string): CategoryRow | undefined {
    return this.q.first(this.db.selectFrom('kb_categories').selectAll().where('id', '=', id).compile());
  }

  // ---- articles and revisions ----

  insertArticle(row: Insertable<KbArticlesTable>): void {
    this.q.run(this.db.insertInto('kb_articles').values(row).compile());
  }

  getArticle(id: string): ArticleRow | undefined {
    return this.q.first(this.db.selectFrom('kb_articles').selectAll().where('id', '=', id).compile());
  }

  /** Applies only when the latest version is still `version`. */
  updateArticleVersioned(id: string, version: number, patch: Updateable<KbArticlesTable>): number {
    return this.q.run(this.db.updateTable('kb_articles').set(patch).where('id', '=', id).where('version', '=', version).compile());
  }

  addHit(id: string): void {
    this.q.run(this.db.updateTable('kb_articles').set({ hits: sql`hits + 1` }).where('id', '=', id).compile());
  }

  insertRevision(row: Insertable<KbRevisionsTable>): void {
    this.q.run(this.db.insertInto('kb_revisions').values(row).compile());
  }

  revisions(articleId: string): RevisionRow[] {
    return this.q.all(this.db.selectFrom('kb_revisions').selectAll().where('article_id', '=', articleId).orderBy('version').compile());
  }

  revision(articleId: string, version: number): RevisionRow | undefined {
    return this.q.first(this.db.selectFrom('kb_revisions').selectAll().where('article_id', '=', articleId).where('version', '=', version).compile());
  }

  upsertAttachment(row: Insertable<KbAttachmentsTable>): void {
    const { article_id: _a, ref: _r, ...rest } = row;
    this.q.run(this.db.insertInto('kb_attachments').values(row).onConflict((oc) => oc.columns(['article_id', 'ref']).doUpdateSet(rest)).compile());
  }

  deleteAttachmentsNotIn(articleId: string, keep: readonly string[]): void {
    let q = this.db.deleteFrom('kb_attachments').where('article_id', '=', articleId);
    if (keep.length > 0) q = q.where('ref', 'not in', [...keep]);
    this.q.run(q.compile());
  }

  attachments(articleId: string): AttachmentRow[] {
    return this.q.all(this.db.selectFrom('kb_attachments').selectAll().where('article_id', '=', articleId).orderBy('name').compile());
  }

  listArticles(f: { status?: ArticleRow['status']; categoryIds?: readonly string[]; limit: number; afterSeq?: number }): ArticleRow[] {
    let q = this.db.selectFrom('kb_articles').selectAll();
    if (f.status) q = q.where('status', '=', f.status);
    if (f.categoryIds) q = q.where('category_id', 'in', f.categoryIds.length > 0 ? [...f.categoryIds] : ['']);
    if (f.afterSeq !== undefined) q = q.where('seq', '>', f.afterSeq);
    return this.q.all(q.orderBy('seq').limit(f.limit).compile());
  }

  // ---- search ----

  /** Published, currently valid articles matching every term of the plan, best first. */
  search(f: SearchFilter): SearchRow[] {
    const { plan } = f;
    const cols = ['a.id', 'a.title', 'a.body', 'a.tags', 'a.category_id', 'a.visibility', 'a.hits'] as const;
    const shortTerms = (q: ReturnType<typeof this.base>) =>
      plan.short.reduce(
        (acc, term) =>
          acc.where((eb) =>
            eb.or([
              sql<SqlBool>`a.title LIKE ${likePattern(term)} ESCAPE '\\'`,
              sql<SqlBool>`a.body LIKE ${likePattern(term)} ESCAPE '\\'`,
              sql<SqlBool>`a.tags LIKE ${likePattern(term)} ESCAPE '\\'`,
            ]),
          ),
        q,
      );
    const filtered = (q: ReturnType<typeof this.base>) => {
      let out = q
        .where('a.status', '=', 'published')
        .where((eb) => eb.or([eb('a.valid_from', 'is', null), eb('a.valid_from', '<=', f.now)]))
        .where((eb) => eb.or([eb('a.valid_to', 'is', null), eb('a.valid_to', '>', f.now)]));
      if (f.visibility) out = out.where('a.visibility', '=', f.visibility);
      if (f.categoryIds) out = out.where('a.category_id', 'in', f.categoryIds.length > 0 ? [...f.categoryIds] : ['']);
      return shortTerms(out);
    };
    if (plan.match !== null) {
      const q = filtered(this.base())
        .innerJoin('kb_fts', 'kb_fts.rowid', 'a.seq')
        .where(sql<SqlBool>`kb_fts MATCH ${plan.match}`)
        .select([...cols, BM25.as('rank')])
        .orderBy('rank')
        .orderBy('a.hits', 'desc')
        .limit(f.limit);
      return this.q.all(q.compile()) as SearchRow[];
    }
    // Short terms only: no index can help; rank title matches first, then popularity.
    const first = plan.short[0] ?? '';
    const q = filtered(this.base())
      .select([...cols, sql<number>`0`.as('rank')])
      .orderBy(sql`instr(a.title, ${first}) = 0`)
      .orderBy('a.hits', 'desc')
      .limit(f.limit);
    return this.q.all(q.compile()) as SearchRow[];
  }

  private base() {
    return this.db.selectFrom('kb_articles as a');
  }

}
