/**
 * `GET /scheduler/status`: who leads at which term, the last verdict and the last DNS plan, as the store holds
 * them (any instance answers the same; the HTTP function is usually not the process that runs the tick).
 * Always `no-store`. Store failures propagate (the runtime answers 503 without details).
 */
import type { HttpResult } from '../../core/errors';
import { parseLeaseRecord } from '../../core/lease';
import type { Clock } from '../../ports/clock';
import type { StateStore } from '../../ports/state-store';
import { withTimeout } from '../health/bounded';
import { DEFAULT_LEASE_KEY } from '../lease';
import { PLAN_KEY, VERDICT_KEY, parsePlanRecord, parseVerdictRecord } from './records';

export interface SchedulerStatusDeps {
  readonly store: StateStore;
  readonly clock: Clock;
  /** The instance answering. */
  readonly nodeId: string;
  readonly storeTimeoutMs: number;
  readonly leaseKey?: string;
}

const iso = (ms: number | null): string | null => (ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

export async function getSchedulerStatus(deps: SchedulerStatusDeps): Promise<HttpResult> {
  const read = (key: string) => withTimeout(deps.store.get(key), deps.storeTimeoutMs, deps.clock, `${key} read`);
  const [leaseEntry, verdictEntry, planEntry] = await Promise.all([read(deps.leaseKey ?? DEFAULT_LEASE_KEY), read(VERDICT_KEY), read(PLAN_KEY)]);
  const now = deps.clock.now();

  let leader = null;
  if (leaseEntry !== undefined) {
    try {
      const lease = parseLeaseRecord(leaseEntry.value);
      leader = { holder: lease.holder, term: lease.term, expiresAt: iso(lease.expiresAt), live: now < lease.expiresAt };
    } catch {
      leader = null;
    }
  }

  const verdict = verdictEntry === undefined ? undefined : parseVerdictRecord(verdictEntry.value);
  const planned = planEntry === undefined ? undefined : parsePlanRecord(planEntry.value);
  const body = {
    node: deps.nodeId,
    time: iso(now),
    leader,
    verdict:
      verdict === undefined
        ? null
        : {
            term: verdict.term,
            node: verdict.node,
            updatedAt: iso(verdict.updatedAt),
            weights: verdict.weights,
            allDown: verdict.allDown,
            alertOpen: verdict.alertOpen,
            targets: Object.fromEntries(
              Object.entries(verdict.state.targets).map(([id, s]) => [id, { phase: s.phase, since: iso(s.since), rampStage: s.rampStage, downSince: iso(s.downSince) }]),
            ),
            transitions: verdict.transitions.map((t) => ({ ...t, at: iso(t.at) })),
          },
    plan: planned === undefined ? null : { ...planned, at: iso(planned.at) },
  };
  return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body) };
}
