/**
 * The inbound dialplan (issue 3 "Routing"): operator data, checked by one zod schema (the same
 * for REST bodies, forms and the store), matched in priority order.
 *
 * Number patterns follow the Asterisk extension-pattern convention every PBX admin knows:
 *   `95598`      exactly that number;
 *   `_9559X`     a pattern (after `_`): X = 0-9, Z = 1-9, N = 2-9, [1-5] a class, `.` one or
 *                more of anything (last only), `!` zero or more (last only).
 * A target names an IVR flow, a queue or an extension; a target that does not exist (yet) is
 * accepted here and fails clearly when a call reaches it (the call handler answers 404/480).
 * A `diagnostic` target is a test line (diagnostic.ts: answer-hangup, echo, echo-record,
 * answer-silence, each held `holdMs`), stored as the text `mode:holdMs`.
 */
import { z } from 'zod';

/** Test lines (diagnostic.ts). */
export const DiagnosticModes = ['answer-hangup', 'echo', 'echo-record', 'answer-silence'] as const;
export type DiagnosticMode = (typeof DiagnosticModes)[number];

export const RouteTargetKinds = ['ivr', 'queue', 'extension', 'diagnostic'] as const;
export type RouteTargetKind = (typeof RouteTargetKinds)[number];

const PATTERN = /^(?:\+?[0-9*#]{1,32}|_(?:[0-9*#+XZN.!]|\[[0-9](?:-[0-9])?(?:[0-9](?:-[0-9])?)*\]){1,32})$/;

export const NumberPatternSchema = z
  .string()
  .trim()
  .regex(PATTERN, 'a number (digits, * #) or a pattern starting with "_" (X Z N [a-b] . !)')
  .refine((p) => !/[.!]./.test(p), 'pattern: "." and "!" may only end a pattern');

export const RouteSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and "-"'),
    name: z.string().trim().min(1).max(100),
    priority: z.number().int().min(0).max(10_000).default(100),
    did: NumberPatternSchema,
    caller: NumberPatternSchema.nullable().default(null),
    target: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('ivr'), flow: z.string().min(1).max(64) }).strict(),
      z.object({ kind: z.literal('queue'), queue: z.string().min(1).max(64) }).strict(),
      z.object({ kind: z.literal('extension'), extension: z.string().regex(/^[0-9]{2,16}$/, 'an extension number') }).strict(),
      z
        .object({
          kind: z.literal('diagnostic'),
          mode: z.enum(DiagnosticModes),
          /** How long the line stays up before it hangs up, ms; 0 = until the caller hangs up. */
          holdMs: z.number().int().min(0).max(86_400_000).default(1000),
        })
        .strict(),
    ]),
    enabled: z.boolean().default(true),
  })
  .strict();

export type Route = z.infer<typeof RouteSchema>;
export type RouteInput = z.input<typeof RouteSchema>;

/** The target of a route as one name (for CDRs and events, and the stored `target` text). */
export function targetName(t: Route['target']): string {
  switch (t.kind) {
    case 'ivr':
      return t.flow;
    case 'queue':
      return t.queue;
    case 'extension':
      return t.extension;
    case 'diagnostic':
      return `${t.mode}:${t.holdMs}`;
  }
}

/** The inverse of targetName: a stored kind and name as a target to validate with RouteSchema. */
export function targetFromName(kind: string, name: string): unknown {
  switch (kind) {
    case 'ivr':
      return { kind, flow: name };
    case 'queue':
      return { kind, queue: name };
    case 'diagnostic': {
      const [mode, hold] = name.split(':');
      return { kind, mode, holdMs: hold === undefined || hold === '' ? undefined : Number(hold) };
    }
    default:
      return { kind, extension: name };
  }
}

/** Compile a pattern to a RegExp (anchored). */
export function compilePattern(p: string): RegExp {
  if (!p.startsWith('_')) return new RegExp(`^${p.replace(/[+*#]/g, (c) => `\\${c}`)}$`);
  let re = '';
  const body = p.slice(1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === 'X') re += '[0-9]';
    else if (c === 'Z') re += '[1-9]';
    else if (c === 'N') re += '[2-9]';
    else if (c === '.') re += '.+';
    else if (c === '!') re += '.*';
    else if (c === '[') {
      const end = body.indexOf(']', i);
      re += body.slice(i, end + 1);
      i = end;
    } else re += c === '*' || c === '#' || c === '+' ? `\\${c}` : c;
  }
  return new RegExp(`^${re}$`);
}

/** The first enabled route (lowest priority, then id) matching the called and calling numbers. */
export function matchRoute(routes: readonly Route[], called: string, caller: string): Route | null {
  const sorted = [...routes].filter((r) => r.enabled).sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
  for (const r of sorted) {
    if (!compilePattern(r.did).test(called)) continue;
    if (r.caller !== null && !compilePattern(r.caller).test(caller)) continue;
    return r;
  }
  return null;
}
