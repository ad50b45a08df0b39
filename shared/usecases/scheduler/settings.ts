/**
 * The scheduler's inputs as the composition root hands them over, validated once per process, with defaults.
 */
import { MeshgateError } from '../../core/errors';
import { DEFAULT_LEASE_CONFIG, validateLeaseConfig, type LeaseConfig } from '../../core/lease';
import { normaliseFqdn, sync, type DnsRecordType, type Policy } from '../../core/dns-plan';
import { DEFAULT_VERDICT_CONFIG, validateVerdictConfig, type VerdictConfig } from '../../core/verdict';
import { DEFAULT_AUDIT_TTL_MS } from '../../core/audit';

/**
 * One weighted record per cloud: the cloud's function-set endpoint with its configured weight. The verdict
 * calls it `id`; health observations call it `cloud:<cloud>`; the DNS set id is `cloud`.
 */
export interface SchedulerTarget {
  /** Verdict target id (usually the cloud name). */
  readonly id: string;
  /** Cloud whose peers observe this target (`observation/cloud:<cloud>/<observer>`); also the DNS set id. */
  readonly cloud: string;
  /** Record values: the endpoint's address(es) (A/AAAA) or host name (CNAME, one value). */
  readonly values: readonly string[];
  readonly type: Exclude<DnsRecordType, 'TXT'>;
  /** Weight when fully healthy, in the DNS provider's range (config `dns.weightScale`). */
  readonly weight: number;
}

/** Timing knobs; all optional. */
export interface SchedulerTuning {
  /**
   * Between two steps (lease check, verdict, reconcile) inside one invocation. Default 2500: the leader reacts to
   * observations within 2.5 s; the lease itself is still written only every `renewEveryMs`. At most the lease's
   * renew interval.
   */
  readonly intervalMs?: number;
  /**
   * Period of the platform schedule (EventBridge / Cloud Scheduler 60, Azure NCRONTAB every 5 s: 5). One
   * invocation runs sub-ticks for at most this long. A tick payload may override it. Default 60.
   */
  readonly scheduleSeconds?: number;
  /** Kept free before the invocation deadline. Default 1000. */
  readonly deadlineMarginMs?: number;
  /** A sub-tick is started only when at least this long remains in the window. Default 1000. */
  readonly minSubTickMs?: number;
  /** Bound on one store call. Default 1000. */
  readonly storeTimeoutMs?: number;
  /** Bound on one DNS call. Default 3000. */
  readonly dnsTimeoutMs?: number;
  /** Apply attempts per reconcile (retryable outcomes and re-plans after a drifted record). Default 3. */
  readonly maxApplyAttempts?: number;
  /** First backoff when a retryable outcome carries no hint; doubles per attempt, with jitter. Default 250. */
  readonly backoffBaseMs?: number;
  /** TTL of audit records. Default 14 days. */
  readonly auditTtlMs?: number;
}

export interface ResolvedSchedulerConfig {
  readonly record: string;
  readonly ttl: number;
  readonly targets: readonly SchedulerTarget[];
  readonly verdict: VerdictConfig;
  readonly lease: LeaseConfig;
  readonly policies: readonly Policy[];
  readonly intervalMs: number;
  readonly scheduleMs: number;
  readonly deadlineMarginMs: number;
  readonly minSubTickMs: number;
  readonly storeTimeoutMs: number;
  readonly dnsTimeoutMs: number;
  readonly maxApplyAttempts: number;
  readonly backoffBaseMs: number;
  readonly auditTtlMs: number;
}

export interface SchedulerSettingsInput {
  /** The config's `dns` block (only `record` and `ttl` are used). */
  readonly dns: { readonly record: string; readonly ttl: number };
  readonly targets: readonly SchedulerTarget[];
  /** Observer clouds whose observations count; default: every observer found. */
  readonly observers?: readonly string[];
  readonly verdict?: Partial<VerdictConfig>;
  readonly lease?: LeaseConfig;
  readonly policies?: readonly Policy[];
  readonly tuning?: SchedulerTuning;
}

const fail = (field: string, why: string): never => {
  throw new MeshgateError('validation', `scheduler.${field}: ${why}`, { details: { field } });
};

function int(field: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) fail(field, `expected an integer in [${min}, ${max}], got ${String(v)}`);
  return v;
}

function validateTargets(targets: readonly SchedulerTarget[]): void {
  if (targets.length === 0) fail('targets', 'at least one target is needed');
  const ids = new Set<string>();
  const clouds = new Set<string>();
  targets.forEach((t, i) => {
    const at = `targets[${i}]`;
    if (typeof t.id !== 'string' || t.id === '') fail(`${at}.id`, 'must be a non-empty string');
    if (typeof t.cloud !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(t.cloud)) fail(`${at}.cloud`, 'must be 1-64 characters from [A-Za-z0-9_.:-]');
    if (ids.has(t.id)) fail(`${at}.id`, `${t.id} listed twice`);
    if (clouds.has(t.cloud)) fail(`${at}.cloud`, `${t.cloud} listed twice (it is the DNS set id)`);
    ids.add(t.id);
    clouds.add(t.cloud);
    if (!['A', 'AAAA', 'CNAME'].includes(t.type)) fail(`${at}.type`, 'must be A, AAAA or CNAME');
    if (t.values.length === 0 || t.values.some((v) => typeof v !== 'string' || v === '')) fail(`${at}.values`, 'must be non-empty strings');
    if (t.type === 'CNAME' && new Set(t.values).size !== 1) fail(`${at}.values`, 'a CNAME holds exactly one value');
    if (!Number.isFinite(t.weight) || t.weight < 0) fail(`${at}.weight`, 'must be a number >= 0');
  });
}

/** Default time between two scheduler steps. */
export const DEFAULT_STEP_MS = 2_500;

/** Validates and applies defaults. Throws `validation` naming `scheduler.<field>` (or `verdict.`/`lease:` for those). */
export function resolveSchedulerConfig(input: SchedulerSettingsInput): ResolvedSchedulerConfig {
  const tuning = input.tuning ?? {};
  const record = typeof input.dns.record === 'string' && input.dns.record.trim() !== '' ? normaliseFqdn(input.dns.record) : fail('dns.record', 'must be a DNS name');
  const ttl = int('dns.ttl', input.dns.ttl, 60, 0, 86_400);
  validateTargets(input.targets);
  const observers = input.observers ?? input.verdict?.observers;
  const verdict: VerdictConfig = { ...DEFAULT_VERDICT_CONFIG, ...input.verdict, ...(observers === undefined ? {} : { observers: [...observers] }) };
  validateVerdictConfig(verdict);
  const lease = input.lease ?? DEFAULT_LEASE_CONFIG;
  validateLeaseConfig(lease);
  const intervalMs = int('tuning.intervalMs', tuning.intervalMs, Math.min(DEFAULT_STEP_MS, lease.renewEveryMs), 100, 60_000);
  if (intervalMs > lease.renewEveryMs) fail('tuning.intervalMs', `must not exceed the lease renew interval (${lease.renewEveryMs} ms)`);
  return {
    record,
    ttl,
    targets: input.targets.map((t) => ({ ...t, values: [...t.values] })),
    verdict,
    lease,
    policies: input.policies ?? [sync],
    intervalMs,
    scheduleMs: int('tuning.scheduleSeconds', tuning.scheduleSeconds, 60, 1, 3600) * 1000,
    deadlineMarginMs: int('tuning.deadlineMarginMs', tuning.deadlineMarginMs, 1000, 0, 60_000),
    minSubTickMs: int('tuning.minSubTickMs', tuning.minSubTickMs, 1000, 1, 60_000),
    storeTimeoutMs: int('tuning.storeTimeoutMs', tuning.storeTimeoutMs, 1000, 1, 60_000),
    dnsTimeoutMs: int('tuning.dnsTimeoutMs', tuning.dnsTimeoutMs, 3000, 1, 60_000),
    maxApplyAttempts: int('tuning.maxApplyAttempts', tuning.maxApplyAttempts, 3, 1, 10),
    backoffBaseMs: int('tuning.backoffBaseMs', tuning.backoffBaseMs, 250, 1, 60_000),
    auditTtlMs: int('tuning.auditTtlMs', tuning.auditTtlMs, DEFAULT_AUDIT_TTL_MS, 1, 366 * 24 * 60 * 60 * 1000),
  };
}
