/**
 * Reading urlencoded form bodies and query strings (express `urlencoded({ extended: false })`):
 * a field is a string or, when repeated (checkboxes), an array of strings; anything else is
 * treated as absent. Lengths are capped so an oversized field never reaches a schema.
 */
import type { Request } from 'express';

function bodyOf(req: Request): Record<string, unknown> {
  return (req.body as Record<string, unknown> | undefined) ?? {};
}

/** One form field as text ('' when absent or not a single string). */
export function formStr(req: Request, name: string, max = 1024): string {
  const v = bodyOf(req)[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

/** A repeated form field (checkboxes) as a list of strings. */
export function formList(req: Request, name: string, maxItems = 1000): string[] {
  const v = bodyOf(req)[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string').slice(0, maxItems);
}

/** One query parameter as text ('' when absent or repeated). */
export function queryStr(req: Request, name: string, max = 256): string {
  const v = req.query[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

/** Lines or commas of a textarea as a trimmed list without empties. */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function isHtmx(req: Request): boolean {
  return req.get('HX-Request') === 'true';
}
