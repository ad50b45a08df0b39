/**
 * The GCP health entry points through the Functions Framework's own server (getTestServer) over loopback,
 * against the replicated store on the run's emulators: not ready before the first tick, ready after it.
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { heartbeatKey } from '../../shared/core/health/keys';
import { gcpHttpHandler, PUBSUB_EVENT_TYPE, registerSchedule } from '../../shared/adapters/gcp/functions-framework-runtime';
import { startDemoMcpServer, type DemoMcpServer } from '../../infra/local/demo-mcp-server';
import { retryWhile, storeTimedOut, TEST_REGIONS, useFunctionEnv, type FunctionEnv } from '../support/function-env';
import { captureStdout, type Captured } from './support/capture';
import { onLoopback } from './support/server';

type Loopback = Awaited<ReturnType<typeof onLoopback>>;
let health: Loopback;
let tick: Loopback;
let echo: Loopback;
let envelope: Loopback;
let out: Captured;
let backend: DemoMcpServer;
let env: FunctionEnv;
/** Stands in for the health tick behind `envelope`, to check what the framework adapter hands over. */
const received = jest.fn(async (_payload: unknown, _deadlineAt: number) => undefined);

jest.setTimeout(60_000);

beforeAll(async () => {
  backend = await startDemoMcpServer('gcp-health-backend');
  env = await useFunctionEnv('gcp', { backends: [{ id: 'demo', url: backend.url, provider: 'gcp' }] });
  const entry = await import('../../functions/gcp/health');
  expect(typeof entry.health).toBe('function');
  expect(typeof entry.healthTick).toBe('function');
  http('echo', gcpHttpHandler(async (request) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) })));
  registerSchedule('envelope', received);
  [health, tick, echo, envelope] = await Promise.all([onLoopback(getTestServer('health')), onLoopback(getTestServer('healthTick')), onLoopback(getTestServer('echo')), onLoopback(getTestServer('envelope'))]);
});
afterAll(async () => {
  await Promise.all([health?.close(), tick?.close(), echo?.close(), envelope?.close()]);
  await env?.();
  await backend?.close();
});
beforeEach(() => {
  out = captureStdout();
});
afterEach(() => out.restore());

/**
 * The Cloud Scheduler body, telling the tick that its schedule fires every 3 s (one probe interval at the test
 * timings): the deployed function's 55 s budget then holds one sub-tick instead of a minute's worth.
 */
const SHORT_TICK = '{"schedule":"tick","scheduleSeconds":3}';

/** Once ready: a request whose bounded store read timed out on a starved machine is made again. */
async function fetchReady(url: string, init: RequestInit = {}): Promise<{ res: Response; text: string }> {
  const once = async () => {
    const res = await fetch(url, init);
    return { res, text: await res.text() };
  };
  return retryWhile(once, ({ res, text }) => storeTimedOut(text) || (res.status === 503 && text === ''));
}

describe('gcp health http (functions-framework)', () => {
  it('answers GET /health before the first tick with 503: live, not ready, no heartbeat', async () => {
    const res = await fetch(`${health.url}/health`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ status: 'not_ready', live: true, ready: false, cloud: 'gcp', checks: { heartbeat: { ok: false } } });
    expect(out.lines()).toEqual([]);
  });

  it('runs the tick from a Cloud Scheduler POST (204), then answers 200 ready', async () => {
    const ticked = await fetch(`${tick.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: SHORT_TICK });
    expect(ticked.status).toBe(204);
    await env.replicated(heartbeatKey('gcp'));
    const { res, text } = await fetchReady(`${health.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(JSON.parse(text)).toMatchObject({
      status: 'ok',
      live: true,
      ready: true,
      cloud: 'gcp',
      region: TEST_REGIONS.gcp,
      version: env.buildVersion,
      checks: { store: { ok: true }, heartbeat: { ok: true } },
    });
    expect(out.lines()).toEqual([]);
  });

  it('serves / as /health (the cloudfunctions.net URL strips the function name)', async () => {
    expect((await fetchReady(`${health.url}/`)).res.status).toBe(200);
    expect((await fetchReady(`${health.url}/?x=1`)).res.status).toBe(200);
  });

  it('answers HEAD like GET without a body', async () => {
    const { res, text } = await fetchReady(`${health.url}/health`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(text).toBe('');
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
  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }, url = tick.url) =>
    fetch(`${url}/`, { method: 'POST', headers, body });

  it('hands the tick the Cloud Scheduler body {"schedule":"tick"} and a 55 s budget, answering 204', async () => {
    received.mockClear();
    const before = Date.now();
    const res = await post('{"schedule":"tick"}', { 'content-type': 'application/json' }, envelope.url);
    expect(res.status).toBe(204);
    expect(received).toHaveBeenCalledTimes(1);
    const [payload, deadlineAt] = received.mock.calls[0]!;
    expect(payload).toEqual({ schedule: 'tick' });
    expect(deadlineAt).toBeGreaterThanOrEqual(before + 55_000);
    expect(deadlineAt).toBeLessThanOrEqual(Date.now() + 55_000);
    expect(out.lines()).toEqual([]);
  });

  const pubsubData = JSON.stringify({ message: { data: Buffer.from('{"schedule":"tick"}').toString('base64'), messageId: '1' }, subscription: 'projects/p/subscriptions/s' });

  it('accepts a Pub/Sub CloudEvent in binary mode', async () => {
    received.mockClear();
    const res = await post(
      pubsubData,
      {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': '1234',
        'ce-source': '//pubsub.googleapis.com/projects/p/topics/meshgate-tick',
        'ce-type': PUBSUB_EVENT_TYPE,
      },
      envelope.url,
    );
    expect(res.status).toBe(204);
    expect(received.mock.calls[0]?.[0]).toMatchObject({ specversion: '1.0', id: '1234', type: PUBSUB_EVENT_TYPE, data: JSON.parse(pubsubData) as unknown });
  });

  it('accepts a Pub/Sub CloudEvent in structured mode', async () => {
    received.mockClear();
    const event = { specversion: '1.0', id: '1', source: '//pubsub.googleapis.com/projects/p/topics/t', type: PUBSUB_EVENT_TYPE, data: JSON.parse(pubsubData) as unknown };
    expect((await post(JSON.stringify(event), { 'content-type': 'application/cloudevents+json' }, envelope.url)).status).toBe(204);
    expect(received.mock.calls[0]?.[0]).toEqual(event);
  });

  it.each([
    ['a different body', '{"schedule":"tock"}', { 'content-type': 'application/json' }, /expected JSON body \{"schedule":"tick"\}/],
    ['invalid JSON sent as text', '{schedule', { 'content-type': 'text/plain' }, /body is not valid JSON/],
    ['no body', '', { 'content-type': 'application/json' }, /expected JSON body/],
    ['a storage CloudEvent', '{}', { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': 's', 'ce-type': 'google.cloud.storage.object.v1.finalized' }, /unexpected CloudEvent type/],
    ['a CloudEvent without id', '{}', { 'ce-specversion': '1.0', 'ce-source': 's', 'ce-type': PUBSUB_EVENT_TYPE }, /id is required/],
    ['a schedule period out of range', '{"schedule":"tick","scheduleSeconds":0}', { 'content-type': 'application/json' }, /scheduleSeconds must be an integer in \[1, 3600\]/],
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
