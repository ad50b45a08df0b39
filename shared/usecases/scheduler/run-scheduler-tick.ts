/**
 * The scheduler timer tick. Platforms start it at most once a minute (EventBridge, Cloud Scheduler) or every 5 s
 * (Azure NCRONTAB), so one invocation runs {@link electAndReconcile} every interval (2.5 s; the lease is written
 * every 5 s) until its window closes: the earlier of the deadline minus a margin and the schedule period, so
 * consecutive invocations never overlap. A sub-tick starts only while `minSubTickMs` still fit. A follower whose
 * lease check says the lease may be free before the next step (the lease's expiry) tries again at that moment.
 *
 * The payload is checked with the health tick's rules (absent or an object; `scheduleSeconds` an integer in
 * [1, 3600]; `isPastDue` a boolean; the deadline a finite time in the future): a malformed one throws
 * `validation` before anything is written. Everything else is logged and reported, never thrown, so the
 * platform doesn't retry a tick (the next one is due anyway).
 */
import { MeshgateError, asMeshgateError, isMeshgateError } from '../../core/errors';
import { planSubTicks } from '../../core/health/schedule';
import { assertDeadline, parseTickPayload, type TickRequest } from '../../core/health/tick-payload';
import type { Logger } from '../../ports/logger';
import { sleepUntil, withTimeout } from '../health/bounded';
import { electAndReconcile, type ReconcileDeps, type ReconcileReport } from './elect-and-reconcile';

export interface SchedulerTickReport {
  startedAt: number;
  finishedAt: number;
  isPastDue: boolean;
  /** Steps run (one per sub-tick, plus a follower's retries at the lease's expiry). */
  subTicks: number;
  /** Sub-ticks in which this node led. */
  led: number;
  /** Sub-ticks that applied a DNS change. */
  applied: number;
  fencedOut: number;
  failed: number;
  dnsCalls: number;
  /** True when this node led at the end and renewed its lease to span the gap to the next invocation. */
  leaseCarried: boolean;
  /** The last sub-tick's report. */
  last: ReconcileReport | null;
}

function tally(report: SchedulerTickReport, step: ReconcileReport): void {
  report.last = step;
  report.dnsCalls += step.dnsCalls;
  if (step.leader) report.led += 1;
  if (step.result === 'applied') report.applied += 1;
  if (step.result === 'fenced-out') report.fencedOut += 1;
  if (step.result === 'failed') report.failed += 1;
}

/** Checks the payload and deadline; errors name the scheduler tick. */
export function parseSchedulerTick(payload: unknown, deadlineAt: unknown, nowMs: number): TickRequest {
  try {
    const request = parseTickPayload(payload);
    assertDeadline(deadlineAt, nowMs);
    return request;
  } catch (err) {
    if (isMeshgateError(err) && err.code === 'validation') {
      throw new MeshgateError('validation', err.message.replace(/^health tick/, 'scheduler tick'), { cause: err });
    }
    throw err;
  }
}

/**
 * A leader's last act in an invocation: renew the lease as late as the window allows, when its regular renewal
 * falls due before the next invocation can make it. Renewals are otherwise due every `renewEveryMs`, so the last one
 * may come up to that long before the invocation ends, and the lease would have to outlast that plus the pause
 * until the next invocation (about 6 s on Cloud Functions, whose 55 s budget ends before the next minute): the
 * lease would lapse and leadership would move every few minutes. With short schedules (Azure's 5 s timer) the next
 * invocation renews in time and nothing extra is written.
 */
async function carryLease(deps: ReconcileDeps, windowEndAt: number, nextInvocationAt: number, logger: Logger): Promise<boolean> {
  const { clock } = deps;
  const { lease, config } = deps.state;
  const renewDueAt = lease.renewDueAt(clock.now());
  if (renewDueAt === undefined || renewDueAt >= nextInvocationAt) return false;
  await sleepUntil(clock, windowEndAt - config.storeTimeoutMs);
  if (!lease.isLeader(clock.now())) return false;
  try {
    const status = await withTimeout(lease.tick({ renewNow: true }), config.storeTimeoutMs, clock, 'lease renewal before the next invocation');
    return status.leader;
  } catch (err) {
    logger.warn({ event: 'scheduler.lease_carry_failed', code: asMeshgateError(err).code }, 'scheduler: could not renew the lease before the invocation ended');
    return false;
  }
}

export async function runSchedulerTick(deps: ReconcileDeps, payload: unknown, deadlineAt: number): Promise<SchedulerTickReport> {
  const { clock } = deps;
  const cfg = deps.state.config;
  const startedAt = clock.now();
  const request = parseSchedulerTick(payload, deadlineAt, startedAt);
  const logger = deps.logger.child({ usecase: 'scheduler-tick', nodeId: deps.nodeId });
  const report: SchedulerTickReport = {
    startedAt,
    finishedAt: startedAt,
    isPastDue: request.isPastDue,
    subTicks: 0,
    led: 0,
    applied: 0,
    fencedOut: 0,
    failed: 0,
    dnsCalls: 0,
    leaseCarried: false,
    last: null,
  };
  const scheduleMs = request.scheduleSeconds === undefined ? cfg.scheduleMs : request.scheduleSeconds * 1000;
  const subTicks = planSubTicks({
    startAt: startedAt,
    deadlineAt,
    intervalMs: cfg.intervalMs,
    scheduleMs,
    deadlineMarginMs: cfg.deadlineMarginMs,
    probeTimeoutMs: cfg.minSubTickMs,
  });
  const step = async (endAt: number): Promise<ReconcileReport | undefined> => {
    report.subTicks += 1;
    try {
      const result = await electAndReconcile(deps, clock.now(), { deadlineAt: endAt });
      tally(report, result);
      return result;
    } catch (err) {
      const error = asMeshgateError(err);
      report.failed += 1;
      logger.error({ event: 'scheduler.step_failed', code: error.code, error: error.message }, 'scheduler: step failed');
      return undefined;
    }
  };
  for (const sub of subTicks) {
    await sleepUntil(clock, sub.at);
    if (sub.endAt - clock.now() < Math.min(cfg.minSubTickMs, sub.endAt - sub.at)) continue; // the previous step overran
    let result = await step(sub.endAt);
    // A follower tries again the moment the leader's lease may have expired, not a whole interval later: after a
    // leader dies, that is what bounds the takeover time.
    while (result && result.nextAttemptAt !== null && result.nextAttemptAt > clock.now() && sub.endAt - result.nextAttemptAt >= cfg.minSubTickMs) {
      await sleepUntil(clock, result.nextAttemptAt);
      result = await step(sub.endAt);
    }
  }
  const windowEndAt = subTicks.at(-1)?.endAt;
  if (windowEndAt !== undefined) report.leaseCarried = await carryLease(deps, windowEndAt, startedAt + scheduleMs, logger);
  report.finishedAt = clock.now();
  const { last: _last, ...summary } = report;
  logger.info({ event: 'scheduler.tick', ...summary, term: report.last?.term ?? null, holder: report.last?.holder ?? null }, 'scheduler: tick finished');
  return report;
}
