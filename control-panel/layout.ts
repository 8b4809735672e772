/**
 * The page layout and the `render` helper (STYLE.md "Control panel": "A render(c, Page,
 * Partial) helper returns the partial when the HX-Request header is present", the
 * contact-app idiom). A full page is the layout around the partial; an htmx request gets the
 * partial alone, which htmx swaps into `#main`.
 *
 * Security in the layout (RELIABILITY.md W1, W2):
 * - `<body hx-headers>` carries the session's CSRF token as `X-CSRF-Token`, so every htmx
 *   request sends it; plain forms carry it as the hidden `_csrf` field (`csrfField`).
 * - htmx comes from our own /static (node_modules/htmx.org), and its config meta tag sets
 *   `allowEval:false` (no hx-on / js: handlers, so an injected htmx attribute cannot run
 *   code), `selfRequestsOnly:true`, `allowScriptTags:false`, no inline indicator styles (the
 *   CSP has no 'unsafe-inline') and no history snapshots in localStorage.
 * - Everything goes through html.ts, which escapes every interpolation.
 */
import type { Request, Response } from 'express';
import { html, page, type SafeHtml } from './html.js';
import { ctx, type PanelContext } from './http/context.js';
import { Functions, type PanelFunction } from './auth/permissions.js';
import type { MessageKey } from './i18n.js';

/** htmx.config, read by htmx from `<meta name="htmx-config">` at load. */
export const HTMX_CONFIG = {
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  includeIndicatorStyles: false,
  historyCacheSize: 0,
  // Settling copies these attributes from the old element to a swapped-in one with the same id;
  // without `style` htmx never writes a style attribute, which the CSP (no 'unsafe-inline') blocks.
  attributesToSettle: ['class', 'width', 'height'],
  refreshOnHistoryMiss: true,
  // Swap 422 answers too: forms re-render with the failing fields marked.
  responseHandling: [
    { code: '204', swap: false },
    { code: '[23]..', swap: true },
    { code: '422', swap: true },
    { code: '[45]..', swap: false, error: true },
  ],
} as const;

/**
 * Navigation entries: shown only when the user may view the function. `full`: a page of its
 * own (the wallboard's kiosk document), opened without htmx. A function's main entry carries
 * `data-fn`; further pages of the same function (`label`) carry `data-nav` instead.
 */
const NAV: ReadonlyArray<{ fn: PanelFunction; href: string; full?: boolean; label?: MessageKey }> = [
  { fn: 'dashboard', href: '/' },
  { fn: 'agent-desktop', href: '/desk' },
  { fn: 'supervisor', href: '/supervisor' },
  { fn: 'wallboard', href: '/wallboard', full: true },
  { fn: 'reports', href: '/reports' },
  { fn: 'users', href: '/admin/users' },
  { fn: 'users', href: '/admin/groups', label: 'nav.groups' },
  { fn: 'users', href: '/admin/roles', label: 'nav.roles' },
  { fn: 'sessions', href: '/admin/sessions' },
  { fn: 'audit', href: '/admin/audit' },
  { fn: 'telephony', href: '/admin/extensions', label: 'nav.extensions' },
  { fn: 'telephony', href: '/admin/routes', label: 'nav.routes' },
  { fn: 'telephony', href: '/admin/outbound', label: 'nav.outbound' },
];

export interface PageSpec {
  /** i18n key of the title. */
  title: MessageKey;
  status?: number;
}

export function csrfField(c: PanelContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${c.csrfToken}">`;
}

function langSwitch(req: Request, c: PanelContext): SafeHtml {
  const other = c.lang === 'zh-CN' ? 'en' : 'zh-CN';
  return html`<a class="lang" href="${`${req.path}?lang=${other}`}" lang="${other}">${c.t('lang.switch')}</a>`;
}

function nav(c: PanelContext): SafeHtml {
  if (!c.access) return html``;
  const items = NAV.filter((n) => c.access?.permissions.can(n.fn, 'view') && c.mounted.has(n.href));
  return html`<nav aria-label="main"><ul>${items.map(
    (n) =>
      n.full
        ? html`<li><a href="${n.href}" data-fn="${n.fn}">${c.t(n.label ?? `nav.${n.fn}`)}</a></li>`
        : n.label
          ? html`<li><a href="${n.href}" hx-get="${n.href}" hx-target="#main" hx-push-url="true" data-nav="${n.label.slice(4)}">${c.t(n.label)}</a></li>`
          : html`<li><a href="${n.href}" hx-get="${n.href}" hx-target="#main" hx-push-url="true" data-fn="${n.fn}">${c.t(`nav.${n.fn}`)}</a></li>`,
  )}</ul></nav>`;
}

export function layout(req: Request, c: PanelContext, spec: PageSpec, body: SafeHtml): string {
  const headers = JSON.stringify({ 'X-CSRF-Token': c.csrfToken });
  return page(html`<html lang="${c.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${JSON.stringify(HTMX_CONFIG)}">
<title>${c.t(spec.title)} · ${c.t('app.title')}</title>
<link rel="stylesheet" href="/static/panel.css">
<script src="/static/htmx.min.js" defer></script>
<script src="/static/live.js" defer></script>
</head>
<body hx-headers="${headers}">
<header>
<span class="brand">${c.t('app.title')}</span>
${c.user
  ? html`<span class="who" id="who">${c.user.displayName}</span>
<a href="/account/password">${c.t('nav.password')}</a>
<form method="post" action="/logout" class="inline">${csrfField(c)}<button type="submit" id="logout">${c.t('nav.logout')}</button></form>`
  : ''}
${langSwitch(req, c)}
</header>
${nav(c)}
<main id="main">${body}</main>
</body>
</html>`);
}

/** Send the page, or only its partial for an htmx request (HX-Request: true). */
export function render(req: Request, res: Response, spec: PageSpec, partial: SafeHtml): void {
  const c = ctx(res);
  res.status(spec.status ?? 200);
  res.setHeader('Vary', 'HX-Request, Cookie');
  res.setHeader('Cache-Control', 'no-store');
  res.type('html');
  if (req.get('HX-Request') === 'true') res.send(partial.value);
  else res.send(layout(req, c, spec, partial));
}

/** An error page (or fragment) with a translated message. */
export function renderError(req: Request, res: Response, status: number, key: MessageKey): void {
  const c = ctx(res);
  render(req, res, { title: key, status }, html`<section class="error" role="alert"><h1>${status}</h1><p>${c.t(key)}</p></section>`);
}

/** Field issues → a map from field name to translated messages, for marking form fields. */
export function fieldErrors(c: PanelContext, issues: ReadonlyArray<{ path: string; message: string }>): Map<string, string> {
  const m = new Map<string, string>();
  for (const i of issues) m.set(i.path, [m.get(i.path), c.t(i.message)].filter(Boolean).join('; '));
  return m;
}

/** A labelled input with its error, if any (aria-invalid + message). */
export function field(
  c: PanelContext,
  opts: { name: string; label: MessageKey; type?: string; value?: string; errors?: Map<string, string>; autocomplete?: string; required?: boolean },
): SafeHtml {
  const err = opts.errors?.get(opts.name);
  const id = `f-${opts.name}`;
  return html`<p class="${err ? 'field invalid' : 'field'}"><label for="${id}">${c.t(opts.label)}</label>
<input id="${id}" name="${opts.name}" type="${opts.type ?? 'text'}" value="${opts.type === 'password' ? '' : (opts.value ?? '')}"${opts.autocomplete ? html` autocomplete="${opts.autocomplete}"` : ''}${opts.required ? html` required` : ''}${err ? html` aria-invalid="true" aria-describedby="${id}-err"` : ''}>
${err ? html`<span class="err" id="${id}-err">${err}</span>` : ''}</p>`;
}

export const knownFunctions: readonly string[] = Functions;
