/**
 * A new session for the signed-in user after their own rights changed (W6: "new session id on
 * privilege change"). The change already ended every session of the user in its transaction;
 * this starts a fresh one for the request that made it, so the administrator stays signed in.
 */
import type { Request, Response } from 'express';
import { ctx, SESSION_COOKIE, type PanelServices } from './context.js';
import { setCookie } from './cookies.js';

export async function renewOwnSession(s: PanelServices, req: Request, res: Response): Promise<void> {
  const c = ctx(res);
  if (!c.user) return;
  const access = await s.users.access(c.user.id);
  const { token, session } = await s.sessions.create(c.user.id, { ip: c.ip, userAgent: req.get('user-agent') ?? '', privileged: access.permissions.privileged });
  setCookie(res, c.mode, SESSION_COOKIE, token);
  c.session = session;
  c.csrfToken = session.csrfToken;
  c.access = access;
}
