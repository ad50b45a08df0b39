/**
 * Upstream transport: sends one HTTP request to a backend and streams the answer back through callbacks, so
 * a proxy can forward a response chunk by chunk (Server-Sent Events included) without buffering it and with
 * backpressure in both directions. The undici implementation is shared/adapters/http/undici-upstream.ts.
 *
 * The shape mirrors a dispatcher handler rather than a promise of a response object: the router's hot path
 * allocates nothing per request beyond the handler it already needs.
 */

/** One request to send. Header lists are flat `[name, value, name, value, ...]` with hop-by-hop headers removed. */
export interface UpstreamRequest {
  /** Scheme, host and port of the backend: `http://127.0.0.1:8080`. Connections are pooled per origin. */
  readonly origin: string;
  /** Path and query string, starting with `/`. */
  readonly path: string;
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Flat name/value list. `host`, `connection`, `content-length` and other hop-by-hop headers must not appear. */
  readonly headers: readonly string[];
  /** Complete request body, or null for none. */
  readonly body: Uint8Array | null;
  /**
   * Longest wait for the response headers once the request is on a connection; the call then fails with
   * `timeout`. Time spent queued for a free connection is not included: bound it with your own deadline.
   */
  readonly headersTimeoutMs: number;
  /** Longest silence between two body chunks; 0 disables it (long-lived event streams). */
  readonly bodyTimeoutMs: number;
}

/**
 * Why an upstream call failed.
 * - `connect`: no connection could be made (refused, unreachable, DNS, connect timeout). Nothing was sent.
 * - `reset`: the connection broke (reset, closed by the peer, broken pipe).
 * - `timeout`: headers did not arrive within `headersTimeoutMs`, or the body stalled past `bodyTimeoutMs`.
 * - `aborted`: the caller aborted the call (client went away, deadline passed on the caller's side).
 * - `protocol`: the backend's answer was not valid HTTP, or the request could not be encoded.
 */
export type UpstreamFailureKind = 'connect' | 'reset' | 'timeout' | 'aborted' | 'protocol';

export interface UpstreamFailure {
  readonly kind: UpstreamFailureKind;
  /**
   * True once the whole request (headers and body) was handed to the connection. When false the backend cannot
   * have received a complete request, so it cannot have acted on it: resending it elsewhere is always safe.
   */
  readonly requestSent: boolean;
  /** True once response headers were delivered through `onHeaders`. */
  readonly responseStarted: boolean;
  /** Human-readable, secret-free description (the transport's error code and message). */
  readonly message: string;
}

/**
 * Receives one response. Exactly one of `onComplete` and `onError` is called last, once; `onHeaders` at most
 * once before any `onData`. Callbacks run on the transport's I/O path: they must not throw or block.
 */
export interface UpstreamHandler {
  /**
   * Called when the request is bound to a connection, with a function that aborts the call (the handler then
   * receives `onError` with kind `aborted`). A call aborted before this point must invoke `abort` at once.
   */
  onStart(abort: () => void): void;
  /**
   * Response head. `headers` is a flat name/value list in the backend's spelling. Return false to pause the
   * body until `resume` is called (for example while the client's socket drains).
   */
  onHeaders(status: number, headers: readonly string[], resume: () => void): boolean;
  /** A body chunk, in order. Return false to pause until `resume` (from `onHeaders`) is called. */
  onData(chunk: Uint8Array): boolean;
  onComplete(): void;
  onError(failure: UpstreamFailure): void;
}

/**
 * Sends requests to backends over pooled keep-alive connections.
 *
 * `dispatch` never throws and never retries: every failure, including bad input, reaches `handler.onError`.
 * Retrying is the caller's decision, made from `UpstreamFailure.kind` and `requestSent`. Requests to one origin
 * share a bounded connection pool; a request that finds every connection busy waits in the pool's queue.
 */
export interface Upstream {
  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void;
  /** Closes every pool; calls in flight fail with `aborted`. Idempotent. */
  close(): Promise<void>;
}
