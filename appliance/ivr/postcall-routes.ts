/**
 * REST for the post-call survey setting (issue 7 "it follows automatically when the agent hangs
 * up (per queue)"; postcall-survey.ts): list the queues that have a survey flow, set or clear a
 * queue's flow. A flow id without a published version is refused (the survey would never run).
 */
import { z } from 'zod';
import type { RouteRegistry } from '../api/registry.js';
import { ValidationError } from '../core/errors.js';
import { FlowIdSchema } from './flow-schema.js';
import type { IvrRoutesAudit } from './ivr-routes.js';
import type { FlowSource } from './ports.js';
import type { PostCallSurveys } from './postcall-survey.js';

const QueueParams = z.strictObject({ queueId: z.string().min(1).max(64) });
const Setting = z.strictObject({ queueId: z.string(), flowId: z.string() });

export function registerPostCallRoutes(registry: RouteRegistry, deps: { surveys: PostCallSurveys; flows: FlowSource }, audit: IvrRoutesAudit): void {
  registry.route({
    method: 'get',
    path: '/ivr/postcall-surveys',
    summary: 'Queues whose callers hear a survey flow when the agent hangs up first',
    tags: ['ivr'],
    scope: 'ivr:read',
    response: { description: 'Settings', schema: z.strictObject({ items: z.array(Setting) }) },
    handler: async () => ({ items: deps.surveys.list() }),
  });

  registry.route({
    method: 'put',
    path: '/ivr/postcall-surveys/:queueId',
    summary: "Set (flowId) or clear (null) a queue's post-call survey flow",
    tags: ['ivr'],
    scope: 'ivr:write',
    params: QueueParams,
    body: z.strictObject({ flowId: FlowIdSchema.nullable() }),
    errors: ['VALIDATION'],
    response: { description: 'The setting', schema: z.strictObject({ queueId: z.string(), flowId: z.string().nullable() }) },
    handler: async ({ params, body, actor }) => {
      if (body.flowId !== null && !(await deps.flows.published(body.flowId)))
        throw new ValidationError('flow not published', [{ path: 'flowId', message: `flow ${body.flowId} has no published version` }]);
      const before = deps.surveys.flowFor(params.queueId);
      await deps.surveys.setFlow(params.queueId, body.flowId);
      await audit.record({ actor: actor.actor, ip: actor.ip, action: 'ivr-postcall.set', target: params.queueId, before: { flowId: before }, after: { flowId: body.flowId } });
      return { queueId: params.queueId, flowId: body.flowId };
    },
  });
}
