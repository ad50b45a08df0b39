/**
 * Shared types of the router's pure core: the snapshot a strategy selects from, the per-request context,
 * and the selection state that stateful strategies thread through (a functional core: nothing is hidden).
 */

/** A cloud meshgate runs on. Mirrors `CloudName` in shared/ports (core may not import ports). */
export type Cloud = 'aws' | 'azure' | 'gcp';

export const CLOUDS: readonly Cloud[] = ['aws', 'azure', 'gcp'];

/** One routable MCP gateway backend as the router currently sees it. */
export interface Backend {
  /** Unique within a snapshot; keys selection state and circuit breakers. */
  readonly id: string;
  readonly cloud: Cloud;
  /** Provider region name, e.g. `us-east-1`, `westeurope`, `europe-west1`. */
  readonly region: string;
  readonly url: string;
  /** 0–255 as in Route 53. 0 means drained (see {@link RequestContext} and docs/routing.md). */
  readonly weight: number;
  /** Deployed version, matched by rollouts (`v1`, `v2`, ...). */
  readonly version: string;
  /** Verdict of health checks (and, via `applyBreakers`, of the circuit breaker). */
  readonly healthy: boolean;
  /** Exponentially weighted moving average of observed latency, milliseconds. Unknown when absent. */
  readonly latencyEwmaMs?: number;
  /** Recent error rate, 0–1. Treated as 0 when absent. */
  readonly errorRate?: number;
  /** In-flight requests / capacity, 0–1. Treated as 0 when absent. */
  readonly load?: number;
  /** Cost per million requests, any single currency. Unknown (most expensive) when absent. */
  readonly costPerMillion?: number;
  /** Explicit location; otherwise looked up from the well-known region table. */
  readonly latitude?: number;
  readonly longitude?: number;
}

export interface Snapshot {
  /** Order matters: it is the tie-breaker of every strategy and the order of the fail-open tier. */
  readonly backends: readonly Backend[];
}

export interface LatLon {
  readonly latitude: number;
  readonly longitude: number;
}

/** Client location: coordinates, or an ISO 3166-1 alpha-2 country code (e.g. from CloudFront-Viewer-Country). */
export type ClientGeo = LatLon | { readonly country: string };

/** Weights of the performance score; see `performanceScore`. */
export interface PerformanceWeights {
  /** Weight of `latencyEwmaMs / latencyRefMs`. Default 1. */
  readonly latency: number;
  /** Weight of `errorRate` (0–1). Default 10 (a 10 % error rate costs as much as one `latencyRefMs`). */
  readonly errorRate: number;
  /** Weight of `load` (0–1). Default 1. */
  readonly load: number;
  /** Latency that counts as one unit of score, milliseconds. Default 100. */
  readonly latencyRefMs: number;
}

/** Everything a strategy may know about the request being routed. All fields are optional. */
export interface RequestContext {
  readonly clientGeo?: ClientGeo;
  /** Stable client identity for sticky splits (rollouts, flags). */
  readonly clientKey?: string;
  /** Latency budget for the cost strategy, milliseconds. Without it every backend is within budget. */
  readonly latencyBudgetMs?: number;
  /** Backend ids already tried for this request; never returned. */
  readonly exclude?: ReadonlySet<string>;
  /** On retries: prefer a candidate on another cloud when there is one in the same tier. */
  readonly preferCloudOtherThan?: Cloud;
  /**
   * When no healthy, non-excluded backend exists, consider the unhealthy non-excluded ones (in snapshot order)
   * instead of returning undefined. Default false.
   */
  readonly failOpen?: boolean;
  /** Uniform random source in [0, 1): the latency strategy's two choices, keyless rollout splits. */
  readonly rand?: () => number;
  /** Overrides of the performance score weights. */
  readonly performanceWeights?: Partial<PerformanceWeights>;
  /** Request headers with lower-cased names (the A/B split reads its key header from here). */
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

/** Mutable selection state, passed in and returned; one value per router instance. JSON-serialisable. */
export interface SelectionState {
  /** Round robin: number of picks made so far (modulo 2^31). */
  readonly cursor: number;
  /** Smooth weighted round robin: nginx `current_weight` per backend id (absent = 0). */
  readonly currentWeights: Readonly<Record<string, number>>;
}

export const INITIAL_SELECTION_STATE: SelectionState = Object.freeze({
  cursor: 0,
  currentWeights: Object.freeze({}),
});

export interface Selection {
  readonly backend: Backend;
  /** The state to pass to the next call (the input state when the strategy keeps none). */
  readonly state: SelectionState;
  /** True when the backend came from the fail-open tier (it is not healthy). */
  readonly failedOpen: boolean;
}

/** A backend-selection strategy: pure, deterministic given its inputs (and `ctx.rand`). */
export type Strategy = (snapshot: Snapshot, ctx?: RequestContext, state?: SelectionState) => Selection | undefined;

export type StrategyName = 'round_robin' | 'weighted' | 'latency' | 'geographic' | 'cost' | 'performance';

export const STRATEGY_NAMES: readonly StrategyName[] = [
  'round_robin',
  'weighted',
  'latency',
  'geographic',
  'cost',
  'performance',
];
