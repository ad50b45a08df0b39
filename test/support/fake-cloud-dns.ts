/**
 * A loopback fake of the Cloud DNS REST API v1 for record sets and changes:
 * `GET /dns/v1/projects/{project}/managedZones/{zone}/rrsets`, `POST .../changes`, `GET .../changes/{changeId}`.
 * No emulator exists for Cloud DNS, so this fake answers as the documentation shows:
 *
 * - resourceRecordSets.list https://cloud.google.com/dns/docs/reference/rest/v1/resourceRecordSets/list : query
 *   `name` (fully qualified), `type` ("If present, the "name" parameter must also be present"), `maxResults`,
 *   `pageToken`; answer `{kind: "dns#resourceRecordSetsListResponse", rrsets, nextPageToken}`.
 * - changes.create / changes.get https://cloud.google.com/dns/docs/reference/rest/v1/changes : "Atomically updates
 *   the ResourceRecordSet collection"; a Change `{kind: "dns#change", id, status: "pending"|"done", startTime,
 *   additions, deletions}`.
 * - ResourceRecordSet https://cloud.google.com/dns/docs/reference/rest/v1/resourceRecordSets : `name`, `type`, `ttl`,
 *   `rrdatas`, or `routingPolicy.wrr.items[{weight, rrdatas}]` ("This weight must be non-negative"); the discovery
 *   document googleapis/google-api-go-client dns/v1/dns-api.json.
 * - Errors in Google's JSON shape https://cloud.google.com/apis/design/errors :
 *   `{"error": {"code", "message", "errors": [{"domain": "global", "reason", "message"}], "status"}}`. For changes, the
 *   texts Cloud DNS returns (kubernetes-sigs/external-dns issues #467, #2817; Google's LocalDnsHelper in
 *   google-cloud-java): a deletion whose (name, type) is missing → 404 notFound "The 'entity.change.deletions[i]'
 *   resource named 'N (T)' does not exist."; a deletion that doesn't match the current rrset exactly (TTL, rrdatas,
 *   routing policy) → 412 conditionNotMet "Precondition not met for 'entity.change.deletions[i]'"; an addition whose
 *   (name, type) exists and isn't deleted in the same change → 409 alreadyExists "The 'entity.change.additions[i]'
 *   resource named 'N (T)' already exists."; an empty change → 400 required "The 'entity.change' parameter is
 *   required but was missing."; malformed fields → 400 invalid "Invalid value for 'entity.change.additions[i].…'".
 *   Nothing is applied unless the whole change is valid. Missing credentials → 401 (reason `required`), a wrong token
 *   → 401 (`authError`); a missing zone → 404 "The 'parameters.managedZone' resource named 'z' does not exist.".
 * Inferred, not documented: a CNAME next to other types at a name → 400 (reason `cnameResourceRecordSetConflict`);
 * duplicate (name, type) within additions or deletions → 400 invalid; the order in which items or rrdatas are given
 * does not matter when matching a deletion.
 *
 * Test infrastructure, not product code.
 */
import http from 'node:http';
import { isIPv4, isIPv6, type AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

const TYPES = ['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SPF', 'SRV', 'TXT'];
const BASE = /^\/dns\/v1\/projects\/([^/]+)\/managedZones\/([^/]+)\/(rrsets|changes)(?:\/([^/]+))?$/;

export interface FakeCloudDnsOptions {
  /** The bearer token the fake accepts. Default `fake-gcp-token`. */
  readonly token?: string;
  /** Page size when the request has no `maxResults` ("the server decides"). Default 100. */
  readonly defaultPageSize?: number;
  /** How many changes.get calls see a new change `pending` before it is `done`. Default 0 (done at once). */
  readonly pendingReads?: number;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
  /** Google error reasons of the answer, if it was an error. */
  readonly reasons: readonly string[];
  readonly message?: string;
}

export interface InjectedFault {
  readonly method?: 'GET' | 'POST';
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly reason?: string;
  readonly body?: unknown;
  /** Echo the request's Authorization header in the error message (a misbehaving proxy), to test redaction. */
  readonly echoAuthorization?: boolean;
}

export interface FakeCloudDns {
  /** `http://127.0.0.1:PORT`: the provider's `baseUrl`. */
  readonly endpoint: string;
  readonly requests: LoggedRequest[];
  /** Creates a zone with its apex SOA and NS record sets. */
  createZone(project: string, managedZone: string, dnsName: string): void;
  /** Puts rrsets straight into a zone (as someone editing it by hand would), no checks. */
  putRrsets(project: string, managedZone: string, rrsets: readonly Json[]): void;
  /** Every rrset of the zone, sorted by name and type. */
  rrsets(project: string, managedZone: string): Json[];
  inject(fault: InjectedFault): void;
  stop(): Promise<void>;
}

interface Zone {
  readonly dnsName: string;
  rrsets: Json[];
  readonly changes: Json[];
  readonly reads: Map<string, number>;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const keyOf = (s: Json): string => `${String(s.name)}\u0000${String(s.type)}`;
const sortByKey = (a: Json, b: Json): number => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);

/** What a deletion must match: TTL, rrdatas (as a set), routing policy items (weight, rrdatas as a set, as a set). */
function content(s: Json): string {
  const sorted = (v: unknown): string[] => (Array.isArray(v) ? v.map(String).sort() : []);
  const policy = isObject(s.routingPolicy) ? s.routingPolicy : undefined;
  const wrr = policy && isObject(policy.wrr) && Array.isArray(policy.wrr.items) ? policy.wrr.items : undefined;
  const items = wrr ? wrr.map((i) => JSON.stringify([isObject(i) ? i.weight : null, sorted(isObject(i) ? i.rrdatas : [])])).sort() : null;
  const otherPolicy = policy ? Object.keys(policy).filter((k) => k !== 'kind' && k !== 'wrr').sort().map((k) => JSON.stringify(policy[k])) : [];
  return JSON.stringify([s.name, s.type, s.ttl ?? null, sorted(s.rrdatas), items, otherPolicy]);
}

/** TXT character-strings in a presentation-format rrdata: each at most 255 bytes. */
function txtStringsOk(data: string): boolean {
  const strings = data.match(/"((?:[^"\\]|\\.)*)"/g) ?? [data];
  return strings.every((q) => {
    const body = q.startsWith('"') ? q.slice(1, -1) : q;
    const length = body.replace(/\\\d{3}/g, 'x').replace(/\\./g, 'x');
    return Buffer.byteLength(length, 'utf8') <= 255;
  });
}

function rrdataOk(type: string, data: unknown): boolean {
  if (typeof data !== 'string' || data === '') return false;
  if (type === 'A') return isIPv4(data);
  if (type === 'AAAA') return isIPv6(data);
  if (type === 'CNAME') return /^([a-z0-9_*-]+\.)+$/i.test(data);
  if (type === 'TXT') return txtStringsOk(data);
  return true;
}

export async function startFakeCloudDns(options: FakeCloudDnsOptions = {}): Promise<FakeCloudDns> {
  const token = options.token ?? 'fake-gcp-token';
  const defaultPageSize = options.defaultPageSize ?? 100;
  const pendingReads = options.pendingReads ?? 0;
  const zones = new Map<string, Zone>();
  const requests: LoggedRequest[] = [];
  const faults: InjectedFault[] = [];

  const STATUS: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ALREADY_EXISTS',
    412: 'FAILED_PRECONDITION',
    429: 'RESOURCE_EXHAUSTED',
    500: 'INTERNAL',
    503: 'UNAVAILABLE',
  };
  const REASONS: Record<number, string> = { 400: 'invalid', 401: 'authError', 403: 'forbidden', 404: 'notFound', 409: 'alreadyExists', 412: 'conditionNotMet', 429: 'rateLimitExceeded', 500: 'backendError', 503: 'backendError' };
  const googleError = (code: number, reason: string, message: string): Json => ({
    error: { code, message, errors: [{ message, domain: 'global', reason }], ...(STATUS[code] ? { status: STATUS[code] } : {}) },
  });

  /** Validates one rrset of a change; returns an `invalid` message or undefined. */
  function invalidRrset(s: unknown, where: string, zone: Zone, addition: boolean): string | undefined {
    if (!isObject(s)) return `Invalid value for '${where}': not an object`;
    if (typeof s.name !== 'string' || !s.name.endsWith('.') || !(s.name === zone.dnsName || s.name.endsWith(`.${zone.dnsName}`))) {
      return `Invalid value for '${where}.name': '${String(s.name)}'`;
    }
    if (typeof s.type !== 'string' || !TYPES.includes(s.type)) return `Invalid value for '${where}.type': '${String(s.type)}'`;
    if (addition && (typeof s.ttl !== 'number' || !Number.isInteger(s.ttl) || s.ttl < 0)) return `Invalid value for '${where}.ttl': '${String(s.ttl)}'`;
    const policy = s.routingPolicy;
    const hasRrdatas = Array.isArray(s.rrdatas) && s.rrdatas.length > 0;
    if (policy === undefined || policy === null) {
      if (!hasRrdatas) return `Invalid value for '${where}.rrdata': '<empty>'`;
      for (const [j, d] of (s.rrdatas as unknown[]).entries()) if (!rrdataOk(s.type, d)) return `Invalid value for '${where}.rrdata[${j}]': '${String(d)}'`;
      return undefined;
    }
    if (!isObject(policy)) return `Invalid value for '${where}.routingPolicy'`;
    if (hasRrdatas) return `Invalid value for '${where}.rrdata': rrdatas must be empty when a routing policy is set`;
    const wrr = policy.wrr;
    if (!isObject(wrr) || !Array.isArray(wrr.items) || wrr.items.length === 0) return `Invalid value for '${where}.routingPolicy.wrr.items': '<empty>'`;
    for (const [j, item] of wrr.items.entries()) {
      if (!isObject(item)) return `Invalid value for '${where}.routingPolicy.wrr.items[${j}]'`;
      if (typeof item.weight !== 'number' || !Number.isFinite(item.weight) || item.weight < 0) {
        return `Invalid value for '${where}.routingPolicy.wrr.items[${j}].weight': '${String(item.weight)}'`;
      }
      if (!Array.isArray(item.rrdatas) || item.rrdatas.length === 0) return `Invalid value for '${where}.routingPolicy.wrr.items[${j}].rrdata': '<empty>'`;
      for (const [k, d] of item.rrdatas.entries()) if (!rrdataOk(s.type, d)) return `Invalid value for '${where}.routingPolicy.wrr.items[${j}].rrdata[${k}]': '${String(d)}'`;
    }
    return undefined;
  }

  /** Applies a change to a copy of the zone; returns the new rrsets or an error answer. Nothing is applied on error. */
  function change(zone: Zone, body: unknown): { ok: true; rrsets: Json[]; additions: Json[]; deletions: Json[] } | { ok: false; status: number; reason: string; message: string } {
    const fail = (status: number, reason: string, message: string) => ({ ok: false as const, status, reason, message });
    if (!isObject(body)) return fail(400, 'parseError', 'Parse Error');
    const additions = body.additions ?? [];
    const deletions = body.deletions ?? [];
    if (!Array.isArray(additions) || !Array.isArray(deletions)) return fail(400, 'invalid', "Invalid value for 'entity.change'");
    if (additions.length === 0 && deletions.length === 0) return fail(400, 'required', "The 'entity.change' parameter is required but was missing.");
    for (const [list, label] of [
      [additions, 'additions'],
      [deletions, 'deletions'],
    ] as const) {
      const seen = new Set<string>();
      for (const [i, s] of list.entries()) {
        const where = `entity.change.${label}[${i}]`;
        const bad = invalidRrset(s, where, zone, label === 'additions');
        if (bad) return fail(400, 'invalid', bad);
        if (seen.has(keyOf(s as Json))) return fail(400, 'invalid', `Invalid value for '${where}': the resource named '${String((s as Json).name)} (${String((s as Json).type)})' appears more than once`);
        seen.add(keyOf(s as Json));
      }
    }
    const current = new Map(zone.rrsets.map((s) => [keyOf(s), s]));
    for (const [i, d] of (deletions as Json[]).entries()) {
      const existing = current.get(keyOf(d));
      if (!existing) return fail(404, 'notFound', `The 'entity.change.deletions[${i}]' resource named '${String(d.name)} (${String(d.type)})' does not exist.`);
      if (content(existing) !== content(d)) return fail(412, 'conditionNotMet', `Precondition not met for 'entity.change.deletions[${i}]'`);
      current.delete(keyOf(d));
    }
    for (const [i, a] of (additions as Json[]).entries()) {
      if (current.has(keyOf(a))) return fail(409, 'alreadyExists', `The 'entity.change.additions[${i}]' resource named '${String(a.name)} (${String(a.type)})' already exists.`);
      const stored: Json = { kind: 'dns#resourceRecordSet', ...clone(a) };
      current.set(keyOf(a), stored);
    }
    const byName = new Map<string, Set<string>>();
    for (const s of current.values()) byName.set(String(s.name), (byName.get(String(s.name)) ?? new Set()).add(String(s.type)));
    for (const [i, a] of (additions as Json[]).entries()) {
      const types = byName.get(String(a.name)) ?? new Set();
      if (types.has('CNAME') && types.size > 1) {
        return fail(400, 'cnameResourceRecordSetConflict', `The resource record set 'entity.change.additions[${i}]' is invalid because the DNS name '${String(a.name)}' has a resource record set of the type 'CNAME', which can't coexist with other types.`);
      }
    }
    return { ok: true, rrsets: [...current.values()].sort(sortByKey), additions: additions as Json[], deletions: deletions as Json[] };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const query = Object.fromEntries(url.searchParams.entries());
      const send = (status: number, body: Json, headers: Record<string, string> = {}): void => {
        const error = isObject(body.error) ? body.error : undefined;
        const reasons = error && Array.isArray(error.errors) ? error.errors.map((e) => String(isObject(e) ? e.reason : '')) : [];
        requests.push({ method: req.method ?? '', path: url.pathname, query, status, reasons, ...(error ? { message: String(error.message) } : {}) });
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
        res.end(JSON.stringify(body));
      };
      const authorization = req.headers.authorization;
      if (!authorization) {
        return send(401, {
          error: {
            code: 401,
            message: 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
            errors: [{ message: 'Login Required.', domain: 'global', reason: 'required', location: 'Authorization', locationType: 'header' }],
            status: 'UNAUTHENTICATED',
          },
        });
      }
      if (authorization !== `Bearer ${token}`) return send(401, googleError(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'));

      const faultAt = faults.findIndex((f) => f.method === undefined || f.method === req.method);
      if (faultAt >= 0) {
        const [fault] = faults.splice(faultAt, 1) as [InjectedFault];
        const message = fault.echoAuthorization ? `upstream rejected request with Authorization: ${authorization}` : 'Injected fault.';
        return send(fault.status, (fault.body as Json | undefined) ?? googleError(fault.status, fault.reason ?? REASONS[fault.status] ?? 'unknown', message), { ...(fault.headers ?? {}) });
      }

      const match = BASE.exec(url.pathname);
      if (!match) return send(404, googleError(404, 'notFound', 'The url does not match any API call.'));
      const [, project = '', managedZone = '', collection, id] = match.map((s) => (s === undefined ? s : decodeURIComponent(s)));
      const zone = zones.get(`${project}/${managedZone}`);
      if (!zone) return send(404, googleError(404, 'notFound', `The 'parameters.managedZone' resource named '${managedZone}' does not exist.`));

      if (collection === 'rrsets' && id === undefined && req.method === 'GET') {
        const name = url.searchParams.get('name');
        const type = url.searchParams.get('type');
        if (name !== null && !name.endsWith('.')) return send(400, googleError(400, 'invalid', `Invalid value for 'parameters.name': '${name}'`));
        if (type !== null && name === null) return send(400, googleError(400, 'invalid', "Invalid value for 'parameters.name': ''"));
        if (type !== null && !TYPES.includes(type)) return send(400, googleError(400, 'invalid', `Invalid value for 'parameters.type': '${type}'`));
        const maxRaw = url.searchParams.get('maxResults');
        const max = maxRaw === null ? defaultPageSize : Number(maxRaw);
        if (!Number.isInteger(max) || max <= 0) return send(400, googleError(400, 'invalid', `Invalid value for 'parameters.maxResults': '${String(maxRaw)}'`));
        const tokenRaw = url.searchParams.get('pageToken');
        const start = tokenRaw === null ? 0 : Number(Buffer.from(tokenRaw, 'base64url').toString('utf8').replace(/^offset:/, ''));
        if (!Number.isInteger(start) || start < 0) return send(400, googleError(400, 'invalid', `Invalid value for 'parameters.pageToken': '${String(tokenRaw)}'`));
        const matching = zone.rrsets.filter((s) => (name === null || s.name === name) && (type === null || s.type === type));
        const page = matching.slice(start, start + max);
        const more = start + max < matching.length;
        return send(200, {
          kind: 'dns#resourceRecordSetsListResponse',
          rrsets: clone(page),
          ...(more ? { nextPageToken: Buffer.from(`offset:${start + max}`).toString('base64url') } : {}),
        });
      }
      if (collection === 'changes' && id === undefined && req.method === 'POST') {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return send(400, googleError(400, 'parseError', 'Parse Error'));
        }
        const result = change(zone, body);
        if (!result.ok) return send(result.status, googleError(result.status, result.reason, result.message));
        zone.rrsets = result.rrsets;
        const changeId = String(zone.changes.length + 1);
        const record: Json = {
          kind: 'dns#change',
          id: changeId,
          startTime: new Date().toISOString(),
          status: pendingReads > 0 ? 'pending' : 'done',
          isServing: true,
          additions: clone(result.additions),
          deletions: clone(result.deletions),
        };
        zone.changes.push(record);
        zone.reads.set(changeId, 0);
        return send(200, clone(record));
      }
      if (collection === 'changes' && id !== undefined && req.method === 'GET') {
        const found = zone.changes.find((c) => c.id === id);
        if (!found) return send(404, googleError(404, 'notFound', `The 'parameters.changeId' resource named '${id}' does not exist.`));
        const reads = (zone.reads.get(id) ?? 0) + 1;
        zone.reads.set(id, reads);
        if (reads > pendingReads) found.status = 'done';
        return send(200, clone(found));
      }
      return send(404, googleError(404, 'notFound', 'The url does not match any API call.'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    createZone(project, managedZone, dnsName) {
      const apex = dnsName.endsWith('.') ? dnsName : `${dnsName}.`;
      zones.set(`${project}/${managedZone}`, {
        dnsName: apex,
        changes: [],
        reads: new Map(),
        rrsets: [
          { kind: 'dns#resourceRecordSet', name: apex, type: 'NS', ttl: 21600, rrdatas: ['ns-cloud-a1.googledomains.com.', 'ns-cloud-a2.googledomains.com.'] },
          { kind: 'dns#resourceRecordSet', name: apex, type: 'SOA', ttl: 21600, rrdatas: ['ns-cloud-a1.googledomains.com. cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300'] },
        ],
      });
    },
    putRrsets(project, managedZone, rrsets) {
      const zone = zones.get(`${project}/${managedZone}`);
      if (!zone) throw new Error(`fake-cloud-dns: no zone ${project}/${managedZone}`);
      const byKey = new Map(zone.rrsets.map((s) => [keyOf(s), s]));
      for (const s of rrsets) byKey.set(keyOf(s), { kind: 'dns#resourceRecordSet', ...clone(s) });
      zone.rrsets = [...byKey.values()].sort(sortByKey);
    },
    rrsets(project, managedZone) {
      return clone(zones.get(`${project}/${managedZone}`)?.rrsets ?? []);
    },
    inject(fault) {
      faults.push(fault);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
