/**
 * One scheduler step: every instance tries or renews the lease; only the leader reconciles DNS.
 *
 * The leader, while it may act (`LeaderLease`: it holds the lease on a majority of the stores and is inside the
 * safe window `actUntil` of shared/core/lease.ts):
 * 1. reads every observer's summaries (`observation/cloud:<cloud>/<observer>`) and the verdict state it left in
 *    `scheduler/verdict`, and runs `decideVerdict()` (quorum of observers, hold-down, slow start, fail open);
 * 2. writes an alert outbox item when every target looks down (and a resolve when that ends);
 * 3. stores the new verdict state with compare-and-set (a record written under a newer term means this node
 *    was deposed: it stops);
 * 4. builds one weighted record per target, canonicalises it for the provider, plans it against the zone's
 *    current records and applies the change set with the lease term as the fence
 *    `{expectedTerm: zone's term, term: lease term}`. The first reconcile of a new term applies even an empty
 *    plan, so the zone records the new term at once and a deposed leader's late batch is rejected.
 *
 * Outcomes of `apply`: `failure/conflict` → re-read the zone's term: newer than ours means fenced out (stop,
 * log, audit, step down); otherwise a record drifted since it was read: re-plan (bounded). `retryable` → back
 * off (the provider's hint, else exponential with jitter) if the wait still ends inside the invocation's
 * window and the lease's safe window. DNS calls per step: one `records()` read, `currentTerm()` once per term,
 * `apply` only when there is something to change.
 *
 * Every decision is written to the audit log. Store and DNS trouble is logged and reported, never thrown.
 */
import { asMeshgateError, MeshgateError, type ErrorCode } from '../../core/errors';
import { isEmptyChangeSet, plan, type ChangeSet, type DnsRecord, type Fence } from '../../core/dns-plan';
import { peerTargetId } from '../../core/health/keys';
import { failingSince } from '../../core/health/observation';
import type { Outcome } from '../../core/outcome';
import { decideVerdict, type ObservationSummary, type VerdictResult } from '../../core/verdict';
import type { Clock } from '../../ports/clock';
import type { AppliedChange, DnsProvider } from '../../ports/dns-provider';
import type { Logger } from '../../ports/logger';
import type { StateStore } from '../../ports/state-store';
import { withTimeout } from '../health/bounded';
import { readObservations } from '../health/observations';
import { LeaderLease, type LeadershipStatus } from '../lease';
import { allDownDedupKey, writeAlert } from './alerts';
import { AuditLog, type AuditEvent } from './audit';
import {
  PLAN_KEY,
  TRANSITIONS_KEPT,
  VERDICT_KEY,
  describeChanges,
  parseVerdictRecord,
  planRecordToJson,
  verdictChanged,
  verdictRecordToJson,
  type PlanOutcome,
  type VerdictRecord,
} from './records';
import { resolveSchedulerConfig, type ResolvedSchedulerConfig, type SchedulerSettingsInput } from './settings';

export interface SchedulerDeps extends SchedulerSettingsInput {
  /** This scheduler instance; unique per running process (it is the lease holder id). */
  readonly nodeId: string;
  readonly store: StateStore;
  readonly dnsProvider: DnsProvider;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Uniform [0, 1) source for backoff jitter. Default Math.random. */
  readonly random?: () => number;
}

/** Per-process state that outlives one step (warm function instances). Build it once with {@link createSchedulerState}. */
export interface SchedulerState {
  readonly config: ResolvedSchedulerConfig;
  readonly lease: LeaderLease;
  readonly audit: AuditLog;
  /** Leadership as of the previous step, to audit changes. */
  last: { readonly leader: boolean; readonly term?: number; readonly holder?: string } | undefined;
  /** Term the zone is known to hold, learnt while leading `forTerm` (read once per term, then kept after applies). */
  zone: { readonly forTerm: number; readonly term: number } | undefined;
  /** Highest lease term at which this node was fenced out; it never acts at that term or below again. */
  fencedOutTerm: number;
}

export type ReconcileDeps = SchedulerDeps & { readonly state: SchedulerState };

/** Validates the settings (throws `validation`) and builds the per-process state. */
export function createSchedulerState(deps: SchedulerDeps): SchedulerState {
  const config = resolveSchedulerConfig(deps);
  const logger = deps.logger.child({ usecase: 'scheduler', nodeId: deps.nodeId });
  return {
    config,
    lease: new LeaderLease({ store: deps.store, clock: deps.clock, nodeId: deps.nodeId, config: config.lease }),
    audit: new AuditLog(deps.store, deps.nodeId, logger, config.auditTtlMs),
    last: undefined,
    zone: undefined,
    fencedOutTerm: 0,
  };
}

export type ReconcileResult =
  /** Not the leader. */
  | 'follower'
  /** Leader; the zone already held the desired records and this term. */
  | 'in-sync'
  /** Leader; a change set (or the new term alone) was applied. */
  | 'applied'
  /** A newer term exists (zone fence or stored verdict): this node stopped acting. */
  | 'fenced-out'
  /** Leader at the start, but its safe window closed before it could act. */
  | 'lapsed'
  /** Another leader wrote the verdict in between; nothing applied this step. */
  | 'superseded'
  /** Store or DNS trouble, or a rejected change set; see the logs and the audit log. */
  | 'failed';

export interface ReconcileReport {
  at: number;
  node: string;
  leader: boolean;
  /** Lease term held (leader) or seen (follower). */
  term: number | null;
  holder: string | null;
  result: ReconcileResult;
  weights: Readonly<Record<string, number>> | null;
  allDown: boolean | null;
  /** Weight would have been taken away, but the failure looked shared (see `VerdictResult.heldReason`): weights kept. */
  held: boolean | null;
  transitions: number;
  /** Provider-level changes sent in the successful apply (fence included); 0 when nothing was applied. */
  changeCount: number;
  dnsCalls: number;
  applyAttempts: number;
  /** Code of the last error, when the step failed. */
  error: ErrorCode | null;
  /** Follower: when the lease may be free (its expiry, or a retry after a store error); null otherwise. */
  nextAttemptAt: number | null;
}

/**
 * One step at `now` (the evaluation time; the lease reads the clock itself). `deadlineAt` bounds the step:
 * store and DNS calls, and any backoff, end by then. Default: `now` + the interval.
 */
export async function electAndReconcile(deps: ReconcileDeps, now: number, options: { readonly deadlineAt?: number } = {}): Promise<ReconcileReport> {
  const step = new Step(deps, now, options.deadlineAt ?? now + deps.state.config.intervalMs);
  return step.run();
}

class Step {
  private readonly cfg: ResolvedSchedulerConfig;
  private readonly state: SchedulerState;
  private readonly logger: Logger;
  private readonly report: ReconcileReport;
  private term = 0;

  constructor(
    private readonly deps: ReconcileDeps,
    private readonly now: number,
    private readonly deadlineAt: number,
  ) {
    this.cfg = deps.state.config;
    this.state = deps.state;
    this.logger = deps.logger.child({ usecase: 'scheduler', nodeId: deps.nodeId });
    this.report = {
      at: now,
      node: deps.nodeId,
      leader: false,
      term: null,
      holder: null,
      result: 'follower',
      weights: null,
      allDown: null,
      held: null,
      transitions: 0,
      changeCount: 0,
      dnsCalls: 0,
      applyAttempts: 0,
      error: null,
      nextAttemptAt: null,
    };
  }

  async run(): Promise<ReconcileReport> {
    let status: LeadershipStatus;
    try {
      status = await this.bound(this.state.lease.tick(), 'lease tick', 2 * this.cfg.storeTimeoutMs);
    } catch (err) {
      // The store didn't answer in time. A lease write still in flight may land later (LeaderLease then keeps a
      // conservative bound); leadership is unknown, so this step neither acts nor audits a change.
      const error = asMeshgateError(err, 'timeout');
      this.report.result = 'failed';
      this.report.error = error.code;
      this.report.leader = this.state.lease.isLeader(this.deps.clock.now());
      this.logger.warn({ event: 'scheduler.lease_tick_failed', code: error.code }, 'scheduler: lease tick did not finish');
      return this.report;
    }
    await this.auditLease(status);
    this.report.leader = status.leader;
    this.report.term = status.term ?? null;
    this.report.holder = status.leader ? this.deps.nodeId : (status.holder ?? null);
    if (!status.leader) {
      this.report.nextAttemptAt = status.nextTickAt;
      return this.report;
    }
    this.term = status.term;
    if (this.term <= this.state.fencedOutTerm) {
      this.report.result = 'fenced-out';
      return this.report;
    }
    try {
      await this.reconcile();
    } catch (err) {
      const error = asMeshgateError(err);
      this.report.result = 'failed';
      this.report.error = error.code;
      this.logger.warn({ event: 'scheduler.reconcile_failed', term: this.term, code: error.code, error: error.message }, 'scheduler: reconcile failed');
    }
    this.logger.debug({ event: 'scheduler.step', ...this.report }, 'scheduler: step');
    return this.report;
  }

  // ---- lease ----

  private async auditLease(status: LeadershipStatus): Promise<void> {
    const prev = this.state.last;
    this.state.last = status.leader ? { leader: true, term: status.term } : { leader: false, ...(status.term === undefined ? {} : { term: status.term }), ...(status.holder === undefined ? {} : { holder: status.holder }) };
    if (status.leader && !prev?.leader) {
      this.logger.info({ event: 'scheduler.lease_acquired', term: status.term }, 'scheduler: leader');
      await this.audit({ kind: 'lease.acquired', term: status.term, summary: `${this.deps.nodeId} leads at term ${status.term}`, details: { actUntil: status.actUntil } });
    } else if (status.leader && prev?.leader && prev.term !== status.term) {
      this.logger.info({ event: 'scheduler.lease_term', term: status.term, previousTerm: prev.term ?? null }, 'scheduler: new term');
      await this.audit({ kind: 'lease.term', term: status.term, summary: `${this.deps.nodeId} leads again at term ${status.term} (was ${prev.term})`, details: { previousTerm: prev.term ?? null } });
    } else if (!status.leader && prev?.leader) {
      const details = { holder: status.holder ?? null, holderTerm: status.term ?? null, reason: status.error?.code ?? (status.holder ? 'taken over' : 'lapsed') };
      this.logger.warn({ event: 'scheduler.lease_lost', term: prev.term ?? null, ...details }, 'scheduler: no longer leader');
      await this.audit({ kind: 'lease.lost', term: prev.term ?? null, summary: `${this.deps.nodeId} lost the lease of term ${prev.term}${status.holder ? ` to ${status.holder}` : ''}`, details });
    }
  }

  private mayAct(): boolean {
    return this.state.lease.isLeader(this.deps.clock.now()) && this.state.lease.term(this.deps.clock.now()) === this.term;
  }

  // ---- reconcile ----

  private async reconcile(): Promise<void> {
    const { deps, cfg } = this;
    const [entry, views] = await Promise.all([
      this.bound(deps.store.get(VERDICT_KEY), 'verdict read', cfg.storeTimeoutMs),
      this.bound(readObservations(deps.store, undefined, { nowMs: this.now, ttlMs: cfg.verdict.staleAfterMs }), 'observation read', cfg.storeTimeoutMs),
    ]);
    const stored = entry === undefined ? undefined : parseVerdictRecord(entry.value);
    if (entry !== undefined && stored === undefined) {
      this.logger.warn({ event: 'scheduler.verdict_malformed', key: VERDICT_KEY }, 'scheduler: stored verdict is malformed; starting over');
    }
    if (stored !== undefined && stored.term > this.term) {
      await this.fencedOut(stored.term, `the verdict was written under term ${stored.term}`);
      return;
    }

    const byCloud = new Map(cfg.targets.map((t) => [peerTargetId(t.cloud), t.id] as const));
    const observations: ObservationSummary[] = [];
    for (const v of views) {
      const id = byCloud.get(v.target);
      if (id === undefined) continue;
      observations.push({
        observer: v.observer,
        target: id,
        consecutiveFailures: v.summary.consecutiveFailures,
        consecutiveSuccesses: v.summary.consecutiveSuccesses,
        lastAt: v.updatedAt,
        failingSince: failingSince(v),
      });
    }
    const result = decideVerdict(
      { now: this.now, targets: cfg.targets.map((t) => ({ id: t.id, weight: t.weight })), observations, ...(stored ? { previous: stored.state } : {}) },
      cfg.verdict,
    );
    this.report.weights = result.weights;
    this.report.allDown = result.allDown;
    this.report.held = result.held;
    this.report.transitions = result.transitions.length;
    for (const t of result.transitions) {
      const votes = result.targets.find((x) => x.id === t.target)?.votes;
      const heldNote = result.heldReason === null ? '' : `; weights kept: ${result.heldReason}`;
      this.logger.info({ event: 'scheduler.transition', term: this.term, held: result.held, ...t }, `scheduler: ${t.target} ${t.from} -> ${t.to}${heldNote}`);
      await this.audit({
        kind: 'verdict.transition',
        term: this.term,
        summary: `${t.target}: ${t.from} -> ${t.to}${t.rampStage === null ? '' : ` (ramp stage ${t.rampStage})`}: ${t.reason}${heldNote}`,
        details: { target: t.target, from: t.from, to: t.to, rampStage: t.rampStage, reason: t.reason, weight: result.weights[t.target] ?? 0, held: result.held, heldReason: result.heldReason, ...(votes ? { votes: { ...votes } } : {}) },
      });
    }

    const alertOpen = await this.alert(result, stored?.alertOpen ?? false);
    const next: VerdictRecord = {
      term: this.term,
      node: deps.nodeId,
      updatedAt: this.now,
      state: result.state,
      weights: result.weights,
      allDown: result.allDown,
      alertOpen,
      transitions: [...[...result.transitions].reverse(), ...(stored?.transitions ?? [])].slice(0, TRANSITIONS_KEPT),
    };
    if (stored === undefined || stored.term !== this.term || verdictChanged(stored, next)) {
      try {
        await this.bound(deps.store.put(VERDICT_KEY, verdictRecordToJson(next), { expectedVersion: entry?.version ?? null }), 'verdict write', cfg.storeTimeoutMs);
      } catch (err) {
        const error = asMeshgateError(err);
        if (error.code !== 'conflict') throw error;
        this.logger.info({ event: 'scheduler.verdict_superseded', term: this.term }, 'scheduler: another leader wrote the verdict; not acting this step');
        this.report.result = 'superseded';
        return;
      }
    }
    await this.applyWeights(result.weights);
  }

  /** Writes the all-down trigger or its resolve when the state changes; returns whether the alert is open. */
  private async alert(result: VerdictResult, open: boolean): Promise<boolean> {
    if (result.allDown === open) return open;
    const action = result.allDown ? 'trigger' : 'resolve';
    const summary = result.allDown
      ? `every target of ${this.cfg.record} looks down; DNS keeps the last known good weights (fail open)`
      : `targets of ${this.cfg.record} are serving again`;
    try {
      const key = await this.bound(
        writeAlert(this.deps.store, { dedupKey: allDownDedupKey(this.cfg.record), action, summary, severity: result.allDown ? 'critical' : 'info', at: this.now, source: this.deps.nodeId }),
        'alert write',
        this.cfg.storeTimeoutMs,
      );
      this.logger[result.allDown ? 'error' : 'info']({ event: 'scheduler.alert', action, key, weights: result.weights }, `scheduler: ${summary}`);
      await this.audit({ kind: 'alert', term: this.term, summary, details: { action, key, weights: { ...result.weights } } });
      return result.allDown;
    } catch (err) {
      // Not recorded as sent: the next step tries again.
      this.logger.warn({ event: 'scheduler.alert_failed', action, code: asMeshgateError(err).code }, 'scheduler: alert outbox write failed');
      return open;
    }
  }

  // ---- DNS ----

  private desired(weights: Readonly<Record<string, number>>): DnsRecord[] {
    const { cfg } = this;
    return this.deps.dnsProvider.canonicalize(
      cfg.targets.map((t) => ({ fqdn: cfg.record, type: t.type, setId: t.cloud, weight: weights[t.id] ?? 0, ttl: cfg.ttl, values: t.values })),
    );
  }

  private async applyWeights(weights: Readonly<Record<string, number>>): Promise<void> {
    const { deps, cfg, state } = this;
    const provider = deps.dnsProvider;
    const desired = this.desired(weights);
    let zoneTerm: number;
    if (state.zone?.forTerm === this.term) zoneTerm = state.zone.term;
    else {
      const read = await this.dnsCall(() => provider.currentTerm(), 'currentTerm');
      if (read === undefined) return;
      zoneTerm = read;
      state.zone = { forTerm: this.term, term: zoneTerm };
    }
    if (zoneTerm > this.term) return this.fencedOut(zoneTerm, `the zone holds term ${zoneTerm}`);

    let lastPlanned = '';
    for (let attempt = 1; attempt <= cfg.maxApplyAttempts; attempt += 1) {
      const current = await this.dnsCall(() => provider.records(cfg.record), 'records');
      if (current === undefined) return;
      const changes = plan(current, desired, cfg.policies);
      const empty = isEmptyChangeSet(changes);
      if (empty && zoneTerm === this.term) {
        if (this.report.result === 'follower') this.report.result = 'in-sync';
        return;
      }
      const described = describeChanges(changes);
      if (!empty && JSON.stringify(described) !== lastPlanned) {
        lastPlanned = JSON.stringify(described);
        await this.audit({ kind: 'dns.plan', term: this.term, summary: summarise(changes), details: { record: cfg.record, changes: described } });
      }
      if (!this.mayAct()) return this.lapsed();

      const fence: Fence = { expectedTerm: zoneTerm, term: this.term };
      this.report.applyAttempts += 1;
      const outcome = await this.dnsCall(() => provider.apply(changes, fence), 'apply');
      if (outcome === undefined) return;
      await this.auditApply(outcome, fence, attempt, empty);

      if (outcome.status === 'success') {
        state.zone = { forTerm: this.term, term: this.term };
        this.report.result = 'applied';
        this.report.changeCount = outcome.value.changeCount;
        this.report.error = null;
        if (!empty) await this.writePlan(changes, 'success', null, outcome.value, attempt);
        return;
      }
      if (outcome.status === 'failure') {
        this.report.error = outcome.error.code;
        if (outcome.error.code !== 'conflict') {
          this.report.result = 'failed';
          this.logger.error({ event: 'scheduler.apply_rejected', term: this.term, code: outcome.error.code, error: outcome.error.message }, 'scheduler: DNS change set rejected');
          await this.writePlan(changes, 'failure', outcome.error.code, undefined, attempt);
          return;
        }
        // Fenced out, or a record drifted since it was read: the zone's term tells which.
        const latest = await this.dnsCall(() => provider.currentTerm(), 'currentTerm');
        if (latest === undefined) return;
        state.zone = { forTerm: this.term, term: latest };
        if (latest > this.term) return this.fencedOut(latest, `the zone rejected term ${this.term}'s batch; it holds term ${latest}`);
        zoneTerm = latest;
        this.logger.info({ event: 'scheduler.apply_conflict', term: this.term, zoneTerm: latest }, 'scheduler: zone changed since it was read; re-planning');
        continue;
      }
      // retryable
      this.report.error = outcome.error.code;
      const wait = outcome.retryInMs ?? this.backoff(attempt);
      if (attempt >= cfg.maxApplyAttempts || !(await this.backOff(wait))) {
        this.report.result = 'failed';
        await this.writePlan(changes, 'retryable', outcome.error.code, undefined, attempt);
        return;
      }
    }
    this.report.result = 'failed';
  }

  /** Calls the provider within the step's bound; a thrown error is classified and, if retryable, retried once after a backoff. */
  private async dnsCall<T>(call: () => Promise<T>, what: string): Promise<T | undefined> {
    for (let attempt = 1; ; attempt += 1) {
      this.report.dnsCalls += 1;
      try {
        return await this.bound(call(), `dns ${what}`, this.cfg.dnsTimeoutMs);
      } catch (err) {
        const error = asMeshgateError(err, 'unavailable');
        this.report.error = error.code;
        const retry = error.retryable && attempt < this.cfg.maxApplyAttempts && (await this.backOff(this.backoff(attempt)));
        if (!retry) {
          this.report.result = 'failed';
          this.logger.warn({ event: 'scheduler.dns_failed', operation: what, term: this.term, code: error.code, error: error.message }, `scheduler: DNS ${what} failed`);
          return undefined;
        }
      }
    }
  }

  private backoff(attempt: number): number {
    const base = this.cfg.backoffBaseMs * 2 ** (attempt - 1);
    return Math.round(base / 2 + (this.deps.random ?? Math.random)() * (base / 2));
  }

  /** Sleeps `ms` when the wait ends inside the step's window and the lease's safe window; false otherwise. */
  private async backOff(ms: number): Promise<boolean> {
    const { clock } = this.deps;
    const wakeAt = clock.now() + Math.max(0, ms);
    const status = this.state.lease.isLeader(wakeAt);
    if (wakeAt >= this.deadlineAt || !status) return false;
    await clock.sleep(Math.max(0, ms)).catch(() => undefined);
    return this.mayAct();
  }

  private async lapsed(): Promise<void> {
    this.report.result = 'lapsed';
    this.logger.warn({ event: 'scheduler.lapsed', term: this.term }, 'scheduler: safe window closed before acting');
  }

  private async fencedOut(newerTerm: number, reason: string): Promise<void> {
    const { state } = this;
    state.fencedOutTerm = Math.max(state.fencedOutTerm, this.term);
    this.report.result = 'fenced-out';
    this.logger.warn({ event: 'scheduler.fenced_out', term: this.term, newerTerm, reason }, 'scheduler: fenced out; stopped acting');
    await this.audit({ kind: 'dns.fenced-out', term: this.term, summary: `${this.deps.nodeId} fenced out at term ${this.term}: ${reason}`, details: { newerTerm, reason } });
    if (state.lease.term(this.deps.clock.now()) === this.term) {
      // Still holding a lease older than the zone (a store that lost data): step down so a newer term can start.
      try {
        await this.bound(state.lease.release(), 'lease release', this.cfg.storeTimeoutMs);
      } catch (err) {
        this.logger.warn({ event: 'scheduler.release_failed', code: asMeshgateError(err).code }, 'scheduler: lease release failed');
      }
    }
  }

  private async auditApply(outcome: Outcome<AppliedChange>, fence: Fence, attempt: number, fenceOnly: boolean): Promise<void> {
    const base = { record: this.cfg.record, expectedTerm: fence.expectedTerm, attempt, fenceOnly };
    if (outcome.status === 'success') {
      this.logger.info({ event: 'scheduler.applied', term: this.term, ...base, changeCount: outcome.value.changeCount }, 'scheduler: DNS change applied');
      await this.audit({
        kind: 'dns.apply',
        term: this.term,
        summary: fenceOnly ? `zone now records term ${this.term}` : `applied ${outcome.value.changeCount} changes at term ${this.term}`,
        details: { ...base, outcome: 'success', changeCount: outcome.value.changeCount, changeId: outcome.value.changeId ?? null },
      });
      return;
    }
    const retryInMs = outcome.status === 'retryable' ? (outcome.retryInMs ?? null) : null;
    this.logger.warn({ event: 'scheduler.apply_outcome', term: this.term, ...base, outcome: outcome.status, code: outcome.error.code, retryInMs }, `scheduler: DNS apply ${outcome.status}`);
    await this.audit({
      kind: 'dns.apply',
      term: this.term,
      summary: `apply at term ${this.term} (expecting ${fence.expectedTerm}): ${outcome.status} (${outcome.error.code})`,
      details: { ...base, outcome: outcome.status, code: outcome.error.code, message: outcome.error.message, retryInMs },
    });
  }

  private async writePlan(changes: ChangeSet, outcome: PlanOutcome, code: string | null, applied: AppliedChange | undefined, attempts: number): Promise<void> {
    const record = {
      term: this.term,
      node: this.deps.nodeId,
      at: this.now,
      changes: describeChanges(changes),
      outcome,
      code,
      changeCount: applied?.changeCount ?? null,
      changeId: applied?.changeId ?? null,
      attempts,
    };
    try {
      await this.bound(this.deps.store.put(PLAN_KEY, planRecordToJson(record)), 'plan write', this.cfg.storeTimeoutMs);
    } catch (err) {
      this.logger.warn({ event: 'scheduler.plan_write_failed', code: asMeshgateError(err).code }, 'scheduler: plan record write failed');
    }
  }

  private audit(event: AuditEvent): Promise<boolean> {
    return this.state.audit.append(this.now, event, (work, what) => this.bound(work, what, this.cfg.storeTimeoutMs));
  }

  /** Bounds a call by `ms` and by the step's deadline; rejects with `timeout`. */
  private bound<T>(work: Promise<T>, what: string, ms: number): Promise<T> {
    const left = this.deadlineAt - this.deps.clock.now();
    if (left <= 0) {
      work.catch(() => undefined);
      return Promise.reject(new MeshgateError('timeout', `${what}: no time left in this step`));
    }
    return withTimeout(work, Math.min(ms, left), this.deps.clock, what);
  }
}

function summarise(changes: ChangeSet): string {
  const parts = [
    ...changes.create.map((r) => `create ${r.setId || r.fqdn} weight ${r.weight ?? '-'}`),
    ...changes.update.map(({ old, next }) => `${next.setId || next.fqdn} weight ${old.weight ?? '-'} -> ${next.weight ?? '-'}`),
    ...changes.delete.map((r) => `delete ${r.setId || r.fqdn}`),
  ];
  return parts.length === 0 ? 'no record changes' : parts.join(', ');
}
