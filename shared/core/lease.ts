/**
 * Leader lease with fencing: the pure decisions. The I/O (compare-and-set of the record on each of the three
 * stores, leader = holds it on a majority) lives in a use case; this module only says what to write and for how
 * long the holder may act.
 *
 * Timing (docs/failover.md, "Lease and fencing"): the holder writes `expiresAt = t0 + leaseMs`, where `t0` is its
 * own clock read *before* it sent the write. It may act until `t0 + leaseMs - maxSkewMs - safetyMs` by its own
 * clock, unless a renewal succeeds first. A contender takes over only when its own clock is past `expiresAt`.
 * With pairwise clock skew at most `maxSkewMs`, the holder has stopped at least `safetyMs` before any contender
 * can take over. The term (fencing token) increases on every acquisition, so even a holder that overruns the bound
 * (a paused process) is rejected by the DNS fence.
 */
import { MeshgateError } from './errors';

/** The lease record as stored (JSON-safe). */
export type LeaseRecord = {
  /** Node id of the holder (e.g. `aws:scheduler:<instance>`). */
  readonly holder: string;
  /** Fencing token: increases on every acquisition by a new holder or after expiry. Starts at 1. */
  readonly term: number;
  /** Holder's clock at the start of its last successful write + `leaseMs`, epoch ms. */
  readonly expiresAt: number;
};

export interface LeaseConfig {
  /**
   * Lease duration. Default 12 s: after a leader dies, a follower that retries at expiry takes over within
   * `leaseMs - (time since the last renewal)`, so 7-12 s, keeping takeover plus the first reconcile under 15 s.
   */
  readonly leaseMs: number;
  /** The holder renews this long after its last write. Default 5 s. */
  readonly renewEveryMs: number;
  /** Bound on the difference between any two nodes' clocks. Default 1 s. */
  readonly maxSkewMs: number;
  /** Margin for an action in flight and clock drift within a lease. Default 1 s. */
  readonly safetyMs: number;
}

export const DEFAULT_LEASE_CONFIG: LeaseConfig = Object.freeze({ leaseMs: 12_000, renewEveryMs: 5_000, maxSkewMs: 1_000, safetyMs: 1_000 });

/** Validates a config; throws `MeshgateError('validation')`. The holder must be able to renew before it must stop. */
export function validateLeaseConfig(config: LeaseConfig): void {
  const { leaseMs, renewEveryMs, maxSkewMs, safetyMs } = config;
  if (![leaseMs, renewEveryMs, maxSkewMs, safetyMs].every((v) => Number.isFinite(v) && v >= 0) || leaseMs <= 0 || renewEveryMs <= 0) {
    throw new MeshgateError('validation', 'lease: durations must be non-negative numbers, lease and renew interval positive');
  }
  if (renewEveryMs >= leaseMs - maxSkewMs - safetyMs) {
    throw new MeshgateError('validation', `lease: renewEveryMs (${renewEveryMs}) must be below leaseMs - maxSkewMs - safetyMs (${leaseMs - maxSkewMs - safetyMs})`);
  }
}

/** Until when (holder's clock) a holder whose write started at `acquiredAt` may act. */
export const actUntil = (acquiredAt: number, config: LeaseConfig = DEFAULT_LEASE_CONFIG): number =>
  acquiredAt + config.leaseMs - config.maxSkewMs - config.safetyMs;

/** True when a holder whose last successful write started at `acquiredAt` must stop acting. */
export const mustStopActing = (now: number, acquiredAt: number, config: LeaseConfig = DEFAULT_LEASE_CONFIG): boolean =>
  now > actUntil(acquiredAt, config);

export type LeaseDecision =
  /** No lease recorded: write `next` (create-only). */
  | { readonly action: 'acquire'; readonly next: LeaseRecord; readonly actUntil: number }
  /** Our lease, renewal due: write `next` (same term) with compare-and-set on the record read. */
  | { readonly action: 'renew'; readonly next: LeaseRecord; readonly actUntil: number }
  /** Expired lease (someone else's, or our own that lapsed): write `next` (term + 1) with compare-and-set. */
  | { readonly action: 'takeover'; readonly next: LeaseRecord; readonly actUntil: number }
  /** Our lease, no renewal due yet: keep acting until `actUntil`, decide again by `renewAt`. */
  | { readonly action: 'hold'; readonly term: number; readonly actUntil: number; readonly renewAt: number }
  /** Someone else holds a live lease: follow; try again at `retryAt`. */
  | { readonly action: 'follow'; readonly holder: string; readonly term: number; readonly retryAt: number };

const fresh = (me: string, term: number, now: number, config: LeaseConfig): LeaseRecord => ({ holder: me, term, expiresAt: now + config.leaseMs });

/**
 * What `me` should do at `now` given the lease record it read (`undefined` when there is none).
 *
 * - no record → `acquire` at term 1 (or `minTerm`, see below);
 * - our record, not expired: `renew` once `renewEveryMs` have passed since our last write (or at once with
 *   `renewNow`, e.g. before a pause between timer invocations), else `hold`;
 * - our record, expired by our clock → `takeover` with term + 1 (somebody may have acted in between);
 * - someone else's record, `now > expiresAt` → `takeover` with term + 1; else `follow`.
 *
 * `minTerm` lets the caller make the new term exceed every term it has seen elsewhere (e.g. on a minority store
 * or in the DNS fence), so terms never go backwards. Throws `MeshgateError('validation')` on a bad config.
 */
export function decideLease(
  current: LeaseRecord | undefined,
  me: string,
  now: number,
  config: LeaseConfig = DEFAULT_LEASE_CONFIG,
  minTerm = 0,
  options: { readonly renewNow?: boolean } = {},
): LeaseDecision {
  validateLeaseConfig(config);
  if (!current) {
    const next = fresh(me, Math.max(1, minTerm + 1), now, config);
    return { action: 'acquire', next, actUntil: actUntil(now, config) };
  }
  const nextTerm = Math.max(current.term, minTerm) + 1;
  if (current.holder === me) {
    if (now >= current.expiresAt) {
      return { action: 'takeover', next: fresh(me, nextTerm, now, config), actUntil: actUntil(now, config) };
    }
    const lastWrite = current.expiresAt - config.leaseMs;
    const renewAt = lastWrite + config.renewEveryMs;
    if (now >= renewAt || options.renewNow === true) return { action: 'renew', next: fresh(me, current.term, now, config), actUntil: actUntil(now, config) };
    return { action: 'hold', term: current.term, actUntil: actUntil(lastWrite, config), renewAt };
  }
  if (now > current.expiresAt) {
    return { action: 'takeover', next: fresh(me, nextTerm, now, config), actUntil: actUntil(now, config) };
  }
  return { action: 'follow', holder: current.holder, term: current.term, retryAt: current.expiresAt + 1 };
}

/**
 * A graceful step-down: the record to write (compare-and-set) so that others may take over at once.
 * Returns `undefined` when `me` doesn't hold `current`.
 */
export function releaseLease(current: LeaseRecord | undefined, me: string, now: number): LeaseRecord | undefined {
  if (!current || current.holder !== me) return undefined;
  return { holder: me, term: current.term, expiresAt: Math.min(current.expiresAt, now - 1) };
}

/**
 * The newest of the records read from several stores: highest term, then latest expiry, then holder name.
 * A minority store may lag; the caller still writes with compare-and-set on each store's own record.
 */
export function newestLease(records: readonly (LeaseRecord | undefined)[]): LeaseRecord | undefined {
  let best: LeaseRecord | undefined;
  for (const r of records) {
    if (!r) continue;
    if (!best || r.term > best.term || (r.term === best.term && (r.expiresAt > best.expiresAt || (r.expiresAt === best.expiresAt && r.holder > best.holder)))) {
      best = r;
    }
  }
  return best;
}

/** True when `me` holds a live lease on a majority of `total` stores, judged by the records read from them. */
export function holdsMajority(records: readonly (LeaseRecord | undefined)[], me: string, term: number, now: number, total = 3): boolean {
  const held = records.filter((r) => r !== undefined && r.holder === me && r.term === term && now < r.expiresAt).length;
  return held >= Math.floor(total / 2) + 1;
}

/** Parses a stored value into a record; throws `MeshgateError('validation')` when it isn't one. */
export function parseLeaseRecord(value: unknown): LeaseRecord {
  const v = value as Partial<LeaseRecord> | null;
  if (!v || typeof v !== 'object' || typeof v.holder !== 'string' || v.holder === '' || !Number.isInteger(v.term) || (v.term ?? 0) < 1 || !Number.isFinite(v.expiresAt)) {
    throw new MeshgateError('validation', 'not a lease record', { details: { value } });
  }
  return { holder: v.holder, term: v.term as number, expiresAt: v.expiresAt as number };
}
