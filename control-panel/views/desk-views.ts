/**
 * Fragments of the agent desktop (issue 9 "Agent desktop"): the status control with break
 * reasons, the screen pop (caller, customer and tier, IVR path and inputs, open work orders,
 * recent calls), call-control buttons, the wrap-up form, the inline work-order form with the
 * call linked, and the to-do list. Everything goes through html.ts (escaped by default): the
 * caller's name, IVR inputs and order titles are data from outside and render inert.
 */
import type { AgentState, AgentStatus } from '../../appliance/acd/model.js';
import type { FieldIssue } from '../../appliance/core/errors.js';
import type { FieldDefinition } from '../../appliance/workorders/forms.js';
import type { WorkOrder } from '../../appliance/workorders/model.js';
import type { OrderType, TodoItem } from '../../appliance/workorders/workorder-service.js';
import { html, type SafeHtml } from '../html.js';
import type { Translate } from '../i18n.js';
import type { TrackedCall } from '../live/call-tracker.js';
import { CallActions, type CallAction, type Code, type CustomerCard, type RecentCall } from '../live/ports.js';
import { reasonLabel } from './board-views.js';

export interface DeskStatusView {
  status: AgentStatus;
  state: AgentState;
  breakReason: string | null;
}

export function statusControl(t: Translate, v: DeskStatusView | null, opts: { csrf: SafeHtml; reasons: readonly Code[]; error?: string }): SafeHtml {
  if (!v) return html`<div id="desk-status" class="desk-status"><p class="notice-error">${t('desk.no-agent')}</p></div>`;
  return html`<div id="desk-status" class="${`desk-status st-${v.status} as-${v.state}`}" data-status="${v.status}" data-state="${v.state}">
<p><span class="label">${t('live.status')}</span> <strong class="status">${t(`agent-status.${v.status}`)}</strong>${v.breakReason ? html` (${reasonLabel(opts.reasons, v.breakReason)})` : ''}
 · <span class="label">${t('live.state')}</span> <strong class="state">${t(`agent-state.${v.state}`)}</strong></p>
${opts.error ? html`<p class="notice-error" role="alert">${opts.error}</p>` : ''}
<form method="post" action="/desk/status" hx-post="/desk/status" hx-target="#desk-status" hx-swap="outerHTML" class="status-form">${opts.csrf}
<button type="submit" name="status" value="available" id="go-available">${t('agent-status.available')}</button>
<select name="reason" id="break-reason" aria-label="${t('desk.break-reason')}">${opts.reasons.map((r) => html`<option value="${r.code}">${r.label}</option>`)}</select>
<button type="submit" name="status" value="on-break" id="go-break">${t('agent-status.on-break')}</button>
<button type="submit" name="status" value="logged-out" id="go-logout">${t('desk.sign-out')}</button>
</form></div>`;
}

export interface PopData {
  callId: string;
  call: TrackedCall | null;
  /** 'ringing' | 'talking' | 'wrap-up' | 'missed'. */
  phase: string;
  customers: CustomerCard[];
  openOrders: WorkOrder[];
  recent: RecentCall[];
  callControl: boolean;
}

export function noPop(t: Translate): SafeHtml {
  return html`<section id="pop" class="pop empty" aria-live="polite"><p>${t('desk.no-call')}</p></section>`;
}

export function screenPop(t: Translate, d: PopData, opts: { csrf: SafeHtml; wrapUpCodes: readonly Code[]; orderForm: SafeHtml | null }): SafeHtml {
  const c = d.call;
  const cust = d.customers[0];
  const tier = cust?.tier ?? c?.tier ?? null;
  return html`<section id="pop" class="pop" aria-live="polite">
<article class="${`pop-card phase-${d.phase}`}" data-call="${d.callId}">
<h2>${t('desk.incoming')} <span class="caller" id="pop-number">${c?.number ?? t('desk.unknown-number')}</span></h2>
<p id="pop-phase" class="phase">${t(`desk.phase.${d.phase}`)}</p>
<dl class="pop-facts">
<dt>${t('desk.customer')}</dt><dd id="pop-customer">${cust ? cust.name : t('desk.customer-unknown')}${d.customers.length > 1 ? html` <span class="more">${t('desk.more-customers', { n: d.customers.length - 1 })}</span>` : ''}</dd>
<dt>${t('live.tier')}</dt><dd id="pop-tier" class="${tier ? `tier tier-${tier}` : 'tier'}">${tier ? t(`tier.${tier}`) : '—'}</dd>
<dt>${t('live.queue')}</dt><dd>${c?.queueId ?? ''}</dd>
</dl>
<h3>${t('desk.ivr-path')}</h3>
${ivrPathList(c?.ivrPath ?? [])}
<h3>${t('desk.ivr-inputs')}</h3>
<dl id="pop-ivr-vars" class="ivr-vars">${Object.entries(c?.ivrVars ?? {}).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
<h3>${t('desk.open-orders')}</h3>
<ul id="pop-orders">${d.openOrders.length === 0 ? html`<li class="empty">${t('desk.none')}</li>` : d.openOrders.map((o) => html`<li>${o.number} ${o.title} <span class="status">${t(`wo-status.${o.status}`)}</span></li>`)}</ul>
<h3>${t('desk.recent-calls')}</h3>
<ul id="pop-recent">${d.recent.length === 0 ? html`<li class="empty">${t('desk.none')}</li>` : d.recent.map((r) => html`<li>${new Date(r.at).toISOString().slice(0, 16).replace('T', ' ')} ${r.queueId ?? ''} ${r.outcome}</li>`)}</ul>
${callControls(t, d.callId, d.callControl, opts.csrf)}
${wrapUpForm(t, d.callId, opts.csrf, opts.wrapUpCodes)}
${opts.orderForm ?? ''}
</article></section>`;
}

/** The IVR nodes the caller went through (also pushed alone when the IVR's record comes after the offer). */
export function ivrPathList(path: readonly string[]): SafeHtml {
  return html`<ol id="pop-ivr-path" class="ivr-path">${path.map((n) => html`<li>${n}</li>`)}</ol>`;
}

export function callControls(t: Translate, callId: string, available: boolean, csrf: SafeHtml): SafeHtml {
  const off = available ? '' : html` disabled title="${t('desk.call-control-absent')}"`;
  const inputOff = available ? '' : html` disabled`;
  const button = (a: CallAction): SafeHtml => html`<button type="submit" name="action" value="${a}" id="${`cc-${a}`}"${off}>${t(`desk.cc.${a}`)}</button> `;
  return html`<form method="post" action="/desk/call" hx-post="/desk/call" hx-target="#call-result" hx-swap="outerHTML" class="call-controls" id="call-controls">${csrf}
<input type="hidden" name="callId" value="${callId}">
<p>${CALL_BUTTONS.map(button)}</p>
<p><select name="toKind" id="cc-to-kind" aria-label="${t('desk.transfer-kind')}"${inputOff}>${(['number', 'agent', 'queue'] as const).map((k) => html`<option value="${k}">${t(`desk.transfer-kind.${k}`)}</option>`)}</select>
<input name="to" id="cc-to" aria-label="${t('desk.transfer-to')}" placeholder="${t('desk.transfer-to')}"${inputOff}>
${TARGET_BUTTONS.map(button)}</p>
<p>${CONSULT_BUTTONS.map(button)}</p>
<p><input name="digits" id="cc-digits" maxlength="32" aria-label="${t('desk.cc.digits')}" placeholder="${t('desk.cc.digits')}"${inputOff}> ${button('dtmf')}</p>
<span id="call-result" role="status"></span>
${available ? '' : html`<p class="hint">${t('desk.call-control-absent')}</p>`}
</form>`;
}

const TARGET_BUTTONS: readonly CallAction[] = ['transfer', 'consult'];
const CONSULT_BUTTONS: readonly CallAction[] = ['complete', 'conference', 'cancel-consult'];
const CALL_BUTTONS: readonly CallAction[] = CallActions.filter((a) => !TARGET_BUTTONS.includes(a) && !CONSULT_BUTTONS.includes(a) && a !== 'dtmf');

export function wrapUpForm(t: Translate, callId: string, csrf: SafeHtml, codes: readonly Code[], notice?: string): SafeHtml {
  return html`<form method="post" action="/desk/wrap-up" hx-post="/desk/wrap-up" hx-target="this" hx-swap="outerHTML" id="wrap-up" class="wrap-up">${csrf}
<h3>${t('desk.wrap-up')}</h3>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<input type="hidden" name="callId" value="${callId}">
<select name="code" aria-label="${t('desk.wrap-up-code')}">${codes.map((c) => html`<option value="${c.code}">${c.label}</option>`)}</select>
<input name="note" maxlength="500" aria-label="${t('desk.note')}" placeholder="${t('desk.note')}">
<label><input type="checkbox" name="ready" value="1"> ${t('desk.ready-after')}</label>
<button type="submit" id="wrap-up-submit">${t('desk.save')}</button>
</form>`;
}

export interface OrderDraft {
  callId: string;
  typeId: string;
  title: string;
  description: string;
  customerId: string;
  contactPhone: string;
  fields: Record<string, string>;
}

function issueMap(t: Translate, issues: readonly FieldIssue[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const i of issues ?? []) m.set(i.path, [m.get(i.path), t(i.message)].filter(Boolean).join('; '));
  return m;
}

function orderField(f: FieldDefinition, value: string, err: string | undefined): SafeHtml {
  const name = `fields.${f.key}`;
  const id = `wo-f-${f.key}`;
  const invalid = err ? html` aria-invalid="true"` : '';
  const input =
    f.type === 'select'
      ? html`<select id="${id}" name="${name}"${invalid}><option value=""></option>${(f.options ?? []).map((o) => html`<option value="${o.value}"${o.value === value ? html` selected` : ''}>${o.label}</option>`)}</select>`
      : f.type === 'textarea'
        ? html`<textarea id="${id}" name="${name}" rows="2"${invalid}>${value}</textarea>`
        : html`<input id="${id}" name="${name}" value="${value}"${f.type === 'number' || f.type === 'integer' ? html` inputmode="decimal"` : ''}${invalid}>`;
  return html`<p class="${err ? 'field invalid' : 'field'}"><label for="${id}">${f.label}${f.required ? ' *' : ''}</label>${input}${err ? html`<span class="err">${err}</span>` : ''}</p>`;
}

/** The inline work-order form, id `wo-form`; prefilled from the call (number, customer, IVR inputs). */
export function orderForm(t: Translate, types: OrderType[], d: OrderDraft, opts: { csrf: SafeHtml; issues?: readonly FieldIssue[]; notice?: string }): SafeHtml {
  const active = types.filter((x) => x.active);
  const type = active.find((x) => x.id === d.typeId) ?? active[0];
  const errors = issueMap(t, opts.issues);
  if (!type) return html`<div id="wo-form" class="wo-form"><p>${t('desk.no-order-types')}</p></div>`;
  const e = (k: string): string | undefined => errors.get(k);
  return html`<form method="post" action="/desk/workorders" hx-post="/desk/workorders" hx-target="this" hx-swap="outerHTML" id="wo-form" class="wo-form">${opts.csrf}
<h3>${t('desk.new-order')}</h3>
${opts.notice ? html`<p class="notice" role="status" id="wo-created">${opts.notice}</p>` : ''}
${opts.issues?.length ? html`<p class="notice-error" role="alert">${t('error.validation')}</p>` : ''}
<input type="hidden" name="callId" value="${d.callId}"><input type="hidden" name="customerId" value="${d.customerId}">
<p class="field"><label for="wo-type">${t('desk.order-type')}</label>
<select id="wo-type" name="typeId" hx-get="/desk/workorder-form" hx-trigger="change" hx-target="#wo-form" hx-swap="outerHTML" hx-include="closest form">${active.map((x) => html`<option value="${x.id}"${x.id === type.id ? html` selected` : ''}>${x.name}</option>`)}</select></p>
<p class="${e('title') ? 'field invalid' : 'field'}"><label for="wo-title">${t('desk.order-title')}</label><input id="wo-title" name="title" value="${d.title}" maxlength="200" required${e('title') ? html` aria-invalid="true"` : ''}>${e('title') ? html`<span class="err">${e('title')}</span>` : ''}</p>
<p class="field"><label for="wo-phone">${t('desk.contact-phone')}</label><input id="wo-phone" name="contactPhone" value="${d.contactPhone}" maxlength="40"></p>
${type.form.fields.map((f) => orderField(f, d.fields[f.key] ?? '', e(`fields.${f.key}`)))}
<p class="field"><label for="wo-desc">${t('desk.order-description')}</label><textarea id="wo-desc" name="description" rows="3">${d.description}</textarea></p>
<button type="submit" id="wo-submit">${t('desk.create-order')}</button>
</form>`;
}

export function todoList(t: Translate, items: TodoItem[] | null): SafeHtml {
  return html`<section id="todo" class="todo" hx-get="/desk/todo" hx-trigger="sse:todo from:body throttle:500ms" hx-swap="outerHTML">
<h2>${t('desk.todo')}</h2>
${items === null
  ? html`<p>${t('desk.workorders-absent')}</p>`
  : items.length === 0
    ? html`<p class="empty">${t('desk.none')}</p>`
    : html`<ul>${items.map((i) => html`<li data-order="${i.orderId}">${i.number} ${i.title} <span class="status">${t(`wo-status.${i.status}`)}</span> <span class="reason">${t(`todo.${i.reason}`)}</span></li>`)}</ul>`}
</section>`;
}
