/**
 * Google Cloud DNS weighted round robin (`routingPolicy.wrr`) as a {@link DnsProvider}, over the Cloud DNS REST API v1.
 *
 * Model. Cloud DNS holds ONE record set per (name, type); a weighted name is one rrset whose
 * `routingPolicy.wrr.items[]` are `{weight, rrdatas}`. Items have no ids, so each meshgate weighted record (set id)
 * is one item, items are ordered by set id, and the set ids are recorded in a companion TXT rrset
 * `_meshgate-sets.<name>` with one value per weighted type, `"<TYPE> <id> <id> ..."` (ids URI-encoded, in item
 * order). The companion changes in the same atomic change as the rrset it describes. A record without set id is a
 * plain rrset (`rrdatas`, no routing policy). All items of an rrset share its TTL, so `canonicalize` gives every
 * weighted record of a (name, type) the lowest of their TTLs. Weights are the port's 0-255 (Cloud DNS takes any
 * non-negative number; 0 is a valid item weight). TXT values are written as quoted strings of at most 255 bytes and
 * read back unquoted; CNAME targets are fully qualified with a trailing dot (canonicalize adds it).
 *
 * Apply. One `POST .../changes` with `deletions` and `additions`, which Cloud DNS applies atomically ("Atomically
 * updates the ResourceRecordSet collection"). A deletion must match the current rrset exactly (else HTTP 412
 * `conditionNotMet`, or 404 `notFound` when the rrset is missing) and an addition must not exist unless deleted in the
 * same change (else 409 `alreadyExists`). The adapter reads the rrsets the change set touches, checks it against the
 * records as read (a create of an existing set id, or a delete/update of a record that no longer matches →
 * `conflict`, nothing sent), then deletes every touched rrset exactly as read and adds its new version. So a
 * concurrent writer between the read and the POST makes Cloud DNS reject the whole change: compare-and-set per rrset.
 *
 * Fencing, exactly like Route 53: the change also deletes `_meshgate-term.<zone>` TXT `"term=<expectedTerm>"`
 * (omitted when expectedTerm = 0) and adds `"term=<term>"`. A deposed leader's deletion no longer matches (412) and
 * Cloud DNS rejects the whole change; a first-term claim over an existing term gets 409. Both → `conflict`.
 *
 * Record sets not ours are skipped by `records()`: other types, other routing policies (geo, primaryBackup), and wrr
 * rrsets without a companion entry (made by hand); changing their (name, type) yields `conflict`. HTTP 400 →
 * `validation`, 401/403 → `unauthorized` (403 rate-limit reasons → retryable), 404 → `not_found` (a missing zone) or
 * `conflict` (a deletion in the change), 409/412 → `conflict`, 429/5xx → `retryable` with Retry-After when given.
 * The change comes back `pending` or `done`; `waitForDone` polls `changes.get`.
 *
 * References: Cloud DNS API v1, resourceRecordSets.list
 * https://cloud.google.com/dns/docs/reference/rest/v1/resourceRecordSets/list , changes.create / changes.get
 * https://cloud.google.com/dns/docs/reference/rest/v1/changes , ResourceRecordSet (RRSetRoutingPolicy, WrrPolicy:
 * "This weight must be non-negative") https://cloud.google.com/dns/docs/reference/rest/v1/resourceRecordSets ; the
 * discovery document googleapis/google-api-go-client dns/v1/dns-api.json; routing policies
 * https://cloud.google.com/dns/docs/routing-policies-overview ; Google JSON errors `{error:{code,message,errors:[{reason}]}}`
 * https://cloud.google.com/apis/design/errors . Error texts as Cloud DNS returns them (412 "Precondition not met for
 * 'entity.change.deletions[0]'", 404 "... does not exist.", 409 "... already exists") as reported in
 * kubernetes-sigs/external-dns issues #467 and #2817 and shown by Google's own LocalDnsHelper (google-cloud-java).
 */
import { MeshgateError, type ErrorCode } from '../../core/errors';
import {
  FENCE_TTL,
  applyWriteOps,
  canonicalizeRecords,
  compareRecords,
  fenceRecordName,
  fenceTermOf,
  fenceValue,
  normaliseFqdn,
  recordKey,
  toWriteOps,
  validateChangeSet,
  type DnsLimits,
  type WriteOp,
} from '../../core/dns-plan';
import type { Outcome } from '../../core/outcome';
import { quoteTxtIn, unquoteTxtIn } from '../_base/dns-txt';
import { errorName, fetchRestSend, networkError, outcomeOfError, redact, retryAfter, type RestRequest, type RestResponse } from '../http/rest-call';
import type { Clock } from '../../ports/clock';
import type { AppliedChange, ChangeSet, DnsProvider, DnsRecord, DnsRecordType, Fence } from '../../ports/dns-provider';
import type { Logger } from '../../ports/logger';

/** First label of the companion rrset holding the set ids: `_meshgate-sets.<name>`. */
export const SETS_LABEL = '_meshgate-sets';
export const setsRecordName = (fqdn: string): string => normaliseFqdn(`${SETS_LABEL}.${normaliseFqdn(fqdn)}`);

/** Port weights 0-255, TTL floor 5 s, at most 1000 record-level writes per change (fence included). */
export const CLOUD_DNS_LIMITS: DnsLimits = Object.freeze({ minWeight: 0, maxWeight: 255, ttlFloor: 5, maxChanges: 1000 });
const DEFAULT_BASE_URL = 'https://dns.googleapis.com';
const SUPPORTED_TYPES: ReadonlySet<string> = new Set<DnsRecordType>(['A', 'AAAA', 'CNAME', 'TXT']);
const MAX_PAGES = 1_000;

/** One HTTPS request to Cloud DNS, as this adapter makes it. */
export interface CloudDnsRequest extends RestRequest {
  readonly method: 'GET' | 'POST';
}

/** Header names lower-case. */
export type CloudDnsResponse = RestResponse;

/**
 * The one call this adapter makes: send an HTTP request to the Cloud DNS API. {@link fetchCloudDnsApi} is the real
 * one; tests point it at a loopback fake or stub it. Rejects only for network errors and timeouts.
 */
export interface CloudDnsApi {
  send(request: CloudDnsRequest): Promise<CloudDnsResponse>;
}

export interface CloudDnsDnsProviderOptions {
  readonly project: string;
  /** Managed zone name or id (the API's `managedZone`). */
  readonly managedZone: string;
  /** The zone's DNS name, e.g. `example.com`; the fence record is `_meshgate-term.<zoneName>`. */
  readonly zoneName: string;
  /** OAuth 2 access token with scope `ndev.clouddns.readwrite` or `cloud-platform` (obtained elsewhere). */
  readonly tokenProvider: () => Promise<string>;
  readonly name?: string;
  /** Default `https://dns.googleapis.com`. */
  readonly baseUrl?: string;
  /** Default: {@link CLOUD_DNS_LIMITS}. */
  readonly limits?: DnsLimits;
  /** Most rrset deletions and most rrset additions per change (the project's rrsetDeletionsPerChange/AdditionsPerChange quota). Default 100. */
  readonly maxRrsetsPerChange?: number;
  /** `maxResults` for rrsets.list; default: the server decides. */
  readonly pageSize?: number;
  /** Retry hint for 429 without Retry-After. Default 1000 ms. */
  readonly throttleRetryMs?: number;
  /** Retry hint for 5xx and network errors. Default 500 ms. */
  readonly unavailableRetryMs?: number;
  /** Per-request timeout. Default 10 s. */
  readonly timeoutMs?: number;
  /** One debug line per request (method, path, status, duration); never headers or bodies. */
  readonly logger?: Logger;
  /** Used for Retry-After dates and `waitForDone`. Default: the real clock. */
  readonly clock?: Pick<Clock, 'now' | 'sleep'>;
}

export interface CloudDnsClientConfig extends Omit<CloudDnsDnsProviderOptions, 'clock'> {
  /** The fetch to use. Default: Node's global fetch (no HTTP library in the function bundle). */
  readonly fetch?: typeof fetch;
}

// ---- Cloud DNS shapes (only the fields we read; everything else is kept as read) ----

interface WrrItem {
  weight?: unknown;
  rrdatas?: unknown;
  [key: string]: unknown;
}

/** A ResourceRecordSet as Cloud DNS returns and takes it. */
export interface Rrset {
  kind?: string;
  name: string;
  type: string;
  ttl?: number;
  rrdatas?: string[];
  routingPolicy?: { wrr?: { items?: WrrItem[]; [key: string]: unknown }; [key: string]: unknown };
  [key: string]: unknown;
}

interface ChangeBody {
  id?: unknown;
  status?: unknown;
}

/** The rrsets at one name, decoded. */
interface NameState {
  readonly name: string;
  /** Our records (plain rrsets and wrr rrsets described by the companion). */
  readonly records: DnsRecord[];
  /** Raw rrsets of supported types, by type: ours and foreign. */
  readonly raw: Map<string, Rrset>;
  /** Types whose rrset is not ours (other routing policy, or wrr without companion entry). */
  readonly foreign: Set<string>;
  readonly companion?: Rrset;
}

const realClock: Pick<Clock, 'now' | 'sleep'> = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class CloudDnsDnsProvider implements DnsProvider {
  readonly name: string;
  private readonly zone: string;
  private readonly zoneUrl: string;
  private readonly limits: DnsLimits;
  private readonly maxRrsetsPerChange: number;
  private readonly pageSize: number | undefined;
  private readonly tokenProvider: () => Promise<string>;
  private readonly throttleRetryMs: number;
  private readonly unavailableRetryMs: number;
  private readonly timeoutMs: number;
  private readonly logger: Logger | undefined;
  private readonly clock: Pick<Clock, 'now' | 'sleep'>;

  constructor(
    private readonly api: CloudDnsApi,
    options: CloudDnsDnsProviderOptions,
  ) {
    for (const key of ['project', 'managedZone'] as const) {
      if (!options[key] || /[/?#]/.test(options[key])) throw new MeshgateError('validation', `cloud-dns: ${key} is empty or invalid`);
    }
    this.zone = normaliseFqdn(options.zoneName);
    if (this.zone === '.') throw new MeshgateError('validation', 'cloud-dns: zoneName is empty');
    const base = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.zoneUrl = `${base}/dns/v1/projects/${encodeURIComponent(options.project)}/managedZones/${encodeURIComponent(options.managedZone)}`;
    this.name = options.name ?? 'cloud-dns';
    this.limits = options.limits ?? CLOUD_DNS_LIMITS;
    this.maxRrsetsPerChange = options.maxRrsetsPerChange ?? 100;
    this.pageSize = options.pageSize;
    this.tokenProvider = options.tokenProvider;
    this.throttleRetryMs = options.throttleRetryMs ?? 1_000;
    this.unavailableRetryMs = options.unavailableRetryMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.logger = options.logger;
    this.clock = options.clock ?? realClock;
  }

  async records(fqdn: string): Promise<DnsRecord[]> {
    const name = normaliseFqdn(fqdn);
    if (name === fenceRecordName(this.zone) || isCompanionName(name)) return [];
    return [...(await this.readName(name)).records].sort(compareRecords);
  }

  async currentTerm(): Promise<number> {
    const fence = (await this.list(fenceRecordName(this.zone), 'TXT'))[0];
    if (!fence) return 0;
    return fenceTermOf({ fqdn: fence.name, type: 'TXT', setId: '', ttl: fence.ttl ?? 0, values: (fence.rrdatas ?? []).map(unquoteTxt) });
  }

  async apply(changes: ChangeSet, fence?: Fence): Promise<Outcome<AppliedChange>> {
    let ops: WriteOp[];
    try {
      ops = toWriteOps(changes, this.zone, 'replace', fence);
    } catch (err) {
      return { status: 'failure', error: err instanceof MeshgateError ? err : new MeshgateError('validation', String(err)) };
    }
    const fenceName = fenceRecordName(this.zone);
    const problems = [
      ...validateChangeSet(changes, this.limits, { reservedNames: [fenceName], providerChanges: ops.length }),
      ...this.zoneProblems(changes),
    ];
    if (problems.length > 0) return this.invalid(problems);
    if (ops.length === 0) return { status: 'success', value: { changeCount: 0 } };

    const recordOps = ops.filter((op) => normaliseFqdn(op.record.fqdn) !== fenceName);
    const names = [...new Set(recordOps.map((op) => normaliseFqdn(op.record.fqdn)))].sort();
    let states: NameState[];
    try {
      states = await Promise.all(names.map((n) => this.readName(n)));
    } catch (err) {
      return this.outcomeOf(err);
    }
    const image = new Map<string, DnsRecord>();
    for (const s of states) for (const r of s.records) image.set(recordKey(r), r);
    const result = applyWriteOps(image, recordOps);
    if (!result.ok) return this.conflict(result.errors.join('; '), { problems: result.errors });

    const deletions: Rrset[] = [];
    const additions: Rrset[] = [];
    if (fence) {
      if (fence.expectedTerm > 0) deletions.push(fenceRrset(fenceName, fence.expectedTerm));
      additions.push(fenceRrset(fenceName, fence.term));
    }
    for (const state of states) {
      const next = [...result.zone.values()].filter((r) => r.fqdn === state.name);
      const planned = planName(state, next);
      if (planned.problem) return planned.problem.code === 'conflict' ? this.conflict(planned.problem.message, { name: state.name }) : this.invalid([planned.problem.message]);
      deletions.push(...planned.deletions);
      additions.push(...planned.additions);
    }
    if (deletions.length > this.maxRrsetsPerChange || additions.length > this.maxRrsetsPerChange) {
      return this.invalid([`the change needs ${deletions.length} deletions and ${additions.length} additions; at most ${this.maxRrsetsPerChange} each per change`]);
    }
    const changeCount = deletions.length + additions.length;
    if (changeCount === 0) return { status: 'success', value: { changeCount: 0 } };
    try {
      const res = await this.call('POST', `${this.zoneUrl}/changes`, JSON.stringify({ kind: 'dns#change', additions, deletions }));
      if (res.status !== 200) throw this.httpError(res, 'changes.create');
      const change = parseJson<ChangeBody>(res.body, 'changes.create');
      const changeId = typeof change.id === 'string' ? change.id : undefined;
      return { status: 'success', value: changeId === undefined ? { changeCount } : { changeId, changeCount } };
    } catch (err) {
      return this.outcomeOf(err);
    }
  }

  /**
   * Canonical form (weights 0-255, TTL floor, lower-case names, sorted distinct values), then CNAME targets fully
   * qualified, and every weighted record of a (name, type) given the lowest of their TTLs (one rrset, one TTL).
   */
  canonicalize(records: readonly DnsRecord[]): DnsRecord[] {
    const canonical = canonicalizeRecords(records, this.limits).map((r) =>
      r.type === 'CNAME' ? { ...r, values: [...new Set(r.values.map(normaliseFqdn))].sort() } : r,
    );
    const ttl = new Map<string, number>();
    const group = (r: DnsRecord): string => `${r.fqdn}\u0000${r.type}`;
    for (const r of canonical) if (r.weight !== undefined) ttl.set(group(r), Math.min(r.ttl, ttl.get(group(r)) ?? Number.POSITIVE_INFINITY));
    return canonical.map((r) => (r.weight === undefined ? r : { ...r, ttl: ttl.get(group(r)) ?? r.ttl }));
  }

  /**
   * Polls changes.get until the change is `done`. `retryable` with code `timeout` when still `pending` after
   * `timeoutMs`; other errors as for `apply`.
   */
  async waitForDone(changeId: string, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<Outcome<{ status: 'done' }>> {
    const deadline = this.clock.now() + (options.timeoutMs ?? 60_000);
    const interval = options.intervalMs ?? 1_000;
    for (;;) {
      try {
        const res = await this.call('GET', `${this.zoneUrl}/changes/${encodeURIComponent(changeId)}`);
        if (res.status !== 200) throw this.httpError(res, 'changes.get');
        if (parseJson<ChangeBody>(res.body, 'changes.get').status === 'done') return { status: 'success', value: { status: 'done' } };
      } catch (err) {
        const outcome = this.outcomeOf(err);
        if (outcome.status === 'failure') return outcome;
      }
      if (this.clock.now() + interval > deadline) {
        return { status: 'retryable', error: new MeshgateError('timeout', `cloud-dns: change ${changeId} still pending`), retryInMs: interval };
      }
      await this.clock.sleep(interval);
    }
  }

  // ---- reading ----

  /** The rrsets at `name` and its companion, decoded. */
  private async readName(name: string): Promise<NameState> {
    const [rrsets, companions] = await Promise.all([this.list(name), this.list(setsRecordName(name), 'TXT')]);
    return decodeName(name, rrsets, companions[0]);
  }

  /** rrsets.list filtered by name (and type), all pages. */
  private async list(name: string, type?: string): Promise<Rrset[]> {
    const out: Rrset[] = [];
    const tokens = new Set<string>();
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const query = new URLSearchParams({ name });
      if (type) query.set('type', type);
      if (this.pageSize) query.set('maxResults', String(this.pageSize));
      if (pageToken) query.set('pageToken', pageToken);
      const res = await this.call('GET', `${this.zoneUrl}/rrsets?${query.toString()}`);
      if (res.status !== 200) throw this.httpError(res, 'rrsets.list');
      const body = parseJson<{ rrsets?: unknown; nextPageToken?: unknown }>(res.body, 'rrsets.list');
      for (const set of Array.isArray(body.rrsets) ? (body.rrsets as Rrset[]) : []) {
        if (set && typeof set.name === 'string' && typeof set.type === 'string' && normaliseFqdn(set.name) === name && (!type || set.type === type)) out.push(set);
      }
      const next = typeof body.nextPageToken === 'string' && body.nextPageToken !== '' ? body.nextPageToken : undefined;
      if (!next) return out;
      if (tokens.has(next)) throw new MeshgateError('internal', `cloud-dns rrsets.list: page token repeated for ${name}`);
      tokens.add(next);
      pageToken = next;
    }
    throw new MeshgateError('internal', `cloud-dns rrsets.list: more than ${MAX_PAGES} pages for ${name}`);
  }

  /** Names must be in the zone and not a companion name (those are ours). */
  private zoneProblems(changes: ChangeSet): string[] {
    const problems: string[] = [];
    const all = [...changes.create, ...changes.delete, ...changes.update.flatMap((u) => [u.old, u.next])];
    for (const r of new Set(all.map((x) => normaliseFqdn(x.fqdn)))) {
      if (r !== this.zone && !r.endsWith(`.${this.zone}`)) problems.push(`${r}: not in zone ${this.zone}`);
      if (isCompanionName(r)) problems.push(`${r}: reserved for meshgate's set ids`);
    }
    return problems;
  }

  // ---- HTTP ----

  private async call(method: 'GET' | 'POST', url: string, body?: string): Promise<CloudDnsResponse> {
    let token: string;
    try {
      token = await this.tokenProvider();
    } catch (err) {
      throw err instanceof MeshgateError ? err : new MeshgateError('unavailable', 'cloud-dns: the token provider failed', { cause: err, retryable: true });
    }
    if (typeof token !== 'string' || token === '') throw new MeshgateError('unauthorized', 'cloud-dns: the token provider returned no token');
    const started = this.clock.now();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const path = new URL(url).pathname;
    let res: CloudDnsResponse;
    try {
      res = await this.api.send({ method, url, headers, ...(body === undefined ? {} : { body }), timeoutMs: this.timeoutMs });
    } catch (err) {
      this.logger?.warn({ provider: this.name, method, path, error: redact(errorName(err), token) }, 'cloud-dns request failed');
      throw networkError(err, `cloud-dns ${method} ${path}`, token);
    }
    this.logger?.debug({ provider: this.name, method, path, status: res.status, ms: this.clock.now() - started }, 'cloud-dns request');
    return { ...res, body: redact(res.body, token) };
  }

  private httpError(res: CloudDnsResponse, operation: string): MeshgateError {
    const { message, reasons } = googleError(res.body);
    const detail = `cloud-dns ${operation}: HTTP ${res.status}${reasons.length > 0 ? ` ${reasons.join(',')}` : ''}${message ? `: ${message}` : ''}`;
    const retryAfterMs = retryAfter(res.headers['retry-after'], this.clock.now());
    const code = codeFor(res.status, reasons, message ?? '');
    const details = { operation, status: res.status, reasons, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    return new MeshgateError(code, detail, { details, ...(code === 'throttled' || code === 'unavailable' ? { retryable: true } : {}) });
  }

  private outcomeOf(err: unknown): Outcome<never> {
    return outcomeOfError(err, { throttleRetryMs: this.throttleRetryMs, unavailableRetryMs: this.unavailableRetryMs });
  }

  private invalid(problems: string[]): Outcome<never> {
    return { status: 'failure', error: new MeshgateError('validation', `cloud-dns: ${problems.join('; ')}`, { details: { problems } }) };
  }

  private conflict(message: string, details: Record<string, unknown>): Outcome<never> {
    return { status: 'failure', error: new MeshgateError('conflict', `cloud-dns: ${message}`, { details }) };
  }
}

/** Builds the provider with the real HTTP client (Node's global fetch unless `config.fetch` is given). */
export function createCloudDnsDnsProvider(config: CloudDnsClientConfig): CloudDnsDnsProvider {
  return new CloudDnsDnsProvider(fetchCloudDnsApi(config.fetch), config);
}

/** The real {@link CloudDnsApi}: one fetch per call (Node's global fetch by default), bounded by the request's timeout. */
export function fetchCloudDnsApi(fetchFn: typeof fetch = globalThis.fetch): CloudDnsApi {
  return { send: fetchRestSend(fetchFn) };
}

// ---- mapping ----

const isCompanionName = (name: string): boolean => name.startsWith(`${SETS_LABEL}.`);

function fenceRrset(name: string, term: number): Rrset {
  return { kind: 'dns#resourceRecordSet', name, type: 'TXT', ttl: FENCE_TTL, rrdatas: [quoteTxt(fenceValue(term))] };
}

/** Companion values: `TYPE id id ...` per weighted type. */
function parseCompanion(companion: Rrset | undefined): Map<string, string[]> {
  const byType = new Map<string, string[]>();
  for (const data of companion?.rrdatas ?? []) {
    const [type, ...ids] = unquoteTxt(data).trim().split(/\s+/);
    if (!type || !SUPPORTED_TYPES.has(type) || byType.has(type)) continue;
    try {
      byType.set(type, ids.map(decodeURIComponent));
    } catch {
      // a malformed entry describes nothing: the rrset counts as foreign
    }
  }
  return byType;
}

function companionRrset(name: string, weighted: ReadonlyMap<string, readonly string[]>, ttl: number): Rrset | undefined {
  if (weighted.size === 0) return undefined;
  const rrdatas = [...weighted.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([type, ids]) => quoteTxt([type, ...ids.map(encodeURIComponent)].join(' ')));
  return { kind: 'dns#resourceRecordSet', name: setsRecordName(name), type: 'TXT', ttl, rrdatas };
}

function decodeValues(type: string, rrdatas: unknown): string[] {
  const values = Array.isArray(rrdatas) ? rrdatas.filter((v): v is string => typeof v === 'string') : [];
  return [...new Set(type === 'TXT' ? values.map(unquoteTxt) : values)].sort();
}

function encodeValues(r: DnsRecord): string[] {
  if (r.type === 'TXT') return r.values.map(quoteTxt);
  if (r.type === 'CNAME') return r.values.map(normaliseFqdn);
  return [...r.values];
}

function decodeName(name: string, rrsets: readonly Rrset[], companion: Rrset | undefined): NameState {
  const ids = parseCompanion(companion);
  const records: DnsRecord[] = [];
  const raw = new Map<string, Rrset>();
  const foreign = new Set<string>();
  for (const set of rrsets) {
    if (!SUPPORTED_TYPES.has(set.type)) continue;
    const type = set.type as DnsRecordType;
    raw.set(type, set);
    const ttl = typeof set.ttl === 'number' ? set.ttl : 0;
    const policy = set.routingPolicy;
    if (!policy || Object.keys(policy).every((k) => k === 'kind')) {
      records.push({ fqdn: name, type, setId: '', ttl, values: decodeValues(type, set.rrdatas) });
      continue;
    }
    const items = policy.wrr?.items;
    const setIds = ids.get(type);
    const otherPolicy = Object.keys(policy).some((k) => k !== 'kind' && k !== 'wrr');
    if (otherPolicy || !Array.isArray(items) || !setIds || setIds.length !== items.length || new Set(setIds).size !== setIds.length) {
      foreign.add(type);
      continue;
    }
    items.forEach((item, i) => {
      records.push({ fqdn: name, type, setId: setIds[i] as string, weight: typeof item.weight === 'number' ? item.weight : 0, ttl, values: decodeValues(type, item.rrdatas) });
    });
  }
  return { name, records, raw, foreign, ...(companion ? { companion } : {}) };
}

/** The rrset meshgate writes for the records of one (name, type): plain, or wrr with items ordered by set id. */
function buildRrset(name: string, type: string, records: readonly DnsRecord[]): Rrset {
  const first = records[0] as DnsRecord;
  if (first.weight === undefined) return { kind: 'dns#resourceRecordSet', name, type, ttl: first.ttl, rrdatas: encodeValues(first) };
  const items = [...records]
    .sort((a, b) => (a.setId < b.setId ? -1 : a.setId > b.setId ? 1 : 0))
    .map((r) => ({ kind: 'dns#rRSetRoutingPolicyWrrPolicyWrrPolicyItem', weight: r.weight, rrdatas: encodeValues(r) }));
  return {
    kind: 'dns#resourceRecordSet',
    name,
    type,
    ttl: first.ttl,
    routingPolicy: { kind: 'dns#rRSetRoutingPolicy', wrr: { kind: 'dns#rRSetRoutingPolicyWrrPolicy', items } },
  };
}

/** Content of an rrset for comparison: TTL, plain rrdatas, or items in order (weight, rrdatas). */
function contentOf(set: Rrset | undefined): string {
  if (!set) return '';
  const sorted = (v: unknown): string[] => (Array.isArray(v) ? v.map(String).sort() : []);
  const items = set.routingPolicy?.wrr?.items;
  return JSON.stringify([set.ttl ?? null, sorted(set.rrdatas), Array.isArray(items) ? items.map((i) => [i.weight ?? null, sorted(i.rrdatas)]) : null]);
}

interface PlannedName {
  readonly deletions: Rrset[];
  readonly additions: Rrset[];
  readonly problem?: { readonly code: ErrorCode; readonly message: string };
}

/** Deletions (exactly as read) and additions turning the rrsets at one name into `next`, companion included. */
function planName(state: NameState, next: readonly DnsRecord[]): PlannedName {
  const deletions: Rrset[] = [];
  const additions: Rrset[] = [];
  const byType = new Map<string, DnsRecord[]>();
  for (const r of next) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
  const ours = new Set([...state.raw.keys()].filter((t) => !state.foreign.has(t)));
  const weighted = new Map<string, string[]>();
  for (const type of [...new Set([...ours, ...byType.keys()])].sort()) {
    const records = byType.get(type) ?? [];
    if (records.length > 0 && state.foreign.has(type)) {
      return { deletions, additions, problem: { code: 'conflict', message: `${state.name} ${type}: the record set exists and is not managed by meshgate (another routing policy, or no ${SETS_LABEL} entry)` } };
    }
    const plain = records.filter((r) => r.weight === undefined);
    if (plain.length > 0 && plain.length !== records.length) {
      return { deletions, additions, problem: { code: 'validation', message: `${state.name} ${type}: Cloud DNS holds either a plain record set or weighted items for a name and type, not both` } };
    }
    const ttls = new Set(records.map((r) => r.ttl));
    if (ttls.size > 1) {
      return { deletions, additions, problem: { code: 'validation', message: `${state.name} ${type}: the weighted items of one record set share one TTL, got ${[...ttls].sort((a, b) => a - b).join(', ')}` } };
    }
    const before = state.raw.get(type);
    const after = records.length > 0 ? buildRrset(state.name, type, records) : undefined;
    if (after?.routingPolicy) weighted.set(type, [...records].map((r) => r.setId).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    if (contentOf(before) === contentOf(after) && (before === undefined) === (after === undefined)) continue;
    if (before && ours.has(type)) deletions.push(before);
    if (after) additions.push(after);
  }
  // Foreign rrsets are left alone; keep their companion entries (if any) out of the new companion.
  const companion = companionRrset(state.name, weighted, state.companion?.ttl ?? FENCE_TTL);
  if (contentOf(state.companion) !== contentOf(companion) || (state.companion === undefined) !== (companion === undefined)) {
    if (state.companion) deletions.push(state.companion);
    if (companion) additions.push(companion);
  }
  return { deletions, additions };
}

// ---- TXT presentation format ----

/** TXT text → Cloud DNS rrdata: quoted strings of at most 255 bytes, `\DDD` decimal escapes (RFC 1035 presentation format). */
export const quoteTxt = (text: string): string => quoteTxtIn(text, 10);

/** Cloud DNS TXT rrdata (one or more quoted strings, `\DDD` decimal escapes) → text. Unquoted data is returned as it is. */
export const unquoteTxt = (value: string): string => unquoteTxtIn(value, 10);

// ---- errors ----

const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

function codeFor(status: number, reasons: readonly string[], message: string): ErrorCode {
  if (status === 400) return 'validation';
  if (status === 429 || reasons.some((r) => RATE_LIMIT_REASONS.has(r))) return 'throttled';
  if (status === 401 || status === 403) return 'unauthorized';
  // A deletion of an rrset that is gone is a lost race, not a missing zone.
  if (status === 404) return message.includes('entity.change') ? 'conflict' : 'not_found';
  if (status === 409 || status === 412) return 'conflict';
  if (status >= 500) return 'unavailable';
  return 'internal';
}

/** Google's JSON error: `{"error": {"code", "message", "errors": [{"reason", "message"}]}}`. */
function googleError(body: string): { message?: string; reasons: string[] } {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown; errors?: unknown } };
    const message = typeof parsed.error?.message === 'string' ? parsed.error.message.slice(0, 500) : undefined;
    const errors = Array.isArray(parsed.error?.errors) ? (parsed.error.errors as { reason?: unknown }[]) : [];
    const reasons = errors.map((e) => e.reason).filter((r): r is string => typeof r === 'string');
    return { ...(message ? { message } : {}), reasons };
  } catch {
    return body.trim() === '' ? { reasons: [] } : { message: body.trim().slice(0, 200), reasons: [] };
  }
}

function parseJson<T>(body: string, operation: string): T {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (!parsed || typeof parsed !== 'object') throw new Error('not an object');
    return parsed as T;
  } catch (err) {
    throw new MeshgateError('internal', `cloud-dns ${operation}: the answer is not a JSON object`, { cause: err });
  }
}
