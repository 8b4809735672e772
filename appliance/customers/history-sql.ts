/**
 * The SQL side of a history window (history.ts): the condition a source adds to its query so
 * that it returns only entries after the cursor, whatever its timestamp and id expressions are
 * (a column, max(recorded_at), a concatenated key). Values are bound as parameters.
 */
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { HistoryWindow } from './history.js';

export function windowCondition(at: Expression<unknown>, id: Expression<unknown>, w: HistoryWindow): RawBuilder<SqlBool> {
  if (w === null) return sql<SqlBool>`1`;
  if (w.tie === 'all') return sql<SqlBool>`${at} <= ${w.at}`;
  if (w.tie === 'none') return sql<SqlBool>`${at} < ${w.at}`;
  return sql<SqlBool>`(${at} < ${w.at} OR (${at} = ${w.at} AND ${id} < ${w.tie.idBelow}))`;
}
