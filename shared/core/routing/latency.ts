/**
 * Latency-based selection: power of two choices over the latency EWMA. Two distinct candidates are drawn with
 * `ctx.rand`; the one with the lower `latencyEwmaMs` wins (unknown latency loses to any known one; ties go to
 * the earlier in snapshot order). Two random choices avoid the herd effect of always picking the single fastest
 * backend from a snapshot that is seconds old, while still steering load away from slow ones.
 *
 * Without `ctx.rand` the strategy is fully deterministic: it picks the lowest EWMA among all candidates.
 */
import { MeshgateError } from '../errors';
import { argmin, candidates, metric } from './candidates';
import {
  INITIAL_SELECTION_STATE,
  type Backend,
  type RequestContext,
  type Selection,
  type SelectionState,
  type Snapshot,
} from './types';

export function latencyP2c(
  snapshot: Snapshot,
  ctx: RequestContext = {},
  state: SelectionState = INITIAL_SELECTION_STATE,
): Selection | undefined {
  const { backends, failedOpen } = candidates(snapshot, ctx);
  const backend = ctx.rand === undefined ? fastest(backends) : twoChoices(backends, ctx.rand);
  return backend === undefined ? undefined : { backend, state, failedOpen };
}

function fastest(backends: readonly Backend[]): Backend | undefined {
  return backends[argmin(backends, (b) => metric(b.latencyEwmaMs))];
}

function twoChoices(backends: readonly Backend[], rand: () => number): Backend | undefined {
  const n = backends.length;
  if (n <= 1) return backends[0];
  const i = pickIndex(rand, n);
  let j = pickIndex(rand, n - 1);
  if (j >= i) j += 1;
  const lo = backends[Math.min(i, j)] as Backend;
  const hi = backends[Math.max(i, j)] as Backend;
  // The lower EWMA wins; unknown latency loses to any known one; a tie goes to the earlier in snapshot order.
  const a = metric(lo.latencyEwmaMs);
  const b = metric(hi.latencyEwmaMs);
  return b !== undefined && (a === undefined || b < a) ? hi : lo;
}

/** floor(rand() * n), clamped to [0, n) so a misbehaving source (1, NaN, negative) cannot index out of range. */
export function pickIndex(rand: () => number, n: number): number {
  const r = rand();
  if (!Number.isFinite(r) || r <= 0) return 0;
  return Math.min(n - 1, Math.floor(r * n));
}

/**
 * Exponentially weighted moving average: `alpha * sample + (1 - alpha) * prev`; the first sample (prev
 * undefined) is taken as is. `alpha` in (0, 1]: larger reacts faster. Throws `validation` on a bad alpha or a
 * negative / non-finite sample.
 */
export function updateEwma(prev: number | undefined, sample: number, alpha: number): number {
  if (!(alpha > 0 && alpha <= 1)) throw new MeshgateError('validation', `EWMA alpha must be in (0, 1], got ${alpha}`);
  if (!(Number.isFinite(sample) && sample >= 0)) {
    throw new MeshgateError('validation', `EWMA sample must be a finite non-negative number, got ${sample}`);
  }
  if (prev === undefined || !Number.isFinite(prev)) return sample;
  return alpha * sample + (1 - alpha) * prev;
}

/**
 * Alpha for an EWMA over irregularly spaced samples: `1 - exp(-elapsedMs / tauMs)`, so a sample after a long
 * silence counts more. `tauMs` is the time constant (about 63 % of the weight lies within the last tau).
 */
export function decayAlpha(elapsedMs: number, tauMs: number): number {
  if (!(tauMs > 0)) throw new MeshgateError('validation', `EWMA time constant must be positive, got ${tauMs}`);
  if (!(elapsedMs > 0)) return Number.MIN_VALUE;
  return Math.min(1, Math.max(Number.MIN_VALUE, -Math.expm1(-elapsedMs / tauMs)));
}
