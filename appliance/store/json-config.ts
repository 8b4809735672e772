/**
 * A configuration kept as a JSON column (sip_trunks.config, outbound_routes.config) is checked
 * again with its zod schema when read: what fails comes back as field issues named
 * `<table>.<id>[.<field path>]`, so the caller skips the row and reports it, never half-uses it.
 */
import type { z } from 'zod';
import type { FieldIssue } from '../core/errors.js';

export type JsonConfig<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

/** `where` names the row (`sip_trunks.carrier`); issue paths extend it with the failing field. */
export function readJsonConfig<S extends z.ZodType>(schema: S, where: string, json: string): JsonConfig<z.output<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return { ok: false, issues: [{ path: where, message: 'config is not JSON' }] };
  }
  const p = schema.safeParse(raw);
  if (p.success) return { ok: true, value: p.data };
  return { ok: false, issues: p.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message })) };
}
