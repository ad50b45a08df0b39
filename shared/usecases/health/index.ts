/**
 * The health function's service: `GET /health` and the timer tick, built once per process.
 * The composition root (shared/composition/health.ts) maps config and adapters onto these deps.
 */
import { probeBudget } from '../../core/health/budget';
import { resolveHealthConfig, type HealthConfig } from '../../core/health/settings';
import type { Clock } from '../../ports/clock';
import type { HttpHandlerFn, TimerHandlerFn } from '../../ports/http';
import type { Logger } from '../../ports/logger';
import type { ProbeClient } from '../../ports/probe';
import type { StateStore } from '../../ports/state-store';
import { routeHttp } from '../http-router';
import { getHealth, type HealthIdentity } from './get-health';
import { createHealthTickState, probeTargets, runHealthTick, type BackendEndpoint, type PeerEndpoint } from './run-health-tick';

export { getHealth } from './get-health';
export type { GetHealthDeps, HealthBody, HealthIdentity } from './get-health';
export { createHealthTickState, probeTargets, runHealthTick } from './run-health-tick';
export type { BackendEndpoint, HealthTickDeps, HealthTickReport, HealthTickState, PeerEndpoint } from './run-health-tick';
export { readHeartbeats, readObservations } from './observations';
export type { Freshness, HeartbeatView, ObservationView } from './observations';

export interface HealthServiceDeps extends HealthIdentity {
  readonly store: StateStore;
  readonly probes: ProbeClient;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The `health:` config block, optionally with tuning (schedule period, margins). */
  readonly settings: HealthConfig;
  /** Every cloud's function-set base URL; this cloud's own entry is ignored. */
  readonly peers: readonly PeerEndpoint[];
  readonly backends: readonly BackendEndpoint[];
  readonly random?: () => number;
}

export interface HealthService {
  readonly http: HttpHandlerFn;
  readonly tick: TimerHandlerFn;
}

/**
 * Builds the service. Validates settings up front (throws `validation` naming `health.<field>`) and logs a
 * warning when the settings exceed the documented probe budget.
 */
export function createHealthService(deps: HealthServiceDeps): HealthService {
  const cfg = resolveHealthConfig(deps.settings);
  const state = createHealthTickState(cfg.probeConcurrency);
  const logger = deps.logger.child({ usecase: 'health', cloud: deps.cloud, nodeId: deps.nodeId });

  const observers = 1 + new Set(deps.peers.map((p) => p.cloud).filter((c) => c !== deps.cloud)).size;
  const budget = probeBudget(cfg, observers);
  if (!budget.withinBudget) {
    logger.warn({ event: 'health.probe_budget_exceeded', ...budget, observers }, 'health: settings exceed the probe budget per target');
  }
  logger.debug({ event: 'health.targets', targets: probeTargets(deps.cloud, deps.peers, deps.backends).map((t) => t.id) }, 'health: probe targets');

  return {
    http: routeHttp({
      'GET /health': () =>
        getHealth({ ...deps, logger, heartbeatTtlMs: cfg.ttlMs, storeTimeoutMs: cfg.storeTimeoutMs }),
    }),
    tick: async (payload, deadlineAt) => {
      await runHealthTick({ ...deps, logger, state }, payload, deadlineAt);
    },
  };
}
