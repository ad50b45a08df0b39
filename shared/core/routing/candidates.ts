/**
 * The candidate set every strategy chooses from. One rule for all strategies, applied in this order:
 *
 * 1. Tier: healthy backends whose id is not in `ctx.exclude`. If that tier is empty and `ctx.failOpen` is set,
 *    the unhealthy non-excluded backends instead (the fail-open tier). Excluded backends are never candidates.
 * 2. Drain: backends with weight 0 are dropped, unless every backend of the tier has weight 0
 *    (then weights are ignored, as Route 53 does when all records of a set weigh 0).
 * 3. Cloud preference: with `ctx.preferCloudOtherThan`, keep only the backends on other clouds if there is at
 *    least one; otherwise keep the set as it is.
 *
 * Snapshot order is preserved throughout, which makes every tie-break deterministic.
 */
import type { Backend, RequestContext, Snapshot } from './types';

export interface CandidateSet {
  readonly backends: readonly Backend[];
  /** True when the set is the fail-open (unhealthy) tier. */
  readonly failedOpen: boolean;
}

export function candidates(snapshot: Snapshot, ctx: RequestContext = {}): CandidateSet {
  const exclude = ctx.exclude;
  const open = snapshot.backends.filter((b) => !(exclude?.has(b.id) ?? false));
  let tier = open.filter((b) => b.healthy);
  let failedOpen = false;
  if (tier.length === 0 && ctx.failOpen === true) {
    tier = open;
    failedOpen = tier.length > 0;
  }
  const weighted = tier.filter((b) => b.weight > 0);
  if (weighted.length > 0) tier = weighted;
  const other = ctx.preferCloudOtherThan;
  if (other !== undefined) {
    const elsewhere = tier.filter((b) => b.cloud !== other);
    if (elsewhere.length > 0) tier = elsewhere;
  }
  return { backends: tier, failedOpen };
}

/** Reads a numeric own property of a record (so ids such as `__proto__` or `constructor` are safe). */
export function ownNumber(record: Readonly<Record<string, number>>, key: string): number {
  if (!Object.prototype.hasOwnProperty.call(record, key)) return 0;
  const v = record[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Finite non-negative number or undefined: how optional metrics are read. */
export function metric(v: number | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/**
 * Index of the minimum under `key`, ties broken by the lower index. `undefined` keys rank after every number.
 * Returns -1 for an empty list.
 */
export function argmin<T>(items: readonly T[], ...keys: ReadonlyArray<(t: T) => number | undefined>): number {
  let best = -1;
  let bestKeys: Array<number | undefined> = [];
  items.forEach((item, i) => {
    const ks = keys.map((k) => k(item));
    if (best === -1 || less(ks, bestKeys)) {
      best = i;
      bestKeys = ks;
    }
  });
  return best;
}

function less(a: ReadonlyArray<number | undefined>, b: ReadonlyArray<number | undefined>): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return false;
    if (y === undefined) return true;
    if (x < y) return true;
    if (x > y) return false;
  }
  return false;
}
