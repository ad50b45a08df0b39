/**
 * The one error type meshgate throws. Adapters translate SDK and HTTP failures into it where they catch them,
 * so nothing above `shared/adapters` ever sees an SDK error class.
 */
export type ErrorCode =
  | 'validation'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'throttled'
  | 'unavailable'
  | 'timeout'
  | 'internal';

const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set(['throttled', 'unavailable', 'timeout']);
const CLIENT_CODES: ReadonlySet<ErrorCode> = new Set(['validation', 'not_found', 'conflict', 'unauthorized']);

const HTTP_STATUS: Record<ErrorCode, number> = {
  validation: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  throttled: 429,
  internal: 500,
  unavailable: 503,
  timeout: 504,
};

export interface MeshgateErrorOptions {
  retryable?: boolean;
  /** Whether the message may be shown to a caller. Defaults to true only for client errors. */
  expose?: boolean;
  cause?: unknown;
  /** Structured, secret-free context (store name, key, path...). */
  details?: Record<string, unknown>;
}

export class MeshgateError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly expose: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: MeshgateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MeshgateError';
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.expose = options.expose ?? CLIENT_CODES.has(code);
    this.details = options.details ?? {};
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

export const isMeshgateError = (err: unknown): err is MeshgateError => err instanceof MeshgateError;

export const hasCode = (err: unknown, code: ErrorCode): boolean => isMeshgateError(err) && err.code === code;

/** Wraps anything thrown into a MeshgateError, keeping a MeshgateError as it is. */
export function asMeshgateError(err: unknown, fallback: ErrorCode = 'internal'): MeshgateError {
  if (isMeshgateError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MeshgateError(fallback, message, { cause: err });
}

/** Transport-neutral HTTP answer used by every cloud's entry point. */
export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Maps any error to an HTTP answer. Exposed errors keep their message and code; everything else
 * becomes a generic 500 so internals (and anything secret inside them) never reach a client.
 */
export function toHttpResponse(err: unknown): HttpResult {
  const error = asMeshgateError(err);
  const status = error.expose ? error.httpStatus : error.code === 'internal' ? 500 : error.httpStatus;
  const message = error.expose ? error.message : 'internal error';
  const code = error.expose ? error.code : error.code === 'internal' ? 'internal' : error.code;
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify({ error: { code, message } }),
  };
}
