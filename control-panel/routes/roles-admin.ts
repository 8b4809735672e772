/**
 * Groups and roles administration pages (issue 9 "Administration: users/groups/roles"; seed
 * 用户组群 → 岗位角色 → 操作人员), on auth/roles-admin.ts. Guarded by the `users` function:
 * view to list and open, create/edit/delete to change (least privilege: only administrators
 * holding the grant). Invalid input re-renders the form with the fields marked (422); a
 * built-in or still-used role is not deleted (409); a change that would raise the acting
 * user's own rights is refused with 403 and audited as `access.denied`. After a change the
 * list comes back (htmx) or a 303 to it; when the change touched the actor's own rights their
 * session is renewed (the change ended it).
 */
import type { Request, Response } from 'express';
import { NotFoundError, ValidationError } from '../../appliance/core/errors.js';
import { EscalationError, ProtectedRoleError, RoleInUseError, type AdminActor, type Changed } from '../auth/roles-admin.js';
import { actorOf, ctx, type PanelServices } from '../http/context.js';
import { formList, formStr, isHtmx, splitList } from '../http/form.js';
import { renewOwnSession } from '../http/renew-session.js';
import { render, renderError } from '../layout.js';
import { groupForm, groupsList, roleForm, rolesList, type FormState, type GroupDraft, type RoleDraft } from '../views/roles-views.js';
import type { PanelRoute } from './types.js';

function adminActor(res: Response): AdminActor {
  return { ...actorOf(res), userId: ctx(res).user?.id ?? null };
}

function roleDraft(req: Request): RoleDraft {
  return { name: formStr(req, 'name', 200), description: formStr(req, 'description', 1000), dataScope: formStr(req, 'dataScope', 40), grants: formList(req, 'grant', 200) };
}

function groupDraft(req: Request): GroupDraft {
  return { name: formStr(req, 'name', 200), description: formStr(req, 'description', 1000), ipAllow: formStr(req, 'ipAllow', 4000), roles: formList(req, 'roles', 200), members: formList(req, 'members', 10_000) };
}

export function rolesAdminRoutes(s: PanelServices): PanelRoute[] {
  const roles = s.roles;

  const showRoles = async (req: Request, res: Response, st: FormState = {}, status = 200): Promise<void> =>
    render(req, res, { title: 'roles.title', status }, rolesList(ctx(res), await roles.listRoles(), st));
  const showGroups = async (req: Request, res: Response, st: FormState = {}, status = 200): Promise<void> =>
    render(req, res, { title: 'groups.title', status }, groupsList(ctx(res), await roles.listGroups(), await roles.listRoles(), st));

  /** After a change: renew our own session if it ended, then the list (htmx) or 303 to it (PRG). */
  const done = async (req: Request, res: Response, changed: Changed<unknown>, list: 'roles' | 'groups', notice: string): Promise<void> => {
    const c = ctx(res);
    if (c.user && changed.affected.includes(c.user.id)) await renewOwnSession(s, req, res);
    if (!isHtmx(req)) {
      res.redirect(303, `/admin/${list}`);
      return;
    }
    await (list === 'roles' ? showRoles(req, res, { notice }) : showGroups(req, res, { notice }));
  };

  /** Refusals every change shares: unknown record 404, self-escalation 403 (audited). */
  const refused = async (req: Request, res: Response, err: unknown): Promise<boolean> => {
    if (err instanceof NotFoundError) {
      renderError(req, res, 404, 'error.not-found');
      return true;
    }
    if (err instanceof EscalationError) {
      await s.audit.record({ ...actorOf(res), action: 'access.denied', target: `${req.method} ${req.path}`.slice(0, 200), after: { reason: 'escalation', gained: err.gained, status: 403 } });
      render(req, res, { title: 'error.forbidden', status: 403 }, rolesList(ctx(res), await roles.listRoles(), { error: ctx(res).t('roles.escalation', { gained: err.gained.join(', ') }) }));
      return true;
    }
    return false;
  };

  const roleView = async (req: Request, res: Response): Promise<void> => {
    try {
      const role = await roles.role(String(req.params['id']));
      render(req, res, { title: 'roles.edit' }, roleForm(ctx(res), role, role));
    } catch (err) {
      if (!(await refused(req, res, err))) throw err;
    }
  };

  const groupView = async (req: Request, res: Response): Promise<void> => {
    try {
      const g = await roles.group(String(req.params['id']));
      const draft: GroupDraft = { ...g, ipAllow: g.ipAllow.join('\n') };
      render(req, res, { title: 'groups.edit' }, groupForm(ctx(res), g, draft, await roles.listRoles(), await s.users.list()));
    } catch (err) {
      if (!(await refused(req, res, err))) throw err;
    }
  };

  const saveRole = (mode: 'create' | 'update') => async (req: Request, res: Response): Promise<void> => {
    const c = ctx(res);
    const draft = roleDraft(req);
    const id = String(req.params['id'] ?? '');
    try {
      const input = { ...draft, grants: [...draft.grants] };
      const changed = mode === 'create' ? await roles.createRole(input, adminActor(res)) : await roles.updateRole(id, input, adminActor(res));
      await done(req, res, changed, 'roles', c.t('common.saved'));
    } catch (err) {
      if (await refused(req, res, err)) return;
      if (err instanceof ProtectedRoleError) return void (await showRoles(req, res, { error: c.t('roles.builtin-readonly') }, 409));
      if (!(err instanceof ValidationError)) throw err;
      const role = mode === 'update' ? await roles.role(id) : null;
      render(req, res, { title: mode === 'create' ? 'roles.new' : 'roles.edit', status: 422 }, roleForm(c, role, draft, { issues: err.issues }));
    }
  };

  const saveGroup = (mode: 'create' | 'update') => async (req: Request, res: Response): Promise<void> => {
    const c = ctx(res);
    const draft = groupDraft(req);
    const id = String(req.params['id'] ?? '');
    try {
      const input = { name: draft.name, description: draft.description, ipAllow: splitList(draft.ipAllow), roles: [...draft.roles], members: [...draft.members] };
      const changed = mode === 'create' ? await roles.createGroup(input, adminActor(res)) : await roles.updateGroup(id, input, adminActor(res));
      await done(req, res, changed, 'groups', c.t('common.saved'));
    } catch (err) {
      if (await refused(req, res, err)) return;
      if (!(err instanceof ValidationError)) throw err;
      const group = mode === 'update' ? await roles.group(id) : null;
      render(req, res, { title: mode === 'create' ? 'groups.new' : 'groups.edit', status: 422 }, groupForm(c, group, draft, await roles.listRoles(), await s.users.list(), { issues: err.issues }));
    }
  };

  return [
    { method: 'get', path: '/admin/roles', access: ['users', 'view'], handler: (req, res) => showRoles(req, res) },
    {
      method: 'get',
      path: '/admin/roles/new',
      access: ['users', 'create'],
      handler: (req, res) => render(req, res, { title: 'roles.new' }, roleForm(ctx(res), null, { name: '', description: '', dataScope: 'self', grants: [] })),
    },
    { method: 'post', path: '/admin/roles', access: ['users', 'create'], handler: saveRole('create') },
    { method: 'get', path: '/admin/roles/:id', access: ['users', 'view'], handler: roleView },
    { method: 'post', path: '/admin/roles/:id', access: ['users', 'edit'], handler: saveRole('update') },
    {
      method: 'post',
      path: '/admin/roles/:id/delete',
      access: ['users', 'delete'],
      handler: async (req, res) => {
        const c = ctx(res);
        try {
          await roles.deleteRole(String(req.params['id']), adminActor(res));
        } catch (err) {
          if (await refused(req, res, err)) return;
          if (err instanceof ProtectedRoleError) return void (await showRoles(req, res, { error: c.t('roles.builtin-readonly') }, 409));
          if (err instanceof RoleInUseError) return void (await showRoles(req, res, { error: c.t('roles.in-use', { users: err.users, groups: err.groups }) }, 409));
          throw err;
        }
        await done(req, res, { value: undefined, affected: [] }, 'roles', c.t('common.deleted'));
      },
    },
    { method: 'get', path: '/admin/groups', access: ['users', 'view'], handler: (req, res) => showGroups(req, res) },
    {
      method: 'get',
      path: '/admin/groups/new',
      access: ['users', 'create'],
      handler: async (req, res) =>
        render(req, res, { title: 'groups.new' }, groupForm(ctx(res), null, { name: '', description: '', ipAllow: '', roles: [], members: [] }, await roles.listRoles(), await s.users.list())),
    },
    { method: 'post', path: '/admin/groups', access: ['users', 'create'], handler: saveGroup('create') },
    { method: 'get', path: '/admin/groups/:id', access: ['users', 'view'], handler: groupView },
    { method: 'post', path: '/admin/groups/:id', access: ['users', 'edit'], handler: saveGroup('update') },
    {
      method: 'post',
      path: '/admin/groups/:id/delete',
      access: ['users', 'delete'],
      handler: async (req, res) => {
        try {
          const changed = await roles.deleteGroup(String(req.params['id']), adminActor(res));
          await done(req, res, changed, 'groups', ctx(res).t('common.deleted'));
        } catch (err) {
          if (!(await refused(req, res, err))) throw err;
        }
      },
    },
  ];
}
