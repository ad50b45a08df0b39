/** The GCP health entry points through the Functions Framework's own server (getTestServer) over loopback. */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { gcpHttpHandler, PUBSUB_EVENT_TYPE } from '../../shared/adapters/gcp/functions-framework-runtime';
import { captureStdout, type Captured } from './support/capture';
import { onLoopback, restoreEnv } from './support/server';

const ENV = ['K_SERVICE', 'MESHGATE_REGION'];
const restore = restoreEnv(ENV);
let health: Awaited<ReturnType<typeof onLoopback>>;
let tick: Awaited<ReturnType<typeof onLoopback>>;
let echo: Awaited<ReturnType<typeof onLoopback>>;
let out: Captured;

beforeAll(async () => {
  process.env.K_SERVICE = 'health';
  process.env.MESHGATE_REGION = 'europe-west1';
  const entry = await import('../../functions/gcp/health');
  expect(typeof entry.health).toBe('function');
  expect(typeof entry.healthTick).toBe('function');
  http('echo', gcpHttpHandler(async (request) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) })));
  [health, tick, echo] = await Promise.all([onLoopback(getTestServer('health')), onLoopback(getTestServer('healthTick')), onLoopback(getTestServer('echo'))]);
});
afterAll(async () => {
  await Promise.all([health?.close(), tick?.close(), echo?.close()]);
  restore();
});
beforeEach(() => {
  out = captureStdout();
});
afterEach(() => out.restore());

describe('gcp health http (functions-framework)', () => {
  it('answers GET /health with uncached liveness JSON', async () => {
    const res = await fetch(`${health.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok', cloud: 'gcp', region: 'europe-west1', version: '0.1.0' });
  });

  it('serves / as /health (the cloudfunctions.net URL strips the function name)', async () => {
    expect((await fetch(`${health.url}/`)).status).toBe(200);
    expect((await fetch(`${health.url}/?x=1`)).status).toBe(200);
  });

  it('answers an unknown route with 404 JSON', async () => {
    const res = await fetch(`${health.url}/health/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no route for GET /health/nope' } });
  });

  it('answers another method with 405 and Allow', async () => {
    const res = await fetch(`${health.url}/health`, { method: 'PUT', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(await res.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
  });
});

describe('toHttpRequest (Express → neutral)', () => {
  it('passes the raw body bytes, not the framework-parsed JSON', async () => {
    const raw = '{ "a" :  1 }';
    const res = await fetch(`${echo.url}/x/y?a=1&a=2`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Trace': 't1' }, body: raw });
    const seen = (await res.json()) as Record<string, unknown>;
    expect(seen).toMatchObject({ method: 'POST', path: '/x/y', body: raw, query: { a: '1,2' }, headers: { 'x-trace': 't1' } });
    expect(typeof seen.sourceIp).toBe('string');
  });
});

describe('gcp health tick (Cloud Scheduler over HTTP)', () => {
  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${tick.url}/`, { method: 'POST', headers, body });

  it('accepts the Cloud Scheduler body {"schedule":"tick"} with 204', async () => {
    const res = await post('{"schedule":"tick"}');
    expect(res.status).toBe(204);
    expect(out.lines()).toEqual([]);
  });

  const pubsubData = JSON.stringify({ message: { data: Buffer.from('{"schedule":"tick"}').toString('base64'), messageId: '1' }, subscription: 'projects/p/subscriptions/s' });

  it('accepts a Pub/Sub CloudEvent in binary mode', async () => {
    const res = await post(pubsubData, {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': '1234',
      'ce-source': '//pubsub.googleapis.com/projects/p/topics/meshgate-tick',
      'ce-type': PUBSUB_EVENT_TYPE,
    });
    expect(res.status).toBe(204);
  });

  it('accepts a Pub/Sub CloudEvent in structured mode', async () => {
    const event = { specversion: '1.0', id: '1', source: '//pubsub.googleapis.com/projects/p/topics/t', type: PUBSUB_EVENT_TYPE, data: JSON.parse(pubsubData) as unknown };
    expect((await post(JSON.stringify(event), { 'content-type': 'application/cloudevents+json' })).status).toBe(204);
  });

  it.each([
    ['a different body', '{"schedule":"tock"}', { 'content-type': 'application/json' }, /expected JSON body \{"schedule":"tick"\}/],
    ['invalid JSON sent as text', '{schedule', { 'content-type': 'text/plain' }, /body is not valid JSON/],
    ['no body', '', { 'content-type': 'application/json' }, /expected JSON body/],
    ['a storage CloudEvent', '{}', { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': 's', 'ce-type': 'google.cloud.storage.object.v1.finalized' }, /unexpected CloudEvent type/],
    ['a CloudEvent without id', '{}', { 'ce-specversion': '1.0', 'ce-source': 's', 'ce-type': PUBSUB_EVENT_TYPE }, /id is required/],
  ])('rejects %s with 400 and a clear validation error, logged', async (_name, body, headers, reason) => {
    const res = await post(body, headers);
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { error: { code: string; message: string } };
    expect(answer.error.code).toBe('validation');
    expect(answer.error.message).toMatch(reason);
    const [line, ...rest] = out.json();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ severity: 'WARNING', message: 'scheduled tick failed', code: 'validation' });
  });

  it('leaves invalid JSON declared as application/json to the framework, which answers 400 itself', async () => {
    expect((await post('{schedule')).status).toBe(400);
  });

  it('answers GET with 405 and Allow: POST', async () => {
    const res = await fetch(`${tick.url}/`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});
