/**
 * The router use case's inputs and outputs: the request and response shapes a server adapter hands in (Node's
 * `IncomingMessage`/`ServerResponse` fit them with no wrapper), its options, the backend list and the counters.
 */
import type {
  BreakerConfig,
  Cloud,
  FlagsConfig,
  PerformanceWeights,
  RolloutConfig,
  StrategyName,
} from '../../core/routing';
import type { StateStore } from '../../ports/state-store';
import type { Upstream } from '../../ports/upstream';

/** One request as received. The adapter reads (and bounds) the body before handing the request in. */
export interface RouterRequest {
  /** Upper-case method. */
  readonly method: string;
  /** Request target as received: path and query (`/mcp?x=1`). */
  readonly url: string;
  /** Flat `[name, value, ...]` list in the client's spelling (Node's `rawHeaders`). */
  readonly rawHeaders: readonly string[];
  /** The complete body, or null when the method carries none or it was not read. */
  readonly body: Uint8Array | null;
  /** True when the body exceeded the router's `maxBodyBytes` and was not read in full: answered with 413. */
  readonly bodyTooLarge?: boolean;
  /** Client address, appended to `X-Forwarded-For` when forwarding is on. */
  readonly remoteAddress?: string;
  /** Epoch ms by which the platform ends the invocation (Lambda's remaining time); an upper bound on the deadline. */
  readonly deadlineAt?: number;
}

/**
 * Where the response goes; a structural subset of Node's `ServerResponse`. A cloud entry point with a
 * response stream (Lambda `streamifyResponse`, Azure `HttpResponse` with a stream body) implements it in a few lines.
 */
export interface ResponseSink {
  /** Status and flat `[name, value, ...]` header list; called once, before any `write`. */
  writeHead(status: number, headers: string[]): unknown;
  /** Writes a body chunk; false means "buffer full, wait for `drain`". */
  write(chunk: Uint8Array | string): boolean;
  end(chunk?: Uint8Array | string): unknown;
  /** `drain`: room to write again. `close`: the exchange is over, finished or not (the client may have left). */
  once(event: 'drain' | 'close', listener: () => void): unknown;
  /** Cuts a response that cannot be completed, so the client sees a truncated stream rather than a clean end. */
  destroy(): unknown;
}

/** A backend the router may send to: the routing core's identity fields plus how it speaks. */
export interface RouterBackend {
  readonly id: string;
  readonly cloud: Cloud;
  readonly region: string;
  /** Base URL. MCP requests go to this exact path; plain HTTP requests get their path appended to it. */
  readonly url: string;
  /** 0–255; 0 drains the backend. */
  readonly weight: number;
  readonly version: string;
  /** `mcp`: serves the MCP endpoint; `http`: serves plain HTTP routes. */
  readonly transport: 'mcp' | 'http';
  readonly costPerMillion?: number;
  readonly latitude?: number;
  readonly longitude?: number;
}

/** What the caller learned about a backend (health verdicts, probe metrics, cost feed); merged over the spec. */
export interface BackendStatus {
  readonly id: string;
  readonly healthy?: boolean;
  readonly weight?: number;
  readonly latencyEwmaMs?: number;
  readonly errorRate?: number;
  readonly load?: number;
  readonly costPerMillion?: number;
}

/** A health probe or other out-of-band observation of one backend. */
export interface BackendObservation {
  readonly ok: boolean;
  /** Measured latency, ms; feeds the latency EWMA. */
  readonly latencyMs?: number;
  /** Epoch ms; defaults to now. */
  readonly at?: number;
}

export interface RouterOptions {
  readonly backends: readonly RouterBackend[];
  readonly upstream: Upstream;
  /** Session bindings (`session/<id>`) and, with `refresh()`, the rollout and flags (`router/rollout`, `router/flags`). */
  readonly store: StateStore;
  /** Selection strategy. Default `weighted`. */
  readonly strategy?: StrategyName;
  readonly rollout?: RolloutConfig;
  readonly flags?: FlagsConfig;
  readonly breaker?: Partial<BreakerConfig>;
  /** Path of the MCP endpoint. Default `/mcp`. */
  readonly mcpPath?: string;
  /**
   * Path prefixes proxied as plain HTTP to `http` backends (e.g. `['/api/']`, or `['/']` for everything that is
   * not the MCP endpoint). Default none: every other path is 404.
   */
  readonly httpPrefixes?: readonly string[];
  /** Largest request body accepted, bytes; larger ones get 413. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Default limit on waiting for a backend's response headers, ms. Default 60 000. */
  readonly requestTimeoutMs?: number;
  /**
   * Limit on waiting for response headers per attempt, ms, for requests that may be resent (idempotent HTTP
   * methods, and JSON-RPC requests whose methods are all in `retryRpcMethodsAfterSend`); when it passes, the
   * request goes to another backend while the deadline and `maxAttempts` allow, as Envoy's per-try timeout does.
   * A hung backend then costs such a request this long instead of its whole deadline. 0 = none. Default 0.
   */
  readonly perTryTimeoutMs?: number;
  /** Longest silence between two body chunks of a response to a POST, ms (0 = none). Default 300 000. */
  readonly responseIdleTimeoutMs?: number;
  /**
   * Request header carrying the client's remaining budget in ms; the router honours it (bounded by
   * `maxClientTimeoutMs`) and forwards the then-remaining budget to the backend. Default `x-meshgate-timeout-ms`.
   */
  readonly deadlineHeader?: string;
  /** Upper bound on a client-supplied budget, ms. Default 300 000. */
  readonly maxClientTimeoutMs?: number;
  /** Attempts per request including the first. Default 3. */
  readonly maxAttempts?: number;
  /**
   * JSON-RPC methods that may be resent to another backend even after the request reached one (because they
   * have no side effects), e.g. `['ping', 'tools/list']`. Default none: a JSON-RPC POST that may have been
   * received is never resent. Every request of a batch must be listed for the batch to qualify.
   */
  readonly retryRpcMethodsAfterSend?: readonly string[];
  /** Comment keep-alive on idle SSE responses, ms (0 = off). Default 15 000. */
  readonly sseKeepAliveMs?: number;
  /** Session bindings kept in the local LRU cache. Default 100 000. */
  readonly affinityCacheSize?: number;
  /** Lifetime of a stored session binding, ms. Default 24 h. */
  readonly sessionTtlMs?: number;
  /** Longest wait for the store when a session is not in the cache, ms. Default 300. */
  readonly affinityLookupTimeoutMs?: number;
  /**
   * What to do with a session id that has no binding (never seen, expired, or the store did not answer):
   * `forward` routes it like a new request and binds it if the backend accepts it (the backend answers 404 when it
   * does not know the session); `not_found` answers 404 at once. Default `forward`.
   */
  readonly unknownSession?: 'forward' | 'not_found';
  /** If no healthy backend is left, try the unhealthy ones rather than answer 503. Default true. */
  readonly failOpen?: boolean;
  /** Request header whose value is the client key for rollouts and flags. Default `x-meshgate-client-key`. */
  readonly clientKeyHeader?: string;
  /** Latency budget for the `cost` strategy, ms. */
  readonly latencyBudgetMs?: number;
  readonly performanceWeights?: Partial<PerformanceWeights>;
  /** Add `X-Forwarded-For` / `X-Forwarded-Proto`. Default true. */
  readonly forwardedHeaders?: boolean;
  /** Smoothing of live latency samples (time to response headers) into the EWMA. Default 0.2; 0 ignores live samples. */
  readonly latencyAlpha?: number;
  /** Time source, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Uniform random source in [0, 1) for the latency strategy and keyless splits. Default `Math.random`. */
  readonly random?: () => number;
}

/** Monotonic counters since the router was created. */
export interface RouterCounters {
  /** Requests handed to `handle`. */
  requests: number;
  /** Responses from a backend forwarded to the client (any status). */
  proxied: number;
  /** Extra attempts made on another (or, for a reset session request, the same) backend. */
  retries: number;
  /** Session requests answered 404 at once because the bound backend is down (health verdict or open breaker). */
  sessionNotFoundFastFails: number;
  /** Session requests answered 404 because the bound backend refused the connection. */
  sessionBackendLost: number;
  /** Session ids with no binding anywhere. */
  sessionUnknown: number;
  /** Sessions bound to a backend. */
  sessionsBound: number;
  /** Breakers that went to open. */
  breakerOpens: number;
  /** Upstream transport failures (connect, reset, timeout, protocol). */
  upstreamErrors: number;
  /** Requests answered 504 (deadline or backend timeout). */
  timeouts: number;
  /** Requests given up because the client went away. */
  clientAborts: number;
  /** Requests answered 400 or 405 (malformed JSON-RPC, header mismatch, missing session...). */
  badRequests: number;
  bodyTooLarge: number;
  /** Requests for paths the router does not serve. */
  notFound: number;
  /** Requests answered 502/503 because no backend could take them. */
  noBackend: number;
  affinityCacheHits: number;
  affinityStoreLookups: number;
  /** Failed or timed-out store reads/writes of bindings. */
  affinityStoreErrors: number;
  /** SSE responses streamed. */
  sseStreams: number;
  /** SSE streams open now. */
  sseOpen: number;
  /** Comment keep-alives written to idle SSE streams. */
  keepAlivesSent: number;
}
