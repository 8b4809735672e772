/**
 * The one place that turns an error into an HTTP answer. Every failure under /api/v1 has one
 * shape, `{ error: { code, message, fields? } }`, where `code` is the AppError code
 * (core/errors.ts) and `fields` lists every failing input field for VALIDATION. Status codes
 * follow RFC 9110 §15 (and RFC 6585 §4 for 429, RFC 4918 §11.5 for 507 Insufficient Storage).
 * Unexpected errors become 500 with a fixed message; the details go to the log only.
 */
import type { ErrorRequestHandler, Response } from 'express';
import { AppError, type ErrorCode, type FieldIssue, ValidationError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

export const httpStatusByCode = {
  INTERNAL: 500,
  CONFIG_INVALID: 500,
  DATA_DIR_UNWRITABLE: 500,
  PORT_IN_USE: 500,
  DB_CORRUPT: 500,
  DB_SCHEMA_NEWER: 500,
  DB_FULL: 507,
  VALIDATION: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  DRAINING: 503,
  PARSE: 400,
  INVALID_TRANSITION: 409,
  SIP_TX_TIMEOUT: 504,
  SIP_TRANSPORT: 502,
  SIP_STATUS: 502,
  SPAN_ALARM: 503,
  DRIVER: 500,
  QUEUE_FULL: 503,
  WEBHOOK_DELIVERY: 502,
  BACKUP_FAILED: 500,
  UPSTREAM_UNAVAILABLE: 502,
} as const satisfies Record<ErrorCode, number>;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; fields?: FieldIssue[] };
}

/** No or bad credentials. RFC 9110 §11.6.1: a 401 "MUST send a WWW-Authenticate header field". */
export class UnauthenticatedError extends AppError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/** RFC 6585 §4: a 429 "MAY include a Retry-After header indicating how long to wait". */
export class RateLimitedError extends AppError {
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number) {
    super('RATE_LIMITED', message);
    this.retryAfterMs = retryAfterMs;
  }
}

export const WWW_AUTHENTICATE = 'Bearer realm="hotline-api", charset="UTF-8"';

/** Errors from express's body parser (body-parser 2) carry a `type`; map the ones clients cause. */
function fromBodyParser(err: unknown): AppError | null {
  if (!(err instanceof Error) || !('type' in err)) return null;
  const type = err.type;
  switch (type) {
    case 'entity.parse.failed':
      return new ValidationError(`malformed JSON body: ${err.message}`, [
        { path: '(body)', message: 'malformed JSON' },
      ]);
    case 'entity.too.large': {
      const limit = (err as { limit?: number }).limit;
      return new AppError('PAYLOAD_TOO_LARGE', `request body larger than ${limit ?? 'the limit'} bytes`);
    }
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', err.message);
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError('PARSE', err.message);
    default:
      return null;
  }
}

/** better-sqlite3 raises SqliteError with a string `code`; a full disk must say so. */
function fromSqlite(err: unknown): AppError | null {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === 'SQLITE_FULL') return new AppError('DB_FULL', 'storage is full', { cause: err });
  return null;
}

/**
 * Codes whose message may name files, paths or internals: the client gets a fixed text instead
 * (the real message is logged). Every other AppError message is written for the client.
 */
const hiddenMessages: Partial<Record<ErrorCode, string>> = {
  INTERNAL: 'internal error',
  CONFIG_INVALID: 'internal error',
  DATA_DIR_UNWRITABLE: 'internal error',
  PORT_IN_USE: 'internal error',
  DB_CORRUPT: 'internal error',
  DB_SCHEMA_NEWER: 'internal error',
  DRIVER: 'internal error',
  BACKUP_FAILED: 'internal error',
  DB_FULL: 'storage is full; nothing was written',
};

/** Classify anything thrown; `expected` is false when it is a bug or a server-side failure. */
export function classify(err: unknown): { error: AppError; expected: boolean } {
  const full = fromSqlite(err) ?? (err instanceof AppError ? fromSqlite(err.cause) : null);
  const error =
    full ??
    (err instanceof AppError ? err : null) ??
    fromBodyParser(err) ??
    new AppError('INTERNAL', 'internal error', { cause: err });
  return { error, expected: httpStatusByCode[error.code] < 500 };
}

export function httpStatus(err: AppError): number {
  return httpStatusByCode[err.code];
}

/** The body sent for an error. Internals never leak (see hiddenMessages). */
export function errorBody(err: AppError): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: hiddenMessages[err.code] ?? err.message } };
  if (err instanceof ValidationError) body.error.fields = [...err.issues];
  return body;
}

/** Send `err` on `res` with its status, headers and body; logs what is not the client's fault. */
export function sendError(res: Response, err: unknown, log: Logger): void {
  const { error, expected } = classify(err);
  const status = httpStatus(error);
  if (!expected) {
    log.error({ err: error.cause ?? error, code: error.code, method: res.req.method, url: res.req.originalUrl }, 'api request failed');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error.code === 'UNAUTHENTICATED') res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
  if (error instanceof RateLimitedError) {
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  }
  res.status(status).json(errorBody(error));
}

/** Express error middleware (four arguments) using sendError. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => sendError(res, err, log);
}
