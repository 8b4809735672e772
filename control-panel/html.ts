/**
 * Server-rendered HTML that escapes by default (DESIGN.md "web": "server-rendered HTML with
 * escaping by default"). `html` is a tagged template: every interpolated value is escaped
 * (`& < > " '` → entities, per the HTML Living Standard's rules for text and quoted attribute
 * values) unless it is already SafeHtml — the result of another `html` template or of the
 * explicit escape hatch `raw()`. Arrays are rendered item by item with the same rule;
 * null, undefined and false render as nothing, so `${cond && html`…`}` works.
 *
 *   html`<p title="${userText}">${userText}</p>`   // both escaped
 *   html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`
 *   raw(trustedMarkupFromOurOwnCode)               // never for user or operator input
 */

const brand: unique symbol = Symbol('SafeHtml');

export interface SafeHtml {
  readonly [brand]: true;
  readonly value: string;
  toString(): string;
}

function safe(value: string): SafeHtml {
  return { [brand]: true, value, toString: () => value };
}

export function isSafeHtml(v: unknown): v is SafeHtml {
  return typeof v === 'object' && v !== null && (v as { [brand]?: unknown })[brand] === true;
}

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape text for an HTML text node or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c]!);
}

/** Mark a string as trusted markup. Only for markup our own code builds, never for input. */
export function raw(markup: string): SafeHtml {
  return safe(markup);
}

export type HtmlValue = SafeHtml | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (isSafeHtml(v)) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return safe(out);
}

/** A whole document: `<!doctype html>` prefix and the string to send. */
export function page(body: SafeHtml): string {
  return `<!doctype html>\n${body.value}`;
}
