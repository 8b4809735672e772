/**
 * The IVR flow model: a versioned flow is JSON, a start node and a map of nodes, each node one
 * verb with its payload. This file is the spec every payload is validated against (jambonz's
 * specs.json, written as zod schemas): `parseFlow` refuses anything not described here, naming
 * the node and field. Graph-level checks (reachability, loops, catalogue lookups) live in
 * validator.ts.
 *
 * Values of the form `{{name}}` inside string fields are replaced by the call's variables
 * when the node runs (template.ts).
 */
import { z } from 'zod';
import { Langs, SayKinds } from './say/index.js';

export const NodeIdSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'node ids are letters, digits, _ and -, starting with a letter');
export const VarNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'variable names are lower-case letters, digits and _');
const DigitKey = z.string().regex(/^[0-9*#]$/, 'a single key 0-9, * or #');
const Ms = (max: number) => z.number().int().min(0).max(max);

/** A prompt: a catalogue name, text rendered by TTS, a file, or silence. */
export const PromptRefSchema = z.union([
  z.string().min(1),
  z.object({ tts: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
  z.object({ silenceMs: Ms(10_000) }).strict(),
]);
export type PromptRef = z.infer<typeof PromptRefSchema>;
const Prompts = z.array(PromptRefSchema);

const base = { label: z.string().optional() };

export const PlayNode = z
  .object({ ...base, verb: z.literal('play'), prompts: Prompts.min(1), bargeIn: z.boolean().default(false), next: NodeIdSchema.optional() })
  .strict();

export const MenuNode = z
  .object({
    ...base,
    verb: z.literal('menu'),
    prompt: Prompts.min(1),
    /** key → node */
    options: z.record(DigitKey, NodeIdSchema).refine((o) => Object.keys(o).length > 0, 'a menu needs at least one option'),
    timeoutMs: Ms(60_000).default(5000),
    /** Extra attempts after the first (a no-input or an invalid key uses one). */
    retries: z.number().int().min(0).max(9).default(2),
    invalidPrompt: Prompts.default([]),
    timeoutPrompt: Prompts.default([]),
    /** Where a caller goes after the last attempt failed with an invalid key (and with no input when onNoInput is absent). */
    onFail: NodeIdSchema,
    onNoInput: NodeIdSchema.optional(),
  })
  .strict();

export const CollectNode = z
  .object({
    ...base,
    verb: z.literal('collect'),
    var: VarNameSchema,
    prompt: Prompts.min(1),
    minLength: z.number().int().min(1).max(64).default(1),
    maxLength: z.number().int().min(1).max(64).default(20),
    /** Key that ends entry early; null: entry ends on maxLength or the inter-digit timeout. */
    terminator: z.enum(['#', '*']).nullable().default('#'),
    timeoutMs: Ms(60_000).default(6000),
    interDigitMs: Ms(30_000).default(4000),
    retries: z.number().int().min(0).max(9).default(2),
    /** Full-match regular expression the entry must satisfy (besides the lengths). */
    pattern: z.string().optional(),
    invalidPrompt: Prompts.default([]),
    /** Read the entry back (digit by digit) and ask the caller to confirm. */
    confirm: z
      .object({
        prefix: Prompts.default([]),
        question: Prompts.min(1),
        yes: DigitKey.default('1'),
        no: DigitKey.default('2'),
      })
      .strict()
      .optional(),
    next: NodeIdSchema,
    onFail: NodeIdSchema,
  })
  .strict()
  .refine((n) => n.minLength <= n.maxLength, { message: 'minLength must not exceed maxLength', path: ['minLength'] });

export const SayNode = z
  .object({
    ...base,
    verb: z.literal('say'),
    kind: z.enum(SayKinds),
    value: z.string().min(1),
    lang: z.enum(Langs).optional(),
    prefix: Prompts.default([]),
    suffix: Prompts.default([]),
    bargeIn: z.boolean().default(false),
    next: NodeIdSchema.optional(),
  })
  .strict();

export const LookupNode = z
  .object({
    ...base,
    verb: z.literal('lookup'),
    /** Adapter name (billing, gis, installation…), resolved through the LookupAdapter port. */
    adapter: z.string().min(1),
    op: z.string().min(1),
    params: z.record(z.string(), z.string()).default({}),
    timeoutMs: Ms(30_000).default(3000),
    /** variable ← dotted path in the adapter's answer */
    assign: z.record(VarNameSchema, z.string().min(1)).default({}),
    /** Played while waiting (no barge-in). */
    holdPrompt: Prompts.default([]),
    next: NodeIdSchema,
    onNotFound: NodeIdSchema.optional(),
    /** The fallback branch: timeout, adapter error, or an answer without an assigned field. */
    onFail: NodeIdSchema,
  })
  .strict();

export const SwitchNode = z
  .object({
    ...base,
    verb: z.literal('switch'),
    var: VarNameSchema,
    cases: z.record(z.string(), NodeIdSchema),
    default: NodeIdSchema,
  })
  .strict();

export const SetNode = z
  .object({ ...base, verb: z.literal('set'), vars: z.record(VarNameSchema, z.string()), next: NodeIdSchema })
  .strict();

export const CalendarNode = z
  .object({
    ...base,
    verb: z.literal('calendar'),
    calendar: z.string().min(1),
    open: NodeIdSchema,
    closed: NodeIdSchema,
    /** Public holidays; closed when absent. */
    holiday: NodeIdSchema.optional(),
  })
  .strict();

export const EnqueueNode = z
  .object({
    ...base,
    verb: z.literal('enqueue'),
    queue: z.string().min(1),
    priority: z.number().int().min(0).max(9).default(5),
    skills: z.array(z.string().min(1)).default([]),
    /** Variables passed to the agent's screen pop: names, or 'all'. */
    vars: z.union([z.literal('all'), z.array(VarNameSchema)]).default('all'),
    prompt: Prompts.default([]),
    /** Queue full, closed or unknown at run time. */
    onFail: NodeIdSchema,
  })
  .strict();

export const TransferNode = z
  .object({ ...base, verb: z.literal('transfer'), to: z.string().min(1), prompt: Prompts.default([]), onFail: NodeIdSchema })
  .strict();

export const VoicemailNode = z
  .object({
    ...base,
    verb: z.literal('voicemail'),
    prompt: Prompts.min(1),
    maxMs: Ms(600_000).default(120_000),
    /** Messages shorter than this are discarded (a caller who hung up at the beep). */
    minMs: Ms(60_000).default(1500),
    /** Work-order type the message becomes. */
    orderType: z.string().min(1),
    thanksPrompt: Prompts.default([]),
    next: NodeIdSchema,
  })
  .strict();

export const FaxNode = z
  .object({
    ...base,
    verb: z.literal('fax'),
    document: z.string().min(1),
    /** 'caller': send on this call; otherwise a number (template). */
    to: z.string().min(1).default('caller'),
    prompt: Prompts.default([]),
    next: NodeIdSchema,
    onFail: NodeIdSchema,
  })
  .strict();

export const SurveyNode = z
  .object({
    ...base,
    verb: z.literal('survey'),
    survey: z.string().min(1),
    questions: z.array(z.object({ id: VarNameSchema, prompt: Prompts.min(1) }).strict()).min(1),
    timeoutMs: Ms(60_000).default(6000),
    retries: z.number().int().min(0).max(9).default(1),
    invalidPrompt: Prompts.default([]),
    thanksPrompt: Prompts.default([]),
    next: NodeIdSchema.optional(),
  })
  .strict();

/**
 * outage: before the menu, announce a known outage covering the caller's area (from the
 * caller's customer record or number, or `area`), offer "press 1 to be notified when power is
 * restored", and in surge mode (an active outage affecting ≥ surgeThreshold customers) go to
 * `onSurge`, a shortened flow. Text fields are TTS templates over the outage_* variables.
 */
export const OutageNode = z
  .object({
    ...base,
    verb: z.literal('outage'),
    /** Area code to check (template); absent: located from the caller's number. */
    area: z.string().min(1).optional(),
    /** For locating the caller and asking the GIS, together. */
    timeoutMs: Ms(30_000).default(2500),
    /** Also announce planned outages that have not started yet (停电预告). */
    includeScheduled: z.boolean().default(false),
    /** TTS template of the announcement; default per language from the outage record. */
    announce: z.string().min(1).optional(),
    /** Key for "notify me when restored"; null: no offer. */
    notifyKey: DigitKey.nullable().default('1'),
    notifyOffer: z.string().min(1).optional(),
    notifyConfirm: z.string().min(1).optional(),
    notifyTimeoutMs: Ms(30_000).default(5000),
    surgeThreshold: z.number().int().min(1).optional(),
    onSurge: NodeIdSchema.optional(),
    next: NodeIdSchema,
  })
  .strict()
  .refine((n) => (n.surgeThreshold === undefined) === (n.onSurge === undefined), {
    message: 'surgeThreshold and onSurge are set together',
    path: ['onSurge'],
  });

export const GotoNode = z.object({ ...base, verb: z.literal('goto'), target: NodeIdSchema }).strict();

export const SubflowNode = z
  .object({ ...base, verb: z.literal('subflow'), flow: z.string().min(1), next: NodeIdSchema.optional() })
  .strict();

export const ReturnNode = z.object({ ...base, verb: z.literal('return') }).strict();

export const HangupNode = z
  .object({ ...base, verb: z.literal('hangup'), prompt: Prompts.default([]), cause: z.number().int().min(1).max(127).default(16) })
  .strict();

export const NodeSchema = z.discriminatedUnion('verb', [
  PlayNode,
  MenuNode,
  CollectNode,
  SayNode,
  LookupNode,
  SwitchNode,
  SetNode,
  CalendarNode,
  EnqueueNode,
  TransferNode,
  VoicemailNode,
  FaxNode,
  SurveyNode,
  GotoNode,
  SubflowNode,
  ReturnNode,
  HangupNode,
  OutageNode,
]);
export type FlowNode = z.infer<typeof NodeSchema>;
export type VerbName = FlowNode['verb'];
export type NodeOf<V extends VerbName> = Extract<FlowNode, { verb: V }>;

export const FlowIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'flow ids are lower-case letters, digits and -');

export const FlowSchema = z
  .object({
    id: FlowIdSchema,
    name: z.string().min(1),
    version: z.number().int().min(1).default(1),
    lang: z.enum(Langs).default('zh'),
    start: NodeIdSchema,
    /** Initial variables (templates allowed). */
    vars: z.record(VarNameSchema, z.string()).default({}),
    nodes: z.record(NodeIdSchema, NodeSchema),
  })
  .strict();
export type Flow = z.infer<typeof FlowSchema>;
export type FlowInput = z.input<typeof FlowSchema>;

/** Variables the outage verb sets. */
export const OUTAGE_VARS = [
  'outage_status',
  'outage_id',
  'outage_kind',
  'outage_cause',
  'outage_start',
  'outage_restore',
  'outage_area',
  'outage_order',
  'outage_customers',
  'outage_notify',
  'notify_key',
  'surge',
] as const;

/** Variables every call starts with. */
export const BUILTIN_VARS = ['caller', 'called', 'call_id', 'channel_id', 'lang', 'last_digit'] as const;
