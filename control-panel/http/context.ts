/**
 * Per-request panel context (kept in `res.locals.panel`): language, client IP, cookie mode,
 * and — when a valid session cookie came with the request — the session, the signed-in user
 * and what they may do. `loadContext` builds it once per request; handlers read it with
 * `ctx(res)`. A session whose user is disabled or whose address is no longer in the user's
 * allow-list is ended here, so those changes bite on the very next request.
 */
import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Clock } from '../../appliance/core/clock.js';
import type { EventBus } from '../../appliance/core/events.js';
import type { Logger } from '../../appliance/core/log.js';
import type { AuditLog } from '../../appliance/ops/audit.js';
import type { Store } from '../../appliance/store/database.js';
import type { RolesAdmin } from '../auth/roles-admin.js';
import type { Session, Sessions } from '../auth/sessions.js';
import type { LoginThrottle } from '../auth/throttle.js';
import type { Access, PanelUser, Users } from '../auth/users.js';
import { DEFAULT_LANG, isLang, translator, type Lang, type Translate } from '../i18n.js';
import { cookieMode, readCookie, setCookie, type CookieMode } from './cookies.js';

declare module '../../appliance/core/events.js' {
  interface EventMap {
    /** A failed panel sign-in (security event; the audit log has the details). */
    'panel.login.failed': { ip: string; reason: string; banned: boolean };
  }
}

export const SESSION_COOKIE = 'sid';
export const ANON_CSRF_COOKIE = 'csrf';
export const LANG_COOKIE = 'lang';

/** Everything the panel's routes share. Built once by createPanel. */
export interface PanelServices {
  store: Store;
  clock: Clock;
  log: Logger;
  bus: EventBus;
  audit: AuditLog;
  users: Users;
  /** Groups and roles administration (auth/roles-admin.ts). */
  roles: RolesAdmin;
  sessions: Sessions;
  throttle: LoginThrottle;
  insecureCookies: boolean;
  /** Extra origins accepted on state-changing requests besides the request's own. */
  allowedOrigins: readonly string[];
  appName: string;
  /** Daemon lifecycle state for the dashboard, when the daemon provides it. */
  state?: () => string;
  /** GET paths of the mounted routes (createPanel fills it); the menu offers only these. */
  mountedPaths: Set<string>;
}

export interface PanelContext {
  lang: Lang;
  t: Translate;
  ip: string;
  mode: CookieMode;
  session: Session | null;
  user: PanelUser | null;
  access: Access | null;
  /** The CSRF token to put into forms: the session's, or the anonymous cookie's before sign-in. */
  csrfToken: string;
  /** A session cookie came with the request but its session had expired or was ended. */
  sessionEnded: boolean;
  /** GET paths the panel serves (PanelServices.mountedPaths). */
  mounted: ReadonlySet<string>;
}

export function ctx(res: Response): PanelContext {
  const c = (res.locals as { panel?: PanelContext }).panel;
  if (!c) throw new Error('panel context missing: loadContext must run first');
  return c;
}

/** The client address as the audit log and the allow-lists see it. */
export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? '';
}

/** The audit actor for this request. */
export function actorOf(res: Response): { actor: string; ip: string } {
  const c = ctx(res);
  return { actor: c.user ? `user:${c.user.id}` : 'anonymous', ip: c.ip };
}

export function loadContext(s: PanelServices): RequestHandler {
  return async (req, res, next) => {
    const mode = cookieMode(req, s.insecureCookies);
    const queryLang = typeof req.query['lang'] === 'string' ? req.query['lang'] : undefined;
    let lang: Lang = DEFAULT_LANG;
    if (isLang(queryLang)) {
      lang = queryLang;
      setCookie(res, mode, LANG_COOKIE, queryLang === 'zh-CN' ? 'zh-CN' : 'en', { maxAgeS: 365 * 86400, sameSite: 'Lax' });
    } else {
      const fromCookie = readCookie(req, mode, LANG_COOKIE);
      if (isLang(fromCookie)) lang = fromCookie;
    }
    const ip = clientIp(req);
    const c: PanelContext = { lang, t: translator(lang), ip, mode, session: null, user: null, access: null, csrfToken: '', sessionEnded: false, mounted: s.mountedPaths };
    (res.locals as { panel?: PanelContext }).panel = c;

    const token = readCookie(req, mode, SESSION_COOKIE);
    if (token) {
      const r = await s.sessions.resolve(token);
      if (r.ok) {
        const user = await s.users.get(r.session.userId);
        if (user.disabled || !(await s.users.ipAllowed(user.id, ip))) {
          await s.sessions.end(r.session.id);
          c.sessionEnded = true;
        } else {
          c.session = r.session;
          c.user = user;
          c.access = await s.users.access(user.id);
          c.csrfToken = r.session.csrfToken;
        }
      } else {
        c.sessionEnded = true;
      }
    }
    if (!c.session) {
      let anon = readCookie(req, mode, ANON_CSRF_COOKIE);
      if (!anon || !/^[A-Za-z0-9_-]{43}$/.test(anon)) {
        anon = randomBytes(32).toString('base64url');
        setCookie(res, mode, ANON_CSRF_COOKIE, anon);
      }
      c.csrfToken = anon;
    }
    next();
  };
}
