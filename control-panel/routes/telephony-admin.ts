/**
 * Extensions and inbound dialplan routes (issue 9 "Administration: … routes, extensions and
 * phones"; until now CLI only: daemon/cli.ts `extension add`, `route add`). Guarded by the
 * `telephony` function (view / create / edit). Input is checked by the domain's own zod
 * schemas (ExtensionCreateSchema / ExtensionUpdateSchema in the service, RouteSchema here),
 * so a form accepts exactly what the CLI and the REST API accept; failures re-render the form
 * with the fields marked (422). "Disable" is an edit (`enabled: false`): a disabled extension
 * no longer authenticates, a disabled route no longer matches; both are read from the
 * database on use, so changes apply without restarting the daemon.
 *
 * Passwords are write-only: the form field is always empty, an empty field keeps the
 * password, and the audit rows (`sip-extension.*`, `call-route.*`, before/after) carry the
 * views, never the password or its digests (only `passwordChanged`).
 */
import type { Request, Response } from 'express';
import { RouteSchema, type Route, type RouteInput } from '../../appliance/calls/dialplan.js';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../../appliance/core/errors.js';
import { actorOf, ctx, type PanelServices } from '../http/context.js';
import { formStr, isHtmx } from '../http/form.js';
import { render, renderError } from '../layout.js';
import {
  extensionEditPage,
  extensionsPage,
  outboundPage,
  routeDraftOf,
  routeEditPage,
  routesPage,
  type ExtensionDraft,
  type RouteDraft,
} from '../views/telephony-views.js';
import type { FormState } from '../views/roles-views.js';
import type { ExtensionsPort, InboundRoutesPort, TelephonyPanelDeps } from './telephony-ports.js';
import type { PanelRoute } from './types.js';

const emptyExt: ExtensionDraft = { number: '', displayName: '', authUser: '', maxContacts: '5' };
const emptyRoute: RouteDraft = { id: '', name: '', priority: '100', did: '', caller: '', targetKind: 'ivr', targetValue: '', holdMs: '' };

function extDraft(req: Request): ExtensionDraft {
  return { number: formStr(req, 'number', 40).trim(), displayName: formStr(req, 'displayName', 200), authUser: formStr(req, 'authUser', 100).trim(), maxContacts: formStr(req, 'maxContacts', 10).trim() };
}

/** A number field: empty → absent (the schema's default), text → NaN (the schema refuses it). */
function num(text: string): number | undefined {
  return text === '' ? undefined : /^-?\d{1,12}$/.test(text) ? Number(text) : Number.NaN;
}

/** Schema paths (`target.flow`, `displayName`) → the form's field names. */
function formIssues(issues: readonly FieldIssue[]): FieldIssue[] {
  const field = (p: string): string => {
    if (p === 'target.kind' || p === 'target') return 'targetKind';
    if (p === 'target.holdMs') return 'holdMs';
    if (p.startsWith('target.')) return 'targetValue';
    return p.split('.')[0] ?? p;
  };
  return issues.map((i) => ({ path: field(i.path), message: i.message }));
}

function routeDraft(req: Request, id: string | null): RouteDraft {
  return {
    id: id ?? formStr(req, 'id', 80).trim(),
    name: formStr(req, 'name', 200),
    priority: formStr(req, 'priority', 12).trim(),
    did: formStr(req, 'did', 64).trim(),
    caller: formStr(req, 'caller', 64).trim(),
    targetKind: formStr(req, 'targetKind', 20),
    targetValue: formStr(req, 'targetValue', 80).trim(),
    holdMs: formStr(req, 'holdMs', 12).trim(),
  };
}

function routeInput(d: RouteDraft, enabled: boolean): unknown {
  const target =
    d.targetKind === 'ivr'
      ? { kind: 'ivr', flow: d.targetValue }
      : d.targetKind === 'queue'
        ? { kind: 'queue', queue: d.targetValue }
        : d.targetKind === 'extension'
          ? { kind: 'extension', extension: d.targetValue }
          : d.targetKind === 'diagnostic'
            ? { kind: 'diagnostic', mode: d.targetValue, ...(num(d.holdMs) !== undefined && { holdMs: num(d.holdMs) }) }
            : { kind: d.targetKind };
  return { id: d.id, name: d.name, ...(num(d.priority) !== undefined && { priority: num(d.priority) }), did: d.did, caller: d.caller === '' ? null : d.caller, target, enabled };
}

function parseRoute(input: unknown): RouteInput {
  const r = RouteSchema.safeParse(input);
  if (r.success) return r.data;
  throw new ValidationError('invalid route', r.error.issues.map((i) => ({ path: i.path.join('.') || 'name', message: i.message })));
}

function extensionRoutes(s: PanelServices, ext: ExtensionsPort): PanelRoute[] {
  const list = (req: Request, res: Response, draft = emptyExt, st: FormState = {}, status = 200): void =>
    render(req, res, { title: 'ext.title', status }, extensionsPage(ctx(res), ext.list(), draft, st));
  const done = (req: Request, res: Response): void => {
    if (isHtmx(req)) list(req, res, emptyExt, { notice: ctx(res).t('common.saved') });
    else res.redirect(303, '/admin/extensions');
  };
  const existing = (req: Request, res: Response): ReturnType<ExtensionsPort['get']> => {
    const x = ext.get(String(req.params['number']));
    if (!x) renderError(req, res, 404, 'error.not-found');
    return x;
  };
  const setEnabled = (enabled: boolean) => async (req: Request, res: Response): Promise<void> => {
    const before = existing(req, res);
    if (!before) return;
    const after = ext.update(before.number, { enabled });
    await s.audit.record({ ...actorOf(res), action: enabled ? 'sip-extension.enabled' : 'sip-extension.disabled', target: before.number, before, after });
    done(req, res);
  };
  return [
    { method: 'get', path: '/admin/extensions', access: ['telephony', 'view'], handler: (req, res) => list(req, res) },
    {
      method: 'post',
      path: '/admin/extensions',
      access: ['telephony', 'create'],
      handler: async (req, res) => {
        const draft = extDraft(req);
        try {
          const created = ext.create({
            number: draft.number,
            displayName: draft.displayName,
            password: formStr(req, 'password', 200),
            ...(draft.authUser !== '' && { authUser: draft.authUser }),
            ...(num(draft.maxContacts) !== undefined && { maxContacts: num(draft.maxContacts) }),
          });
          await s.audit.record({ ...actorOf(res), action: 'sip-extension.created', target: created.number, after: { ...created, passwordChanged: true } });
        } catch (err) {
          if (err instanceof ValidationError) return list(req, res, draft, { issues: formIssues(err.issues) }, 422);
          if (err instanceof ConflictError) return list(req, res, draft, { issues: [{ path: /auth user/.test(err.message) ? 'authUser' : 'number', message: 'field.taken' }] }, 422);
          throw err;
        }
        done(req, res);
      },
    },
    {
      method: 'get',
      path: '/admin/extensions/:number',
      access: ['telephony', 'view'],
      handler: (req, res) => {
        const x = existing(req, res);
        if (x) render(req, res, { title: 'ext.edit' }, extensionEditPage(ctx(res), x, { number: x.number, displayName: x.displayName, authUser: x.authUser, maxContacts: String(x.maxContacts) }));
      },
    },
    {
      method: 'post',
      path: '/admin/extensions/:number',
      access: ['telephony', 'edit'],
      handler: async (req, res) => {
        const before = existing(req, res);
        if (!before) return;
        const draft = { ...extDraft(req), number: before.number };
        const password = formStr(req, 'password', 200);
        try {
          const after = ext.update(before.number, {
            displayName: draft.displayName,
            authUser: draft.authUser === '' ? before.authUser : draft.authUser,
            ...(password !== '' && { password }),
            ...(num(draft.maxContacts) !== undefined && { maxContacts: num(draft.maxContacts) }),
          });
          await s.audit.record({ ...actorOf(res), action: 'sip-extension.updated', target: before.number, before, after: { ...after, passwordChanged: password !== '' } });
        } catch (err) {
          const issues = err instanceof ValidationError ? formIssues(err.issues) : err instanceof ConflictError ? [{ path: 'authUser', message: 'field.taken' }] : null;
          if (!issues) throw err;
          return render(req, res, { title: 'ext.edit', status: 422 }, extensionEditPage(ctx(res), before, draft, { issues }));
        }
        done(req, res);
      },
    },
    { method: 'post', path: '/admin/extensions/:number/disable', access: ['telephony', 'edit'], handler: setEnabled(false) },
    { method: 'post', path: '/admin/extensions/:number/enable', access: ['telephony', 'edit'], handler: setEnabled(true) },
  ];
}

function inboundRoutes(s: PanelServices, store: InboundRoutesPort): PanelRoute[] {
  const list = (req: Request, res: Response, draft = emptyRoute, st: FormState = {}, status = 200): void => {
    const routes = store.routes();
    render(req, res, { title: 'routes.title', status }, routesPage(ctx(res), routes, store.issues ?? [], draft, st));
  };
  const done = (req: Request, res: Response): void => {
    if (isHtmx(req)) list(req, res, emptyRoute, { notice: ctx(res).t('common.saved') });
    else res.redirect(303, '/admin/routes');
  };
  const existing = (req: Request, res: Response): Route | null => {
    const id = String(req.params['id']);
    const r = store.routes().find((x) => x.id === id) ?? null;
    if (!r) renderError(req, res, 404, 'error.not-found');
    return r;
  };
  const setEnabled = (enabled: boolean) => async (req: Request, res: Response): Promise<void> => {
    const before = existing(req, res);
    if (!before) return;
    const after = store.saveRoute({ ...before, enabled });
    await s.audit.record({ ...actorOf(res), action: enabled ? 'call-route.enabled' : 'call-route.disabled', target: before.id, before, after });
    done(req, res);
  };
  return [
    { method: 'get', path: '/admin/routes', access: ['telephony', 'view'], handler: (req, res) => list(req, res) },
    {
      method: 'post',
      path: '/admin/routes',
      access: ['telephony', 'create'],
      handler: async (req, res) => {
        const draft = routeDraft(req, null);
        try {
          const input = parseRoute(routeInput(draft, true));
          if (store.routes().some((r) => r.id === input.id)) throw new ValidationError('route exists', [{ path: 'id', message: 'field.taken' }]);
          const saved = store.saveRoute(input);
          await s.audit.record({ ...actorOf(res), action: 'call-route.created', target: saved.id, after: saved });
        } catch (err) {
          if (err instanceof ValidationError) return list(req, res, draft, { issues: formIssues(err.issues) }, 422);
          throw err;
        }
        done(req, res);
      },
    },
    {
      method: 'get',
      path: '/admin/routes/:id',
      access: ['telephony', 'view'],
      handler: (req, res) => {
        const r = existing(req, res);
        if (r) render(req, res, { title: 'routes.edit' }, routeEditPage(ctx(res), r, routeDraftOf(r)));
      },
    },
    {
      method: 'post',
      path: '/admin/routes/:id',
      access: ['telephony', 'edit'],
      handler: async (req, res) => {
        const before = existing(req, res);
        if (!before) return;
        const draft = routeDraft(req, before.id);
        try {
          const after = store.saveRoute(parseRoute(routeInput(draft, before.enabled)));
          await s.audit.record({ ...actorOf(res), action: 'call-route.updated', target: before.id, before, after });
        } catch (err) {
          if (err instanceof ValidationError) return render(req, res, { title: 'routes.edit', status: 422 }, routeEditPage(ctx(res), before, draft, { issues: formIssues(err.issues) }));
          throw err;
        }
        done(req, res);
      },
    },
    { method: 'post', path: '/admin/routes/:id/disable', access: ['telephony', 'edit'], handler: setEnabled(false) },
    { method: 'post', path: '/admin/routes/:id/enable', access: ['telephony', 'edit'], handler: setEnabled(true) },
  ];
}

export function telephonyRoutes(s: PanelServices, deps: TelephonyPanelDeps): PanelRoute[] {
  const out: PanelRoute[] = [];
  if (deps.extensions) out.push(...extensionRoutes(s, deps.extensions));
  if (deps.routes) out.push(...inboundRoutes(s, deps.routes));
  const { outboundRoutes, trunks } = deps;
  if (outboundRoutes || trunks) {
    out.push({
      method: 'get',
      path: '/admin/outbound',
      access: ['telephony', 'view'],
      handler: (req, res) => render(req, res, { title: 'outbound.title' }, outboundPage(ctx(res), outboundRoutes ? outboundRoutes() : null, trunks ? trunks() : null)),
    });
  }
  return out;
}
