/**
 * User administration and the session list (issue 9 "Administration: users/groups/roles";
 * "session list and forced logout"). List, create, disable/enable users and assign roles;
 * list sessions and force a sign-out. Every change is audited with before/after by
 * auth/users.ts and auth/sessions.ts. Forms keep method and action (they work without
 * JavaScript, answering 303 to the list); with htmx they post in place and get the list
 * fragment back. Invalid input re-renders the form with the fields marked (422).
 *
 * Field-level rules: nobody disables themselves, and changing one's own roles starts a new
 * session (new id on privilege change, W6).
 *
 * Department (issue 9 "data scope by department"): chosen from the work-order departments on
 * the create form and on each row, shown by their path in the department tree ("一班 / 甲组");
 * empty means none. The change goes through `Users.update` (audited `user.updated` with
 * before/after) and bites on the user's next request, since access is read per request. Nobody
 * changes their own department (it is their data scope): 403.
 */
import type { Request, Response } from 'express';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../../appliance/core/errors.js';
import type { DepartmentOption, PanelUser } from '../auth/users.js';
import { html, type SafeHtml } from '../html.js';
import { actorOf, ctx, SESSION_COOKIE, type PanelContext, type PanelServices } from '../http/context.js';
import { setCookie } from '../http/cookies.js';
import { csrfField, field, fieldErrors, render, renderError } from '../layout.js';
import type { PanelRoute } from './types.js';

interface Draft {
  login: string;
  displayName: string;
  ipAllow: string;
  roles: string[];
  departmentId: string;
}

const emptyDraft: Draft = { login: '', displayName: '', ipAllow: '', roles: [], departmentId: '' };

function body(req: Request): Record<string, unknown> {
  return (req.body as Record<string, unknown> | undefined) ?? {};
}

function str(req: Request, name: string, max = 1024): string {
  const v = body(req)[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

function list(req: Request, name: string): string[] {
  const v = body(req)[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
}

/** Each department's path in the tree ("parent / child"), parents first, siblings by code. */
function departmentPaths(depts: readonly DepartmentOption[]): Array<DepartmentOption & { path: string }> {
  const byId = new Map(depts.map((d) => [d.id, d]));
  const chain = (d: DepartmentOption): DepartmentOption[] => {
    const up: DepartmentOption[] = [];
    for (let x: DepartmentOption | undefined = d; x && up.length < depts.length; x = x.parentId === null ? undefined : byId.get(x.parentId)) up.unshift(x);
    return up;
  };
  return depts
    .map((d) => ({ d, up: chain(d) }))
    .map(({ d, up }) => ({ d, key: up.map((x) => x.code).join('\u0000'), path: up.map((x) => x.name).join(' / ') }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ d, path }) => ({ ...d, path }));
}

/** The department select: none, then the active departments (and the current one even if inactive). */
function departmentOptions(c: PanelContext, depts: ReadonlyArray<DepartmentOption & { path: string }>, current: string | null): SafeHtml {
  return html`<option value=""${current ? '' : html` selected`}>${c.t('users.department-none')}</option>${depts
    .filter((d) => d.active || d.id === current)
    .map((d) => html`<option value="${d.id}"${d.id === current ? html` selected` : ''}>${d.path}</option>`)}`;
}

function fmtTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

interface PartialOptions {
  draft?: Draft;
  issues?: FieldIssue[];
  notice?: string;
  /** A refused department change on a user's row. */
  departmentError?: { userId: string };
}

async function usersPartial(s: PanelServices, c: PanelContext, opts: PartialOptions = {}): Promise<SafeHtml> {
  const users = await s.users.list();
  const roles = await s.users.listRoles();
  const depts = departmentPaths(await s.users.listDepartments());
  const deptName = (id: string | null): string => (id === null ? '' : (depts.find((d) => d.id === id)?.path ?? id));
  const canEdit = c.access?.permissions.can('users', 'edit') ?? false;
  const canCreate = c.access?.permissions.can('users', 'create') ?? false;
  const draft = opts.draft ?? emptyDraft;
  const errors = opts.issues ? fieldErrors(c, opts.issues) : undefined;
  const e = errors ? { errors } : {};
  const roleName = (id: string): string => {
    const key = `role.${id}`;
    const tr = c.t(key);
    return tr === key ? (roles.find((r) => r.id === id)?.name ?? id) : tr;
  };
  const row = (u: PanelUser): SafeHtml => html`<tr id="${`user-${u.id}`}" data-login="${u.login}">
<td class="login">${u.login}</td>
<td class="display-name">${u.displayName}</td>
<td class="department">${canEdit && u.id !== c.user?.id
    ? html`<form method="post" action="${`/admin/users/${u.id}/department`}" hx-post="${`/admin/users/${u.id}/department`}" hx-target="#main" class="department">${csrfField(c)}<select name="departmentId" aria-label="${c.t('users.department')}"${opts.departmentError?.userId === u.id ? html` aria-invalid="true"` : ''}>${departmentOptions(c, depts, u.departmentId)}</select> <button type="submit">${c.t('users.save-department')}</button>${opts.departmentError?.userId === u.id ? html`<span class="err" role="alert">${c.t('users.department')}: ${c.t('field.invalid')}</span>` : ''}</form>`
    : deptName(u.departmentId)}</td>
<td>${canEdit && u.id !== c.user?.id
    ? html`<form method="post" action="${`/admin/users/${u.id}/roles`}" hx-post="${`/admin/users/${u.id}/roles`}" hx-target="#main" class="roles">${csrfField(c)}${roles.map(
        (r) => html`<label><input type="checkbox" name="roles" value="${r.id}"${u.roles.includes(r.id) ? html` checked` : ''}> ${roleName(r.id)}</label> `,
      )}<button type="submit">${c.t('users.save-roles')}</button></form>`
    : u.roles.map(roleName).join('、')}</td>
<td class="status">${u.disabled ? c.t('users.disabled') : c.t('users.enabled')}</td>
<td>${canEdit && u.id !== c.user?.id
    ? html`<form method="post" action="${`/admin/users/${u.id}/${u.disabled ? 'enable' : 'disable'}`}" hx-post="${`/admin/users/${u.id}/${u.disabled ? 'enable' : 'disable'}`}" hx-target="#main" class="inline">${csrfField(c)}<button type="submit">${u.disabled ? c.t('users.enable') : c.t('users.disable')}</button></form>`
    : ''}</td>
</tr>`;
  return html`<section class="users">
<h1>${c.t('users.title')}</h1>
${opts.notice ? html`<p class="notice" role="status">${opts.notice}</p>` : ''}
<table id="users">
<thead><tr><th>${c.t('users.login')}</th><th>${c.t('users.display-name')}</th><th>${c.t('users.department')}</th><th>${c.t('users.roles')}</th><th>${c.t('users.status')}</th><th>${c.t('users.actions')}</th></tr></thead>
<tbody>${users.map(row)}</tbody>
</table>
${canCreate
  ? html`<h2>${c.t('users.create')}</h2>
${opts.issues ? html`<p class="notice-error" role="alert">${c.t('error.validation')}</p>` : ''}
<form method="post" action="/admin/users" hx-post="/admin/users" hx-target="#main" id="create-user">
${csrfField(c)}
${field(c, { name: 'login', label: 'users.login', value: draft.login, required: true, autocomplete: 'off', ...e })}
${field(c, { name: 'displayName', label: 'users.display-name', value: draft.displayName, required: true, ...e })}
${field(c, { name: 'password', label: 'users.initial-password', type: 'password', autocomplete: 'new-password', required: true, ...e })}
<p class="${errors?.has('ipAllow') ? 'field invalid' : 'field'}"><label for="f-ipAllow">${c.t('users.ip-allow')}</label>
<textarea id="f-ipAllow" name="ipAllow" rows="2">${draft.ipAllow}</textarea>${errors?.has('ipAllow') ? html`<span class="err">${errors.get('ipAllow')}</span>` : ''}</p>
<p class="${errors?.has('departmentId') ? 'field invalid' : 'field'}"><label for="f-departmentId">${c.t('users.department')}</label>
<select id="f-departmentId" name="departmentId"${errors?.has('departmentId') ? html` aria-invalid="true" aria-describedby="f-departmentId-err"` : ''}>${departmentOptions(c, depts, draft.departmentId || null)}</select>${errors?.has('departmentId') ? html`<span class="err" id="f-departmentId-err">${errors.get('departmentId')}</span>` : ''}</p>
<fieldset><legend>${c.t('users.roles')}</legend>${roles.map(
      (r) => html`<label><input type="checkbox" name="roles" value="${r.id}"${draft.roles.includes(r.id) ? html` checked` : ''}> ${roleName(r.id)}</label> `,
    )}${errors?.has('roles') ? html`<span class="err">${errors.get('roles')}</span>` : ''}</fieldset>
<button type="submit" id="create-user-submit">${c.t('users.create')}</button>
</form>`
  : ''}
</section>`;
}

/** After a change: the list fragment for htmx, otherwise 303 back to the page (PRG). */
async function done(s: PanelServices, req: Request, res: Response, notice?: string): Promise<void> {
  if (req.get('HX-Request') === 'true') {
    render(req, res, { title: 'users.title' }, await usersPartial(s, ctx(res), notice ? { notice } : {}));
    return;
  }
  res.redirect(303, '/admin/users');
}

async function sessionsPartial(s: PanelServices, c: PanelContext): Promise<SafeHtml> {
  const sessions = await s.sessions.list();
  const canRevoke = c.access?.permissions.can('sessions', 'delete') ?? false;
  return html`<section class="sessions">
<h1>${c.t('sessions.title')}</h1>
<table id="sessions">
<thead><tr><th>${c.t('sessions.user')}</th><th>${c.t('sessions.ip')}</th><th>${c.t('sessions.started')}</th><th>${c.t('sessions.last-seen')}</th><th></th></tr></thead>
<tbody>${sessions.map(
    (x) => html`<tr id="${`session-${x.id}`}"><td>${x.displayName} (${x.login})</td><td>${x.ip}</td><td>${fmtTime(x.createdAt)}</td><td>${fmtTime(x.lastSeenAt)}</td>
<td>${x.id === c.session?.id
      ? c.t('sessions.current')
      : canRevoke
        ? html`<form method="post" action="${`/admin/sessions/${x.id}/revoke`}" hx-post="${`/admin/sessions/${x.id}/revoke`}" hx-target="#main" class="inline">${csrfField(c)}<button type="submit">${c.t('sessions.revoke')}</button></form>`
        : ''}</td></tr>`,
  )}</tbody>
</table>
</section>`;
}

export function usersAdminRoutes(s: PanelServices): PanelRoute[] {
  const setDisabled = (disabled: boolean) => async (req: Request, res: Response) => {
    const c = ctx(res);
    const id = String(req.params['id']);
    if (id === c.user?.id) {
      renderError(req, res, 403, 'error.forbidden');
      return;
    }
    try {
      await s.users.setDisabled(id, disabled, actorOf(res));
    } catch (err) {
      if (err instanceof NotFoundError) return renderError(req, res, 404, 'error.not-found');
      throw err;
    }
    await done(s, req, res);
  };
  return [
    {
      method: 'get',
      path: '/admin/users',
      access: ['users', 'view'],
      handler: async (req, res) => render(req, res, { title: 'users.title' }, await usersPartial(s, ctx(res))),
    },
    {
      method: 'post',
      path: '/admin/users',
      access: ['users', 'create'],
      handler: async (req, res) => {
        const c = ctx(res);
        const draft: Draft = {
          login: str(req, 'login', 100).trim(),
          displayName: str(req, 'displayName', 200),
          ipAllow: str(req, 'ipAllow', 2000),
          roles: list(req, 'roles'),
          departmentId: str(req, 'departmentId', 100),
        };
        try {
          await s.users.create(
            {
              login: draft.login,
              displayName: draft.displayName,
              password: str(req, 'password'),
              roles: draft.roles,
              ipAllow: draft.ipAllow.split(/[\s,]+/),
              departmentId: draft.departmentId || null,
            },
            actorOf(res),
          );
        } catch (err) {
          const issues = err instanceof ValidationError ? [...err.issues] : err instanceof ConflictError ? [{ path: 'login', message: 'field.taken' }] : null;
          if (!issues) throw err;
          render(req, res, { title: 'users.title', status: 422 }, await usersPartial(s, c, { draft, issues }));
          return;
        }
        await done(s, req, res, c.t('users.created', { login: draft.login }));
      },
    },
    { method: 'post', path: '/admin/users/:id/disable', access: ['users', 'edit'], handler: setDisabled(true) },
    { method: 'post', path: '/admin/users/:id/enable', access: ['users', 'edit'], handler: setDisabled(false) },
    {
      method: 'post',
      path: '/admin/users/:id/roles',
      access: ['users', 'edit'],
      handler: async (req, res) => {
        const c = ctx(res);
        const id = String(req.params['id']);
        try {
          await s.users.setRoles(id, list(req, 'roles'), actorOf(res));
        } catch (err) {
          if (err instanceof NotFoundError) return renderError(req, res, 404, 'error.not-found');
          if (err instanceof ValidationError) return render(req, res, { title: 'users.title', status: 422 }, await usersPartial(s, c, { issues: [...err.issues] }));
          throw err;
        }
        if (id === c.user?.id) {
          // Own privileges changed: setRoles ended our sessions; continue in a new one (new id).
          const access = await s.users.access(id);
          const { token, session } = await s.sessions.create(id, { ip: c.ip, userAgent: req.get('user-agent') ?? '', privileged: access.permissions.privileged });
          setCookie(res, c.mode, SESSION_COOKIE, token);
          c.session = session;
          c.csrfToken = session.csrfToken;
          c.access = access;
        }
        await done(s, req, res);
      },
    },
    {
      method: 'post',
      path: '/admin/users/:id/department',
      access: ['users', 'edit'],
      handler: async (req, res) => {
        const c = ctx(res);
        const id = String(req.params['id']);
        if (id === c.user?.id) return renderError(req, res, 403, 'error.forbidden');
        const value = str(req, 'departmentId', 100);
        let login: string;
        try {
          login = (await s.users.update(id, { departmentId: value || null }, actorOf(res))).login;
        } catch (err) {
          if (err instanceof NotFoundError) return renderError(req, res, 404, 'error.not-found');
          if (err instanceof ValidationError) {
            return render(req, res, { title: 'users.title', status: 422 }, await usersPartial(s, c, { departmentError: { userId: id } }));
          }
          throw err;
        }
        await done(s, req, res, c.t('users.department-saved', { login }));
      },
    },
    {
      method: 'get',
      path: '/admin/sessions',
      access: ['sessions', 'view'],
      handler: async (req, res) => render(req, res, { title: 'sessions.title' }, await sessionsPartial(s, ctx(res))),
    },
    {
      method: 'post',
      path: '/admin/sessions/:id/revoke',
      access: ['sessions', 'delete'],
      handler: async (req, res) => {
        try {
          await s.sessions.revoke(String(req.params['id']), actorOf(res));
        } catch (err) {
          if (err instanceof NotFoundError) return renderError(req, res, 404, 'error.not-found');
          throw err;
        }
        if (req.get('HX-Request') === 'true') render(req, res, { title: 'sessions.title' }, await sessionsPartial(s, ctx(res)));
        else res.redirect(303, '/admin/sessions');
      },
    },
  ];
}
