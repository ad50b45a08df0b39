/**
 * TrafficManagerDnsProvider over a loopback fake of the ARM Traffic Manager API (test/support/fake-traffic-manager.ts).
 *
 * Doc pages followed (the fake answers as they show):
 * - Profiles - Get / Profiles - Create Or Update, api-version 2022-04-01,
 *   https://learn.microsoft.com/en-us/rest/api/trafficmanager/profiles , generated from
 *   Azure/azure-rest-api-specs specification/trafficmanager/resource-manager/Microsoft.Network/stable/2022-04-01/trafficmanager.json
 *   (endpoint weight "Possible values are from 1 to 1000", EndpointStatus Enabled|Disabled, no etag on Profile)
 *   and its example Profile-PUT-WithEndpoints.json;
 * - ETags for resources, Azure/azure-resource-manager-rpc v1.0/Addendum.md (If-Match → 412 when the RP supports it);
 * - ARM throttling, https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/request-limits-and-throttling
 *   (429 + Retry-After);
 * - Weighted routing, https://learn.microsoft.com/en-us/azure/traffic-manager/traffic-manager-routing-methods .
 */
import {
  TrafficManagerDnsProvider,
  createTrafficManagerDnsProvider,
  fetchTrafficManagerApi,
  type TrafficManagerApi,
  type TrafficManagerDnsProviderOptions,
} from '../../shared/adapters/azure/traffic-manager-dns-provider';
import { compareRecords } from '../../shared/core/dns-plan';
import type { MeshgateError } from '../../shared/core/errors';
import type { Outcome } from '../../shared/core/outcome';
import type { ChangeSet, DnsProvider, DnsRecord } from '../../shared/ports/dns-provider';
import type { Logger } from '../../shared/ports/logger';
import { startFakeTrafficManager, type FakeTrafficManager, type SeedProfile } from '../support/fake-traffic-manager';
import { describeDnsProviderContract } from './dns-provider.contract';

const TOKEN = 'tm-SECRET-token-0123456789';
const SUB = '00000000-0000-0000-0000-00000000c0de';
const RG = 'rg-meshgate';
const EMPTY: ChangeSet = { create: [], update: [], delete: [] };

// Compile-time conformance: the adapter satisfies the port, the real HTTP client the narrow API.
const _api: TrafficManagerApi = fetchTrafficManagerApi();
const _port: DnsProvider = new TrafficManagerDnsProvider(_api, { subscriptionId: SUB, resourceGroup: RG, profileName: 'p', tokenProvider: async () => TOKEN });
void _port;

let plain: FakeTrafficManager;
let withEtags: FakeTrafficManager;

beforeAll(async () => {
  plain = await startFakeTrafficManager({ token: TOKEN });
  withEtags = await startFakeTrafficManager({ token: TOKEN, etags: true });
});

afterAll(async () => {
  await plain?.stop();
  await withEtags?.stop();
});

let n = 0;
function newProfile(fake: FakeTrafficManager, extra: Partial<SeedProfile> = {}): { zone: string; fqdn: string; profileName: string } {
  n += 1;
  const zone = `z${n}-${process.pid}.trafficmanager.net`;
  const profileName = `profile-${n}`;
  fake.seed({ subscriptionId: SUB, resourceGroup: RG, profileName, relativeName: 'mcp', dnsDomain: zone, ...extra });
  return { zone, fqdn: `mcp.${zone}.`, profileName };
}

function provider(fake: FakeTrafficManager, profileName: string, extra: Partial<TrafficManagerDnsProviderOptions> & { api?: TrafficManagerApi } = {}): TrafficManagerDnsProvider {
  const { api, ...options } = extra;
  return new TrafficManagerDnsProvider(api ?? fetchTrafficManagerApi(), {
    subscriptionId: SUB,
    resourceGroup: RG,
    profileName,
    tokenProvider: async () => TOKEN,
    baseUrl: fake.endpoint,
    ...options,
  });
}

describeDnsProviderContract('TrafficManagerDnsProvider over the fake ARM API (no ETags, as api-version 2022-04-01 documents)', async () => {
  const { zone, profileName } = newProfile(plain);
  return { zone, leaderA: provider(plain, profileName), leaderB: provider(plain, profileName) };
});

describeDnsProviderContract('TrafficManagerDnsProvider over the fake ARM API with ETags', async () => {
  const { zone, profileName } = newProfile(withEtags);
  return { zone, leaderA: provider(withEtags, profileName), leaderB: provider(withEtags, profileName) };
});

const weighted = (fqdn: string, setId: string, weight: number, value: string, ttl = 30): DnsRecord => ({ fqdn, type: 'A', setId, weight, ttl, values: [value] });

async function ok<T>(p: Promise<Outcome<T>>): Promise<T> {
  const out = await p;
  if (out.status !== 'success') throw new Error(`expected success, got ${out.status}: ${out.error.code} ${out.error.message}`);
  return out.value;
}

function endpoints(fake: FakeTrafficManager, profileName: string): Record<string, { endpointStatus: unknown; weight: unknown; target: unknown }> {
  const profile = fake.profile(SUB, RG, profileName) as { properties: { endpoints: { name: string; type: string; properties: Record<string, unknown> }[] } };
  return Object.fromEntries(
    profile.properties.endpoints.map((e) => [e.name, { endpointStatus: e.properties.endpointStatus, weight: e.properties.weight, target: e.properties.target ?? e.properties.targetResourceId }]),
  );
}

describe('TrafficManagerDnsProvider specifics', () => {
  it('writes weight 0 as endpointStatus Disabled (Traffic Manager weights are 1-1000) and reads Disabled back as 0', async () => {
    const { fqdn, profileName } = newProfile(plain, {
      endpoints: [
        { name: 'legacy-off', type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints', properties: { target: '10.9.0.1', weight: 500, endpointStatus: 'Disabled' } },
        { name: 'legacy-max', type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints', properties: { target: '10.9.0.2', weight: 1000 } },
      ],
    });
    const p = provider(plain, profileName);
    const desired = p.canonicalize([weighted(fqdn, 'aws', 0, '10.0.0.1'), weighted(fqdn, 'gcp', 7, '10.0.0.3'), weighted(fqdn, 'azure', 255, '10.0.0.2')]);
    await ok(p.apply({ ...EMPTY, create: desired }));
    expect(endpoints(plain, profileName)).toMatchObject({
      aws: { endpointStatus: 'Disabled', weight: 1, target: '10.0.0.1' },
      gcp: { endpointStatus: 'Enabled', weight: 7 },
      azure: { endpointStatus: 'Enabled', weight: 255 },
    });
    const read = await p.records(fqdn);
    expect(read.map((r) => [r.setId, r.weight])).toEqual([['aws', 0], ['azure', 255], ['gcp', 7], ['legacy-max', 1000], ['legacy-off', 0]]);

    // Re-enable aws, disable gcp: gcp keeps its last weight on the endpoint, and reads as 0.
    const byId = new Map(read.map((r) => [r.setId, r]));
    await ok(
      p.apply({
        ...EMPTY,
        update: [
          { old: byId.get('aws') as DnsRecord, next: { ...(byId.get('aws') as DnsRecord), weight: 40 } },
          { old: byId.get('gcp') as DnsRecord, next: { ...(byId.get('gcp') as DnsRecord), weight: 0 } },
        ],
      }),
    );
    expect(endpoints(plain, profileName)).toMatchObject({ aws: { endpointStatus: 'Enabled', weight: 40 }, gcp: { endpointStatus: 'Disabled', weight: 7 } });
    expect((await p.records(fqdn)).filter((r) => r.setId === 'aws' || r.setId === 'gcp').map((r) => r.weight)).toEqual([40, 0]);

    // canonicalize stays in the port's 0-255 range; 0 is legal (it becomes Disabled).
    expect(p.canonicalize([-3, 0, 0.4, 300, 254.6].map((w, i) => weighted(fqdn, `s${i}`, w, '10.0.0.1'))).map((r) => r.weight)).toEqual([0, 0, 0, 255, 255]);
  });

  it('the fake enforces the documented weight range: a PUT with weight 0 is 400 BadRequest', async () => {
    const { profileName } = newProfile(plain);
    const url = `${plain.endpoint}/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Network/trafficmanagerprofiles/${profileName}?api-version=2022-04-01`;
    const current = plain.profile(SUB, RG, profileName) as { properties: Record<string, unknown> };
    const body = { ...current, properties: { ...current.properties, endpoints: [{ name: 'x', type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints', properties: { target: '10.0.0.1', weight: 0 } }] } };
    const res = await fetchTrafficManagerApi().send({ method: 'PUT', url, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: 5_000 });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'BadRequest', message: expect.stringMatching(/from 1 to 1000/) } });
    const missingVersion = await fetchTrafficManagerApi().send({ method: 'GET', url: url.replace(/\?.*$/, ''), headers: { authorization: `Bearer ${TOKEN}` }, timeoutMs: 5_000 });
    expect(missingVersion.status).toBe(400);
    expect(JSON.parse(missingVersion.body).error.code).toBe('MissingApiVersionParameter');
  });

  it("rejects a stale leader's fenced change before writing anything: one GET, no PUT, profile unchanged", async () => {
    const { fqdn, profileName } = newProfile(plain);
    const oldLeader = provider(plain, profileName);
    const newLeader = provider(plain, profileName);
    const [aws] = oldLeader.canonicalize([weighted(fqdn, 'aws', 10, '10.0.0.1')]) as [DnsRecord];
    await ok(oldLeader.apply({ ...EMPTY, create: [aws] }, { expectedTerm: 0, term: 1 }));
    await ok(newLeader.apply({ ...EMPTY, update: [{ old: aws, next: { ...aws, weight: 200 } }] }, { expectedTerm: 1, term: 2 }));
    const before = plain.profile(SUB, RG, profileName);
    const seen = plain.requests.length;

    const stale = await oldLeader.apply({ ...EMPTY, create: oldLeader.canonicalize([weighted(fqdn, 'rogue', 9, '10.9.9.9')]) }, { expectedTerm: 1, term: 1 });
    expect(stale.status === 'failure' && stale.error).toMatchObject({ code: 'conflict', details: { term: 2, expectedTerm: 1 } });
    expect(plain.requests.slice(seen).map((r) => r.method)).toEqual(['GET']);
    expect(plain.profile(SUB, RG, profileName)).toEqual(before);
    expect(await newLeader.currentTerm()).toBe(2);
    expect((plain.profile(SUB, RG, profileName) as { tags: Record<string, string> }).tags).toEqual({ 'meshgate-term': '2' });
  });

  it('with ETags, a PUT racing behind another leader (GET → other PUT → PUT) carries If-Match and fails as conflict', async () => {
    const { fqdn, profileName } = newProfile(withEtags);
    const setup = provider(withEtags, profileName);
    const [aws] = setup.canonicalize([weighted(fqdn, 'aws', 10, '10.0.0.1')]) as [DnsRecord];
    await ok(setup.apply({ ...EMPTY, create: [aws] }, { expectedTerm: 0, term: 1 }));
    const newLeader = provider(withEtags, profileName);
    const base = fetchTrafficManagerApi();
    let raced = false;
    const racingApi: TrafficManagerApi = {
      async send(req) {
        if (req.method === 'PUT' && !raced) {
          raced = true;
          await ok(newLeader.apply({ ...EMPTY, update: [{ old: aws, next: { ...aws, weight: 200 } }] }, { expectedTerm: 1, term: 2 }));
        }
        return base.send(req);
      },
    };
    const oldLeader = provider(withEtags, profileName, { api: racingApi });
    const out = await oldLeader.apply({ ...EMPTY, update: [{ old: aws, next: { ...aws, weight: 0 } }] }, { expectedTerm: 1, term: 1 });
    expect(out.status === 'failure' && out.error.code).toBe('conflict');
    const puts = withEtags.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/${profileName}`));
    expect(puts.map((r) => [r.status, typeof r.ifMatch])).toEqual([[200, 'string'], [200, 'string'], [412, 'string']]);
    expect(await newLeader.currentTerm()).toBe(2);
    expect((await newLeader.records(fqdn)).map((r) => r.weight)).toEqual([200]);
  });

  it('without ETags (the documented 2022-04-01 API) the same race is NOT caught: the lease bound has to cover the GET→PUT window', async () => {
    const { fqdn, profileName } = newProfile(plain);
    const setup = provider(plain, profileName);
    const [aws] = setup.canonicalize([weighted(fqdn, 'aws', 10, '10.0.0.1')]) as [DnsRecord];
    await ok(setup.apply({ ...EMPTY, create: [aws] }, { expectedTerm: 0, term: 1 }));
    const newLeader = provider(plain, profileName);
    const base = fetchTrafficManagerApi();
    let raced = false;
    const racingApi: TrafficManagerApi = {
      async send(req) {
        if (req.method === 'PUT' && !raced) {
          raced = true;
          await ok(newLeader.apply({ ...EMPTY, update: [{ old: aws, next: { ...aws, weight: 200 } }] }, { expectedTerm: 1, term: 2 }));
        }
        return base.send(req);
      },
    };
    const oldLeader = provider(plain, profileName, { api: racingApi });
    const out = await oldLeader.apply({ ...EMPTY, update: [{ old: aws, next: { ...aws, weight: 0 } }] }, { expectedTerm: 1, term: 1 });
    // Documented limitation (docs/failover.md): the stale write lands and the term tag goes back to 1.
    expect(out.status).toBe('success');
    expect(await newLeader.currentTerm()).toBe(1);
    // ...and the new leader's next fenced change then fails as conflict, so it re-reads instead of acting blindly.
    const next = await newLeader.apply(EMPTY, { expectedTerm: 2, term: 2 });
    expect(next.status === 'failure' && next.error.code).toBe('conflict');
  });

  it('keeps endpoints of other types and the monitor config on PUT, and skips them in records()', async () => {
    const azureEndpoint = {
      name: 'app-service',
      type: 'Microsoft.Network/trafficManagerProfiles/azureEndpoints',
      properties: { targetResourceId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/sites/z', weight: 3 },
    };
    const { fqdn, profileName } = newProfile(plain, { endpoints: [azureEndpoint] });
    const p = provider(plain, profileName);
    expect(await p.records(fqdn)).toEqual([]);
    await ok(p.apply({ ...EMPTY, create: p.canonicalize([weighted(fqdn, 'aws', 5, '10.0.0.1')]) }, { expectedTerm: 0, term: 1 }));
    const stored = plain.profile(SUB, RG, profileName) as { properties: { monitorConfig: Record<string, unknown> } };
    expect(endpoints(plain, profileName)).toEqual({
      'app-service': { endpointStatus: 'Enabled', weight: 3, target: azureEndpoint.properties.targetResourceId },
      aws: { endpointStatus: 'Enabled', weight: 5, target: '10.0.0.1' },
    });
    expect(stored.properties.monitorConfig).toMatchObject({ protocol: 'HTTPS', port: 443, path: '/health' });
    expect((await p.records(fqdn)).map((r) => r.setId)).toEqual(['aws']);
    const clash = await p.apply({ ...EMPTY, create: p.canonicalize([weighted(fqdn, 'App-Service', 5, '10.0.0.2')]) });
    expect(clash.status === 'failure' && clash.error.code).toBe('conflict');
  });

  it('answers only for the profile name, maps targets to A/AAAA/CNAME, and keeps one TTL per profile', async () => {
    const { fqdn, profileName } = newProfile(plain, { ttl: 60 });
    const p = provider(plain, profileName);
    expect(await p.records(`other.${fqdn}`)).toEqual([]);
    const desired = p.canonicalize([
      { fqdn, type: 'A', setId: 'v4', weight: 1, ttl: 20, values: ['10.0.0.1'] },
      { fqdn, type: 'AAAA', setId: 'v6', weight: 2, ttl: 20, values: ['2001:db8::1'] },
      { fqdn, type: 'CNAME', setId: 'host', weight: 3, ttl: 20, values: ['backend.example.com'] },
    ]);
    await ok(p.apply({ ...EMPTY, create: desired }));
    expect(await p.records(fqdn)).toEqual([...desired].sort(compareRecords));
    expect((plain.profile(SUB, RG, profileName) as { properties: { dnsConfig: { ttl: number } } }).properties.dnsConfig.ttl).toBe(20);

    const invalid: ChangeSet[] = [
      { ...EMPTY, create: [{ fqdn, type: 'A', setId: 'other-ttl', weight: 1, ttl: 300, values: ['10.0.0.9'] }] },
      { ...EMPTY, create: [{ fqdn, type: 'A', setId: 'two', weight: 1, ttl: 20, values: ['10.0.0.7', '10.0.0.8'] }] },
      { ...EMPTY, create: [{ fqdn, type: 'A', setId: 'name', weight: 1, ttl: 20, values: ['backend.example.com'] }] },
      { ...EMPTY, create: [{ fqdn, type: 'TXT', setId: 'txt', weight: 1, ttl: 20, values: ['hello'] }] },
      { ...EMPTY, create: [{ fqdn, type: 'A', setId: '', ttl: 20, values: ['10.0.0.1'] }] },
      { ...EMPTY, create: [{ fqdn: `www.${fqdn}`, type: 'A', setId: 'elsewhere', weight: 1, ttl: 20, values: ['10.0.0.1'] }] },
    ];
    for (const changes of invalid) {
      const out = await p.apply(changes);
      expect(out.status === 'failure' && out.error.code).toBe('validation');
    }
    expect(await p.records(fqdn)).toEqual([...desired].sort(compareRecords));
  });

  it('refuses a profile whose routing method is not Weighted', async () => {
    const { fqdn, profileName } = newProfile(plain, { trafficRoutingMethod: 'Priority' });
    const p = provider(plain, profileName);
    await expect(p.records(fqdn)).rejects.toMatchObject({ code: 'validation' });
    const out = await p.apply({ ...EMPTY, create: p.canonicalize([weighted(fqdn, 'aws', 5, '10.0.0.1')]) });
    expect(out.status === 'failure' && out.error.code).toBe('validation');
  });

  it('sends api-version 2022-04-01 and a bearer token on every request', async () => {
    const { fqdn, profileName } = newProfile(plain);
    const seen = plain.requests.length;
    const p = provider(plain, profileName);
    await ok(p.apply({ ...EMPTY, create: p.canonicalize([weighted(fqdn, 'aws', 5, '10.0.0.1')]) }, { expectedTerm: 0, term: 1 }));
    const mine = plain.requests.slice(seen);
    expect(mine.map((r) => r.method)).toEqual(['GET', 'PUT']);
    for (const r of mine) {
      expect(r.query).toEqual({ 'api-version': '2022-04-01' });
      expect(r.authorization).toBe(`Bearer ${TOKEN}`);
      expect(r.ifMatch).toBeUndefined(); // no ETag to send without ETag support
    }
  });

  it.each([
    [429, { 'retry-after': '7' }, 'retryable', 'throttled', 7_000],
    [429, {}, 'retryable', 'throttled', 1_000],
    [503, {}, 'retryable', 'unavailable', 500],
    [500, { 'retry-after': '2' }, 'retryable', 'unavailable', 2_000],
    [401, {}, 'failure', 'unauthorized', undefined],
    [403, {}, 'failure', 'unauthorized', undefined],
    [400, {}, 'failure', 'validation', undefined],
    [409, {}, 'failure', 'conflict', undefined],
  ] as const)('maps HTTP %i %j on PUT to %s/%s (retry in %s ms)', async (status, headers, outcome, code, retryInMs) => {
    const { fqdn, profileName } = newProfile(plain);
    const p = provider(plain, profileName);
    plain.inject({ method: 'PUT', status, headers });
    const out = await p.apply({ ...EMPTY, create: p.canonicalize([weighted(fqdn, 'aws', 5, '10.0.0.1')]) });
    expect(out.status).toBe(outcome);
    if (out.status !== 'success') expect(out.error.code).toBe(code);
    if (out.status === 'retryable') expect(out.retryInMs).toBe(retryInMs);
    expect(await p.records(fqdn)).toEqual([]);
  });

  it('reads Retry-After as an HTTP date too, and rejects reads on throttling and missing profiles', async () => {
    const { fqdn, profileName } = newProfile(plain);
    const at = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    const p = provider(plain, profileName, { clock: { now: () => at - 3_000 } });
    plain.inject({ method: 'GET', status: 429, headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' } });
    const out = await p.apply({ ...EMPTY, create: p.canonicalize([weighted(fqdn, 'aws', 5, '10.0.0.1')]) });
    expect(out).toMatchObject({ status: 'retryable', retryInMs: 3_000, error: { code: 'throttled' } });
    plain.inject({ method: 'GET', status: 429, headers: { 'retry-after': '1' } });
    await expect(p.records(fqdn)).rejects.toMatchObject({ code: 'throttled', retryable: true });
    await expect(provider(plain, 'no-such-profile').records(fqdn)).rejects.toMatchObject({ code: 'not_found', retryable: false });
    await expect(provider(plain, 'no-such-profile').currentTerm()).rejects.toMatchObject({ code: 'not_found' });
  });

  it('never puts the token in errors or logs (success, 401, throttling with an echoing proxy, network failure)', async () => {
    const { fqdn, profileName } = newProfile(plain);
    const lines: string[] = [];
    const logger: Logger = {
      debug: (f, m) => lines.push(JSON.stringify({ f, m })),
      info: (f, m) => lines.push(JSON.stringify({ f, m })),
      warn: (f, m) => lines.push(JSON.stringify({ f, m })),
      error: (f, m) => lines.push(JSON.stringify({ f, m })),
      child: () => logger,
    };
    const errors: MeshgateError[] = [];
    const collect = (out: Outcome<unknown>): void => {
      if (out.status !== 'success') errors.push(out.error);
    };
    const p = provider(plain, profileName, { logger });
    const rec = p.canonicalize([weighted(fqdn, 'aws', 5, '10.0.0.1')]);
    collect(await p.apply({ ...EMPTY, create: rec }, { expectedTerm: 0, term: 1 }));
    expect(errors).toEqual([]);

    plain.inject({ method: 'PUT', status: 429, headers: { 'retry-after': '3' }, echoAuthorization: true });
    const echoed = await p.apply({ ...EMPTY, update: [{ old: rec[0] as DnsRecord, next: { ...(rec[0] as DnsRecord), weight: 9 } }] });
    expect(echoed.status).toBe('retryable');
    collect(echoed);
    expect(errors[0]?.message).toContain('[redacted]');

    const wrongToken = 'wrong-SECRET-token-9876543210';
    const rejected = provider(plain, profileName, { logger, tokenProvider: async () => wrongToken });
    collect(await rejected.apply(EMPTY, { expectedTerm: 1, term: 2 }));
    const down = createTrafficManagerDnsProvider({ subscriptionId: SUB, resourceGroup: RG, profileName, baseUrl: 'http://127.0.0.1:1', tokenProvider: async () => TOKEN, logger });
    collect(await down.apply(EMPTY, { expectedTerm: 1, term: 2 }));
    await down.records(fqdn).catch((err: MeshgateError) => errors.push(err));

    expect(errors.map((e) => [e.code, e.retryable])).toEqual([
      ['throttled', true],
      ['unauthorized', false],
      ['unavailable', true],
      ['unavailable', true],
    ]);
    const everything = [
      ...lines,
      ...errors.map((e) => JSON.stringify({ message: e.message, details: e.details, code: e.code, stack: e.stack, cause: String(e.cause ?? '') })),
    ].join('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [TOKEN, wrongToken]) expect(everything).not.toContain(secret);
  });
});
