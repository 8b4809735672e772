/**
 * Sign-in, sign-out, first-start setup and password change (issue 9 "Sign-in and security";
 * RELIABILITY.md W5, W6).
 *
 * First start: there is no user and no default password. The daemon prints a one-time setup
 * code (appliance/ops/setup-code.ts); /setup takes that code and the new administrator's
 * password, consumes the code and creates the administrator in one transaction. Once any user
 * exists, /setup only redirects to /login.
 *
 * Sign-in: throttle check (throttle.ts) → password check → IP allow-list → new session (a new
 * id every time; any session the browser still had is ended) → 303. Every failure and refusal
 * is audited (`login.failed`, `login.refused`) with the address; the typed login is stored
 * with control characters replaced, so CR/LF cannot forge log lines.
 */
import type { Request, Response } from 'express';
import { ValidationError, type FieldIssue } from '../../appliance/core/errors.js';
import { passwordProblems } from '../auth/passwords.js';
import { completeSetup, isSetupDone } from '../auth/setup.js';
import { html } from '../html.js';
import { actorOf, ctx, SESSION_COOKIE, type PanelContext, type PanelServices } from '../http/context.js';
import { clearCookie, setCookie } from '../http/cookies.js';
import { csrfField, field, fieldErrors, render } from '../layout.js';
import type { MessageKey } from '../i18n.js';
import type { PanelRoute } from './types.js';

/** Control characters (C0, DEL, C1) replaced: what the audit log keeps of typed text. */
export function neutralize(s: string, max = 100): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD').slice(0, max);
}

function bodyString(req: Request, name: string, max = 1024): string {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

/** Only same-site paths: `/x`, never `//host` or `/\host`. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/';
}

function setupDone(s: PanelServices): Promise<boolean> {
  return isSetupDone(s.store, s.users);
}

function loginForm(c: PanelContext, opts: { login?: string; message?: MessageKey; params?: Record<string, number>; next?: string }) {
  return html`<section class="login">
<h1>${c.t('login.title')}</h1>
${c.mode.unusable ? html`<p class="notice-error" role="alert">${c.t('login.insecure')}</p>` : ''}
${opts.message ? html`<p class="${opts.message === 'logout.done' || opts.message === 'setup.done' ? 'notice' : 'notice-error'}" role="alert" id="login-message">${c.t(opts.message, opts.params)}</p>` : ''}
<form method="post" action="/login">
${csrfField(c)}
<input type="hidden" name="next" value="${opts.next ?? '/'}">
${field(c, { name: 'login', label: 'login.login', value: opts.login ?? '', autocomplete: 'username', required: true })}
${field(c, { name: 'password', label: 'login.password', type: 'password', autocomplete: 'current-password', required: true })}
<button type="submit" id="login-submit">${c.t('login.submit')}</button>
</form>
</section>`;
}

function setupForm(c: PanelContext, opts: { login?: string; displayName?: string; errors?: Map<string, string>; message?: MessageKey }) {
  return html`<section class="setup">
<h1>${c.t('setup.title')}</h1>
<p>${c.t('setup.intro')}</p>
${opts.message ? html`<p class="notice-error" role="alert" id="setup-message">${c.t(opts.message)}</p>` : ''}
<form method="post" action="/setup">
${csrfField(c)}
${field(c, { name: 'code', label: 'setup.code', autocomplete: 'off', required: true, ...(opts.errors && { errors: opts.errors }) })}
${field(c, { name: 'login', label: 'setup.login', value: opts.login ?? 'admin', autocomplete: 'username', required: true, ...(opts.errors && { errors: opts.errors }) })}
${field(c, { name: 'displayName', label: 'setup.display-name', value: opts.displayName ?? '系统管理员', required: true, ...(opts.errors && { errors: opts.errors }) })}
${field(c, { name: 'password', label: 'setup.password', type: 'password', autocomplete: 'new-password', required: true, ...(opts.errors && { errors: opts.errors }) })}
${field(c, { name: 'confirm', label: 'setup.confirm', type: 'password', autocomplete: 'new-password', required: true, ...(opts.errors && { errors: opts.errors }) })}
<button type="submit" id="setup-submit">${c.t('setup.submit')}</button>
</form>
</section>`;
}

function passwordForm(c: PanelContext, opts: { errors?: Map<string, string>; message?: MessageKey }) {
  const e = opts.errors ? { errors: opts.errors } : {};
  return html`<section class="password">
<h1>${c.t('password.title')}</h1>
${c.user?.mustChangePassword ? html`<p class="notice-error" role="alert">${c.t('password.must-change')}</p>` : ''}
${opts.message ? html`<p class="notice-error" role="alert">${c.t(opts.message)}</p>` : ''}
<form method="post" action="/account/password">
${csrfField(c)}
${field(c, { name: 'current', label: 'password.current', type: 'password', autocomplete: 'current-password', required: true, ...e })}
${field(c, { name: 'password', label: 'password.new', type: 'password', autocomplete: 'new-password', required: true, ...e })}
${field(c, { name: 'confirm', label: 'password.confirm', type: 'password', autocomplete: 'new-password', required: true, ...e })}
<button type="submit" id="password-submit">${c.t('password.submit')}</button>
</form>
</section>`;
}

/** Start a session for `userId` and set the cookie; ends the browser's previous session. */
async function startSession(s: PanelServices, req: Request, res: Response, userId: string): Promise<void> {
  const c = ctx(res);
  if (c.session) await s.sessions.end(c.session.id);
  const access = await s.users.access(userId);
  const { token, session } = await s.sessions.create(userId, {
    ip: c.ip,
    userAgent: req.get('user-agent') ?? '',
    privileged: access.permissions.privileged,
  });
  setCookie(res, c.mode, SESSION_COOKIE, token);
  await s.audit.record({ actor: `user:${userId}`, ip: c.ip, action: 'session.created', target: userId, after: { session: session.id } });
}

export function authRoutes(s: PanelServices): PanelRoute[] {
  return [
    {
      method: 'get',
      path: '/login',
      access: 'public',
      handler: async (req, res) => {
        if (!(await setupDone(s))) {
          res.redirect(303, '/setup');
          return;
        }
        const c = ctx(res);
        if (c.user) {
          res.redirect(303, '/');
          return;
        }
        const q = req.query;
        const message: MessageKey | undefined = q['bye'] ? 'logout.done' : q['expired'] || c.sessionEnded ? 'login.expired' : q['setup'] ? 'setup.done' : undefined;
        render(req, res, { title: 'login.title' }, loginForm(c, { ...(message && { message }), next: safeNext(q['next']) }));
      },
    },
    {
      method: 'post',
      path: '/login',
      access: 'public',
      handler: async (req, res) => {
        const c = ctx(res);
        const login = bodyString(req, 'login', 100).trim();
        const password = bodyString(req, 'password');
        const next = safeNext(bodyString(req, 'next', 300));
        const target = `login:${neutralize(login)}`;
        const verdict = await s.throttle.check(login, c.ip);
        if (!verdict.allowed) {
          await s.audit.record({ actor: 'anonymous', ip: c.ip, action: 'login.refused', target, after: { reason: verdict.reason } });
          const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
          res.setHeader('Retry-After', String(seconds));
          const message: MessageKey = verdict.reason === 'ip-banned' ? 'login.banned' : 'login.throttled';
          render(req, res, { title: 'login.title', status: 429 }, loginForm(c, { login, message, params: { seconds }, next }));
          return;
        }
        const result = await s.users.authenticate(login, password);
        const ipOk = result.ok && (await s.users.ipAllowed(result.user.id, c.ip));
        if (!result.ok || !ipOk) {
          const reason = result.ok ? 'ip-not-allowed' : result.reason;
          const banned = await s.throttle.recordFailure(login, c.ip);
          await s.audit.record({ actor: 'anonymous', ip: c.ip, action: 'login.failed', target, after: { reason, banned } });
          s.log.warn({ ip: c.ip, reason, banned }, 'panel login failed');
          s.bus.publish('panel.login.failed', { ip: c.ip, reason, banned });
          const message: MessageKey = reason === 'ip-not-allowed' ? 'login.ip-denied' : 'login.failed';
          render(req, res, { title: 'login.title', status: 401 }, loginForm(c, { login, message, next }));
          return;
        }
        await s.throttle.recordSuccess(login, c.ip);
        await startSession(s, req, res, result.user.id);
        res.redirect(303, result.user.mustChangePassword ? '/account/password' : next);
      },
    },
    {
      method: 'post',
      path: '/logout',
      access: 'user',
      handler: async (_req, res) => {
        const c = ctx(res);
        if (c.session) await s.sessions.end(c.session.id);
        clearCookie(res, c.mode, SESSION_COOKIE);
        await s.audit.record({ ...actorOf(res), action: 'session.ended', target: c.user?.id ?? null });
        res.redirect(303, '/login?bye=1');
      },
    },
    {
      method: 'get',
      path: '/setup',
      access: 'public',
      handler: async (req, res) => {
        if (await setupDone(s)) {
          res.redirect(303, '/login');
          return;
        }
        render(req, res, { title: 'setup.title' }, setupForm(ctx(res), {}));
      },
    },
    {
      method: 'post',
      path: '/setup',
      access: 'public',
      handler: async (req, res) => {
        const c = ctx(res);
        if (await setupDone(s)) {
          res.redirect(303, '/login');
          return;
        }
        const verdict = await s.throttle.check('(setup)', c.ip);
        if (!verdict.allowed) {
          res.setHeader('Retry-After', String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))));
          render(req, res, { title: 'setup.title', status: 429 }, setupForm(c, { message: verdict.reason === 'ip-banned' ? 'login.banned' : 'setup.bad-code' }));
          return;
        }
        const code = bodyString(req, 'code', 64);
        const login = bodyString(req, 'login', 100).trim();
        const displayName = bodyString(req, 'displayName', 200).trim();
        const password = bodyString(req, 'password');
        const issues: FieldIssue[] = passwordProblems(password, login).map((k) => ({ path: 'password', message: k }));
        if (password !== bodyString(req, 'confirm')) issues.push({ path: 'confirm', message: 'password.mismatch' });
        const again = (status: number, errs: Array<{ path: string; message: string }>, message?: MessageKey): void =>
          render(req, res, { title: 'setup.title', status }, setupForm(c, { login, displayName, errors: fieldErrors(c, errs), ...(message && { message }) }));
        if (issues.length) {
          again(422, issues, 'error.validation');
          return;
        }
        try {
          await completeSetup({ store: s.store, users: s.users, clock: s.clock, audit: s.audit }, { code, login, displayName, password }, c.ip);
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          if (err.issues.some((i) => i.message === 'setup.bad-code')) {
            await s.audit.record({ actor: 'anonymous', ip: c.ip, action: 'setup.failed', target: 'setup' });
            await s.throttle.recordFailure('(setup)', c.ip);
          }
          again(422, [...err.issues], 'error.validation');
          return;
        }
        res.redirect(303, '/login?setup=1');
      },
    },
    {
      method: 'get',
      path: '/account/password',
      access: 'user',
      handler: (req, res) => render(req, res, { title: 'password.title' }, passwordForm(ctx(res), {})),
    },
    {
      method: 'post',
      path: '/account/password',
      access: 'user',
      handler: async (req, res) => {
        const c = ctx(res);
        const user = c.user!;
        const password = bodyString(req, 'password');
        const issues: FieldIssue[] = passwordProblems(password, user.login).map((k) => ({ path: 'password', message: k }));
        if (password !== bodyString(req, 'confirm')) issues.push({ path: 'confirm', message: 'password.mismatch' });
        if (!(await s.users.verifyOwnPassword(user.id, bodyString(req, 'current')))) {
          issues.push({ path: 'current', message: 'password.wrong-current' });
          await s.audit.record({ ...actorOf(res), action: 'user.password-change-failed', target: user.id });
        }
        if (issues.length) {
          render(req, res, { title: 'password.title', status: 422 }, passwordForm(c, { errors: fieldErrors(c, issues), message: 'error.validation' }));
          return;
        }
        // setPassword ends every session of the user, this one included; then a fresh one.
        await s.users.setPassword(user.id, password, actorOf(res), { byUser: true });
        c.session = null;
        await startSession(s, req, res, user.id);
        res.redirect(303, '/');
      },
    },
  ];
}
