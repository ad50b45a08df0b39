/**
 * AWS Lambda runtime adapter: API Gateway HTTP API (payload format 2.0) events and EventBridge scheduled events
 * to and from the cloud-neutral shapes in `shared/ports/http`. Handlers returned here are plain async Lambda
 * handlers meant to be wrapped with `middy(...)`; `httpErrorHandler()` is the middy `onError` that turns any
 * thrown error into the same JSON answer the other clouds give.
 *
 * `lambdaRouter` serves the router through a Function URL with response streaming, under
 * `middy(handler, { streamifyResponse: true })`: it returns `{statusCode, headers, cookies, body}` once the
 * router has written the head, and middy pipes `body` into `awslambda.HttpResponseStream.from(...)`.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { MiddlewareObj } from '@middy/core';
import type { Readable } from 'node:stream';
import { MeshgateError, toHttpResponse } from '../../core/errors';
import type { Logger } from '../../ports/logger';
import type { HttpHandlerFn, HttpRequestLike, HttpResult, TimerHandlerFn } from '../../ports/http';
import { errorLogFields } from '../../usecases/http-router';
import type { Router, RouterRequest } from '../../usecases/router';
import { ReadableSink } from '../readable-sink';

type Level = 'debug' | 'info' | 'warn' | 'error';
type Write = (line: string) => void;

/** One JSON line per event on stdout (CloudWatch keeps it as-is; no text prefix as `console.*` would add). */
export function lambdaLogger(base: Record<string, unknown> = {}, write: Write = (l) => process.stdout.write(l)): Logger {
  const at = (level: Level) => (fields: Record<string, unknown>, msg: string) =>
    write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...base, ...fields })}\n`);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (f) => lambdaLogger({ ...base, ...f }, write) };
}

export interface LambdaRuntimeOptions {
  /** Where errors are logged; defaults to JSON lines on stdout. */
  readonly logger?: Logger;
}

/** Lambda's third handler argument under middy: an AbortSignal fired just before the invocation times out. */
interface MiddyOpts {
  readonly signal?: AbortSignal;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function isHttpApiV2Event(event: unknown): event is APIGatewayProxyEventV2 {
  if (!isObject(event) || event.version !== '2.0' || typeof event.rawPath !== 'string') return false;
  const http = isObject(event.requestContext) ? event.requestContext.http : undefined;
  return isObject(http) && typeof http.method === 'string';
}

/** Named stages put `/<stage>` in front of rawPath; the `$default` stage does not. */
function stripStage(rawPath: string, stage: string | undefined): string {
  if (!stage || stage === '$default') return rawPath;
  const prefix = `/${stage}`;
  if (rawPath === prefix) return '/';
  return rawPath.startsWith(`${prefix}/`) ? rawPath.slice(prefix.length) : rawPath;
}

function queryOf(event: APIGatewayProxyEventV2): Record<string, string> {
  const query: Record<string, string> = {};
  if (event.queryStringParameters) {
    for (const [k, v] of Object.entries(event.queryStringParameters)) if (v !== undefined) query[k] = v;
    return query;
  }
  for (const [k, v] of new URLSearchParams(event.rawQueryString ?? '')) query[k] = k in query ? `${query[k]},${v}` : v;
  return query;
}

/** API Gateway v2 event to the neutral request. Throws `validation` for anything that is not a v2 HTTP event. */
export function toHttpRequest(event: unknown, signal?: AbortSignal): HttpRequestLike {
  if (!isHttpApiV2Event(event)) {
    throw new MeshgateError('validation', 'expected an API Gateway HTTP API payload 2.0 event (version "2.0", rawPath, requestContext.http)');
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  if (event.cookies && event.cookies.length > 0) headers.cookie = event.cookies.join('; ');
  const raw = event.body ?? '';
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: stripStage(event.rawPath, event.requestContext.stage) || '/',
    headers,
    query: queryOf(event),
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw,
    ...(event.requestContext.http.sourceIp ? { sourceIp: event.requestContext.http.sourceIp } : {}),
    ...(signal ? { signal } : {}),
  };
}

/** Neutral answer to the API Gateway v2 structured result. */
export function toLambdaResult(result: HttpResult): APIGatewayProxyStructuredResultV2 {
  return { statusCode: result.status, headers: { ...result.headers }, body: result.body, isBase64Encoded: false };
}

export type LambdaHttpHandler = (event: APIGatewayProxyEventV2, context: Context, opts?: MiddyOpts) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Wraps a neutral HTTP handler as a Lambda handler for HTTP API v2 events (wrap it with `middy` and
 * `httpErrorHandler()`): errors propagate to middy's `onError` stack.
 */
export function lambdaHttp(fn: HttpHandlerFn): LambdaHttpHandler {
  return async (event, _context, opts) => toLambdaResult(await fn(toHttpRequest(event, opts?.signal)));
}

/**
 * middy `onError` middleware: logs the error as one secret-free JSON line and answers with `toHttpResponse`
 * (exposed errors keep code and message; everything else becomes a generic 500/503/504).
 */
export function httpErrorHandler(options: LambdaRuntimeOptions = {}): MiddlewareObj<unknown, APIGatewayProxyStructuredResultV2> {
  return {
    onError: (request) => {
      if (request.response !== undefined && request.response !== null) return;
      const result = toHttpResponse(request.error);
      const event = isHttpApiV2Event(request.event) ? request.event : undefined;
      const logger = options.logger ?? lambdaLogger({ requestId: request.context.awsRequestId });
      const fields = { ...errorLogFields(request.error), method: event?.requestContext.http.method, path: event?.rawPath };
      if (result.status >= 500) logger.error(fields, 'http request failed');
      else logger.warn(fields, 'http request rejected');
      request.response = toLambdaResult(result);
    },
  };
}

/** Checks the EventBridge scheduled event envelope; returns the reason it is malformed, or undefined. */
export function scheduledEventProblem(event: unknown): string | undefined {
  if (!isObject(event)) return `expected an EventBridge scheduled event object, got ${event === null ? 'null' : typeof event}`;
  if (event['detail-type'] !== 'Scheduled Event') return `detail-type must be "Scheduled Event", got ${JSON.stringify(event['detail-type'])}`;
  if (event.source !== 'aws.events') return `source must be "aws.events", got ${JSON.stringify(event.source)}`;
  if (typeof event.time !== 'string' || Number.isNaN(Date.parse(event.time))) return 'time must be an ISO-8601 timestamp';
  return undefined;
}

export interface LambdaScheduleOptions extends LambdaRuntimeOptions {
  /** Deadline budget used only when the context has no getRemainingTimeInMillis (local runs). Default 60 s. */
  readonly fallbackBudgetMs?: number;
  readonly now?: () => number;
}

export type LambdaScheduleHandler = (event: unknown, context: Context) => Promise<void>;

/**
 * Wraps a neutral timer handler for EventBridge scheduled events. The deadline handed to `fn` is the
 * invocation's own (`now + context.getRemainingTimeInMillis()`). A malformed event is logged as a clear
 * `validation` error and rethrown, as is any failure of `fn`, so Lambda records the invocation as failed.
 */
export function lambdaSchedule(fn: TimerHandlerFn, options: LambdaScheduleOptions = {}): LambdaScheduleHandler {
  const now = options.now ?? Date.now;
  return async (event, context) => {
    const logger = options.logger ?? lambdaLogger({ requestId: context?.awsRequestId });
    try {
      const problem = scheduledEventProblem(event);
      if (problem) throw new MeshgateError('validation', `malformed scheduled event: ${problem}`);
      const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : options.fallbackBudgetMs ?? 60_000;
      await fn(event, now() + remaining);
    } catch (err) {
      logger.error(errorLogFields(err), 'scheduled tick failed');
      throw err;
    }
  };
}

/** What a streaming entry point needs of the router. */
export type RouterLike = Pick<Router, 'handle' | 'maxBodyBytes'>;

/** The head Function URLs read from the HTTP integration prelude, and the body middy pipes after it. */
export interface LambdaStreamingResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly cookies?: string[];
  readonly body: Readable;
}

export interface LambdaRouterOptions {
  /** Kept free before the Lambda timeout so a 504 or the stream's end still reaches the client. Default 1000 ms. */
  readonly deadlineMarginMs?: number;
  readonly now?: () => number;
}

export type LambdaRouterHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<LambdaStreamingResult>;

const NO_BODY: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A Function URL event (payload 2.0) to the router's request. The body is decoded and held against the limit. */
export function toRouterRequest(event: unknown, maxBodyBytes: number, deadlineAt?: number): RouterRequest {
  if (!isHttpApiV2Event(event)) {
    throw new MeshgateError('validation', 'expected a Function URL (payload 2.0) event (version "2.0", rawPath, requestContext.http)');
  }
  const method = event.requestContext.http.method.toUpperCase();
  const rawHeaders: string[] = [];
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) rawHeaders.push(name, value);
  if (event.cookies && event.cookies.length > 0) rawHeaders.push('cookie', event.cookies.join('; '));
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  const raw = event.body === undefined || NO_BODY.has(method) ? undefined : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  const tooLarge = raw !== undefined && raw.length > maxBodyBytes;
  return {
    method,
    url: `${stripStage(event.rawPath, event.requestContext.stage) || '/'}${query}`,
    rawHeaders,
    body: tooLarge || raw === undefined || raw.length === 0 ? null : raw,
    ...(tooLarge ? { bodyTooLarge: true } : {}),
    ...(event.requestContext.http.sourceIp ? { remoteAddress: event.requestContext.http.sourceIp } : {}),
    ...(deadlineAt === undefined ? {} : { deadlineAt }),
  };
}

/** The router's flat header list as a prelude: one value per name (joined with `, `), `Set-Cookie` as `cookies`. */
export function toPrelude(status: number, flat: readonly string[]): Omit<LambdaStreamingResult, 'body'> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = (flat[i] as string).toLowerCase();
    const value = flat[i + 1] as string;
    if (name === 'set-cookie') cookies.push(value);
    else headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { statusCode: status, headers, ...(cookies.length > 0 ? { cookies } : {}) };
}

/**
 * The router behind a streaming Function URL. The router is taken from `getRouter` per invocation (built
 * once per sandbox); if that throws (a misconfigured function set) middy's `onError` answers. The client
 * leaving shows up as the response stream closing early: middy's pipeline then destroys `body`, which the
 * router sees as `close` and aborts the upstream request.
 */
export function lambdaRouter(getRouter: () => RouterLike, options: LambdaRouterOptions = {}): LambdaRouterHandler {
  const now = options.now ?? Date.now;
  const margin = options.deadlineMarginMs ?? 1000;
  return async (event, context) => {
    const router = getRouter();
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
    const deadlineAt = remaining === undefined ? undefined : now() + Math.max(0, remaining - margin);
    const sink = new ReadableSink({ writeEmptyBody: true });
    router.handle(toRouterRequest(event, router.maxBodyBytes, deadlineAt), sink);
    const head = await sink.head;
    return { ...toPrelude(head.status, head.headers), body: sink.body };
  };
}
