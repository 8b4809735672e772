/**
 * Request guards of the panel: CSRF (RELIABILITY.md W1) and authorisation (W4).
 *
 * CSRF, for every POST/PUT/PATCH/DELETE (OWASP CSRF Prevention Cheat Sheet: synchronizer token
 * plus Fetch Metadata / Origin verification; ASVS 5.0 3.5.1–3.5.3):
 * 1. `Sec-Fetch-Site`, when sent, must be `same-origin`; `Origin`, when sent, must be the
 *    request's own origin or one configured (`null` never is).
 * 2. The token must match: the session's CSRF token, or before sign-in the anonymous
 *    `csrf` cookie (double submit). It comes as the `X-CSRF-Token` header (htmx, set by
 *    `<body hx-headers>`) or the `_csrf` form field. Compared in constant time.
 * A refusal is 403, audited as `access.denied` with the reason.
 *
 * Authorisation: `requireUser` sends anonymous page requests to /login (htmx requests get
 * 401 with `HX-Redirect`); `requirePermission(fn, op)` answers 403 — page or fragment — and
 * audits the denial. A user who must change their password is sent to /account/password first.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Operation, PanelFunction } from '../auth/permissions.js';
import { renderError } from '../layout.js';
import { actorOf, ctx, type PanelServices } from './context.js';

export const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const CSRF_HEADER = 'X-CSRF-Token';
export const CSRF_FIELD = '_csrf';

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

function ownOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? ''}`;
}

export type CsrfFailure = 'cross-site' | 'origin' | 'token';

export function csrfFailure(req: Request, expected: string, allowedOrigins: readonly string[]): CsrfFailure | null {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return 'cross-site';
  const origin = req.get('origin');
  if (origin !== undefined && (origin === 'null' || (origin !== ownOrigin(req) && !allowedOrigins.includes(origin)))) return 'origin';
  const body = req.body as Record<string, unknown> | undefined;
  const fromBody = body && typeof body[CSRF_FIELD] === 'string' ? (body[CSRF_FIELD] as string) : undefined;
  const given = req.get(CSRF_HEADER) ?? fromBody;
  if (given === undefined || !sameToken(given, expected)) return 'token';
  return null;
}

export async function deny(req: Request, res: Response, s: PanelServices, status: 401 | 403, reason: string): Promise<void> {
  await s.audit.record({ ...actorOf(res), action: 'access.denied', target: `${req.method} ${req.path}`.slice(0, 200), after: { reason, status } });
  renderError(req, res, status, status === 403 && reason.startsWith('csrf') ? 'error.csrf' : 'error.forbidden');
}

export function csrfGuard(s: PanelServices): RequestHandler {
  return async (req, res, next) => {
    if (!UNSAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    const failure = csrfFailure(req, ctx(res).csrfToken, s.allowedOrigins);
    if (failure) {
      await deny(req, res, s, 403, `csrf:${failure}`);
      return;
    }
    next();
  };
}

const PASSWORD_PATHS: ReadonlySet<string> = new Set(['/account/password', '/logout']);

export function requireUser(): RequestHandler {
  return (req, res, next) => {
    const c = ctx(res);
    if (!c.user) {
      const target = `/login${c.sessionEnded ? '?expired=1' : ''}`;
      if (req.get('HX-Request') === 'true') {
        res.setHeader('HX-Redirect', target);
        res.status(401).type('text/plain').send('');
        return;
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        res.redirect(303, target);
        return;
      }
      res.status(401).type('text/plain').send('sign-in required\n');
      return;
    }
    if (c.user.mustChangePassword && !PASSWORD_PATHS.has(req.path)) {
      if (req.get('HX-Request') === 'true') {
        res.setHeader('HX-Redirect', '/account/password');
        res.status(403).type('text/plain').send('');
        return;
      }
      res.redirect(303, '/account/password');
      return;
    }
    next();
  };
}

export function requirePermission(s: PanelServices, fn: PanelFunction, op: Operation): RequestHandler {
  return async (req, res, next) => {
    const c = ctx(res);
    if (!c.access?.permissions.can(fn, op)) {
      await deny(req, res, s, 403, `permission:${fn}:${op}`);
      return;
    }
    next();
  };
}
