/**
 * Probe scheduling inside one timer invocation. Pure: times come in as numbers, randomness as a function.
 *
 * Platforms start the tick function at most once a minute (EventBridge, Cloud Scheduler), so one invocation
 * runs a sub-tick every probe interval until its window closes. The window ends at the earlier of the
 * invocation deadline minus a margin and the start plus the schedule period, so consecutive invocations
 * never overlap and the probe rate stays one per target per interval.
 */

export interface SubTick {
  /** Epoch ms the sub-tick starts (heartbeat write, then probes). */
  readonly at: number;
  /** Epoch ms by which every probe of this sub-tick has to be finished (start of the next one at the latest). */
  readonly endAt: number;
}

export interface SubTickWindow {
  readonly startAt: number;
  readonly deadlineAt: number;
  readonly intervalMs: number;
  readonly scheduleMs: number;
  readonly deadlineMarginMs: number;
  readonly probeTimeoutMs: number;
}

/** End of the window in which an invocation may probe. */
export function windowEnd(w: SubTickWindow): number {
  return Math.min(w.deadlineAt - w.deadlineMarginMs, w.startAt + w.scheduleMs);
}

/**
 * Sub-ticks at `startAt + k * interval`, kept while a full probe timeout still fits before the window ends.
 * At the defaults (60 s schedule, 5 s interval, 2 s timeout, deadline >= start + 60 s) that is 12 sub-ticks.
 */
export function planSubTicks(w: SubTickWindow): SubTick[] {
  const end = windowEnd(w);
  const ticks: SubTick[] = [];
  if (!(w.intervalMs > 0)) return ticks;
  for (let at = w.startAt; at + w.probeTimeoutMs <= end && at < w.startAt + w.scheduleMs; at += w.intervalMs) {
    ticks.push({ at, endAt: Math.min(at + w.intervalMs, end) });
  }
  return ticks;
}

/** Share of the interval over which one sub-tick's probes are spread. */
export const JITTER_FRACTION = 0.5;

/** Jitter window of a sub-tick: half the interval, shrunk so a probe that starts last still ends in time. */
export function jitterWindowMs(tick: SubTick, intervalMs: number, probeTimeoutMs: number): number {
  return Math.max(0, Math.min(Math.floor(intervalMs * JITTER_FRACTION), tick.endAt - tick.at - probeTimeoutMs));
}

export interface ProbeCandidate {
  readonly id: string;
  /** True when this observer's last probe of the target failed. */
  readonly failing: boolean;
}

export interface PlannedProbe {
  readonly targetId: string;
  /** Epoch ms at which the probe may start (after waiting for a concurrency slot). */
  readonly startAt: number;
  /** Hard end: a probe not started by `endAt - minimum` is skipped, and its timeout never passes `endAt`. */
  readonly endAt: number;
  readonly timeoutMs: number;
}

export interface ProbePlan {
  /** Ordered by start time (the order in which they queue for concurrency slots). */
  readonly probes: readonly PlannedProbe[];
  /** Targets whose previous probe from this observer is still in flight: not probed again (single-flight). */
  readonly skippedInFlight: readonly string[];
}

const unit = (random: () => number): number => {
  const r = random();
  return Number.isFinite(r) ? Math.min(Math.max(r, 0), 0.999_999) : 0;
};

/**
 * Plans one sub-tick: one probe per target, none for targets still in flight, start times jittered over
 * the jitter window (deterministic for a given `random`). Failing targets are placed in the second half of
 * the window, after healthy ones, so their (often timing-out) probes queue for concurrency slots last.
 * There are no retries: a failed probe is an observation, and the target is probed again next interval.
 */
export function planProbes(input: {
  readonly tick: SubTick;
  readonly targets: readonly ProbeCandidate[];
  readonly inFlight: ReadonlySet<string>;
  readonly intervalMs: number;
  readonly probeTimeoutMs: number;
  readonly random: () => number;
}): ProbePlan {
  const { tick } = input;
  const window = jitterWindowMs(tick, input.intervalMs, input.probeTimeoutMs);
  const half = Math.floor(window / 2);
  const probes: PlannedProbe[] = [];
  const skippedInFlight: string[] = [];
  const seen = new Set<string>();
  for (const target of input.targets) {
    if (seen.has(target.id)) continue;
    seen.add(target.id);
    if (input.inFlight.has(target.id)) {
      skippedInFlight.push(target.id);
      continue;
    }
    const r = unit(input.random);
    const offset = target.failing ? window - half + Math.floor(r * half) : Math.floor(r * window);
    const startAt = tick.at + offset;
    probes.push({
      targetId: target.id,
      startAt,
      endAt: tick.endAt,
      timeoutMs: Math.max(0, Math.min(input.probeTimeoutMs, tick.endAt - startAt)),
    });
  }
  probes.sort((a, b) => a.startAt - b.startAt || (a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : 0));
  return { probes, skippedInFlight };
}
