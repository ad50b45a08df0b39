/**
 * Routing among the paths of one function, and the error-to-log mapping every runtime adapter shares.
 * Pure: no I/O, no clock. Each cloud's runtime adapter converts its native request into an HttpRequestLike
 * and calls the routed handler, so all three clouds answer 404/405 with the same JSON and headers.
 */
import { MeshgateError, asMeshgateError, toHttpResponse } from '../core/errors';
import type { HttpHandlerFn, HttpRequestLike, HttpResult } from '../ports/http';

/** `'GET /health'`: an upper-case method, one space, an absolute path (no query string, no trailing slash). */
export type RouteKey = `${string} /${string}`;

const ROUTE_KEY = /^([A-Z]+) (\/[^\s?#]*)$/;
const MAX_ECHO = 200;

/** Path comparison ignores one trailing slash (`/health/` is `/health`), never the root's. */
export function normalizePath(path: string): string {
  if (path.length > 1 && path.endsWith('/')) return path.slice(0, -1);
  return path === '' ? '/' : path;
}

const echo = (text: string): string => (text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}...` : text);

/** 404 answer in the shape every error uses: `{error:{code:'not_found', message}}`. */
export function notFound(request: Pick<HttpRequestLike, 'method' | 'path'>): HttpResult {
  return toHttpResponse(new MeshgateError('not_found', `no route for ${request.method} ${echo(request.path)}`));
}

/** 405 answer with the `Allow` header listing what the path accepts. */
export function methodNotAllowed(request: Pick<HttpRequestLike, 'method' | 'path'>, allow: readonly string[]): HttpResult {
  const allowed = allow.join(', ');
  return {
    status: 405,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', allow: allowed },
    body: JSON.stringify({
      error: { code: 'method_not_allowed', message: `${request.method} is not allowed on ${echo(request.path)}; allowed: ${allowed}` },
    }),
  };
}

/**
 * Builds one handler that dispatches on `METHOD /path` (exact path match, one trailing slash ignored).
 * A path that exists with another method answers 405 with `Allow`; an unknown path answers 404.
 * `HEAD` is served by the `GET` route with the body dropped. Malformed route keys throw at construction.
 */
export function routeHttp(routes: Readonly<Record<RouteKey, HttpHandlerFn>>): HttpHandlerFn {
  const table = new Map<string, Map<string, HttpHandlerFn>>();
  for (const [key, handler] of Object.entries(routes)) {
    const match = ROUTE_KEY.exec(key);
    if (!match || match[1] === undefined || match[2] === undefined) {
      throw new MeshgateError('validation', `route key "${key}" must look like "GET /path"`, { expose: false });
    }
    const path = normalizePath(match[2]);
    const methods = table.get(path) ?? new Map<string, HttpHandlerFn>();
    if (methods.has(match[1])) throw new MeshgateError('validation', `route "${key}" is declared twice`, { expose: false });
    methods.set(match[1], handler);
    table.set(path, methods);
  }

  return async (request) => {
    const methods = table.get(normalizePath(request.path));
    if (!methods) return notFound(request);
    const method = request.method.toUpperCase();
    const handler = methods.get(method);
    if (handler) return handler(request);
    const get = methods.get('GET');
    if (method === 'HEAD' && get) return { ...(await get(request)), body: '' };
    const allow = [...methods.keys()];
    if (get && !methods.has('HEAD')) allow.push('HEAD');
    return methodNotAllowed(request, allow.sort());
  };
}

const SECRET_PAIR =
  /\b([\w-]*(?:secret|token|password|passwd|credential|authorization|signature|api[_-]?key|access[_-]?key|account[_-]?key)[\w-]*|key|sig)(["']?\s*[:=]\s*["']?)[^\s"'&;,]+/gi;
const BEARER = /\b(Bearer|Basic|SharedKey)\s+[^\s"',;]+/gi;
const MAX_MESSAGE = 500;

/** Masks `key=value`-style secrets and auth schemes in free text, and bounds its length. */
export function redact(text: string): string {
  // Auth schemes first: `Authorization: Bearer x` must lose the token, not just the word Bearer.
  const masked = text.replace(BEARER, '$1 [redacted]').replace(SECRET_PAIR, '$1$2[redacted]');
  return masked.length > MAX_MESSAGE ? `${masked.slice(0, MAX_MESSAGE)}...` : masked;
}

/**
 * Secret-free structured fields describing an error for one log line: code, retryable, the (redacted) message,
 * `details` (secret-free by contract) and the cause's name and redacted message. Never stacks or request data.
 */
export function errorLogFields(err: unknown): Record<string, unknown> {
  const error = asMeshgateError(err);
  const fields: Record<string, unknown> = {
    code: error.code,
    status: toHttpResponse(error).status,
    retryable: error.retryable,
    error: redact(error.message),
  };
  if (Object.keys(error.details).length > 0) fields.details = error.details;
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    fields.cause = cause.message === error.message ? { name: cause.name } : { name: cause.name, message: redact(cause.message) };
  }
  return fields;
}
