/**
 * Azure Functions runtime adapter (Node.js programming model v4, `@azure/functions`): HTTP and timer
 * triggers to and from the cloud-neutral shapes in `shared/ports/http`. Every registration is also kept in a
 * small in-process registry so the local host (`shared/adapters/local`) can serve the same handlers
 * without the Functions host (core tools are not available everywhere).
 *
 * `registerRouter` serves the router with HTTP streaming (`app.setup({ enableHttpStream: true })` in the app's
 * main): the handler returns once the router wrote the head, with a `Readable` body the router keeps writing.
 */
import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext, app as azureApp } from '@azure/functions';
import { MeshgateError, toHttpResponse } from '../../core/errors';
import type { Logger } from '../../ports/logger';
import type { HttpHandlerFn, HttpRequestLike, HttpResult, TimerHandlerFn } from '../../ports/http';
import { errorLogFields } from '../../usecases/http-router';
import type { Router, RouterRequest } from '../../usecases/router';
import { headerPairs, ReadableSink } from '../readable-sink';

/** The two registration calls we use from `app` (a recording fake can stand in for it). */
export type AzureApp = Pick<typeof azureApp, 'http' | 'timer'>;

/** Every method, so a path that exists answers 405 from our router instead of the host's bare 404. */
export const ALL_METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Default `extensions.http.routePrefix` of host.json; our host.json keeps it. */
export const DEFAULT_ROUTE_PREFIX = 'api';

/** Logger over the invocation context: one JSON line per event, correlated with the invocation by the host. */
export function contextLogger(context: InvocationContext, base: Record<string, unknown> = {}): Logger {
  const line = (fields: Record<string, unknown>, msg: string) => JSON.stringify({ msg, ...base, ...fields });
  return {
    debug: (f, m) => context.debug(line(f, m)),
    info: (f, m) => context.info(line(f, m)),
    warn: (f, m) => context.warn(line(f, m)),
    error: (f, m) => context.error(line(f, m)),
    child: (f) => contextLogger(context, { ...base, ...f }),
  };
}

function stripPrefix(pathname: string, routePrefix: string): string {
  const prefix = routePrefix ? `/${routePrefix.replace(/^\/+|\/+$/g, '')}` : '';
  if (!prefix) return pathname || '/';
  if (pathname === prefix) return '/';
  return pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) : pathname;
}

/** The client address the front end reports (`x-forwarded-for` is `ip:port` on App Service), without the port. */
function clientIp(headers: Record<string, string>): string | undefined {
  const first = headers['x-forwarded-for']?.split(',')[0]?.trim();
  if (!first) return undefined;
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(first);
  if (v4WithPort?.[1]) return v4WithPort[1];
  const v6WithPort = /^\[([^\]]+)\](?::\d+)?$/.exec(first);
  return v6WithPort?.[1] ?? first;
}

/** Azure `HttpRequest` to the neutral request, with the route prefix (`/api`) removed from the path. */
export async function toHttpRequest(request: HttpRequest, routePrefix = DEFAULT_ROUTE_PREFIX): Promise<HttpRequestLike> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key.toLowerCase()] = value;
  });
  const query: Record<string, string> = {};
  request.query.forEach((value, key) => {
    query[key] = key in query ? `${query[key]},${value}` : value;
  });
  const sourceIp = clientIp(headers);
  return {
    method: request.method.toUpperCase(),
    path: stripPrefix(url.pathname, routePrefix),
    headers,
    query,
    body: request.body ? await request.text() : '',
    ...(sourceIp ? { sourceIp } : {}),
  };
}

export const toResponseInit = (result: HttpResult): HttpResponseInit => ({ status: result.status, headers: { ...result.headers }, body: result.body });

export interface AzureHttpOptions {
  /** Route template relative to the route prefix, e.g. `health`. */
  readonly route: string;
  /** Methods the host forwards; defaults to all so the router can answer 405. */
  readonly methods?: readonly HttpMethod[];
  readonly authLevel?: 'anonymous' | 'function' | 'admin';
  /** host.json `extensions.http.routePrefix`; default `api`. */
  readonly routePrefix?: string;
  readonly logger?: (context: InvocationContext) => Logger;
}

export type AzureHttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/**
 * The v4 HTTP handler around a neutral handler. Every thrown error is logged once (secret-free) and answered
 * with `toHttpResponse`, so Azure answers exactly as AWS and GCP do.
 */
export function azureHttpHandler(fn: HttpHandlerFn, options: Omit<AzureHttpOptions, 'route'> = {}): AzureHttpHandler {
  return async (request, context) => {
    try {
      return toResponseInit(await fn(await toHttpRequest(request, options.routePrefix)));
    } catch (err) {
      return answerError(err, request, options.logger?.(context) ?? contextLogger(context));
    }
  };
}

/** Logs a thrown error once (secret-free) and answers it with `toHttpResponse`. */
function answerError(err: unknown, request: HttpRequest, logger: Logger): HttpResponseInit {
  const result = toHttpResponse(err);
  const fields = { ...errorLogFields(err), method: request.method, path: new URL(request.url).pathname };
  if (result.status >= 500) logger.error(fields, 'http request failed');
  else logger.warn(fields, 'http request rejected');
  return toResponseInit(result);
}

/** Checks the timer trigger payload `{isPastDue, scheduleStatus?}`; returns the reason it is malformed, or undefined. */
export function timerProblem(timer: unknown): string | undefined {
  if (typeof timer !== 'object' || timer === null) return `expected a timer object, got ${timer === null ? 'null' : typeof timer}`;
  const t = timer as Record<string, unknown>;
  if (typeof t.isPastDue !== 'boolean') return `isPastDue must be a boolean, got ${JSON.stringify(t.isPastDue)}`;
  if (t.scheduleStatus === undefined || t.scheduleStatus === null) return undefined;
  if (typeof t.scheduleStatus !== 'object') return 'scheduleStatus must be an object when present';
  for (const field of ['last', 'next', 'lastUpdated'] as const) {
    const value = (t.scheduleStatus as Record<string, unknown>)[field];
    if (value !== undefined && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) {
      return `scheduleStatus.${field} must be an ISO-8601 timestamp`;
    }
  }
  return undefined;
}

export interface AzureTimerOptions {
  /**
   * Time the tick may use, from its start: the Azure context carries no deadline. Keep it below the schedule
   * period and host.json `functionTimeout`. Default 55 s.
   */
  readonly budgetMs?: number;
  readonly now?: () => number;
  readonly logger?: (context: InvocationContext) => Logger;
}

export type AzureTimerHandler = (timer: unknown, context: InvocationContext) => Promise<void>;

/** The v4 timer handler around a neutral one. Malformed payloads and failures are logged and rethrown. */
export function azureTimerHandler(fn: TimerHandlerFn, options: AzureTimerOptions = {}): AzureTimerHandler {
  const now = options.now ?? ((): number => Date.now());
  return async (timer, context) => {
    const started = now();
    try {
      const problem = timerProblem(timer);
      if (problem) throw new MeshgateError('validation', `malformed timer payload: ${problem}`);
      await fn(timer, started + (options.budgetMs ?? 55_000));
    } catch (err) {
      (options.logger?.(context) ?? contextLogger(context)).error(errorLogFields(err), 'scheduled tick failed');
      throw err;
    }
  };
}

export type AzureRegistration =
  | { readonly kind: 'http'; readonly name: string; readonly route: string; readonly routePrefix: string; readonly methods: readonly HttpMethod[]; readonly handler: AzureHttpHandler }
  | { readonly kind: 'timer'; readonly name: string; readonly schedule: string; readonly handler: AzureTimerHandler };

const registry = new Map<string, AzureRegistration>();

/** What this process registered through `registerHttp`/`registerTimer`, in registration order. */
export const azureRegistrations = (): readonly AzureRegistration[] => [...registry.values()];

function remember(registration: AzureRegistration): void {
  if (registry.has(registration.name)) throw new MeshgateError('conflict', `Azure function "${registration.name}" is registered twice`, { expose: false });
  registry.set(registration.name, registration);
}

/** Registers an HTTP-triggered function with `app.http` (anonymous auth unless told otherwise). */
export function registerHttp(app: AzureApp, name: string, fn: HttpHandlerFn, options: AzureHttpOptions): AzureHttpHandler {
  const handler = azureHttpHandler(fn, options);
  const methods = options.methods ?? ALL_METHODS;
  remember({ kind: 'http', name, route: options.route, routePrefix: options.routePrefix ?? DEFAULT_ROUTE_PREFIX, methods, handler });
  app.http(name, { route: options.route, methods: [...methods], authLevel: options.authLevel ?? 'anonymous', handler });
  return handler;
}

/** Registers a timer-triggered function with `app.timer`; `schedule` is NCRONTAB with seconds (`*\/5 * * * * *`). */
export function registerTimer(app: AzureApp, name: string, schedule: string, fn: TimerHandlerFn, options: AzureTimerOptions = {}): AzureTimerHandler {
  const handler = azureTimerHandler(fn, options);
  remember({ kind: 'timer', name, schedule, handler });
  app.timer(name, { schedule, handler: (timer, context) => handler(timer, context) });
  return handler;
}

/** What a streaming entry point needs of the router. */
export type RouterLike = Pick<Router, 'handle' | 'maxBodyBytes'>;

const NO_BODY: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
const NULL_BODY_STATUS: ReadonlySet<number> = new Set([101, 204, 205, 304]);

/** Reads the request body, stopping (and dropping what was read) once it exceeds `limit`. */
async function boundedBody(request: HttpRequest, limit: number): Promise<{ body: Uint8Array | null; tooLarge: boolean }> {
  const declared = Number(request.headers.get('content-length') ?? -1);
  if (declared > limit) return { body: null, tooLarge: true };
  if (!request.body) return { body: null, tooLarge: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body.values()) {
    size += chunk.byteLength;
    if (size > limit) return { body: null, tooLarge: true };
    chunks.push(chunk);
  }
  return { body: size === 0 ? null : Buffer.concat(chunks, size), tooLarge: false };
}

/** Azure `HttpRequest` to the router's request, with the route prefix (`/api`) removed from the path. */
export async function toRouterRequest(request: HttpRequest, maxBodyBytes: number, routePrefix = DEFAULT_ROUTE_PREFIX): Promise<RouterRequest> {
  const url = new URL(request.url);
  const method = request.method.toUpperCase();
  const rawHeaders: string[] = [];
  request.headers.forEach((value, name) => rawHeaders.push(name, value));
  const { body, tooLarge } = NO_BODY.has(method) ? { body: null, tooLarge: false } : await boundedBody(request, maxBodyBytes);
  const remoteAddress = clientIp({ 'x-forwarded-for': request.headers.get('x-forwarded-for') ?? '' });
  return {
    method,
    url: `${stripPrefix(url.pathname, routePrefix)}${url.search}`,
    rawHeaders,
    body,
    ...(tooLarge ? { bodyTooLarge: true } : {}),
    ...(remoteAddress ? { remoteAddress } : {}),
  };
}

/**
 * The v4 HTTP handler around the router. The router comes from `getRouter` per invocation (built once per
 * worker); if that throws (a misconfigured function set) the error is logged and answered like any other.
 * The worker does not tell a handler that its client left, so a stream ends when the backend ends it.
 */
export function azureRouterHandler(getRouter: () => RouterLike, options: Pick<AzureHttpOptions, 'routePrefix' | 'logger'> = {}): AzureHttpHandler {
  return async (request, context) => {
    let router: RouterLike;
    try {
      router = getRouter();
    } catch (err) {
      return answerError(err, request, options.logger?.(context) ?? contextLogger(context));
    }
    const sink = new ReadableSink();
    router.handle(await toRouterRequest(request, router.maxBodyBytes, options.routePrefix), sink);
    const head = await sink.head;
    const headers = headerPairs(head.headers);
    if (NULL_BODY_STATUS.has(head.status) || request.method.toUpperCase() === 'HEAD') {
      sink.body.resume();
      return { status: head.status, headers };
    }
    return { status: head.status, headers, body: sink.body };
  };
}

/** Where the router is reached: its MCP path and plain HTTP prefixes (from `router:` in meshgate.yaml). */
export interface RouterRoutes {
  readonly mcpPath: string;
  readonly httpPrefixes: readonly string[];
}

/** Route templates (relative to the route prefix) for the router's paths: `mcp`, `api/{*rest}`, `{*rest}`. */
export function routerRouteTemplates(routes: RouterRoutes): { route: string; methods: readonly HttpMethod[] }[] {
  const trim = (path: string): string => path.replace(/^\/+|\/+$/g, '');
  return [
    { route: trim(routes.mcpPath), methods: ['GET', 'POST', 'DELETE', 'OPTIONS'] },
    ...routes.httpPrefixes.map((prefix) => ({ route: [trim(prefix), '{*rest}'].filter(Boolean).join('/'), methods: ALL_METHODS })),
  ];
}

/**
 * Registers the router: one HTTP function for the MCP path (`name`) and one per plain HTTP prefix
 * (`<name>Http1`, ...). Needs `app.setup({ enableHttpStream: true })` for responses to stream.
 */
export function registerRouter(app: AzureApp, name: string, getRouter: () => RouterLike, routes: RouterRoutes, options: Pick<AzureHttpOptions, 'authLevel' | 'routePrefix' | 'logger'> = {}): AzureHttpHandler {
  const handler = azureRouterHandler(getRouter, options);
  routerRouteTemplates(routes).forEach(({ route, methods }, i) => {
    const fnName = i === 0 ? name : `${name}Http${i}`;
    remember({ kind: 'http', name: fnName, route, routePrefix: options.routePrefix ?? DEFAULT_ROUTE_PREFIX, methods, handler });
    app.http(fnName, { route, methods: [...methods], authLevel: options.authLevel ?? 'anonymous', handler });
  });
  return handler;
}
