/**
 * The panel's answer to the API's session port (appliance/api/session-auth.ts): may this
 * signed-in user make this /api/v1 call? Same rules as a panel page (guards.ts, context.ts):
 * - the session cookie must resolve, the user be enabled and the address in their
 *   allow-lists (else the session ends and the API asks for a key: 401);
 * - a user who must change their password gets nothing else (403);
 * - state-changing methods need the CSRF checks of guards.ts (Fetch Metadata / Origin and the
 *   session's token in `X-CSRF-Token`; the JSON body is not read for it);
 * - the route's scope maps to a function × operation (auth/api-scopes.ts) the user must hold.
 * Every refusal is audited as `access.denied`, like a page's, with the reason.
 */
import type { Request } from 'express';
import type { Scope } from '../../appliance/api/scopes.js';
import type { SessionAuthenticate, SessionRefusal, SessionVerdict } from '../../appliance/api/session-auth.js';
import { grantFor, scopesFor } from '../auth/api-scopes.js';
import { clientIp, SESSION_COOKIE, type PanelServices } from './context.js';
import { cookieMode, readCookie } from './cookies.js';
import { csrfFailure, UNSAFE_METHODS } from './guards.js';

export function apiSessionAuth(s: PanelServices): SessionAuthenticate {
  return async (req: Request, scope: Scope): Promise<SessionVerdict | null> => {
    const token = readCookie(req, cookieMode(req, s.insecureCookies), SESSION_COOKIE);
    if (!token) return null;
    const resolved = await s.sessions.resolve(token);
    if (!resolved.ok) return null;
    const ip = clientIp(req);
    const user = await s.users.get(resolved.session.userId);
    if (user.disabled || !(await s.users.ipAllowed(user.id, ip))) {
      await s.sessions.end(resolved.session.id);
      return null;
    }
    const refuse = async (reason: SessionRefusal, detail: string, message: string): Promise<SessionVerdict> => {
      await s.audit.record({
        actor: `user:${user.id}`,
        ip,
        action: 'access.denied',
        target: `${req.method} ${req.originalUrl}`.slice(0, 200),
        after: { reason: detail, status: 403, via: 'api' },
      });
      return { ok: false, reason, message };
    };
    if (user.mustChangePassword) return refuse('password-change', 'password-change', 'change your password in the control panel first');
    if (UNSAFE_METHODS.has(req.method)) {
      const failure = csrfFailure(req, resolved.session.csrfToken, s.allowedOrigins);
      if (failure) return refuse('csrf', `csrf:${failure}`, 'a panel session must send its CSRF token (X-CSRF-Token) from the panel origin');
    }
    const access = await s.users.access(user.id);
    const grant = grantFor(scope);
    if (grant === 'api-key-only') return refuse('permission', `scope:${scope}`, `${scope} is for API keys only`);
    if (!access.permissions.can(grant[0], grant[1])) {
      return refuse('permission', `permission:${grant[0]}:${grant[1]}`, `this needs ${grant[0]}:${grant[1]}`);
    }
    return {
      ok: true,
      user: { userId: user.id, login: user.login, roles: user.roles, departmentIds: access.departmentIds },
      scopes: scopesFor(access.permissions),
    };
  };
}
