/**
 * Views of the groups and roles pages (issue 9 "users/groups/roles"; seed 用户组群 → 岗位角色 →
 * 操作人员): the role list, a role's grants as a function × operation grid (checkboxes named
 * `grant` with `function:operation` values; read-only for built-in roles), the group list and
 * the group form (roles it gives, members, IP allow-list). Every form keeps method and action
 * and posts in place with htmx; everything is escaped by html.ts.
 */
import { DataScopes, Functions, Operations } from '../auth/permissions.js';
import type { GroupView, RoleView } from '../auth/roles-admin.js';
import type { PanelUser } from '../auth/users.js';
import { html, type SafeHtml } from '../html.js';
import type { PanelContext } from '../http/context.js';
import { csrfField, field, fieldErrors } from '../layout.js';

export interface FormState {
  issues?: ReadonlyArray<{ path: string; message: string }>;
  /** A translated message shown above the form or list. */
  notice?: string;
  error?: string;
}

export function roleLabel(c: PanelContext, r: { id: string; name: string }): string {
  const key = `role.${r.id}`;
  const tr = c.t(key);
  return tr === key ? r.name : tr;
}

function notices(st: FormState): SafeHtml {
  return html`${st.notice ? html`<p class="notice" role="status">${st.notice}</p>` : ''}${st.error ? html`<p class="notice-error" role="alert">${st.error}</p>` : ''}`;
}

function can(c: PanelContext, op: 'create' | 'edit' | 'delete'): boolean {
  return c.access?.permissions.can('users', op) ?? false;
}

export function rolesList(c: PanelContext, roles: readonly RoleView[], st: FormState = {}): SafeHtml {
  return html`<section class="roles">
<h1>${c.t('roles.title')}</h1>
${notices(st)}
${can(c, 'create') ? html`<p><a href="/admin/roles/new" hx-get="/admin/roles/new" hx-target="#main" hx-push-url="true" id="new-role">${c.t('roles.new')}</a></p>` : ''}
<table id="roles">
<thead><tr><th>${c.t('common.name')}</th><th>${c.t('roles.kind')}</th><th>${c.t('roles.data-scope')}</th><th>${c.t('roles.grants')}</th><th>${c.t('roles.holders')}</th></tr></thead>
<tbody>${roles.map(
    (r) => html`<tr id="${`role-${r.id}`}" data-role="${r.id}">
<td><a href="${`/admin/roles/${r.id}`}" hx-get="${`/admin/roles/${r.id}`}" hx-target="#main" hx-push-url="true">${roleLabel(c, r)}</a></td>
<td>${r.builtin ? c.t('roles.builtin') : c.t('roles.custom')}</td>
<td>${c.t(`scope.${r.dataScope}`)}</td>
<td class="grant-count">${r.grants.length}</td>
<td>${c.t('roles.holder-count', { users: r.users, groups: r.groups })}</td>
</tr>`,
  )}</tbody>
</table>
</section>`;
}

export interface RoleDraft {
  name: string;
  description: string;
  dataScope: string;
  grants: readonly string[];
}

/** The grant grid: one row per function, one column per operation. */
function grid(c: PanelContext, grants: readonly string[], editable: boolean): SafeHtml {
  const has = new Set(grants);
  return html`<table class="grant-grid" id="grant-grid">
<thead><tr><th>${c.t('roles.function')}</th>${Operations.map((op) => html`<th>${c.t(`op.${op}`)}</th>`)}</tr></thead>
<tbody>${Functions.map(
    (fn) => html`<tr><th scope="row">${c.t(`nav.${fn}`)}</th>${Operations.map((op) => {
      const key = `${fn}:${op}`;
      const label = `${c.t(`nav.${fn}`)} · ${c.t(`op.${op}`)}`;
      return editable
        ? html`<td><input type="checkbox" name="grant" value="${key}" aria-label="${label}"${has.has(key) ? html` checked` : ''}></td>`
        : html`<td data-grant="${key}">${has.has(key) ? '✓' : ''}</td>`;
    })}</tr>`,
  )}</tbody>
</table>`;
}

export function roleForm(c: PanelContext, role: RoleView | null, draft: RoleDraft, st: FormState = {}): SafeHtml {
  const errors = st.issues ? fieldErrors(c, st.issues) : undefined;
  const e = errors ? { errors } : {};
  const back = html`<p><a href="/admin/roles" hx-get="/admin/roles" hx-target="#main" hx-push-url="true">${c.t('common.back')}</a></p>`;
  if (role?.builtin) {
    return html`<section class="role">
<h1>${roleLabel(c, role)}</h1>
<p class="notice" role="status">${c.t('roles.builtin-readonly')}</p>
<p>${c.t('roles.data-scope')}: ${c.t(`scope.${role.dataScope}`)}</p>
<h2>${c.t('roles.grants')}</h2>
${grid(c, role.grants, false)}
${back}
</section>`;
  }
  const action = role ? `/admin/roles/${role.id}` : '/admin/roles';
  const editable = role ? can(c, 'edit') : can(c, 'create');
  return html`<section class="role">
<h1>${role ? c.t('roles.edit') : c.t('roles.new')}</h1>
${notices(st)}
${st.issues ? html`<p class="notice-error" role="alert">${c.t('error.validation')}</p>` : ''}
<form method="post" action="${action}" hx-post="${action}" hx-target="#main" id="role-form">
${csrfField(c)}
${field(c, { name: 'name', label: 'common.name', value: draft.name, required: true, ...e })}
${field(c, { name: 'description', label: 'common.description', value: draft.description, ...e })}
<p class="${errors?.has('dataScope') ? 'field invalid' : 'field'}"><label for="f-dataScope">${c.t('roles.data-scope')}</label>
<select id="f-dataScope" name="dataScope">${DataScopes.map((s) => html`<option value="${s}"${draft.dataScope === s ? html` selected` : ''}>${c.t(`scope.${s}`)}</option>`)}</select>
${errors?.has('dataScope') ? html`<span class="err">${errors.get('dataScope')}</span>` : ''}</p>
<fieldset><legend>${c.t('roles.grants')}</legend>${grid(c, draft.grants, true)}${errors?.has('grants') ? html`<span class="err">${errors.get('grants')}</span>` : ''}</fieldset>
${editable ? html`<button type="submit" id="role-save">${c.t('common.save')}</button>` : ''}
</form>
${role && can(c, 'delete')
  ? html`<form method="post" action="${`/admin/roles/${role.id}/delete`}" hx-post="${`/admin/roles/${role.id}/delete`}" hx-target="#main" class="inline" id="role-delete">${csrfField(c)}<button type="submit">${c.t('common.delete')}</button></form>`
  : ''}
${back}
</section>`;
}

export function groupsList(c: PanelContext, groups: readonly GroupView[], roles: readonly RoleView[], st: FormState = {}): SafeHtml {
  const roleName = (id: string): string => roleLabel(c, roles.find((r) => r.id === id) ?? { id, name: id });
  return html`<section class="groups">
<h1>${c.t('groups.title')}</h1>
${notices(st)}
${can(c, 'create') ? html`<p><a href="/admin/groups/new" hx-get="/admin/groups/new" hx-target="#main" hx-push-url="true" id="new-group">${c.t('groups.new')}</a></p>` : ''}
${groups.length === 0
  ? html`<p class="empty">${c.t('common.none')}</p>`
  : html`<table id="groups">
<thead><tr><th>${c.t('common.name')}</th><th>${c.t('groups.roles')}</th><th>${c.t('groups.members')}</th><th>${c.t('users.ip-allow')}</th></tr></thead>
<tbody>${groups.map(
      (g) => html`<tr id="${`group-${g.id}`}">
<td><a href="${`/admin/groups/${g.id}`}" hx-get="${`/admin/groups/${g.id}`}" hx-target="#main" hx-push-url="true">${g.name}</a></td>
<td>${g.roles.map(roleName).join('、')}</td>
<td>${c.t('groups.member-count', { n: g.members.length })}</td>
<td>${g.ipAllow.join(' ')}</td>
</tr>`,
    )}</tbody>
</table>`}
</section>`;
}

export interface GroupDraft {
  name: string;
  description: string;
  ipAllow: string;
  roles: readonly string[];
  members: readonly string[];
}

export function groupForm(c: PanelContext, group: GroupView | null, draft: GroupDraft, roles: readonly RoleView[], users: readonly PanelUser[], st: FormState = {}): SafeHtml {
  const errors = st.issues ? fieldErrors(c, st.issues) : undefined;
  const e = errors ? { errors } : {};
  const action = group ? `/admin/groups/${group.id}` : '/admin/groups';
  const editable = group ? can(c, 'edit') : can(c, 'create');
  const err = (k: string): SafeHtml | '' => (errors?.has(k) ? html`<span class="err">${errors.get(k)}</span>` : '');
  return html`<section class="group">
<h1>${group ? c.t('groups.edit') : c.t('groups.new')}</h1>
${notices(st)}
${st.issues ? html`<p class="notice-error" role="alert">${c.t('error.validation')}</p>` : ''}
<form method="post" action="${action}" hx-post="${action}" hx-target="#main" id="group-form">
${csrfField(c)}
${field(c, { name: 'name', label: 'common.name', value: draft.name, required: true, ...e })}
${field(c, { name: 'description', label: 'common.description', value: draft.description, ...e })}
<p class="${errors?.has('ipAllow') ? 'field invalid' : 'field'}"><label for="f-ipAllow">${c.t('groups.ip-allow')}</label>
<textarea id="f-ipAllow" name="ipAllow" rows="2">${draft.ipAllow}</textarea>${err('ipAllow')}</p>
<fieldset id="group-roles"><legend>${c.t('groups.roles')}</legend>${roles.map(
    (r) => html`<label><input type="checkbox" name="roles" value="${r.id}"${draft.roles.includes(r.id) ? html` checked` : ''}> ${roleLabel(c, r)}</label> `,
  )}${err('roles')}</fieldset>
<fieldset id="group-members"><legend>${c.t('groups.members')}</legend>${users.map(
    (u) => html`<label><input type="checkbox" name="members" value="${u.id}"${draft.members.includes(u.id) ? html` checked` : ''}> ${u.displayName} (${u.login})</label> `,
  )}${err('members')}</fieldset>
${editable ? html`<button type="submit" id="group-save">${c.t('common.save')}</button>` : ''}
</form>
${group && can(c, 'delete')
  ? html`<form method="post" action="${`/admin/groups/${group.id}/delete`}" hx-post="${`/admin/groups/${group.id}/delete`}" hx-target="#main" class="inline" id="group-delete">${csrfField(c)}<button type="submit">${c.t('common.delete')}</button></form>`
  : ''}
<p><a href="/admin/groups" hx-get="/admin/groups" hx-target="#main" hx-push-url="true">${c.t('common.back')}</a></p>
</section>`;
}
