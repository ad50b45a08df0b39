/**
 * CloudDnsDnsProvider over a loopback fake of the Cloud DNS REST API v1 (test/support/fake-cloud-dns.ts).
 *
 * Doc pages followed (the fake answers as they show):
 * - resourceRecordSets.list, https://cloud.google.com/dns/docs/reference/rest/v1/resourceRecordSets/list
 *   (name/type filters, maxResults, pageToken/nextPageToken);
 * - changes.create and changes.get, https://cloud.google.com/dns/docs/reference/rest/v1/changes (atomic change,
 *   status pending|done);
 * - ResourceRecordSet and RRSetRoutingPolicy.WrrPolicy, https://cloud.google.com/dns/docs/reference/rest/v1/resourceRecordSets
 *   ("This weight must be non-negative"), and the discovery document googleapis/google-api-go-client dns/v1/dns-api.json;
 * - weighted round robin routing policies, https://cloud.google.com/dns/docs/routing-policies-overview ;
 * - Google API errors, https://cloud.google.com/apis/design/errors , with Cloud DNS's change errors (412
 *   conditionNotMet, 404 notFound, 409 alreadyExists) as seen in kubernetes-sigs/external-dns #467 and #2817.
 */
import {
  CloudDnsDnsProvider,
  createCloudDnsDnsProvider,
  quoteTxt,
  fetchCloudDnsApi,
  unquoteTxt,
  type CloudDnsApi,
  type CloudDnsDnsProviderOptions,
} from '../../shared/adapters/gcp/cloud-dns-dns-provider';
import { compareRecords } from '../../shared/core/dns-plan';
import type { MeshgateError } from '../../shared/core/errors';
import type { Outcome } from '../../shared/core/outcome';
import type { ChangeSet, DnsProvider, DnsRecord } from '../../shared/ports/dns-provider';
import type { Logger } from '../../shared/ports/logger';
import { startFakeCloudDns, type FakeCloudDns } from '../support/fake-cloud-dns';
import { describeDnsProviderContract } from './dns-provider.contract';

const TOKEN = 'gcp-SECRET-token-0123456789';
const PROJECT = 'meshgate-test';
const EMPTY: ChangeSet = { create: [], update: [], delete: [] };

// Compile-time conformance: the adapter satisfies the port, the real HTTP client the narrow API.
const _api: CloudDnsApi = fetchCloudDnsApi();
const _port: DnsProvider = new CloudDnsDnsProvider(_api, { project: PROJECT, managedZone: 'z', zoneName: 'example.com', tokenProvider: async () => TOKEN });
void _port;

let fake: FakeCloudDns;

beforeAll(async () => {
  // One rrset per page unless the client asks for more: every read goes through pagination.
  fake = await startFakeCloudDns({ token: TOKEN, defaultPageSize: 1, pendingReads: 2 });
});

afterAll(async () => {
  await fake?.stop();
});

let n = 0;
function newZone(): { zone: string; managedZone: string; fqdn: string } {
  n += 1;
  const zone = `t${n}-${process.pid}.example.com`;
  const managedZone = `zone-${n}`;
  fake.createZone(PROJECT, managedZone, `${zone}.`);
  return { zone, managedZone, fqdn: `mcp.${zone}.` };
}

function provider(z: { zone: string; managedZone: string }, extra: Partial<CloudDnsDnsProviderOptions> & { api?: CloudDnsApi } = {}): CloudDnsDnsProvider {
  const { api, ...options } = extra;
  return new CloudDnsDnsProvider(api ?? fetchCloudDnsApi(), {
    project: PROJECT,
    managedZone: z.managedZone,
    zoneName: z.zone,
    tokenProvider: async () => TOKEN,
    baseUrl: fake.endpoint,
    ...options,
  });
}

describeDnsProviderContract('CloudDnsDnsProvider over the fake Cloud DNS API', async () => {
  const z = newZone();
  return { zone: z.zone, leaderA: provider(z), leaderB: provider(z, { pageSize: 2 }) };
});

const weighted = (fqdn: string, setId: string, weight: number, value: string, ttl = 30): DnsRecord => ({ fqdn, type: 'A', setId, weight, ttl, values: [value] });

async function ok<T>(p: Promise<Outcome<T>>): Promise<T> {
  const out = await p;
  if (out.status !== 'success') throw new Error(`expected success, got ${out.status}: ${out.error.code} ${out.error.message}`);
  return out.value;
}

const rrsetsAt = (z: { managedZone: string }, name: string) => fake.rrsets(PROJECT, z.managedZone).filter((s) => s.name === name);

describe('CloudDnsDnsProvider specifics', () => {
  it('holds all weighted records of a name and type in ONE wrr rrset, items ordered by set id, ids in the companion TXT', async () => {
    const z = newZone();
    const p = provider(z);
    const desired = p.canonicalize([weighted(z.fqdn, 'gcp', 128, '10.0.0.3'), weighted(z.fqdn, 'aws', 0, '10.0.0.1'), weighted(z.fqdn, 'azure', 255, '10.0.0.2')]);
    const applied = await ok(p.apply({ ...EMPTY, create: desired }, { expectedTerm: 0, term: 1 }));
    // additions: fence, the wrr rrset, the companion.
    expect(applied.changeCount).toBe(3);
    expect(rrsetsAt(z, z.fqdn)).toEqual([
      {
        kind: 'dns#resourceRecordSet',
        name: z.fqdn,
        type: 'A',
        ttl: 30,
        routingPolicy: {
          kind: 'dns#rRSetRoutingPolicy',
          wrr: {
            kind: 'dns#rRSetRoutingPolicyWrrPolicy',
            items: [
              { kind: 'dns#rRSetRoutingPolicyWrrPolicyWrrPolicyItem', weight: 0, rrdatas: ['10.0.0.1'] },
              { kind: 'dns#rRSetRoutingPolicyWrrPolicyWrrPolicyItem', weight: 255, rrdatas: ['10.0.0.2'] },
              { kind: 'dns#rRSetRoutingPolicyWrrPolicyWrrPolicyItem', weight: 128, rrdatas: ['10.0.0.3'] },
            ],
          },
        },
      },
    ]);
    expect(rrsetsAt(z, `_meshgate-sets.${z.fqdn}`)).toEqual([
      { kind: 'dns#resourceRecordSet', name: `_meshgate-sets.${z.fqdn}`, type: 'TXT', ttl: 60, rrdatas: ['"A aws azure gcp"'] },
    ]);
    expect(rrsetsAt(z, `_meshgate-term.${z.zone}.`)).toEqual([
      { kind: 'dns#resourceRecordSet', name: `_meshgate-term.${z.zone}.`, type: 'TXT', ttl: 60, rrdatas: ['"term=1"'] },
    ]);
    expect(await p.records(z.fqdn)).toEqual([...desired].sort(compareRecords));
    expect(await p.records(`_meshgate-sets.${z.fqdn}`)).toEqual([]);

    // Renaming a set id with the same weight and value rewrites only the companion.
    const gcp = desired.find((r) => r.setId === 'gcp') as DnsRecord;
    const renamed = await ok(p.apply({ ...EMPTY, delete: [gcp], create: [{ ...gcp, setId: 'gcp-eu' }] }));
    expect(renamed.changeCount).toBe(2); // companion deleted + added; the A rrset is untouched
    expect(rrsetsAt(z, `_meshgate-sets.${z.fqdn}`)[0]?.rrdatas).toEqual(['"A aws azure gcp-eu"']);
    // Deleting every weighted record removes the rrset and the companion.
    await ok(p.apply({ ...EMPTY, delete: await p.records(z.fqdn) }));
    expect(rrsetsAt(z, z.fqdn)).toEqual([]);
    expect(rrsetsAt(z, `_meshgate-sets.${z.fqdn}`)).toEqual([]);
  });

  it("rejects a stale leader's change atomically: Cloud DNS answers 412 on the old fence deletion and nothing changes", async () => {
    const z = newZone();
    const oldLeader = provider(z);
    const newLeader = provider(z);
    const [aws] = oldLeader.canonicalize([weighted(z.fqdn, 'aws', 10, '10.0.0.1')]) as [DnsRecord];
    await ok(oldLeader.apply({ ...EMPTY, create: [aws] }, { expectedTerm: 0, term: 1 }));
    await ok(newLeader.apply({ ...EMPTY, update: [{ old: aws, next: { ...aws, weight: 200 } }] }, { expectedTerm: 1, term: 2 }));
    const before = fake.rrsets(PROJECT, z.managedZone);
    const seen = fake.requests.length;

    // Valid on its own (a new set id), stale only by its fence.
    const stale = await oldLeader.apply({ ...EMPTY, create: oldLeader.canonicalize([weighted(z.fqdn, 'rogue', 9, '10.9.9.9')]) }, { expectedTerm: 1, term: 1 });
    expect(stale.status === 'failure' && stale.error.code).toBe('conflict');
    const posts = fake.requests.slice(seen).filter((r) => r.method === 'POST');
    expect(posts).toEqual([expect.objectContaining({ status: 412, reasons: ['conditionNotMet'], message: "Precondition not met for 'entity.change.deletions[0]'" })]);
    expect(fake.rrsets(PROJECT, z.managedZone)).toEqual(before);
    expect(await newLeader.currentTerm()).toBe(2);

    // A first-term claim over a recorded term: 409 alreadyExists on the fence addition.
    const claim = await provider(z).apply(EMPTY, { expectedTerm: 0, term: 3 });
    expect(claim.status === 'failure' && claim.error.code).toBe('conflict');
    expect(fake.requests[fake.requests.length - 1]).toMatchObject({ status: 409, reasons: ['alreadyExists'] });
  });

  it('is compare-and-set per rrset: a writer between our read and our POST makes Cloud DNS reject the whole change', async () => {
    const z = newZone();
    const setup = provider(z);
    const [aws, gcp] = setup.canonicalize([weighted(z.fqdn, 'aws', 10, '10.0.0.1'), weighted(z.fqdn, 'gcp', 10, '10.0.0.3')]) as [DnsRecord, DnsRecord];
    await ok(setup.apply({ ...EMPTY, create: [aws, gcp] }));
    const other = provider(z);
    const base = fetchCloudDnsApi();
    let raced = false;
    const racingApi: CloudDnsApi = {
      async send(req) {
        if (req.method === 'POST' && !raced) {
          raced = true;
          await ok(other.apply({ ...EMPTY, update: [{ old: gcp, next: { ...gcp, weight: 99 } }] }));
        }
        return base.send(req);
      },
    };
    // Touches only aws, but aws and gcp live in the same rrset, which changed since it was read.
    const out = await provider(z, { api: racingApi }).apply({ ...EMPTY, update: [{ old: aws, next: { ...aws, weight: 0 } }] });
    expect(out.status === 'failure' && out.error.code).toBe('conflict');
    expect(fake.requests[fake.requests.length - 1]).toMatchObject({ method: 'POST', status: 412, reasons: ['conditionNotMet'] });
    expect((await setup.records(z.fqdn)).map((r) => [r.setId, r.weight])).toEqual([['aws', 10], ['gcp', 99]]);
  });

  it('reads every page (one rrset per page) and filters by name', async () => {
    const z = newZone();
    const p = provider(z);
    const desired = p.canonicalize([
      weighted(z.fqdn, 'aws', 1, '10.0.0.1'),
      { fqdn: z.fqdn, type: 'AAAA', setId: 'aws', weight: 1, ttl: 30, values: ['2001:db8::1'] },
      { fqdn: z.fqdn, type: 'TXT', setId: '', ttl: 60, values: ['say "hi" \\ there', 'x'.repeat(300), 'ünïcode'] },
      weighted(`www.${z.zone}`, 'aws', 1, '10.0.0.9'),
    ]);
    await ok(p.apply({ ...EMPTY, create: desired }));
    const seen = fake.requests.length;
    const read = await p.records(z.fqdn);
    expect(read).toEqual(desired.filter((r) => r.fqdn === z.fqdn).sort(compareRecords));
    const lists = fake.requests.slice(seen).filter((r) => r.query.name === z.fqdn);
    expect(lists.map((r) => r.query.pageToken === undefined)).toEqual([true, false, false]);
    // TXT values are written quoted, in strings of at most 255 bytes.
    const txt = rrsetsAt(z, z.fqdn).find((s) => s.type === 'TXT') as { rrdatas: string[] };
    expect(txt.rrdatas).toContain(`"${'x'.repeat(255)}" "${'x'.repeat(45)}"`);
    expect(txt.rrdatas).toContain('"say \\"hi\\" \\\\ there"');
    expect(unquoteTxt(quoteTxt('ünïcode'))).toBe('ünïcode');
  });

  it('fully qualifies CNAME targets and gives the weighted items of one rrset one TTL', async () => {
    const z = newZone();
    const p = provider(z);
    const desired = p.canonicalize([
      { fqdn: z.fqdn, type: 'CNAME', setId: 'aws', weight: 1, ttl: 60, values: ['Backend.AWS.example.net'] },
      { fqdn: z.fqdn, type: 'CNAME', setId: 'gcp', weight: 2, ttl: 20, values: ['backend.gcp.example.net.'] },
    ]);
    expect(desired.map((r) => [r.ttl, r.values])).toEqual([
      [20, ['backend.aws.example.net.']],
      [20, ['backend.gcp.example.net.']],
    ]);
    await ok(p.apply({ ...EMPTY, create: desired }));
    expect(await p.records(z.fqdn)).toEqual(desired);

    const invalid: ChangeSet[] = [
      { ...EMPTY, create: [{ fqdn: z.fqdn, type: 'CNAME', setId: 'azure', weight: 1, ttl: 300, values: ['backend.azure.example.net.'] }] },
      { ...EMPTY, create: [{ fqdn: z.fqdn, type: 'CNAME', setId: '', ttl: 20, values: ['plain.example.net.'] }] },
      { ...EMPTY, create: [weighted('mcp.elsewhere.org', 'aws', 1, '10.0.0.1')] },
      { ...EMPTY, create: [{ fqdn: `_meshgate-sets.${z.fqdn}`, type: 'TXT', setId: '', ttl: 60, values: ['A x'] }] },
    ];
    for (const changes of invalid) {
      const out = await p.apply(changes);
      expect(out.status === 'failure' && out.error.code).toBe('validation');
    }
    expect(await p.records(z.fqdn)).toEqual(desired);
  });

  it('skips record sets it does not manage and refuses to change them', async () => {
    const z = newZone();
    fake.putRrsets(PROJECT, z.managedZone, [
      { name: z.fqdn, type: 'A', ttl: 30, routingPolicy: { wrr: { items: [{ weight: 1, rrdatas: ['10.1.0.1'] }, { weight: 2, rrdatas: ['10.1.0.2'] }] } } },
      { name: z.fqdn, type: 'AAAA', ttl: 30, routingPolicy: { geo: { items: [{ location: 'europe-west1', rrdatas: ['2001:db8::1'] }] } } },
    ]);
    const p = provider(z);
    expect(await p.records(z.fqdn)).toEqual([]);
    const before = fake.rrsets(PROJECT, z.managedZone);
    for (const r of [weighted(z.fqdn, 'aws', 1, '10.0.0.1'), { fqdn: z.fqdn, type: 'AAAA' as const, setId: 'aws', weight: 1, ttl: 30, values: ['2001:db8::2'] }]) {
      const out = await p.apply({ ...EMPTY, create: [r] });
      expect(out.status === 'failure' && out.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/not managed by meshgate/) });
    }
    expect(fake.rrsets(PROJECT, z.managedZone)).toEqual(before);
  });

  it('reports pending changes and waits until they are done', async () => {
    const z = newZone();
    const p = provider(z);
    const applied = await ok(p.apply({ ...EMPTY, create: p.canonicalize([weighted(z.fqdn, 'aws', 1, '10.0.0.1')]) }));
    expect(applied.changeId).toEqual(expect.any(String));
    let now = 0;
    const clocked = provider(z, { clock: { now: () => now, sleep: async (ms) => void (now += ms) } });
    const timedOut = await clocked.waitForDone(applied.changeId as string, { timeoutMs: 10, intervalMs: 10 });
    expect(timedOut).toMatchObject({ status: 'retryable', error: { code: 'timeout' } });
    expect(await clocked.waitForDone(applied.changeId as string, { timeoutMs: 1_000, intervalMs: 10 })).toEqual({ status: 'success', value: { status: 'done' } });
    const missing = await clocked.waitForDone('999', { timeoutMs: 10, intervalMs: 10 });
    expect(missing.status === 'failure' && missing.error.code).toBe('not_found');
  });

  it.each([
    [429, { 'retry-after': '7' }, undefined, 'retryable', 'throttled', 7_000],
    [403, {}, 'rateLimitExceeded', 'retryable', 'throttled', 1_000],
    [503, {}, undefined, 'retryable', 'unavailable', 500],
    [401, {}, undefined, 'failure', 'unauthorized', undefined],
    [403, {}, 'forbidden', 'failure', 'unauthorized', undefined],
    [400, {}, 'invalid', 'failure', 'validation', undefined],
    [409, {}, 'alreadyExists', 'failure', 'conflict', undefined],
    [412, {}, 'conditionNotMet', 'failure', 'conflict', undefined],
  ] as const)('maps HTTP %i %j (%s) on changes.create to %s/%s (retry in %s ms)', async (status, headers, reason, outcome, code, retryInMs) => {
    const z = newZone();
    const p = provider(z);
    fake.inject({ method: 'POST', status, headers, ...(reason ? { reason } : {}) });
    const out = await p.apply({ ...EMPTY, create: p.canonicalize([weighted(z.fqdn, 'aws', 5, '10.0.0.1')]) });
    expect(out.status).toBe(outcome);
    if (out.status !== 'success') expect(out.error.code).toBe(code);
    if (out.status === 'retryable') expect(out.retryInMs).toBe(retryInMs);
    expect(await p.records(z.fqdn)).toEqual([]);
  });

  it('maps a missing zone to not_found, a vanished rrset in a change to conflict, throttled reads to rejections', async () => {
    const z = newZone();
    const missing = provider({ zone: z.zone, managedZone: 'no-such-zone' });
    await expect(missing.records(z.fqdn)).rejects.toMatchObject({ code: 'not_found', retryable: false });
    const p = provider(z);
    fake.inject({ method: 'POST', status: 404, reason: 'notFound', body: { error: { code: 404, message: "The 'entity.change.deletions[0]' resource named 'x. (A)' does not exist.", errors: [{ reason: 'notFound' }] } } });
    const out = await p.apply(EMPTY, { expectedTerm: 0, term: 1 });
    expect(out.status === 'failure' && out.error.code).toBe('conflict');
    fake.inject({ method: 'GET', status: 429, headers: { 'retry-after': '1' } });
    await expect(p.currentTerm()).rejects.toMatchObject({ code: 'throttled', retryable: true });
  });

  it('never puts the token in errors or logs (success, 401, throttling with an echoing proxy, network failure)', async () => {
    const z = newZone();
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
    const p = provider(z, { logger });
    collect(await p.apply({ ...EMPTY, create: p.canonicalize([weighted(z.fqdn, 'aws', 5, '10.0.0.1')]) }, { expectedTerm: 0, term: 1 }));
    expect(errors).toEqual([]);

    fake.inject({ method: 'POST', status: 429, headers: { 'retry-after': '3' }, echoAuthorization: true });
    const echoed = await p.apply(EMPTY, { expectedTerm: 1, term: 2 });
    expect(echoed.status).toBe('retryable');
    collect(echoed);
    expect(errors[0]?.message).toContain('[redacted]');

    const wrongToken = 'wrong-SECRET-token-9876543210';
    collect(await provider(z, { logger, tokenProvider: async () => wrongToken }).apply({ ...EMPTY, create: p.canonicalize([weighted(z.fqdn, 'x', 1, '10.0.0.2')]) }));
    const down = createCloudDnsDnsProvider({ project: PROJECT, managedZone: z.managedZone, zoneName: z.zone, baseUrl: 'http://127.0.0.1:1', tokenProvider: async () => TOKEN, logger });
    collect(await down.apply(EMPTY, { expectedTerm: 1, term: 2 }));
    await down.records(z.fqdn).catch((err: MeshgateError) => errors.push(err));

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
