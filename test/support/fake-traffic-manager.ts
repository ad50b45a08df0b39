/**
 * A loopback fake of the Azure Resource Manager endpoints for Traffic Manager profiles (api-version 2022-04-01):
 * `GET` and `PUT /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/trafficmanagerprofiles/{name}`.
 * No emulator exists for Traffic Manager, so this fake answers as the documentation shows:
 *
 * - Profiles - Get / Profiles - Create Or Update, api-version 2022-04-01
 *   https://learn.microsoft.com/en-us/rest/api/trafficmanager/profiles , and the spec they are generated from:
 *   Azure/azure-rest-api-specs specification/trafficmanager/resource-manager/Microsoft.Network/stable/2022-04-01/trafficmanager.json
 *   (Profile, ProfileProperties, DnsConfig, MonitorConfig, Endpoint, EndpointProperties: "weight ... Possible values are
 *   from 1 to 1000", EndpointStatus Enabled|Disabled, CloudError `{"error": {"code", "message"}}`), with the example
 *   Profile-PUT-WithEndpoints.json (PUT answers 200 on update, 201 on create; read-only `dnsConfig.fqdn`,
 *   `monitorConfig.profileMonitorStatus`, endpoint `id` and `endpointMonitorStatus` in the answer; the endpoint
 *   `type` is accepted in any casing and answered as `Microsoft.Network/trafficManagerProfiles/externalEndpoints`).
 * - ARM common behaviour: the `api-version` query parameter is required (400 MissingApiVersionParameter), a bearer
 *   token is required (401 AuthenticationFailed "... The 'Authorization' header is missing." / 401
 *   InvalidAuthenticationToken), a missing resource is 404 ResourceNotFound, throttling is 429 with Retry-After
 *   (https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/request-limits-and-throttling).
 * - ETags, Azure/azure-resource-manager-rpc v1.0/Addendum.md#etags-for-resources: "The resource provider is
 *   responsible for storing and validating ETags". The Traffic Manager spec declares no etag, so by default the fake
 *   returns none and ignores If-Match, as we believe the service does. With `etags: true` it behaves like an RP that
 *   supports them (the Addendum's table): an `ETag` header and `etag` property on every answer, `If-Match` that
 *   doesn't match (or `*` on a missing profile) → 412 PreconditionFailed, `If-None-Match: *` on an existing one → 412.
 *
 * Validation of a PUT body (400 BadRequest): location, trafficRoutingMethod in the enum, dnsConfig.relativeName (not
 * changed on update), integer dnsConfig.ttl, monitorConfig protocol/port, at most 200 endpoints with unique names,
 * known endpoint type strings, external endpoints with a target, weight an integer 1-1000, endpointStatus
 * Enabled|Disabled, target kinds allowed by `allowedEndpointRecordTypes`, tags as strings. Message texts for those
 * 400s are ours (the docs don't list them); codes and status are as documented.
 *
 * Test infrastructure, not product code.
 */
import http from 'node:http';
import { isIPv4, isIPv6, type AddressInfo } from 'node:net';

export const API_VERSION = '2022-04-01';
const PROFILE_TYPE = 'Microsoft.Network/trafficManagerProfiles';
const ENDPOINT_TYPES = ['externalEndpoints', 'azureEndpoints', 'nestedEndpoints'].map((t) => `${PROFILE_TYPE}/${t}`);
const PATH = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/trafficmanagerprofiles\/([^/]+)$/i;

type Json = Record<string, unknown>;

export interface FakeTrafficManagerOptions {
  /** The bearer token the fake accepts. Default `fake-arm-token`. */
  readonly token?: string;
  /** Behave like an RP with ETag support (see the file comment). Default false, as the 2022-04-01 spec documents. */
  readonly etags?: boolean;
}

export interface SeedProfile {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly profileName: string;
  readonly relativeName: string;
  /** DNS domain of the profile's fqdn. Default `trafficmanager.net` (Azure's test clouds use others). */
  readonly dnsDomain?: string;
  readonly trafficRoutingMethod?: string;
  readonly ttl?: number;
  readonly endpoints?: readonly Json[];
  readonly tags?: Readonly<Record<string, string>>;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
  readonly ifMatch?: string;
  /** The Authorization header as received (the fake is the server: it may see the token; tests check the client side). */
  readonly authorization?: string;
}

export interface InjectedFault {
  readonly method?: 'GET' | 'PUT';
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Default: a CloudError with a code for the status. */
  readonly body?: unknown;
  /** Echo the request's Authorization header in the error message (a misbehaving proxy), to test redaction. */
  readonly echoAuthorization?: boolean;
}

export interface FakeTrafficManager {
  /** `http://127.0.0.1:PORT`: the provider's `baseUrl`. */
  readonly endpoint: string;
  readonly requests: LoggedRequest[];
  seed(profile: SeedProfile): void;
  /** The stored profile as GET returns it, or undefined. */
  profile(subscriptionId: string, resourceGroup: string, profileName: string): Json | undefined;
  /** Answer the next matching request with this instead of handling it. */
  inject(fault: InjectedFault): void;
  stop(): Promise<void>;
}

interface Stored {
  body: Json;
  etag: number;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function startFakeTrafficManager(options: FakeTrafficManagerOptions = {}): Promise<FakeTrafficManager> {
  const token = options.token ?? 'fake-arm-token';
  const etags = options.etags ?? false;
  const profiles = new Map<string, Stored>();
  const domains = new Map<string, string>();
  const requests: LoggedRequest[] = [];
  const faults: InjectedFault[] = [];
  let etagCounter = 0;

  const keyOf = (sub: string, rg: string, name: string): string => `${sub}/${rg}/${name}`.toLowerCase();
  const idOf = (sub: string, rg: string, name: string): string =>
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/trafficManagerProfiles/${name}`;

  const view = (stored: Stored): Json => (etags ? { ...clone(stored.body), etag: etagOf(stored) } : clone(stored.body));
  const etagOf = (stored: Stored): string => `"${stored.etag.toString(16).padStart(8, '0')}"`;

  /** Validates a PUT body and returns the profile as stored, or a 400 message. */
  function normalise(sub: string, rg: string, name: string, input: unknown, existing: Json | undefined, dnsDomain: string): Json | string {
    if (!isObject(input)) return 'The request content is not a JSON object.';
    if (typeof input.location !== 'string' || input.location === '') return "The 'location' property is required.";
    const props = input.properties;
    if (!isObject(props)) return "The 'properties' property is required.";
    const method = props.trafficRoutingMethod;
    if (typeof method !== 'string' || !['Performance', 'Priority', 'Weighted', 'Geographic', 'MultiValue', 'Subnet'].includes(method)) {
      return `The traffic routing method '${String(method)}' is not valid.`;
    }
    const dns = props.dnsConfig;
    if (!isObject(dns) || typeof dns.relativeName !== 'string' || !/^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]?$/i.test(dns.relativeName)) {
      return "The 'dnsConfig.relativeName' property is required and must be a valid DNS label.";
    }
    const oldDns = existing?.properties && isObject(existing.properties) && isObject(existing.properties.dnsConfig) ? existing.properties.dnsConfig : undefined;
    if (oldDns && String(oldDns.relativeName).toLowerCase() !== dns.relativeName.toLowerCase()) return 'The relative DNS name of a profile cannot be changed.';
    const ttl = dns.ttl ?? 300;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 2_147_483_647) return `The DNS TTL '${String(dns.ttl)}' is not valid.`;
    const monitor: Json = isObject(props.monitorConfig) ? { ...props.monitorConfig } : { protocol: 'HTTP', port: 80, path: '/' };
    if (!['HTTP', 'HTTPS', 'TCP'].includes(String(monitor.protocol))) return `The monitor protocol '${String(monitor.protocol)}' is not valid.`;
    if (typeof monitor.port !== 'number' || !Number.isInteger(monitor.port) || monitor.port < 1 || monitor.port > 65535) return 'The monitor port must be between 1 and 65535.';
    delete monitor.profileMonitorStatus;
    const allowed = Array.isArray(props.allowedEndpointRecordTypes) ? props.allowedEndpointRecordTypes.map(String) : ['Any'];
    const endpointsIn = props.endpoints ?? [];
    if (!Array.isArray(endpointsIn)) return "The 'endpoints' property must be an array.";
    if (endpointsIn.length > 200) return 'A profile can have at most 200 endpoints.';
    const names = new Set<string>();
    const endpoints: Json[] = [];
    for (const [i, e] of endpointsIn.entries()) {
      if (!isObject(e) || typeof e.name !== 'string' || e.name === '') return `Endpoint ${i}: the 'name' property is required.`;
      if (names.has(e.name.toLowerCase())) return `Endpoint '${e.name}': endpoint names must be unique within a profile.`;
      names.add(e.name.toLowerCase());
      const type = typeof e.type === 'string' ? ENDPOINT_TYPES.find((t) => t.toLowerCase() === (e.type as string).toLowerCase()) : undefined;
      if (!type) return `Endpoint '${e.name}': the endpoint type '${String(e.type)}' is not valid.`;
      const p = isObject(e.properties) ? { ...e.properties } : {};
      delete p.endpointMonitorStatus;
      if (type.endsWith('/externalEndpoints')) {
        if (typeof p.target !== 'string' || p.target === '') return `Endpoint '${e.name}': the 'target' property is required for external endpoints.`;
        const kind = isIPv4(p.target) ? 'IPv4Address' : isIPv6(p.target) ? 'IPv6Address' : 'DomainName';
        if (!allowed.includes('Any') && !allowed.includes(kind)) return `Endpoint '${e.name}': target '${p.target}' is a ${kind}, which the profile does not allow.`;
      } else if (typeof p.targetResourceId !== 'string' || p.targetResourceId === '') {
        return `Endpoint '${e.name}': the 'targetResourceId' property is required.`;
      }
      if (p.weight === undefined) p.weight = 1;
      if (typeof p.weight !== 'number' || !Number.isInteger(p.weight) || p.weight < 1 || p.weight > 1000) {
        return `Endpoint '${e.name}': weight ${JSON.stringify(p.weight)} is not valid; possible values are from 1 to 1000.`;
      }
      if (p.endpointStatus === undefined) p.endpointStatus = 'Enabled';
      if (p.endpointStatus !== 'Enabled' && p.endpointStatus !== 'Disabled') return `Endpoint '${e.name}': endpointStatus '${String(p.endpointStatus)}' is not valid.`;
      p.endpointMonitorStatus = p.endpointStatus === 'Disabled' ? 'Disabled' : 'CheckingEndpoint';
      const segment = type.slice(type.lastIndexOf('/') + 1);
      endpoints.push({ id: `${idOf(sub, rg, name)}/${segment}/${e.name}`, name: e.name, type, properties: p });
    }
    const tags = input.tags ?? {};
    if (!isObject(tags) || Object.values(tags).some((v) => typeof v !== 'string' || v.length > 256) || Object.keys(tags).length > 50) {
      return 'Tags must be at most 50 name/value pairs of strings (values up to 256 characters).';
    }
    return {
      id: idOf(sub, rg, name),
      name,
      type: PROFILE_TYPE,
      tags: clone(tags),
      location: input.location,
      properties: {
        ...clone(props),
        profileStatus: props.profileStatus ?? 'Enabled',
        dnsConfig: { relativeName: dns.relativeName, fqdn: `${dns.relativeName}.${dnsDomain}`.toLowerCase(), ttl },
        monitorConfig: { profileMonitorStatus: 'CheckingEndpoints', ...monitor },
        endpoints,
      },
    };
  }

  const cloudError = (code: string, message: string): Json => ({ error: { code, message } });
  const CODES: Record<number, string> = {
    400: 'BadRequest',
    401: 'InvalidAuthenticationToken',
    403: 'AuthorizationFailed',
    404: 'ResourceNotFound',
    409: 'Conflict',
    412: 'PreconditionFailed',
    429: 'TooManyRequests',
    500: 'InternalServerError',
    503: 'ServiceUnavailable',
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const query = Object.fromEntries(url.searchParams.entries());
      const authorization = req.headers.authorization;
      const ifMatch = typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined;
      const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        requests.push({ method: req.method ?? '', path: url.pathname, query, status, ...(ifMatch ? { ifMatch } : {}), ...(authorization ? { authorization } : {}) });
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': `req-${requests.length}`, ...headers });
        res.end(JSON.stringify(body));
      };

      const apiVersion = url.searchParams.get('api-version');
      if (apiVersion === null) {
        return send(400, cloudError('MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests."));
      }
      if (apiVersion !== API_VERSION) {
        return send(400, cloudError('InvalidApiVersionParameter', `The api-version '${apiVersion}' is invalid. The supported versions are '${API_VERSION}'.`));
      }
      if (!authorization) return send(401, cloudError('AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing."));
      if (authorization !== `Bearer ${token}`) return send(401, cloudError('InvalidAuthenticationToken', 'The access token is invalid.'));

      const faultAt = faults.findIndex((f) => f.method === undefined || f.method === req.method);
      if (faultAt >= 0) {
        const [fault] = faults.splice(faultAt, 1) as [InjectedFault];
        const message = fault.echoAuthorization ? `upstream rejected request with Authorization: ${authorization}` : 'Injected fault.';
        return send(fault.status, fault.body ?? cloudError(CODES[fault.status] ?? 'Error', message), { ...(fault.headers ?? {}) });
      }

      const match = PATH.exec(url.pathname);
      if (!match) return send(404, cloudError('NotFound', `The resource path '${url.pathname}' is not supported by this fake.`));
      const [, sub = '', rg = '', name = ''] = match.map((s) => decodeURIComponent(s));
      const key = keyOf(sub, rg, name);
      const stored = profiles.get(key);
      const notFound = (): void =>
        send(404, cloudError('ResourceNotFound', `The Resource 'Microsoft.Network/trafficmanagerprofiles/${name}' under resource group '${rg}' was not found.`));

      if (req.method === 'GET') {
        if (!stored) return notFound();
        return send(200, view(stored), etags ? { etag: etagOf(stored) } : {});
      }
      if (req.method === 'PUT') {
        if (etags) {
          const ifNoneMatch = req.headers['if-none-match'];
          const precondition = (): void => send(412, cloudError('PreconditionFailed', 'The condition specified using HTTP conditional header(s) is not met.'));
          if (ifMatch !== undefined && ifMatch !== '' && (!stored || (ifMatch !== '*' && ifMatch !== etagOf(stored)))) return precondition();
          if (ifNoneMatch === '*' && stored) return precondition();
        }
        let input: unknown;
        try {
          input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return send(400, cloudError('InvalidRequestContent', 'The request content was invalid and could not be deserialized.'));
        }
        const normalised = normalise(sub, rg, name, input, stored?.body, domains.get(key) ?? 'trafficmanager.net');
        if (typeof normalised === 'string') return send(400, cloudError('BadRequest', normalised));
        etagCounter += 1;
        const next: Stored = { body: normalised, etag: etagCounter };
        profiles.set(key, next);
        return send(stored ? 200 : 201, view(next), etags ? { etag: etagOf(next) } : {});
      }
      return send(405, cloudError('MethodNotAllowed', `The method '${String(req.method)}' is not supported by this fake.`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    seed(p) {
      const key = keyOf(p.subscriptionId, p.resourceGroup, p.profileName);
      domains.set(key, p.dnsDomain ?? 'trafficmanager.net');
      const body = normalise(
        p.subscriptionId,
        p.resourceGroup,
        p.profileName,
        {
          location: 'global',
          tags: p.tags ?? {},
          properties: {
            profileStatus: 'Enabled',
            trafficRoutingMethod: p.trafficRoutingMethod ?? 'Weighted',
            dnsConfig: { relativeName: p.relativeName, ttl: p.ttl ?? 30 },
            monitorConfig: { protocol: 'HTTPS', port: 443, path: '/health', intervalInSeconds: 30, timeoutInSeconds: 10, toleratedNumberOfFailures: 3 },
            endpoints: p.endpoints ?? [],
            trafficViewEnrollmentStatus: 'Disabled',
          },
        },
        undefined,
        p.dnsDomain ?? 'trafficmanager.net',
      );
      if (typeof body === 'string') throw new Error(`fake-traffic-manager: bad seed: ${body}`);
      etagCounter += 1;
      profiles.set(key, { body, etag: etagCounter });
    },
    profile(sub, rg, name) {
      const stored = profiles.get(keyOf(sub, rg, name));
      return stored ? view(stored) : undefined;
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
