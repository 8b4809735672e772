/**
 * An INSERT that kysely compiles once and hot paths bind many times. Building and compiling a
 * kysely query walks and freezes its operation tree each time: writing a CDR (a row per call and
 * per leg) that way cost ~2 % of the main thread at 1000 calls/s. The template is compiled from
 * the first row; later rows with the same columns reuse its SQL with their own values, in the
 * column order kysely used (the row's key order). A row with other columns, an undefined value
 * (kysely leaves such a column out) or a value that is not a plain SQL parameter is compiled
 * afresh, so the result is always what kysely itself would have produced.
 */
import type { CompiledQuery } from 'kysely';

type Row = Record<string, unknown>;

export class InsertTemplate<R extends Row> {
  private sql: string | null = null;
  private columns: readonly string[] = [];

  constructor(private readonly compile: (row: R) => CompiledQuery<unknown>) {}

  bind(row: R): { sql: string; parameters: readonly unknown[] } {
    const keys = Object.keys(row);
    if (this.sql !== null && sameColumns(keys, this.columns) && keys.every((k) => isParameter(row[k]))) {
      return { sql: this.sql, parameters: keys.map((k) => row[k]) };
    }
    const q = this.compile(row);
    if (this.sql === null && keys.every((k) => isParameter(row[k])) && q.parameters.length === keys.length) {
      this.sql = q.sql;
      this.columns = keys;
    }
    return { sql: q.sql, parameters: q.parameters };
  }
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A value kysely binds as one `?` parameter. */
function isParameter(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || Buffer.isBuffer(v) || v instanceof Uint8Array;
}
