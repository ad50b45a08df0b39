/**
 * Per-backend circuit breaker as a pure state machine. The router keeps one `BreakerState` per backend id and
 * feeds it live request results (`onResult`) and health-probe observations (`onObservation`).
 *
 * closed ──(K consecutive failures, or error rate ≥ threshold over the rolling window with ≥ minRequests)──▶ open
 * open ──(cool-down elapsed)──▶ half_open          (computed lazily from `at`; no timer needed)
 * half_open: up to `halfOpenTrials` trial requests at a time (`onSend` reserves a slot; a slot whose result
 *   never arrives is reclaimed after `trialTimeoutMs`)
 * half_open ──(successesToClose successes)──▶ closed (fresh window)
 * half_open ──(any failure)──▶ open, with the cool-down doubled per consecutive trip up to `maxCoolDownMs`
 *
 * Results that arrive while open (before the cool-down ends) are late answers to requests sent before the trip
 * and are ignored. Observations count like results while closed; while half-open a successful observation
 * counts as a success without using a trial slot and a failed one reopens; while open they are ignored, so a
 * probe cannot shorten the cool-down. Time only moves forward: a sample older than the newest bucket is counted
 * in the newest bucket.
 */
import { MeshgateError } from '../errors';
import type { Snapshot } from './types';

export interface BreakerConfig {
  /** Consecutive failures that open a closed breaker (K). */
  readonly failureThreshold: number;
  /** Error rate (0–1] over the rolling window that opens a closed breaker. */
  readonly errorRateThreshold: number;
  /** Samples the window must hold before the error rate is considered. */
  readonly minRequests: number;
  /** Rolling window length, ms. */
  readonly windowMs: number;
  /** Number of buckets the window is kept in (its granularity is windowMs / buckets). */
  readonly buckets: number;
  /** First cool-down (open → half-open), ms. */
  readonly coolDownMs: number;
  /** Ceiling of the doubled cool-down, ms. */
  readonly maxCoolDownMs: number;
  /** Concurrent trial requests allowed while half-open. */
  readonly halfOpenTrials: number;
  /** Successes while half-open that close the breaker. */
  readonly successesToClose: number;
  /** A reserved trial slot without a result is free again after this long, ms. */
  readonly trialTimeoutMs: number;
}

export const DEFAULT_BREAKER_CONFIG: BreakerConfig = Object.freeze({
  failureThreshold: 5,
  errorRateThreshold: 0.5,
  minRequests: 20,
  windowMs: 30_000,
  buckets: 10,
  coolDownMs: 10_000,
  maxCoolDownMs: 300_000,
  halfOpenTrials: 1,
  successesToClose: 1,
  trialTimeoutMs: 30_000,
});

export interface WindowBucket {
  /** Bucket start, epoch ms (a multiple of windowMs / buckets). */
  readonly start: number;
  readonly ok: number;
  readonly failed: number;
}

export type OpenReason = 'consecutive_failures' | 'error_rate' | 'trial_failed';

export type BreakerState =
  | {
      readonly phase: 'closed';
      readonly consecutiveFailures: number;
      readonly window: readonly WindowBucket[];
    }
  | {
      readonly phase: 'open';
      readonly openedAt: number;
      /** When the breaker becomes half-open. */
      readonly until: number;
      /** Consecutive trips without closing (1 on the first); the cool-down doubles with each. */
      readonly trips: number;
      readonly reason: OpenReason;
    }
  | {
      readonly phase: 'half_open';
      readonly since: number;
      readonly trips: number;
      /** Trial requests sent and not yet answered. */
      readonly inFlight: number;
      readonly lastTrialAt?: number;
      readonly successes: number;
    };

export type BreakerPhase = BreakerState['phase'];

/** A request outcome (`onResult`) or a probe observation (`onObservation`) at epoch ms `at`. */
export interface BreakerEvent {
  readonly ok: boolean;
  readonly at: number;
}

export const CLOSED_BREAKER: BreakerState = Object.freeze({ phase: 'closed', consecutiveFailures: 0, window: [] });

export function breakerConfig(overrides: Partial<BreakerConfig> = {}): BreakerConfig {
  const c: BreakerConfig = { ...DEFAULT_BREAKER_CONFIG, ...definedOnly(overrides) };
  const positiveInt = ['failureThreshold', 'buckets', 'halfOpenTrials', 'successesToClose'] as const;
  for (const k of positiveInt) if (!(Number.isInteger(c[k]) && c[k] >= 1)) invalid(k, 'an integer >= 1', c[k]);
  if (!(Number.isInteger(c.minRequests) && c.minRequests >= 0)) invalid('minRequests', 'an integer >= 0', c.minRequests);
  if (!(c.errorRateThreshold > 0 && c.errorRateThreshold <= 1)) invalid('errorRateThreshold', 'in (0, 1]', c.errorRateThreshold);
  for (const k of ['windowMs', 'coolDownMs', 'trialTimeoutMs'] as const) {
    if (!(Number.isFinite(c[k]) && c[k] > 0)) invalid(k, 'a positive number of ms', c[k]);
  }
  if (!(Number.isFinite(c.maxCoolDownMs) && c.maxCoolDownMs >= c.coolDownMs)) {
    invalid('maxCoolDownMs', 'a number of ms >= coolDownMs', c.maxCoolDownMs);
  }
  return c;
}

function definedOnly<T extends object>(o: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function invalid(key: string, expected: string, got: unknown): never {
  throw new MeshgateError('validation', `breaker.${key}: must be ${expected}, got ${String(got)}`, {
    details: { path: `breaker.${key}` },
  });
}

/** The cool-down after the `trips`-th consecutive trip: coolDownMs · 2^(trips-1), capped at maxCoolDownMs. */
export function coolDownFor(trips: number, config: BreakerConfig = DEFAULT_BREAKER_CONFIG): number {
  return Math.min(config.maxCoolDownMs, config.coolDownMs * 2 ** Math.max(0, Math.min(trips - 1, 52)));
}

/** The state as of `at`: an open breaker whose cool-down has elapsed is half-open with no trial sent. */
export function breakerAt(state: BreakerState, at: number): BreakerState {
  if (state.phase === 'open' && at >= state.until) {
    return { phase: 'half_open', since: state.until, trips: state.trips, inFlight: 0, successes: 0 };
  }
  return state;
}

export const breakerPhase = (state: BreakerState, at: number): BreakerPhase => breakerAt(state, at).phase;

/** Whether a request may be sent to the backend at `at`. A query: it changes nothing (see `onSend`). */
export function canSend(state: BreakerState, at: number, config: BreakerConfig = DEFAULT_BREAKER_CONFIG): boolean {
  const s = breakerAt(state, at);
  switch (s.phase) {
    case 'closed':
      return true;
    case 'open':
      return false;
    case 'half_open':
      return s.inFlight < config.halfOpenTrials || trialExpired(s, at, config);
  }
}

function trialExpired(s: Extract<BreakerState, { phase: 'half_open' }>, at: number, config: BreakerConfig): boolean {
  return s.lastTrialAt !== undefined && at - s.lastTrialAt >= config.trialTimeoutMs;
}

/**
 * Records that a request is being sent at `at`. Only half-open breakers change: the request takes a trial slot
 * (or reclaims a timed-out one). Call it for the backend chosen after `canSend` said yes.
 */
export function onSend(state: BreakerState, at: number, config: BreakerConfig = DEFAULT_BREAKER_CONFIG): BreakerState {
  const s = breakerAt(state, at);
  if (s.phase !== 'half_open') return state;
  if (s.inFlight < config.halfOpenTrials) return { ...s, inFlight: s.inFlight + 1, lastTrialAt: at };
  if (trialExpired(s, at, config)) return { ...s, lastTrialAt: at };
  return s;
}

/** Feeds the outcome of a live request. */
export function onResult(
  state: BreakerState,
  event: BreakerEvent,
  config: BreakerConfig = DEFAULT_BREAKER_CONFIG,
): BreakerState {
  return feed(state, event, config, true);
}

/** Feeds a health-probe observation of the backend (it never held a trial slot). */
export function onObservation(
  state: BreakerState,
  event: BreakerEvent,
  config: BreakerConfig = DEFAULT_BREAKER_CONFIG,
): BreakerState {
  return feed(state, event, config, false);
}

function feed(state: BreakerState, { ok, at }: BreakerEvent, config: BreakerConfig, trial: boolean): BreakerState {
  const s = breakerAt(state, at);
  switch (s.phase) {
    case 'open':
      return state;
    case 'half_open': {
      if (!ok) return open(at, s.trips + 1, 'trial_failed', config);
      const successes = s.successes + 1;
      if (successes >= config.successesToClose) return CLOSED_BREAKER;
      return { ...s, successes, inFlight: trial ? Math.max(0, s.inFlight - 1) : s.inFlight };
    }
    case 'closed': {
      const window = record(s.window, ok, at, config);
      const consecutiveFailures = ok ? 0 : s.consecutiveFailures + 1;
      if (consecutiveFailures >= config.failureThreshold) return open(at, 1, 'consecutive_failures', config);
      if (!ok && rateExceeded(window, config)) return open(at, 1, 'error_rate', config);
      return { phase: 'closed', consecutiveFailures, window };
    }
  }
}

function open(at: number, trips: number, reason: OpenReason, config: BreakerConfig): BreakerState {
  return { phase: 'open', openedAt: at, until: at + coolDownFor(trips, config), trips, reason };
}

function record(window: readonly WindowBucket[], ok: boolean, at: number, config: BreakerConfig): WindowBucket[] {
  const width = config.windowMs / config.buckets;
  const last = window[window.length - 1];
  const start = Math.max(Math.floor(at / width) * width, last?.start ?? -Infinity);
  const now = Math.max(at, last?.start ?? -Infinity);
  const kept = window.filter((b) => b.start + width > now - config.windowMs);
  const tail = kept[kept.length - 1];
  const add = (b: WindowBucket): WindowBucket => ({
    start: b.start,
    ok: b.ok + (ok ? 1 : 0),
    failed: b.failed + (ok ? 0 : 1),
  });
  if (tail !== undefined && tail.start === start) return [...kept.slice(0, -1), add(tail)];
  return [...kept, add({ start, ok: 0, failed: 0 })];
}

function rateExceeded(window: readonly WindowBucket[], config: BreakerConfig): boolean {
  let ok = 0;
  let failed = 0;
  for (const b of window) {
    ok += b.ok;
    failed += b.failed;
  }
  const total = ok + failed;
  return total > 0 && total >= config.minRequests && failed / total >= config.errorRateThreshold;
}

/** Failures / samples currently in a closed breaker's window (0 when empty or not closed). */
export function windowErrorRate(state: BreakerState): number {
  if (state.phase !== 'closed') return 0;
  let ok = 0;
  let failed = 0;
  for (const b of state.window) {
    ok += b.ok;
    failed += b.failed;
  }
  return ok + failed === 0 ? 0 : failed / (ok + failed);
}

/**
 * Marks as unhealthy every backend whose breaker does not allow a request at `at`, so strategies skip it.
 * Backends without a breaker entry are treated as closed.
 */
export function applyBreakers(
  snapshot: Snapshot,
  breakers: Readonly<Record<string, BreakerState>>,
  at: number,
  config: BreakerConfig = DEFAULT_BREAKER_CONFIG,
): Snapshot {
  return {
    ...snapshot,
    backends: snapshot.backends.map((b) => {
      const s = Object.prototype.hasOwnProperty.call(breakers, b.id) ? breakers[b.id] : undefined;
      return b.healthy && s !== undefined && !canSend(s, at, config) ? { ...b, healthy: false } : b;
    }),
  };
}
