/**
 * Route53RestApi over a stubbed fetch: the requests it signs and sends, the XML it reads, errors without secrets.
 */
import { Route53NetworkError, Route53RestApi, Route53RestError, changeBatchXml, escapeXml, parseXml } from '../../shared/adapters/aws/route53-rest-api';

const XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'SECRETKEY/abc', sessionToken: 'SESSIONTOKEN123' };

interface Sent {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

function api(answers: (() => Response)[]): { api: Route53RestApi; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetchStub = (async (url: string, init: RequestInit) => {
    sent.push({ url, method: init.method ?? 'GET', headers: init.headers as Record<string, string>, body: init.body as string | undefined });
    const next = answers.shift();
    if (!next) throw new Error('unexpected request');
    return next();
  }) as unknown as typeof fetch;
  return {
    api: new Route53RestApi({ endpoint: 'http://127.0.0.1:4566/', credentials: async () => credentials, fetch: fetchStub, now: () => new Date('2026-01-02T03:04:05Z') }),
    sent,
  };
}

const xml = (status: number, body: string) => () => new Response(body, { status, headers: { 'Content-Type': 'text/xml' } });

describe('Route53RestApi (stubbed fetch)', () => {
  it('lists a page: signed GET with name/type/identifier, record sets, truncation and next record', async () => {
    const page =
      `<?xml version="1.0"?>\n<ListResourceRecordSetsResponse xmlns="${XMLNS}"><ResourceRecordSets>` +
      `<ResourceRecordSet><Name>mcp.example.com.</Name><Type>A</Type><SetIdentifier>aws &amp; co</SetIdentifier><Weight>7</Weight><TTL>30</TTL>` +
      `<ResourceRecords><ResourceRecord><Value>10.0.0.1</Value></ResourceRecord><ResourceRecord><Value>10.0.0.2</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>` +
      `<ResourceRecordSet><Name>mcp.example.com.</Name><Type>TXT</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value><![CDATA["a" "b"]]></Value></ResourceRecord></ResourceRecords></ResourceRecordSet>` +
      `<ResourceRecordSet><Name>mcp.example.com.</Name><Type>A</Type><SetIdentifier>geo</SetIdentifier><GeoLocation><CountryCode>DE</CountryCode></GeoLocation><TTL>30</TTL>` +
      `<ResourceRecords><ResourceRecord><Value>10.0.0.3</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>` +
      `<ResourceRecordSet><Name>\\052.example.com.</Name><Type>A</Type><AliasTarget><HostedZoneId>Z2</HostedZoneId><DNSName>x.example.com.</DNSName><EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget></ResourceRecordSet>` +
      `</ResourceRecordSets><IsTruncated>true</IsTruncated><MaxItems>100</MaxItems><NextRecordName>zzz.example.com.</NextRecordName><NextRecordType>A</NextRecordType><NextRecordIdentifier>x y</NextRecordIdentifier>` +
      `</ListResourceRecordSetsResponse>`;
    const { api: r53, sent } = api([xml(200, page)]);
    const out = await r53.listResourceRecordSets({ HostedZoneId: '/hostedzone/Z123', StartRecordName: 'mcp.example.com.', StartRecordType: 'A', StartRecordIdentifier: 'a b' });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.method).toBe('GET');
    expect(sent[0]?.url).toBe('http://127.0.0.1:4566/2013-04-01/hostedzone/Z123/rrset?name=mcp.example.com.&type=A&identifier=a%20b');
    expect(sent[0]?.body).toBeUndefined();
    expect(sent[0]?.headers).toMatchObject({ 'X-Amz-Date': '20260102T030405Z', 'X-Amz-Security-Token': 'SESSIONTOKEN123' });
    expect(sent[0]?.headers.Authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260102\/us-east-1\/route53\/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
    expect(JSON.stringify(sent[0]?.headers)).not.toContain('SECRETKEY');
    expect(out).toEqual({
      ResourceRecordSets: [
        { Name: 'mcp.example.com.', Type: 'A', SetIdentifier: 'aws & co', Weight: 7, TTL: 30, ResourceRecords: [{ Value: '10.0.0.1' }, { Value: '10.0.0.2' }] },
        { Name: 'mcp.example.com.', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"a" "b"' }] },
        { Name: 'mcp.example.com.', Type: 'A', SetIdentifier: 'geo', GeoLocation: true, TTL: 30, ResourceRecords: [{ Value: '10.0.0.3' }] },
        { Name: '\\052.example.com.', Type: 'A', AliasTarget: { HostedZoneId: 'Z2', DNSName: 'x.example.com.', EvaluateTargetHealth: false } },
      ],
      IsTruncated: true,
      NextRecordName: 'zzz.example.com.',
      NextRecordType: 'A',
      NextRecordIdentifier: 'x y',
    });
  });

  it('omits absent start members and reads an untruncated empty page', async () => {
    const { api: r53, sent } = api([xml(200, `<ListResourceRecordSetsResponse xmlns="${XMLNS}"><ResourceRecordSets/><IsTruncated>false</IsTruncated><MaxItems>300</MaxItems></ListResourceRecordSetsResponse>`)]);
    expect(await r53.listResourceRecordSets({ HostedZoneId: 'Z1', StartRecordName: 'a.example.com.' })).toEqual({ ResourceRecordSets: [], IsTruncated: false });
    expect(sent[0]?.url).toBe('http://127.0.0.1:4566/2013-04-01/hostedzone/Z1/rrset?name=a.example.com.');
  });

  it('posts one ChangeResourceRecordSetsRequest with escaped text and reads ChangeInfo', async () => {
    const answer = `<ChangeResourceRecordSetsResponse xmlns="${XMLNS}"><ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status><SubmittedAt>2026-01-02T03:04:05Z</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`;
    const { api: r53, sent } = api([xml(200, answer)]);
    const input = {
      HostedZoneId: 'Z123',
      ChangeBatch: {
        Comment: 'meshgate term 2',
        Changes: [
          { Action: 'DELETE' as const, ResourceRecordSet: { Name: '_meshgate-term.example.com.', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"term=1"' }] } },
          { Action: 'CREATE' as const, ResourceRecordSet: { Name: 'mcp.example.com.', Type: 'A', SetIdentifier: '<a&b>', Weight: 0, TTL: 30, ResourceRecords: [{ Value: '10.0.0.1' }] } },
        ],
      },
    };
    expect(await r53.changeResourceRecordSets(input)).toEqual({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING' } });
    expect(sent[0]?.method).toBe('POST');
    expect(sent[0]?.url).toBe('http://127.0.0.1:4566/2013-04-01/hostedzone/Z123/rrset/');
    expect(sent[0]?.headers['Content-Type']).toBe('application/xml');
    expect(sent[0]?.headers.Authorization).toMatch(/SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,/);
    expect(sent[0]?.body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<ChangeResourceRecordSetsRequest xmlns="${XMLNS}"><ChangeBatch><Comment>meshgate term 2</Comment><Changes>` +
        `<Change><Action>DELETE</Action><ResourceRecordSet><Name>_meshgate-term.example.com.</Name><Type>TXT</Type><TTL>60</TTL>` +
        `<ResourceRecords><ResourceRecord><Value>&quot;term=1&quot;</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>` +
        `<Change><Action>CREATE</Action><ResourceRecordSet><Name>mcp.example.com.</Name><Type>A</Type><SetIdentifier>&lt;a&amp;b&gt;</SetIdentifier><Weight>0</Weight><TTL>30</TTL>` +
        `<ResourceRecords><ResourceRecord><Value>10.0.0.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>` +
        `</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`,
    );
    // The body round-trips through the reader.
    const doc = parseXml(changeBatchXml(input));
    expect(doc.children[0]?.name).toBe('ChangeResourceRecordSetsRequest');
  });

  it('gets a change by id with or without the /change/ prefix', async () => {
    const answer = (status: string) => xml(200, `<GetChangeResponse xmlns="${XMLNS}"><ChangeInfo><Id>/change/C1</Id><Status>${status}</Status></ChangeInfo></GetChangeResponse>`);
    const { api: r53, sent } = api([answer('PENDING'), answer('INSYNC')]);
    expect(await r53.getChange({ Id: '/change/C1' })).toEqual({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING' } });
    expect(await r53.getChange({ Id: 'C1' })).toEqual({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC' } });
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual(['GET http://127.0.0.1:4566/2013-04-01/change/C1', 'GET http://127.0.0.1:4566/2013-04-01/change/C1']);
  });

  it('turns error answers into Route53RestError by code, with InvalidChangeBatch messages, secrets redacted', async () => {
    const errorResponse = (code: string, message: string) =>
      `<?xml version="1.0"?>\n<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>r</RequestId></ErrorResponse>`;
    const { api: r53 } = api([
      xml(400, `<InvalidChangeBatch xmlns="${XMLNS}"><Messages><Message>Tried to delete resource record set [name='a.', type='A'] but it was not found</Message><Message>second</Message></Messages><RequestId>r</RequestId></InvalidChangeBatch>`),
      xml(400, errorResponse('InvalidChangeBatch', 'RRSet with DNS name a. is not permitted')),
      xml(403, errorResponse('SignatureDoesNotMatch', 'canonical request: x-amz-security-token:SESSIONTOKEN123 key SECRETKEY/abc\nGET /')),
      xml(400, errorResponse('Throttling', 'Rate exceeded')),
      () => new Response('<html>bad gateway</p>', { status: 502 }),
    ]);
    const input = { HostedZoneId: 'Z', ChangeBatch: { Changes: [] } };
    await expect(r53.changeResourceRecordSets(input)).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      status: 400,
      messages: ["Tried to delete resource record set [name='a.', type='A'] but it was not found", 'second'],
    });
    await expect(r53.changeResourceRecordSets(input)).rejects.toMatchObject({ name: 'InvalidChangeBatch', message: 'RRSet with DNS name a. is not permitted', messages: [] });
    const signature = await r53.getChange({ Id: 'C' }).catch((err: unknown) => err);
    expect(signature).toBeInstanceOf(Route53RestError);
    expect(signature).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
    expect((signature as Error).message).toBe('canonical request: x-amz-security-token:[redacted] key [redacted]');
    await expect(r53.getChange({ Id: 'C' })).rejects.toMatchObject({ name: 'Throttling', status: 400, message: 'Rate exceeded' });
    await expect(r53.getChange({ Id: 'C' })).rejects.toMatchObject({ name: 'Http502', status: 502 });
  });

  it('refuses DTDs and malformed answers, and reports network failures and unusable credentials', async () => {
    const { api: r53 } = api([
      xml(200, '<!DOCTYPE x [<!ENTITY a "aaaa">]><GetChangeResponse>&a;</GetChangeResponse>'),
      xml(200, '<GetChangeResponse><ChangeInfo></GetChangeResponse>'),
      () => {
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
      },
    ]);
    await expect(r53.getChange({ Id: 'C' })).rejects.toMatchObject({ name: 'MalformedResponse' });
    await expect(r53.getChange({ Id: 'C' })).rejects.toMatchObject({ name: 'MalformedResponse' });
    const network = await r53.getChange({ Id: 'C' }).catch((err: unknown) => err);
    expect(network).toBeInstanceOf(Route53NetworkError);
    expect(network).toMatchObject({ timedOut: false, message: 'fetch failed (connect ECONNREFUSED 127.0.0.1:9)' });

    const noKeys = new Route53RestApi({ credentials: async () => ({ accessKeyId: '', secretAccessKey: '' }), fetch: (async () => new Response('')) as unknown as typeof fetch });
    await expect(noKeys.getChange({ Id: 'C' })).rejects.toMatchObject({ name: 'CredentialsError', status: 0 });
    const failing = new Route53RestApi({
      credentials: async () => {
        throw new Error('no AWS credentials: set AWS_ACCESS_KEY_ID');
      },
    });
    await expect(failing.getChange({ Id: 'C' })).rejects.toMatchObject({ name: 'CredentialsError', message: 'could not resolve AWS credentials: no AWS credentials: set AWS_ACCESS_KEY_ID' });
  });

  it('times out a request that outlives its deadline', async () => {
    const hanging = (async (_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as unknown as typeof fetch;
    const r53 = new Route53RestApi({ credentials: async () => credentials, fetch: hanging, timeoutMs: 20 });
    await expect(r53.getChange({ Id: 'C' })).rejects.toMatchObject({ name: 'NetworkError', timedOut: true });
  });
});
