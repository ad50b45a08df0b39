/**
 * Health settings: the `health:` block of meshgate.yaml as the use cases see it, plus tuning knobs that
 * have safe defaults. Declared here (not imported from shared/config) so core and use cases stay independent
 * of the config loader. Pure.
 */
import { MeshgateError } from '../errors';

export interface HealthSettings {
  /** Seconds between two sub-ticks (heartbeat + one probe per target). Default 5. */
  readonly probeIntervalSeconds: number;
  /** Per-probe timeout. Must leave room inside the interval. Default 2000. */
  readonly probeTimeoutMs: number;
  /** Probes in flight at once from this observer (per process). Default 8. */
  readonly probeConcurrency: number;
  /** Consecutive failures seen by an observer before it counts a target as down (verdict input). Default 2. */
  readonly failureThreshold: number;
  /** Consecutive successes before an observer counts a target as recovered (verdict input). Default 3. */
  readonly recoveryThreshold: number;
  /** Hold-down before weight returns after recovery (verdict input). Default 60. */
  readonly holdDownSeconds: number;
  /**
   * Heartbeats and observations older than this are treated as absent. Must cover the gap between two
   * invocations (one interval plus the platform's scheduling delay). Default 30.
   */
  readonly heartbeatTtlSeconds: number;
  /** Samples kept per observer/target record. Default 20. */
  readonly observationsKept: number;
  /**
   * After a target's first failed probe, probe it again this soon (within the same sub-tick, when a probe still
   * fits) instead of a whole interval later, as HAProxy's `fastinter` does: a dead target reaches the failure
   * threshold about one interval sooner. 0 = off. Default 1000 (a fifth of the interval when that is shorter).
   */
  readonly recheckAfterFailureMs?: number;
}

/** Knobs the composition root may set per cloud; all optional. */
export interface HealthTuning {
  /**
   * Period of the platform schedule that starts the tick function (EventBridge / Cloud Scheduler: 60,
   * Azure NCRONTAB `*\/5 * * * * *`: 5). One invocation runs sub-ticks for at most this long so two
   * invocations never overlap. A tick payload may override it with `scheduleSeconds`. Default 60.
   */
  readonly scheduleSeconds?: number;
  /** Time kept free before the invocation deadline for the last writes. Default 1000. */
  readonly deadlineMarginMs?: number;
  /** Bound on one store call (the /health read, heartbeat and observation writes). Default min(1000, probeTimeoutMs / 2). */
  readonly storeTimeoutMs?: number;
}

export type HealthConfig = HealthSettings & HealthTuning;

export const DEFAULT_HEALTH_SETTINGS: Readonly<HealthSettings> = Object.freeze({
  probeIntervalSeconds: 5,
  probeTimeoutMs: 2000,
  probeConcurrency: 8,
  failureThreshold: 2,
  recoveryThreshold: 3,
  holdDownSeconds: 60,
  heartbeatTtlSeconds: 30,
  observationsKept: 20,
});

export const DEFAULT_SCHEDULE_SECONDS = 60;
export const DEFAULT_DEADLINE_MARGIN_MS = 1000;
export const MAX_OBSERVATIONS_KEPT = 100;

/** Fully resolved settings, tuning defaults applied, all durations in ms. */
export interface ResolvedHealthConfig extends HealthSettings {
  readonly recheckAfterFailureMs: number;
  readonly intervalMs: number;
  readonly scheduleMs: number;
  readonly deadlineMarginMs: number;
  readonly storeTimeoutMs: number;
  readonly ttlMs: number;
}

function requireInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new MeshgateError('validation', `health.${name}: expected an integer in [${min}, ${max}], got ${String(value)}`, {
      details: { path: `health.${name}` },
    });
  }
  return value;
}

/** Validates settings and applies tuning defaults. Throws `validation` naming the offending field. */
export function resolveHealthConfig(config: HealthConfig): ResolvedHealthConfig {
  const probeIntervalSeconds = requireInt('probeIntervalSeconds', config.probeIntervalSeconds, 1, 3600);
  const intervalMs = probeIntervalSeconds * 1000;
  const probeTimeoutMs = requireInt('probeTimeoutMs', config.probeTimeoutMs, 1, 60_000);
  if (probeTimeoutMs >= intervalMs) {
    throw new MeshgateError('validation', `health.probeTimeoutMs: must be shorter than the probe interval (${intervalMs} ms)`, {
      details: { path: 'health.probeTimeoutMs' },
    });
  }
  const scheduleSeconds = requireInt('scheduleSeconds', config.scheduleSeconds ?? DEFAULT_SCHEDULE_SECONDS, 1, 3600);
  const heartbeatTtlSeconds = requireInt('heartbeatTtlSeconds', config.heartbeatTtlSeconds, 1, 86_400);
  const storeTimeoutMs = requireInt(
    'storeTimeoutMs',
    config.storeTimeoutMs ?? Math.max(1, Math.min(1000, Math.floor(probeTimeoutMs / 2))),
    1,
    60_000,
  );
  return {
    probeIntervalSeconds,
    probeTimeoutMs,
    probeConcurrency: requireInt('probeConcurrency', config.probeConcurrency, 1, 1000),
    failureThreshold: requireInt('failureThreshold', config.failureThreshold, 1, 1000),
    recoveryThreshold: requireInt('recoveryThreshold', config.recoveryThreshold, 1, 1000),
    holdDownSeconds: requireInt('holdDownSeconds', config.holdDownSeconds, 0, 86_400),
    heartbeatTtlSeconds,
    observationsKept: requireInt('observationsKept', config.observationsKept, 1, MAX_OBSERVATIONS_KEPT),
    recheckAfterFailureMs: requireInt('recheckAfterFailureMs', config.recheckAfterFailureMs ?? Math.min(1000, Math.floor(intervalMs / 5)), 0, intervalMs - 1),
    intervalMs,
    scheduleMs: scheduleSeconds * 1000,
    deadlineMarginMs: requireInt('deadlineMarginMs', config.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS, 0, 60_000),
    storeTimeoutMs,
    ttlMs: heartbeatTtlSeconds * 1000,
  };
}
