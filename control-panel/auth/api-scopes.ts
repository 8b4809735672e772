/**
 * The one table from API scopes (appliance/api/scopes.ts) to the panel's RBAC vocabulary
 * (permissions.ts), so a signed-in panel user calling /api/v1 is held to the same grants as on
 * the pages (issue 9: "the same checks guard pages, htmx fragments and the REST API"). A scope
 * mapped to `api-key-only` is for integrations alone (acting for another person, the demo
 * exchange) and no session may use it. Every scope must appear here: api-scopes.test.ts fails
 * on a new scope until someone decides what it means for panel users.
 */
import type { Scope } from '../../appliance/api/scopes.js';
import { Permissions, type Operation, type PanelFunction } from './permissions.js';

export type ScopeGrant = readonly [PanelFunction, Operation] | 'api-key-only';

export const ScopePermissions: Partial<Record<Scope, ScopeGrant>> = {
  'system:read': ['system', 'view'],
  'admin:api-keys': ['system', 'edit'],
  'audit:read': ['audit', 'view'],
  'webhooks:read': ['system', 'view'],
  'webhooks:write': ['system', 'edit'],
  'customers:read': ['workorders', 'view'],
  'customers:write': ['workorders', 'edit'],
  'customers:tiers': ['system', 'edit'],
  'workorders:read': ['workorders', 'view'],
  'workorders:write': ['workorders', 'edit'],
  'admin:workorders': ['system', 'edit'],
  'workorders:act-as': 'api-key-only',
  'messages:read': ['dashboard', 'view'],
  'messages:write': ['supervisor', 'edit'],
  'calls:read': ['reports', 'view'],
  'calls:write': ['agent-desktop', 'edit'],
  'trunks:read': ['telephony', 'view'],
  'trunks:write': ['telephony', 'edit'],
  'queues:read': ['supervisor', 'view'],
  'queues:write': ['telephony', 'edit'],
  'knowledge:read': ['agent-desktop', 'view'],
  'knowledge:internal': ['agent-desktop', 'view'],
  'knowledge:write': ['supervisor', 'edit'],
  'knowledge:send': ['agent-desktop', 'edit'],
  'reports:read': ['reports', 'view'],
  'ivr:read': ['telephony', 'view'],
  'ivr:write': ['telephony', 'edit'],
  'acd:supervise': ['supervisor', 'edit'],
  'demo:write': 'api-key-only',
  'appointments:read': ['workorders', 'view'],
  'appointments:write': ['workorders', 'edit'],
};

/** What a session needs for `scope`; an unmapped scope is key-only until mapped. */
export function grantFor(scope: Scope): ScopeGrant {
  return ScopePermissions[scope] ?? 'api-key-only';
}

/** Every scope a holder of `permissions` may use from a session. */
export function scopesFor(permissions: Permissions): Scope[] {
  return (Object.entries(ScopePermissions) as Array<[Scope, ScopeGrant]>)
    .filter(([, g]) => g !== 'api-key-only' && permissions.can(g[0], g[1]))
    .map(([s]) => s);
}
