/**
 * Request signing of the REST store adapters, checked locally (no network):
 * - Cosmos DB master-key authorization against @azure/cosmos's own implementation and the documented rules;
 * - Google service account JWTs (RS256) verified with the public key of a freshly generated key pair;
 * - the token cache and the token endpoint's answers, over a stubbed fetch.
 */
import { setAuthorizationTokenHeaderUsingMasterKey } from '@azure/cosmos';
import { createHmac, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { masterKeySigner, type CosmosResourceType, type CosmosVerb } from '../../shared/adapters/azure/cosmos-rest-key-value-store';
import {
  cachedTokenProvider,
  DATASTORE_SCOPE,
  fetchAccessToken,
  GOOGLE_TOKEN_URL,
  METADATA_TOKEN_URL,
  metadataTokenRequest,
  serviceAccountTokenRequest,
  signServiceAccountJwt,
  type AccessToken,
  type ServiceAccountKey,
} from '../../shared/adapters/gcp/google-auth';
import { MeshgateError } from '../../shared/core/errors';

describe('Cosmos DB master-key signature', () => {
  // A 64-byte key in base64, like a real account key.
  const KEY = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) % 256)).toString('base64');

  it.each<[CosmosVerb, CosmosResourceType, string]>([
    ['GET', 'dbs', 'dbs/ToDoList'],
    ['POST', 'dbs', ''],
    ['POST', 'colls', 'dbs/meshgate'],
    ['GET', 'colls', 'dbs/meshgate/colls/kv-Store_1'],
    ['POST', 'docs', 'dbs/meshgate/colls/kv'],
    ['PUT', 'docs', 'dbs/meshgate/colls/kv/docs/a_2fb'],
    ['DELETE', 'docs', 'dbs/meshgate/colls/kv/docs/_h0123-abc'],
  ])('matches @azure/cosmos for %s %s "%s"', async (verb, resourceType, link) => {
    const headers: Record<string, string> = {};
    await setAuthorizationTokenHeaderUsingMasterKey(verb as never, link, resourceType as never, headers, KEY);
    const date = headers['x-ms-date'];
    expect(date).toMatch(/GMT$/);
    expect(masterKeySigner(KEY)(verb, resourceType, link, date ?? '')).toBe(headers.authorization);
  });

  it('lower-cases verb, resource type and date but signs the resource link as is', () => {
    const sign = masterKeySigner(KEY);
    const date = 'Thu, 27 Apr 2017 00:51:12 GMT';
    const header = sign('GET', 'dbs', 'dbs/ToDoList', date);
    const expected = createHmac('sha256', Buffer.from(KEY, 'base64'))
      .update('get\ndbs\ndbs/ToDoList\nthu, 27 apr 2017 00:51:12 gmt\n\n')
      .digest('base64');
    expect(decodeURIComponent(header)).toBe(`type=master&ver=1.0&sig=${expected}`);
    expect(header).toMatch(/^type%3Dmaster%26ver%3D1\.0%26sig%3D/);
    expect(sign('GET', 'dbs', 'dbs/todolist', date)).not.toBe(header);
  });

  it('refuses an empty key', () => {
    expect(() => masterKeySigner('')).toThrow(MeshgateError);
  });
});

describe('Google service account JWT (RS256)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key: ServiceAccountKey = {
    client_email: 'meshgate@example-project.iam.gserviceaccount.com',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    private_key_id: 'key-id-1',
  };
  const NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  const decode = (part: string | undefined): unknown => JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));

  it('has the documented header and claims, and a signature that verifies with the public key', () => {
    const jwt = signServiceAccountJwt(key, { scope: DATASTORE_SCOPE, audience: GOOGLE_TOKEN_URL, nowMs: NOW });
    const parts = jwt.split('.');
    expect(parts).toHaveLength(3);
    for (const part of parts) expect(part).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
    expect(decode(parts[0])).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'key-id-1' });
    const iat = Math.floor(NOW / 1000);
    expect(decode(parts[1])).toEqual({ iss: key.client_email, scope: DATASTORE_SCOPE, aud: GOOGLE_TOKEN_URL, iat, exp: iat + 3600 });

    const signingInput = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2] ?? '', 'base64url');
    expect(verify('RSA-SHA256', signingInput, publicKey, signature)).toBe(true);
    // The public key derived from the key file's private key verifies too (what Google holds).
    expect(verify('RSA-SHA256', signingInput, createPublicKey(key.private_key), signature)).toBe(true);
    // Any change to the claims breaks it.
    const forged = Buffer.from(JSON.stringify({ ...(decode(parts[1]) as object), iss: 'attacker@example.com' })).toString('base64url');
    expect(verify('RSA-SHA256', Buffer.from(`${parts[0]}.${forged}`), publicKey, signature)).toBe(false);
  });

  it('leaves kid out when the key has no id', () => {
    const { private_key_id: _dropped, ...noId } = key;
    expect(decode(signServiceAccountJwt(noId, { scope: 's', audience: 'a', nowMs: NOW }).split('.')[0])).toEqual({ alg: 'RS256', typ: 'JWT' });
  });

  it('builds the JWT bearer grant for the key file token_uri (default oauth2.googleapis.com)', () => {
    const { url, init } = serviceAccountTokenRequest(key, DATASTORE_SCOPE, NOW);
    expect(url).toBe('https://oauth2.googleapis.com/token');
    expect(init.method).toBe('POST');
    expect(init.headers).toEqual({ 'Content-Type': 'application/x-www-form-urlencoded' });
    const form = new URLSearchParams(String(init.body));
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const assertion = form.get('assertion') ?? '';
    const [h, p, s] = assertion.split('.');
    expect(decode(p)).toMatchObject({ aud: 'https://oauth2.googleapis.com/token', scope: DATASTORE_SCOPE });
    expect(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s ?? '', 'base64url'))).toBe(true);

    const custom = serviceAccountTokenRequest({ ...key, token_uri: 'https://oauth2.example.test/token' }, 'scope-a scope-b', NOW);
    expect(custom.url).toBe('https://oauth2.example.test/token');
    expect(decode(new URLSearchParams(String(custom.init.body)).get('assertion')?.split('.')[1])).toMatchObject({
      aud: 'https://oauth2.example.test/token',
      scope: 'scope-a scope-b',
    });
  });

  it('rejects a malformed or non-RSA private key without quoting it', () => {
    const secretLooking = '-----BEGIN PRIVATE KEY-----\nTOP-SECRET-MATERIAL\n-----END PRIVATE KEY-----\n';
    const run = (k: ServiceAccountKey) => () => signServiceAccountJwt(k, { scope: 's', audience: 'a', nowMs: NOW });
    expect(run({ ...key, private_key: secretLooking })).toThrow(/private_key is not a PEM RSA private key/);
    try {
      run({ ...key, private_key: secretLooking })();
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('TOP-SECRET');
      expect((err as MeshgateError).code).toBe('validation');
    }
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(run({ ...key, private_key: ec })).toThrow(/not a PEM RSA private key/);
    expect(run({ ...key, client_email: '' })).toThrow(/client_email/);
  });
});

describe('metadata server request', () => {
  it('asks the metadata server with Metadata-Flavor: Google', () => {
    expect(METADATA_TOKEN_URL).toBe('http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token');
    expect(metadataTokenRequest()).toEqual({ url: METADATA_TOKEN_URL, init: { method: 'GET', headers: { 'Metadata-Flavor': 'Google' } } });
  });
});

describe('cachedTokenProvider', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('reuses a token until the refresh margin before expiry, then fetches a new one', async () => {
    const c = clock();
    let n = 0;
    const fetchToken = jest.fn(async (): Promise<AccessToken> => ({ token: `t${(n += 1)}`, expiresAtMs: c.now() + 3_600_000 }));
    const provider = cachedTokenProvider(fetchToken, { now: c.now, refreshMarginMs: 60_000 });
    await expect(provider()).resolves.toBe('t1');
    c.advance(3_600_000 - 60_001);
    await expect(provider()).resolves.toBe('t1');
    c.advance(1);
    await expect(provider()).resolves.toBe('t2');
    expect(fetchToken).toHaveBeenCalledTimes(2);
  });

  it('lets concurrent callers share one fetch, and does not cache a failure', async () => {
    const c = clock();
    let release: (t: AccessToken) => void = () => undefined;
    const fetchToken = jest
      .fn<Promise<AccessToken>, []>()
      .mockRejectedValueOnce(new MeshgateError('unavailable', 'google-auth: down'))
      .mockImplementationOnce(() => new Promise((resolve) => (release = resolve)));
    const provider = cachedTokenProvider(fetchToken, { now: c.now });
    await expect(provider()).rejects.toMatchObject({ code: 'unavailable' });
    const calls = [provider(), provider(), provider()];
    release({ token: 'shared', expiresAtMs: c.now() + 3_600_000 });
    await expect(Promise.all(calls)).resolves.toEqual(['shared', 'shared', 'shared']);
    expect(fetchToken).toHaveBeenCalledTimes(2);
  });

  it('refreshes short-lived tokens at half their lifetime rather than never using them', async () => {
    const c = clock();
    let n = 0;
    const provider = cachedTokenProvider(async () => ({ token: `t${(n += 1)}`, expiresAtMs: c.now() + 30_000 }), { now: c.now, refreshMarginMs: 60_000 });
    await expect(provider()).resolves.toBe('t1');
    c.advance(14_999);
    await expect(provider()).resolves.toBe('t1');
    c.advance(1);
    await expect(provider()).resolves.toBe('t2');
  });
});

describe('fetchAccessToken (token endpoint answers, stubbed fetch)', () => {
  const ASSERTION = 'header.claims.signature-that-must-stay-secret';
  const init: RequestInit = { method: 'POST', body: `grant_type=x&assertion=${ASSERTION}` };
  const answer = (status: number, body: unknown): typeof fetch =>
    (async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status })) as unknown as typeof fetch;
  const get = (f: typeof fetch) => fetchAccessToken(f, 'token exchange', 'https://token.example.test/token', init, 5_000, 1_000);

  it('reads access_token and expires_in', async () => {
    await expect(get(answer(200, { access_token: 'ya29.abc', expires_in: 3599, token_type: 'Bearer' }))).resolves.toEqual({
      token: 'ya29.abc',
      expiresAtMs: 5_000 + 3_599_000,
    });
  });

  it.each<[string, string, number, unknown]>([
    ['invalid_grant', 'unauthorized', 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }],
    ['401', 'unauthorized', 401, { error: 'unauthorized_client' }],
    ['429', 'throttled', 429, 'slow down'],
    ['503', 'unavailable', 503, 'unavailable'],
    ['200 without a token', 'internal', 200, { token_type: 'Bearer' }],
  ])('maps %s to %s without echoing the assertion', async (_label, code, status, body) => {
    const err = (await get(answer(status, body)).catch((e: unknown) => e)) as MeshgateError;
    expect(err).toBeInstanceOf(MeshgateError);
    expect(err.code).toBe(code);
    expect(`${err.message} ${JSON.stringify(err.details)}`).not.toContain(ASSERTION);
  });

  it('maps a network failure to unavailable', async () => {
    const refused = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) });
    }) as unknown as typeof fetch;
    await expect(get(refused)).rejects.toMatchObject({ code: 'unavailable', retryable: true });
  });
});
