/**
 * Response headers for every panel answer (RELIABILITY.md W2, W8; ASVS 5.0 3.4): a CSP with
 * no 'unsafe-inline' and no 'unsafe-eval' (scripts and styles only from our own origin; htmx
 * is served from node_modules, never a CDN), `frame-ancestors 'none'`, nosniff, a strict
 * Referrer-Policy, and HSTS when the request came over TLS (RFC 6797 §7.2: "An HSTS Host MUST
 * NOT include the STS header field in HTTP responses conveyed over non-secure transport").
 */
import type { RequestHandler } from 'express';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

export function securityHeaders(): RequestHandler {
  return (req, res, next) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    next();
  };
}
