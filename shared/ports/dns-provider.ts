/**
 * A DNS (or traffic-steering) service that can hold weighted records: Route 53 weighted records,
 * Azure Traffic Manager weighted endpoints, Cloud DNS `routingPolicy.wrr` record sets.
 */
import type { Outcome } from '../core/outcome';

export type DnsRecordType = 'A' | 'AAAA' | 'CNAME' | 'TXT';

/** One weighted record; identity is `(fqdn, setId)`. */
export interface DnsRecord {
  /** Fully qualified, lower case, with trailing dot. */
  readonly fqdn: string;
  readonly type: DnsRecordType;
  /** Route 53 SetIdentifier, Traffic Manager endpoint name, or Cloud DNS WRR item id. Empty for simple records. */
  readonly setId: string;
  /** Relative weight in the provider's range (Route 53: 0-255). Undefined for simple records. */
  readonly weight?: number;
  readonly ttl: number;
  /** Record values (addresses, target host, TXT strings). Never empty. */
  readonly values: readonly string[];
}

/** A change set; `update` pairs carry the old record (as read) and the new one. */
export interface ChangeSet {
  readonly create: readonly DnsRecord[];
  readonly update: readonly { readonly old: DnsRecord; readonly next: DnsRecord }[];
  readonly delete: readonly DnsRecord[];
}

/** Fencing token that travels with every change, so a deposed leader's change is rejected atomically. */
export interface Fence {
  /** Term the caller believes is current (the one the provider holds now). */
  readonly expectedTerm: number;
  /** Term to record with this change. */
  readonly term: number;
}

export interface DnsProvider {
  readonly name: string;

  /** Current records of the managed zone under `fqdn` (all set ids). Read-only, idempotent. */
  records(fqdn: string): Promise<DnsRecord[]>;

  /**
   * Applies a change set all-or-nothing per zone. With a fence, the provider checks and advances the
   * stored term in the same atomic change; a stale term yields `failure` with code `conflict`.
   * Throttling and transient errors yield `retryable` (with the server's retry hint when it gave one).
   */
  apply(changes: ChangeSet, fence?: Fence): Promise<Outcome<{ changeId?: string }>>;

  /** Adjusts desired records to what this provider can represent (weight range, TTL floor, casing). Pure. */
  canonicalize(records: readonly DnsRecord[]): DnsRecord[];
}
