/**
 * The zod schemas of ACD configuration (model.ts QueueConfig / AgentConfig): the REST routes
 * validate requests with them (and build the OpenAPI document from them), and the ACD checks
 * configuration loaded from SQLite with the same ones (DESIGN.md "Config": operator data "is
 * checked by the same schemas for REST JSON and for forms"). Objects are strict, so an unknown
 * field is an error naming that field. Cross-references (overflow queue, membership queues,
 * known skills, relaxation step order) are checked by the Acd itself, also with field paths.
 */
import { z } from 'zod';
import { zodIssues } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import { AgentStatuses, CustomerTiers, EmptyRules, Strategies, type AgentConfig, type QueueConfig } from './model.js';

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (1–64, starting with a letter or digit)');
const MAX_MS = 7 * 24 * 3_600_000;
/** Milliseconds, at least `min`, at most a week. */
const ms = (min = 0): z.ZodNumber => z.number().int().min(min).max(MAX_MS);
const Ms = ms();
const SkillName = z.string().min(1).max(64);

export const SkillRequirementSchema = z.strictObject({
  skill: SkillName,
  minProficiency: z.number().int().min(1).max(5),
});

export const RelaxationStepSchema = z.strictObject({
  afterMs: Ms.describe('From this much queue wait on, these requirements apply (first step: 0)'),
  requirements: z.array(SkillRequirementSchema).max(20).describe('Empty: anyone'),
});

export const OverflowTargetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('queue'), queueId: Id }),
  z.strictObject({ kind: z.literal('voicemail'), box: z.string().min(1).max(64) }),
  z.strictObject({ kind: z.literal('ivr'), flow: z.string().min(1).max(64) }),
  z.strictObject({ kind: z.literal('callback') }),
  z.strictObject({ kind: z.literal('hangup') }),
]);

const Minute = z.number().int().min(0).max(1440);

export const CallbackConfigSchema = z.strictObject({
  key: z.string().regex(/^[0-9*#]$/, 'one DTMF key: 0-9, * or #'),
  maxAttempts: z.number().int().min(1).max(20),
  retryDelayMs: Ms,
  expiryMs: ms(1),
  callingHours: z
    .strictObject({ startMinute: Minute, endMinute: Minute, utcOffsetMinutes: z.number().int().min(-720).max(840) })
    .optional()
    .describe('Local minutes after midnight, [start, end)'),
  customerRingMs: ms(1000),
});

export const AnnounceConfigSchema = z.strictObject({
  periodMs: ms(1000),
  music: z.string().min(1).max(128).nullable(),
});

/** A queue as stored and as sent to PUT /acd/queues/:id (the id comes from the path there). */
/** A work-order department id (appliance/workorders); the Acd checks that it exists. */
const DepartmentId = z.string().min(1).max(64);

export const QueueConfigSchema = z.strictObject({
  id: Id,
  name: z.string().min(1).max(100),
  departmentId: DepartmentId.optional().describe('Owning work-order department (data scope of the live boards); omit for none'),
  strategy: z.enum(Strategies),
  ringTimeoutMs: ms(1000).describe('Agent ring time per offer'),
  wrapUpMs: Ms.describe('Default after-call work time'),
  maxLength: z.number().int().min(0).max(100_000).describe('0 = unlimited'),
  maxWaitMs: Ms.describe('0 = unlimited; then the caller overflows'),
  joinWhenEmpty: z.enum(EmptyRules),
  leaveWhenEmpty: z.enum(EmptyRules),
  overflow: OverflowTargetSchema.optional(),
  skills: z.array(RelaxationStepSchema).max(20).optional(),
  callback: CallbackConfigSchema.optional(),
  announce: AnnounceConfigSchema.optional(),
  serviceLevelMs: ms(1000).describe('Service-level threshold T (METRICS.md §3)'),
  shortAbandonMs: Ms.describe('Short-abandon threshold S'),
  defaultAhtMs: ms(1000).describe('Handle time assumed for wait estimates before live data'),
});

export const MembershipSchema = z.strictObject({
  queueId: Id,
  penalty: z.number().int().min(0).max(100),
  wrapUpMs: Ms.optional(),
});

export const AgentConfigSchema = z.strictObject({
  id: Id,
  name: z.string().min(1).max(100),
  departmentId: DepartmentId.optional().describe("Work-order department; omit to take the department of the panel user whose login is the agent id"),
  skills: z.record(SkillName, z.number().int().min(1).max(5)),
  memberships: z.array(MembershipSchema).max(200).refine((ms) => new Set(ms.map((m) => m.queueId)).size === ms.length, 'a queue appears twice'),
});

export const AgentStatusInput = z.strictObject({
  status: z.enum(AgentStatuses),
  reason: z.string().min(1).max(64).optional().describe('Break reason code (on-break only)'),
});

export const TierSchema = z.enum(CustomerTiers);

function check<T>(schema: z.ZodType<T>, input: unknown, prefix: string, what: string): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  // One issue per field: a chained bound (min(0) then min(1000)) would report a field twice.
  const byPath = new Map<string, string>();
  for (const i of zodIssues(r.error)) {
    const path = i.path === '(root)' ? prefix : `${prefix}.${i.path}`;
    if (!byPath.has(path)) byPath.set(path, i.message);
  }
  const issues = [...byPath].map(([path, message]) => ({ path, message }));
  throw new ValidationError(`invalid ${what}`, issues);
}

/** Parse a queue configuration; field paths start with `prefix` (e.g. `queues.q1`). */
export function parseQueueConfig(input: unknown, prefix = 'queue'): QueueConfig {
  return check(QueueConfigSchema, input, prefix, 'queue configuration') as QueueConfig;
}

export function parseAgentConfig(input: unknown, prefix = 'agent'): AgentConfig {
  return check(AgentConfigSchema, input, prefix, 'agent configuration') as AgentConfig;
}
