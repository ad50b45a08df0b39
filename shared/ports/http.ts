/**
 * Cloud-neutral HTTP request and handler shapes. Each cloud's runtime adapter converts its native event
 * (API Gateway v2, Azure HttpRequest, Express request) into a {@link HttpRequestLike} and the returned
 * {@link HttpResult} back into its native response, so every cloud answers byte-for-byte the same way.
 */
import type { HttpResult } from '../core/errors';

export type { HttpResult };

export interface HttpRequestLike {
  /** Upper-case method. */
  readonly method: string;
  /** Path without query string, always starting with `/`; the function-app prefix (e.g. `/api`) is removed. */
  readonly path: string;
  /** Lower-case header names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** Raw body (empty string when none). */
  readonly body: string;
  /** Caller address as the platform reports it, if any. */
  readonly sourceIp?: string;
  /** Abort signal tied to the invocation's deadline or the client's disconnect. */
  readonly signal?: AbortSignal;
}

/**
 * Handles one request. Throws MeshgateError for failures; the runtime adapter maps it with `toHttpResponse`.
 */
export type HttpHandlerFn = (request: HttpRequestLike) => Promise<HttpResult>;

/**
 * Handles one timer tick (EventBridge schedule, Azure timer, Cloud Scheduler). `payload` is the platform's
 * event as received; handlers validate it and reject malformed ones with a `validation` error.
 * `deadlineAt` is the epoch ms by which the invocation must finish.
 */
export type TimerHandlerFn = (payload: unknown, deadlineAt: number) => Promise<void>;
