/**
 * Server-side SVG bar and line charts for the reports (issue 9 "charts"). DESIGN.md names
 * ECharts served locally; until that package is installed the charts are drawn here, which
 * also works without JavaScript and under the panel's strict CSP (no inline script or style:
 * only SVG presentation attributes). Every label goes through html.ts and is escaped; numbers
 * are formatted by us. The chart carries a <title> and a <desc> (SVG 1.1 §5.4) so a screen
 * reader announces it; the table beside it holds the exact figures.
 */
import { html, type SafeHtml } from '../html.js';

export interface ChartSeries {
  name: string;
  values: ReadonlyArray<number | null>;
}

export interface ChartSpec {
  kind: 'bar' | 'line';
  title: string;
  labels: readonly string[];
  series: readonly ChartSeries[];
  /** Fixed y maximum (e.g. 100 for percentages); else from the data. */
  yMax?: number;
  width?: number;
  height?: number;
  id?: string;
}

export const PALETTE = ['#1f6feb', '#2da44e', '#d4a72c', '#cf222e', '#8250df', '#1b7c83', '#bc4c00', '#57606a'] as const;

const M = { top: 28, right: 16, bottom: 46, left: 56 };

/** A "nice" axis maximum: 1, 2, 2.5 or 5 × 10^k at or above `v`. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1000) return String(Math.round(v));
  return String(Math.round(v * 100) / 100);
}

function f1(v: number): string {
  return v.toFixed(1);
}

export function chart(spec: ChartSpec): SafeHtml {
  const W = spec.width ?? 720;
  const H = spec.height ?? 260;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const n = spec.labels.length;
  const all = spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const max = spec.yMax ?? niceMax(Math.max(0, ...all));
  const y = (v: number): number => M.top + ph - (Math.max(0, Math.min(v, max)) / max) * ph;
  const slot = n > 0 ? pw / n : pw;
  const x = (i: number): number => M.left + slot * i + slot / 2;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const every = Math.max(1, Math.ceil(n / 12));
  const desc = spec.series.map((s) => `${s.name}: ${s.values.map((v) => (v === null ? '—' : fmt(v))).join(', ')}`).join('; ');
  const grid = ticks.map(
    (t) => html`<line x1="${M.left}" x2="${M.left + pw}" y1="${f1(y(t))}" y2="${f1(y(t))}" stroke="#d0d7de" stroke-width="1"/><text x="${M.left - 6}" y="${f1(y(t) + 4)}" text-anchor="end" font-size="11" fill="#57606a">${fmt(t)}</text>`,
  );
  const xLabels = spec.labels.map((l, i) =>
    i % every === 0 ? html`<text x="${f1(x(i))}" y="${M.top + ph + 16}" text-anchor="middle" font-size="11" fill="#57606a">${l.length > 16 ? `${l.slice(0, 15)}…` : l}</text>` : '',
  );
  let marks: SafeHtml[];
  if (spec.kind === 'bar') {
    const k = Math.max(1, spec.series.length);
    const bw = Math.max(1, (slot * 0.8) / k);
    marks = spec.series.flatMap((s, si) =>
      s.values.map((v, i) => {
        if (v === null || !Number.isFinite(v)) return html``;
        const top = y(v);
        const left = M.left + slot * i + slot * 0.1 + bw * si;
        return html`<rect x="${f1(left)}" y="${f1(top)}" width="${f1(bw)}" height="${f1(M.top + ph - top)}" fill="${PALETTE[si % PALETTE.length]!}"><title>${spec.labels[i] ?? ''} · ${s.name}: ${fmt(v)}</title></rect>`;
      }),
    );
  } else {
    marks = spec.series.map((s, si) => {
      const color = PALETTE[si % PALETTE.length]!;
      const runs: string[] = [];
      let cur: string[] = [];
      s.values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) {
          if (cur.length) runs.push(cur.join(' '));
          cur = [];
        } else cur.push(`${f1(x(i))},${f1(y(v))}`);
      });
      if (cur.length) runs.push(cur.join(' '));
      const dots =
        n <= 60
          ? s.values.map((v, i) => (v === null || !Number.isFinite(v) ? '' : html`<circle cx="${f1(x(i))}" cy="${f1(y(v))}" r="3" fill="${color}"><title>${spec.labels[i] ?? ''} · ${s.name}: ${fmt(v)}</title></circle>`))
          : [];
      return html`${runs.map((pts) => html`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>`)}${dots}`;
    });
  }
  const legend = spec.series.map(
    (s, si) => html`<rect x="${M.left + si * 150}" y="8" width="10" height="10" fill="${PALETTE[si % PALETTE.length]!}"/><text x="${M.left + si * 150 + 14}" y="17" font-size="12" fill="#1f2328">${s.name}</text>`,
  );
  const id = spec.id ?? 'chart';
  return html`<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="${`${id}-t ${id}-d`}" data-kind="${spec.kind}" data-points="${n}">
<title id="${`${id}-t`}">${spec.title}</title><desc id="${`${id}-d`}">${desc.length > 2000 ? `${desc.slice(0, 1999)}…` : desc}</desc>
${grid}<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#57606a"/>${marks}${xLabels}${legend}
</svg><figcaption>${spec.title}</figcaption></figure>`;
}
