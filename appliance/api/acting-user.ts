/**
 * The person an API request acts for. Work-order guards (workorders/transitions.ts) and
 * knowledge edit rights look at a person's id, roles and departments, but an API key is an
 * integration (the CRM, a field-service app), not a person. A key holding `workorders:act-as`
 * may name the person in headers:
 *
 *   X-Acting-User: user:lineman          (kind:id, as in audit rows)
 *   X-Acting-Roles: field,agent          (comma-separated, optional)
 *   X-Acting-Departments: field          (comma-separated, optional)
 *
 * Without them the key acts as itself (`apikey:<id>`, no roles, no departments). The audit row
 * always names the key; the domain's own history names the acting person.
 */
import type { Request } from 'express';
import { ValidationError, type FieldIssue } from '../core/errors.js';
import type { ApiKeyInfo } from './api-keys.js';
import { ForbiddenError } from './error-map.js';

export interface ActingUser {
  id: string;
  roles: string[];
  departmentIds: string[];
  ip: string | null;
  /** True when named by headers rather than the key itself. */
  delegated: boolean;
}

const USER = /^[a-z][a-z0-9-]{0,15}:[\w.@-]{1,64}$/;
const NAME = /^[\w.-]{1,64}$/;

function list(req: Request, header: string, issues: FieldIssue[]): string[] {
  const raw = req.get(header);
  if (raw === undefined || raw.trim() === '') return [];
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  items.forEach((s, i) => {
    if (!NAME.test(s)) issues.push({ path: `(header) ${header}.${i}`, message: 'letters, digits, _ . - only' });
  });
  return items;
}

export function actingUser(req: Request, key: ApiKeyInfo | null): ActingUser {
  const ip = req.ip ?? null;
  // A signed-in panel user (session-auth.ts) acts as themselves, with their own roles.
  if (key?.session) {
    if (req.get('x-acting-user') !== undefined) throw new ForbiddenError('X-Acting-User needs the workorders:act-as scope');
    return { id: `user:${key.session.userId}`, roles: key.session.roles, departmentIds: key.session.departmentIds ?? [], ip, delegated: false };
  }
  const self = key ? `apikey:${key.id}` : 'anonymous';
  const named = req.get('x-acting-user');
  if (named === undefined) return { id: self, roles: [], departmentIds: [], ip, delegated: false };
  if (!key?.scopes.includes('workorders:act-as')) throw new ForbiddenError('X-Acting-User needs the workorders:act-as scope');
  const issues: FieldIssue[] = [];
  if (!USER.test(named)) issues.push({ path: '(header) X-Acting-User', message: 'expected kind:id, e.g. user:42' });
  const roles = list(req, 'X-Acting-Roles', issues);
  const departmentIds = list(req, 'X-Acting-Departments', issues);
  if (issues.length > 0) throw new ValidationError(`${issues.length} invalid header(s)`, issues);
  return { id: named, roles, departmentIds, ip, delegated: true };
}
