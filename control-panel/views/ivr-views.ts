/**
 * Views of the IVR flow editor (/ivr): the flow list, one flow's page (versions with publish /
 * rollback, the draft's JSON editor with every validation problem shown at its node and field,
 * node traffic — where callers leave — and the simulator), and the simulator's result. Plain
 * server-rendered HTML through html.ts (every value escaped); forms keep method and action and
 * post in place with htmx. Words are Chinese first with English beside the panel's language.
 */
import type { FlowProblem } from '../../appliance/ivr/errors.js';
import type { FlowVersionInfo, NodeTraffic } from '../../appliance/ivr/flow-store.js';
import type { SimulationResult } from '../../appliance/ivr/simulator.js';
import { html, type SafeHtml } from '../html.js';
import type { PanelContext } from '../http/context.js';
import { csrfField } from '../layout.js';

type Words = Record<string, readonly [zh: string, en: string]>;

const W = {
  flows: ['语音导航流程', 'IVR flows'],
  id: ['流程编号', 'Flow id'],
  name: ['名称', 'Name'],
  version: ['版本', 'Version'],
  status: ['状态', 'Status'],
  draft: ['草稿', 'draft'],
  published: ['已发布', 'published'],
  retired: ['已停用', 'retired'],
  open: ['打开', 'Open'],
  none: ['还没有流程', 'No flows yet'],
  newFlow: ['新建流程（粘贴 JSON）', 'New flow (paste JSON)'],
  saveDraft: ['校验并保存草稿', 'Validate and save draft'],
  versions: ['版本', 'Versions'],
  publish: ['发布', 'Publish'],
  rollback: ['回滚到此版本', 'Roll back to this version'],
  editor: ['编辑草稿', 'Edit draft'],
  problems: ['校验问题', 'Problems'],
  node: ['节点', 'Node'],
  field: ['字段', 'Field'],
  code: ['类型', 'Kind'],
  message: ['说明', 'Message'],
  flowLevel: ['（流程）', '(flow)'],
  nodes: ['节点一览', 'Nodes'],
  verb: ['动作', 'Verb'],
  label: ['说明', 'Label'],
  ok: ['无问题', 'OK'],
  traffic: ['节点话务（来电在哪里挂机）', 'Node traffic (where callers leave)'],
  day: ['日期', 'Day'],
  visits: ['经过', 'Visits'],
  abandons: ['挂机', 'Hang-ups'],
  rate: ['挂机率', 'Hang-up rate'],
  noTraffic: ['当日无话务', 'No traffic that day'],
  show: ['查看', 'Show'],
  simulator: ['模拟来电', 'Simulator'],
  keys: ['按键（w=等待超时）', 'Keys (w = wait for the timeout)'],
  caller: ['主叫号码', 'Caller number'],
  run: ['模拟', 'Run'],
  path: ['路径', 'Path'],
  heard: ['放音与按键', 'Heard and pressed'],
  vars: ['变量', 'Variables'],
  outcome: ['结果', 'Outcome'],
  unused: ['未用按键', 'Keys not used'],
  saved: ['已保存草稿 v{v}', 'Draft v{v} saved'],
  didPublish: ['已发布 v{v}', 'Published v{v}'],
  didRollback: ['已回滚到 v{v}', 'Rolled back to v{v}'],
  badJson: ['不是有效的 JSON：{m}', 'Not valid JSON: {m}'],
} as const satisfies Words;

export type WordKey = keyof typeof W;

export function w(c: PanelContext, key: WordKey, params: Record<string, string | number> = {}): string {
  const text = W[key][c.lang === 'en' ? 1 : 0];
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

const statusWord = (c: PanelContext, s: string): string => (s === 'draft' || s === 'published' || s === 'retired' ? w(c, s) : s);
const fmt = (ms: number | null): string => (ms === null ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16));

export function notice(text: string | undefined, error = false): SafeHtml {
  return text ? html`<p class="${error ? 'notice-error' : 'notice'}" role="${error ? 'alert' : 'status'}" id="ivr-notice">${text}</p>` : html``;
}

export function flowListView(c: PanelContext, flows: readonly FlowVersionInfo[], opts: { canEdit: boolean; json?: string; problems?: readonly FlowProblem[]; notice?: SafeHtml }): SafeHtml {
  return html`<section class="ivr" id="ivr-list">
<h1>${w(c, 'flows')}</h1>
${opts.notice}
${flows.length === 0
  ? html`<p>${w(c, 'none')}</p>`
  : html`<table id="flows"><thead><tr><th>${w(c, 'id')}</th><th>${w(c, 'name')}</th><th>${w(c, 'version')}</th><th>${w(c, 'status')}</th><th></th></tr></thead><tbody>
${flows.map(
  (f) => html`<tr data-flow="${f.flowId}"><td>${f.flowId}</td><td>${f.name}</td><td>v${f.version}</td><td>${statusWord(c, f.status)}</td>
<td><a href="${`/ivr/flows/${f.flowId}`}" hx-get="${`/ivr/flows/${f.flowId}`}" hx-target="#main" hx-push-url="true">${w(c, 'open')}</a></td></tr>`,
)}</tbody></table>`}
${opts.canEdit
  ? html`<h2>${w(c, 'newFlow')}</h2>
<form method="post" action="/ivr/drafts" hx-post="/ivr/drafts" hx-target="#main">${csrfField(c)}
<textarea name="json" rows="12" cols="100" spellcheck="false" aria-label="${w(c, 'newFlow')}">${opts.json ?? ''}</textarea>
${opts.problems ? problemTable(c, opts.problems) : ''}
<p><button type="submit">${w(c, 'saveDraft')}</button></p></form>`
  : ''}
</section>`;
}

export function problemTable(c: PanelContext, problems: readonly FlowProblem[]): SafeHtml {
  if (problems.length === 0) return html``;
  return html`<div class="ivr-problems" role="alert"><h3>${w(c, 'problems')} (${problems.length})</h3>
<table id="problems"><thead><tr><th>${w(c, 'node')}</th><th>${w(c, 'field')}</th><th>${w(c, 'code')}</th><th>${w(c, 'message')}</th></tr></thead><tbody>
${problems.map(
  (p) => html`<tr class="problem" data-node="${p.node ?? ''}" data-field="${p.field}"><td>${p.node ?? w(c, 'flowLevel')}</td><td><code>${p.field}</code></td><td>${p.code}</td><td>${p.message}</td></tr>`,
)}</tbody></table></div>`;
}

export interface FlowPageModel {
  flowId: string;
  versions: readonly FlowVersionInfo[];
  /** The JSON in the editor (the draft, else the published definition, or what was just posted). */
  json: string;
  /** Nodes of the edited definition, with their problems. */
  nodes: ReadonlyArray<{ id: string; verb: string; label: string }>;
  problems: readonly FlowProblem[];
  traffic: { version: number; day: string; rows: readonly NodeTraffic[] } | null;
  canEdit: boolean;
  notice?: SafeHtml;
  simulation?: SafeHtml;
}

export function flowPageView(c: PanelContext, m: FlowPageModel): SafeHtml {
  const base = `/ivr/flows/${m.flowId}`;
  const byNode = new Map<string, FlowProblem[]>();
  for (const p of m.problems) if (p.node) byNode.set(p.node, [...(byNode.get(p.node) ?? []), p]);
  return html`<section class="ivr" id="ivr-flow" data-flow="${m.flowId}">
<h1>${w(c, 'flows')} · ${m.flowId}</h1>
${m.notice}
<h2>${w(c, 'versions')}</h2>
<table id="versions"><thead><tr><th>${w(c, 'version')}</th><th>${w(c, 'name')}</th><th>${w(c, 'status')}</th><th></th></tr></thead><tbody>
${m.versions.map(
  (v) => html`<tr data-version="${v.version}" data-status="${v.status}"><td>v${v.version}</td><td>${v.name}</td><td>${statusWord(c, v.status)} ${fmt(v.publishedAt ?? v.updatedAt)}</td><td>
${m.canEdit && v.status === 'draft' ? actionForm(c, `${base}/versions/${v.version}/publish`, w(c, 'publish')) : ''}
${m.canEdit && v.status === 'retired' ? actionForm(c, `${base}/rollback`, w(c, 'rollback'), { version: String(v.version) }) : ''}
</td></tr>`,
)}</tbody></table>
${m.canEdit
  ? html`<h2>${w(c, 'editor')}</h2>
<form method="post" action="${`${base}/draft`}" hx-post="${`${base}/draft`}" hx-target="#main" id="editor">${csrfField(c)}
<textarea name="json" rows="24" cols="110" spellcheck="false" aria-label="${w(c, 'editor')}">${m.json}</textarea>
<p><button type="submit">${w(c, 'saveDraft')}</button></p></form>`
  : html`<pre id="definition">${m.json}</pre>`}
${problemTable(c, m.problems)}
<h2>${w(c, 'nodes')}</h2>
<table id="nodes"><thead><tr><th>${w(c, 'node')}</th><th>${w(c, 'verb')}</th><th>${w(c, 'label')}</th><th>${w(c, 'problems')}</th></tr></thead><tbody>
${m.nodes.map((n) => {
  const ps = byNode.get(n.id) ?? [];
  return html`<tr data-node="${n.id}" class="${ps.length ? 'invalid' : ''}"><td>${n.id}</td><td>${n.verb}</td><td>${n.label}</td><td>${ps.length
    ? html`<ul>${ps.map((p) => html`<li><code>${p.field || '—'}</code> ${p.code}: ${p.message}</li>`)}</ul>`
    : w(c, 'ok')}</td></tr>`;
})}</tbody></table>
${trafficView(c, base, m.traffic)}
<h2>${w(c, 'simulator')}</h2>
<form method="post" action="${`${base}/simulate`}" hx-post="${`${base}/simulate`}" hx-target="#sim-result" id="simulate">${csrfField(c)}
<label>${w(c, 'keys')} <input name="keys" maxlength="200" pattern="[0-9*#wW ]*" value=""></label>
<label>${w(c, 'caller')} <input name="caller" maxlength="20" value="13800138000"></label>
<button type="submit">${w(c, 'run')}</button></form>
<div id="sim-result">${m.simulation}</div>
</section>`;
}

function actionForm(c: PanelContext, action: string, label: string, fields: Record<string, string> = {}): SafeHtml {
  return html`<form method="post" action="${action}" hx-post="${action}" hx-target="#main" class="inline">${csrfField(c)}${Object.entries(fields).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  )}<button type="submit">${label}</button></form>`;
}

function trafficView(c: PanelContext, base: string, t: FlowPageModel['traffic']): SafeHtml {
  if (!t) return html``;
  const rows = [...t.rows].sort((a, b) => b.visits - a.visits || a.nodeId.localeCompare(b.nodeId));
  return html`<h2>${w(c, 'traffic')}</h2>
<form method="get" action="${base}" hx-get="${base}" hx-target="#main" class="inline">
<label>${w(c, 'day')} <input type="date" name="day" value="${t.day}"></label>
<label>${w(c, 'version')} <input type="number" name="version" min="1" value="${String(t.version)}"></label>
<button type="submit">${w(c, 'show')}</button></form>
${rows.length === 0
  ? html`<p id="traffic-empty">${w(c, 'noTraffic')}</p>`
  : html`<table id="traffic"><thead><tr><th>${w(c, 'node')}</th><th>${w(c, 'visits')}</th><th>${w(c, 'abandons')}</th><th>${w(c, 'rate')}</th></tr></thead><tbody>
${rows.map(
  (r) => html`<tr data-node="${r.nodeId}"><td>${r.nodeId}</td><td>${r.visits}</td><td>${r.abandons}</td><td>${r.visits ? `${((r.abandons / r.visits) * 100).toFixed(1)}%` : '—'}</td></tr>`,
)}</tbody></table>`}`;
}

export function simulationView(c: PanelContext, sim: SimulationResult): SafeHtml {
  const vars = Object.entries(sim.result.vars).sort(([a], [b]) => a.localeCompare(b));
  return html`<div class="ivr-sim" id="sim">
<p>${w(c, 'outcome')}: <strong id="sim-outcome">${sim.result.outcome}</strong>${sim.unusedKeys ? html` · ${w(c, 'unused')}: <code>${sim.unusedKeys}</code>` : ''}</p>
<h3>${w(c, 'path')}</h3>
<ol id="sim-path">${sim.steps.map((s) => html`<li data-node="${s.nodeId}">${s.nodeId} <small>${s.verb} @${(s.atMs / 1000).toFixed(1)}s</small></li>`)}</ol>
<h3>${w(c, 'heard')}</h3>
<ol id="sim-transcript">${sim.transcript.map(
    (e) => html`<li class="${`t-${e.kind}`}"><small>${(e.atMs / 1000).toFixed(1)}s</small> ${e.kind}: ${e.text ? html`${e.text} <code>${e.value}</code>` : e.value}</li>`,
  )}</ol>
<h3>${w(c, 'vars')}</h3>
<table id="sim-vars"><tbody>${vars.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table>
</div>`;
}
