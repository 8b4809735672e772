/**
 * Error-log export from the audit page (issue 9 "Audit: … error-log export"): the daemon's
 * warn / error / fatal log records (appliance/ops/error-log.ts, a bounded ring fed by the root
 * pino logger) as CSV (`/admin/audit/errors.csv`: RFC 4180 with a UTF-8 BOM, formula cells
 * defused as in the audit export) or JSON (`/admin/audit/errors.json`), oldest first. Both need
 * `audit:export`, like the audit log's own export, and each export is audited. `level` narrows
 * to one level and above (warn ⊃ error ⊃ fatal). Without an error log wired (tests, tools) the
 * routes are not mounted.
 */
import type { Request, Response } from 'express';
import type { ErrorLogLevel, ErrorLogRecord, ErrorLogSource } from '../../appliance/ops/error-log.js';
import { ErrorLogLevels } from '../../appliance/ops/error-log.js';
import { html, type SafeHtml } from '../html.js';
import { actorOf, type PanelContext, type PanelServices } from '../http/context.js';
import { queryStr } from '../http/form.js';
import { sendCsv, toCsv } from '../reports/csv.js';
import type { PanelRoute } from './types.js';

export const ERROR_LOG_CSV_HEADER = ['seq', 'at', 'level', 'mod', 'msg', 'fields'] as const;

function wanted(req: Request): ErrorLogLevel | null | 'invalid' {
  const l = queryStr(req, 'level', 10);
  if (l === '') return null;
  return (ErrorLogLevels as readonly string[]).includes(l) ? (l as ErrorLogLevel) : 'invalid';
}

/** Records at `min` and above, oldest first. */
export function selectRecords(src: ErrorLogSource, min: ErrorLogLevel | null): ErrorLogRecord[] {
  const from = min ? ErrorLogLevels.indexOf(min) : 0;
  return src.records().filter((r) => ErrorLogLevels.indexOf(r.level) >= from);
}

export function errorLogCsv(records: readonly ErrorLogRecord[]): string {
  return toCsv(
    ERROR_LOG_CSV_HEADER,
    records.map((r) => [r.seq, new Date(r.at).toISOString(), r.level, r.mod, r.msg, Object.keys(r.fields).length ? JSON.stringify(r.fields) : '']),
  );
}

/** The audit page's links to the exports (shown to users with audit:export when a log is wired). */
export function errorLogLinks(c: PanelContext, src: ErrorLogSource | undefined): SafeHtml | '' {
  if (!src || !(c.access?.permissions.can('audit', 'export') ?? false)) return '';
  const n = src.records().length;
  return html`<p class="error-log" id="error-log"><strong>${c.t('audit.error-log')}</strong> <span id="error-log-count">${n === 0 ? c.t('audit.error-log-empty') : String(n)}</span>
<a href="/admin/audit/errors.csv" id="error-log-csv" download>${c.t('audit.error-log-export')}</a> · <a href="/admin/audit/errors.json" id="error-log-json" download>JSON</a></p>`;
}

export function errorLogRoutes(s: PanelServices, src: ErrorLogSource | undefined): PanelRoute[] {
  if (!src) return [];
  const exporter = (format: 'csv' | 'json') => async (req: Request, res: Response): Promise<void> => {
    const level = wanted(req);
    if (level === 'invalid') {
      res.status(422).type('text/plain').send('invalid level\n');
      return;
    }
    const records = selectRecords(src, level);
    await s.audit.record({ ...actorOf(res), action: 'error-log.exported', after: { format, level, records: records.length, dropped: src.dropped } });
    const name = `error-log-${new Date(s.clock.now()).toISOString().slice(0, 10)}`;
    if (format === 'csv') {
      sendCsv(res, `${name}.csv`, errorLogCsv(records));
      return;
    }
    res.setHeader('Content-Disposition', `attachment; filename="${name}.json"`);
    res.setHeader('Cache-Control', 'no-store');
    res.type('application/json').send(JSON.stringify({ exportedAt: new Date(s.clock.now()).toISOString(), dropped: src.dropped, records }));
  };
  return [
    { method: 'get', path: '/admin/audit/errors.csv', access: ['audit', 'export'], handler: exporter('csv') },
    { method: 'get', path: '/admin/audit/errors.json', access: ['audit', 'export'], handler: exporter('json') },
  ];
}
