/**
 * Workflow definitions and the pure engine that moves an order through them [W 9.3 "流程定义":
 * steps assigned by role, department, person or superior; serial, parallel and countersign
 * (会签); time limits]. The hotline side of an order is implicit — `new` (受理 by a role in
 * `acceptRoles`), `accepted` (the acceptor dispatches), `replied` (the acceptor closes) — and the
 * definition lists the handling steps in between, run one after another:
 *
 *   mode 'serial'       the step's assignees work one after another (A replies, then B gets it);
 *                       the step completes with the last reply.
 *   mode 'parallel'     all assignees get it at once, the first reply completes the step and the
 *                       other assignments are withdrawn (并行, any one of them may settle it).
 *   mode 'countersign'  all assignees get it at once and every one must reply (会签).
 *
 * Assignee rules: `role`, `department`, `person`, `relation` (`acceptor`: the order's acceptor;
 * `superior`: the superior of whoever completed the previous step, from the Directory port) and
 * `dispatcher` (whoever moves the order into the step names the targets). No I/O here: the
 * service loads rows, asks these functions what to do, and writes the answer in one transaction.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { zodIssues } from './forms.js';
import { AssigneeKinds, type Assignee, type AssignmentStatus } from './model.js';

export const StepModes = ['serial', 'parallel', 'countersign'] as const;
export type StepMode = (typeof StepModes)[number];

export const AssigneeSchema = z.object({ kind: z.enum(AssigneeKinds), id: z.string().min(1) });

export const AssignRuleSchema = z.discriminatedUnion('by', [
  z.object({ by: z.literal('role'), roles: z.array(z.string().min(1)).min(1) }),
  z.object({ by: z.literal('department'), departmentIds: z.array(z.string().min(1)).min(1) }),
  z.object({ by: z.literal('person'), userIds: z.array(z.string().min(1)).min(1) }),
  z.object({ by: z.literal('relation'), relation: z.enum(['acceptor', 'superior']) }),
  z.object({ by: z.literal('dispatcher') }),
]);
export type AssignRule = z.infer<typeof AssignRuleSchema>;

export const StepSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'step id must be lower-case letters, digits or -'),
  name: z.string().min(1),
  mode: z.enum(StepModes).default('serial'),
  assign: AssignRuleSchema,
  /** The step's own time limit in business minutes on the type's calendar. */
  limitMinutes: z.number().int().positive().optional(),
});
export type StepDefinition = z.infer<typeof StepSchema>;

export const WorkflowSchema = z
  .object({
    /** Roles that may accept (受理) a new order. */
    acceptRoles: z.array(z.string().min(1)).min(1).default(['agent']),
    steps: z.array(StepSchema).default([]),
    /** May the acceptor close without dispatching (a consultation answered on the phone)? */
    directClose: z.boolean().default(false),
  })
  .superRefine((wf, ctx) => {
    const seen = new Set<string>();
    wf.steps.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step ${s.id}` });
      seen.add(s.id);
    });
    if (wf.steps.length === 0 && !wf.directClose)
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'a workflow without steps must allow directClose' });
    if (wf.steps[0]?.assign.by === 'relation' && wf.steps[0].assign.relation === 'superior')
      ctx.addIssue({ code: 'custom', path: ['steps', 0, 'assign'], message: 'the first step has no previous step to take a superior from' });
  });
export type WorkflowDefinition = z.infer<typeof WorkflowSchema>;
export type WorkflowInput = z.input<typeof WorkflowSchema>;

export function parseWorkflow(input: unknown): WorkflowDefinition {
  const r = WorkflowSchema.safeParse(input ?? {});
  if (!r.success) throw new ValidationError('invalid workflow definition', zodIssues(r.error, 'workflow'));
  return r.data;
}

/** Port: who is whose superior (the permissions module's users implement it). */
export interface Directory {
  superiorOf(userId: string): string | null;
}

export interface ResolveContext {
  acceptorId: string | null;
  /** Who completed the previous step (for `relation: superior`). */
  previousActorId: string | null;
  /** Targets named by the person moving the order on (for `dispatcher` steps). */
  chosen: readonly Assignee[] | undefined;
  directory: Directory | undefined;
}

/** The assignees of `step`, in order. Throws ValidationError naming what is missing. */
export function resolveAssignees(step: StepDefinition, ctx: ResolveContext): Assignee[] {
  const rule = step.assign;
  if (rule.by !== 'dispatcher' && ctx.chosen && ctx.chosen.length > 0)
    throw new ValidationError(`step ${step.id} assigns by ${rule.by}`, [
      { path: 'to', message: `step ${step.id} has fixed assignees; do not name targets` },
    ]);
  let out: Assignee[];
  switch (rule.by) {
    case 'role':
      out = rule.roles.map((id) => ({ kind: 'role' as const, id }));
      break;
    case 'department':
      out = rule.departmentIds.map((id) => ({ kind: 'department' as const, id }));
      break;
    case 'person':
      out = rule.userIds.map((id) => ({ kind: 'user' as const, id }));
      break;
    case 'relation': {
      const who =
        rule.relation === 'acceptor'
          ? ctx.acceptorId
          : ctx.previousActorId
            ? (ctx.directory?.superiorOf(ctx.previousActorId) ?? null)
            : null;
      if (!who)
        throw new ValidationError(`step ${step.id}: no ${rule.relation} to assign to`, [
          { path: 'to', message: `no ${rule.relation} known for this order` },
        ]);
      out = [{ kind: 'user', id: who }];
      break;
    }
    case 'dispatcher':
      if (!ctx.chosen || ctx.chosen.length === 0)
        throw new ValidationError(`step ${step.id} needs targets`, [
          { path: 'to', message: `name the department(s) or person(s) for step ${step.id}` },
        ]);
      out = [...ctx.chosen];
      break;
  }
  const keys = out.map((a) => `${a.kind}:${a.id}`);
  if (new Set(keys).size !== keys.length)
    throw new ValidationError('duplicate assignee', [{ path: 'to', message: 'each assignee may appear once' }]);
  if (step.mode === 'countersign' && out.length < 2)
    throw new ValidationError(`step ${step.id} is a countersign`, [
      { path: 'to', message: 'a countersign (会签) needs at least two assignees' },
    ]);
  return out;
}

/** New assignment rows for entering a step: serial queues all but the first. */
export function planStepEntry(step: StepDefinition, assignees: readonly Assignee[]): Array<{ assignee: Assignee; seq: number; status: AssignmentStatus }> {
  return assignees.map((assignee, seq) => ({
    assignee,
    seq,
    status: step.mode === 'serial' && seq > 0 ? 'queued' : 'pending',
  }));
}

export interface RoundAssignment {
  id: number;
  seq: number;
  status: AssignmentStatus;
}

export interface ReplyDecision {
  /** A queued assignment that becomes pending (serial). */
  activate: number | null;
  /** Pending or queued assignments withdrawn (parallel: someone else settled it). */
  cancel: number[];
  stepComplete: boolean;
}

/**
 * What follows a reply on assignment `repliedId` in a round (the list as it was before the reply).
 */
export function decideAfterReply(mode: StepMode, round: readonly RoundAssignment[], repliedId: number): ReplyDecision {
  const others = round.filter((a) => a.id !== repliedId && (a.status === 'pending' || a.status === 'queued'));
  switch (mode) {
    case 'serial': {
      const pending = others.filter((a) => a.status === 'pending');
      const queued = others.filter((a) => a.status === 'queued').sort((a, b) => a.seq - b.seq);
      if (pending.length > 0) return { activate: null, cancel: [], stepComplete: false };
      const next = queued[0];
      return next ? { activate: next.id, cancel: [], stepComplete: false } : { activate: null, cancel: [], stepComplete: true };
    }
    case 'parallel':
      return { activate: null, cancel: others.map((a) => a.id), stepComplete: true };
    case 'countersign':
      return { activate: null, cancel: [], stepComplete: others.length === 0 };
  }
}

export function stepById(wf: WorkflowDefinition, id: string | null): StepDefinition | undefined {
  return id === null ? undefined : wf.steps.find((s) => s.id === id);
}

/** The step after `id`, or undefined when `id` is the last one (the order goes back as replied). */
export function stepAfter(wf: WorkflowDefinition, id: string): StepDefinition | undefined {
  const i = wf.steps.findIndex((s) => s.id === id);
  return i < 0 ? undefined : wf.steps[i + 1];
}

/** Does an assignee match the actor (by user id, department membership or role)? */
export function assigneeMatches(a: Assignee, actor: { id: string; roles: readonly string[]; departmentIds: readonly string[] }): boolean {
  switch (a.kind) {
    case 'user':
      return a.id === actor.id;
    case 'department':
      return actor.departmentIds.includes(a.id);
    case 'role':
      return actor.roles.includes(a.id);
  }
}
