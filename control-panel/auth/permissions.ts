/**
 * The RBAC vocabulary (issue 9: "a role grants functions and, per function, operations (view /
 * create / edit / delete / export / monitor); data scope by department") and the four
 * least-privilege built-in roles. Names are stable codes stored in `panel_role_grants`;
 * display names live in the i18n dictionary (`fn.<function>`, `op.<operation>`).
 *
 * Least privilege: the administrator runs the system (users, telephony, settings, audit) but
 * gets no business data (work orders, recordings, monitoring); a person who needs both holds
 * two roles, and every grant is audited.
 */
export const Operations = ['view', 'create', 'edit', 'delete', 'export', 'monitor'] as const;
export type Operation = (typeof Operations)[number];

export const Functions = [
  'dashboard',
  'agent-desktop',
  'supervisor',
  'wallboard',
  'workorders',
  'recordings',
  'quality',
  'reports',
  'telephony',
  'users',
  'sessions',
  'audit',
  'system',
] as const;
export type PanelFunction = (typeof Functions)[number];

export const DataScopes = ['self', 'department', 'department-tree', 'all'] as const;
export type DataScope = (typeof DataScopes)[number];

export type Grants = Partial<Record<PanelFunction, readonly Operation[]>>;

export interface BuiltinRole {
  id: string;
  name: string;
  description: string;
  dataScope: DataScope;
  grants: Grants;
}

export const BuiltinRoles: readonly BuiltinRole[] = [
  {
    id: 'agent',
    name: '坐席',
    description: '接听来电、处理工单 / handles calls and work orders',
    dataScope: 'self',
    grants: { dashboard: ['view'], 'agent-desktop': ['view', 'edit'], workorders: ['view', 'create', 'edit'] },
  },
  {
    id: 'supervisor',
    name: '班长',
    description: '监控坐席与队列 / supervises agents and queues',
    dataScope: 'department-tree',
    grants: {
      dashboard: ['view'],
      supervisor: ['view', 'monitor', 'edit'],
      wallboard: ['view'],
      workorders: ['view', 'create', 'edit', 'export'],
      recordings: ['view'],
      reports: ['view', 'export'],
    },
  },
  {
    id: 'admin',
    name: '管理员',
    description: '系统管理 / system administration',
    dataScope: 'all',
    grants: {
      dashboard: ['view'],
      telephony: ['view', 'create', 'edit', 'delete'],
      users: ['view', 'create', 'edit', 'delete'],
      sessions: ['view', 'delete'],
      audit: ['view', 'export'],
      system: ['view', 'edit'],
    },
  },
  {
    id: 'qa',
    name: '质检',
    description: '录音质检评分 / scores recorded calls',
    dataScope: 'department-tree',
    grants: {
      dashboard: ['view'],
      recordings: ['view'],
      quality: ['view', 'create', 'edit'],
      reports: ['view'],
    },
  },
];

/** Functions whose holders get the shorter idle timeout (W6: "admin 15 min"). */
export const ADMIN_FUNCTIONS: readonly PanelFunction[] = ['users', 'sessions', 'system', 'telephony'];

/** A user's effective permissions: a set of `function:operation` strings. */
export class Permissions {
  private readonly set: ReadonlySet<string>;

  constructor(pairs: Iterable<readonly [string, string]>) {
    this.set = new Set([...pairs].map(([f, o]) => `${f}:${o}`));
  }

  can(fn: PanelFunction, op: Operation): boolean {
    return this.set.has(`${fn}:${op}`);
  }

  /** True when any admin function is granted. */
  get privileged(): boolean {
    return ADMIN_FUNCTIONS.some((f) => Operations.some((o) => this.can(f, o)));
  }

  list(): string[] {
    return [...this.set].sort();
  }
}

const operationSet: ReadonlySet<string> = new Set(Operations);
const functionSet: ReadonlySet<string> = new Set(Functions);

export function isOperation(s: string): s is Operation {
  return operationSet.has(s);
}

export function isFunction(s: string): s is PanelFunction {
  return functionSet.has(s);
}
