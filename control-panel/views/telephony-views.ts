/**
 * Views of the telephony administration pages (issue 9 "Administration: … routes, extensions
 * and phones"): SIP extensions (the password is write-only: the field is always empty and the
 * digest is never shown) and inbound dialplan routes (DID pattern → IVR flow, queue, extension
 * or test line, calls/dialplan.ts), plus read-only outbound routes and trunks.
 */
import { DiagnosticModes, RouteTargetKinds, targetName, type Route } from '../../appliance/calls/dialplan.js';
import { html, type SafeHtml } from '../html.js';
import type { PanelContext } from '../http/context.js';
import { csrfField, field, fieldErrors } from '../layout.js';
import type { ExtensionView, OutboundRouteLine } from '../routes/telephony-ports.js';
import type { FormState } from './roles-views.js';

function can(c: PanelContext, op: 'create' | 'edit'): boolean {
  return c.access?.permissions.can('telephony', op) ?? false;
}

function notices(c: PanelContext, st: FormState): SafeHtml {
  return html`${st.notice ? html`<p class="notice" role="status">${st.notice}</p>` : ''}${st.error ? html`<p class="notice-error" role="alert">${st.error}</p>` : ''}${st.issues ? html`<p class="notice-error" role="alert">${c.t('error.validation')}</p>` : ''}`;
}

function toggle(c: PanelContext, base: string, enabled: boolean): SafeHtml | '' {
  if (!can(c, 'edit')) return '';
  const to = `${base}/${enabled ? 'disable' : 'enable'}`;
  return html`<form method="post" action="${to}" hx-post="${to}" hx-target="#main" class="inline">${csrfField(c)}<button type="submit">${enabled ? c.t('common.disable') : c.t('common.enable')}</button></form>`;
}

export interface ExtensionDraft {
  number: string;
  displayName: string;
  authUser: string;
  maxContacts: string;
}

export function extensionForm(c: PanelContext, ext: ExtensionView | null, draft: ExtensionDraft, st: FormState = {}): SafeHtml {
  const errors = st.issues ? fieldErrors(c, st.issues) : undefined;
  const e = errors ? { errors } : {};
  const action = ext ? `/admin/extensions/${ext.number}` : '/admin/extensions';
  return html`<form method="post" action="${action}" hx-post="${action}" hx-target="#main" id="extension-form">
${csrfField(c)}
${ext ? html`<p class="field"><span>${c.t('ext.number')}</span> <strong>${ext.number}</strong></p>` : field(c, { name: 'number', label: 'ext.number', value: draft.number, required: true, autocomplete: 'off', ...e })}
${field(c, { name: 'displayName', label: 'ext.display-name', value: draft.displayName, required: true, ...e })}
${field(c, { name: 'authUser', label: 'ext.auth-user', value: draft.authUser, autocomplete: 'off', ...e })}
<p class="help">${c.t('ext.auth-user-help')}</p>
${field(c, { name: 'password', label: 'ext.password', type: 'password', autocomplete: 'new-password', ...(ext ? {} : { required: true }), ...e })}
<p class="help">${c.t('ext.password-keep')}</p>
${field(c, { name: 'maxContacts', label: 'ext.max-contacts', type: 'number', value: draft.maxContacts, ...e })}
<button type="submit" id="extension-save">${c.t('common.save')}</button>
</form>`;
}

export function extensionsPage(c: PanelContext, list: readonly ExtensionView[], draft: ExtensionDraft, st: FormState = {}): SafeHtml {
  return html`<section class="extensions">
<h1>${c.t('ext.title')}</h1>
${notices(c, st)}
${list.length === 0
  ? html`<p class="empty">${c.t('common.none')}</p>`
  : html`<table id="extensions">
<thead><tr><th>${c.t('ext.number')}</th><th>${c.t('ext.display-name')}</th><th>${c.t('ext.auth-user')}</th><th>${c.t('ext.max-contacts')}</th><th>${c.t('common.status')}</th><th>${c.t('common.actions')}</th></tr></thead>
<tbody>${list.map(
      (x) => html`<tr id="${`ext-${x.number}`}" data-enabled="${String(x.enabled)}">
<td><a href="${`/admin/extensions/${x.number}`}" hx-get="${`/admin/extensions/${x.number}`}" hx-target="#main" hx-push-url="true">${x.number}</a></td>
<td>${x.displayName}</td><td>${x.authUser}</td><td>${x.maxContacts}</td>
<td class="status">${x.enabled ? c.t('common.enabled') : c.t('common.disabled')}</td>
<td>${toggle(c, `/admin/extensions/${x.number}`, x.enabled)}</td>
</tr>`,
    )}</tbody>
</table>`}
${can(c, 'create') ? html`<h2>${c.t('ext.new')}</h2>${extensionForm(c, null, draft, st)}` : ''}
</section>`;
}

export function extensionEditPage(c: PanelContext, ext: ExtensionView, draft: ExtensionDraft, st: FormState = {}): SafeHtml {
  return html`<section class="extension">
<h1>${c.t('ext.edit')} ${ext.number}</h1>
${notices(c, st)}
${can(c, 'edit') ? extensionForm(c, ext, draft, st) : html`<p>${ext.displayName} · ${ext.authUser}</p>`}
<p><a href="/admin/extensions" hx-get="/admin/extensions" hx-target="#main" hx-push-url="true">${c.t('common.back')}</a></p>
</section>`;
}

export interface RouteDraft {
  id: string;
  name: string;
  priority: string;
  did: string;
  caller: string;
  targetKind: string;
  targetValue: string;
  holdMs: string;
}

export function routeDraftOf(r: Route): RouteDraft {
  const t = r.target;
  return {
    id: r.id,
    name: r.name,
    priority: String(r.priority),
    did: r.did,
    caller: r.caller ?? '',
    targetKind: t.kind,
    targetValue: t.kind === 'diagnostic' ? t.mode : targetName(t),
    holdMs: t.kind === 'diagnostic' ? String(t.holdMs) : '',
  };
}

export function routeForm(c: PanelContext, route: Route | null, draft: RouteDraft, st: FormState = {}): SafeHtml {
  const errors = st.issues ? fieldErrors(c, st.issues) : undefined;
  const e = errors ? { errors } : {};
  const action = route ? `/admin/routes/${route.id}` : '/admin/routes';
  const err = (k: string): SafeHtml | '' => (errors?.has(k) ? html`<span class="err">${errors.get(k)}</span>` : '');
  return html`<form method="post" action="${action}" hx-post="${action}" hx-target="#main" id="route-form">
${csrfField(c)}
${route ? html`<p class="field"><span>${c.t('routes.id')}</span> <strong>${route.id}</strong></p>` : field(c, { name: 'id', label: 'routes.id', value: draft.id, required: true, autocomplete: 'off', ...e })}
${field(c, { name: 'name', label: 'common.name', value: draft.name, required: true, ...e })}
${field(c, { name: 'priority', label: 'routes.priority', type: 'number', value: draft.priority, ...e })}
${field(c, { name: 'did', label: 'routes.did', value: draft.did, required: true, ...e })}
${field(c, { name: 'caller', label: 'routes.caller', value: draft.caller, ...e })}
<p class="help">${c.t('routes.pattern-help')}</p>
<p class="${errors?.has('targetKind') ? 'field invalid' : 'field'}"><label for="f-targetKind">${c.t('routes.target-kind')}</label>
<select id="f-targetKind" name="targetKind">${RouteTargetKinds.map((k) => html`<option value="${k}"${draft.targetKind === k ? html` selected` : ''}>${c.t(`routes.kind.${k}`)}</option>`)}</select>${err('targetKind')}</p>
${field(c, { name: 'targetValue', label: 'routes.target-value', value: draft.targetValue, required: true, ...e })}
<p class="help">${c.t('routes.kind.diagnostic')}: ${DiagnosticModes.join(' / ')}</p>
${field(c, { name: 'holdMs', label: 'routes.hold-ms', type: 'number', value: draft.holdMs, ...e })}
<button type="submit" id="route-save">${c.t('common.save')}</button>
</form>`;
}

export function routesPage(c: PanelContext, list: readonly Route[], invalid: ReadonlyArray<{ path: string; message: string }>, draft: RouteDraft, st: FormState = {}): SafeHtml {
  return html`<section class="routes">
<h1>${c.t('routes.title')}</h1>
${notices(c, st)}
${invalid.length ? html`<div class="notice-error" role="alert"><p>${c.t('routes.invalid-stored')}</p><ul>${invalid.map((i) => html`<li>${i.path}: ${i.message}</li>`)}</ul></div>` : ''}
${list.length === 0
  ? html`<p class="empty">${c.t('common.none')}</p>`
  : html`<table id="routes">
<thead><tr><th>${c.t('routes.priority')}</th><th>${c.t('routes.id')}</th><th>${c.t('common.name')}</th><th>${c.t('routes.did')}</th><th>${c.t('routes.caller')}</th><th>${c.t('routes.target')}</th><th>${c.t('common.status')}</th><th>${c.t('common.actions')}</th></tr></thead>
<tbody>${list.map(
      (r) => html`<tr id="${`route-${r.id}`}" data-enabled="${String(r.enabled)}">
<td>${r.priority}</td>
<td><a href="${`/admin/routes/${r.id}`}" hx-get="${`/admin/routes/${r.id}`}" hx-target="#main" hx-push-url="true">${r.id}</a></td>
<td>${r.name}</td><td><code>${r.did}</code></td><td><code>${r.caller ?? ''}</code></td>
<td class="target">${c.t(`routes.kind.${r.target.kind}`)}: ${targetName(r.target)}</td>
<td class="status">${r.enabled ? c.t('common.enabled') : c.t('common.disabled')}</td>
<td>${toggle(c, `/admin/routes/${r.id}`, r.enabled)}</td>
</tr>`,
    )}</tbody>
</table>`}
${can(c, 'create') ? html`<h2>${c.t('routes.new')}</h2>${routeForm(c, null, draft, st)}` : ''}
</section>`;
}

export function routeEditPage(c: PanelContext, route: Route, draft: RouteDraft, st: FormState = {}): SafeHtml {
  return html`<section class="route">
<h1>${c.t('routes.edit')} ${route.id}</h1>
${notices(c, st)}
${can(c, 'edit') ? routeForm(c, route, draft, st) : html`<p>${route.did} → ${targetName(route.target)}</p>`}
<p><a href="/admin/routes" hx-get="/admin/routes" hx-target="#main" hx-push-url="true">${c.t('common.back')}</a></p>
</section>`;
}

export function outboundPage(
  c: PanelContext,
  routes: readonly OutboundRouteLine[] | null,
  trunks: ReadonlyArray<{ id: string; name: string; status: string }> | null,
): SafeHtml {
  return html`<section class="outbound">
<h1>${c.t('outbound.title')}</h1>
${routes
  ? html`<h2>${c.t('outbound.routes')}</h2>
<table id="outbound-routes"><thead><tr><th>${c.t('routes.priority')}</th><th>${c.t('routes.id')}</th><th>${c.t('common.name')}</th><th>${c.t('outbound.pattern')}</th><th>${c.t('outbound.gateways')}</th><th>${c.t('common.status')}</th></tr></thead>
<tbody>${routes.map((r) => html`<tr><td>${r.priority}</td><td>${r.id}</td><td>${r.name}</td><td><code>${r.pattern}</code></td><td>${r.gateways.join(', ')}</td><td>${r.enabled ? c.t('common.enabled') : c.t('common.disabled')}</td></tr>`)}</tbody></table>`
  : ''}
${trunks
  ? html`<h2>${c.t('outbound.trunks')}</h2>
<table id="trunks"><thead><tr><th>${c.t('routes.id')}</th><th>${c.t('common.name')}</th><th>${c.t('common.status')}</th></tr></thead>
<tbody>${trunks.map((x) => html`<tr><td>${x.id}</td><td>${x.name}</td><td>${x.status}</td></tr>`)}</tbody></table>`
  : ''}
</section>`;
}
