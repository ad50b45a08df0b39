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
  // Each step keeps its input array when it would drop nothing, so the common case (all healthy, none excluded,
  // none drained) allocates no array at all.
  const open = exclude === undefined || exclude.size === 0 ? snapshot.backends : keep(snapshot.backends, notIn, exclude);
  let tier = keep(open, isHealthy, undefined);
  let failedOpen = false;
  if (tier.length === 0 && ctx.failOpen === true) {
    tier = open;
    failedOpen = tier.length > 0;
  }
  const weighted = keep(tier, hasWeight, undefined);
  if (weighted.length > 0) tier = weighted;
  const other = ctx.preferCloudOtherThan;
  if (other !== undefined) {
    const elsewhere = keep(tier, notOnCloud, other);
    if (elsewhere.length > 0) tier = elsewhere;
  }
  return { backends: tier, failedOpen };
}

const notIn = (b: Backend, exclude: ReadonlySet<string> | undefined): boolean => !(exclude?.has(b.id) ?? false);
const isHealthy = (b: Backend): boolean => b.healthy;
const hasWeight = (b: Backend): boolean => b.weight > 0;
const notOnCloud = (b: Backend, cloud: Backend['cloud'] | undefined): boolean => b.cloud !== cloud;

/** `list.filter(b => test(b, arg))`, but `list` itself when every element passes. */
function keep<A>(list: readonly Backend[], test: (b: Backend, arg: A) => boolean, arg: A): readonly Backend[] {
  const n = list.length;
  let i = 0;
  while (i < n && test(list[i] as Backend, arg)) i++;
  if (i === n) return list;
  const out = list.slice(0, i);
  for (i += 1; i < n; i++) {
    const b = list[i] as Backend;
    if (test(b, arg)) out.push(b);
  }
  return out;
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
  const n = items.length;
  if (n === 0) return -1;
  const m = keys.length;
  const bestKeys: Array<number | undefined> = new Array<number | undefined>(m);
  const take = (item: T): void => {
    for (let k = 0; k < m; k++) bestKeys[k] = (keys[k] as (t: T) => number | undefined)(item);
  };
  let best = 0;
  take(items[0] as T);
  for (let i = 1; i < n; i++) {
    const item = items[i] as T;
    if (less(item, keys, bestKeys)) {
      best = i;
      take(item);
    }
  }
  return best;
}

/** Lexicographic `keys(item) < bestKeys`; undefined ranks after every number; keys are evaluated lazily. */
function less<T>(item: T, keys: ReadonlyArray<(t: T) => number | undefined>, bestKeys: ReadonlyArray<number | undefined>): boolean {
  for (let k = 0; k < keys.length; k++) {
    const x = (keys[k] as (t: T) => number | undefined)(item);
    const y = bestKeys[k];
    if (x === y) continue;
    if (x === undefined) return false;
    if (y === undefined) return true;
    if (x < y) return true;
    if (x > y) return false;
  }
  return false;
}
