/**
 * Verdict: turns what the observer clouds saw into a traffic decision per target (a backend or a cloud).
 *
 * Rules (docs/failover.md explains why):
 * - Only fresh observations count: an observer's summary older than `staleAfterMs` is ignored.
 * - UP → DOWN when at least `quorum` observers (default 2 of 3) report `failureThreshold` (N = 2) or more
 *   consecutive failures. One observer alone never fails a target over (`quorum` is at least 2).
 * - DOWN stays DOWN while a quorum still reports failures (each such evaluation restarts the hold-down), and
 *   until a quorum reports `successThreshold` (M = 3) consecutive successes AND `holdDownMs` (60 s) have passed
 *   since the last failure. Then RECOVERING at ramp stage 0.
 * - RECOVERING walks the ramp (slow start, 10% → 50%), one stage per `rampDwellMs`, advancing only while a quorum
 *   still reports M successes, and ends UP (100%). A quorum reporting `rampFailureThreshold` (1) failures
 *   during the ramp sends the target back to DOWN and restarts the hold-down: no flapping.
 * - Desired weight = configured weight × ramp fraction (UP 1, DOWN 0), rounded, never rounded down to 0 while
 *   the fraction is positive.
 * - Fail open: when no target would get any weight, `allDown` is set so the caller alerts, and weights are never
 *   all zero. Targets a quorum of observers currently reports healthy (held back only by their hold-down) get
 *   the weight of the first ramp stage: traffic goes where it is seen to work. When no target is seen healthy, DNS keeps the
 *   weights from before the outage began: the last known good weights, with every target that went DOWN within
 *   `failOpenWindowMs` before everything looked down given back the fraction it had just before. Targets rarely
 *   cross the threshold in the same evaluation, so without this the first one detected would stay at 0 although
 *   the same event took out all of them. Configured weights when nothing else is known.
 * - Shared failure: while every target that carries traffic is reported failing (its latest probe failed) by a
 *   quorum of observers, or is DOWN, DNS keeps the last known good weights instead of taking weight away (`held`).
 *   When everything fails at once the cause is shared (the observers' own network, a common dependency), moving
 *   traffic between targets cannot help, and the targets would otherwise be zeroed one by one as their failures
 *   cross the threshold seconds apart, before the all-down fail open restores them. A single target's failure
 *   is not held back: the others' latest probes succeed. The verdict state still records each transition.
 * - Told apart first: a target that has just gone DOWN keeps its weight until every other serving target has been
 *   seen working since its failure began (at most `sharedFailureCheckMs`). The targets of a shared failure are
 *   probed at different moments, so the first can cross the threshold before any observer has probed the others
 *   since; their next probes then either fail (the hold above) or succeed (weight goes). The failure began at the
 *   earliest start of an observer's current run of failures, ignoring runs that began more than `staleAfterMs`
 *   before the target went DOWN.
 *
 * Pure and deterministic: the caller passes `now`; the state is plain JSON so it can be stored as it is.
 */
import { MeshgateError } from './errors';

export type TargetPhase = 'UP' | 'DOWN' | 'RECOVERING';

/** What one observer cloud has seen of one target (its own probe history, summarised). */
export type ObservationSummary = {
  /** Observer cloud, e.g. `aws`. */
  readonly observer: string;
  /** Target id, e.g. `gcp` or a backend id. */
  readonly target: string;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  /** Epoch ms of the observer's latest probe of this target. */
  readonly lastAt: number;
  /**
   * Epoch ms the observer's current run of failures began (its first failed probe in a row); `null` or absent
   * when the latest probe succeeded or the start is unknown. Lets the verdict tell one target's failure from a
   * shared one (see `sharedFailureCheckMs`).
   */
  readonly failingSince?: number | null;
};

/** Verdict state of one target. JSON-safe: absent values are `null`. */
export type TargetState = {
  readonly phase: TargetPhase;
  /** Epoch ms the target entered `phase`. */
  readonly since: number;
  /** RECOVERING only: index into `ramp`. */
  readonly rampStage: number | null;
  /** RECOVERING only: epoch ms the current ramp stage began. */
  readonly stageSince: number | null;
  /** Epoch ms of the latest transition to DOWN (kept after recovery, for reporting). */
  readonly downSince: number | null;
  /** Epoch ms of the latest evaluation in which a quorum reported failures (starts the hold-down). */
  readonly lastFailureAt: number | null;
  /** Ramp fraction the target had just before its latest transition to DOWN (fail open restores it). */
  readonly fractionBeforeDown: number | null;
};

/** Verdict state across evaluations. JSON-safe. */
export type VerdictState = {
  readonly targets: { readonly [target: string]: TargetState };
  /** Weights of the latest evaluation that gave some target a positive weight; `null` before the first. */
  readonly lastKnownGood: { readonly [target: string]: number } | null;
};

/** A target and its configured weight (the weight it gets when fully UP). */
export type VerdictTarget = { readonly id: string; readonly weight: number };

export interface VerdictConfig {
  /** Observer clouds whose summaries count; `undefined` counts every observer. */
  readonly observers?: readonly string[];
  /** Observers that must agree (fresh, over threshold). At least 2. Default 2 (of 3). */
  readonly quorum: number;
  /** N: consecutive failures an observer must report to vote DOWN. Default 2. */
  readonly failureThreshold: number;
  /** M: consecutive successes an observer must report to vote for recovery. Default 3. */
  readonly successThreshold: number;
  /** Consecutive failures an observer must report to abort a ramp (back to DOWN). Default 1. */
  readonly rampFailureThreshold: number;
  /** Time since the last failure before a DOWN target may take traffic again. Default 60 s. */
  readonly holdDownMs: number;
  /** Observations older than this don't count. Default 15 s (3 probe intervals of 5 s). */
  readonly staleAfterMs: number;
  /** Slow-start fractions while RECOVERING, strictly increasing in (0, 1). Default [0.1, 0.5]; then UP = 1. */
  readonly ramp: readonly number[];
  /** Time spent at each ramp stage. Default 30 s. */
  readonly rampDwellMs: number;
  /**
   * Fail open: targets that went DOWN this long before every target looked down count as part of the same outage
   * and get their pre-outage weight back. Default 30 s (two probe intervals of detection spread, with margin).
   */
  readonly failOpenWindowMs: number;
  /**
   * A target that has just gone DOWN keeps its weight until every other serving target has been seen working (a
   * successful probe by any observer) since the target's failure began, for at most this long after it went DOWN.
   * Tells one target's failure from a shared one whose targets cross the threshold seconds apart. Default 10 s
   * (two probe intervals); 0 turns the check off.
   */
  readonly sharedFailureCheckMs: number;
}

export const DEFAULT_VERDICT_CONFIG: VerdictConfig = Object.freeze({
  quorum: 2,
  failureThreshold: 2,
  successThreshold: 3,
  rampFailureThreshold: 1,
  holdDownMs: 60_000,
  staleAfterMs: 15_000,
  ramp: Object.freeze([0.1, 0.5]),
  rampDwellMs: 30_000,
  failOpenWindowMs: 30_000,
  sharedFailureCheckMs: 10_000,
});

export interface VerdictInput {
  /** Evaluation time, epoch ms. */
  readonly now: number;
  readonly targets: readonly VerdictTarget[];
  readonly observations: readonly ObservationSummary[];
  /** State returned by the previous evaluation; absent on the first (every target starts UP). */
  readonly previous?: VerdictState;
}

/** Votes counted for one target in one evaluation (fresh observations only). */
export interface Votes {
  readonly fresh: number;
  /** Observers at or over `failureThreshold`. */
  readonly failing: number;
  /** Observers at or over `rampFailureThreshold`. */
  readonly anyFailing: number;
  /** Observers at or over `successThreshold`. */
  readonly healthy: number;
  /** Observers whose latest probe failed (one or more consecutive failures). */
  readonly failingNow: number;
}

export interface TargetVerdict {
  readonly id: string;
  readonly state: TargetState;
  /** Ramp fraction: UP 1, DOWN 0, RECOVERING `ramp[stage]`. */
  readonly fraction: number;
  /** Weight this target's state asks for (configured weight × fraction), before fail-open. */
  readonly weight: number;
  readonly votes: Votes;
}

export interface Transition {
  readonly target: string;
  readonly from: TargetPhase;
  readonly to: TargetPhase;
  /** RECOVERING stage after the transition (a stage advance within RECOVERING is a transition too). */
  readonly rampStage: number | null;
  readonly at: number;
  readonly reason: string;
}

export interface VerdictResult {
  readonly state: VerdictState;
  /** Weights to publish, per target id. Never all zero (see `allDown`). */
  readonly weights: { readonly [target: string]: number };
  /** True when no target would get weight: `weights` are the last known good ones (fail open). Alert. */
  readonly allDown: boolean;
  /**
   * True when the verdict would take weight away but the failure looks shared: every serving target is failing at
   * once, or a target has just gone DOWN and the others have not been seen working since its failure began.
   * `weights` are the last known good ones. Log it; `allDown` follows if the failures persist.
   */
  readonly held: boolean;
  /** Why the weights were held, for logs and the audit log; `null` when not held. */
  readonly heldReason: string | null;
  /** Per target, in input order. */
  readonly targets: readonly TargetVerdict[];
  readonly transitions: readonly Transition[];
}

/** Validates a config; throws `MeshgateError('validation')` naming the field. */
export function validateVerdictConfig(config: VerdictConfig): void {
  const fail = (field: string, why: string): never => {
    throw new MeshgateError('validation', `verdict.${field}: ${why}`, { details: { field } });
  };
  if (!Number.isInteger(config.quorum) || config.quorum < 2) fail('quorum', 'must be an integer >= 2 (one observer never fails a target over)');
  if (config.observers && config.quorum > new Set(config.observers).size) fail('quorum', 'exceeds the number of observers');
  for (const field of ['failureThreshold', 'successThreshold', 'rampFailureThreshold'] as const) {
    if (!Number.isInteger(config[field]) || config[field] < 1) fail(field, 'must be an integer >= 1');
  }
  for (const field of ['holdDownMs', 'staleAfterMs', 'rampDwellMs', 'failOpenWindowMs', 'sharedFailureCheckMs'] as const) {
    if (!Number.isFinite(config[field]) || config[field] < 0) fail(field, 'must be a non-negative number');
  }
  config.ramp.forEach((f, i) => {
    if (!(f > 0 && f < 1)) fail(`ramp[${i}]`, 'must be in (0, 1)');
    if (i > 0 && !(f > (config.ramp[i - 1] ?? 0))) fail(`ramp[${i}]`, 'must be greater than the previous stage');
  });
}

function validateTargets(targets: readonly VerdictTarget[]): void {
  const ids = new Set<string>();
  for (const t of targets) {
    if (ids.has(t.id)) throw new MeshgateError('validation', `verdict target ${t.id} listed twice`);
    ids.add(t.id);
    if (!Number.isFinite(t.weight) || t.weight < 0) throw new MeshgateError('validation', `verdict target ${t.id}: weight must be >= 0`);
  }
  if (!targets.some((t) => t.weight > 0)) throw new MeshgateError('validation', 'verdict: at least one target needs a positive weight');
}

/** Newest fresh summary per observer for one target. */
function freshSummaries(target: string, observations: readonly ObservationSummary[], now: number, config: VerdictConfig): ObservationSummary[] {
  const allowed = config.observers ? new Set(config.observers) : undefined;
  const newest = new Map<string, ObservationSummary>();
  for (const o of observations) {
    if (o.target !== target || (allowed && !allowed.has(o.observer))) continue;
    if (!Number.isFinite(o.lastAt) || now - o.lastAt > config.staleAfterMs) continue;
    const seen = newest.get(o.observer);
    if (!seen || o.lastAt > seen.lastAt) newest.set(o.observer, o);
  }
  return [...newest.values()];
}

export function countVotes(summaries: readonly ObservationSummary[], config: VerdictConfig): Votes {
  return {
    fresh: summaries.length,
    failing: summaries.filter((o) => o.consecutiveFailures >= config.failureThreshold).length,
    anyFailing: summaries.filter((o) => o.consecutiveFailures >= config.rampFailureThreshold).length,
    healthy: summaries.filter((o) => o.consecutiveSuccesses >= config.successThreshold).length,
    failingNow: summaries.filter((o) => o.consecutiveFailures >= 1).length,
  };
}

const upState = (now: number, prev?: TargetState): TargetState => ({
  phase: 'UP',
  since: now,
  rampStage: null,
  stageSince: null,
  downSince: prev?.downSince ?? null,
  lastFailureAt: prev?.lastFailureAt ?? null,
  fractionBeforeDown: prev?.fractionBeforeDown ?? null,
});

const downState = (now: number, fractionBeforeDown: number): TargetState => ({
  phase: 'DOWN',
  since: now,
  rampStage: null,
  stageSince: null,
  downSince: now,
  lastFailureAt: now,
  fractionBeforeDown,
});

/** One target's next state; `reason` is set when the phase or ramp stage changed. */
function step(prev: TargetState, votes: Votes, now: number, config: VerdictConfig): { next: TargetState; reason?: string } {
  const q = config.quorum;
  switch (prev.phase) {
    case 'UP':
      if (votes.failing >= q) return { next: downState(now, 1), reason: `${votes.failing} observers report >= ${config.failureThreshold} consecutive failures` };
      return { next: prev };
    case 'DOWN': {
      if (votes.anyFailing >= q) return { next: { ...prev, lastFailureAt: Math.max(now, prev.lastFailureAt ?? now) } };
      const lastFailure = prev.lastFailureAt ?? prev.since;
      if (votes.healthy >= q && now - lastFailure >= config.holdDownMs) {
        if (config.ramp.length === 0) return { next: upState(now, prev), reason: `hold-down over, ${votes.healthy} observers healthy` };
        return {
          next: { ...prev, phase: 'RECOVERING', since: now, rampStage: 0, stageSince: now },
          reason: `hold-down over, ${votes.healthy} observers healthy: slow start`,
        };
      }
      return { next: prev };
    }
    case 'RECOVERING': {
      if (votes.anyFailing >= q) return { next: downState(now, fractionOf(prev, config)), reason: `${votes.anyFailing} observers report failures during the ramp` };
      const stage = prev.rampStage ?? 0;
      const stageSince = prev.stageSince ?? prev.since;
      if (votes.healthy >= q && now - stageSince >= config.rampDwellMs) {
        if (stage + 1 >= config.ramp.length) return { next: upState(now, prev), reason: 'ramp complete' };
        return { next: { ...prev, rampStage: stage + 1, stageSince: now }, reason: `ramp stage ${stage + 1}` };
      }
      return { next: prev };
    }
  }
}

function fractionOf(state: TargetState, config: VerdictConfig): number {
  if (state.phase === 'UP') return 1;
  if (state.phase === 'DOWN') return 0;
  return config.ramp[Math.min(state.rampStage ?? 0, config.ramp.length - 1)] ?? 1;
}

/** Configured weight × fraction, rounded; a positive product never rounds down to 0. */
export function rampedWeight(configured: number, fraction: number): number {
  if (configured <= 0 || fraction <= 0) return 0;
  return Math.max(1, Math.round(configured * fraction));
}

/**
 * One evaluation. Throws `MeshgateError('validation')` on a bad config or target list (duplicate ids, negative
 * weights, no positive weight at all).
 */
export function decideVerdict(input: VerdictInput, config: VerdictConfig = DEFAULT_VERDICT_CONFIG): VerdictResult {
  validateVerdictConfig(config);
  validateTargets(input.targets);
  const { now } = input;
  const states: Record<string, TargetState> = {};
  const computed: Record<string, number> = {};
  const verdicts: TargetVerdict[] = [];
  const transitions: Transition[] = [];
  const summaries = new Map<string, ObservationSummary[]>();

  for (const target of input.targets) {
    const prev = input.previous?.targets[target.id] ?? upState(now);
    const fresh = freshSummaries(target.id, input.observations, now, config);
    summaries.set(target.id, fresh);
    const votes = countVotes(fresh, config);
    const { next, reason } = step(prev, votes, now, config);
    if (reason !== undefined) {
      transitions.push({ target: target.id, from: prev.phase, to: next.phase, rampStage: next.rampStage, at: now, reason });
    }
    const fraction = fractionOf(next, config);
    const weight = rampedWeight(target.weight, fraction);
    states[target.id] = next;
    computed[target.id] = weight;
    verdicts.push({ id: target.id, state: next, fraction, weight, votes });
  }

  const serving = Object.values(computed).some((w) => w > 0);
  const lastGood = input.previous?.lastKnownGood ?? null;
  const heldReason = serving && lastGood !== null && takesWeightAway(computed, lastGood) ? reasonToHold({ verdicts, summaries, lastGood, now, config }) : null;
  if (lastGood !== null && heldReason !== null) {
    const weights = Object.fromEntries(input.targets.map((t) => [t.id, lastGood[t.id] ?? 0]));
    return { state: { targets: states, lastKnownGood: weights }, weights, allDown: false, held: true, heldReason, targets: verdicts, transitions };
  }
  if (serving) {
    return { state: { targets: states, lastKnownGood: computed }, weights: computed, allDown: false, held: false, heldReason: null, targets: verdicts, transitions };
  }
  const weights = failOpenWeights(input, verdicts, config);
  return { state: { targets: states, lastKnownGood: weights }, weights, allDown: true, held: false, heldReason: null, targets: verdicts, transitions };
}

/** One evaluation as the hold rules see it. */
interface HoldInput {
  readonly verdicts: readonly TargetVerdict[];
  /** Fresh summaries per target id. */
  readonly summaries: ReadonlyMap<string, readonly ObservationSummary[]>;
  readonly lastGood: Readonly<Record<string, number>>;
  readonly now: number;
  readonly config: VerdictConfig;
}

/** Why weight must not be taken away in this evaluation (a shared failure, or not yet told apart), else `null`. */
function reasonToHold(input: HoldInput): string | null {
  if (everyServingTargetFailing(input)) return 'every serving target is failing at once';
  const unseen = othersNotSeenWorking(input);
  return unseen.length === 0 ? null : `${unseen.join(', ')} not seen working since the failure began`;
}

function takesWeightAway(computed: Readonly<Record<string, number>>, lastGood: Readonly<Record<string, number>>): boolean {
  return Object.entries(computed).some(([id, w]) => w < (lastGood[id] ?? 0));
}

/** Every target serving in `lastGood` is DOWN or has a quorum of observers whose latest probe failed. */
function everyServingTargetFailing({ verdicts, lastGood, config }: HoldInput): boolean {
  const serving = verdicts.filter((v) => (lastGood[v.id] ?? 0) > 0);
  return serving.length > 0 && serving.every((v) => v.state.phase === 'DOWN' || v.votes.failingNow >= config.quorum);
}

/**
 * Serving targets not seen working since the targets losing weight began to fail, while those all went DOWN less
 * than `sharedFailureCheckMs` ago. Empty when the failure is told apart (or the check does not apply).
 */
function othersNotSeenWorking({ verdicts, summaries, lastGood, now, config }: HoldInput): string[] {
  const losing = verdicts.filter((v) => v.weight < (lastGood[v.id] ?? 0));
  const justDown = (v: TargetVerdict): boolean =>
    v.state.phase === 'DOWN' && v.state.downSince !== null && now - v.state.downSince < config.sharedFailureCheckMs;
  if (losing.length === 0 || !losing.every(justDown)) return [];
  const onsets = losing.map((v) => failureBegan(summaries.get(v.id) ?? [], (v.state.downSince ?? now) - config.staleAfterMs));
  if (onsets.some((onset) => onset === undefined)) return [];
  const since = Math.min(...(onsets as number[]));
  return verdicts
    .filter((v) => (lastGood[v.id] ?? 0) > 0 && !losing.includes(v))
    .filter((v) => !(summaries.get(v.id) ?? []).some((o) => o.consecutiveFailures === 0 && o.consecutiveSuccesses > 0 && o.lastAt > since))
    .map((v) => v.id);
}

/**
 * When the target began to fail: the earliest start of an observer's current run of failures, among runs that
 * began after `notBefore`. A run that began long before the target went DOWN belongs to something else (one
 * observer failing everything for a while: its own network) and would make successes from before this failure
 * count. `undefined` when unknown.
 */
function failureBegan(summaries: readonly ObservationSummary[], notBefore: number): number | undefined {
  let began: number | undefined;
  for (const o of summaries) {
    const since = o.failingSince;
    if (o.consecutiveFailures === 0 || typeof since !== 'number' || !Number.isFinite(since) || since < notBefore) continue;
    began = began === undefined ? since : Math.min(began, since);
  }
  return began;
}

/**
 * Weights while every target looks down (see the module notes): targets a quorum sees healthy; else the weights
 * from before the outage began; else the configured ones. Kept as the next last-known-good, so fail open holds
 * steady for as long as the outage lasts.
 */
function failOpenWeights(input: VerdictInput, verdicts: readonly TargetVerdict[], config: VerdictConfig): Record<string, number> {
  const configured = (t: VerdictTarget): number => rampedWeight(t.weight, 1);
  const seenHealthy = new Set(verdicts.filter((v) => v.votes.healthy >= config.quorum).map((v) => v.id));
  if (input.targets.some((t) => seenHealthy.has(t.id) && t.weight > 0)) {
    // The first slow-start stage: only the proportions among these targets matter while they are the only ones,
    // and the weight then stays put when their hold-down ends and the ramp begins, instead of dropping to it.
    const firstStage = config.ramp[0] ?? 1;
    return Object.fromEntries(input.targets.map((t) => [t.id, seenHealthy.has(t.id) ? rampedWeight(t.weight, firstStage) : 0]));
  }
  const lastGood = input.previous?.lastKnownGood ?? null;
  const beforeOutage = (t: VerdictTarget): number => {
    const prev = input.previous?.targets[t.id];
    const wentDownJustNow = prev?.phase === 'DOWN' && prev.downSince !== null && input.now - prev.downSince <= config.failOpenWindowMs;
    if (wentDownJustNow && prev.fractionBeforeDown !== null) return rampedWeight(t.weight, prev.fractionBeforeDown);
    return lastGood?.[t.id] ?? 0;
  };
  const kept = Object.fromEntries(input.targets.map((t) => [t.id, beforeOutage(t)]));
  if (Object.values(kept).some((w) => w > 0)) return kept;
  return Object.fromEntries(input.targets.map((t) => [t.id, configured(t)]));
}
