/**
 * DynamoRestKeyValueStore (DynamoDB JSON protocol over fetch, SigV4):
 * - the shared KeyValueStore contract against the run's moto;
 * - interop with the SDK adapter on the same table (each reads, lists, compares and deletes what the other wrote);
 * - request shapes and error mapping over a stubbed fetch (no network).
 */
import { DynamoRestKeyValueStore } from '../../shared/adapters/aws/dynamodb-rest-key-value-store';
import { canonicalRequest } from '../../shared/adapters/aws/sigv4';
import { describeKeyValueStoreContract, v } from '../../shared/ports/__contract__/key-value-store.contract';
import { closeTestStores, makeDynamoRestStore, makeDynamoStore } from '../emulators/stores';
import { caught, describeInterop, errorText, hangingFetch, networkError, stubFetch, type Reply } from './support';

afterEach(closeTestStores);

describeKeyValueStoreContract('dynamodb-rest', () => makeDynamoRestStore('kv-rest'));

describeInterop('dynamodb', async () => {
  const sdk = await makeDynamoStore('kv-interop');
  const rest = await makeDynamoRestStore('kv-interop', undefined, { table: sdk.table });
  return { sdk, rest };
});

// ---------------------------------------------------------------------------------------------------------------
// Over a stubbed fetch: request shapes, signing and error mapping (no network)
// ---------------------------------------------------------------------------------------------------------------

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const TOKEN = 'FwoGZXIvYXdzEXAMPLEsessiontoken';
const NOW = new Date('2026-03-04T05:06:07Z');
const make = (fetchStub: typeof fetch, timeoutMs = 3_000, credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, sessionToken: TOKEN })) =>
  new DynamoRestKeyValueStore({ region: 'eu-west-1', table: 'meshgate-kv', credentials, fetch: fetchStub, now: () => NOW, timeoutMs });
const awsError = (status: number, type: string, message = 'from the service', extra: Record<string, unknown> = {}): Reply => ({
  status,
  body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message, ...extra },
});

describe('DynamoRestKeyValueStore over a stubbed fetch', () => {
  it('POSTs the JSON protocol to the regional endpoint, signed for dynamodb, with the SDK adapter\'s item and condition', async () => {
    const { fetch: f, seen } = stubFetch({ status: 200, body: {} });
    await make(f).put({ key: 'a/b', value: { x: 1 }, version: v(1), expiresAt: 7 }, { kind: 'older' });
    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req?.url).toBe('https://dynamodb.eu-west-1.amazonaws.com/');
    expect(req?.headers).toMatchObject({
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.PutItem',
      'x-amz-date': '20260304T050607Z',
      'x-amz-security-token': TOKEN,
    });
    expect(req?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260304\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.parse(req?.body ?? '')).toEqual({
      TableName: 'meshgate-kv',
      Item: { pk: { S: 'a/' }, sk: { S: 'a/b' }, version: { S: v(1) }, value: { S: '{"x":1}' }, deleted: { BOOL: false }, expiresAt: { N: '7' } },
      ConditionExpression: 'attribute_not_exists(pk) OR #version < :v',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':v': { S: v(1) } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    // The signed canonical request covers exactly the body that was sent.
    const { signedHeaders } = canonicalRequest('POST', new URL(req?.url ?? ''), { host: 'dynamodb.eu-west-1.amazonaws.com', ...req?.headers }, req?.body ?? '');
    expect(signedHeaders).toContain('host');
  });

  it('pages a Query with ExclusiveStartKey until the limit', async () => {
    const item = (k: string) => ({ pk: { S: 'a/' }, sk: { S: k }, version: { S: v(1) }, value: { S: '1' }, deleted: { BOOL: false } });
    const { fetch: f, seen } = stubFetch(
      { status: 200, body: { Items: [item('a/1')], LastEvaluatedKey: { pk: { S: 'a/' }, sk: { S: 'a/1' } } } },
      { status: 200, body: { Items: [item('a/2')], LastEvaluatedKey: { pk: { S: 'a/' }, sk: { S: 'a/2' } } } },
    );
    expect((await make(f).list('a/', { limit: 2 })).map((r) => r.key)).toEqual(['a/1', 'a/2']);
    expect(seen.map((s) => s.headers['x-amz-target'])).toEqual(['DynamoDB_20120810.Query', 'DynamoDB_20120810.Query']);
    expect(JSON.parse(seen[0]?.body ?? '')).toMatchObject({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', Limit: 2, ConsistentRead: true });
    expect(JSON.parse(seen[1]?.body ?? '')).toMatchObject({ Limit: 1, ExclusiveStartKey: { pk: { S: 'a/' }, sk: { S: 'a/1' } } });
  });

  it('reports a failed condition with what DynamoDB returned', async () => {
    const old = { pk: { S: 'a/' }, sk: { S: 'a/b' }, version: { S: v(5) }, value: { S: '1' }, deleted: { BOOL: false } };
    const { fetch: f } = stubFetch(awsError(400, 'ConditionalCheckFailedException', 'The conditional request failed', { Item: old }));
    const err = await caught(make(f).put({ key: 'a/b', value: 1, version: v(2) }, { kind: 'version', version: v(1) }));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain(`found ${v(5)}`);
    const { fetch: gone } = stubFetch(awsError(400, 'ConditionalCheckFailedException'));
    await expect(make(gone).delete('a/b', v(1))).rejects.toMatchObject({ code: 'not_found' });
  });

  it.each<[string, string, boolean, Reply]>([
    ['ProvisionedThroughputExceededException', 'throttled', true, awsError(400, 'ProvisionedThroughputExceededException')],
    ['ThrottlingException', 'throttled', true, awsError(400, 'ThrottlingException')],
    ['RequestLimitExceeded', 'throttled', true, awsError(400, 'RequestLimitExceeded')],
    ['UnrecognizedClientException', 'unauthorized', false, { status: 400, body: { __type: 'com.amazon.coral.service#UnrecognizedClientException', message: 'bad key' } }],
    ['AccessDeniedException', 'unauthorized', false, awsError(400, 'AccessDeniedException')],
    ['ValidationException', 'validation', false, awsError(400, 'ValidationException')],
    ['InternalServerError (500)', 'unavailable', true, awsError(500, 'InternalServerError')],
    ['a 503 without a JSON body', 'unavailable', true, { status: 503, body: '<html>unavailable</html>' }],
    ['a refused connection', 'unavailable', true, networkError()],
  ])('maps %s to %s', async (_label, code, retryable, reply) => {
    const { fetch: f } = stubFetch(reply);
    const err = await caught(make(f).get('a/b'));
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code, retryable });
    expect(err.message).toMatch(/^dynamodb: get "a\/b": /);
  });

  it('says that ensureTable() creates a missing table', async () => {
    const { fetch: f } = stubFetch(awsError(400, 'ResourceNotFoundException', 'Requested resource not found'));
    const err = await caught(make(f).list('a/'));
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain('table "meshgate-kv" does not exist (ensureTable() creates it)');
  });

  it('never puts the secret key or session token into an error, even when the service echoes them', async () => {
    const { fetch: f } = stubFetch(awsError(400, 'InvalidSignatureException', `Signature mismatch ${SECRET} x-amz-security-token:${TOKEN}\nThe Canonical String ...${TOKEN}`));
    const err = await caught(make(f).get('a/b'));
    expect(err.code).toBe('unauthorized');
    const text = errorText(err);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(TOKEN);
    expect(err.message).toContain('[redacted]');
  });

  it('answers unauthorized when the credentials provider fails, without calling DynamoDB', async () => {
    const { fetch: f, seen } = stubFetch({ status: 200, body: {} });
    const err = await caught(make(f, 3_000, async () => Promise.reject(new Error(`no creds ${SECRET}`))).get('a/b'));
    expect(err.code).toBe('unauthorized');
    expect(err.message).not.toContain(SECRET);
    expect(seen).toHaveLength(0);
  });

  it('answers unavailable when DynamoDB hangs past the deadline, and aborts the request', async () => {
    let aborted = false;
    const hanging = hangingFetch(() => {
      aborted = true;
    });
    const started = Date.now();
    const err = await caught(make(hanging, 200).get('a/b'));
    expect(err.code).toBe('unavailable');
    expect(aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
