/**
 * Bulk imports that report every bad row and commit none or all as the user chooses (issue 8
 * "Bad input": "imports report each bad row and commit none or all as the user chooses";
 * DESIGN.md "Bad input": "nothing half-written is left behind"). Used by the customer and
 * work-order imports; rows come from a CSV file (csv.ts, mapped to objects by `csvRows`) or
 * from a JSON array, and each is written by the domain service's own validated create.
 *
 *   mode all-or-nothing   any bad row → nothing is stored; the report lists every bad row
 *   mode valid-only       the good rows are stored, the bad rows listed
 *   dryRun                every row is validated AND written inside the transaction, which is
 *                         then rolled back: the report is exactly what a real run would give
 *                         (duplicates within the file and against stored data included)
 *
 * The whole import is ONE transaction; each row is a savepoint inside it, so a row failing
 * half-way leaves nothing of itself behind. Side effects of a row (bus events) run only after
 * the transaction has committed.
 */
import { z } from 'zod';
import { AppError, ValidationError, type FieldIssue } from './errors.js';
import type { CsvRecord } from './csv.js';

export const ImportModes = ['all-or-nothing', 'valid-only'] as const;
export type ImportMode = (typeof ImportModes)[number];

/** One input row: its 1-based data-row number, the CSV line it starts on, and problems found while mapping it. */
export interface ImportRow {
  row: number;
  line: number | null;
  value: Record<string, unknown>;
  issues: FieldIssue[];
}

export interface RowReport {
  row: number;
  line: number | null;
  /** Every failing field of the row, named as in the file (CSV column or JSON path). */
  fields: FieldIssue[];
}

export interface ImportReport {
  mode: ImportMode;
  dryRun: boolean;
  total: number;
  valid: number;
  invalid: number;
  /** Rows stored (0 on a dry run or a refused all-or-nothing import). */
  committed: number;
  rejected: RowReport[];
  /** The rows that were (or on a dry run would be) stored, with the new ids. */
  created: Array<{ row: number; id: string }>;
}

export interface ImportTransactions {
  /** The one transaction of the whole import. */
  transaction<T>(fn: () => T): T;
  /** A savepoint inside it for one row. */
  savepoint<T>(fn: () => T): T;
}

export interface RowWrite {
  id: string;
  /** Run after the commit (bus events). */
  after?: () => void;
}

export interface ImportOptions {
  mode: ImportMode;
  dryRun: boolean;
  tx: ImportTransactions;
  /** Validate and store one row; throws ValidationError (or another AppError) for a bad row. */
  write: (value: Record<string, unknown>, row: number) => RowWrite;
  /** The file's name for a service path (`accounts.0.accountNo` → `户号`). */
  fieldName?: (path: string) => string;
}

class Rollback extends Error {}

export function runImport(rows: readonly ImportRow[], opts: ImportOptions): ImportReport {
  const rejected: RowReport[] = [];
  const created: Array<{ row: number; id: string }> = [];
  const afters: Array<() => void> = [];
  const name = opts.fieldName ?? ((p: string) => p);
  let committed = true;
  try {
    opts.tx.transaction(() => {
      for (const r of rows) {
        if (r.issues.length > 0) {
          // Cells that did not convert are reported; the service still checks the rest of the row.
          rejected.push({ row: r.row, line: r.line, fields: [...r.issues, ...otherIssues(r, opts, name)] });
          continue;
        }
        try {
          const w = opts.tx.savepoint(() => opts.write(r.value, r.row));
          created.push({ row: r.row, id: w.id });
          if (w.after) afters.push(w.after);
        } catch (err) {
          if (err instanceof ValidationError) {
            const fields = err.issues.map((i) => ({ path: name(i.path), message: i.message }));
            rejected.push({ row: r.row, line: r.line, fields: dedupe(fields) });
          } else if (err instanceof AppError && err.code !== 'INTERNAL' && err.code !== 'DB_FULL' && err.code !== 'DB_CORRUPT') {
            rejected.push({ row: r.row, line: r.line, fields: [{ path: '(row)', message: err.message }] });
          } else throw err;
        }
      }
      if (opts.dryRun || (opts.mode === 'all-or-nothing' && rejected.length > 0)) throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
    committed = false;
  }
  if (committed) for (const a of afters) a();
  return {
    mode: opts.mode,
    dryRun: opts.dryRun,
    total: rows.length,
    valid: created.length,
    invalid: rejected.length,
    committed: committed ? created.length : 0,
    rejected,
    created,
  };
}

/** What the service says of a row whose cells already failed, on the columns not yet reported (rolled back). */
function otherIssues(r: ImportRow, opts: ImportOptions, name: (p: string) => string): FieldIssue[] {
  const reported = new Set(r.issues.map((i) => i.path));
  try {
    opts.tx.savepoint(() => {
      opts.write(r.value, r.row);
      throw new Rollback();
    });
  } catch (err) {
    if (err instanceof ValidationError) return dedupe(err.issues.map((i) => ({ path: name(i.path), message: i.message })).filter((i) => !reported.has(i.path)));
    if (!(err instanceof Rollback) && !(err instanceof AppError)) throw err;
  }
  return [];
}

function dedupe(fields: FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  return fields.filter((f) => {
    const k = `${f.path}\u0000${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** One column an import understands. */
export interface ImportColumn {
  /** Canonical header (the JSON field name). */
  key: string;
  /** Other headers meaning the same (Chinese headers of the utility's spreadsheets). */
  aliases?: readonly string[];
  required?: boolean;
  /** Put the cell's value into the row object; return a problem to report, or null. Empty cells are not passed. */
  set(target: Record<string, unknown>, cell: string, header: string): string | null;
}

/** Columns whose header starts with a prefix (`attr.monthlyKwh`, `field.meterNo`). */
export interface PrefixColumn {
  prefix: string;
  set(target: Record<string, unknown>, name: string, cell: string): string | null;
}

export interface CsvMapping {
  columns: readonly ImportColumn[];
  prefixed?: readonly PrefixColumn[];
  /** Largest number of data rows accepted. */
  maxRows: number;
}

export interface MappedCsv {
  rows: ImportRow[];
  /** Canonical column key (or prefixed header) → the header as written in the file. */
  headers: Map<string, string>;
}

/**
 * CSV records → import rows: the first record is the header. A file without a header line, with
 * unknown or duplicated columns, without a required column or with too many rows is refused
 * as a whole (ValidationError naming the header cells); a row with the wrong number of cells,
 * or a cell that does not convert, becomes that row's issue.
 */
export function csvRows(records: readonly CsvRecord[], mapping: CsvMapping): MappedCsv {
  const head = records[0];
  if (!head) throw new ValidationError('the file is empty', [{ path: '(file)', message: 'no header line and no rows' }]);
  const byHeader = new Map<string, ImportColumn>();
  for (const c of mapping.columns) for (const h of [c.key, ...(c.aliases ?? [])]) byHeader.set(h.toLowerCase(), c);
  const cols: Array<{ header: string; column?: ImportColumn; prefixed?: { p: PrefixColumn; name: string } }> = [];
  const issues: FieldIssue[] = [];
  const seen = new Map<string, string>();
  const headers = new Map<string, string>();
  head.fields.forEach((raw, i) => {
    const header = raw.trim();
    const column = byHeader.get(header.toLowerCase());
    const p = mapping.prefixed?.find((x) => header.startsWith(x.prefix) && header.length > x.prefix.length);
    const key = column?.key ?? header;
    if (!column && !p) issues.push({ path: `(header).${header || i + 1}`, message: `unknown column "${header}"` });
    else if (seen.has(key)) issues.push({ path: `(header).${header}`, message: `column "${header}" repeats "${seen.get(key)!}"` });
    seen.set(key, header);
    headers.set(key, header);
    cols.push({ header, ...(column && { column }), ...(p && !column && { prefixed: { p, name: header.slice(p.prefix.length) } }) });
  });
  const known = cols.filter((c) => c.column || c.prefixed).length;
  if (known === 0) {
    const expected = mapping.columns.filter((c) => c.required).map((c) => c.key);
    throw new ValidationError('missing header line', [
      { path: '(header)', message: `the first line must name the columns (${[...expected, '…'].join(', ')}); found "${head.fields.slice(0, 4).join(',')}"` },
    ]);
  }
  for (const c of mapping.columns) if (c.required && !seen.has(c.key)) issues.push({ path: `(header).${c.key}`, message: `required column "${c.key}" is missing` });
  if (issues.length > 0) throw new ValidationError('bad header line', issues);
  const data = records.slice(1);
  if (data.length > mapping.maxRows)
    throw new ValidationError('too many rows', [{ path: '(file)', message: `${data.length} rows; at most ${mapping.maxRows} per import` }]);

  const rows = data.map((rec, i): ImportRow => {
    const value: Record<string, unknown> = {};
    const rowIssues: FieldIssue[] = [];
    if (rec.fields.length !== cols.length) {
      rowIssues.push({ path: '(row)', message: `${rec.fields.length} cells; the header has ${cols.length}` });
      return { row: i + 1, line: rec.line, value, issues: rowIssues };
    }
    rec.fields.forEach((cell, k) => {
      const col = cols[k]!;
      const text = cell.trim();
      if (text === '') {
        if (col.column?.required) rowIssues.push({ path: col.header, message: 'required' });
        return;
      }
      const problem = col.column ? col.column.set(value, text, col.header) : col.prefixed!.p.set(value, col.prefixed!.name, text);
      if (problem) rowIssues.push({ path: col.header, message: problem });
    });
    return { row: i + 1, line: rec.line, value, issues: rowIssues };
  });
  return { rows, headers };
}

/** JSON rows (`{"rows":[…]}`) as import rows: row numbers from 1, no lines. */
export function jsonRows(items: readonly unknown[], maxRows: number): ImportRow[] {
  if (items.length > maxRows) throw new ValidationError('too many rows', [{ path: 'rows', message: `${items.length} rows; at most ${maxRows} per import` }]);
  return items.map((v, i) => {
    const ok = typeof v === 'object' && v !== null && !Array.isArray(v);
    return { row: i + 1, line: null, value: ok ? (v as Record<string, unknown>) : {}, issues: ok ? [] : [{ path: '(row)', message: 'each row must be an object' }] };
  });
}

/** Cell converters shared by the imports. */
export const cells = {
  bool(cell: string): boolean | string {
    const v = cell.toLowerCase();
    if (['1', 'true', 'yes', 'y', '是', '√'].includes(v)) return true;
    if (['0', 'false', 'no', 'n', '否', '×'].includes(v)) return false;
    return 'expected 是/否, true/false or 1/0';
  },
  number(cell: string): number | string {
    const n = Number(cell.replaceAll(',', ''));
    return /^[-+]?[\d,]*\.?\d+(e[-+]?\d+)?$/i.test(cell) && Number.isFinite(n) ? n : `"${cell}" is not a number`;
  },
  list(cell: string): string[] {
    return cell.split(/[;；|]/).map((s) => s.trim()).filter(Boolean);
  },
};

/** The report as the REST API returns it (OpenAPI from the same schema). */
export const ImportReportSchema = z.strictObject({
  mode: z.enum(ImportModes),
  dryRun: z.boolean(),
  total: z.number().int(),
  valid: z.number().int(),
  invalid: z.number().int(),
  committed: z.number().int().describe('Rows stored: 0 on a dry run or when all-or-nothing met a bad row'),
  rejected: z.array(
    z.strictObject({
      row: z.number().int().describe('1-based data row (the header is not counted)'),
      line: z.number().int().nullable().describe('CSV line the row starts on'),
      fields: z.array(z.strictObject({ path: z.string(), message: z.string() })),
    }),
  ),
  created: z.array(z.strictObject({ row: z.number().int(), id: z.string() })),
});

/** Query parameters of an import endpoint. */
export const ImportQuerySchema = {
  mode: z.enum(ImportModes).default('all-or-nothing').describe('all-or-nothing: any bad row stores nothing; valid-only: store the good rows'),
  dryRun: z
    .preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean())
    .default(false)
    .describe('Validate (and try) every row, then roll back'),
  charset: z.enum(['utf-8', 'gb18030']).optional().describe('Encoding of a text/csv body (default: the Content-Type charset, else UTF-8; GBK/GB2312 are read as GB18030)'),
};

/** The charset of a CSV body: the query's, else the Content-Type's (GBK and GB2312 as GB18030), else UTF-8. */
export function csvCharset(query: 'utf-8' | 'gb18030' | undefined, contentType: string | undefined): 'utf-8' | 'gb18030' {
  if (query) return query;
  const m = /charset\s*=\s*"?([\w-]+)/i.exec(contentType ?? '');
  const cs = m?.[1]?.toLowerCase();
  return cs === 'gb18030' || cs === 'gbk' || cs === 'gb2312' ? 'gb18030' : 'utf-8';
}
