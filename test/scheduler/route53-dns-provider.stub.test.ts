/**
 * Route53DnsProvider over a stubbed Route53Api: the exact ChangeBatch it sends, pagination, error mapping.
 */
import { Route53DnsProvider, quoteTxt, unquoteTxt, type Route53Api } from '../../shared/adapters/aws/route53-dns-provider';
import {
  Route53RestApi,
  Route53RestError,
  type ChangeResourceRecordSetsInput,
  type ListResourceRecordSetsInput,
  type ListResourceRecordSetsOutput,
  type Route53ResourceRecordSet,
} from '../../shared/adapters/aws/route53-rest-api';
import type { DnsProvider, DnsRecord } from '../../shared/ports/dns-provider';

// Compile-time conformance: the REST client satisfies the narrow API, the adapter satisfies the port.
const _api: Route53Api = new Route53RestApi({ credentials: async () => ({ accessKeyId: 'k', secretAccessKey: 's' }) });
_api satisfies Route53Api;
const _port: DnsProvider = new Route53DnsProvider(_api, { hostedZoneId: 'Z', zoneName: 'example.com' });
void _port;

type Operation = keyof Route53Api;
interface Call {
  readonly op: Operation;
  readonly input: unknown;
}
type Handler = (call: Call) => unknown;

function stub(handler: Handler): { api: Route53Api; calls: Call[] } {
  const calls: Call[] = [];
  const method = (op: Operation) => async (input: unknown) => {
    const call = { op, input };
    calls.push(call);
    return handler(call);
  };
  return { api: { listResourceRecordSets: method('listResourceRecordSets'), changeResourceRecordSets: method('changeResourceRecordSets'), getChange: method('getChange') } as Route53Api, calls };
}

const awsError = (name: string, status: number, messages: string[] = []) => new Route53RestError(name, status, `${name} happened`, messages);

const rec = (setId: string, weight: number): DnsRecord => ({ fqdn: 'mcp.example.com.', type: 'A', setId, weight, ttl: 30, values: ['10.0.0.1'] });
const changed = { status: 'success', value: { changeId: '/change/C1' } };

describe('Route53DnsProvider (stubbed API)', () => {
  it('sends one ChangeBatch: old fence DELETE, record DELETEs, new fence CREATE, record CREATEs', async () => {
    const { api, calls } = stub(() => ({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING' } }));
    const p = new Route53DnsProvider(api, { hostedZoneId: '/hostedzone/Z123', zoneName: 'Example.com' });
    const out = await p.apply({ create: [rec('azure', 5)], update: [{ old: rec('aws', 1), next: rec('aws', 2) }], delete: [] }, { expectedTerm: 1, term: 2 });
    expect(out).toEqual({ status: 'success', value: { changeId: '/change/C1', changeCount: 5 } });
    expect(calls).toHaveLength(1);
    const input = calls[0]?.input as ChangeResourceRecordSetsInput;
    expect(calls[0]?.op).toBe('changeResourceRecordSets');
    expect(input.HostedZoneId).toBe('Z123');
    expect(input.ChangeBatch?.Comment).toBe('meshgate term 2');
    expect(input.ChangeBatch?.Changes).toEqual([
      { Action: 'DELETE', ResourceRecordSet: { Name: '_meshgate-term.example.com.', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"term=1"' }] } },
      { Action: 'DELETE', ResourceRecordSet: { Name: 'mcp.example.com.', Type: 'A', SetIdentifier: 'aws', Weight: 1, TTL: 30, ResourceRecords: [{ Value: '10.0.0.1' }] } },
      { Action: 'CREATE', ResourceRecordSet: { Name: '_meshgate-term.example.com.', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"term=2"' }] } },
      { Action: 'CREATE', ResourceRecordSet: { Name: 'mcp.example.com.', Type: 'A', SetIdentifier: 'aws', Weight: 2, TTL: 30, ResourceRecords: [{ Value: '10.0.0.1' }] } },
      { Action: 'CREATE', ResourceRecordSet: { Name: 'mcp.example.com.', Type: 'A', SetIdentifier: 'azure', Weight: 5, TTL: 30, ResourceRecords: [{ Value: '10.0.0.1' }] } },
    ]);
  });

  it('sends updates as UPSERT in upsert mode', async () => {
    const { api, calls } = stub(() => ({ ChangeInfo: { Id: '/change/C2' } }));
    const p = new Route53DnsProvider(api, { hostedZoneId: 'Z', zoneName: 'example.com', updateMode: 'upsert' });
    await p.apply({ create: [], update: [{ old: rec('aws', 1), next: rec('aws', 2) }], delete: [] });
    const input = calls[0]?.input as ChangeResourceRecordSetsInput;
    expect(input.ChangeBatch?.Changes?.map((c) => c.Action)).toEqual(['UPSERT']);
  });

  it('validates before sending and sends nothing for an empty unfenced change set', async () => {
    const { api, calls } = stub(() => changed);
    const p = new Route53DnsProvider(api, { hostedZoneId: 'Z', zoneName: 'example.com' });
    expect((await p.apply({ create: [rec('a', 300)], update: [], delete: [] })).status).toBe('failure');
    expect((await p.apply({ create: [], update: [], delete: [] })).status).toBe('success');
    expect(calls).toHaveLength(0);
  });

  it.each([
    ['InvalidChangeBatch', 400, 'failure', 'conflict', undefined],
    ['InvalidInput', 400, 'failure', 'validation', undefined],
    ['NoSuchHostedZone', 404, 'failure', 'not_found', undefined],
    ['AccessDenied', 403, 'failure', 'unauthorized', undefined],
    ['Throttling', 400, 'retryable', 'throttled', 1000],
    ['PriorRequestNotComplete', 400, 'retryable', 'throttled', 1000],
    ['ServiceUnavailable', 503, 'retryable', 'unavailable', 500],
    ['InternalFailure', 500, 'retryable', 'unavailable', 500],
    ['SomethingOdd', 400, 'failure', 'internal', undefined],
  ])('maps %s (%i) to %s/%s', async (name, status, outcome, code, retryInMs) => {
    const { api } = stub(() => {
      throw awsError(name, status, name === 'InvalidChangeBatch' ? ['Tried to delete resource record set ... but it was not found'] : []);
    });
    const p = new Route53DnsProvider(api, { hostedZoneId: 'Z', zoneName: 'example.com' });
    const out = await p.apply({ create: [rec('a', 1)], update: [], delete: [] }, { expectedTerm: 0, term: 1 });
    expect(out.status).toBe(outcome);
    if (out.status === 'success') return;
    expect(out.error.code).toBe(code);
    expect(out.error.retryable).toBe(outcome === 'retryable');
    expect(out.status === 'retryable' ? out.retryInMs : undefined).toBe(retryInMs);
    if (name === 'InvalidChangeBatch') expect(out.error.message).toMatch(/not found/);
  });

  it('maps network errors (even wrapped by fetch) to retryable unavailable', async () => {
    const wrapped = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    const direct = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    for (const err of [wrapped, direct]) {
      const { api } = stub(() => {
        throw err;
      });
      const p = new Route53DnsProvider(api, { hostedZoneId: 'Z', zoneName: 'example.com' });
      const out = await p.apply({ create: [rec('a', 1)], update: [], delete: [] });
      expect(out.status === 'retryable' && out.error.code).toBe('unavailable');
      await expect(p.records('mcp.example.com')).rejects.toMatchObject({ code: 'unavailable', retryable: true });
    }
  });

  it('lists one name across pages, skipping other routing policies and aliases, and stops at the next name', async () => {
    const set = (over: Partial<Route53ResourceRecordSet>): Route53ResourceRecordSet => ({ Name: 'mcp.example.com.', Type: 'A', TTL: 30, ResourceRecords: [{ Value: '10.0.0.1' }], ...over });
    const pages: ListResourceRecordSetsOutput[] = [
      {
        ResourceRecordSets: [set({ SetIdentifier: 'aws', Weight: 7 }), set({ SetIdentifier: 'lat', Region: 'us-east-1' })],
        IsTruncated: true,
        NextRecordName: 'mcp.example.com.',
        NextRecordType: 'A',
        NextRecordIdentifier: 'gcp',
      },
      {
        ResourceRecordSets: [
          set({ SetIdentifier: 'gcp', Weight: 9, ResourceRecords: [{ Value: '10.0.0.3' }, { Value: '10.0.0.2' }] }),
          set({ SetIdentifier: 'alias', Weight: 1, ResourceRecords: undefined, AliasTarget: { HostedZoneId: 'Z', DNSName: 'x.', EvaluateTargetHealth: false } }),
          set({ Name: 'mcp.example.com.', Type: 'TXT', ResourceRecords: [{ Value: '"a" "b"' }] }),
          set({ Name: 'zzz.example.com.' }),
        ],
        IsTruncated: true,
        NextRecordName: 'zzzz.example.com.',
      },
    ];
    const { api, calls } = stub(() => pages[calls.length - 1]);
    const p = new Route53DnsProvider(api, { hostedZoneId: 'Z', zoneName: 'example.com' });
    expect(await p.records('MCP.example.com')).toEqual([
      { fqdn: 'mcp.example.com.', type: 'TXT', setId: '', ttl: 30, values: ['ab'] },
      { fqdn: 'mcp.example.com.', type: 'A', setId: 'aws', weight: 7, ttl: 30, values: ['10.0.0.1'] },
      { fqdn: 'mcp.example.com.', type: 'A', setId: 'gcp', weight: 9, ttl: 30, values: ['10.0.0.2', '10.0.0.3'] },
    ]);
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.op)).toEqual(['listResourceRecordSets', 'listResourceRecordSets']);
    expect(calls[0]?.input as ListResourceRecordSetsInput).toEqual({ HostedZoneId: 'Z', StartRecordName: 'mcp.example.com.' });
    expect(calls[1]?.input as ListResourceRecordSetsInput).toEqual({ HostedZoneId: 'Z', StartRecordName: 'mcp.example.com.', StartRecordType: 'A', StartRecordIdentifier: 'gcp' });
  });

  it('reads the current term from the fence record', async () => {
    const { api } = stub(() => ({ ResourceRecordSets: [{ Name: '_meshgate-term.example.com.', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"term=42"' }] }] }));
    expect(await new Route53DnsProvider(api, { hostedZoneId: 'Z', zoneName: 'example.com.' }).currentTerm()).toBe(42);
    const empty = stub(() => ({ ResourceRecordSets: [] }));
    expect(await new Route53DnsProvider(empty.api, { hostedZoneId: 'Z', zoneName: 'example.com' }).currentTerm()).toBe(0);
  });

  it('polls GetChange until INSYNC, and gives up as retryable timeout', async () => {
    let now = 0;
    const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
    const statuses = ['PENDING', 'PENDING', 'INSYNC'];
    const { api, calls } = stub(() => ({ ChangeInfo: { Id: 'C1', Status: statuses.shift() ?? 'PENDING' } }));
    const p = new Route53DnsProvider(api, { hostedZoneId: 'Z', zoneName: 'example.com', clock });
    expect(await p.waitForInsync('/change/C1', { intervalMs: 1_000, timeoutMs: 10_000 })).toEqual({ status: 'success', value: { status: 'INSYNC' } });
    expect(calls.every((c) => c.op === 'getChange')).toBe(true);
    expect(now).toBe(2_000);
    const late = await p.waitForInsync('/change/C1', { intervalMs: 1_000, timeoutMs: 3_000 });
    expect(late.status === 'retryable' && late.error.code).toBe('timeout');
  });

  it('quotes and unquotes TXT values', () => {
    expect(quoteTxt('term=1')).toBe('"term=1"');
    expect(quoteTxt('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
    expect(quoteTxt('')).toBe('""');
    expect(quoteTxt('x'.repeat(300))).toBe(`"${'x'.repeat(255)}" "${'x'.repeat(45)}"`);
    expect(quoteTxt('café')).toBe('"caf\\303\\251"');
    for (const text of ['term=1', 'a "b" \\c', '', 'x'.repeat(600), 'é'.repeat(200), 'tab\there']) expect(unquoteTxt(quoteTxt(text))).toBe(text);
    expect(unquoteTxt('"caf\\303\\251"')).toBe('café');
    expect(unquoteTxt('plain')).toBe('plain');
  });

  it('canonicalizes to Route 53 form', () => {
    const p = new Route53DnsProvider(stub(() => undefined).api, { hostedZoneId: 'Z', zoneName: 'example.com' });
    expect(p.canonicalize([{ fqdn: 'MCP.Example.com', type: 'A', setId: 'x', weight: 255.6, ttl: 0, values: ['10.0.0.1'] }])).toEqual([
      { fqdn: 'mcp.example.com.', type: 'A', setId: 'x', weight: 255, ttl: 5, values: ['10.0.0.1'] },
    ]);
  });
});
