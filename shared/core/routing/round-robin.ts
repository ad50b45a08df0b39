/**
 * Round robin: the `cursor`-th candidate (modulo the candidate count), then the cursor advances.
 * Weights other than 0 (drained) are ignored; use `weighted` for proportional splits.
 */
import { candidates } from './candidates';
import { INITIAL_SELECTION_STATE, type RequestContext, type Selection, type SelectionState, type Snapshot } from './types';

const CURSOR_MODULUS = 2 ** 31;

export function roundRobin(
  snapshot: Snapshot,
  ctx: RequestContext = {},
  state: SelectionState = INITIAL_SELECTION_STATE,
): Selection | undefined {
  const { backends, failedOpen } = candidates(snapshot, ctx);
  const cursor = Number.isSafeInteger(state.cursor) && state.cursor >= 0 ? state.cursor % CURSOR_MODULUS : 0;
  const backend = backends[cursor % backends.length];
  if (backend === undefined) return undefined;
  return { backend, state: { cursor: (cursor + 1) % CURSOR_MODULUS, currentWeights: state.currentWeights }, failedOpen };
}
