/**
 * Google Cloud Functions runtime adapter (`@google-cloud/functions-framework`): HTTP functions and the
 * Cloud Scheduler tick to and from the cloud-neutral shapes in `shared/ports/http`.
 *
 * The registering functions also return the Express handler: entry points export it under the function's
 * name, because a deployed bundle carries its own copy of the framework and the runtime's framework finds
 * the target through the module's exports (its registry is a different module instance).
 *
 * `registerRouter` serves the router: the Express `res` is a Node `ServerResponse` and is the router's sink as
 * it is (chunks are written as they arrive; `close` before the end is the client leaving).
 */
import { http } from '@google-cloud/functions-framework';
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { MeshgateError, toHttpResponse } from '../../core/errors';
import type { Logger } from '../../ports/logger';
import type { HttpHandlerFn, HttpRequestLike, HttpResult, TimerHandlerFn } from '../../ports/http';
import { errorLogFields, methodNotAllowed } from '../../usecases/http-router';
import type { Router, RouterRequest } from '../../usecases/router';

type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
type Write = (line: string) => void;

/** Cloud Logging structured logs: one JSON line on stdout with `severity` and `message`. */
export function cloudLogger(base: Record<string, unknown> = {}, write: Write = (l) => process.stdout.write(l)): Logger {
  const at = (severity: Severity) => (fields: Record<string, unknown>, message: string) =>
    write(`${JSON.stringify({ severity, message, time: new Date().toISOString(), ...base, ...fields })}\n`);
  return { debug: at('DEBUG'), info: at('INFO'), warn: at('WARNING'), error: at('ERROR'), child: (f) => cloudLogger({ ...base, ...f }, write) };
}

export interface GcpHttpOptions {
  /**
   * The path the function serves, e.g. `/health`. Through `https://REGION-PROJECT.cloudfunctions.net/health/x`
   * the function sees `/x`; through its run.app URL or a load balancer it sees `/health/x`. With a mount path
   * both become `/health/x` (`/` becomes `/health`); without one the path is passed through unchanged.
   */
  readonly mountPath?: string;
  readonly logger?: Logger;
}

function mount(path: string, mountPath: string | undefined): string {
  if (!mountPath || mountPath === '/') return path;
  const base = `/${mountPath.replace(/^\/+|\/+$/g, '')}`;
  if (path === base || path.startsWith(`${base}/`)) return path;
  return path === '/' ? base : `${base}${path}`;
}

/** The body exactly as received: the framework parses JSON/text/forms but keeps the bytes in `rawBody`. */
function rawBody(req: Request): string {
  if (req.rawBody) return req.rawBody.toString('utf8');
  if (typeof req.body === 'string') return req.body;
  if (Buffer.isBuffer(req.body)) return req.body.toString('utf8');
  return '';
}

/** Express request (as the functions framework hands it over) to the neutral request. */
export function toHttpRequest(req: Request, mountPath?: string): HttpRequestLike {
  const url = new URL(req.originalUrl || req.url || '/', 'http://function.local');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const sourceIp = req.ip ?? req.socket?.remoteAddress;
  const signal = req.abortController?.signal;
  return {
    method: req.method.toUpperCase(),
    path: mount(url.pathname, mountPath),
    headers,
    query,
    body: rawBody(req),
    ...(sourceIp ? { sourceIp } : {}),
    ...(signal ? { signal } : {}),
  };
}

function send(res: Response, result: HttpResult): void {
  res.status(result.status);
  for (const [k, v] of Object.entries(result.headers)) res.setHeader(k, v);
  res.end(result.body);
}

function answerError(res: Response, req: Request, err: unknown, logger: Logger, msg: string): void {
  const result = toHttpResponse(err);
  const fields = { ...errorLogFields(err), method: req.method, path: req.path };
  if (result.status >= 500) logger.error(fields, msg);
  else logger.warn(fields, msg);
  send(res, result);
}

/** Express handler around a neutral handler; thrown errors are logged once and answered with `toHttpResponse`. */
export function gcpHttpHandler(fn: HttpHandlerFn, options: GcpHttpOptions = {}): HttpFunction {
  return async (req, res) => {
    try {
      send(res, await fn(toHttpRequest(req, options.mountPath)));
    } catch (err) {
      answerError(res, req, err, options.logger ?? cloudLogger(), 'http request failed');
    }
  };
}

/** Registers an HTTP function with the framework and returns its handler (export it under `name`). */
export function registerHttp(name: string, fn: HttpHandlerFn, options: GcpHttpOptions = {}): HttpFunction {
  const handler = gcpHttpHandler(fn, options);
  http(name, handler);
  return handler;
}

/** Cloud Scheduler HTTP target body for our ticks. */
export const SCHEDULER_BODY = { schedule: 'tick' } as const;
/** The CloudEvent type Eventarc delivers for Cloud Scheduler → Pub/Sub → function. */
export const PUBSUB_EVENT_TYPE = 'google.cloud.pubsub.topic.v1.messagePublished';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MeshgateError('validation', 'malformed schedule request: body is not valid JSON');
  }
}

function checkCloudEvent(event: Record<string, unknown>): Record<string, unknown> {
  if (event.specversion !== '1.0') throw new MeshgateError('validation', `malformed CloudEvent: specversion must be "1.0", got ${JSON.stringify(event.specversion)}`);
  for (const field of ['id', 'source', 'type'] as const) {
    if (typeof event[field] !== 'string' || event[field] === '') throw new MeshgateError('validation', `malformed CloudEvent: ${field} is required`);
  }
  if (event.type !== PUBSUB_EVENT_TYPE) throw new MeshgateError('validation', `unexpected CloudEvent type ${JSON.stringify(event.type)}; expected ${PUBSUB_EVENT_TYPE}`);
  return event;
}

/**
 * Reads the tick payload from a Cloud Scheduler request. Accepted, and nothing else:
 * 1. a Cloud Scheduler HTTP target: `POST` with JSON body `{"schedule":"tick"}` (the deployment we use);
 * 2. a CloudEvent 1.0 of type `google.cloud.pubsub.topic.v1.messagePublished` (Scheduler → Pub/Sub → Eventarc),
 *    in binary mode (`ce-*` headers, the body is `data`) or structured mode (`application/cloudevents+json`).
 * Returns the parsed payload (`{schedule:'tick'}` or the CloudEvent); throws `validation` with the reason.
 */
export function toSchedulePayload(req: Pick<Request, 'headers'>, body: string): unknown {
  const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
  const binaryType = req.headers['ce-type'];
  if (binaryType !== undefined) {
    const event: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('ce-') && typeof v === 'string') event[k.slice(3)] = v;
    event.data = body ? parseJson(body) : undefined;
    return checkCloudEvent(event);
  }
  const parsed = parseJson(body || 'null');
  if (contentType.startsWith('application/cloudevents+json')) {
    if (!isObject(parsed)) throw new MeshgateError('validation', 'malformed CloudEvent: body must be a JSON object');
    return checkCloudEvent(parsed);
  }
  if (!isObject(parsed) || parsed.schedule !== SCHEDULER_BODY.schedule) {
    throw new MeshgateError('validation', 'malformed schedule request: expected JSON body {"schedule":"tick"} or a Pub/Sub CloudEvent');
  }
  return parsed;
}

export interface GcpScheduleOptions {
  /** Time a tick may use from its start; keep it below the function's deployed timeout (60 s default). Default 55 s. */
  readonly budgetMs?: number;
  readonly now?: () => number;
  readonly logger?: Logger;
}

/**
 * Express handler for a Cloud Scheduler tick: `POST` only (else 405 with `Allow: POST`), payload validated by
 * {@link toSchedulePayload} (malformed → logged, 400 JSON), `fn` failures → logged, `toHttpResponse` (so the
 * scheduler retries 5xx). Success is `204`.
 */
export function gcpScheduleHandler(fn: TimerHandlerFn, options: GcpScheduleOptions = {}): HttpFunction {
  const now = options.now ?? Date.now;
  return async (req, res) => {
    const started = now();
    if (req.method.toUpperCase() !== 'POST') return send(res, methodNotAllowed({ method: req.method, path: req.path }, ['POST']));
    try {
      await fn(toSchedulePayload(req, rawBody(req)), started + (options.budgetMs ?? 55_000));
      res.status(204).end();
    } catch (err) {
      answerError(res, req, err, options.logger ?? cloudLogger(), 'scheduled tick failed');
    }
  };
}

/** Registers the tick function with the framework and returns its handler (export it under `name`). */
export function registerSchedule(name: string, fn: TimerHandlerFn, options: GcpScheduleOptions = {}): HttpFunction {
  const handler = gcpScheduleHandler(fn, options);
  http(name, handler);
  return handler;
}

/** What the router entry point needs of the router. */
export type RouterLike = Pick<Router, 'handle' | 'maxBodyBytes'>;

const NO_BODY: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Express request to the router's request. The framework has read the whole body already (up to its own
 * 1024 MB limit; Cloud Run caps requests at 32 MiB), so a body over the router's limit is dropped here and
 * answered 413 by the router.
 */
export function toRouterRequest(req: Request, maxBodyBytes: number): RouterRequest {
  const method = req.method.toUpperCase();
  const raw = NO_BODY.has(method) ? undefined : req.rawBody;
  const tooLarge = raw !== undefined && raw.length > maxBodyBytes;
  const remoteAddress = req.ip ?? req.socket?.remoteAddress;
  return {
    method,
    url: req.originalUrl || req.url || '/',
    rawHeaders: req.rawHeaders,
    body: tooLarge || raw === undefined || raw.length === 0 ? null : raw,
    ...(tooLarge ? { bodyTooLarge: true } : {}),
    ...(remoteAddress ? { remoteAddress } : {}),
  };
}

/** Express handler around the router; a router that cannot be built (misconfiguration) is logged and answered. */
export function gcpRouterHandler(getRouter: () => RouterLike, options: Pick<GcpHttpOptions, 'logger'> = {}): HttpFunction {
  return (req, res) => {
    let router: RouterLike;
    try {
      router = getRouter();
    } catch (err) {
      answerError(res, req, err, options.logger ?? cloudLogger(), 'http request failed');
      return;
    }
    router.handle(toRouterRequest(req, router.maxBodyBytes), res);
  };
}

/** Registers the router as an HTTP function and returns its handler (export it under `name`). */
export function registerRouter(name: string, getRouter: () => RouterLike, options: Pick<GcpHttpOptions, 'logger'> = {}): HttpFunction {
  const handler = gcpRouterHandler(getRouter, options);
  http(name, handler);
  return handler;
}
