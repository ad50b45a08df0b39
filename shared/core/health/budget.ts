/**
 * Probe budget: how many probes one target receives per minute from the whole mesh. Pure.
 *
 * Every observer cloud sends at most one probe per target per sub-tick, never retries inside an interval,
 * and skips a target whose previous probe is still in flight, so the rate is bounded by the sub-tick rate.
 * At the defaults (5 s interval, 3 observer clouds) a backend gets 3 x 12 = 36 probes a minute; a peer cloud's
 * /health gets 2 x 12 = 24 (a cloud never probes itself).
 */

/** The documented ceiling at default settings. */
export const PROBE_BUDGET_PER_TARGET_PER_MINUTE = 36;

/** Upper bound on sub-ticks (hence probes of one target) one observer runs in any 60 s window. */
export function probesPerMinutePerObserver(probeIntervalSeconds: number): number {
  if (!(probeIntervalSeconds > 0) || !Number.isFinite(probeIntervalSeconds)) return Number.POSITIVE_INFINITY;
  return Math.ceil(60 / probeIntervalSeconds);
}

export interface ProbeBudget {
  readonly perObserverPerMinute: number;
  readonly perTargetPerMinute: number;
  readonly limit: number;
  readonly withinBudget: boolean;
}

/**
 * Probes per minute one target receives across the mesh.
 * `observers` is the number of clouds probing it: all clouds for a backend, all but one for a peer.
 */
export function probeBudget(settings: { readonly probeIntervalSeconds: number }, observers: number): ProbeBudget {
  const perObserverPerMinute = probesPerMinutePerObserver(settings.probeIntervalSeconds);
  const perTargetPerMinute = Math.max(0, observers) * perObserverPerMinute;
  return {
    perObserverPerMinute,
    perTargetPerMinute,
    limit: PROBE_BUDGET_PER_TARGET_PER_MINUTE,
    withinBudget: perTargetPerMinute <= PROBE_BUDGET_PER_TARGET_PER_MINUTE,
  };
}
