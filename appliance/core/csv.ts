/**
 * CSV files as RFC 4180 defines them ("Common Format and MIME Type for Comma-Separated Values
 * (CSV) Files"), for imports (customers, work orders) and exports. Parsing is strict where the
 * RFC is, so a damaged file is refused with the line and column instead of being half-read:
 *
 *   §2.1 "Each record is located on a separate line, delimited by a line break (CRLF)" — CRLF,
 *        and LF or CR alone as spreadsheets on other systems write them, all end a record.
 *   §2.2 "The last record in the file may or may not have an ending line break."
 *   §2.5 "Fields containing line breaks (CRLF), double quotes, and commas should be enclosed in
 *        double-quotes." — a quoted field keeps its embedded line breaks as written.
 *   §2.7 "a double-quote appearing inside a field must be escaped by preceding it with another
 *        double quote" — `""` is one `"`; a lone quote inside an unquoted field, text after a
 *        closing quote, or a quote never closed is a ParseError.
 *
 * A UTF-8 byte-order mark (Excel writes one) is dropped; blank lines are skipped. Bytes are
 * decoded strictly (decodeCsv): invalid UTF-8 is an error naming the byte offset, not U+FFFD
 * silently stored; GB18030 (what Chinese Excel saves as "CSV") is read when asked for.
 */
import { ParseError } from './errors.js';

export interface CsvRecord {
  /** 1-based physical line on which the record starts. */
  line: number;
  fields: string[];
}

export class CsvError extends ParseError {
  readonly line: number;
  readonly column: number;

  constructor(message: string, offset: number, line: number, column: number) {
    super(`line ${line}, column ${column}: ${message}`, offset);
    this.line = line;
    this.column = column;
  }
}

export const CsvCharsets = ['utf-8', 'gb18030'] as const;
export type CsvCharset = (typeof CsvCharsets)[number];

/** Bytes → text, strictly: a clear error for UTF-16 files and for bytes that are not `charset`. */
export function decodeCsv(bytes: Uint8Array, charset: CsvCharset = 'utf-8'): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    throw new ParseError('the file is UTF-16 (Unicode text); save it as CSV UTF-8', 0);
  try {
    return new TextDecoder(charset, { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (err) {
    const at = charset === 'utf-8' ? firstInvalidUtf8(bytes) : 0;
    const hint = charset === 'utf-8' ? ' (saved by Excel as GBK/GB18030? send charset=gb18030 or save as CSV UTF-8)' : '';
    throw new ParseError(`the file is not valid ${charset.toUpperCase()} at byte ${at}${hint}`, at, { cause: err });
  }
}

/** Offset of the first byte that breaks UTF-8 (RFC 3629 §4 syntax), or the length. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return b.length;
}

/** Parse CSV text into records (RFC 4180; see the file header). */
export function parseCsv(text: string, opts: { delimiter?: string; maxRecords?: number } = {}): CsvRecord[] {
  const delim = opts.delimiter ?? ',';
  if (delim.length !== 1 || delim === '"' || delim === '\n' || delim === '\r') throw new Error('delimiter must be one character other than a quote or line break');
  const max = opts.maxRecords ?? Infinity;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const base = src.length === text.length ? 0 : 1;
  const out: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  /** The current field was quoted and its closing quote seen: only a delimiter or line break may follow. */
  let closed = false;
  let line = 1;
  let lineStart = 0;
  let recordLine = 1;
  let i = 0;
  const fail = (msg: string, at: number): never => {
    throw new CsvError(msg, at + base, line, at - lineStart + 1);
  };
  const endRecord = (): void => {
    fields.push(field);
    // A blank line is no record (RFC 4180 has none; spreadsheets leave them at the end).
    if (!(fields.length === 1 && fields[0] === '')) {
      if (out.length >= max) fail(`more than ${max} records`, i);
      out.push({ line: recordLine, fields });
    }
    fields = [];
    field = '';
    closed = false;
  };
  /** Step over the line break at `at` (CRLF, LF or CR); returns the index after it. */
  const newline = (at: number): number => {
    const next = src[at] === '\r' && src[at + 1] === '\n' ? at + 2 : at + 1;
    line++;
    lineStart = next;
    return next;
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '"' && field === '' && !closed) {
      const open = i;
      const openLine = line;
      const openColumn = i - lineStart + 1;
      i++;
      for (;;) {
        const q = src.indexOf('"', i);
        if (q < 0) throw new CsvError('quoted field never closed', open + base, openLine, openColumn);
        // Count the line breaks inside the quoted run for line numbers, then take it whole.
        for (let k = i; k < q; k++) {
          const c = src.charCodeAt(k);
          if (c === 13 || c === 10) {
            if (c === 13 && src.charCodeAt(k + 1) === 10) k++;
            line++;
            lineStart = k + 1;
          }
        }
        field += src.slice(i, q);
        if (src[q + 1] === '"') {
          field += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      closed = true;
      continue;
    }
    if (ch === delim) {
      fields.push(field);
      field = '';
      closed = false;
      i++;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      endRecord();
      i = newline(i);
      recordLine = line;
      continue;
    }
    if (closed) fail('text after the closing quote of a field', i);
    // An unquoted run: up to the next delimiter, line break or (illegal) quote.
    let j = i;
    while (j < src.length) {
      const c = src[j]!;
      if (c === delim || c === '\r' || c === '\n') break;
      if (c === '"') fail('a double quote inside an unquoted field (quote the field and double the quote)', j);
      j++;
    }
    field += src.slice(i, j);
    i = j;
  }
  if (fields.length > 0 || field !== '' || closed) endRecord();
  return out;
}

/** One CSV cell (RFC 4180 §2.6/2.7): quoted when it holds a comma, quote or line break. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** Records → CSV text with CRLF line breaks. */
export function formatCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + (rows.length ? '\r\n' : '');
}
