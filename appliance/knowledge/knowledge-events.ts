/** Knowledge-base events on the bus (core/events.ts), `domain.noun.verb-ed`. */
declare module '../core/events.js' {
  interface EventMap {
    'knowledge.article.created': { articleId: string; version: number; actor: string };
    'knowledge.article.updated': { articleId: string; version: number; actor: string };
    'knowledge.article.published': { articleId: string; version: number; actor: string };
    'knowledge.article.archived': { articleId: string; version: number; actor: string };
  }
}

export {};
