/**
 * Performance-optimised selection: the candidate with the lowest score (ties: snapshot order), where
 *
 *   score = wLatency · latencyEwmaMs / latencyRefMs + wErrorRate · errorRate + wLoad · load
 *
 * with defaults wLatency = 1, wErrorRate = 10, wLoad = 1, latencyRefMs = 100 (so 100 ms of latency, a 10 %
 * error rate and a fully loaded backend each cost one point). Unknown error rate or load count as 0; unknown
 * latency makes the latency term infinite (the backend ranks after every measured one) unless wLatency is 0.
 */
import { MeshgateError } from '../errors';
import { argmin, candidates, metric } from './candidates';
import {
  INITIAL_SELECTION_STATE,
  type Backend,
  type PerformanceWeights,
  type RequestContext,
  type Selection,
  type SelectionState,
  type Snapshot,
} from './types';

export const DEFAULT_PERFORMANCE_WEIGHTS: PerformanceWeights = Object.freeze({
  latency: 1,
  errorRate: 10,
  load: 1,
  latencyRefMs: 100,
});

export function performanceWeights(overrides: Partial<PerformanceWeights> = {}): PerformanceWeights {
  const w = { ...DEFAULT_PERFORMANCE_WEIGHTS, ...stripUndefined(overrides) };
  for (const key of ['latency', 'errorRate', 'load'] as const) {
    if (!(Number.isFinite(w[key]) && w[key] >= 0)) {
      throw new MeshgateError('validation', `performance weight ${key} must be a finite number >= 0, got ${w[key]}`);
    }
  }
  if (!(Number.isFinite(w.latencyRefMs) && w.latencyRefMs > 0)) {
    throw new MeshgateError('validation', `performance latencyRefMs must be > 0, got ${w.latencyRefMs}`);
  }
  return w;
}

function stripUndefined(o: Partial<PerformanceWeights>): Partial<PerformanceWeights> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The documented score; lower is better. */
export function performanceScore(b: Backend, weights: PerformanceWeights = DEFAULT_PERFORMANCE_WEIGHTS): number {
  const latency = metric(b.latencyEwmaMs);
  const latencyTerm = weights.latency === 0 ? 0 : latency === undefined ? Infinity : (weights.latency * latency) / weights.latencyRefMs;
  const errorTerm = weights.errorRate * Math.min(1, metric(b.errorRate) ?? 0);
  const loadTerm = weights.load * (metric(b.load) ?? 0);
  return latencyTerm + errorTerm + loadTerm;
}

export function performanceOptimized(
  snapshot: Snapshot,
  ctx: RequestContext = {},
  state: SelectionState = INITIAL_SELECTION_STATE,
): Selection | undefined {
  const { backends, failedOpen } = candidates(snapshot, ctx);
  const weights = ctx.performanceWeights === undefined ? DEFAULT_PERFORMANCE_WEIGHTS : performanceWeights(ctx.performanceWeights);
  const backend = backends[argmin(backends, (b) => performanceScore(b, weights))];
  return backend === undefined ? undefined : { backend, state, failedOpen };
}
