/**
 * `{{name}}` templates in flow strings, replaced by call variables when a node runs. An unset
 * variable becomes '' (the validator already refuses names no node ever sets).
 */
import type { Variables } from './ports.js';

const VAR = /\{\{\s*([a-z][a-z0-9_]*)\s*\}\}/g;

export function render(template: string, vars: Readonly<Variables>): string {
  return template.replace(VAR, (_, name: string) => vars[name] ?? '');
}

/** The variable names a template refers to. */
export function referencedVars(template: string): string[] {
  return [...template.matchAll(VAR)].map((m) => m[1]!);
}

/** A dotted path into an adapter answer (`bills.0.amount`); undefined when absent. */
export function pick(data: unknown, path: string): unknown {
  let cur: unknown = data;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}
