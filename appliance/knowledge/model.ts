/**
 * The knowledge-base vocabulary (issue 8 "Knowledge base"; water-utility hotline [W] and China
 * Unicom spec [U]: a knowledge base maintained by departments with permissions, quick search by
 * agents). Enums are `as const` arrays stored as TEXT with a CHECK in
 * store/migrations/0008-customers-knowledge.ts; the lists must stay equal.
 */

/** draft: never published (only editors see it); published: agents see the published version; archived: withdrawn. */
export const ArticleStatuses = ['draft', 'published', 'archived'] as const;
export type ArticleStatus = (typeof ArticleStatuses)[number];

/** internal: agents only; public: may be sent to customers and shown by public integrations. */
export const Visibilities = ['internal', 'public'] as const;
export type Visibility = (typeof Visibilities)[number];

export interface Attachment {
  ref: string;
  name: string;
  mime: string;
  size: number;
}

export interface Article {
  id: string;
  categoryId: string | null;
  /** The published text (or, before first publication, the latest draft). */
  title: string;
  body: string;
  tags: string[];
  status: ArticleStatus;
  visibility: Visibility;
  departmentId: string | null;
  validFrom: number | null;
  validTo: number | null;
  /** Latest saved version (drafts included). */
  version: number;
  publishedVersion: number | null;
  hits: number;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  publishedAt: number | null;
  attachments: Attachment[];
}

export interface Revision {
  articleId: string;
  version: number;
  title: string;
  body: string;
  tags: string[];
  at: number;
  actor: string;
  note: string;
}

export interface Category {
  id: string;
  parentId: string | null;
  name: string;
  sort: number;
}

export interface SearchHit {
  id: string;
  title: string;
  categoryId: string | null;
  tags: string[];
  visibility: Visibility;
  hits: number;
  /** Lower is better (FTS5 bm25 for indexed terms; 0 for short-term matches). */
  rank: number;
  /** ~80 characters of the body around the first match. */
  snippet: string;
  /** [start, end) UTF-16 offsets of the matched terms in `snippet`. */
  highlights: [number, number][];
}

/** Who edits: editors may change articles of their own departments; `kb-admin` may change any. */
export interface KbActor {
  id: string;
  ip?: string | null;
  roles: readonly string[];
  departmentIds: readonly string[];
}
