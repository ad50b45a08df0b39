/**
 * Rollouts: which versions a request may reach. `applyRollout` filters the snapshot by version before the
 * strategy runs (order in the router: `applyBreakers` → `applyRollout` → strategy).
 *
 * Base version of a backend: `rolling.version` on the clouds listed in `rolling.clouds`, otherwise
 * `blueGreen.active` when set, otherwise `stable`.
 *
 * Cohort of a request, decided in this order:
 * - `ab`: the key is the request header `ab.keyHeader` (else `ctx.clientKey`); `percentBucket(key) < split`
 *   → `versions[0]` (cohort `a`), else `versions[1]` (cohort `b`). So `split` is the share of `a`.
 * - `canary`: `percentBucket(ctx.clientKey) < percent` → `canary.version` (cohort `canary`).
 * - otherwise cohort `stable`: each backend must run its base version.
 * Hashing is salted per split, so a client's A/B group does not predict its canary group. Requests without a
 * key draw from `ctx.rand` (not sticky); with neither, they get the base version (canary) or `a` (A/B).
 * Percent 0 and 100 are exact.
 *
 * Fallbacks, so a rollout never causes an outage on its own: a canary/A-B cohort with no healthy,
 * non-excluded backend falls back to the base versions; a rolling rollout whose base set has none falls back
 * to either the rolling or the pre-rolling version on any cloud. Blue/green is strict: the inactive colour is
 * never used. When even the last set has no routable backend it is returned as is (unhealthy members included),
 * so `failOpen` still stays within the rollout's versions.
 */
import { MeshgateError } from '../errors';
import { percentBucket } from './hash';
import { CLOUDS, type Backend, type Cloud, type RequestContext, type Snapshot } from './types';

export interface RolloutConfig {
  /** The version everyone gets by default. */
  readonly stable: string;
  /** Sticky share of clients on a new version. */
  readonly canary?: { readonly version: string; readonly percent: number };
  /** Everyone on `active` (replaces `stable` as the base version). */
  readonly blueGreen?: { readonly active: string };
  /** `version` on the listed clouds, the base version on the others. */
  readonly rolling?: { readonly version: string; readonly clouds: readonly Cloud[] };
  /** Sticky experiment: `split` % of keys on `versions[0]`, the rest on `versions[1]`. */
  readonly ab?: { readonly versions: readonly [string, string]; readonly split: number; readonly keyHeader: string };
}

export type Cohort = 'stable' | 'canary' | 'a' | 'b';

export interface RolloutDecision {
  /** The snapshot restricted to the admitted backends, in the original order. */
  readonly snapshot: Snapshot;
  /** The cohort actually served ('stable' after a fallback). */
  readonly cohort: Cohort;
  /** The cohort the request was assigned to before any fallback. */
  readonly assigned: Cohort;
  /** True when the assigned cohort had no routable backend and a wider set was used. */
  readonly fellBack: boolean;
}

export function validateRollout(config: RolloutConfig): RolloutConfig {
  const fail = (path: string, message: string): never => {
    throw new MeshgateError('validation', `rollout.${path}: ${message}`, { details: { path: `rollout.${path}` } });
  };
  const version = (path: string, v: unknown): void => {
    if (typeof v !== 'string' || v.length === 0) fail(path, 'must be a non-empty string');
  };
  const percent = (path: string, v: unknown): void => {
    if (typeof v !== 'number' || !(v >= 0 && v <= 100)) fail(path, 'must be a number from 0 to 100');
  };
  version('stable', config.stable);
  if (config.canary !== undefined) {
    version('canary.version', config.canary.version);
    percent('canary.percent', config.canary.percent);
  }
  if (config.blueGreen !== undefined) version('blueGreen.active', config.blueGreen.active);
  if (config.rolling !== undefined) {
    version('rolling.version', config.rolling.version);
    if (!Array.isArray(config.rolling.clouds)) fail('rolling.clouds', 'must be a list of clouds');
    config.rolling.clouds.forEach((c, i) => {
      if (!CLOUDS.includes(c)) fail(`rolling.clouds[${i}]`, `unknown cloud ${String(c)}`);
    });
  }
  if (config.ab !== undefined) {
    if (!Array.isArray(config.ab.versions) || config.ab.versions.length !== 2) fail('ab.versions', 'must be two versions');
    version('ab.versions[0]', config.ab.versions[0]);
    version('ab.versions[1]', config.ab.versions[1]);
    percent('ab.split', config.ab.split);
    if (typeof config.ab.keyHeader !== 'string' || config.ab.keyHeader.length === 0) {
      fail('ab.keyHeader', 'must be a header name');
    }
  }
  return config;
}

/** Stable bucket in [0, 100) of a client key for a named split (exported for dashboards and tests). */
export const splitBucket = (split: string, key: string): number => percentBucket(key, split);

/** Whether a request falls in the first `percent` % of a split: by key hash, else by `rand`, else `fallback`. */
function inShare(percent: number, split: string, key: string | undefined, ctx: RequestContext, fallback: boolean): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  if (key !== undefined && key.length > 0) return splitBucket(split, key) < percent;
  if (ctx.rand !== undefined) return ctx.rand() * 100 < percent;
  return fallback;
}

export function applyRollout(snapshot: Snapshot, config: RolloutConfig, ctx: RequestContext = {}): RolloutDecision {
  validateRollout(config);
  const baseDefault = config.blueGreen?.active ?? config.stable;
  const rolling = config.rolling;
  const base = (b: Backend): boolean =>
    b.version === (rolling !== undefined && rolling.clouds.includes(b.cloud) ? rolling.version : baseDefault);

  let assigned: Cohort = 'stable';
  let matches = base;
  if (config.ab !== undefined) {
    const { versions, split, keyHeader } = config.ab;
    const key = ctx.headers?.[keyHeader.toLowerCase()] ?? ctx.clientKey;
    const a = inShare(split, `ab:${versions[0]}:${versions[1]}`, key, ctx, true);
    assigned = a ? 'a' : 'b';
    const v = a ? versions[0] : versions[1];
    matches = (b) => b.version === v;
  } else if (config.canary !== undefined) {
    const { version, percent } = config.canary;
    if (inShare(percent, `canary:${version}`, ctx.clientKey, ctx, false)) {
      assigned = 'canary';
      matches = (b) => b.version === version;
    }
  }

  const routable = (set: readonly Backend[]): boolean =>
    set.some((b) => b.healthy && !(ctx.exclude?.has(b.id) ?? false));
  const tiers: Array<{ cohort: Cohort; matches: (b: Backend) => boolean }> = [{ cohort: assigned, matches }];
  if (assigned !== 'stable') tiers.push({ cohort: 'stable', matches: base });
  if (rolling !== undefined) {
    const versions = new Set([rolling.version, baseDefault]);
    tiers.push({ cohort: 'stable', matches: (b) => versions.has(b.version) });
  }

  let index = 0;
  let set: readonly Backend[] = [];
  for (const [i, tier] of tiers.entries()) {
    index = i;
    set = snapshot.backends.filter(tier.matches);
    if (routable(set)) break;
  }
  return {
    snapshot: { ...snapshot, backends: set },
    cohort: tiers[index]?.cohort ?? assigned,
    assigned,
    fellBack: index > 0,
  };
}
