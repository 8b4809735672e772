/**
 * Fragments of the supervisor console and the wallboard (issue 9): queue rows, agent rows,
 * waiting calls, the explanation of a waiting call, and the wallboard's big-number tiles.
 * Each fragment carries a stable id so an SSE `oob` message replaces it in place
 * (static/live.js). Figures are METRICS.md §3 formulas from appliance/acd/metrics.ts; each
 * tile names its formula in a tooltip (issue 9: "formulas named in a tooltip").
 */
import type { Explanation, QueueSnapshot } from '../../appliance/acd/acd.js';
import { abandonRate, averageSpeedOfAnswer, serviceLevel } from '../../appliance/acd/metrics.js';
import type { AgentState, AgentStatus } from '../../appliance/acd/model.js';
import { html, type SafeHtml } from '../html.js';
import type { Translate } from '../i18n.js';
import type { TrackedCall } from '../live/call-tracker.js';
import type { AgentInfo, Code, QueueInfo } from '../live/ports.js';

export interface WallboardThresholds {
  waitWarnMs: number;
  waitBadMs: number;
  slWarn: number;
  slBad: number;
  abandonWarn: number;
  abandonBad: number;
}

export const DEFAULT_THRESHOLDS: WallboardThresholds = { waitWarnMs: 20_000, waitBadMs: 60_000, slWarn: 80, slBad: 60, abandonWarn: 5, abandonBad: 10 };

export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

const pct = (v: number | null): string => (v === null ? '—' : `${v.toFixed(1)}%`);
const secs = (v: number | null): string => (v === null ? '—' : `${Math.round(v / 1000)}s`);

function level(v: number | null, warn: number, bad: number, higherIsBetter: boolean): string {
  if (v === null) return 'lvl-none';
  if (higherIsBetter) return v < bad ? 'lvl-bad' : v < warn ? 'lvl-warn' : 'lvl-ok';
  return v >= bad ? 'lvl-bad' : v >= warn ? 'lvl-warn' : 'lvl-ok';
}

export interface QueueFigures {
  snap: QueueSnapshot;
  sl: ReturnType<typeof serviceLevel>;
  asa: ReturnType<typeof averageSpeedOfAnswer>;
  abandon: ReturnType<typeof abandonRate>;
}

export function figures(snap: QueueSnapshot): QueueFigures {
  return { snap, sl: serviceLevel(snap.counts), asa: averageSpeedOfAnswer(snap.counts), abandon: abandonRate(snap.counts) };
}

/** Agents by state for a queue: available-idle, ringing, talking, wrap-up, on break. */
function agentStates(t: Translate, s: QueueSnapshot): SafeHtml {
  const parts: Array<[string, number]> = [
    ['idle', s.agents.idle],
    ['offered', s.agents.offered],
    ['in-call', s.agents['in-call'] + s.agents.outbound],
    ['wrap-up', s.agents['wrap-up']],
    ['on-break', s.agents['on-break']],
  ];
  return html`<ul class="agent-states">${parts.map(([k, n]) => html`<li class="${`as-${k}`}"><span class="n">${n}</span> ${t(`agent-state.${k}`)}</li>`)}</ul>`;
}

/** One supervisor queue row, id `q-<queueId>`. */
export function queueRow(t: Translate, q: QueueInfo, f: QueueFigures | null): SafeHtml {
  if (!f) return html`<tr id="${`q-${q.id}`}" data-queue="${q.id}"><td>${q.name}</td><td colspan="6">${t('live.queue-unknown')}</td></tr>`;
  const s = f.snap;
  return html`<tr id="${`q-${q.id}`}" data-queue="${q.id}">
<td>${q.name}</td><td class="waiting">${s.waiting}</td><td data-tick-ms="${s.waiting > 0 ? s.longestWaitMs : ''}">${fmtDuration(s.longestWaitMs)}</td>
<td title="${f.sl.formula}">${pct(f.sl.value)}</td><td title="${f.asa.formula}">${secs(f.asa.value)}</td><td title="${f.abandon.headline.formula}">${pct(f.abandon.headline.value)}</td>
<td>${agentStates(t, s)}</td></tr>`;
}

export function queueTable(t: Translate, rows: SafeHtml[]): SafeHtml {
  return html`<table id="queues" class="grid"><thead><tr><th>${t('live.queue')}</th><th>${t('live.waiting')}</th><th>${t('live.longest-wait')}</th><th>${t('live.sl')}</th><th>${t('live.asa')}</th><th>${t('live.abandon')}</th><th>${t('live.agents')}</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

export interface AgentView {
  status: AgentStatus;
  state: AgentState;
  breakReason: string | null;
  callId: string | null;
}

/** One supervisor agent row with the force-status form, id `a-<agentId>`. */
export function agentRow(t: Translate, a: AgentInfo, v: AgentView | null, opts: { csrf: SafeHtml; canEdit: boolean; reasons: readonly Code[] }): SafeHtml {
  return html`<tr id="${`a-${a.id}`}" data-agent="${a.id}" class="${v ? `st-${v.status} as-${v.state}` : 'st-unknown'}">
<td>${a.name}</td>
<td class="status">${v ? t(`agent-status.${v.status}`) : '—'}${v?.breakReason ? html` (${reasonLabel(opts.reasons, v.breakReason)})` : ''}</td>
<td class="state">${v ? t(`agent-state.${v.state}`) : '—'}</td>
<td>${v?.callId ?? ''}</td>
<td>${opts.canEdit && v
    ? html`<form method="post" action="${`/supervisor/agents/${a.id}/status`}" hx-post="${`/supervisor/agents/${a.id}/status`}" hx-target="${`#a-${a.id}`}" hx-swap="outerHTML" class="force">${opts.csrf}
<select name="status" aria-label="${t('live.force-status')}">${(['available', 'on-break', 'logged-out'] as const).map((s) => html`<option value="${s}">${t(`agent-status.${s}`)}</option>`)}</select>
<select name="reason" aria-label="${t('desk.break-reason')}">${opts.reasons.map((r) => html`<option value="${r.code}">${r.label}</option>`)}</select>
<button type="submit">${t('live.force-status')}</button></form>`
    : ''}</td></tr>`;
}

export function reasonLabel(reasons: readonly Code[], code: string): string {
  return reasons.find((r) => r.code === code)?.label ?? code;
}

export function agentTable(t: Translate, rows: SafeHtml[]): SafeHtml {
  return html`<table id="agents" class="grid"><thead><tr><th>${t('live.agent')}</th><th>${t('live.status')}</th><th>${t('live.state')}</th><th>${t('live.call')}</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** Waiting calls, refreshed on the `waiting` signal; each can be explained or moved. */
export function waitingCalls(t: Translate, calls: TrackedCall[], queues: QueueInfo[], now: number, opts: { csrf: SafeHtml; canEdit: boolean }): SafeHtml {
  const name = (id: string | null): string => queues.find((q) => q.id === id)?.name ?? id ?? '';
  return html`<div id="waiting" hx-get="/supervisor/calls" hx-trigger="sse:waiting from:body throttle:300ms" hx-swap="outerHTML">
${calls.length === 0
  ? html`<p class="empty">${t('live.no-waiting')}</p>`
  : html`<table class="grid"><thead><tr><th>${t('live.caller')}</th><th>${t('live.queue')}</th><th>${t('live.tier')}</th><th>${t('live.waited')}</th><th></th></tr></thead><tbody>${calls.map(
      (c) => html`<tr data-call="${c.callId}"><td>${c.number ?? ''}</td><td>${name(c.queueId)}</td><td>${c.tier ? t(`tier.${c.tier}`) : ''}</td>
<td data-tick-ms="${now - (c.joinedAt ?? now)}">${fmtDuration(now - (c.joinedAt ?? now))}</td>
<td><a href="${`/supervisor/explain?callId=${encodeURIComponent(c.callId)}`}" hx-get="${`/supervisor/explain?callId=${encodeURIComponent(c.callId)}`}" hx-target="#explain" hx-swap="outerHTML">${t('live.explain')}</a>
${opts.canEdit
  ? html`<form method="post" action="${`/supervisor/calls/${encodeURIComponent(c.callId)}/move`}" hx-post="${`/supervisor/calls/${encodeURIComponent(c.callId)}/move`}" hx-target="#waiting" hx-swap="outerHTML" class="move">${opts.csrf}
<select name="queueId" aria-label="${t('live.move-to')}">${queues.filter((q) => q.id !== c.queueId).map((q) => html`<option value="${q.id}">${q.name}</option>`)}</select>
<label><input type="checkbox" name="toHead" value="1"> ${t('live.to-head')}</label><button type="submit">${t('live.move')}</button></form>`
  : ''}</td></tr>`,
    )}</tbody></table>`}
</div>`;
}

export function explanation(t: Translate, x: Explanation | null, callId: string): SafeHtml {
  if (!x) return html`<section id="explain" class="explain"><p>${t('live.not-waiting', { callId })}</p></section>`;
  return html`<section id="explain" class="explain" data-call="${x.callId}">
<h3>${t('live.explain-title', { callId: x.callId })}</h3>
<p>${t('live.explain-summary', { position: x.position, ahead: x.ahead, waited: fmtDuration(x.waitedMs), strategy: x.strategy, priority: x.priority })}</p>
${x.activeStep ? html`<p>${t('live.requirements')}: ${x.activeStep.requirements.map((r) => `${r.skill} ≥ ${r.minProficiency}`).join(', ') || t('live.anyone')}</p>` : ''}
${x.nextRelaxation ? html`<p>${t('live.next-relaxation', { in: fmtDuration(x.nextRelaxation.inMs) })}</p>` : ''}
<h4>${t('live.eligible')}</h4><ul class="eligible">${x.eligible.map((e) => html`<li>${e.name} (${e.agentId})</li>`)}</ul>
<h4>${t('live.ineligible')}</h4><ul class="ineligible">${x.ineligible.map((e) => html`<li>${e.name} (${e.agentId}): ${e.reasons.join('; ')}</li>`)}</ul>
</section>`;
}

/** A wallboard tile, id `t-<queueId>`: big numbers, coloured by threshold, formulas in tooltips. */
export function wallTile(t: Translate, q: QueueInfo, f: QueueFigures | null, th: WallboardThresholds): SafeHtml {
  if (!f) return html`<article id="${`t-${q.id}`}" class="tile" data-queue="${q.id}"><h2>${q.name}</h2><p>${t('live.queue-unknown')}</p></article>`;
  const s = f.snap;
  const waitLvl = s.waiting === 0 ? 'lvl-ok' : level(s.longestWaitMs, th.waitWarnMs, th.waitBadMs, false);
  return html`<article id="${`t-${q.id}`}" class="tile" data-queue="${q.id}">
<h2>${q.name}</h2>
<div class="big ${waitLvl}"><span class="n waiting">${s.waiting}</span><span class="l">${t('live.waiting')}</span></div>
<div class="big ${waitLvl}"><span class="n" data-tick-ms="${s.waiting > 0 ? s.longestWaitMs : ''}">${fmtDuration(s.longestWaitMs)}</span><span class="l">${t('live.longest-wait')}</span></div>
<div class="big ${level(f.sl.value, th.slWarn, th.slBad, true)}" title="${f.sl.formula}"><span class="n sl">${pct(f.sl.value)}</span><span class="l">${t('live.sl-today')}</span></div>
<div class="big" title="${f.asa.formula}"><span class="n">${secs(f.asa.value)}</span><span class="l">${t('live.asa')}</span></div>
<div class="big ${level(f.abandon.headline.value, th.abandonWarn, th.abandonBad, false)}" title="${f.abandon.headline.formula}"><span class="n">${pct(f.abandon.headline.value)}</span><span class="l">${t('live.abandon')}</span></div>
${agentStates(t, s)}
</article>`;
}
