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

/**
 * One smooth-WRR step over `among` (a subset of the snapshot); shared with the geographic strategy.
 * Allocates only the returned state: membership in `among` is tested by walking it alongside the snapshot (it is
 * normally in snapshot order; a linear scan covers any other order), and the new weights are a plain record.
 */
export function smoothPick(
  snapshot: Snapshot,
  among: readonly Backend[],
  state: SelectionState,
): { backend: Backend; state: SelectionState } | undefined {
  const n = among.length;
  if (n === 0) return undefined;
  let anyWeight = false;
  for (let i = 0; i < n && !anyWeight; i++) anyWeight = (among[i] as Backend).weight > 0;
  const previous = state.currentWeights;
  const next: Record<string, number> = {};
  let total = 0;
  let best: Backend | undefined;
  let bestCurrent = 0;
  let cursor = 0;
  for (const b of snapshot.backends) {
    const current = ownNumber(previous, b.id);
    const at = among[cursor];
    let member = at !== undefined && at.id === b.id;
    if (member) cursor += 1;
    else member = containsId(among, b.id);
    if (!member) {
      if (current !== 0) put(next, b.id, current);
      continue;
    }
    const w = anyWeight ? Math.max(0, b.weight) : 1;
    const updated = current + w;
    put(next, b.id, updated);
    total += w;
    if (best === undefined || updated > bestCurrent) {
      best = b;
      bestCurrent = updated;
    }
  }
  if (best === undefined) return undefined;
  put(next, best.id, bestCurrent - total);
  return { backend: best, state: { cursor: state.cursor, currentWeights: next } };
}

function containsId(list: readonly Backend[], id: string): boolean {
  for (let i = 0; i < list.length; i++) if ((list[i] as Backend).id === id) return true;
  return false;
}

/**
 * Sets an own enumerable property. Plain assignment except for names Object.prototype already has (`__proto__`
 * would set the prototype; the others must not depend on Object.prototype being writable).
 */
function put(record: Record<string, number>, key: string, value: number): void {
  if (key in Object.prototype) {
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    record[key] = value;
  }
}
