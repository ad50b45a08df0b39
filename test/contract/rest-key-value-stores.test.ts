/**
 * The fetch-based REST adapters (FirestoreRestKeyValueStore, CosmosRestKeyValueStore):
 * - the shared KeyValueStore contract against the run's Firestore emulator and cosmosdb-server;
 * - interop with the SDK adapters on the same collection/container (each reads, lists, compares and deletes
 *   what the other wrote), so a deployment can switch adapters without migrating data;
 * - request shapes and error mapping over a stubbed fetch (no network).
 */
import { createHmac } from 'node:crypto';
import { createCosmosKeyValueStore, type CosmosKeyValueStore } from '../../shared/adapters/azure/cosmos-key-value-store';
import {
  CosmosRestKeyValueStore,
  createCosmosRestKeyValueStore,
  masterKeySigner,
  partitionKeyHeader,
} from '../../shared/adapters/azure/cosmos-rest-key-value-store';
import { createFirestoreKeyValueStore, type FirestoreKeyValueStore } from '../../shared/adapters/gcp/firestore-key-value-store';
import { createFirestoreRestKeyValueStore, FirestoreRestKeyValueStore } from '../../shared/adapters/gcp/firestore-rest-key-value-store';
import { describeKeyValueStoreContract, v } from '../../shared/ports/__contract__/key-value-store.contract';
import {
  closeTestStores,
  ENV_COSMOS_ENDPOINT,
  ENV_FIRESTORE_HOST,
  makeCosmosRestStore,
  makeFirestoreRestStore,
  TEST_COSMOS_DATABASE,
  TEST_FIRESTORE_PROJECT,
  uniqueName,
} from '../emulators/stores';
import { caught, describeInterop, errorText, hangingFetch, networkError, stubFetch, type Reply } from './support';

afterEach(closeTestStores);

describeKeyValueStoreContract('firestore-rest', () => makeFirestoreRestStore('kv-rest'));
describeKeyValueStoreContract('cosmos-rest', () => makeCosmosRestStore('kv-rest'));

// ---------------------------------------------------------------------------------------------------------------
// Interop with the SDK adapters
// ---------------------------------------------------------------------------------------------------------------

/** SDK stores made by the interop tests (the REST ones are closed by closeTestStores). */
const sdkClosers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.allSettled(sdkClosers.splice(0).map((close) => close()));
});

describeInterop('cosmos', async () => {
  const container = uniqueName('kv-interop');
  const endpoint = process.env[ENV_COSMOS_ENDPOINT] ?? '';
  const rest = await makeCosmosRestStore('kv-interop', undefined, { name: container });
  const sdk: CosmosKeyValueStore = createCosmosKeyValueStore({ endpoint, key: 'emulator', database: TEST_COSMOS_DATABASE, container });
  sdkClosers.push(() => sdk.close());
  return { sdk, rest };
});

describeInterop('firestore', async () => {
  const collection = uniqueName('kv-interop');
  const emulatorHost = process.env[ENV_FIRESTORE_HOST] ?? '';
  const rest = await makeFirestoreRestStore('kv-interop', undefined, { name: collection });
  // A first gRPC call can outlast the 3 s default while the client loads and connects; not what is tested here.
  const sdk: FirestoreKeyValueStore = createFirestoreKeyValueStore({ projectId: TEST_FIRESTORE_PROJECT, collection, emulatorHost, timeoutMs: 15_000 });
  sdkClosers.push(() => sdk.close());
  return { sdk, rest };
});

// ---------------------------------------------------------------------------------------------------------------
// Over a stubbed fetch: request shapes and error mapping (no network)
// ---------------------------------------------------------------------------------------------------------------

describe('FirestoreRestKeyValueStore over a stubbed fetch', () => {
  const TOKEN = 'ya29.secret-access-token';
  const make = (fetchStub: typeof fetch, timeoutMs = 3_000): FirestoreRestKeyValueStore =>
    new FirestoreRestKeyValueStore({ projectId: 'proj', collection: 'kv', tokenProvider: async () => TOKEN, fetch: fetchStub, timeoutMs });
  const rpcError = (status: number, rpc: string, message = 'from the service'): Reply => ({ status, body: { error: { code: status, status: rpc, message } } });
  const doc = (updateTime = '2026-01-01T00:00:00.000001Z') => ({
    name: 'projects/proj/databases/(default)/documents/kv/a_2fb',
    fields: { key: { stringValue: 'a/b' }, version: { stringValue: v(1) }, value: { stringValue: '{"x":1}' }, deleted: { booleanValue: false }, expiresAt: { nullValue: null } },
    updateTime,
  });

  it('talks to firestore.googleapis.com with the bearer token, and writes conditions as commit preconditions', async () => {
    const { fetch: f, seen } = stubFetch({ status: 200, body: { writeResults: [{}] } });
    await make(f).put({ key: 'a/b', value: { x: 1 }, version: v(1), expiresAt: 7 }, { kind: 'absent' });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe('https://firestore.googleapis.com/v1/projects/proj/databases/(default)/documents:commit');
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      writes: [
        {
          update: {
            name: 'projects/proj/databases/(default)/documents/kv/a_2fb',
            fields: {
              key: { stringValue: 'a/b' },
              version: { stringValue: v(1) },
              value: { stringValue: '{"x":1}' },
              deleted: { booleanValue: false },
              expiresAt: { integerValue: '7' },
            },
          },
          currentDocument: { exists: false },
        },
      ],
    });
  });

  it('compare-and-set reads the update time and sends it back as the precondition', async () => {
    const { fetch: f, seen } = stubFetch({ status: 200, body: doc('2026-01-01T00:00:00.123456Z') }, { status: 200, body: {} });
    await make(f).put({ key: 'a/b', value: 2, version: v(2) }, { kind: 'version', version: v(1) });
    expect(seen.map((s) => s.method)).toEqual(['GET', 'POST']);
    expect(seen[0]?.url).toBe('https://firestore.googleapis.com/v1/projects/proj/databases/(default)/documents/kv/a_2fb');
    expect(JSON.parse(seen[1]?.body ?? '').writes[0].currentDocument).toEqual({ updateTime: '2026-01-01T00:00:00.123456Z' });
  });

  it('lists with one runQuery: range on key, ordered, limited', async () => {
    const { fetch: f, seen } = stubFetch({ status: 200, body: [{ document: doc(), readTime: 't' }, { readTime: 't', done: true }] });
    await expect(make(f).list('a/', { limit: 5 })).resolves.toEqual([{ key: 'a/b', value: { x: 1 }, version: v(1) }]);
    expect(seen[0]?.url).toMatch(/documents:runQuery$/);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      structuredQuery: {
        from: [{ collectionId: 'kv' }],
        where: {
          compositeFilter: {
            op: 'AND',
            filters: [
              { fieldFilter: { field: { fieldPath: 'key' }, op: 'GREATER_THAN_OR_EQUAL', value: { stringValue: 'a/' } } },
              { fieldFilter: { field: { fieldPath: 'key' }, op: 'LESS_THAN', value: { stringValue: 'a0' } } },
            ],
          },
        },
        orderBy: [{ field: { fieldPath: 'key' }, direction: 'ASCENDING' }],
        limit: 5,
      },
    });
  });

  it.each<[string, string, boolean, Reply]>([
    ['429 RESOURCE_EXHAUSTED', 'throttled', true, rpcError(429, 'RESOURCE_EXHAUSTED')],
    ['503 UNAVAILABLE', 'unavailable', true, rpcError(503, 'UNAVAILABLE')],
    ['504 DEADLINE_EXCEEDED', 'unavailable', true, rpcError(504, 'DEADLINE_EXCEEDED')],
    ['502 without a body', 'unavailable', true, { status: 502, body: '<html>bad gateway</html>' }],
    ['401 UNAUTHENTICATED', 'unauthorized', false, rpcError(401, 'UNAUTHENTICATED')],
    ['403 PERMISSION_DENIED', 'unauthorized', false, rpcError(403, 'PERMISSION_DENIED')],
    ['a refused connection', 'unavailable', true, networkError()],
  ])('maps %s to %s', async (_label, code, retryable, reply) => {
    const { fetch: f } = stubFetch(reply);
    const err = await caught(make(f).get('a/b'));
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code, retryable });
    expect(err.message).toMatch(/^firestore: get "a\/b": /);
  });

  it('maps precondition failures of writes to conflict, and FAILED_PRECONDITION of a query to internal', async () => {
    for (const reply of [rpcError(409, 'ALREADY_EXISTS'), rpcError(400, 'FAILED_PRECONDITION'), { status: 412, body: {} }]) {
      const { fetch: f } = stubFetch({ status: 200, body: doc() }, reply, { status: 200, body: doc('2026-01-01T00:00:01Z') });
      // version put: read, guarded write fails, no retry for `version` → conflict
      await expect(make(f).put({ key: 'a/b', value: 1, version: v(2) }, { kind: 'version', version: v(1) })).rejects.toMatchObject({ code: 'conflict' });
    }
    const { fetch: absentFetch } = stubFetch(rpcError(409, 'ALREADY_EXISTS'));
    await expect(make(absentFetch).put({ key: 'a/b', value: 1, version: v(2) }, { kind: 'absent' })).rejects.toMatchObject({ code: 'conflict' });
    const { fetch: queryFetch } = stubFetch(rpcError(400, 'FAILED_PRECONDITION', 'The query requires an index.'));
    await expect(make(queryFetch).list('a/')).rejects.toMatchObject({ code: 'internal' });
    const { fetch: streamFetch } = stubFetch({ status: 200, body: [{ error: { code: 503, status: 'UNAVAILABLE', message: 'mid-stream' } }] });
    await expect(make(streamFetch).list('a/')).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('never puts the token into an error, even when the service echoes it', async () => {
    const { fetch: f } = stubFetch(rpcError(401, 'UNAUTHENTICATED', `Request had invalid authentication credentials: Bearer ${TOKEN}`));
    const err = await caught(make(f).get('a/b'));
    expect(err.code).toBe('unauthorized');
    expect(errorText(err)).not.toContain(TOKEN);
    expect(err.message).toContain('[redacted]');
  });

  it('answers unavailable when the service hangs past the deadline, and aborts the request', async () => {
    const started = Date.now();
    const err = await caught(make(hangingFetch(), 200).get('a/b'));
    expect(err.code).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refuses a collection or project that would escape the document path', () => {
    expect(() => new FirestoreRestKeyValueStore({ projectId: 'p', collection: 'a/b', tokenProvider: async () => 't' })).toThrow(/collection/);
    expect(() => createFirestoreRestKeyValueStore({ projectId: '', collection: 'c', emulatorHost: '127.0.0.1:1' })).toThrow(/projectId/);
  });
});

describe('CosmosRestKeyValueStore over a stubbed fetch', () => {
  const KEY = Buffer.from('a-very-secret-cosmos-master-key-of-64-bytes-for-the-stubbed-tests').toString('base64');
  const DATE = new Date('2026-03-04T05:06:07Z');
  const make = (fetchStub: typeof fetch, timeoutMs = 3_000): CosmosRestKeyValueStore =>
    new CosmosRestKeyValueStore({
      endpoint: 'https://acct.documents.azure.com:443/',
      database: 'db',
      container: 'kv',
      signer: masterKeySigner(KEY),
      fetch: fetchStub,
      now: () => DATE,
      timeoutMs,
    });
  const item = { id: 'a_2fb', pk: 'a/', key: 'a/b', version: v(1), value: '1', deleted: false, expiresAt: null, _etag: '"etag-1"' };
  const expectedAuth = (verb: string, type: string, link: string): string =>
    encodeURIComponent(
      `type=master&ver=1.0&sig=${createHmac('sha256', Buffer.from(KEY, 'base64')).update(`${verb}\n${type}\n${link}\n${DATE.toUTCString().toLowerCase()}\n\n`).digest('base64')}`,
    );

  it('signs every request for its own resource link and sends the documented headers', async () => {
    const { fetch: f, seen } = stubFetch({ status: 200, body: item }, { status: 200, body: item });
    await make(f).put({ key: 'a/b', value: 2, version: v(2) }, { kind: 'version', version: v(1) });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET https://acct.documents.azure.com:443/dbs/db/colls/kv/docs/a_2fb',
      'PUT https://acct.documents.azure.com:443/dbs/db/colls/kv/docs/a_2fb',
    ]);
    for (const s of seen) {
      expect(s.headers).toMatchObject({
        authorization: expectedAuth(s.method.toLowerCase(), 'docs', 'dbs/db/colls/kv/docs/a_2fb'),
        'x-ms-date': 'Wed, 04 Mar 2026 05:06:07 GMT',
        'x-ms-version': '2018-12-31',
        'x-ms-documentdb-partitionkey': '["a/"]',
      });
    }
    expect(seen[1]?.headers['if-match']).toBe('"etag-1"');
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual({ id: 'a_2fb', pk: 'a/', key: 'a/b', version: v(2), value: '2', deleted: false, expiresAt: null });
  });

  it('creates with POST (409 → conflict) and upserts with x-ms-documentdb-is-upsert', async () => {
    const { fetch: f, seen } = stubFetch({ status: 409, body: { code: 'Conflict', message: 'Resource with specified id already exists.' } }, { status: 200, body: item });
    await expect(make(f).put({ key: 'a/b', value: 1, version: v(1) }, { kind: 'absent' })).rejects.toMatchObject({ code: 'conflict' });
    await make(f).put({ key: 'a/b', value: 1, version: v(1) });
    expect(seen.map((s) => [s.method, s.url.replace(/^.*:443/, ''), s.headers.authorization, s.headers['x-ms-documentdb-is-upsert']])).toEqual([
      ['POST', '/dbs/db/colls/kv/docs', expectedAuth('post', 'docs', 'dbs/db/colls/kv'), undefined],
      ['POST', '/dbs/db/colls/kv/docs', expectedAuth('post', 'docs', 'dbs/db/colls/kv'), 'True'],
    ]);
  });

  it('escapes non-ASCII partition keys as JSON, which header values require', () => {
    expect(partitionKeyHeader('Grüße')).toBe('["Gr\\u00fc\\u00dfe"]');
    expect(partitionKeyHeader('😀/')).toBe('["\\ud83d\\ude00/"]');
    expect(JSON.parse(partitionKeyHeader(`日本"\\/`))).toEqual([`日本"\\/`]);
  });

  it('queries one partition with ORDER BY and follows continuations until the limit', async () => {
    const page = (keys: string[]) => ({ Documents: keys.map((key) => ({ ...item, key, id: key })) });
    const { fetch: f, seen } = stubFetch(
      { status: 200, body: page(['a/1', 'a/2']), headers: { 'x-ms-continuation': 'token-1' } },
      { status: 200, body: page(['a/3']), headers: { 'x-ms-continuation': 'token-2' } },
    );
    expect((await make(f).list('a/', { limit: 3 })).map((r) => r.key)).toEqual(['a/1', 'a/2', 'a/3']);
    expect(seen).toHaveLength(2);
    expect(seen[0]?.headers).toMatchObject({
      'content-type': 'application/query+json',
      'x-ms-documentdb-isquery': 'True',
      'x-ms-documentdb-partitionkey': '["a/"]',
      'x-ms-max-item-count': '3',
      authorization: expectedAuth('post', 'docs', 'dbs/db/colls/kv'),
    });
    expect(seen[0]?.headers['x-ms-continuation']).toBeUndefined();
    expect(seen[1]?.headers['x-ms-continuation']).toBe('token-1');
    expect(JSON.parse(seen[0]?.body ?? '').query).toMatch(/c\.pk = @pk AND STARTSWITH\(c\.key, @prefix\) ORDER BY c\.key ASC/);
  });

  it('queries across partitions without ORDER BY (the gateway cannot), then sorts and limits itself', async () => {
    const page = (keys: string[]) => ({ Documents: keys.map((key) => ({ ...item, key, id: key })) });
    const { fetch: f, seen } = stubFetch(
      { status: 200, body: page(['b', 'a/2']), headers: { 'x-ms-continuation': 'range-2' } },
      { status: 200, body: page([]), headers: { 'x-ms-continuation': 'range-3' } },
      { status: 200, body: page(['a', 'ab']) },
    );
    expect((await make(f).list('', { limit: 3 })).map((r) => r.key)).toEqual(['a', 'a/2', 'ab']);
    expect(seen).toHaveLength(3);
    expect(seen[0]?.headers['x-ms-documentdb-partitionkey']).toBeUndefined();
    expect(seen[0]?.headers['x-ms-documentdb-query-enablecrosspartition']).toBe('True');
    expect(JSON.parse(seen[0]?.body ?? '').query).not.toMatch(/ORDER BY|TOP/);
  });

  it.each<[string, string, boolean, Reply]>([
    ['429 with a retry hint', 'throttled', true, { status: 429, body: { code: 'TooManyRequests', message: 'Request rate is large' }, headers: { 'x-ms-retry-after-ms': '250' } }],
    ['503', 'unavailable', true, { status: 503, body: { code: 'ServiceUnavailable', message: 'try later' } }],
    ['449 retry with', 'unavailable', true, { status: 449, body: {} }],
    ['401', 'unauthorized', false, { status: 401, body: { code: 'Unauthorized', message: 'The input authorization token can\'t serve the request.' } }],
    ['403', 'unauthorized', false, { status: 403, body: { code: 'Forbidden', message: 'Request blocked by network firewall' } }],
    ['404 substatus 1003 (container missing)', 'unavailable', true, { status: 404, body: { code: 'NotFound', message: 'Owner resource does not exist' }, headers: { 'x-ms-substatus': '1003' } }],
    ['a refused connection', 'unavailable', true, networkError()],
  ])('maps %s to %s', async (_label, code, retryable, reply) => {
    const { fetch: f } = stubFetch(reply);
    const err = await caught(make(f).get('a/b'));
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code, retryable });
    expect(err.message).toMatch(/^cosmos: get "a\/b": /);
    if (code === 'throttled') expect(err.details.retryAfterMs).toBe(250);
  });

  it('tells a lost race apart on a versioned delete: 412 then gone → not_found, 412 then rewritten → conflict', async () => {
    const gone = stubFetch({ status: 200, body: item }, { status: 412, body: {} }, { status: 404, body: {} });
    await expect(make(gone.fetch).delete('a/b', v(1))).rejects.toMatchObject({ code: 'not_found' });
    const rewritten = stubFetch({ status: 200, body: item }, { status: 412, body: {} }, { status: 200, body: { ...item, version: v(2) } });
    await expect(make(rewritten.fetch).delete('a/b', v(1))).rejects.toMatchObject({ code: 'conflict' });
    expect(rewritten.seen[1]).toMatchObject({ method: 'DELETE', headers: { 'if-match': '"etag-1"' } });
  });

  it('never puts the master key or a signature into an error', async () => {
    const { fetch: f, seen } = stubFetch({ status: 401, body: { code: 'Unauthorized', message: 'The MAC signature found in the HTTP request is not the same as the computed signature.' } });
    const err = await caught(make(f).get('a/b'));
    const text = errorText(err);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(Buffer.from(KEY, 'base64').toString());
    expect(text).not.toContain(seen[0]?.headers.authorization ?? 'no header');
    expect(JSON.stringify(make(f))).not.toContain(KEY);
  });

  it('answers unavailable when the service hangs past the deadline', async () => {
    const err = await caught(make(hangingFetch(), 200).get('a/b'));
    expect(err.code).toBe('unavailable');
  });

  it('ensureContainer: one GET when the container exists; creates database and container when missing; refuses another partition key', async () => {
    const existing = stubFetch({ status: 200, body: { id: 'kv', partitionKey: { paths: ['/pk'], kind: 'Hash' } } });
    await make(existing.fetch).ensureContainer();
    expect(existing.seen.map((s) => `${s.method} ${s.url.replace(/^.*:443/, '')}`)).toEqual(['GET /dbs/db/colls/kv']);
    expect(existing.seen[0]?.headers.authorization).toBe(expectedAuth('get', 'colls', 'dbs/db/colls/kv'));

    const missing = stubFetch({ status: 404, body: {} }, { status: 409, body: {} }, { status: 201, body: { id: 'kv', partitionKey: { paths: ['/pk'] } } });
    await make(missing.fetch).ensureContainer();
    expect(missing.seen.map((s) => [s.method, s.url.replace(/^.*:443/, ''), s.headers.authorization, s.body && JSON.parse(s.body)])).toEqual([
      ['GET', '/dbs/db/colls/kv', expectedAuth('get', 'colls', 'dbs/db/colls/kv'), undefined],
      ['POST', '/dbs', expectedAuth('post', 'dbs', ''), { id: 'db' }],
      ['POST', '/dbs/db/colls', expectedAuth('post', 'colls', 'dbs/db'), { id: 'kv', partitionKey: { paths: ['/pk'], kind: 'Hash', version: 2 } }],
    ]);

    const wrong = stubFetch({ status: 200, body: { id: 'kv', partitionKey: { paths: ['/id'] } } });
    await expect(make(wrong.fetch).ensureContainer()).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(/\/id.*expected \/pk/) });
  });

  it('refuses an empty key and names that would escape the resource path', () => {
    expect(() => createCosmosRestKeyValueStore({ endpoint: 'http://x', key: '', database: 'd', container: 'c' })).toThrow(/key/);
    expect(() => createCosmosRestKeyValueStore({ endpoint: 'http://x', key: 'k', database: 'd', container: 'a/b' })).toThrow(/container/);
  });
});
