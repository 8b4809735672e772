/**
 * Webhook request signing, in the scheme popularised by Stripe: the appliance sends
 *
 *   X-Hotline-Timestamp: 1767574800
 *   X-Hotline-Signature: t=1767574800,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
 *
 * where `v1` is the lowercase hex HMAC-SHA256 (RFC 2104, FIPS 180-4) keyed with the
 * subscription's secret over the ASCII timestamp, a full stop and the raw request body:
 * `"<t>.<body>"`. A receiver verifies it like this (what `verifySignature` does):
 *   1. take the raw body bytes exactly as received (before any JSON parsing);
 *   2. split the header on `,` into `key=value` pairs; read `t` and every `v1`;
 *   3. compute HMAC-SHA256(secret, `${t}.${body}`) as hex and compare it with each `v1`
 *      in constant time (crypto.timingSafeEqual); one match is enough;
 *   4. reject when |now − t| exceeds a tolerance (300 s by default), which bounds replays.
 * The timestamp is taken when each attempt is sent, so a retry carries a fresh signature.
 * Several `v1` entries are accepted so the header can carry old and new secrets during a rotation.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Hotline-Signature';
export const TIMESTAMP_HEADER = 'X-Hotline-Timestamp';
export const EVENT_HEADER = 'X-Hotline-Event';
export const DELIVERY_HEADER = 'X-Hotline-Delivery';

/** Default replay window for verifySignature, seconds. */
export const DEFAULT_TOLERANCE_SEC = 300;

/** Hex HMAC-SHA256(secret, "<timestamp>.<body>"). */
export function computeSignature(secret: string, timestampSec: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestampSec}.`).update(body).digest('hex');
}

/** The X-Hotline-Signature value: `t=<timestamp>,v1=<hex>`. */
export function signatureHeader(secret: string, timestampSec: number, body: string | Buffer): string {
  return `t=${timestampSec},v1=${computeSignature(secret, timestampSec, body)}`;
}

export type VerifyResult =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'malformed' | 'mismatch' | 'expired' };

export interface VerifyOptions {
  secret: string;
  /** The X-Hotline-Signature header value as received. */
  header: string | undefined | null;
  /** The raw request body, exactly as received. */
  body: string | Buffer;
  /** The receiver's current time, ms since the epoch (e.g. Date.now()). */
  now: number;
  /** Largest accepted |now − t|, seconds (default 300). */
  toleranceSec?: number;
}

/** Check a signature header against a body; the answer is a value, never an exception. */
export function verifySignature(opts: VerifyOptions): VerifyResult {
  if (!opts.header) return { ok: false, reason: 'malformed' };
  let timestamp: number | null = null;
  const candidates: string[] = [];
  for (const part of opts.header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return { ok: false, reason: 'malformed' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value)) return { ok: false, reason: 'malformed' };
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return { ok: false, reason: 'malformed' };
      candidates.push(value);
    }
  }
  if (timestamp === null || candidates.length === 0) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(computeSignature(opts.secret, timestamp, opts.body), 'hex');
  const matched = candidates.some((c) => timingSafeEqual(Buffer.from(c, 'hex'), expected));
  if (!matched) return { ok: false, reason: 'mismatch' };
  const tolerance = opts.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  if (Math.abs(opts.now / 1000 - timestamp) > tolerance) return { ok: false, reason: 'expired' };
  return { ok: true, timestamp };
}
