/**
 * DNS planning, as external-dns does it: desired records are diffed against current records in a table keyed by
 * (normalised fqdn, set id), giving a change set; policies then only remove changes. Also the provider-neutral
 * pieces every strict DNS provider shares: canonical form, change-set validation, the fence record and the
 * ordered list of provider-level writes (DELETE/CREATE/UPSERT) a change set becomes.
 *
 * Pure: no I/O, no clock. Output order is deterministic (sorted by fqdn, set id, type).
 */
import { MeshgateError } from './errors';

// ---------------------------------------------------------------------------------------------------------------
// Record model (re-exported by shared/ports/dns-provider.ts).

export type DnsRecordType = 'A' | 'AAAA' | 'CNAME' | 'TXT';

/** One (weighted) record; the planner's identity is `(normalised fqdn, setId)`, a provider's `(fqdn, type, setId)`. */
export interface DnsRecord {
  /** Fully qualified, lower case, with trailing dot (after `canonicalize`; the planner normalises when keying). */
  readonly fqdn: string;
  readonly type: DnsRecordType;
  /** Route 53 SetIdentifier, Traffic Manager endpoint name, or Cloud DNS WRR item id. Empty for simple records. */
  readonly setId: string;
  /** Relative weight in the provider's range (Route 53: integer 0-255). Undefined for simple records. */
  readonly weight?: number;
  /** Time to live in seconds, a non-negative integer. */
  readonly ttl: number;
  /**
   * Record values (addresses, target host, TXT strings). Never empty; compared as a set. TXT values are the
   * unquoted text: providers that need quoting (Route 53) quote and unquote themselves.
   */
  readonly values: readonly string[];
}

/**
 * A change set. A record key appears at most once across `create`, `update` and `delete` (a provider
 * rejects the set with `validation` otherwise). `update` pairs carry the old record (as read) and the new one;
 * providers may require the old record to still match the zone (compare-and-set), failing with `conflict`.
 */
export interface ChangeSet {
  readonly create: readonly DnsRecord[];
  readonly update: readonly { readonly old: DnsRecord; readonly next: DnsRecord }[];
  readonly delete: readonly DnsRecord[];
}

/**
 * Fencing token that travels with every change, so a deposed leader's change is rejected atomically.
 * The provider keeps the current term in the zone (Route 53 and the memory fake: the TXT record
 * `_meshgate-term.<zone>` with value `term=<n>`).
 */
export interface Fence {
  /**
   * Term the caller believes the zone holds now (`DnsProvider.currentTerm()`; 0 = no term recorded yet).
   * The change applies only when the zone still holds exactly this term.
   */
  readonly expectedTerm: number;
  /** Term to record with this change: the caller's lease term. Must be `>= expectedTerm`. */
  readonly term: number;
}

export const EMPTY_CHANGE_SET: ChangeSet = Object.freeze({ create: [], update: [], delete: [] });

/** Lower case with exactly one trailing dot: `MCP.Example.com` → `mcp.example.com.`. */
export function normaliseFqdn(name: string): string {
  const trimmed = name.trim().toLowerCase().replace(/\.+$/, '');
  return `${trimmed}.`;
}

/** The planner's row key: (normalised fqdn, set id). */
export const planKey = (r: Pick<DnsRecord, 'fqdn' | 'setId'>): string => `${normaliseFqdn(r.fqdn)}\u0000${r.setId}`;

/** A provider's record identity: (normalised fqdn, type, set id). Route 53 allows one record set per triple. */
export const recordKey = (r: Pick<DnsRecord, 'fqdn' | 'setId' | 'type'>): string =>
  `${normaliseFqdn(r.fqdn)}\u0000${r.type}\u0000${r.setId}`;

const sortedValues = (r: DnsRecord): string[] => [...new Set(r.values)].sort();

/** Same identity and same content (weight, TTL, values as a set). */
export function sameRecord(a: DnsRecord, b: DnsRecord): boolean {
  if (recordKey(a) !== recordKey(b) || a.weight !== b.weight || a.ttl !== b.ttl) return false;
  const av = sortedValues(a);
  const bv = sortedValues(b);
  return av.length === bv.length && av.every((v, i) => v === bv[i]);
}

const TYPE_ORDER: Record<DnsRecordType, number> = { A: 0, AAAA: 1, CNAME: 2, TXT: 3 };

/** Deterministic order: fqdn, then set id, then type. */
export function compareRecords(a: DnsRecord, b: DnsRecord): number {
  const fa = normaliseFqdn(a.fqdn);
  const fb = normaliseFqdn(b.fqdn);
  if (fa !== fb) return fa < fb ? -1 : 1;
  if (a.setId !== b.setId) return a.setId < b.setId ? -1 : 1;
  return TYPE_ORDER[a.type] - TYPE_ORDER[b.type];
}

/** A policy only removes changes (never adds, never does I/O). */
export type Policy = (changes: ChangeSet) => ChangeSet;

/** Full synchronisation: creates, updates and deletes. */
export const sync: Policy = (changes) => changes;

/** Never deletes: records that are no longer desired stay in the zone. */
export const upsertOnly: Policy = (changes) => ({ create: changes.create, update: changes.update, delete: [] });

/** Only creates missing records. */
export const createOnly: Policy = (changes) => ({ create: changes.create, update: [], delete: [] });

export const applyPolicies = (changes: ChangeSet, policies: readonly Policy[]): ChangeSet =>
  policies.reduce((acc, policy) => policy(acc), changes);

export const isEmptyChangeSet = (c: ChangeSet): boolean => c.create.length + c.update.length + c.delete.length === 0;

interface Row {
  readonly current: DnsRecord[];
  desired?: DnsRecord;
}

/**
 * Diffs `desired` against `current`, keyed by (normalised fqdn, set id), then runs the policies (default: sync).
 *
 * Per row: no current → create; no desired → delete every current record; both → the current record of the
 * desired type (else the first by type order) is updated when it differs, and current records of other types
 * in the row are deleted (a type change). Equal records produce nothing. Created and updated records carry the
 * normalised fqdn; `old` is the current record as read.
 *
 * Throws `MeshgateError('validation')` when `desired` holds the same (fqdn, set id) twice, or when `current`
 * holds the same (fqdn, type, set id) twice.
 */
export function plan(current: readonly DnsRecord[], desired: readonly DnsRecord[], policies: readonly Policy[] = [sync]): ChangeSet {
  const rows = new Map<string, Row>();
  const seenCurrent = new Set<string>();
  for (const record of current) {
    const id = recordKey(record);
    if (seenCurrent.has(id)) throw new MeshgateError('validation', `current records hold ${describe(record)} twice`, { details: { key: id } });
    seenCurrent.add(id);
    const key = planKey(record);
    const row = rows.get(key) ?? { current: [] };
    row.current.push(record);
    rows.set(key, row);
  }
  for (const record of desired) {
    const key = planKey(record);
    const row = rows.get(key) ?? { current: [] };
    if (row.desired) throw new MeshgateError('validation', `desired records hold ${describe(record)} twice`, { details: { key } });
    row.desired = { ...record, fqdn: normaliseFqdn(record.fqdn) };
    rows.set(key, row);
  }

  const create: DnsRecord[] = [];
  const update: { old: DnsRecord; next: DnsRecord }[] = [];
  const del: DnsRecord[] = [];
  for (const row of rows.values()) {
    const { desired: want } = row;
    const have = [...row.current].sort(compareRecords);
    if (!want) {
      del.push(...have);
      continue;
    }
    const match = have.find((r) => r.type === want.type) ?? have[0];
    if (!match) {
      create.push(want);
      continue;
    }
    if (!sameRecord(match, want)) update.push({ old: match, next: want });
    del.push(...have.filter((r) => r !== match));
  }
  create.sort(compareRecords);
  update.sort((a, b) => compareRecords(a.next, b.next));
  del.sort(compareRecords);
  return applyPolicies({ create, update, delete: del }, policies);
}

const describe = (r: Pick<DnsRecord, 'fqdn' | 'type' | 'setId'>): string =>
  `[name='${normaliseFqdn(r.fqdn)}', type='${r.type}'${r.setId ? `, set='${r.setId}'` : ''}]`;

// ---------------------------------------------------------------------------------------------------------------
// Canonical form and validation shared by strict providers.

export interface DnsLimits {
  /** Inclusive weight range (Route 53: 0-255). */
  readonly minWeight: number;
  readonly maxWeight: number;
  /** Lowest TTL the provider will be asked for; canonicalize raises lower TTLs to it. */
  readonly ttlFloor: number;
  /** Most provider-level changes in one atomic batch, fence included (Route 53: 1000). */
  readonly maxChanges: number;
}

export const ROUTE53_LIMITS: DnsLimits = Object.freeze({ minWeight: 0, maxWeight: 255, ttlFloor: 5, maxChanges: 1000 });

/**
 * Canonical form: lower-case fqdn with trailing dot, weight rounded and clamped into range (NaN → min),
 * TTL rounded and raised to the floor, values distinct and sorted. Simple records (no weight) stay simple.
 */
export function canonicalizeRecords(records: readonly DnsRecord[], limits: DnsLimits): DnsRecord[] {
  return records.map((r) => {
    const ttl = Math.max(limits.ttlFloor, Number.isFinite(r.ttl) ? Math.round(r.ttl) : limits.ttlFloor);
    const base = { fqdn: normaliseFqdn(r.fqdn), type: r.type, setId: r.setId, ttl, values: sortedValues(r) };
    if (r.weight === undefined) return base;
    const w = Number.isNaN(r.weight) ? limits.minWeight : Math.round(r.weight);
    return { ...base, weight: Math.min(limits.maxWeight, Math.max(limits.minWeight, w)) };
  });
}

/** Problems with one record as a provider would see it; empty when valid. */
export function recordProblems(r: DnsRecord, limits: DnsLimits): string[] {
  const problems: string[] = [];
  const name = describe(r);
  if (!/^[a-z0-9_*-]+(\.[a-z0-9_-]+)*\.?$/i.test(r.fqdn.trim())) problems.push(`${name}: invalid name`);
  if (!['A', 'AAAA', 'CNAME', 'TXT'].includes(r.type)) problems.push(`${name}: unsupported type`);
  if (r.values.length === 0 || r.values.some((v) => v.length === 0)) problems.push(`${name}: empty values`);
  if (r.type === 'CNAME' && new Set(r.values).size > 1) problems.push(`${name}: a CNAME holds one value`);
  if (!Number.isInteger(r.ttl) || r.ttl < 0) problems.push(`${name}: TTL must be a non-negative integer`);
  if (r.weight !== undefined) {
    if (!Number.isInteger(r.weight) || r.weight < limits.minWeight || r.weight > limits.maxWeight) {
      problems.push(`${name}: weight ${r.weight} outside ${limits.minWeight}-${limits.maxWeight}`);
    }
    if (r.setId === '') problems.push(`${name}: a weighted record needs a set identifier`);
  } else if (r.setId !== '') {
    problems.push(`${name}: a record with a set identifier needs a weight`);
  }
  return problems;
}

/**
 * Validates a change set before anything is sent: every record valid, no record key twice (across create,
 * update old/new keys and delete; an update may change the type within its row), no change to `reservedNames`
 * (the fence record), and at most `limits.maxChanges` provider-level changes (`providerChanges`).
 * Returns the problems; empty when valid.
 */
export function validateChangeSet(
  changes: ChangeSet,
  limits: DnsLimits,
  options: { readonly reservedNames?: readonly string[]; readonly providerChanges?: number } = {},
): string[] {
  const problems: string[] = [];
  const reserved = new Set((options.reservedNames ?? []).map(normaliseFqdn));
  const seen = new Set<string>();
  const claim = (r: DnsRecord): void => {
    const key = recordKey(r);
    if (seen.has(key)) problems.push(`${describe(r)}: appears more than once in the change set`);
    seen.add(key);
    if (reserved.has(normaliseFqdn(r.fqdn))) problems.push(`${describe(r)}: reserved for the fence`);
  };
  for (const r of changes.create) {
    claim(r);
    problems.push(...recordProblems(r, limits));
  }
  for (const { old, next } of changes.update) {
    claim(next);
    if (recordKey(old) !== recordKey(next)) claim(old);
    if (planKey(old) !== planKey(next)) problems.push(`${describe(next)}: an update must keep fqdn and set id (was ${describe(old)})`);
    problems.push(...recordProblems(next, limits));
  }
  for (const r of changes.delete) claim(r);
  const count = options.providerChanges ?? changes.create.length + 2 * changes.update.length + changes.delete.length;
  if (count > limits.maxChanges) problems.push(`${count} changes exceed the limit of ${limits.maxChanges} per batch`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Fencing and provider-level writes.

/** First label of the fence record; the record is `_meshgate-term.<zone>`. */
export const FENCE_LABEL = '_meshgate-term';
/** TTL of the fence record (nobody resolves it; it only has to exist). */
export const FENCE_TTL = 60;

export const fenceRecordName = (zone: string): string => normaliseFqdn(`${FENCE_LABEL}.${normaliseFqdn(zone)}`);

export const fenceValue = (term: number): string => `term=${term}`;

/** Parses `term=<n>`; undefined when the value isn't one. */
export function parseFenceValue(value: string): number | undefined {
  const match = /^"?term=(\d{1,15})"?$/.exec(value.trim());
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * The term a fence record holds; 0 when there is no fence record. Throws `MeshgateError('internal')` when the
 * record holds anything but one `term=<n>` value (someone edited it by hand).
 */
export function fenceTermOf(record: DnsRecord | undefined): number {
  if (!record) return 0;
  const terms = record.values.map(parseFenceValue);
  const term = terms[0];
  if (terms.length !== 1 || term === undefined) {
    throw new MeshgateError('internal', `fence record ${record.fqdn} holds ${JSON.stringify(record.values)}, not one term`);
  }
  return term;
}

/** The fence TXT record holding `term`. */
export const fenceRecord = (zone: string, term: number): DnsRecord => ({
  fqdn: fenceRecordName(zone),
  type: 'TXT',
  setId: '',
  ttl: FENCE_TTL,
  values: [fenceValue(term)],
});

export type WriteAction = 'CREATE' | 'DELETE' | 'UPSERT';

/** One provider-level change, in the vocabulary of Route 53's ChangeBatch. */
export interface WriteOp {
  readonly action: WriteAction;
  readonly record: DnsRecord;
}

/** How updates are written: `replace` = DELETE old + CREATE new (old must still match); `upsert` = UPSERT new. */
export type UpdateMode = 'replace' | 'upsert';

/**
 * The ordered provider-level writes for a change set: first all DELETEs (the old fence value, deleted records,
 * old halves of replaced updates), then all CREATEs (the new fence value, new halves, created records), then
 * UPSERTs. With a fence, the batch deletes `term=<expectedTerm>` (when > 0) and creates `term=<term>`, so it
 * fails as a whole unless the zone still holds the expected term. Updates that change the type are always
 * replaced (UPSERT can't change a type).
 *
 * Throws `MeshgateError('conflict')` when `fence.term < fence.expectedTerm` (the caller's term is stale).
 */
export function toWriteOps(changes: ChangeSet, zone: string, mode: UpdateMode, fence?: Fence): WriteOp[] {
  const deletes: WriteOp[] = [];
  const creates: WriteOp[] = [];
  const upserts: WriteOp[] = [];
  if (fence) {
    if (!Number.isInteger(fence.term) || !Number.isInteger(fence.expectedTerm) || fence.expectedTerm < 0 || fence.term < 1) {
      throw new MeshgateError('validation', `invalid fence ${JSON.stringify(fence)}`);
    }
    if (fence.term < fence.expectedTerm) {
      throw new MeshgateError('conflict', `term ${fence.term} is older than the zone's term ${fence.expectedTerm}`, {
        details: { term: fence.term, expectedTerm: fence.expectedTerm },
      });
    }
    if (fence.expectedTerm > 0) deletes.push({ action: 'DELETE', record: fenceRecord(zone, fence.expectedTerm) });
    creates.push({ action: 'CREATE', record: fenceRecord(zone, fence.term) });
  }
  for (const r of changes.delete) deletes.push({ action: 'DELETE', record: r });
  for (const { old, next } of changes.update) {
    if (mode === 'upsert' && old.type === next.type) {
      upserts.push({ action: 'UPSERT', record: next });
    } else {
      deletes.push({ action: 'DELETE', record: old });
      creates.push({ action: 'CREATE', record: next });
    }
  }
  for (const r of changes.create) creates.push({ action: 'CREATE', record: r });
  return [...deletes, ...creates, ...upserts];
}

/**
 * Applies writes to a zone image the way Route 53 validates a batch: in order, a CREATE of an existing record
 * fails, a DELETE of a missing record or of one whose weight, TTL or values differ fails. All or nothing.
 * Returns the new image, or the error messages (Route 53 wording) when the batch would be rejected.
 */
export function applyWriteOps(
  zone: ReadonlyMap<string, DnsRecord>,
  ops: readonly WriteOp[],
): { readonly ok: true; readonly zone: Map<string, DnsRecord> } | { readonly ok: false; readonly errors: string[] } {
  const next = new Map(zone);
  const errors: string[] = [];
  for (const { action, record } of ops) {
    const key = recordKey(record);
    const existing = next.get(key);
    const canonical = { ...record, fqdn: normaliseFqdn(record.fqdn) };
    if (action === 'CREATE') {
      if (existing) errors.push(`Tried to create resource record set ${describe(record)} but it already exists`);
      else next.set(key, canonical);
    } else if (action === 'DELETE') {
      if (!existing) errors.push(`Tried to delete resource record set ${describe(record)} but it was not found`);
      else if (!sameRecord(existing, record)) {
        errors.push(`Tried to delete resource record set ${describe(record)} but the values provided do not match the current values`);
      } else next.delete(key);
    } else {
      next.set(key, canonical);
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, zone: next };
}
