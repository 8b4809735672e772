/**
 * Errors as typed values. Every error the appliance raises on purpose is an AppError with a
 * stable `code`; callers match on `instanceof` or `code`, never on the message. Only
 * api/error-map.ts turns a code into an HTTP status.
 */

export const ErrorCodes = [
  'INTERNAL',
  'CONFIG_INVALID',
  'DATA_DIR_UNWRITABLE',
  'PORT_IN_USE',
  'DB_CORRUPT',
  'DB_SCHEMA_NEWER',
  'DB_FULL',
  'VALIDATION',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'DRAINING',
  'PARSE',
  'INVALID_TRANSITION',
  'SIP_TX_TIMEOUT',
  'SIP_TRANSPORT',
  'SIP_STATUS',
  'SPAN_ALARM',
  'DRIVER',
  'QUEUE_FULL',
  'WEBHOOK_DELIVERY',
  'BACKUP_FAILED',
  'UPSTREAM_UNAVAILABLE',
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

export class AppError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** One failing field of a validated input: `path` is dotted (`sip.port`, `items.2.name`). */
export interface FieldIssue {
  path: string;
  message: string;
}

export class ValidationError extends AppError {
  readonly issues: readonly FieldIssue[];

  constructor(message: string, issues: readonly FieldIssue[], options?: { cause?: unknown }) {
    super('VALIDATION', message, options);
    this.issues = issues;
  }
}

export class ConfigError extends AppError {
  readonly issues: readonly FieldIssue[];

  constructor(message: string, issues: readonly FieldIssue[], options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
    this.issues = issues;
  }
}

export class ParseError extends AppError {
  readonly offset: number;

  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super('PARSE', message, options);
    this.offset = offset;
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string | number) {
    super('NOT_FOUND', `${what} ${String(id)} not found`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

export class InvalidTransitionError extends AppError {
  readonly from: string;
  readonly to: string;

  constructor(entity: string, from: string, to: string) {
    super('INVALID_TRANSITION', `${entity}: no transition from ${from} to ${to}`);
    this.from = from;
    this.to = to;
  }
}

export class SipError extends AppError {
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, options?: { cause?: unknown }) {
    super('SIP_STATUS', `SIP ${status} ${reason}`, options);
    this.status = status;
    this.reason = reason;
  }
}

export class TransactionError extends AppError {
  readonly kind: 'timeout' | 'transport';

  constructor(kind: 'timeout' | 'transport', message: string, options?: { cause?: unknown }) {
    super(kind === 'timeout' ? 'SIP_TX_TIMEOUT' : 'SIP_TRANSPORT', message, options);
    this.kind = kind;
  }
}

export class DriverError extends AppError {
  readonly call: string;
  readonly errno: number | null;

  constructor(call: string, errno: number | null, message: string, options?: { cause?: unknown }) {
    super('DRIVER', message, options);
    this.call = call;
    this.errno = errno;
  }
}

/** Wrap anything thrown into an AppError, keeping the original as `cause`. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError('INTERNAL', message, { cause: err });
}
