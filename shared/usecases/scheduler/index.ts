/**
 * The scheduler function's service: the timer tick (lease, verdict, fenced DNS reconcile, audit) and
 * `GET /scheduler/status`, built once per process. The composition root (shared/composition/scheduler.ts) maps
 * config and adapters onto {@link SchedulerDeps}.
 */
import type { HttpHandlerFn, TimerHandlerFn } from '../../ports/http';
import { routeHttp } from '../http-router';
import { createSchedulerState, type SchedulerDeps, type SchedulerState } from './elect-and-reconcile';
import { runSchedulerTick } from './run-scheduler-tick';
import { getSchedulerStatus } from './status';

export { electAndReconcile, createSchedulerState } from './elect-and-reconcile';
export type { ReconcileDeps, ReconcileReport, ReconcileResult, SchedulerDeps, SchedulerState } from './elect-and-reconcile';
export { runSchedulerTick, parseSchedulerTick } from './run-scheduler-tick';
export type { SchedulerTickReport } from './run-scheduler-tick';
export { getSchedulerStatus } from './status';
export { readAudit, AuditLog } from './audit';
export type { AuditEvent, AuditKind, AuditRecord, ReadAuditOptions } from './audit';
export { ALERT_OUTBOX_PREFIX, alertOutboxKey, allDownDedupKey, writeAlert } from './alerts';
export type { AlertAction, AlertItem, AlertSeverity } from './alerts';
export { PLAN_KEY, VERDICT_KEY, parsePlanRecord, parseVerdictRecord } from './records';
export type { PlanRecord, VerdictRecord } from './records';
export { resolveSchedulerConfig } from './settings';
export type { ResolvedSchedulerConfig, SchedulerSettingsInput, SchedulerTarget, SchedulerTuning } from './settings';

export interface SchedulerService {
  readonly http: HttpHandlerFn;
  readonly tick: TimerHandlerFn;
  /** The per-process state (lease, audit writer), for tests and diagnostics. */
  readonly state: SchedulerState;
}

/** Builds the service. Validates the settings up front (throws `validation` naming the field). */
export function createSchedulerService(deps: SchedulerDeps): SchedulerService {
  const state = createSchedulerState(deps);
  return {
    state,
    http: routeHttp({
      'GET /scheduler/status': () =>
        getSchedulerStatus({ store: deps.store, clock: deps.clock, nodeId: deps.nodeId, storeTimeoutMs: state.config.storeTimeoutMs }),
    }),
    tick: async (payload, deadlineAt) => {
      await runSchedulerTick({ ...deps, state }, payload, deadlineAt);
    },
  };
}
