/**
 * Signed-in control-panel users on /api/v1 (issue 9 "the same checks guard pages, htmx
 * fragments and the REST API"). A request that presents no API key may carry the panel's
 * session cookie instead; the panel decides (control-panel/http/api-session.ts) against its
 * own RBAC table, CSRF rule and IP allow-lists, and answers with a verdict value. This module
 * only names the port, so the API knows nothing of cookies or roles:
 *
 *   api.useSessionAuth(panel.apiSessionAuth);     // daemon, once the panel exists
 *
 * A request that presents an API key never reaches the port: key authentication is unchanged.
 */
import type { Request } from 'express';
import type { Scope } from './scopes.js';

/** The person behind a panel session, as handlers and acting-user.ts see them. */
export interface SessionUser {
  /** Panel user id (`usr_…`); the audit actor is `user:<userId>`. */
  userId: string;
  login: string;
  roles: string[];
  /** Departments whose data the user may see; null = all. */
  departmentIds: string[] | null;
}

export type SessionRefusal = 'csrf' | 'permission' | 'password-change';

export type SessionVerdict =
  | { ok: true; user: SessionUser; scopes: Scope[] }
  | { ok: false; reason: SessionRefusal; message: string };

/** null when the request carries no live panel session (then the API asks for a key: 401). */
export type SessionAuthenticate = (req: Request, scope: Scope) => Promise<SessionVerdict | null>;
