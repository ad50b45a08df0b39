/**
 * Cost-optimised selection: among candidates whose latency EWMA is within `ctx.latencyBudgetMs`, the cheapest
 * by `costPerMillion` (ties: lower latency, then snapshot order). A candidate with unknown latency is never
 * within a budget; unknown cost ranks after every known cost. Without a budget every candidate is within it.
 * When no candidate is within the budget, the fastest candidate (ties: cheaper, then snapshot order).
 */
import { argmin, candidates, metric } from './candidates';
import {
  INITIAL_SELECTION_STATE,
  type Backend,
  type RequestContext,
  type Selection,
  type SelectionState,
  type Snapshot,
} from './types';

export function costOptimized(
  snapshot: Snapshot,
  ctx: RequestContext = {},
  state: SelectionState = INITIAL_SELECTION_STATE,
): Selection | undefined {
  const { backends, failedOpen } = candidates(snapshot, ctx);
  const budget = ctx.latencyBudgetMs;
  const latency = (b: Backend): number | undefined => metric(b.latencyEwmaMs);
  const cost = (b: Backend): number | undefined => metric(b.costPerMillion);
  const within =
    budget === undefined
      ? backends
      : backends.filter((b) => {
          const l = latency(b);
          return l !== undefined && l <= budget;
        });
  const backend =
    within.length > 0 ? within[argmin(within, cost, latency)] : backends[argmin(backends, latency, cost)];
  return backend === undefined ? undefined : { backend, state, failedOpen };
}
