/**
 * routeRequest: the MCP entry point. Proxies MCP Streamable HTTP (POST JSON-RPC messages and batches, GET event
 * streams, DELETE of a session) and plain HTTP to one backend chosen by the routing core, and streams the
 * answer back chunk by chunk.
 *
 * Per request: parse (one pass over the headers; JSON-RPC check of a POST body; MCP 2026-07-28 mirror headers)
 * → session affinity (a bound session goes to its backend, or gets 404 at once if that backend is down) →
 * otherwise breakers → rollout → strategy → send through the {@link Upstream} port → on failure, retry on
 * another backend (preferring another cloud) only when that is safe → breaker and latency fed by the outcome.
 *
 * Retry rule. A request may be resent when it never reached a backend (connect failure, or the connection broke
 * before the request was fully written), or when it is idempotent (GET, HEAD, OPTIONS, PUT, DELETE on plain HTTP;
 * JSON-RPC methods listed in `retryRpcMethodsAfterSend`). A JSON-RPC POST that may have been received is never
 * resent by default: the backend may have acted on it. A session-bound request never moves to another backend
 * (the session lives on its backend); if that backend refuses connections the session is gone and the client
 * gets 404, which makes an MCP client start a new session.
 */
import { MeshgateError } from '../../core/errors';
import {
  CLOSED_BREAKER,
  applyBreakers,
  applyRollout,
  breakerAt,
  breakerConfig,
  canSend,
  enabledFlags,
  flagsHeaderValue,
  onObservation,
  onResult,
  onSend,
  strategies,
  updateEwma,
  validateRollout,
  validateSnapshot,
  INITIAL_SELECTION_STATE,
  type Backend,
  type BreakerConfig,
  type BreakerPhase,
  type BreakerState,
  type ClientGeo,
  type Cloud,
  type FlagsConfig,
  type RequestContext,
  type RolloutConfig,
  type SelectionState,
  type Snapshot,
  type StrategyName,
} from '../../core/routing';
import type { StateStore } from '../../ports/state-store';
import type { Upstream, UpstreamFailure, UpstreamHandler } from '../../ports/upstream';
import { SessionAffinity } from './affinity';
import {
  clip,
  inspectJsonRpc,
  isSessionlessRevision,
  isValidSessionId,
  mirrorHeaderProblem,
  parseBudgetMs,
  scanHeaders,
  type RpcId,
  type RpcSummary,
  type ScanOptions,
  type ScannedHeaders,
} from './parse';
import { RPC, sendPlainError, sendRpcError } from './responses';
import type {
  BackendObservation,
  BackendStatus,
  ResponseSink,
  RouterBackend,
  RouterCounters,
  RouterOptions,
  RouterRequest,
} from './types';

/** Store keys read by `refresh()`. */
export const ROLLOUT_KEY = 'router/rollout';
export const FLAGS_KEY = 'router/flags';

const IDEMPOTENT_HTTP = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
/** Response headers never forwarded to the client (hop-by-hop; Node sets its own framing). */
const RESPONSE_DROP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'trailer']);
const MCP_ALLOW = ['allow', 'GET, POST, DELETE, OPTIONS'];
const KEEP_ALIVE_COMMENT = ': keep-alive\n\n';

interface Target {
  readonly origin: string;
  /** Path of the backend URL, without a trailing slash unless it is just `/`. */
  readonly path: string;
}

/** One client request from arrival to the end of its response. */
class Exchange {
  kind: 'mcp' | 'http' = 'mcp';
  /** Path without query, and the query including `?` (or ''). */
  path = '';
  query = '';
  headers!: ScannedHeaders;
  rpc: RpcSummary | undefined = undefined;
  sessionId: string | undefined = undefined;
  /** Routed to the backend its session is bound to: never moves to another backend. */
  sessionBound = false;
  /** A session id with no binding was forwarded: bind it if the backend accepts it. */
  bindOnSuccess = false;
  /** May be resent after it reached a backend. */
  resendable = false;
  /** The current attempt's wait for response headers is the per-try timeout (shorter than the deadline). */
  perTryLimited = false;
  deadlineAt: number | undefined = undefined;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  attempt: Attempt | undefined = undefined;
  attempts = 0;
  exclude: Set<string> | undefined = undefined;
  preferCloudOtherThan: Cloud | undefined = undefined;
  /** Index in `headers.forward` of the deadline header's value, when one is forwarded. */
  deadlineIndex = -1;
  headersSent = false;
  finished = false;
  clientGone = false;
  // Event-stream bookkeeping (keep-alive comments only between events).
  sse = false;
  lastWriteAt = 0;
  atEventBoundary = true;
  lastByteNewline = false;
  paused = false;

  constructor(
    readonly req: RouterRequest,
    readonly res: ResponseSink,
  ) {}

  get rpcId(): RpcId {
    return this.rpc?.id ?? null;
  }
}

/** One try of an exchange on one backend; stale callbacks of a superseded try are ignored. */
class Attempt implements UpstreamHandler {
  private abortFn: (() => void) | undefined = undefined;
  private abortWanted = false;
  superseded = false;
  resume: (() => void) | undefined = undefined;

  constructor(
    private readonly router: Router,
    readonly ex: Exchange,
    readonly backend: Backend,
    readonly startedAt: number,
  ) {}

  /** Stops this try: later callbacks are ignored and the upstream call is aborted as soon as it can be. */
  cancel(): void {
    this.superseded = true;
    const abort = this.abortFn;
    this.abortFn = undefined;
    if (abort !== undefined) abort();
    else this.abortWanted = true;
  }

  onStart(abort: () => void): void {
    if (this.abortWanted) abort();
    else this.abortFn = abort;
  }

  onHeaders(status: number, headers: readonly string[], resume: () => void): boolean {
    if (this.superseded) return false;
    return this.router.upstreamHeaders(this, status, headers, resume);
  }

  onData(chunk: Uint8Array): boolean {
    if (this.superseded) return true;
    return this.router.upstreamData(this, chunk);
  }

  onComplete(): void {
    this.abortFn = undefined;
    if (!this.superseded) this.router.upstreamComplete(this);
  }

  onError(failure: UpstreamFailure): void {
    this.abortFn = undefined;
    if (!this.superseded) this.router.upstreamError(this, failure);
  }
}

interface Effective {
  readonly mcp: Snapshot;
  readonly http: Snapshot;
  readonly byId: ReadonlyMap<string, Backend>;
  /** Rebuild at or after this time (an open breaker's cool-down ends). */
  readonly validUntil: number;
  readonly builtAt: number;
}

export class Router {
  private readonly upstream: Upstream;
  private readonly store: StateStore;
  private readonly affinity: SessionAffinity;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly breakerCfg: BreakerConfig;
  private readonly stats: RouterCounters = {
    requests: 0,
    proxied: 0,
    retries: 0,
    sessionNotFoundFastFails: 0,
    sessionBackendLost: 0,
    sessionUnknown: 0,
    sessionsBound: 0,
    breakerOpens: 0,
    upstreamErrors: 0,
    timeouts: 0,
    clientAborts: 0,
    badRequests: 0,
    bodyTooLarge: 0,
    notFound: 0,
    noBackend: 0,
    affinityCacheHits: 0,
    affinityStoreLookups: 0,
    affinityStoreErrors: 0,
    sseStreams: 0,
    sseOpen: 0,
    keepAlivesSent: 0,
  };

  // Options, resolved.
  private readonly mcpPath: string;
  private readonly httpPrefixes: readonly string[];
  readonly maxBodyBytes: number;
  private readonly requestTimeoutMs: number;
  private readonly perTryTimeoutMs: number;
  private readonly responseIdleTimeoutMs: number;
  private readonly deadlineHeader: string;
  private readonly maxClientTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryRpcMethods: ReadonlySet<string>;
  private readonly sseKeepAliveMs: number;
  private readonly unknownSession: 'forward' | 'not_found';
  private readonly failOpen: boolean;
  private readonly clientKeyHeader: string;
  private readonly latencyBudgetMs: number | undefined;
  private readonly performanceWeights: RouterOptions['performanceWeights'];
  private readonly forwardedHeaders: boolean;
  private readonly latencyAlpha: number;

  // Mutable routing state.
  private strategyName: StrategyName;
  private rollout: RolloutConfig | undefined;
  private flags: FlagsConfig | undefined;
  private specs: readonly RouterBackend[] = [];
  private targets = new Map<string, Target>();
  private readonly statuses = new Map<string, BackendStatus>();
  private readonly liveLatency = new Map<string, number>();
  private breakers: Record<string, BreakerState> = Object.create(null) as Record<string, BreakerState>;
  private selection: SelectionState = INITIAL_SELECTION_STATE;
  private effective: Effective | undefined;
  private latencyDirty = false;
  private scanOptions: ScanOptions;

  private readonly sseExchanges = new Set<Exchange>();
  private sseTicker: ReturnType<typeof setInterval> | undefined;
  private refreshTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: RouterOptions) {
    this.upstream = options.upstream;
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.breakerCfg = breakerConfig(options.breaker ?? {});
    this.mcpPath = options.mcpPath ?? '/mcp';
    this.httpPrefixes = options.httpPrefixes ?? [];
    this.maxBodyBytes = positive('maxBodyBytes', options.maxBodyBytes ?? 1024 * 1024);
    this.requestTimeoutMs = positive('requestTimeoutMs', options.requestTimeoutMs ?? 60_000);
    this.perTryTimeoutMs = nonNegative('perTryTimeoutMs', options.perTryTimeoutMs ?? 0);
    this.responseIdleTimeoutMs = nonNegative('responseIdleTimeoutMs', options.responseIdleTimeoutMs ?? 300_000);
    this.deadlineHeader = (options.deadlineHeader ?? 'x-meshgate-timeout-ms').toLowerCase();
    this.maxClientTimeoutMs = positive('maxClientTimeoutMs', options.maxClientTimeoutMs ?? 300_000);
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
    this.retryRpcMethods = new Set(options.retryRpcMethodsAfterSend ?? []);
    this.sseKeepAliveMs = nonNegative('sseKeepAliveMs', options.sseKeepAliveMs ?? 15_000);
    this.unknownSession = options.unknownSession ?? 'forward';
    this.failOpen = options.failOpen ?? true;
    this.clientKeyHeader = (options.clientKeyHeader ?? 'x-meshgate-client-key').toLowerCase();
    this.latencyBudgetMs = options.latencyBudgetMs;
    this.performanceWeights = options.performanceWeights;
    this.forwardedHeaders = options.forwardedHeaders ?? true;
    this.latencyAlpha = options.latencyAlpha ?? 0.2;
    this.strategyName = options.strategy ?? 'weighted';
    if (!Object.prototype.hasOwnProperty.call(strategies, this.strategyName)) {
      throw new MeshgateError('validation', `router.strategy: unknown strategy ${String(this.strategyName)}`);
    }
    this.scanOptions = { deadlineHeader: this.deadlineHeader, clientKeyHeader: this.clientKeyHeader, abKeyHeader: undefined };
    this.affinity = new SessionAffinity(
      this.store,
      {
        cacheSize: Math.max(1, Math.floor(options.affinityCacheSize ?? 100_000)),
        ttlMs: positive('sessionTtlMs', options.sessionTtlMs ?? 24 * 3600_000),
        lookupTimeoutMs: positive('affinityLookupTimeoutMs', options.affinityLookupTimeoutMs ?? 300),
        now: this.now,
      },
      this.stats,
    );
    this.setBackends(options.backends);
    this.setRollout(options.rollout);
    this.setFlags(options.flags);
  }

  // ---------------------------------------------------------------- control surface

  /** Replaces the backend list (ids of backends that stay keep their breaker, status and latency). */
  setBackends(backends: readonly RouterBackend[]): void {
    const targets = new Map<string, Target>();
    validateSnapshot({ backends: backends.map((b) => ({ ...b, healthy: true })) });
    backends.forEach((b, i) => {
      if (b.transport !== 'mcp' && b.transport !== 'http') {
        throw new MeshgateError('validation', `backends[${i}].transport: must be mcp or http`);
      }
      let url: URL;
      try {
        url = new URL(b.url);
      } catch (err) {
        throw new MeshgateError('validation', `backends[${i}].url: not a URL`, { cause: err });
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new MeshgateError('validation', `backends[${i}].url: must be http or https`);
      }
      const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
      targets.set(b.id, { origin: url.origin, path });
    });
    const ids = new Set(backends.map((b) => b.id));
    for (const id of Object.keys(this.breakers)) if (!ids.has(id)) delete this.breakers[id];
    for (const id of [...this.statuses.keys()]) if (!ids.has(id)) this.statuses.delete(id);
    for (const id of [...this.liveLatency.keys()]) if (!ids.has(id)) this.liveLatency.delete(id);
    this.specs = backends.slice();
    this.targets = targets;
    this.effective = undefined;
  }

  /**
   * Merges what the caller learned about backends (health verdicts, latency, load, cost, weight) over their
   * configured values. Takes effect for the next request. Unknown ids are ignored.
   */
  updateSnapshot(statuses: readonly BackendStatus[]): void {
    for (const s of statuses) {
      if (!this.targets.has(s.id)) continue;
      const prev = this.statuses.get(s.id);
      this.statuses.set(s.id, prev === undefined ? s : { ...prev, ...definedOnly(s) });
    }
    this.effective = undefined;
  }

  /** Feeds a health-probe observation: the backend's breaker and, with a latency, its latency EWMA. */
  reportObservation(backendId: string, observation: BackendObservation): void {
    if (!this.targets.has(backendId)) return;
    const at = observation.at ?? this.now();
    this.setBreaker(backendId, onObservation(this.breaker(backendId), { ok: observation.ok, at }, this.breakerCfg), at);
    if (observation.latencyMs !== undefined) this.recordLatency(backendId, observation.latencyMs);
  }

  setStrategy(name: StrategyName): void {
    if (!Object.prototype.hasOwnProperty.call(strategies, name)) {
      throw new MeshgateError('validation', `router.strategy: unknown strategy ${String(name)}`);
    }
    this.strategyName = name;
  }

  /** Sets or clears the rollout; validated first, so a bad config changes nothing. */
  setRollout(rollout: RolloutConfig | undefined): void {
    if (rollout !== undefined) validateRollout(rollout);
    this.rollout = rollout;
    this.scanOptions = { ...this.scanOptions, abKeyHeader: rollout?.ab?.keyHeader.toLowerCase() };
  }

  /** Sets or clears the feature flags; validated first, so a bad config changes nothing. */
  setFlags(flags: FlagsConfig | undefined): void {
    if (flags !== undefined) enabledFlags(flags);
    this.flags = flags !== undefined && Object.keys(flags).length > 0 ? flags : undefined;
  }

  /**
   * Reloads the rollout (`router/rollout`) and flags (`router/flags`) from the store; an absent key clears the
   * setting. A rollback is one store write, live within one refresh. Throws (changing nothing) on invalid values.
   */
  async refresh(): Promise<void> {
    const [rollout, flags] = await Promise.all([this.store.get(ROLLOUT_KEY), this.store.get(FLAGS_KEY)]);
    const r = rollout?.value as unknown as RolloutConfig | undefined;
    const f = flags?.value as unknown as FlagsConfig | undefined;
    if (r !== undefined && r !== null) validateRollout(r);
    if (f !== undefined && f !== null) enabledFlags(f);
    this.setRollout(r ?? undefined);
    this.setFlags(f ?? undefined);
  }

  /** Calls `refresh()` every `intervalMs` until `close()`; failures keep the previous settings. */
  startRefresh(intervalMs: number, onError?: (err: unknown) => void): void {
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    this.refreshTimer = setInterval(() => {
      this.refresh().catch((err: unknown) => onError?.(err));
    }, positive('refreshIntervalMs', intervalMs));
    this.refreshTimer.unref?.();
  }

  counters(): Readonly<RouterCounters> {
    return Object.freeze({ ...this.stats });
  }

  /** Breaker phase of a backend now (for dashboards and tests). */
  breakerPhase(backendId: string): BreakerPhase {
    return breakerAt(this.breaker(backendId), this.now()).phase;
  }

  /** The snapshots strategies see now (configured values, caller's statuses, live latency, breakers applied). */
  snapshot(): { readonly mcp: Snapshot; readonly http: Snapshot } {
    const e = this.current(this.now());
    return { mcp: e.mcp, http: e.http };
  }

  /** Stops the router's timers; in-flight responses continue. The upstream is the caller's to close. */
  close(): void {
    if (this.sseTicker !== undefined) clearInterval(this.sseTicker);
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    this.sseTicker = undefined;
    this.refreshTimer = undefined;
  }

  // ---------------------------------------------------------------- request entry

  /** Handles one request, writing the answer to `res`. Never throws. */
  handle(req: RouterRequest, res: ResponseSink): void {
    this.stats.requests += 1;
    const ex = new Exchange(req, res);
    try {
      res.once('close', () => this.closed(ex));
      this.route(ex);
    } catch (err) {
      this.internalError(ex, err);
    }
  }

  private route(ex: Exchange): void {
    const url = ex.req.url;
    const q = url.indexOf('?');
    ex.path = q === -1 ? url : url.slice(0, q);
    ex.query = q === -1 ? '' : url.slice(q);
    if (ex.path === this.mcpPath) {
      ex.kind = 'mcp';
    } else if (ex.path.charCodeAt(0) === 47 /* / */ && this.httpPrefixes.some((p) => ex.path.startsWith(p))) {
      ex.kind = 'http';
    } else {
      this.stats.notFound += 1;
      sendPlainError(ex.res, 404, 'not_found', `No route for ${clip(ex.path)}`);
      this.finish(ex);
      return;
    }
    ex.headers = scanHeaders(ex.req.rawHeaders, this.scanOptions);
    if (!this.startDeadline(ex)) return;
    if (ex.req.bodyTooLarge === true) {
      this.stats.bodyTooLarge += 1;
      this.reply(ex, 413, 'too_large', RPC.invalidRequest, `Request body exceeds ${this.maxBodyBytes} bytes`, ['connection', 'close']);
      return;
    }
    if (ex.kind === 'http') {
      ex.resendable = IDEMPOTENT_HTTP.has(ex.req.method);
      this.prepareForward(ex);
      this.routeNew(ex);
      return;
    }
    this.routeMcp(ex);
  }

  private routeMcp(ex: Exchange): void {
    const method = ex.req.method;
    const h = ex.headers;
    if (h.sessionId !== undefined) {
      if (!isValidSessionId(h.sessionId)) return this.badRequest(ex, RPC.invalidRequest, 'Bad Request: invalid Mcp-Session-Id header');
      ex.sessionId = h.sessionId;
    }
    if (method === 'POST') {
      const inspection = inspectJsonRpc(ex.req.body);
      if (!inspection.ok) {
        const { code, message, id } = inspection.problem;
        this.stats.badRequests += 1;
        sendRpcError(ex.res, 400, id, code, message);
        this.finish(ex);
        return;
      }
      ex.rpc = inspection.rpc;
      if (isSessionlessRevision(h.protocolVersion)) {
        const problem = mirrorHeaderProblem(ex.rpc, h.mcpMethod, h.mcpName);
        if (problem !== undefined) return this.badRequest(ex, RPC.headerMismatch, `Bad Request: ${problem}`);
      }
      ex.resendable = ex.rpc.methods.length === ex.rpc.count && ex.rpc.methods.every((m) => this.retryRpcMethods.has(m));
    } else if (method === 'GET' || method === 'DELETE') {
      if (ex.sessionId === undefined) {
        return this.badRequest(ex, RPC.serverError, `Bad Request: Mcp-Session-Id header is required for ${method}`);
      }
      // Resending a GET (a fresh event stream) or a DELETE (ending a session twice) is harmless.
      ex.resendable = true;
    } else if (method === 'OPTIONS') {
      // CORS preflight from browser-based clients: the backend owns the CORS policy; harmless to resend.
      ex.resendable = true;
      ex.sessionId = undefined;
    } else {
      this.stats.badRequests += 1;
      sendRpcError(ex.res, 405, null, RPC.serverError, `Method not allowed: ${clip(method)}`, MCP_ALLOW);
      this.finish(ex);
      return;
    }
    this.prepareForward(ex);
    const sessionId = ex.sessionId;
    if (sessionId === undefined) {
      this.routeNew(ex);
      return;
    }
    const cached = this.affinity.cached(sessionId);
    if (cached !== undefined) {
      this.routeBound(ex, cached);
      return;
    }
    this.affinity.lookup(sessionId).then(
      (backendId) => {
        if (ex.finished) return;
        try {
          this.routeBound(ex, backendId);
        } catch (err) {
          this.internalError(ex, err);
        }
      },
      (err: unknown) => this.internalError(ex, err),
    );
  }

  /** A request carrying a session id: to the bound backend, or 404 at once when that backend is down. */
  private routeBound(ex: Exchange, backendId: string | undefined): void {
    const sessionId = ex.sessionId as string;
    if (backendId === undefined) {
      this.stats.sessionUnknown += 1;
      if (this.unknownSession === 'not_found') return this.sessionNotFound(ex, 'Session not found');
      ex.bindOnSuccess = true;
      this.routeNew(ex);
      return;
    }
    const now = this.now();
    const backend = this.current(now).byId.get(backendId);
    if (backend === undefined || !backend.healthy || !canSend(this.breaker(backendId), now, this.breakerCfg)) {
      this.stats.sessionNotFoundFastFails += 1;
      this.affinity.forget(sessionId);
      return this.sessionNotFound(ex, 'Session not found: its backend is unavailable; start a new session');
    }
    ex.sessionBound = true;
    this.send(ex, backend, now);
  }

  /** A request with no binding: rollout and strategy pick the backend. */
  private routeNew(ex: Exchange): void {
    const now = this.now();
    const backend = this.pick(ex, now);
    if (backend === undefined) {
      this.stats.noBackend += 1;
      this.reply(ex, 503, 'unavailable', RPC.serverError, 'No backend available', ['retry-after', '1']);
      return;
    }
    this.send(ex, backend, now);
  }

  private pick(ex: Exchange, now: number): Backend | undefined {
    const e = this.current(now);
    let snapshot = ex.kind === 'mcp' ? e.mcp : e.http;
    if (snapshot.backends.length === 0) return undefined;
    const h = ex.headers;
    const ctx: RequestContext = {
      exclude: ex.exclude,
      preferCloudOtherThan: ex.preferCloudOtherThan,
      failOpen: this.failOpen,
      rand: this.random,
      clientKey: h.clientKey,
      clientGeo: this.strategyName === 'geographic' ? clientGeo(h) : undefined,
      latencyBudgetMs: this.latencyBudgetMs,
      performanceWeights: this.performanceWeights,
      headers: this.rollout?.ab !== undefined ? { [this.rollout.ab.keyHeader.toLowerCase()]: h.abKey } : undefined,
    };
    if (this.rollout !== undefined) snapshot = applyRollout(snapshot, this.rollout, ctx).snapshot;
    const selection = strategies[this.strategyName](snapshot, ctx, this.selection);
    if (selection === undefined) return undefined;
    this.selection = selection.state;
    return selection.backend;
  }

  /** Adds the router's own headers to the forwarded list (once per exchange). */
  private prepareForward(ex: Exchange): void {
    const forward = ex.headers.forward;
    if (this.forwardedHeaders) {
      const addr = ex.req.remoteAddress;
      const xff = ex.headers.xForwardedFor;
      if (addr !== undefined) forward.push('x-forwarded-for', xff === undefined ? addr : `${xff}, ${addr}`);
      else if (xff !== undefined) forward.push('x-forwarded-for', xff);
    }
    if (this.flags !== undefined) {
      const value = flagsHeaderValue(this.flags, ex.headers.clientKey);
      if (value !== undefined) forward.push('mcp-meshgate-flags', value);
    }
    if (ex.deadlineAt !== undefined) {
      forward.push(this.deadlineHeader, '');
      ex.deadlineIndex = forward.length - 1;
    }
  }

  /** Sets the exchange's deadline from the client header and the platform; false when it already passed. */
  private startDeadline(ex: Exchange): boolean {
    const now = this.now();
    const budget = parseBudgetMs(ex.headers.deadline);
    let deadline = ex.req.deadlineAt;
    if (budget !== undefined) {
      const own = now + Math.min(budget, this.maxClientTimeoutMs);
      deadline = deadline === undefined ? own : Math.min(deadline, own);
    }
    if (deadline === undefined) return true;
    ex.deadlineAt = deadline;
    if (deadline <= now) {
      this.timeout(ex, 'the request deadline had already passed when it arrived');
      return false;
    }
    ex.timer = setTimeout(() => this.deadlineReached(ex), deadline - now);
    return true;
  }

  private deadlineReached(ex: Exchange): void {
    ex.timer = undefined;
    if (ex.finished) return;
    const attempt = ex.attempt;
    attempt?.cancel();
    if (ex.headersSent) {
      // The answer is partly out: cut it so the client sees it incomplete.
      this.stats.timeouts += 1;
      ex.res.destroy();
      this.finish(ex);
      return;
    }
    const who = attempt === undefined ? 'no backend answered' : `backend ${attempt.backend.id} did not answer`;
    this.timeout(ex, `${who} within the request deadline`);
  }

  // ---------------------------------------------------------------- sending

  private send(ex: Exchange, backend: Backend, now: number): void {
    const target = this.targets.get(backend.id);
    if (target === undefined) {
      this.reply(ex, 502, 'bad_gateway', RPC.serverError, `Backend ${backend.id} is not configured`);
      return;
    }
    ex.attempts += 1;
    const breaker = this.breaker(backend.id);
    if (breaker.phase !== 'closed') this.setBreaker(backend.id, onSend(breaker, now, this.breakerCfg), now);
    let headersTimeoutMs = this.requestTimeoutMs;
    if (ex.deadlineAt !== undefined) {
      const remaining = Math.max(1, ex.deadlineAt - now);
      headersTimeoutMs = Math.min(headersTimeoutMs, remaining);
      if (ex.deadlineIndex >= 0) ex.headers.forward[ex.deadlineIndex] = String(remaining);
    }
    ex.perTryLimited = this.perTryTimeoutMs > 0 && ex.resendable && this.perTryTimeoutMs < headersTimeoutMs;
    if (ex.perTryLimited) headersTimeoutMs = this.perTryTimeoutMs;
    const attempt = new Attempt(this, ex, backend, now);
    ex.attempt = attempt;
    const path = ex.kind === 'mcp' ? target.path + ex.query : (target.path === '/' ? '' : target.path) + ex.path + ex.query;
    this.upstream.dispatch(
      {
        origin: target.origin,
        path,
        method: ex.req.method,
        headers: ex.headers.forward,
        body: ex.req.method === 'GET' || ex.req.method === 'HEAD' ? null : ex.req.body,
        headersTimeoutMs,
        // A GET on the MCP endpoint is a long-lived event stream: no idle limit (keep-alives cover proxies).
        bodyTimeoutMs: ex.kind === 'mcp' && ex.req.method === 'GET' ? 0 : this.responseIdleTimeoutMs,
      },
      attempt,
    );
  }

  /** @internal Called by {@link Attempt}. */
  upstreamHeaders(attempt: Attempt, status: number, raw: readonly string[], resume: () => void): boolean {
    const ex = attempt.ex;
    const backend = attempt.backend;
    const now = this.now();
    this.recordLatency(backend.id, now - attempt.startedAt);
    const failed = status >= 500;
    this.result(backend.id, !failed, now);
    if (ex.finished) {
      attempt.cancel();
      return false;
    }
    if (
      (status === 502 || status === 503 || status === 504) &&
      !ex.sessionBound &&
      ex.resendable &&
      this.canRetry(ex, now)
    ) {
      attempt.cancel();
      this.retry(ex, backend, now, `HTTP ${status}`);
      return false;
    }
    const headers: string[] = [];
    let sessionId: string | undefined;
    let sse = false;
    const n = raw.length - (raw.length % 2);
    for (let i = 0; i < n; i += 2) {
      const name = raw[i] as string;
      const value = raw[i + 1] as string;
      const lower = name.toLowerCase();
      if (RESPONSE_DROP.has(lower)) continue;
      if (lower === 'mcp-session-id') sessionId = value;
      else if (lower === 'content-type') sse = value.length >= 17 && value.slice(0, 17).toLowerCase() === 'text/event-stream';
      headers.push(name, value);
    }
    if (ex.kind === 'mcp') this.affinityAfter(ex, backend, status, sessionId);
    if (sse) headers.push('x-accel-buffering', 'no');
    try {
      ex.res.writeHead(status, headers);
    } catch {
      // A header the client side refuses to write (invalid characters): the answer cannot be relayed.
      attempt.cancel();
      this.reply(ex, 502, 'bad_gateway', RPC.serverError, `Backend ${backend.id} sent response headers that cannot be relayed`);
      return false;
    }
    ex.headersSent = true;
    this.stats.proxied += 1;
    attempt.resume = resume;
    if (sse) this.watchStream(ex, now);
    return true;
  }

  private affinityAfter(ex: Exchange, backend: Backend, status: number, responseSession: string | undefined): void {
    const requestSession = ex.sessionId;
    if (status < 400) {
      if (responseSession !== undefined && isValidSessionId(responseSession) && responseSession !== requestSession) {
        this.affinity.bind(responseSession, backend.id, backend.cloud);
      } else if (ex.bindOnSuccess && requestSession !== undefined) {
        // The backend knows a session we had no binding for (expired, or its write was lost): remember it.
        this.affinity.bind(requestSession, backend.id, backend.cloud);
      }
      if (ex.req.method === 'DELETE' && status < 300 && requestSession !== undefined) this.affinity.forget(requestSession);
    } else if (status === 404 && ex.sessionBound && requestSession !== undefined) {
      this.affinity.forget(requestSession);
    }
  }

  /** @internal */
  upstreamData(attempt: Attempt, chunk: Uint8Array): boolean {
    const ex = attempt.ex;
    if (ex.finished) return true;
    const ok = ex.res.write(chunk);
    if (ex.sse) this.trackEvent(ex, chunk);
    if (!ok) {
      ex.paused = true;
      const resume = attempt.resume;
      ex.res.once('drain', () => {
        ex.paused = false;
        if (!attempt.superseded) resume?.();
      });
      return false;
    }
    return true;
  }

  /** @internal */
  upstreamComplete(attempt: Attempt): void {
    const ex = attempt.ex;
    if (ex.finished) return;
    ex.res.end();
    this.finish(ex);
  }

  /** @internal */
  upstreamError(attempt: Attempt, failure: UpstreamFailure): void {
    const ex = attempt.ex;
    const backend = attempt.backend;
    const now = this.now();
    if (failure.kind !== 'aborted') {
      this.stats.upstreamErrors += 1;
      this.result(backend.id, false, now);
    }
    if (ex.finished) return;
    if (ex.headersSent) {
      ex.res.destroy();
      this.finish(ex);
      return;
    }
    const safe = !failure.requestSent || ex.resendable;
    if (ex.sessionBound) {
      if (failure.kind === 'connect') {
        this.sessionBackendLost(ex, `its backend ${backend.id} is unreachable`);
        return;
      }
      if (failure.kind === 'timeout' && ex.perTryLimited) {
        // A request without side effects got no answer within the per-try timeout: the session's backend is hung.
        // The session cannot move, so tell the client to start a new one rather than wait out its deadline.
        this.sessionBackendLost(ex, `its backend ${backend.id} did not answer within ${this.perTryTimeoutMs} ms`);
        return;
      }
      if (safe && failure.kind !== 'timeout' && this.canRetry(ex, now)) {
        this.stats.retries += 1;
        this.send(ex, backend, now);
        return;
      }
      this.upstreamFailed(ex, backend, failure);
      return;
    }
    if (safe && failure.kind !== 'aborted' && this.canRetry(ex, now)) {
      this.retry(ex, backend, now, failure.message);
      return;
    }
    this.upstreamFailed(ex, backend, failure);
  }

  private canRetry(ex: Exchange, now: number): boolean {
    return ex.attempts < this.maxAttempts && (ex.deadlineAt === undefined || ex.deadlineAt - now > 1);
  }

  /** Resends on another backend, preferring another cloud; answers 502 when none is left. */
  private retry(ex: Exchange, failed: Backend, now: number, why: string): void {
    ex.exclude ??= new Set();
    ex.exclude.add(failed.id);
    ex.preferCloudOtherThan = failed.cloud;
    const next = this.pick(ex, now);
    if (next === undefined) {
      this.stats.noBackend += 1;
      this.reply(ex, 502, 'bad_gateway', RPC.serverError, `Backend ${failed.id} failed (${clip(why)}) and no other backend is available`);
      return;
    }
    this.stats.retries += 1;
    this.send(ex, next, now);
  }

  private upstreamFailed(ex: Exchange, backend: Backend, failure: UpstreamFailure): void {
    if (failure.kind === 'timeout') {
      this.timeout(ex, `backend ${backend.id} did not answer in time`);
      return;
    }
    if (failure.kind === 'aborted') {
      this.reply(ex, 502, 'bad_gateway', RPC.serverError, `Request to backend ${backend.id} was aborted`);
      return;
    }
    const maybeReceived = failure.requestSent
      ? '; the backend may have received the request, so it was not resent'
      : '';
    this.reply(ex, 502, 'bad_gateway', RPC.serverError, `Backend ${backend.id} failed: ${failure.kind}${maybeReceived}`);
  }

  // ---------------------------------------------------------------- event streams

  private watchStream(ex: Exchange, now: number): void {
    ex.sse = true;
    ex.lastWriteAt = now;
    this.stats.sseStreams += 1;
    this.stats.sseOpen += 1;
    if (this.sseKeepAliveMs <= 0) return;
    this.sseExchanges.add(ex);
    if (this.sseTicker === undefined) {
      const every = Math.max(5, Math.floor(this.sseKeepAliveMs / 4));
      this.sseTicker = setInterval(() => this.keepAlive(), every);
      this.sseTicker.unref?.();
    }
  }

  private trackEvent(ex: Exchange, chunk: Uint8Array): void {
    ex.lastWriteAt = this.now();
    const n = chunk.length;
    if (n === 0) return;
    const last = chunk[n - 1];
    if (last !== 10 /* \n */) {
      ex.atEventBoundary = false;
      ex.lastByteNewline = false;
      return;
    }
    const prev = n >= 2 ? chunk[n - 2] : ex.lastByteNewline ? 10 : -1;
    // An event ends with a blank line: "\n\n" or "\r\n\r\n".
    ex.atEventBoundary = prev === 10 || (prev === 13 && n >= 4 && chunk[n - 3] === 10 && chunk[n - 4] === 13);
    ex.lastByteNewline = true;
  }

  private keepAlive(): void {
    const now = this.now();
    for (const ex of this.sseExchanges) {
      if (ex.finished || ex.paused || !ex.atEventBoundary) continue;
      if (now - ex.lastWriteAt < this.sseKeepAliveMs) continue;
      ex.lastWriteAt = now;
      this.stats.keepAlivesSent += 1;
      ex.res.write(KEEP_ALIVE_COMMENT);
    }
    if (this.sseExchanges.size === 0 && this.sseTicker !== undefined) {
      clearInterval(this.sseTicker);
      this.sseTicker = undefined;
    }
  }

  // ---------------------------------------------------------------- endings

  private closed(ex: Exchange): void {
    if (ex.finished) return;
    ex.clientGone = true;
    this.stats.clientAborts += 1;
    ex.attempt?.cancel();
    this.finish(ex);
  }

  private finish(ex: Exchange): void {
    if (ex.finished) return;
    ex.finished = true;
    if (ex.timer !== undefined) clearTimeout(ex.timer);
    ex.timer = undefined;
    if (ex.sse) {
      this.stats.sseOpen -= 1;
      this.sseExchanges.delete(ex);
    }
  }

  private reply(ex: Exchange, status: number, code: Parameters<typeof sendPlainError>[2], rpcCode: number, message: string, extra?: readonly string[]): void {
    if (ex.finished || ex.headersSent) return;
    ex.headersSent = true;
    if (ex.kind === 'mcp') sendRpcError(ex.res, status, ex.rpcId, rpcCode, message, extra);
    else sendPlainError(ex.res, status, code, message, extra);
    this.finish(ex);
  }

  private badRequest(ex: Exchange, rpcCode: number, message: string): void {
    this.stats.badRequests += 1;
    this.reply(ex, 400, 'validation', rpcCode, message);
  }

  /** The session's backend is gone or hung: forget the binding and answer 404 so the client starts a new session. */
  private sessionBackendLost(ex: Exchange, why: string): void {
    this.stats.sessionBackendLost += 1;
    this.affinity.forget(ex.sessionId as string);
    this.sessionNotFound(ex, `Session not found: ${why}; start a new session`);
  }

  private sessionNotFound(ex: Exchange, message: string): void {
    this.reply(ex, 404, 'not_found', RPC.sessionOrTimeout, message);
  }

  private timeout(ex: Exchange, why: string): void {
    this.stats.timeouts += 1;
    this.reply(ex, 504, 'timeout', RPC.sessionOrTimeout, `Request timed out: ${why}`);
  }

  private internalError(ex: Exchange, err: unknown): void {
    void err;
    if (ex.finished) return;
    if (ex.headersSent) {
      ex.res.destroy();
      this.finish(ex);
      return;
    }
    this.reply(ex, 500, 'internal', RPC.internalError, 'Internal router error');
  }

  // ---------------------------------------------------------------- snapshot, breakers, latency

  private breaker(id: string): BreakerState {
    return Object.prototype.hasOwnProperty.call(this.breakers, id) ? (this.breakers[id] as BreakerState) : CLOSED_BREAKER;
  }

  private setBreaker(id: string, next: BreakerState, at: number): void {
    const prev = this.breaker(id);
    if (next === prev) return;
    this.breakers[id] = next;
    const before = breakerAt(prev, at).phase;
    if (next.phase !== before || next.phase === 'half_open') {
      if (next.phase === 'open') this.stats.breakerOpens += 1;
      this.effective = undefined;
    }
  }

  private result(id: string, ok: boolean, at: number): void {
    this.setBreaker(id, onResult(this.breaker(id), { ok, at }, this.breakerCfg), at);
  }

  private recordLatency(id: string, ms: number): void {
    if (this.latencyAlpha <= 0 || !(ms >= 0) || !Number.isFinite(ms)) return;
    this.liveLatency.set(id, updateEwma(this.liveLatency.get(id), ms, this.latencyAlpha));
    this.latencyDirty = true;
  }

  private current(now: number): Effective {
    const e = this.effective;
    if (e !== undefined && now < e.validUntil && !(this.latencyDirty && now - e.builtAt >= 1000)) return e;
    return this.rebuild(now);
  }

  private rebuild(now: number): Effective {
    const base: Backend[] = this.specs.map((spec) => {
      const s = this.statuses.get(spec.id);
      const latency = this.liveLatency.get(spec.id) ?? s?.latencyEwmaMs;
      const backend: Backend = {
        id: spec.id,
        cloud: spec.cloud,
        region: spec.region,
        url: spec.url,
        weight: s?.weight ?? spec.weight,
        version: spec.version,
        healthy: s?.healthy ?? true,
        ...(latency === undefined ? {} : { latencyEwmaMs: latency }),
        ...(s?.errorRate === undefined ? {} : { errorRate: s.errorRate }),
        ...(s?.load === undefined ? {} : { load: s.load }),
        ...((s?.costPerMillion ?? spec.costPerMillion) === undefined ? {} : { costPerMillion: s?.costPerMillion ?? spec.costPerMillion }),
        ...(spec.latitude === undefined || spec.longitude === undefined ? {} : { latitude: spec.latitude, longitude: spec.longitude }),
      };
      return backend;
    });
    const applied = applyBreakers({ backends: base }, this.breakers, now, this.breakerCfg).backends;
    let validUntil = Infinity;
    for (const id of Object.keys(this.breakers)) {
      const b = this.breakers[id] as BreakerState;
      if (b.phase === 'open' && b.until > now) validUntil = Math.min(validUntil, b.until);
    }
    const byId = new Map<string, Backend>();
    const mcp: Backend[] = [];
    const http: Backend[] = [];
    applied.forEach((b, i) => {
      byId.set(b.id, b);
      (this.specs[i]?.transport === 'http' ? http : mcp).push(b);
    });
    this.latencyDirty = false;
    const e: Effective = { mcp: { backends: mcp }, http: { backends: http }, byId, validUntil, builtAt: now };
    this.effective = e;
    return e;
  }
}

function clientGeo(h: ScannedHeaders): ClientGeo | undefined {
  if (h.latitude !== undefined && h.longitude !== undefined) {
    const latitude = Number(h.latitude);
    const longitude = Number(h.longitude);
    if (Number.isFinite(latitude) && Number.isFinite(longitude) && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180) {
      return { latitude, longitude };
    }
  }
  const country = h.country?.trim().toUpperCase();
  return country !== undefined && /^[A-Z]{2}$/.test(country) ? { country } : undefined;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function positive(name: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0)) throw new MeshgateError('validation', `router.${name}: must be a positive number, got ${v}`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!(Number.isFinite(v) && v >= 0)) throw new MeshgateError('validation', `router.${name}: must be a number >= 0, got ${v}`);
  return v;
}

/** Builds a router. See {@link RouterOptions} for the knobs and docs/router.md for the operator's view. */
export function createRouter(options: RouterOptions): Router {
  return new Router(options);
}
