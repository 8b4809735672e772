/**
 * The live boards' AcdDirectory (ports.ts) built from the ACD's own configuration, so the data
 * scope of the supervisor console and wallboard (issue 9: "data scope by department"; issue 6:
 * supervisors who see and steer their own queues) follows real work-order departments.
 *
 * - A queue's department is its `QueueConfig.departmentId` (appliance/acd/model.ts).
 * - An agent's department is its `AgentConfig.departmentId` when set; otherwise the department
 *   of the panel user whose login is the agent id — the same link `agentIdFor` uses to put a
 *   signed-in user at their desk — so an agent who is also a panel user needs their department
 *   set once, on the user account; an explicit agent department overrides it.
 * - Neither: null, which only centre-wide users see (scope.ts).
 *
 * The boards call `agents()` for every event they project, so users' departments are read at
 * most once per `refreshMs` of the clock's monotonic time (a department change on a user
 * account shows on the boards within that time); the ACD's configuration is read every time.
 */
import type { Acd } from '../../appliance/acd/acd.js';
import type { Clock } from '../../appliance/core/clock.js';
import type { Store } from '../../appliance/store/database.js';
import { SyncQueries } from '../../appliance/store/sync-query.js';
import type { AcdDirectory } from './ports.js';

/** How long users' departments are reused before they are read again. */
export const USER_DEPARTMENTS_REFRESH_MS = 5_000;

export interface AcdDirectoryDeps {
  acd: Pick<Acd, 'queueConfigs' | 'agentConfigs'>;
  /** Panel user login → department id, for users that have one (see `panelUserDepartments`). */
  userDepartments?: () => ReadonlyMap<string, string>;
  clock: Pick<Clock, 'monotonic'>;
  refreshMs?: number;
}

export function acdDirectory(deps: AcdDirectoryDeps): AcdDirectory {
  const { acd, clock } = deps;
  const refreshMs = deps.refreshMs ?? USER_DEPARTMENTS_REFRESH_MS;
  let users: ReadonlyMap<string, string> = new Map();
  let readAt = Number.NEGATIVE_INFINITY;
  const userDepartments = (): ReadonlyMap<string, string> => {
    if (!deps.userDepartments) return users;
    const now = clock.monotonic();
    if (now - readAt >= refreshMs) {
      users = deps.userDepartments();
      readAt = now;
    }
    return users;
  };
  return {
    agentIdFor: (u) => (acd.agentConfigs().some((a) => a.id === u.login) ? u.login : null),
    queues: () => acd.queueConfigs().map((q) => ({ id: q.id, name: q.name, departmentId: q.departmentId ?? null })),
    agents: () => {
      const byLogin = userDepartments();
      return acd.agentConfigs().map((a) => ({ id: a.id, name: a.name, departmentId: a.departmentId ?? byLogin.get(a.id) ?? null }));
    },
  };
}

/** Login → department of every panel user that has one (auth/users.ts `PanelUser.departmentId`). */
export function panelUserDepartments(store: Pick<Store, 'sqlite' | 'db'>): () => ReadonlyMap<string, string> {
  const q = new SyncQueries(store.sqlite);
  const query = store.db.selectFrom('panel_users').select(['login', 'department_id']).where('department_id', 'is not', null).compile();
  return () => new Map(q.all(query).flatMap((r) => (r.department_id === null ? [] : [[r.login, r.department_id] as const])));
}
