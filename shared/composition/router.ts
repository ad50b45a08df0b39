/**
 * The router function's service: one router per process (per warm Lambda sandbox, Azure worker or Cloud
 * Functions instance), built on first use from the shared context, so its keep-alive pools and affinity cache
 * survive between invocations.
 *
 * Health comes from the observations the health functions write (`observation/backend:<id>/<observer>`): every
 * `router.refresh_seconds` the router reads them in the background and marks a backend unhealthy while a quorum
 * of fresh observers (2, or 1 with a single cloud) report `health.failure_threshold` consecutive failures. Its
 * latency is this cloud's own observer's EWMA, as that is the path the router's requests take. A request never
 * waits for this: until the first read lands, backends count as healthy and live traffic feeds the breakers.
 */
import { UndiciUpstream } from '../adapters/http/undici-upstream';
import { backendTargetId } from '../core/health/keys';
import { loadConfig, type MeshgateConfig } from '../config';
import type { StateStore } from '../ports/state-store';
import type { Upstream } from '../ports/upstream';
import { readObservations, type ObservationView } from '../usecases/health';
import { backendsFromConfig, createRouter, type BackendStatus, type Router } from '../usecases/router';
import { lazyService, type AppContext } from './context';

export interface RouterService {
  readonly router: Router;
  /** Reads the health observations once and feeds them to the router. Errors: those of the store. */
  refreshHealth(): Promise<void>;
  /** Stops the refresh timers and closes the upstream pools; in-flight responses are cut. */
  close(): Promise<void>;
}

export interface BuildRouterOptions {
  /** Default: undici keep-alive pools sized by `router.upstream`. */
  readonly upstream?: Upstream & { close?(): Promise<void> };
  /** Start the periodic health and rollout refresh (default true); false leaves it to `refreshHealth()`. */
  readonly refresh?: boolean;
}

/**
 * What the observations say about each configured backend. A backend nobody observed freshly counts as healthy
 * again (the observers are gone, not the backend); live traffic and its breaker still judge it.
 */
export function backendStatuses(
  views: readonly ObservationView[],
  backendIds: readonly string[],
  options: { readonly ownCloud: string; readonly failureThreshold: number; readonly quorum: number },
): BackendStatus[] {
  const statuses: BackendStatus[] = [];
  for (const id of backendIds) {
    const target = backendTargetId(id);
    const seen = views.filter((v) => v.target === target);
    if (seen.length === 0) {
      statuses.push({ id, healthy: true });
      continue;
    }
    const failing = seen.filter((v) => v.summary.consecutiveFailures >= options.failureThreshold).length;
    const own = seen.find((v) => v.observer === options.ownCloud)?.summary.ewmaLatencyMs ?? null;
    statuses.push({ id, healthy: failing < options.quorum, ...(own === null ? {} : { latencyEwmaMs: own }) });
  }
  return statuses;
}

function routerOptions(config: MeshgateConfig) {
  const r = config.router;
  return {
    strategy: r.strategy,
    mcpPath: r.mcpPath,
    httpPrefixes: r.httpPrefixes,
    maxBodyBytes: r.maxBodyBytes,
    requestTimeoutMs: r.requestTimeoutMs,
    perTryTimeoutMs: r.perTryTimeoutMs,
    responseIdleTimeoutMs: r.responseIdleTimeoutMs,
    deadlineHeader: r.deadlineHeader,
    maxClientTimeoutMs: r.maxClientTimeoutMs,
    maxAttempts: r.maxAttempts,
    retryRpcMethodsAfterSend: r.retryRpcMethodsAfterSend,
    sseKeepAliveMs: r.sseKeepAliveMs,
    unknownSession: r.unknownSession,
    failOpen: r.failOpen,
    forwardedHeaders: r.forwardedHeaders,
    clientKeyHeader: r.clientKeyHeader,
    affinityCacheSize: r.affinityCacheSize,
    sessionTtlMs: r.sessionTtlSeconds * 1000,
    affinityLookupTimeoutMs: r.affinityLookupTimeoutMs,
    ...(r.latencyBudgetMs === undefined ? {} : { latencyBudgetMs: r.latencyBudgetMs }),
  };
}

/** What the router needs of the app context; any `StateStore` will do as the store. */
export type RouterContext = Pick<AppContext, 'config' | 'runtime' | 'clock' | 'logger'> & { readonly store: StateStore };

/** Builds the router from the context; usable by any host (function runtimes, the local mesh, a plain server). */
export function buildRouter({ config, runtime, store, clock, logger }: RouterContext, options: BuildRouterOptions = {}): RouterService {
  const log = logger.child({ usecase: 'router' });
  const upstream =
    options.upstream ??
    new UndiciUpstream({ connections: config.router.upstream.connections, connectTimeoutMs: config.router.upstream.connectTimeoutMs });
  const router = createRouter({ ...routerOptions(config), backends: backendsFromConfig(config.backends), upstream, store });
  const backendIds = config.backends.map((b) => b.id);
  const observers = new Set([runtime.cloud, ...Object.keys(config.providers)]).size;
  const health = config.health;

  const refreshHealth = async (): Promise<void> => {
    // Three probe intervals: an observer that stopped probing (its cloud is gone) stops counting, as for the verdict.
    const views = await readObservations(store, undefined, { nowMs: clock.now(), ttlMs: 3 * health.probeIntervalSeconds * 1000 });
    const quorum = Math.min(2, observers);
    router.updateSnapshot(backendStatuses(views, backendIds, { ownCloud: runtime.cloud, failureThreshold: health.failureThreshold, quorum }));
  };
  const refreshInBackground = (): void => {
    refreshHealth().catch((err: unknown) => log.warn({ event: 'router.health_refresh_failed', error: describe(err) }, 'router: health refresh failed; keeping the previous view'));
  };

  let healthTimer: ReturnType<typeof setInterval> | undefined;
  if (options.refresh ?? true) {
    const intervalMs = config.router.refreshSeconds * 1000;
    refreshInBackground();
    healthTimer = setInterval(refreshInBackground, intervalMs);
    healthTimer.unref?.();
    router.startRefresh(intervalMs, (err) => log.warn({ event: 'router.settings_refresh_failed', error: describe(err) }, 'router: rollout/flags refresh failed; keeping the previous settings'));
  }

  return {
    router,
    refreshHealth,
    close: async () => {
      if (healthTimer !== undefined) clearInterval(healthTimer);
      router.close();
      await upstream.close?.();
    },
  };
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err)).slice(0, 300);

const service = lazyService((context) => buildRouter(context));

/** This process's router; throws `unavailable` (answered 503) when the function set is misconfigured. */
export const routerService = (): RouterService => service();

/**
 * The router's paths from the configuration, for runtimes that need routes at registration (Azure), before
 * the router is built. A configuration that does not load gives the defaults: the router built later reports
 * the problem with 503 on them.
 */
export function routerPaths(): { readonly mcpPath: string; readonly httpPrefixes: readonly string[] } {
  try {
    const { router } = loadConfig();
    return { mcpPath: router.mcpPath, httpPrefixes: router.httpPrefixes };
  } catch {
    return { mcpPath: '/mcp', httpPrefixes: [] };
  }
}
