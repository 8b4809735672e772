/**
 * The IVR flow editor (issue 7 "Editor"): `/ivr` lists flows and takes a new flow's JSON;
 * `/ivr/flows/:flowId` shows its versions (publish a draft, roll back to a retired version), the
 * draft's JSON with server-side validation — each problem at its node and field, in the problem
 * list and in the node table — node traffic for a day ("where callers leave"), and a simulator
 * that walks the flow on the server with typed-in keys (ivr/simulator.ts) and shows the path,
 * what was played and the variables.
 *
 * Viewing needs telephony:view (simulating too: it changes nothing); saving, publishing and
 * rolling back need telephony:edit and are audited (`ivr-flow.*`, actor `user:<id>`). Forms
 * keep method and action; with htmx they post in place. Invalid input answers 422 with the
 * page re-rendered around the problems; the live version is never touched by a refused save.
 */
import type { Request, Response } from 'express';
import { InvalidTransitionError, NotFoundError } from '../../appliance/core/errors.js';
import { FlowValidationError, type FlowProblem } from '../../appliance/ivr/errors.js';
import type { FlowStore } from '../../appliance/ivr/flow-store.js';
import type { ValidationCatalogue } from '../../appliance/ivr/ports.js';
import type { IvrDeps } from '../../appliance/ivr/runner.js';
import { SCRIPT, simulateFlow, type SimulateOptions } from '../../appliance/ivr/simulator.js';
import { checkFlow } from '../../appliance/ivr/validator.js';
import type { SafeHtml } from '../html.js';
import { actorOf, ctx, type PanelContext, type PanelServices } from '../http/context.js';
import { render, renderError } from '../layout.js';
import type { PanelRoute } from './types.js';
import { flowListView, flowPageView, notice, problemTable, simulationView, w } from '../views/ivr-views.js';

export interface IvrPanelDeps {
  flows: FlowStore;
  catalogue: () => ValidationCatalogue;
  /** Read-only ports for the simulator (lookups, outages, calendar, sub-flows). */
  simulationDeps?: () => IvrDeps;
  promptText?: SimulateOptions['promptText'];
}

const FLOW_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const MAX_JSON = 60_000;
const title = { title: 'nav.telephony' as const };

function str(req: Request, name: string, max: number): string {
  const v = (req.body as Record<string, unknown> | undefined)?.[name] ?? req.query[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

function nodesOf(json: unknown): Array<{ id: string; verb: string; label: string }> {
  const nodes = (json as { nodes?: unknown } | null)?.nodes;
  if (typeof nodes !== 'object' || nodes === null) return [];
  return Object.entries(nodes as Record<string, unknown>).map(([id, n]) => {
    const o = (typeof n === 'object' && n !== null ? n : {}) as { verb?: unknown; label?: unknown };
    return { id, verb: typeof o.verb === 'string' ? o.verb : '?', label: typeof o.label === 'string' ? o.label : '' };
  });
}

export function ivrRoutes(s: PanelServices, ivr: IvrPanelDeps): PanelRoute[] {
  const canEdit = (c: PanelContext): boolean => c.access?.permissions.can('telephony', 'edit') ?? false;
  const auditAs = (res: Response) => actorOf(res);

  async function flowPage(
    req: Request,
    res: Response,
    flowId: string,
    opts: { json?: string; problems?: FlowProblem[]; notice?: SafeHtml; status?: number; simulation?: SafeHtml } = {},
  ): Promise<void> {
    const c = ctx(res);
    const versions = await ivr.flows.versions(flowId);
    if (versions.length === 0 && opts.json === undefined) {
      renderError(req, res, 404, 'error.not-found');
      return;
    }
    const editable = versions.find((v) => v.status === 'draft') ?? versions.find((v) => v.status === 'published') ?? versions[0];
    let json = opts.json;
    let problems = opts.problems;
    if (json === undefined && editable) {
      const def = await ivr.flows.get(flowId, editable.version);
      json = JSON.stringify(def, null, 2);
      problems ??= checkFlow(def, ivr.catalogue()).problems;
    }
    const parsed = parseJson(json ?? '');
    const published = versions.find((v) => v.status === 'published');
    const dayQ = str(req, 'day', 10);
    const day = /^\d{4}-\d{2}-\d{2}$/.test(dayQ) ? dayQ : ivr.flows.day();
    const versionQ = Number(str(req, 'version', 7));
    const trafficVersion = Number.isInteger(versionQ) && versionQ > 0 ? versionQ : (published ?? editable)?.version;
    render(
      req,
      res,
      { ...title, status: opts.status ?? 200 },
      flowPageView(c, {
        flowId,
        versions,
        json: json ?? '',
        nodes: parsed.ok ? nodesOf(parsed.value) : [],
        problems: problems ?? [],
        traffic: trafficVersion ? { version: trafficVersion, day, rows: await ivr.flows.traffic(flowId, trafficVersion, day) } : null,
        canEdit: canEdit(c),
        ...(opts.notice && { notice: opts.notice }),
        ...(opts.simulation && { simulation: opts.simulation }),
      }),
    );
  }

  /** Save posted JSON as a draft; answers with the flow page (or 422 around the problems). */
  async function saveDraft(req: Request, res: Response, expectId: string | null): Promise<void> {
    const c = ctx(res);
    const text = str(req, 'json', MAX_JSON + 1);
    const parsed = text.length > MAX_JSON ? { ok: false as const, message: `longer than ${MAX_JSON} characters` } : parseJson(text);
    const refuse = async (problems: FlowProblem[], message?: string): Promise<void> => {
      if (expectId === null) {
        render(req, res, { ...title, status: 422 }, flowListView(c, await ivr.flows.list(), { canEdit: true, json: text, problems, ...(message && { notice: notice(message, true) }) }));
      } else {
        await flowPage(req, res, expectId, { json: text, problems, status: 422, ...(message && { notice: notice(message, true) }) });
      }
    };
    if (!parsed.ok) return refuse([], w(c, 'badJson', { m: parsed.message }));
    const id = (parsed.value as { id?: unknown } | null)?.id;
    if (expectId !== null && id !== expectId) return refuse([{ node: null, field: 'id', code: 'schema', message: `must be ${expectId}` }]);
    try {
      const saved = await ivr.flows.saveDraft(parsed.value, auditAs(res).actor);
      await s.audit.record({ ...auditAs(res), action: 'ivr-flow.draft-saved', target: `${saved.flowId} v${saved.version}`, after: { nodes: nodesOf(parsed.value).length } });
      await flowPage(req, res, saved.flowId, { notice: notice(w(c, 'saved', { v: saved.version })) });
    } catch (err) {
      if (err instanceof FlowValidationError) return refuse([...err.problems]);
      throw err;
    }
  }

  async function transition(req: Request, res: Response, flowId: string, kind: 'publish' | 'rollback', version: number): Promise<void> {
    const c = ctx(res);
    const before = (await ivr.flows.versions(flowId)).find((v) => v.status === 'published')?.version ?? null;
    try {
      if (kind === 'publish') await ivr.flows.publish(flowId, version, auditAs(res).actor);
      else await ivr.flows.rollback(flowId, version, auditAs(res).actor);
    } catch (err) {
      if (err instanceof FlowValidationError) return flowPage(req, res, flowId, { problems: [...err.problems], status: 422, notice: notice(err.message, true) });
      if (err instanceof InvalidTransitionError || err instanceof NotFoundError) return flowPage(req, res, flowId, { status: 409, notice: notice(err.message, true) });
      throw err;
    }
    await s.audit.record({
      ...auditAs(res),
      action: kind === 'publish' ? 'ivr-flow.published' : 'ivr-flow.rolled-back',
      target: `${flowId} v${version}`,
      before: { published: before },
      after: { published: version },
    });
    await flowPage(req, res, flowId, { notice: notice(w(c, kind === 'publish' ? 'didPublish' : 'didRollback', { v: version })) });
  }

  const flowIdOf = (req: Request): string | null => {
    const id = req.params['flowId'];
    return typeof id === 'string' && FLOW_ID.test(id) ? id : null;
  };

  return [
    {
      method: 'get',
      path: '/ivr',
      access: ['telephony', 'view'],
      handler: async (req, res) => {
        const c = ctx(res);
        render(req, res, title, flowListView(c, await ivr.flows.list(), { canEdit: canEdit(c) }));
      },
    },
    {
      method: 'post',
      path: '/ivr/drafts',
      access: ['telephony', 'edit'],
      handler: (req, res) => saveDraft(req, res, null),
    },
    {
      method: 'get',
      path: '/ivr/flows/:flowId',
      access: ['telephony', 'view'],
      handler: async (req, res) => {
        const id = flowIdOf(req);
        if (!id) return renderError(req, res, 404, 'error.not-found');
        await flowPage(req, res, id);
      },
    },
    {
      method: 'post',
      path: '/ivr/flows/:flowId/draft',
      access: ['telephony', 'edit'],
      handler: async (req, res) => {
        const id = flowIdOf(req);
        if (!id) return renderError(req, res, 404, 'error.not-found');
        await saveDraft(req, res, id);
      },
    },
    {
      method: 'post',
      path: '/ivr/flows/:flowId/versions/:version/publish',
      access: ['telephony', 'edit'],
      handler: async (req, res) => {
        const id = flowIdOf(req);
        const version = Number(req.params['version']);
        if (!id || !Number.isInteger(version) || version < 1) return renderError(req, res, 404, 'error.not-found');
        await transition(req, res, id, 'publish', version);
      },
    },
    {
      method: 'post',
      path: '/ivr/flows/:flowId/rollback',
      access: ['telephony', 'edit'],
      handler: async (req, res) => {
        const id = flowIdOf(req);
        const version = Number(str(req, 'version', 7));
        if (!id) return renderError(req, res, 404, 'error.not-found');
        if (!Number.isInteger(version) || version < 1) return flowPage(req, res, id, { status: 422, notice: notice(`${w(ctx(res), 'version')}?`, true) });
        await transition(req, res, id, 'rollback', version);
      },
    },
    {
      method: 'post',
      path: '/ivr/flows/:flowId/simulate',
      access: ['telephony', 'view'],
      handler: async (req, res) => {
        const c = ctx(res);
        const id = flowIdOf(req);
        if (!id) return renderError(req, res, 404, 'error.not-found');
        const keys = str(req, 'keys', 201);
        const caller = str(req, 'caller', 21);
        const versions = await ivr.flows.versions(id);
        const v = versions.find((x) => x.status === 'draft') ?? versions.find((x) => x.status === 'published');
        if (!v) return renderError(req, res, 404, 'error.not-found');
        const issues = [
          ...(SCRIPT.test(keys) ? [] : [{ node: null, field: 'keys', code: 'schema' as const, message: w(c, 'keys') }]),
          ...(caller === '' || /^[0-9+-]{3,20}$/.test(caller) ? [] : [{ node: null, field: 'caller', code: 'schema' as const, message: w(c, 'caller') }]),
        ];
        let fragment: SafeHtml;
        if (issues.length > 0) {
          res.status(422);
          fragment = problemTable(c, issues);
        } else {
          const sim = await simulateFlow({
            flow: await ivr.flows.get(id, v.version),
            keys,
            startAt: s.clock.now(),
            ...(caller && { caller }),
            ...(ivr.simulationDeps && { deps: ivr.simulationDeps() }),
            ...(ivr.promptText && { promptText: ivr.promptText }),
          });
          fragment = simulationView(c, sim);
        }
        if (req.get('HX-Request') === 'true') {
          res.setHeader('Vary', 'HX-Request, Cookie');
          res.setHeader('Cache-Control', 'no-store');
          res.type('html').send(fragment.value);
          return;
        }
        await flowPage(req, res, id, { simulation: fragment, status: res.statusCode });
      },
    },
  ];
}

