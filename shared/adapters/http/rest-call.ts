/**
 * Plumbing shared by the adapters that call a cloud's REST API through fetch (Traffic Manager, Cloud DNS, Route 53):
 * one bounded fetch per call, Retry-After parsing, network-error classification with secret redaction, and
 * the mapping of a thrown MeshgateError onto an Outcome.
 */
import { MeshgateError } from '../../core/errors';
import type { Outcome } from '../../core/outcome';

export interface RestRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Deadline in ms; 0 = none. */
  readonly timeoutMs: number;
}

/** Header names lower-case. */
export interface RestResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** One fetch per call (Node's global fetch by default), bounded by the request's deadline; never follows redirects. */
export function fetchRestSend(fetchFn: typeof fetch = globalThis.fetch): (request: RestRequest) => Promise<RestResponse> {
  return async (req) => {
    const res = await fetchFn(req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.body === undefined ? {} : { body: req.body }),
      redirect: 'manual',
      ...(req.timeoutMs > 0 ? { signal: AbortSignal.timeout(req.timeoutMs) } : {}),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      headers[key.toLowerCase()] = value;
    });
    return { status: res.status, headers, body: await res.text() };
  };
}

/** Retry-After as delay-seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function retryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1_000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'TimeoutError']);

/** The socket error code (ECONNREFUSED...) or timeout name behind a fetch error ("fetch failed" wraps it in `cause`). */
export function errorName(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth += 1) {
    const e = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return e.name;
    current = e.cause;
  }
  const e = (err ?? {}) as { name?: unknown; message?: unknown };
  return typeof e.name === 'string' ? e.name : String(e.message ?? err);
}

/** A retryable `timeout` or `unavailable` error for a failed call, with `secret` blanked out of the message. */
export function networkError(err: unknown, operation: string, secret: string): MeshgateError {
  const name = errorName(err);
  const message = redact(err instanceof Error ? err.message : String(err), secret);
  return new MeshgateError(TIMEOUT_CODES.has(name) ? 'timeout' : 'unavailable', `${operation}: ${name}: ${message}`, { retryable: true, details: { network: name } });
}

export const redact = (text: string, secret: string): string => (secret.length >= 4 ? text.split(secret).join('[redacted]') : text);

export interface RetryDefaults {
  readonly throttleRetryMs: number;
  readonly unavailableRetryMs: number;
}

/**
 * A thrown error as an Outcome: non-retryable errors fail; retryable ones carry the server's Retry-After hint
 * (`details.retryAfterMs`) or the default delay for throttling / unavailability.
 */
export function outcomeOfError(err: unknown, defaults: RetryDefaults): Outcome<never> {
  const error = err instanceof MeshgateError ? err : new MeshgateError('internal', String(err), { cause: err });
  if (!error.retryable) return { status: 'failure', error };
  const hint = error.details.retryAfterMs;
  const retryInMs = typeof hint === 'number' ? hint : error.code === 'throttled' ? defaults.throttleRetryMs : defaults.unavailableRetryMs;
  return { status: 'retryable', error, retryInMs };
}
