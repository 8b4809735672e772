/**
 * Administration of user groups and roles (issue 9 "RBAC": "user groups → roles → users";
 * seed 用户组群 → 岗位角色 → 操作人员). A role is a name, a data scope and a grid of grants
 * (function × operation, permissions.ts); a group is a name, an IP allow-list, the roles it
 * gives and its members. Inputs are checked with zod (the forms and any future REST body use
 * the same schemas); field issues carry i18n keys.
 *
 * Rules:
 * - Built-in roles are read-only: their grants follow the code (Users.ensureBuiltinRoles
 *   rewrites them at every start) and they cannot be deleted (ProtectedRoleError).
 * - A role still given to a user or a group cannot be deleted (RoleInUseError): take it away
 *   first, so no one loses rights by a side effect.
 * - No self-escalation (least privilege): a change that would give the acting user a
 *   permission they do not hold now is refused (EscalationError) and rolled back.
 * - Every change is audited with before/after snapshots in the change's transaction, and the
 *   sessions of every user whose rights changed end in it too (W6: new session on privilege
 *   change); `affected` names them so the caller can renew its own.
 */
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../../appliance/core/clock.js';
import { AppError, ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../../appliance/core/errors.js';
import { newId } from '../../appliance/core/ids.js';
import type { AuditLog } from '../../appliance/ops/audit.js';
import type { Database } from '../../appliance/store/schema.js';
import { parseCidrList } from './cidr.js';
import { DataScopes, Functions, Operations, type DataScope, type Grants, type Operation, type PanelFunction } from './permissions.js';

type Db = Kysely<Database>;

/** Who acts: the audit actor, and the panel user (for the self-escalation check). */
export interface AdminActor {
  actor: string;
  ip: string | null;
  userId: string | null;
}

export class ProtectedRoleError extends ConflictError {
  constructor(readonly roleId: string) {
    super(`role ${roleId} is built in`);
  }
}

export class RoleInUseError extends ConflictError {
  constructor(
    readonly roleId: string,
    readonly users: number,
    readonly groups: number,
  ) {
    super(`role ${roleId} is given to ${users} user(s) and ${groups} group(s)`);
  }
}

export class EscalationError extends AppError {
  constructor(readonly gained: readonly string[]) {
    super('FORBIDDEN', `the change would give the acting user ${gained.join(', ')}`);
  }
}

const name = z.string().trim().min(1, 'field.required').max(100, 'field.invalid');
const description = z.string().trim().max(500, 'field.invalid').default('');
const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'field.invalid');
const grantKey = z
  .string()
  .refine((g) => {
    const [fn, op, extra] = g.split(':');
    return extra === undefined && (Functions as readonly string[]).includes(fn ?? '') && (Operations as readonly string[]).includes(op ?? '');
  }, 'field.invalid');

/** A role as the form and the service take it; grants are `function:operation` keys. */
export const RoleInputSchema = z.strictObject({
  name,
  description,
  dataScope: z.enum(DataScopes, { error: 'field.invalid' }),
  grants: z.array(grantKey).max(Functions.length * Operations.length),
});
export type RoleInput = z.input<typeof RoleInputSchema>;

export const GroupInputSchema = z.strictObject({
  name,
  description,
  ipAllow: z
    .array(z.string().trim())
    .max(100)
    .transform((l) => l.filter((x) => x !== ''))
    .refine((l) => parseCidrList(l).invalid.length === 0, 'field.cidr'),
  roles: z.array(id).max(100),
  members: z.array(id).max(10_000),
});
export type GroupInput = z.input<typeof GroupInputSchema>;

export interface RoleView {
  id: string;
  name: string;
  description: string;
  builtin: boolean;
  dataScope: DataScope;
  /** `function:operation` keys, sorted. */
  grants: string[];
  users: number;
  groups: number;
}

export interface GroupView {
  id: string;
  name: string;
  description: string;
  ipAllow: string[];
  roles: string[];
  /** Member user ids. */
  members: string[];
}

export interface Changed<T> {
  value: T;
  /** Users whose sessions were ended because their rights changed. */
  affected: string[];
}

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues: FieldIssue[] = r.error.issues.map((i) => ({ path: String(i.path[0] ?? '(root)'), message: i.message.startsWith('field.') ? i.message : 'field.invalid' }));
  throw new ValidationError(`invalid ${what}`, issues);
}

export function grantsToKeys(g: Grants): string[] {
  return Object.entries(g).flatMap(([fn, ops]) => (ops ?? []).map((op) => `${fn}:${op}`)).sort();
}

export function keysToGrants(keys: readonly string[]): Grants {
  const out: Partial<Record<PanelFunction, Operation[]>> = {};
  for (const k of keys) {
    const [fn, op] = k.split(':') as [PanelFunction, Operation];
    (out[fn] ??= []).push(op);
  }
  return out;
}

export class RolesAdmin {
  constructor(private readonly deps: { db: Db; clock: Pick<Clock, 'now'>; audit: AuditLog }) {}

  // ---- roles ----

  async listRoles(db: Db = this.deps.db): Promise<RoleView[]> {
    const rows = await db.selectFrom('panel_roles').selectAll().orderBy('builtin', 'desc').orderBy('name').execute();
    const grants = await db.selectFrom('panel_role_grants').select(['role_id', 'function', 'operation']).execute();
    const users = await db.selectFrom('panel_user_roles').select(['role_id']).execute();
    const groups = await db.selectFrom('panel_group_roles').select(['role_id']).execute();
    const count = (xs: Array<{ role_id: string }>, r: string): number => xs.filter((x) => x.role_id === r).length;
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      builtin: r.builtin === 1,
      dataScope: r.data_scope,
      grants: grants.filter((g) => g.role_id === r.id).map((g) => `${g.function}:${g.operation}`).sort(),
      users: count(users, r.id),
      groups: count(groups, r.id),
    }));
  }

  async role(roleId: string, db: Db = this.deps.db): Promise<RoleView> {
    const r = (await this.listRoles(db)).find((x) => x.id === roleId);
    if (!r) throw new NotFoundError('role', roleId);
    return r;
  }

  async createRole(input: unknown, by: AdminActor): Promise<Changed<RoleView>> {
    const v = parse(RoleInputSchema, input, 'role');
    const roleId = newId('role', this.deps.clock);
    return this.change(by, async (trx) => {
      const now = this.deps.clock.now();
      await trx.insertInto('panel_roles').values({ id: roleId, name: v.name, description: v.description, data_scope: v.dataScope, builtin: 0, created_at: now, updated_at: now }).execute();
      await this.writeGrants(trx, roleId, v.grants);
      const after = await this.role(roleId, trx);
      await this.deps.audit.record({ actor: by.actor, ip: by.ip, action: 'role.created', target: roleId, after: roleSnapshot(after) }, trx);
      return { value: after, affected: [] };
    });
  }

  async updateRole(roleId: string, input: unknown, by: AdminActor): Promise<Changed<RoleView>> {
    const v = parse(RoleInputSchema, input, 'role');
    return this.change(by, async (trx) => {
      const before = await this.role(roleId, trx);
      if (before.builtin) throw new ProtectedRoleError(roleId);
      await trx.updateTable('panel_roles').set({ name: v.name, description: v.description, data_scope: v.dataScope, updated_at: this.deps.clock.now() }).where('id', '=', roleId).execute();
      await trx.deleteFrom('panel_role_grants').where('role_id', '=', roleId).execute();
      await this.writeGrants(trx, roleId, v.grants);
      const after = await this.role(roleId, trx);
      const affected = rightsChanged(before, after) ? await this.holders(trx, roleId) : [];
      await this.endSessions(trx, affected);
      await this.deps.audit.record({ actor: by.actor, ip: by.ip, action: 'role.updated', target: roleId, before: roleSnapshot(before), after: roleSnapshot(after) }, trx);
      return { value: after, affected };
    });
  }

  async deleteRole(roleId: string, by: AdminActor): Promise<void> {
    await this.change(by, async (trx) => {
      const before = await this.role(roleId, trx);
      if (before.builtin) throw new ProtectedRoleError(roleId);
      if (before.users + before.groups > 0) throw new RoleInUseError(roleId, before.users, before.groups);
      await trx.deleteFrom('panel_roles').where('id', '=', roleId).execute();
      await this.deps.audit.record({ actor: by.actor, ip: by.ip, action: 'role.deleted', target: roleId, before: roleSnapshot(before) }, trx);
      return { value: undefined, affected: [] };
    });
  }

  // ---- groups ----

  async listGroups(db: Db = this.deps.db): Promise<GroupView[]> {
    const rows = await db.selectFrom('panel_groups').selectAll().orderBy('name').execute();
    const roles = await db.selectFrom('panel_group_roles').select(['group_id', 'role_id']).orderBy('role_id').execute();
    const members = await db.selectFrom('panel_group_members').select(['group_id', 'user_id']).orderBy('user_id').execute();
    return rows.map((g) => ({
      id: g.id,
      name: g.name,
      description: g.description,
      ipAllow: JSON.parse(g.ip_allow) as string[],
      roles: roles.filter((r) => r.group_id === g.id).map((r) => r.role_id),
      members: members.filter((m) => m.group_id === g.id).map((m) => m.user_id),
    }));
  }

  async group(groupId: string, db: Db = this.deps.db): Promise<GroupView> {
    const g = (await this.listGroups(db)).find((x) => x.id === groupId);
    if (!g) throw new NotFoundError('group', groupId);
    return g;
  }

  async createGroup(input: unknown, by: AdminActor): Promise<Changed<GroupView>> {
    const v = parse(GroupInputSchema, input, 'group');
    const groupId = newId('grp', this.deps.clock);
    return this.change(by, async (trx) => {
      await this.checkNameFree(trx, v.name, null);
      const now = this.deps.clock.now();
      await trx.insertInto('panel_groups').values({ id: groupId, name: v.name, description: v.description, ip_allow: JSON.stringify(v.ipAllow), created_at: now, updated_at: now }).execute();
      await this.writeLinks(trx, groupId, v.roles, v.members);
      const after = await this.group(groupId, trx);
      const affected = after.roles.length || after.ipAllow.length ? after.members : [];
      await this.endSessions(trx, affected);
      await this.deps.audit.record({ actor: by.actor, ip: by.ip, action: 'group.created', target: groupId, after }, trx);
      return { value: after, affected };
    });
  }

  async updateGroup(groupId: string, input: unknown, by: AdminActor): Promise<Changed<GroupView>> {
    const v = parse(GroupInputSchema, input, 'group');
    return this.change(by, async (trx) => {
      const before = await this.group(groupId, trx);
      await this.checkNameFree(trx, v.name, groupId);
      await trx.updateTable('panel_groups').set({ name: v.name, description: v.description, ip_allow: JSON.stringify(v.ipAllow), updated_at: this.deps.clock.now() }).where('id', '=', groupId).execute();
      await trx.deleteFrom('panel_group_roles').where('group_id', '=', groupId).execute();
      await trx.deleteFrom('panel_group_members').where('group_id', '=', groupId).execute();
      await this.writeLinks(trx, groupId, v.roles, v.members);
      const after = await this.group(groupId, trx);
      const rightsMoved = !sameSet(before.roles, after.roles) || !sameSet(before.ipAllow, after.ipAllow);
      const affected = rightsMoved ? union(before.members, after.members) : symmetricDifference(before.members, after.members);
      await this.endSessions(trx, affected);
      await this.deps.audit.record({ actor: by.actor, ip: by.ip, action: 'group.updated', target: groupId, before, after }, trx);
      return { value: after, affected };
    });
  }

  async deleteGroup(groupId: string, by: AdminActor): Promise<Changed<undefined>> {
    return this.change(by, async (trx) => {
      const before = await this.group(groupId, trx);
      await trx.deleteFrom('panel_groups').where('id', '=', groupId).execute();
      await this.endSessions(trx, before.members);
      await this.deps.audit.record({ actor: by.actor, ip: by.ip, action: 'group.deleted', target: groupId, before }, trx);
      return { value: undefined, affected: before.members };
    });
  }

  // ---- internals ----

  /** Run a change in a transaction; roll it back if it gave the actor a permission they lacked. */
  private async change<T>(by: AdminActor, fn: (trx: Transaction<Database>) => Promise<Changed<T>>): Promise<Changed<T>> {
    return this.deps.db.transaction().execute(async (trx) => {
      const before = by.userId ? await permissionKeys(trx, by.userId) : null;
      const out = await fn(trx);
      if (by.userId && before) {
        const after = await permissionKeys(trx, by.userId);
        const gained = [...after].filter((k) => !before.has(k)).sort();
        if (gained.length) throw new EscalationError(gained);
      }
      return out;
    });
  }

  private async writeGrants(trx: Transaction<Database>, roleId: string, keys: readonly string[]): Promise<void> {
    for (const k of new Set(keys)) {
      const [fn, op] = k.split(':') as [string, Operation];
      await trx.insertInto('panel_role_grants').values({ role_id: roleId, function: fn, operation: op }).execute();
    }
  }

  private async writeLinks(trx: Transaction<Database>, groupId: string, roles: readonly string[], members: readonly string[]): Promise<void> {
    const issues: FieldIssue[] = [];
    const rs = [...new Set(roles)];
    const ms = [...new Set(members)];
    if (rs.length) {
      const known = new Set((await trx.selectFrom('panel_roles').select('id').where('id', 'in', rs).execute()).map((r) => r.id));
      if (rs.some((r) => !known.has(r))) issues.push({ path: 'roles', message: 'field.invalid' });
    }
    if (ms.length) {
      const known = new Set((await trx.selectFrom('panel_users').select('id').where('id', 'in', ms).execute()).map((r) => r.id));
      if (ms.some((m) => !known.has(m))) issues.push({ path: 'members', message: 'field.invalid' });
    }
    if (issues.length) throw new ValidationError('invalid group', issues);
    for (const r of rs) await trx.insertInto('panel_group_roles').values({ group_id: groupId, role_id: r }).execute();
    for (const m of ms) await trx.insertInto('panel_group_members').values({ group_id: groupId, user_id: m }).execute();
  }

  private async checkNameFree(trx: Transaction<Database>, groupName: string, self: string | null): Promise<void> {
    const dup = await trx.selectFrom('panel_groups').select('id').where('name', '=', groupName).executeTakeFirst();
    if (dup && dup.id !== self) throw new ValidationError('invalid group', [{ path: 'name', message: 'field.taken' }]);
  }

  /** Users holding a role directly or through a group. */
  private async holders(trx: Transaction<Database>, roleId: string): Promise<string[]> {
    const direct = await trx.selectFrom('panel_user_roles').select('user_id').where('role_id', '=', roleId).execute();
    const viaGroups = await trx
      .selectFrom('panel_group_members')
      .innerJoin('panel_group_roles', 'panel_group_roles.group_id', 'panel_group_members.group_id')
      .select('panel_group_members.user_id')
      .where('panel_group_roles.role_id', '=', roleId)
      .execute();
    return [...new Set([...direct, ...viaGroups].map((r) => r.user_id))].sort();
  }

  private async endSessions(trx: Transaction<Database>, userIds: readonly string[]): Promise<void> {
    if (userIds.length) await trx.deleteFrom('panel_sessions').where('user_id', 'in', [...userIds]).execute();
  }
}

/** A user's effective `function:operation` keys and data scope (`scope:<s>`), read in `db`. */
async function permissionKeys(db: Db, userId: string): Promise<Set<string>> {
  const own = await db.selectFrom('panel_user_roles').select('role_id').where('user_id', '=', userId).execute();
  const viaGroups = await db
    .selectFrom('panel_group_roles')
    .innerJoin('panel_group_members', 'panel_group_members.group_id', 'panel_group_roles.group_id')
    .select('panel_group_roles.role_id')
    .where('panel_group_members.user_id', '=', userId)
    .execute();
  const roleIds = [...new Set([...own, ...viaGroups].map((r) => r.role_id))];
  if (!roleIds.length) return new Set();
  const grants = await db.selectFrom('panel_role_grants').select(['function', 'operation']).where('role_id', 'in', roleIds).execute();
  const scopes = await db.selectFrom('panel_roles').select('data_scope').where('id', 'in', roleIds).execute();
  const widest = scopes.reduce((w, r) => Math.max(w, DataScopes.indexOf(r.data_scope)), 0);
  // A wider data scope is a gain too: every scope up to the widest counts as held.
  return new Set([...grants.map((g) => `${g.function}:${g.operation}`), ...DataScopes.slice(0, widest + 1).map((s) => `scope:${s}`)]);
}

function roleSnapshot(r: RoleView): Record<string, unknown> {
  return { name: r.name, description: r.description, dataScope: r.dataScope, grants: r.grants };
}

function rightsChanged(a: RoleView, b: RoleView): boolean {
  return a.dataScope !== b.dataScope || !sameSet(a.grants, b.grants);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

function symmetricDifference(a: readonly string[], b: readonly string[]): string[] {
  const x = new Set(a);
  const y = new Set(b);
  return [...a.filter((v) => !y.has(v)), ...b.filter((v) => !x.has(v))].sort();
}
