/**
 * Smooth weighted round robin, exactly as nginx's `ngx_http_upstream_get_peer`: for every candidate,
 * `current += effective`, the candidate with the largest `current` wins (ties: the first in snapshot order),
 * then `best.current -= total`. `effective` is the backend's weight (1 when every candidate weighs 0).
 *
 * Over any `sum(weights)` consecutive picks from the initial state, each backend is picked exactly `weight`
 * times, and picks are interleaved: no backend runs more than `ceil(w / min other w)` times in a row.
 * Backends that are not candidates (unhealthy, excluded, other cloud preferred) keep their `current` value,
 * as nginx's skipped peers do; ids no longer in the snapshot are dropped from the state.
 */
import { candidates, ownNumber } from './candidates';
import {
  INITIAL_SELECTION_STATE,
  type Backend,
  type RequestContext,
  type Selection,
  type SelectionState,
  type Snapshot,
} from './types';

export function weightedRoundRobin(
  snapshot: Snapshot,
  ctx: RequestContext = {},
  state: SelectionState = INITIAL_SELECTION_STATE,
): Selection | undefined {
  const { backends, failedOpen } = candidates(snapshot, ctx);
  const picked = smoothPick(snapshot, backends, state);
  if (picked === undefined) return undefined;
  return { backend: picked.backend, state: picked.state, failedOpen };
}

/** One smooth-WRR step over `among` (a subset of the snapshot); shared with the geographic strategy. */
export function smoothPick(
  snapshot: Snapshot,
  among: readonly Backend[],
  state: SelectionState,
): { backend: Backend; state: SelectionState } | undefined {
  if (among.length === 0) return undefined;
  const anyWeight = among.some((b) => b.weight > 0);
  const effective = (b: Backend): number => (anyWeight ? Math.max(0, b.weight) : 1);
  const inSet = new Set(among.map((b) => b.id));
  const next: Record<string, number> = {};
  let total = 0;
  let best: Backend | undefined;
  let bestCurrent = 0;
  for (const b of snapshot.backends) {
    const current = ownNumber(state.currentWeights, b.id);
    if (!inSet.has(b.id)) {
      if (current !== 0) define(next, b.id, current);
      continue;
    }
    const w = effective(b);
    const updated = current + w;
    define(next, b.id, updated);
    total += w;
    if (best === undefined || updated > bestCurrent) {
      best = b;
      bestCurrent = updated;
    }
  }
  if (best === undefined) return undefined;
  define(next, best.id, bestCurrent - total);
  return { backend: best, state: { ...state, currentWeights: next } };
}

function define(record: Record<string, number>, key: string, value: number): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
