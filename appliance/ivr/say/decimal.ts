/**
 * Decimal strings for the say module. Amounts and numbers arrive as text (from a lookup, a
 * collected variable or a flow literal), so they are parsed exactly — never through a float,
 * which would turn 0.29 元 into 0.28999… and read "二角八分".
 */
import { ValidationError } from '../../core/errors.js';

export interface Decimal {
  negative: boolean;
  /** Integer digits without leading zeros ('0' for zero). */
  int: string;
  /** Fraction digits as written (may be ''). */
  frac: string;
}

const DECIMAL = /^([+-])?(\d+)(?:\.(\d*))?$/;

/** Largest integer part the readers accept: 16 digits (千万亿, Chinese reading has no larger unit here). */
export const MAX_INT_DIGITS = 16;

export function parseDecimal(value: string | number, field = 'value'): Decimal {
  const text = typeof value === 'number' ? numberText(value, field) : value.trim().replace(/,/g, '');
  const m = DECIMAL.exec(text);
  if (!m) throw new ValidationError(`not a number: ${JSON.stringify(value)}`, [{ path: field, message: 'not a decimal number' }]);
  const int = (m[2] ?? '0').replace(/^0+(?=\d)/, '');
  if (int.length > MAX_INT_DIGITS)
    throw new ValidationError(`number too large: ${text}`, [{ path: field, message: `more than ${MAX_INT_DIGITS} integer digits` }]);
  return { negative: m[1] === '-' && !/^0*$/.test(int + (m[3] ?? '')), int, frac: m[3] ?? '' };
}

/** Money as integer fen (分), rounded half-up at the third decimal. */
export function toFen(value: string | number, field = 'value'): { negative: boolean; fen: bigint } {
  const d = parseDecimal(value, field);
  const frac = (d.frac + '000').slice(0, 3);
  let fen = BigInt(d.int) * 100n + BigInt(frac.slice(0, 2));
  if (Number(frac[2]) >= 5) fen += 1n;
  return { negative: d.negative && fen > 0n, fen };
}

function numberText(n: number, field: string): string {
  if (!Number.isFinite(n)) throw new ValidationError(`not a finite number: ${n}`, [{ path: field, message: 'not finite' }]);
  // toFixed avoids exponent notation for large and small values; trim trailing zeros after it.
  const fixed = Math.abs(n) >= 1e21 ? String(n) : n.toFixed(10);
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}
