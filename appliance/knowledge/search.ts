/**
 * Chinese full-text query planning (issue 8: "Chinese full-text search (SQLite FTS5 with a
 * trigram or CJK-aware tokenizer; ranking; highlight)"). Chinese is written without spaces, so
 * the index uses FTS5's trigram tokenizer (sqlite.org/fts5.html §4.3.3: "the trigram tokenizer
 * … supports more general substring matching"): any term of 3 or more characters is a phrase
 * query that matches anywhere inside a word. The same page notes "Substrings consisting of
 * fewer than 3 unicode characters do not match any rows when used with a full-text query", so
 * 1–2 character terms (电费, 停电) become LIKE conditions instead. Terms are split on white space
 * and all must match. Pure functions: the SQL is built by knowledge-store.ts.
 */

export interface QueryPlan {
  /** FTS5 MATCH expression (quoted phrases joined by AND), or null when every term is short. */
  match: string | null;
  /** Terms of 1–2 characters, matched with LIKE. */
  short: string[];
  /** Every term, for snippets and highlighting. */
  terms: string[];
}

export const MAX_TERMS = 8;

const chars = (s: string): number => Array.from(s).length;

/** FTS5 §3.1: a string in double quotes is a phrase; a double quote inside is doubled. */
function phrase(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

/** C0 controls and DEL (CR, LF, NUL …) separate terms: FTS5 cannot parse a phrase holding NUL. */
const CONTROLS = /[\u0000-\u001f\u007f]/gu;

export function planQuery(q: string): QueryPlan {
  const terms = [...new Set(q.normalize('NFKC').replace(CONTROLS, ' ').trim().split(/\s+/u).filter((t) => t.length > 0))].slice(0, MAX_TERMS);
  const long = terms.filter((t) => chars(t) >= 3);
  const short = terms.filter((t) => chars(t) < 3);
  return { match: long.length > 0 ? long.map(phrase).join(' AND ') : null, short, terms };
}

/** LIKE pattern for a term, with % _ and \ escaped (ESCAPE '\'). */
export function likePattern(term: string): string {
  return `%${term.replace(/[%_\\]/g, '\\$&')}%`;
}

/** About `width` characters of `body` around the first term found, with the term positions. */
export function snippet(body: string, terms: readonly string[], width = 80): { text: string; highlights: [number, number][] } {
  const lower = body.toLowerCase();
  let first = -1;
  for (const t of terms) {
    const i = lower.indexOf(t.toLowerCase());
    if (i >= 0 && (first < 0 || i < first)) first = i;
  }
  const start = first < 0 ? 0 : Math.max(0, first - Math.floor(width / 4));
  const end = Math.min(body.length, start + width);
  const prefix = start > 0 ? '…' : '';
  const text = prefix + body.slice(start, end) + (end < body.length ? '…' : '');
  const hay = text.toLowerCase();
  const spans: [number, number][] = [];
  for (const t of terms) {
    const needle = t.toLowerCase();
    for (let i = hay.indexOf(needle); i >= 0 && needle.length > 0; i = hay.indexOf(needle, i + needle.length)) spans.push([i, i + needle.length]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  return { text, highlights: merged };
}
