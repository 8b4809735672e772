/**
 * The panel's routes as the tests see them (issue 9 acceptance: "an authorisation matrix test:
 * every route × every built-in role → allowed or 403 as the RBAC table says"). Routes are read
 * from the express router's own stack, so a route added anywhere is included without editing a
 * test, and checked against `panel.routes` (the declared access of each). What a role may do
 * comes from the RBAC table (auth/permissions.ts BuiltinRoles), never from a list in a test.
 */
import { BuiltinRoles, type Operation, type PanelFunction } from '../auth/permissions.js';
import type { Panel, RouteInfo } from '../panel.js';

export interface MountedRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
}

type Layer = { route?: { path: string; methods: Record<string, boolean> } };

/** Static assets (htmx, the favicon) are served to everyone and are not panel functions. */
export function isStaticAsset(p: string): boolean {
  return p === '/favicon.ico' || p.startsWith('/static/');
}

/** Every (method, path) the router really answers, from its stack. */
export function mountedRoutes(panel: Panel): MountedRoute[] {
  const out: MountedRoute[] = [];
  for (const layer of (panel as unknown as { stack: Layer[] }).stack) {
    if (!layer.route || isStaticAsset(layer.route.path)) continue;
    for (const m of Object.keys(layer.route.methods)) {
      const method = m.toUpperCase();
      if (method === 'HEAD' || method === '_ALL') continue;
      out.push({ method: method as MountedRoute['method'], path: layer.route.path });
    }
  }
  return out;
}

/** The mounted routes joined with their declared access; throws when one is undeclared. */
export function routeTable(panel: Panel): Array<RouteInfo & { mounted: MountedRoute }> {
  return mountedRoutes(panel).map((m) => {
    const info = panel.routes.find((r) => r.method.toUpperCase() === m.method && r.path === m.path);
    if (!info) throw new Error(`route ${m.method} ${m.path} is mounted but has no declared access`);
    return { ...info, mounted: m };
  });
}

export const BUILTIN_ROLE_IDS: readonly string[] = BuiltinRoles.map((r) => r.id);

/** Whether the RBAC table lets a user holding only `roleId` through the guard of `access`. */
export function roleMay(roleId: string, access: RouteInfo['access']): boolean {
  if (access === 'public' || access === 'user') return true;
  const [fn, op] = access as readonly [PanelFunction, Operation];
  return BuiltinRoles.find((r) => r.id === roleId)?.grants[fn]?.includes(op) ?? false;
}

/** A concrete path for a route pattern: each `:param` becomes a value naming no record. */
export function concretePath(pattern: string, values: Record<string, string> = {}): string {
  return pattern.replace(/:([A-Za-z_]\w*)/g, (_m, name: string) => values[name] ?? (name === 'version' ? '999' : `no-such-${name.toLowerCase()}`));
}
