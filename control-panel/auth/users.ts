/**
 * Users, groups and roles of the control panel (issue 9 "RBAC"; seed 用户组群 → 岗位角色 →
 * 操作人员). A user's effective roles are their own plus those of every group they belong to;
 * permissions are the union of the roles' grants, and the data scope is the widest of the
 * roles' scopes (self < department < department-tree < all).
 *
 * IP allow-lists (seed: "access restricted by IP") are checked as an intersection: the user's
 * list, when set, must contain the address, and so must each of the user's groups' lists that
 * are set. An empty list restricts nothing.
 *
 * Every change is audited with before/after snapshots in the same transaction as the change
 * (ops/audit.ts), and anything that changes who a user is or what they may do (disable,
 * password, roles, groups) deletes that user's sessions in that transaction too (W6: "disabling
 * a user or changing a password kills all of that user's sessions").
 *
 * A user's department is one of the work-order departments (appliance/workorders, table
 * `departments`); an unknown or inactive one is a `departmentId` field error. A department
 * change keeps the user's sessions: `access()` is read afresh on every request
 * (http/context.ts), so the new data scope applies from the user's next request.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../appliance/core/clock.js';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../../appliance/core/errors.js';
import { newId } from '../../appliance/core/ids.js';
import type { AuditLog } from '../../appliance/ops/audit.js';
import type { Database } from '../../appliance/store/schema.js';
import { inAnyCidr, parseCidrList } from './cidr.js';
import { DEFAULT_COST, dummyHash, hashPassword, passwordProblems, verifyPassword, type ScryptCost } from './passwords.js';
import {
  BuiltinRoles,
  DataScopes,
  isFunction,
  isOperation,
  Permissions,
  type DataScope,
  type Grants,
} from './permissions.js';

/** Who is acting, for the audit log. */
export interface Actor {
  actor: string;
  ip: string | null;
}

export interface PanelUser {
  id: string;
  login: string;
  displayName: string;
  departmentId: string | null;
  disabled: boolean;
  mustChangePassword: boolean;
  ipAllow: string[];
  roles: string[];
  groups: string[];
  createdAt: number;
  updatedAt: number;
}

export interface NewUser {
  login: string;
  displayName: string;
  departmentId?: string | null;
  password: string;
  roles?: string[];
  ipAllow?: string[];
  /** Default true: an administrator-set password must be replaced at first sign-in. */
  mustChangePassword?: boolean;
}

export interface Access {
  permissions: Permissions;
  scope: DataScope;
  /** Departments whose data the user may see; null = all. Empty with scope 'self'. */
  departmentIds: string[] | null;
}

/** A work-order department as the department field offers it. */
export interface DepartmentOption {
  id: string;
  code: string;
  name: string;
  parentId: string | null;
  active: boolean;
}

export const LOGIN_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/;
const DISPLAY_MAX = 100;

type Db = Kysely<Database>;

export interface UsersDeps {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  /** scrypt cost for new hashes (tests lower it). */
  passwordCost?: ScryptCost;
}

export class Users {
  private readonly cost: ScryptCost;
  private readonly dummy: string;

  constructor(private readonly deps: UsersDeps) {
    this.cost = deps.passwordCost ?? DEFAULT_COST;
    this.dummy = dummyHash(this.cost);
  }

  /** Create or refresh the built-in roles (grants follow the code, permissions.ts). */
  async ensureBuiltinRoles(): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (trx) => {
      for (const r of BuiltinRoles) {
        await trx
          .insertInto('panel_roles')
          .values({ id: r.id, name: r.name, description: r.description, builtin: 1, data_scope: r.dataScope, created_at: now, updated_at: now })
          .onConflict((oc) => oc.column('id').doUpdateSet({ name: r.name, description: r.description, builtin: 1, data_scope: r.dataScope }))
          .execute();
        await trx.deleteFrom('panel_role_grants').where('role_id', '=', r.id).execute();
        await insertGrants(trx, r.id, r.grants);
      }
    });
  }

  async count(): Promise<number> {
    const row = await this.deps.db.selectFrom('panel_users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Every user, with roles and groups loaded in two queries (not two per user). */
  async list(): Promise<PanelUser[]> {
    const rows = await this.deps.db.selectFrom('panel_users').selectAll().orderBy('login').execute();
    const roles = await this.deps.db.selectFrom('panel_user_roles').select(['user_id', 'role_id']).orderBy('role_id').execute();
    const groups = await this.deps.db.selectFrom('panel_group_members').select(['user_id', 'group_id']).orderBy('group_id').execute();
    const byUser = <T extends { user_id: string }>(xs: T[], pick: (x: T) => string): Map<string, string[]> => {
      const m = new Map<string, string[]>();
      for (const x of xs) m.set(x.user_id, [...(m.get(x.user_id) ?? []), pick(x)]);
      return m;
    };
    const r = byUser(roles, (x) => x.role_id);
    const g = byUser(groups, (x) => x.group_id);
    return rows.map((row) => toUser(row, r.get(row.id) ?? [], g.get(row.id) ?? []));
  }

  async get(id: string, db: Db = this.deps.db): Promise<PanelUser> {
    const row = await db.selectFrom('panel_users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('user', id);
    return this.withLinks(db, row);
  }

  async findByLogin(login: string): Promise<PanelUser | null> {
    const row = await this.deps.db.selectFrom('panel_users').selectAll().where('login', '=', login).executeTakeFirst();
    return row ? this.withLinks(this.deps.db, row) : null;
  }

  /** Every work-order department, inactive ones included (a user may still be in one). */
  async listDepartments(): Promise<DepartmentOption[]> {
    const rows = await this.deps.db.selectFrom('departments').select(['id', 'code', 'name', 'parent_id', 'active']).orderBy('code').execute();
    return rows.map((r) => ({ id: r.id, code: r.code, name: r.name, parentId: r.parent_id, active: r.active === 1 }));
  }

  async listRoles(): Promise<Array<{ id: string; name: string; builtin: boolean; dataScope: DataScope }>> {
    const rows = await this.deps.db.selectFrom('panel_roles').selectAll().orderBy('builtin', 'desc').orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, builtin: r.builtin === 1, dataScope: r.data_scope }));
  }

  /**
   * Check a login and password. The password is verified even for unknown or disabled users
   * (against a dummy hash) so timing does not tell which logins exist.
   */
  async authenticate(login: string, password: string): Promise<{ ok: true; user: PanelUser } | { ok: false; reason: 'bad-credentials' | 'disabled' }> {
    const row = await this.deps.db.selectFrom('panel_users').selectAll().where('login', '=', login).executeTakeFirst();
    const good = await verifyPassword(password, row?.password_hash ?? this.dummy);
    if (!row || !good) return { ok: false, reason: 'bad-credentials' };
    if (row.disabled === 1) return { ok: false, reason: 'disabled' };
    return { ok: true, user: await this.withLinks(this.deps.db, row) };
  }

  async create(input: NewUser, by: Actor, outer?: Transaction<Database>): Promise<PanelUser> {
    const issues = validateUserFields(input);
    issues.push(...passwordProblems(input.password, input.login).map((k) => ({ path: 'password', message: k })));
    if (issues.length) throw new ValidationError('invalid user', issues);
    const hash = await hashPassword(input.password, this.cost);
    const now = this.deps.clock.now();
    const id = newId('usr', this.deps.clock);
    const run = async (trx: Transaction<Database>): Promise<PanelUser> => {
      const dup = await trx.selectFrom('panel_users').select('id').where('login', '=', input.login).executeTakeFirst();
      if (dup) throw new ConflictError(`login ${input.login} is taken`);
      await checkDepartment(trx, input.departmentId ?? null);
      await trx
        .insertInto('panel_users')
        .values({
          id,
          login: input.login,
          display_name: input.displayName.trim(),
          department_id: input.departmentId ?? null,
          password_hash: hash,
          must_change_password: input.mustChangePassword === false ? 0 : 1,
          ip_allow: JSON.stringify(cleanList(input.ipAllow ?? [])),
          password_changed_at: now,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await this.replaceRoles(trx, id, input.roles ?? []);
      const user = await this.get(id, trx);
      await this.deps.audit.record({ ...by, action: 'user.created', target: id, after: snapshot(user) }, trx);
      return user;
    };
    return outer ? run(outer) : this.deps.db.transaction().execute(run);
  }

  /** Change display name, department and IP allow-list. */
  async update(id: string, patch: { displayName?: string; departmentId?: string | null; ipAllow?: string[] }, by: Actor): Promise<PanelUser> {
    const issues = validateUserFields({ login: 'x0', displayName: patch.displayName ?? 'x', ipAllow: patch.ipAllow ?? [] });
    if (issues.length) throw new ValidationError('invalid user', issues);
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await this.get(id, trx);
      if (patch.departmentId !== undefined && patch.departmentId !== before.departmentId) await checkDepartment(trx, patch.departmentId);
      await trx
        .updateTable('panel_users')
        .set({
          ...(patch.displayName !== undefined && { display_name: patch.displayName.trim() }),
          ...(patch.departmentId !== undefined && { department_id: patch.departmentId }),
          ...(patch.ipAllow !== undefined && { ip_allow: JSON.stringify(cleanList(patch.ipAllow)) }),
          updated_at: this.deps.clock.now(),
        })
        .where('id', '=', id)
        .execute();
      const after = await this.get(id, trx);
      await this.deps.audit.record({ ...by, action: 'user.updated', target: id, before: snapshot(before), after: snapshot(after) }, trx);
      return after;
    });
  }

  /** Disable or enable; disabling ends every session of the user at once. */
  async setDisabled(id: string, disabled: boolean, by: Actor): Promise<PanelUser> {
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await this.get(id, trx);
      await trx.updateTable('panel_users').set({ disabled: disabled ? 1 : 0, updated_at: this.deps.clock.now() }).where('id', '=', id).execute();
      if (disabled) await trx.deleteFrom('panel_sessions').where('user_id', '=', id).execute();
      const after = await this.get(id, trx);
      await this.deps.audit.record(
        { ...by, action: disabled ? 'user.disabled' : 'user.enabled', target: id, before: snapshot(before), after: snapshot(after) },
        trx,
      );
      return after;
    });
  }

  /** Replace the user's own roles; ends the user's sessions (privileges changed). */
  async setRoles(id: string, roleIds: string[], by: Actor): Promise<PanelUser> {
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await this.get(id, trx);
      await this.replaceRoles(trx, id, roleIds);
      await trx.deleteFrom('panel_sessions').where('user_id', '=', id).execute();
      await trx.updateTable('panel_users').set({ updated_at: this.deps.clock.now() }).where('id', '=', id).execute();
      const after = await this.get(id, trx);
      await this.deps.audit.record({ ...by, action: 'user.roles-changed', target: id, before: snapshot(before), after: snapshot(after) }, trx);
      return after;
    });
  }

  /**
   * Set a new password and end all the user's sessions. `byUser` false means an administrator
   * reset it, so the user must change it at next sign-in.
   */
  async setPassword(id: string, password: string, by: Actor, opts: { byUser: boolean }): Promise<void> {
    const user = await this.get(id);
    const problems = passwordProblems(password, user.login);
    if (problems.length) throw new ValidationError('weak password', problems.map((k) => ({ path: 'password', message: k })));
    const hash = await hashPassword(password, this.cost);
    await this.deps.db.transaction().execute(async (trx) => {
      const now = this.deps.clock.now();
      await trx
        .updateTable('panel_users')
        .set({ password_hash: hash, must_change_password: opts.byUser ? 0 : 1, password_changed_at: now, updated_at: now })
        .where('id', '=', id)
        .execute();
      await trx.deleteFrom('panel_sessions').where('user_id', '=', id).execute();
      await this.deps.audit.record({ ...by, action: opts.byUser ? 'user.password-changed' : 'user.password-reset', target: id }, trx);
    });
  }

  async verifyOwnPassword(id: string, password: string): Promise<boolean> {
    const row = await this.deps.db.selectFrom('panel_users').select('password_hash').where('id', '=', id).executeTakeFirst();
    return verifyPassword(password, row?.password_hash ?? this.dummy);
  }

  // ---- groups and custom roles ----

  async createGroup(input: { name: string; description?: string; ipAllow?: string[]; roles?: string[] }, by: Actor): Promise<string> {
    const issues: FieldIssue[] = [];
    if (input.name.trim() === '' || input.name.length > DISPLAY_MAX) issues.push({ path: 'name', message: 'field.required' });
    issues.push(...cidrIssues(input.ipAllow ?? []));
    if (issues.length) throw new ValidationError('invalid group', issues);
    const id = newId('grp', this.deps.clock);
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('panel_groups')
        .values({ id, name: input.name.trim(), description: input.description ?? '', ip_allow: JSON.stringify(cleanList(input.ipAllow ?? [])), created_at: now, updated_at: now })
        .execute();
      await this.checkRoles(trx, input.roles ?? []);
      for (const r of input.roles ?? []) await trx.insertInto('panel_group_roles').values({ group_id: id, role_id: r }).execute();
      await this.deps.audit.record({ ...by, action: 'group.created', target: id, after: { ...input } }, trx);
    });
    return id;
  }

  /** Add or remove a member; the member's sessions end (their privileges changed). */
  async setMembership(groupId: string, userId: string, member: boolean, by: Actor): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      const before = await this.get(userId, trx);
      if (member) {
        await trx.insertInto('panel_group_members').values({ group_id: groupId, user_id: userId }).onConflict((oc) => oc.doNothing()).execute();
      } else {
        await trx.deleteFrom('panel_group_members').where('group_id', '=', groupId).where('user_id', '=', userId).execute();
      }
      await trx.deleteFrom('panel_sessions').where('user_id', '=', userId).execute();
      const after = await this.get(userId, trx);
      await this.deps.audit.record({ ...by, action: 'user.groups-changed', target: userId, before: snapshot(before), after: snapshot(after) }, trx);
    });
  }

  async createRole(input: { id?: string; name: string; dataScope: DataScope; grants: Grants }, by: Actor): Promise<string> {
    const issues: FieldIssue[] = [];
    if (input.name.trim() === '') issues.push({ path: 'name', message: 'field.required' });
    if (!DataScopes.includes(input.dataScope)) issues.push({ path: 'dataScope', message: 'field.invalid' });
    for (const [fn, ops] of Object.entries(input.grants)) {
      if (!isFunction(fn) || !(ops ?? []).every((o) => isOperation(o))) issues.push({ path: `grants.${fn}`, message: 'field.invalid' });
    }
    if (issues.length) throw new ValidationError('invalid role', issues);
    const id = input.id ?? newId('role', this.deps.clock);
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (trx) => {
      await trx.insertInto('panel_roles').values({ id, name: input.name.trim(), data_scope: input.dataScope, created_at: now, updated_at: now }).execute();
      await insertGrants(trx, id, input.grants);
      await this.deps.audit.record({ ...by, action: 'role.created', target: id, after: input }, trx);
    });
    return id;
  }

  // ---- what a user may do ----

  /** Effective permissions and data scope of a user (own roles plus group roles). */
  async access(userId: string): Promise<Access> {
    const roleIds = await this.effectiveRoleIds(this.deps.db, userId);
    const grants = roleIds.length
      ? await this.deps.db.selectFrom('panel_role_grants').select(['function', 'operation']).where('role_id', 'in', roleIds).execute()
      : [];
    const roles = roleIds.length ? await this.deps.db.selectFrom('panel_roles').select('data_scope').where('id', 'in', roleIds).execute() : [];
    const scope = roles.reduce<DataScope>((w, r) => (DataScopes.indexOf(r.data_scope) > DataScopes.indexOf(w) ? r.data_scope : w), 'self');
    const permissions = new Permissions(grants.map((g) => [g.function, g.operation] as const));
    return { permissions, scope, departmentIds: await this.departmentsFor(userId, scope) };
  }

  /** The IP allow-list check (intersection of the user's and their groups' lists). */
  async ipAllowed(userId: string, ip: string): Promise<boolean> {
    const user = await this.deps.db.selectFrom('panel_users').select('ip_allow').where('id', '=', userId).executeTakeFirst();
    const groups = await this.deps.db
      .selectFrom('panel_groups')
      .innerJoin('panel_group_members', 'panel_group_members.group_id', 'panel_groups.id')
      .select('panel_groups.ip_allow')
      .where('panel_group_members.user_id', '=', userId)
      .execute();
    const lists = [user?.ip_allow ?? '[]', ...groups.map((g) => g.ip_allow)].map((j) => parseCidrList(JSON.parse(j) as string[]).blocks);
    return lists.every((blocks) => blocks.length === 0 || inAnyCidr(blocks, ip));
  }

  private async departmentsFor(userId: string, scope: DataScope): Promise<string[] | null> {
    if (scope === 'all') return null;
    if (scope === 'self') return [];
    const row = await this.deps.db.selectFrom('panel_users').select('department_id').where('id', '=', userId).executeTakeFirst();
    const dept = row?.department_id;
    if (!dept) return [];
    if (scope === 'department') return [dept];
    const rows = await this.deps.db
      .withRecursive('tree(id)', (db) =>
        db
          .selectFrom('departments')
          .select('id')
          .where('id', '=', dept)
          .unionAll((db2) => db2.selectFrom('departments').innerJoin('tree', 'tree.id', 'departments.parent_id').select('departments.id')),
      )
      .selectFrom('tree')
      .select('id')
      .execute();
    return rows.map((r) => r.id);
  }

  private async effectiveRoleIds(db: Db, userId: string): Promise<string[]> {
    const own = await db.selectFrom('panel_user_roles').select('role_id').where('user_id', '=', userId).execute();
    const viaGroups = await db
      .selectFrom('panel_group_roles')
      .innerJoin('panel_group_members', 'panel_group_members.group_id', 'panel_group_roles.group_id')
      .select('panel_group_roles.role_id')
      .where('panel_group_members.user_id', '=', userId)
      .execute();
    return [...new Set([...own, ...viaGroups].map((r) => r.role_id))];
  }

  private async replaceRoles(trx: Transaction<Database>, userId: string, roleIds: string[]): Promise<void> {
    await this.checkRoles(trx, roleIds);
    await trx.deleteFrom('panel_user_roles').where('user_id', '=', userId).execute();
    for (const r of new Set(roleIds)) await trx.insertInto('panel_user_roles').values({ user_id: userId, role_id: r }).execute();
  }

  private async checkRoles(trx: Transaction<Database>, roleIds: string[]): Promise<void> {
    if (roleIds.length === 0) return;
    const found = await trx.selectFrom('panel_roles').select('id').where('id', 'in', roleIds).execute();
    const known = new Set(found.map((r) => r.id));
    const unknown = roleIds.filter((r) => !known.has(r));
    if (unknown.length) throw new ValidationError('unknown role', unknown.map(() => ({ path: 'roles', message: 'field.invalid' })));
  }

  private async withLinks(db: Db, r: Selectable<Database['panel_users']>): Promise<PanelUser> {
    const roles = await db.selectFrom('panel_user_roles').select('role_id').where('user_id', '=', r.id).orderBy('role_id').execute();
    const groups = await db.selectFrom('panel_group_members').select('group_id').where('user_id', '=', r.id).orderBy('group_id').execute();
    return toUser(
      r,
      roles.map((x) => x.role_id),
      groups.map((x) => x.group_id),
    );
  }
}

function toUser(r: Selectable<Database['panel_users']>, roles: string[], groups: string[]): PanelUser {
  return {
    id: r.id,
    login: r.login,
    displayName: r.display_name,
    departmentId: r.department_id,
    disabled: r.disabled === 1,
    mustChangePassword: r.must_change_password === 1,
    ipAllow: JSON.parse(r.ip_allow) as string[],
    roles,
    groups,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

async function insertGrants(trx: Transaction<Database>, roleId: string, grants: Grants): Promise<void> {
  for (const [fn, ops] of Object.entries(grants)) {
    for (const op of ops ?? []) await trx.insertInto('panel_role_grants').values({ role_id: roleId, function: fn, operation: op }).execute();
  }
}

/** What the audit log keeps of a user: everything but secrets. */
export function snapshot(u: PanelUser): Record<string, unknown> {
  return {
    login: u.login,
    displayName: u.displayName,
    departmentId: u.departmentId,
    disabled: u.disabled,
    mustChangePassword: u.mustChangePassword,
    ipAllow: u.ipAllow,
    roles: u.roles,
    groups: u.groups,
  };
}

/** A department being assigned must exist and be active; null (no department) is always fine. */
async function checkDepartment(trx: Transaction<Database>, departmentId: string | null): Promise<void> {
  if (departmentId === null) return;
  const row = await trx.selectFrom('departments').select('active').where('id', '=', departmentId).executeTakeFirst();
  if (row?.active !== 1) throw new ValidationError('unknown department', [{ path: 'departmentId', message: 'field.invalid' }]);
}

function cleanList(list: readonly string[]): string[] {
  return list.map((s) => s.trim()).filter((s) => s !== '');
}

function cidrIssues(list: readonly string[]): FieldIssue[] {
  return parseCidrList(list).invalid.map(() => ({ path: 'ipAllow', message: 'field.cidr' }));
}

function validateUserFields(input: { login: string; displayName: string; ipAllow?: string[] }): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!LOGIN_PATTERN.test(input.login)) issues.push({ path: 'login', message: 'field.login' });
  const name = input.displayName.trim();
  if (name === '' || [...name].length > DISPLAY_MAX) issues.push({ path: 'displayName', message: 'field.required' });
  issues.push(...cidrIssues(input.ipAllow ?? []));
  return issues;
}
