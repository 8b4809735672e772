/**
 * Hostile inputs for the payload tests (issue 9 "Bad input": "XSS payloads in any field are
 * shown inert; CSRF-less posts are refused"). XSS cases follow the OWASP XSS Filter Evasion
 * Cheat Sheet's families — element injection, attribute breakout with either quote, RCDATA and
 * title escapes, event handlers, `javascript:` URLs, htmx attributes (which would run without
 * a script tag), template probes; SQL-injection cases are the classic tautology, stacked
 * statement, UNION and comment forms; the last ones carry CR/LF and NUL for header and log
 * forging. Each XSS payload carries a marker html-scan.ts `injectedMarkup` recognises.
 */
export const XSS_PAYLOADS: readonly string[] = [
  '<script>xss(1)</script>',
  '"><img src=x onerror=xss(2)>',
  "'><xss-probe data-xss=3></xss-probe>",
  "' onmouseover='xss(4)",
  '" onfocus="xss(5)" autofocus="',
  '</textarea><xss-probe data-xss=6>',
  '</title><script>xss(7)</script>',
  '<div hx-get="/admin/users?xss=8" hx-trigger="load" hx-target="body" data-xss="8">',
  'javascript:xss(9)',
  '<svg onload=xss(10)>',
  '<iframe srcdoc="<script>xss(11)</script>"></iframe>',
  '{{constructor.constructor("xss(12)")()}} ${7*7}',
];

export const SQLI_PAYLOADS: readonly string[] = [
  "' OR '1'='1",
  "x'; DROP TABLE panel_users; --",
  "1 UNION SELECT password_hash, login FROM panel_users --",
  '" OR 1=1 --',
  "admin'--",
];

export const CONTROL_PAYLOADS: readonly string[] = ['line\r\nX-Injected: 1\u0000end'];

export const ALL_PAYLOADS: readonly string[] = [...XSS_PAYLOADS, ...SQLI_PAYLOADS, ...CONTROL_PAYLOADS];

/** Text that must never appear in a response: a stored password hash or a raw database error. */
export const LEAK = /scrypt\$|SQLITE_ERROR|SqliteError|near ".*": syntax error/;
