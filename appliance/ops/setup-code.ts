/**
 * The first-start setup code. On the very first start the daemon generates a one-time code,
 * stores only its scrypt hash (RFC 7914; salted, so the settings table never reveals it) under
 * `settings.setup.code`, and prints the code once; the control panel's admin-setup page (a later
 * issue) asks for it before creating the first administrator, then calls consumeSetupCode.
 * Later starts print nothing: the code is not recoverable, only replaceable (delete the setting).
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Store } from '../store/database.js';

export const SETUP_CODE_KEY = 'setup.code';
export const SETUP_DONE_KEY = 'setup.completed_at';

/** Crockford base32 without I, L, O, U: readable over the phone. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function newCode(): string {
  const bytes = randomBytes(12);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % 32]!;
  return `${out.slice(0, 4)}-${out.slice(4, 8)}-${out.slice(8, 12)}`;
}

function normalize(code: string): string {
  return code.toUpperCase().replace(/[^0-9A-Z]/g, '');
}

function hash(code: string, salt: Buffer): Buffer {
  return scryptSync(normalize(code), salt, 32);
}

/**
 * On a first start (no code stored, setup not completed) create and store a code and return it
 * for printing; otherwise return null.
 */
export function issueSetupCodeOnFirstStart(store: Store, clock: Clock): string | null {
  const get = store.sqlite.prepare('SELECT value FROM settings WHERE key = ?');
  if (get.get(SETUP_CODE_KEY) || get.get(SETUP_DONE_KEY)) return null;
  const code = newCode();
  const salt = randomBytes(16);
  const stored = `scrypt$${salt.toString('base64')}$${hash(code, salt).toString('base64')}`;
  const inserted = store.sqlite
    .prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING')
    .run(SETUP_CODE_KEY, stored, clock.now());
  return inserted.changes === 1 ? code : null;
}

export function verifySetupCode(store: Store, code: string): boolean {
  const row = store.sqlite.prepare('SELECT value FROM settings WHERE key = ?').get(SETUP_CODE_KEY) as
    | { value: string }
    | undefined;
  if (!row) return false;
  const [scheme, saltB64, hashB64] = row.value.split('$');
  if (scheme !== 'scrypt' || !saltB64 || !hashB64) return false;
  const expected = Buffer.from(hashB64, 'base64');
  const actual = hash(code, Buffer.from(saltB64, 'base64'));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Use the code up: true when it matched (and is now gone, setup marked completed). */
export function consumeSetupCode(store: Store, code: string, clock: Clock): boolean {
  return store.sqlite.transaction(() => {
    if (!verifySetupCode(store, code)) return false;
    store.sqlite.prepare('DELETE FROM settings WHERE key = ?').run(SETUP_CODE_KEY);
    store.sqlite
      .prepare('INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES (?, ?, ?)')
      .run(SETUP_DONE_KEY, String(clock.now()), clock.now());
    return true;
  })();
}
