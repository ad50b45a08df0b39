/**
 * A DNS (or traffic-steering) service that can hold weighted records: Route 53 weighted records,
 * Azure Traffic Manager weighted endpoints, Cloud DNS `routingPolicy.wrr` record sets.
 *
 * The leader scheduler reads the current records, computes a plan with `plan()` (shared/core/dns-plan.ts) against
 * the canonicalised desired records, and applies the resulting change set with its lease term as the fence.
 */
import type { ChangeSet, DnsRecord, Fence } from '../core/dns-plan';
import type { Outcome } from '../core/outcome';

export type { ChangeSet, DnsRecord, DnsRecordType, Fence } from '../core/dns-plan';

/** Success value of {@link DnsProvider.apply}. */
export interface AppliedChange {
  /** Provider's change id (Route 53: `/change/C...`), when it gives one; usable with `waitForInsync`. */
  readonly changeId?: string;
  /** Number of provider-level changes sent (Route 53: changes in the ChangeBatch, fence included). 0 for a no-op. */
  readonly changeCount: number;
}

export interface DnsProvider {
  /** Stable name for logs and metrics, e.g. `route53`, `memory`. */
  readonly name: string;

  /**
   * Current records named exactly `fqdn` (any casing, with or without trailing dot), all set ids and all
   * supported types, in a deterministic order. The fence record is never returned. Read-only, idempotent.
   * Rejects with a `MeshgateError`: `not_found` (zone missing), `throttled`/`unavailable` (retryable),
   * `unauthorized`, `internal`.
   */
  records(fqdn: string): Promise<DnsRecord[]>;

  /**
   * Term currently recorded in the zone by the last fenced `apply`, 0 when none. Read-only, idempotent.
   * Rejects like {@link DnsProvider.records}.
   */
  currentTerm(): Promise<number>;

  /**
   * Applies a change set all-or-nothing per zone (one Route 53 ChangeBatch). With a fence, the provider checks
   * and advances the stored term in the same atomic change.
   *
   * Outcomes: `success` (everything applied; an empty change set without fence is a no-op that calls nothing);
   * `failure` with `validation` (the set is malformed: duplicate keys, weight out of range, missing set id on a
   * weighted record, empty values, too many changes, touching the fence record; nothing was sent);
   * `failure` with `conflict` (a stale term, a record to create already exists, a record to delete or update
   * no longer matches: re-read and re-plan, or step down when the term moved on; nothing applied);
   * `failure` with `not_found`/`unauthorized`; `retryable` (throttling, a prior change still pending, 5xx,
   * network) with the server's or a default retry hint. Not idempotent: a replayed create fails with `conflict`.
   */
  apply(changes: ChangeSet, fence?: Fence): Promise<Outcome<AppliedChange>>;

  /**
   * Adjusts desired records to what this provider can represent (weight range and rounding, TTL floor,
   * lower-case fqdn with trailing dot, sorted distinct values), so the planner doesn't keep proposing changes
   * the provider can't hold. Pure; idempotent.
   */
  canonicalize(records: readonly DnsRecord[]): DnsRecord[];
}
