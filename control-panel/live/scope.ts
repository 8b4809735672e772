/**
 * Data scope for live boards (issue 9: "data scope by department"; auth/users.ts `Access`):
 * a queue or agent is visible when its department is one of the user's departments, or when
 * the user's scope is "all" (departmentIds null). Something without a department is visible
 * only to "all".
 */
import type { Access } from '../auth/users.js';
import type { AcdDirectory, AgentInfo, QueueInfo } from './ports.js';

export function inScope(access: Access | null, departmentId: string | null): boolean {
  if (!access) return false;
  if (access.departmentIds === null) return true;
  return departmentId !== null && access.departmentIds.includes(departmentId);
}

export function visibleQueues(access: Access | null, dir: AcdDirectory): QueueInfo[] {
  return dir.queues().filter((q) => inScope(access, q.departmentId));
}

export function visibleAgents(access: Access | null, dir: AcdDirectory): AgentInfo[] {
  return dir.agents().filter((a) => inScope(access, a.departmentId));
}
