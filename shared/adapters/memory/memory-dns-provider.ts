/**
 * In-process DNS zone, as strict as Route 53: a batch fails as a whole when it creates an existing
 * (name, type, set id), deletes a missing record or one whose values differ, names a key twice, carries a
 * weight outside 0-255 or a weighted record without set id. Fencing works as on Route 53: the batch deletes the
 * old `_meshgate-term.<zone>` TXT value and creates the new one, so a stale term fails atomically (`conflict`).
 */
import { MeshgateError, asMeshgateError } from '../../core/errors';
import {
  ROUTE53_LIMITS,
  applyWriteOps,
  canonicalizeRecords,
  compareRecords,
  fenceRecordName,
  fenceTermOf,
  normaliseFqdn,
  recordKey,
  toWriteOps,
  validateChangeSet,
  type DnsLimits,
  type UpdateMode,
} from '../../core/dns-plan';
import type { Outcome } from '../../core/outcome';
import type { AppliedChange, ChangeSet, DnsProvider, DnsRecord, Fence } from '../../ports/dns-provider';

export interface MemoryDnsProviderOptions {
  /** Zone apex, e.g. `example.com`. */
  readonly zone: string;
  readonly name?: string;
  /** Default: Route 53's limits. */
  readonly limits?: DnsLimits;
  /** How updates are checked: `replace` (default) requires the old record to match, `upsert` doesn't. */
  readonly updateMode?: UpdateMode;
  /** Records the zone starts with (the fence record may be among them). */
  readonly records?: readonly DnsRecord[];
}

export class MemoryDnsProvider implements DnsProvider {
  readonly name: string;
  private readonly zone: string;
  private readonly limits: DnsLimits;
  private readonly updateMode: UpdateMode;
  private image = new Map<string, DnsRecord>();
  private changeCounter = 0;
  /** Queued outcomes returned by the next `apply` calls instead of applying (fault injection for tests). */
  private readonly injected: Outcome<AppliedChange>[] = [];

  constructor(options: MemoryDnsProviderOptions) {
    this.zone = normaliseFqdn(options.zone);
    this.name = options.name ?? 'memory';
    this.limits = options.limits ?? ROUTE53_LIMITS;
    this.updateMode = options.updateMode ?? 'replace';
    for (const r of options.records ?? []) this.image.set(recordKey(r), { ...r, fqdn: normaliseFqdn(r.fqdn) });
  }

  async records(fqdn: string): Promise<DnsRecord[]> {
    const name = normaliseFqdn(fqdn);
    return [...this.image.values()].filter((r) => r.fqdn === name && name !== fenceRecordName(this.zone)).sort(compareRecords);
  }

  async currentTerm(): Promise<number> {
    return fenceTermOf(this.image.get(recordKey({ fqdn: fenceRecordName(this.zone), type: 'TXT', setId: '' })));
  }

  async apply(changes: ChangeSet, fence?: Fence): Promise<Outcome<AppliedChange>> {
    const injected = this.injected.shift();
    if (injected) return injected;
    let ops;
    try {
      ops = toWriteOps(changes, this.zone, this.updateMode, fence);
    } catch (err) {
      return { status: 'failure', error: asMeshgateError(err) };
    }
    const problems = validateChangeSet(changes, this.limits, { reservedNames: [fenceRecordName(this.zone)], providerChanges: ops.length });
    if (problems.length > 0) {
      return { status: 'failure', error: new MeshgateError('validation', problems.join('; '), { details: { problems } }) };
    }
    if (ops.length === 0) return { status: 'success', value: { changeCount: 0 } };
    const result = applyWriteOps(this.image, ops);
    if (!result.ok) {
      return {
        status: 'failure',
        error: new MeshgateError('conflict', result.errors.join('; '), { details: { problems: result.errors, zone: this.zone } }),
      };
    }
    this.image = result.zone;
    this.changeCounter += 1;
    return { status: 'success', value: { changeId: `/change/M${this.changeCounter}`, changeCount: ops.length } };
  }

  canonicalize(records: readonly DnsRecord[]): DnsRecord[] {
    return canonicalizeRecords(records, this.limits);
  }

  // ---- test helpers (not part of the port) ----

  /** Every record in the zone, fence included, in deterministic order. */
  snapshot(): DnsRecord[] {
    return [...this.image.values()].sort(compareRecords);
  }

  /** Makes the next `apply` calls return these outcomes without touching the zone (throttling, outages...). */
  injectOutcome(...outcomes: Outcome<AppliedChange>[]): void {
    this.injected.push(...outcomes);
  }
}
