/**
 * CSV export of every report (issue 9 "CSV/XLSX export"): RFC 4180 (CRLF line ends, quoted
 * fields with commas, quotes or line breaks), UTF-8 with a byte-order mark so Excel opens
 * Chinese text correctly, and text cells that a spreadsheet would run as a formula defused with
 * the audit export's `csvCell` (OWASP "CSV Injection": leading = + - @ tab CR get a quote).
 * Numbers are written as numbers (a negative number is not a formula), rounded to 4 places.
 */
import type { Response } from 'express';
import { csvCell } from '../../appliance/ops/audit.js';

export const BOM = '\uFEFF';

export type CsvValue = string | number | null | undefined;

export function csvValue(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(Math.round(v * 10_000) / 10_000) : '';
  return csvCell(v);
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly CsvValue[]>): string {
  const lines = [header.map((h) => csvCell(h)).join(',')];
  for (const r of rows) lines.push(r.map(csvValue).join(','));
  return `${BOM}${lines.join('\r\n')}\r\n`;
}

/** Send as a download; `name` is ASCII (filename) with a UTF-8 variant (RFC 6266 filename*). */
export function sendCsv(res: Response, name: string, body: string): void {
  const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_');
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`);
  res.setHeader('Cache-Control', 'no-store');
  res.send(body);
}
