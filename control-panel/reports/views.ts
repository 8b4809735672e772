/**
 * Building blocks of the report pages: number formats, the query form (GET, so a report is a
 * bookmarkable URL and works without JavaScript; with htmx it swaps into #main and pushes the
 * URL), the export link (shown only with the export permission), the formulas box and the
 * table cap (HTML shows at most TABLE_ROW_CAP rows; the CSV always has every row).
 */
import { html, type SafeHtml } from '../html.js';
import type { PanelContext } from '../http/context.js';
import { reportTranslator, type ReportMessageKey, type ReportTranslate } from './i18n.js';

export const TABLE_ROW_CAP = 2000;

export function rt(c: PanelContext): ReportTranslate {
  return reportTranslator(c.lang);
}

export function pct(v: number | null): string {
  return v === null ? '—' : `${v.toFixed(1)}%`;
}

export function secs(ms: number | null): string {
  return ms === null ? '—' : (ms / 1000).toFixed(1);
}

/** h:mm:ss */
export function dur(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function round(v: number | null, places = 2): number | null {
  return v === null ? null : Math.round(v * 10 ** places) / 10 ** places;
}

export function select(name: string, label: string, options: ReadonlyArray<{ value: string; label: string }>, chosen: readonly string[], opts: { multiple?: boolean; invalid?: boolean } = {}): SafeHtml {
  const id = `f-${name}`;
  return html`<p class="${opts.invalid ? 'field invalid' : 'field'}"><label for="${id}">${label}</label>
<select id="${id}" name="${name}"${opts.multiple ? html` multiple size="4"` : ''}${opts.invalid ? html` aria-invalid="true"` : ''}>${options.map(
    (o) => html`<option value="${o.value}"${chosen.includes(o.value) ? html` selected` : ''}>${o.label}</option>`,
  )}</select></p>`;
}

export function dateInput(name: string, label: string, value: string, invalid: boolean): SafeHtml {
  return html`<p class="${invalid ? 'field invalid' : 'field'}"><label for="${`f-${name}`}">${label}</label><input id="${`f-${name}`}" name="${name}" type="date" value="${value}"${invalid ? html` aria-invalid="true"` : ''}></p>`;
}

export function queryForm(c: PanelContext, action: string, fields: SafeHtml, issues: ReadonlyArray<{ path: string; message: string }>): SafeHtml {
  const t = rt(c);
  return html`<form method="get" action="${action}" hx-get="${action}" hx-target="#main" hx-push-url="true" class="report-query">
${issues.length ? html`<div class="error" role="alert"><p>${t('rep.invalid')}</p><ul>${issues.map((i) => html`<li data-path="${i.path}">${i.path}: ${i.message.startsWith('rep.') ? t(i.message as ReportMessageKey) : c.t(i.message)}</li>`)}</ul></div>` : ''}
${fields}
<p><button type="submit">${t('rep.run')}</button></p>
</form>`;
}

export function exportLink(c: PanelContext, href: string): SafeHtml {
  if (!c.access?.permissions.can('reports', 'export')) return html``;
  return html`<p><a class="export" href="${href}" download>${rt(c)('rep.export')}</a></p>`;
}

export function formulasBox(c: PanelContext, items: ReadonlyArray<[ReportMessageKey, string]>): SafeHtml {
  const t = rt(c);
  return html`<details class="formulas"><summary>${t('rep.formulas')}</summary><dl>${items.map(([k, f]) => html`<dt>${t(k)}</dt><dd><code>${f}</code></dd>`)}</dl></details>`;
}

export function capNotice(c: PanelContext, total: number): SafeHtml {
  return total > TABLE_ROW_CAP ? html`<p class="notice" role="status">${rt(c)('rep.rows-cut', { n: TABLE_ROW_CAP })}</p>` : html``;
}

export function noData(c: PanelContext): SafeHtml {
  return html`<p class="no-data">${rt(c)('rep.no-data')}</p>`;
}

/** Repeated or single query parameter as a list of strings. */
export function listParam(v: unknown): string[] {
  const xs = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return xs.filter((x): x is string => typeof x === 'string' && x !== '').slice(0, 100);
}
