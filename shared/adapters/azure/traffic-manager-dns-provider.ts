/**
 * Azure Traffic Manager weighted endpoints as a {@link DnsProvider}, over the ARM REST API (api-version 2022-04-01).
 * Azure DNS has no weighted records, so the weighted name is a Traffic Manager profile (DESIGN.md §4).
 *
 * Model. One profile with `trafficRoutingMethod: Weighted` answers for one name: `<dnsConfig.relativeName>.trafficmanager.net.`
 * (the profile's read-only `dnsConfig.fqdn`). The public name (e.g. `mcp.example.com`) is a CNAME to that name, kept
 * in the zone outside meshgate. Each meshgate weighted record is one endpoint of type
 * `Microsoft.Network/trafficManagerProfiles/externalEndpoints`: name = set id, `properties.target` = the single
 * value (IPv4 → record type A, IPv6 → AAAA, host name → CNAME). The profile has one TTL (`dnsConfig.ttl`), so every
 * record of the profile has the same TTL, and an endpoint has one target.
 *
 * Weights. Traffic Manager weights are 1-1000 and there is no weight 0. The port's weights stay 0-255 (as on Route 53):
 * weight 0 is written as `endpointStatus: Disabled` (the endpoint keeps its previous weight, or 1), weight w in
 * 1-255 as `Enabled` with weight w (a subset of 1-1000, so proportions are exact). Reading maps `Disabled` back to 0
 * and an enabled endpoint to its weight (an endpoint edited by hand may read up to 1000; the next plan brings it back).
 *
 * Apply. Traffic Manager has no multi-endpoint batch, so `apply` is one PUT of the whole profile (endpoints, TTL and
 * tags), which replaces it all-or-nothing. The fence term lives in the profile's tag `meshgate-term`: apply reads the
 * profile (GET), refuses with `conflict` unless the tag holds `fence.expectedTerm`, checks the change set against the
 * endpoints as read (a create of an existing endpoint, a delete or update whose old record no longer matches →
 * `conflict`), and PUTs the new endpoints with the tag set to `fence.term`.
 *
 * Fencing caveat. The 2022-04-01 spec declares no `etag` on the profile and no `If-Match` parameter on
 * Profiles_CreateOrUpdate, and the ARM RPC leaves ETag validation to the resource provider ("the frontdoor will never
 * inspect these values"). So the PUT is conditional only when the GET returned an ETag (`ETag` header or `etag`
 * property): then it carries `If-Match` and a 412 becomes `conflict`. Otherwise the term check and the PUT are two
 * requests, and a deposed leader whose GET came before the new leader's PUT could still overwrite it in that one
 * round trip; what protects that window is the lease bound (`actUntil`: a holder stops acting before anyone else may
 * take over). A stale leader that reads after the new leader wrote is always refused.
 *
 * Endpoints of other types (azureEndpoints, nestedEndpoints) are not ours: `records()` skips them and the PUT keeps
 * them. A profile whose routing method is not `Weighted` is refused with `validation` (reads and writes). Auth is a
 * bearer token from the injected `tokenProvider` (never logged, redacted from errors). HTTP 400 → `validation`,
 * 401/403 → `unauthorized`, 404 → `not_found`, 409/412 → `conflict`, 429 and 5xx → `retryable` (with Retry-After when
 * given). Retries belong to the `withRetry` decorator.
 *
 * References: Profiles - Get / Create Or Update (api-version 2022-04-01),
 * https://learn.microsoft.com/en-us/rest/api/trafficmanager/profiles ; the spec
 * Azure/azure-rest-api-specs specification/trafficmanager/resource-manager/Microsoft.Network/stable/2022-04-01/trafficmanager.json
 * and its example Profile-PUT-WithEndpoints.json; ETags in the ARM RPC, Azure/azure-resource-manager-rpc
 * v1.0/Addendum.md#etags-for-resources; ARM throttling (429 + Retry-After),
 * https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/request-limits-and-throttling ;
 * weighted routing, https://learn.microsoft.com/en-us/azure/traffic-manager/traffic-manager-routing-methods ;
 * profile CNAME, https://learn.microsoft.com/en-us/azure/traffic-manager/traffic-manager-how-it-works .
 */
import { isIPv4, isIPv6 } from 'node:net';
import { MeshgateError, type ErrorCode } from '../../core/errors';
import {
  EMPTY_CHANGE_SET,
  applyWriteOps,
  canonicalizeRecords,
  compareRecords,
  normaliseFqdn,
  recordKey,
  toWriteOps,
  validateChangeSet,
  type DnsLimits,
  type WriteOp,
} from '../../core/dns-plan';
import type { Outcome } from '../../core/outcome';
import { errorName, fetchRestSend, networkError, outcomeOfError, redact, retryAfter, type RestRequest, type RestResponse } from '../http/rest-call';
import type { Clock } from '../../ports/clock';
import type { AppliedChange, ChangeSet, DnsProvider, DnsRecord, DnsRecordType, Fence } from '../../ports/dns-provider';
import type { Logger } from '../../ports/logger';

export const TRAFFIC_MANAGER_API_VERSION = '2022-04-01';
/** Profile tag holding the fencing term (decimal). */
export const TERM_TAG = 'meshgate-term';
export const EXTERNAL_ENDPOINT_TYPE = 'Microsoft.Network/trafficManagerProfiles/externalEndpoints';
const DEFAULT_BASE_URL = 'https://management.azure.com';
const DEFAULT_DNS_DOMAIN = 'trafficmanager.net';

/**
 * Port weights 0-255 (0 = endpoint Disabled), TTL floor 5 s, at most 200 endpoints per profile (the Traffic Manager
 * limit; `maxChanges` counts endpoint writes).
 */
export const TRAFFIC_MANAGER_LIMITS: DnsLimits = Object.freeze({ minWeight: 0, maxWeight: 255, ttlFloor: 5, maxChanges: 200 });
const MAX_ENDPOINTS = 200;

/** One HTTPS request to ARM, as this adapter makes it. */
export interface ArmRequest extends RestRequest {
  readonly method: 'GET' | 'PUT';
}

/** Header names lower-case. */
export type ArmResponse = RestResponse;

/**
 * The one call this adapter makes: send an HTTP request to Azure Resource Manager. {@link fetchTrafficManagerApi}
 * is the real one; tests point it at a loopback fake or stub it. Rejects only for network errors and timeouts.
 */
export interface TrafficManagerApi {
  send(request: ArmRequest): Promise<ArmResponse>;
}

export interface TrafficManagerDnsProviderOptions {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly profileName: string;
  /** Bearer token for `https://management.azure.com/` (client credentials or managed identity, obtained elsewhere). */
  readonly tokenProvider: () => Promise<string>;
  readonly name?: string;
  /** ARM endpoint. Default `https://management.azure.com`. */
  readonly baseUrl?: string;
  /** Default: {@link TRAFFIC_MANAGER_LIMITS}. */
  readonly limits?: DnsLimits;
  /** Retry hint for 429 without Retry-After. Default 1000 ms. */
  readonly throttleRetryMs?: number;
  /** Retry hint for 5xx and network errors. Default 500 ms. */
  readonly unavailableRetryMs?: number;
  /** Per-request timeout. Default 10 s. */
  readonly timeoutMs?: number;
  /** One debug line per request (method, path, status, duration); never headers or bodies. */
  readonly logger?: Logger;
  /** Used for Retry-After dates. Default: the real clock. */
  readonly clock?: Pick<Clock, 'now'>;
}

export interface TrafficManagerClientConfig extends Omit<TrafficManagerDnsProviderOptions, 'clock'> {
  /** The fetch to use. Default: Node's global fetch (no HTTP library in the function bundle). */
  readonly fetch?: typeof fetch;
}

// ---- ARM shapes (only the fields we read or must keep) ----

interface ArmEndpoint {
  id?: unknown;
  name?: unknown;
  type?: unknown;
  properties?: { target?: unknown; weight?: unknown; endpointStatus?: unknown; endpointMonitorStatus?: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

interface ArmProfile {
  id?: unknown;
  name?: unknown;
  type?: unknown;
  etag?: unknown;
  location?: unknown;
  tags?: Record<string, unknown>;
  properties?: {
    trafficRoutingMethod?: unknown;
    dnsConfig?: { relativeName?: unknown; fqdn?: unknown; ttl?: unknown; [key: string]: unknown };
    monitorConfig?: { [key: string]: unknown };
    endpoints?: unknown;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

interface ReadProfile {
  readonly profile: ArmProfile;
  readonly etag?: string;
  readonly fqdn: string;
  readonly ttl: number;
  /** externalEndpoints, in profile order. */
  readonly external: ArmEndpoint[];
  /** Every other endpoint, kept as is. */
  readonly foreign: ArmEndpoint[];
}

const realClock: Pick<Clock, 'now'> = { now: () => Date.now() };

export class TrafficManagerDnsProvider implements DnsProvider {
  readonly name: string;
  private readonly url: string;
  private readonly limits: DnsLimits;
  private readonly tokenProvider: () => Promise<string>;
  private readonly throttleRetryMs: number;
  private readonly unavailableRetryMs: number;
  private readonly timeoutMs: number;
  private readonly logger: Logger | undefined;
  private readonly clock: Pick<Clock, 'now'>;

  constructor(
    private readonly api: TrafficManagerApi,
    options: TrafficManagerDnsProviderOptions,
  ) {
    for (const key of ['subscriptionId', 'resourceGroup', 'profileName'] as const) {
      if (!options[key] || /[/?#]/.test(options[key])) throw new MeshgateError('validation', `traffic-manager: ${key} is empty or invalid`);
    }
    const base = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.url =
      `${base}/subscriptions/${encodeURIComponent(options.subscriptionId)}/resourceGroups/${encodeURIComponent(options.resourceGroup)}` +
      `/providers/Microsoft.Network/trafficmanagerprofiles/${encodeURIComponent(options.profileName)}?api-version=${TRAFFIC_MANAGER_API_VERSION}`;
    this.name = options.name ?? 'traffic-manager';
    this.limits = options.limits ?? TRAFFIC_MANAGER_LIMITS;
    this.tokenProvider = options.tokenProvider;
    this.throttleRetryMs = options.throttleRetryMs ?? 1_000;
    this.unavailableRetryMs = options.unavailableRetryMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.logger = options.logger;
    this.clock = options.clock ?? realClock;
  }

  /** Endpoints of the profile when `fqdn` is the profile's name; `[]` for any other name. */
  async records(fqdn: string): Promise<DnsRecord[]> {
    const read = await this.read();
    if (normaliseFqdn(fqdn) !== read.fqdn) return [];
    return [...imageOf(read).values()].sort(compareRecords);
  }

  async currentTerm(): Promise<number> {
    return termOf((await this.read()).profile);
  }

  async apply(changes: ChangeSet, fence?: Fence): Promise<Outcome<AppliedChange>> {
    let ops: WriteOp[];
    try {
      // The fence is not a record here (it is a profile tag): the core rule only validates it and refuses a stale term.
      if (fence) toWriteOps(EMPTY_CHANGE_SET, NO_ZONE, 'replace', fence);
      ops = toWriteOps(changes, NO_ZONE, 'replace');
    } catch (err) {
      return { status: 'failure', error: err instanceof MeshgateError ? err : new MeshgateError('validation', String(err)) };
    }
    const problems = [...validateChangeSet(changes, this.limits, { providerChanges: ops.length }), ...endpointProblems(changes)];
    if (problems.length > 0) return this.invalid(problems);
    if (ops.length === 0 && !fence) return { status: 'success', value: { changeCount: 0 } };

    let read: ReadProfile;
    let stored: number;
    try {
      read = await this.read();
      stored = termOf(read.profile);
    } catch (err) {
      return this.outcomeOf(err);
    }
    if (fence && stored !== fence.expectedTerm) {
      return this.conflict(`profile holds term ${stored}, the change expects ${fence.expectedTerm}`, { term: stored, expectedTerm: fence.expectedTerm });
    }
    const misnamed = ops.filter((op) => normaliseFqdn(op.record.fqdn) !== read.fqdn).map((op) => `${normaliseFqdn(op.record.fqdn)}: this profile answers for ${read.fqdn} only`);
    if (misnamed.length > 0) return this.invalid([...new Set(misnamed)]);

    const result = applyWriteOps(imageOf(read), ops);
    if (!result.ok) return this.conflict(result.errors.join('; '), { problems: result.errors });
    const next = [...result.zone.values()].sort(compareRecords);

    const taken = new Set(read.foreign.map((e) => String(e.name).toLowerCase()));
    const seen = new Set<string>();
    for (const r of next) {
      const lower = r.setId.toLowerCase();
      if (taken.has(lower) || seen.has(lower)) return this.conflict(`endpoint name '${r.setId}' is already used in the profile`, { setId: r.setId });
      seen.add(lower);
    }
    const ttls = new Set(next.map((r) => r.ttl));
    if (ttls.size > 1) return this.invalid([`a Traffic Manager profile has one TTL, the endpoints would have ${[...ttls].sort((a, b) => a - b).join(', ')}`]);
    if (next.length + read.foreign.length > MAX_ENDPOINTS) return this.invalid([`a profile holds at most ${MAX_ENDPOINTS} endpoints`]);

    const body = nextProfile(read, next, fence);
    if (body.changeCount === 0) return { status: 'success', value: { changeCount: 0 } };
    try {
      const res = await this.call('PUT', JSON.stringify(body.profile), read.etag);
      if (res.status !== 200 && res.status !== 201) throw this.httpError(res, 'PUT profile');
    } catch (err) {
      return this.outcomeOf(err);
    }
    return { status: 'success', value: { changeCount: body.changeCount } };
  }

  /**
   * Port weights clamped to 0-255 (0 = Disabled), TTL raised to the floor, then one TTL per name (the lowest: the
   * profile has one TTL) and one value per record (the first in sorted order: an endpoint has one target).
   */
  canonicalize(records: readonly DnsRecord[]): DnsRecord[] {
    const canonical = canonicalizeRecords(records, this.limits);
    const ttlByName = new Map<string, number>();
    for (const r of canonical) ttlByName.set(r.fqdn, Math.min(r.ttl, ttlByName.get(r.fqdn) ?? Number.POSITIVE_INFINITY));
    return canonical.map((r) => ({ ...r, ttl: ttlByName.get(r.fqdn) ?? r.ttl, values: r.values.slice(0, 1) }));
  }

  // ---- HTTP ----

  private async read(): Promise<ReadProfile> {
    const res = await this.call('GET');
    if (res.status !== 200) throw this.httpError(res, 'GET profile');
    let profile: ArmProfile;
    try {
      profile = JSON.parse(res.body) as ArmProfile;
    } catch (err) {
      throw new MeshgateError('internal', 'traffic-manager GET profile: the answer is not JSON', { cause: err });
    }
    if (!profile || typeof profile !== 'object' || !profile.properties || typeof profile.properties !== 'object') {
      throw new MeshgateError('internal', 'traffic-manager GET profile: the answer has no properties');
    }
    const method = profile.properties.trafficRoutingMethod;
    if (method !== 'Weighted') {
      throw new MeshgateError('validation', `traffic-manager: profile routing method is ${String(method)}, not Weighted`, { details: { trafficRoutingMethod: method } });
    }
    const dns = profile.properties.dnsConfig ?? {};
    const fqdn =
      typeof dns.fqdn === 'string' && dns.fqdn !== ''
        ? normaliseFqdn(dns.fqdn)
        : typeof dns.relativeName === 'string' && dns.relativeName !== ''
          ? normaliseFqdn(`${dns.relativeName}.${DEFAULT_DNS_DOMAIN}`)
          : undefined;
    if (!fqdn) throw new MeshgateError('internal', 'traffic-manager GET profile: no dnsConfig.relativeName');
    const endpoints = Array.isArray(profile.properties.endpoints) ? (profile.properties.endpoints as ArmEndpoint[]) : [];
    const isExternal = (e: ArmEndpoint): boolean => typeof e.type === 'string' && e.type.toLowerCase() === EXTERNAL_ENDPOINT_TYPE.toLowerCase();
    const etag = res.headers.etag ?? (typeof profile.etag === 'string' ? profile.etag : undefined);
    return {
      profile,
      ...(etag ? { etag } : {}),
      fqdn,
      ttl: typeof dns.ttl === 'number' ? dns.ttl : 0,
      external: endpoints.filter(isExternal),
      foreign: endpoints.filter((e) => !isExternal(e)),
    };
  }

  private async call(method: 'GET' | 'PUT', body?: string, ifMatch?: string): Promise<ArmResponse> {
    let token: string;
    try {
      token = await this.tokenProvider();
    } catch (err) {
      throw err instanceof MeshgateError ? err : new MeshgateError('unavailable', 'traffic-manager: the token provider failed', { cause: err, retryable: true });
    }
    if (typeof token !== 'string' || token === '') throw new MeshgateError('unauthorized', 'traffic-manager: the token provider returned no token');
    const started = this.clock.now();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (ifMatch !== undefined) headers['if-match'] = ifMatch;
    let res: ArmResponse;
    try {
      res = await this.api.send({ method, url: this.url, headers, ...(body === undefined ? {} : { body }), timeoutMs: this.timeoutMs });
    } catch (err) {
      this.logger?.warn({ provider: this.name, method, path: pathOf(this.url), error: redact(errorName(err), token) }, 'traffic-manager request failed');
      throw networkError(err, `traffic-manager ${method} profile`, token);
    }
    this.logger?.debug({ provider: this.name, method, path: pathOf(this.url), status: res.status, ms: this.clock.now() - started }, 'traffic-manager request');
    return { ...res, body: redact(res.body, token) };
  }

  private httpError(res: ArmResponse, operation: string): MeshgateError {
    const { code, message } = armError(res.body);
    const detail = `traffic-manager ${operation}: HTTP ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
    const retryAfterMs = retryAfter(res.headers['retry-after'], this.clock.now());
    const details = { operation, status: res.status, ...(code ? { armCode: code } : {}), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    return new MeshgateError(codeForStatus(res.status), detail, { details, ...(res.status === 429 || res.status >= 500 ? { retryable: true } : {}) });
  }

  private outcomeOf(err: unknown): Outcome<never> {
    return outcomeOfError(err, { throttleRetryMs: this.throttleRetryMs, unavailableRetryMs: this.unavailableRetryMs });
  }

  private invalid(problems: string[]): Outcome<never> {
    return { status: 'failure', error: new MeshgateError('validation', `traffic-manager: ${problems.join('; ')}`, { details: { problems } }) };
  }

  private conflict(message: string, details: Record<string, unknown>): Outcome<never> {
    return { status: 'failure', error: new MeshgateError('conflict', `traffic-manager: ${message}`, { details }) };
  }
}

/** Builds the provider with the real HTTP client (Node's global fetch unless `config.fetch` is given). */
export function createTrafficManagerDnsProvider(config: TrafficManagerClientConfig): TrafficManagerDnsProvider {
  return new TrafficManagerDnsProvider(fetchTrafficManagerApi(config.fetch), config);
}

/** The real {@link TrafficManagerApi}: one fetch per call (Node's global fetch by default), bounded by the request's timeout. */
export function fetchTrafficManagerApi(fetchFn: typeof fetch = globalThis.fetch): TrafficManagerApi {
  return { send: fetchRestSend(fetchFn) };
}

// ---- mapping ----

/** toWriteOps needs a zone only for fence records, which Traffic Manager doesn't have. */
const NO_ZONE = 'invalid.';

function targetType(target: string): DnsRecordType {
  if (isIPv4(target)) return 'A';
  if (isIPv6(target)) return 'AAAA';
  return 'CNAME';
}

/** The external endpoints as port records, keyed by record key. */
function imageOf(read: ReadProfile): Map<string, DnsRecord> {
  const image = new Map<string, DnsRecord>();
  for (const e of read.external) {
    const target = e.properties?.target;
    if (typeof e.name !== 'string' || typeof target !== 'string' || target === '') continue;
    const disabled = e.properties?.endpointStatus === 'Disabled';
    const weight = typeof e.properties?.weight === 'number' ? e.properties.weight : 1;
    const record: DnsRecord = { fqdn: read.fqdn, type: targetType(target), setId: e.name, weight: disabled ? 0 : weight, ttl: read.ttl, values: [target] };
    image.set(recordKey(record), record);
  }
  return image;
}

/** The term in the profile's tag; 0 without tag; `internal` when someone wrote something else into it. */
function termOf(profile: ArmProfile): number {
  const raw = profile.tags?.[TERM_TAG];
  if (raw === undefined) return 0;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) throw new MeshgateError('internal', `traffic-manager: tag ${TERM_TAG} holds ${JSON.stringify(raw)}, not a term`);
  return Number(raw);
}

/** What Traffic Manager can't hold, beyond the core checks: only weighted A/AAAA/CNAME records with one matching target. */
function endpointProblems(changes: ChangeSet): string[] {
  const problems: string[] = [];
  const written = [...changes.create, ...changes.update.map((u) => u.next)];
  for (const r of written) {
    const name = `[set='${r.setId}']`;
    if (r.type === 'TXT') problems.push(`${name}: Traffic Manager endpoints are A, AAAA or CNAME targets, not TXT`);
    if (r.weight === undefined || r.setId === '') problems.push(`${name}: Traffic Manager holds weighted endpoints only (set id and weight)`);
    if (/[/\\?#]/.test(r.setId)) problems.push(`${name}: an endpoint name can't contain / \\ ? #`);
    if (new Set(r.values).size > 1) problems.push(`${name}: an endpoint has exactly one target`);
    const value = r.values[0];
    if (value !== undefined && r.type !== 'TXT' && targetType(value) !== r.type) problems.push(`${name}: target '${value}' is not a valid ${r.type} value`);
  }
  return problems;
}

const READ_ONLY_ENDPOINT_PROPS = ['endpointMonitorStatus'];

function stripEndpoint(e: ArmEndpoint): ArmEndpoint {
  const { id: _id, ...rest } = e;
  const properties = { ...(e.properties ?? {}) };
  for (const key of READ_ONLY_ENDPOINT_PROPS) delete properties[key];
  return { ...rest, properties };
}

/** The PUT body: foreign endpoints kept, ours rewritten in place (new ones appended), TTL and term tag set. */
function nextProfile(read: ReadProfile, next: readonly DnsRecord[], fence: Fence | undefined): { profile: ArmProfile; changeCount: number } {
  const wanted = new Map(next.map((r) => [r.setId, r]));
  let changeCount = 0;
  const ours: ArmEndpoint[] = [];
  for (const e of read.external) {
    const r = typeof e.name === 'string' ? wanted.get(e.name) : undefined;
    if (!r) {
      changeCount += 1; // removed
      continue;
    }
    wanted.delete(r.setId);
    const updated = toEndpoint(r, e);
    const p = e.properties ?? {};
    if (p.target !== updated.properties?.target || p.weight !== updated.properties?.weight || (p.endpointStatus ?? 'Enabled') !== updated.properties?.endpointStatus) changeCount += 1;
    ours.push(updated);
  }
  for (const r of wanted.values()) {
    ours.push(toEndpoint(r, undefined));
    changeCount += 1;
  }
  const ttl = next[0]?.ttl ?? read.ttl;
  if (ttl !== read.ttl) changeCount += 1;
  const tags: Record<string, unknown> = { ...(read.profile.tags ?? {}) };
  if (fence && tags[TERM_TAG] !== String(fence.term)) {
    tags[TERM_TAG] = String(fence.term);
    changeCount += 1;
  }
  const { id: _id, name: _name, type: _type, etag: _etag, systemData: _systemData, ...top } = read.profile;
  const props = read.profile.properties ?? {};
  const { fqdn: _fqdn, ...dnsConfig } = props.dnsConfig ?? {};
  const { profileMonitorStatus: _status, ...monitorConfig } = props.monitorConfig ?? {};
  const profile: ArmProfile = {
    ...top,
    tags,
    properties: {
      ...props,
      dnsConfig: { ...dnsConfig, ttl },
      ...(props.monitorConfig ? { monitorConfig } : {}),
      endpoints: [...read.foreign.map(stripEndpoint), ...ours],
    },
  };
  return { profile, changeCount };
}

function toEndpoint(r: DnsRecord, existing: ArmEndpoint | undefined): ArmEndpoint {
  const base = existing ? stripEndpoint(existing) : { name: r.setId, type: EXTERNAL_ENDPOINT_TYPE, properties: {} };
  const previous = base.properties?.weight;
  const keptWeight = typeof previous === 'number' && Number.isInteger(previous) && previous >= 1 && previous <= 1000 ? previous : 1;
  const disabled = r.weight === 0;
  return {
    ...base,
    properties: {
      ...base.properties,
      target: r.values[0],
      endpointStatus: disabled ? 'Disabled' : 'Enabled',
      weight: disabled ? keptWeight : r.weight,
    },
  };
}

// ---- errors ----

function codeForStatus(status: number): ErrorCode {
  if (status === 400) return 'validation';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 429) return 'throttled';
  if (status >= 500) return 'unavailable';
  return 'internal';
}

/** ARM's CloudError: `{"error": {"code", "message"}}`. */
function armError(body: string): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
    const message = typeof parsed.error?.message === 'string' ? parsed.error.message.slice(0, 500) : undefined;
    return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
  } catch {
    return body.trim() === '' ? {} : { message: body.trim().slice(0, 200) };
  }
}

const pathOf = (url: string): string => new URL(url).pathname;
