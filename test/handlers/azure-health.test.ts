/**
 * The Azure health entry point through @azure/functions v4: real HttpRequest and InvocationContext objects,
 * against the replicated store on the run's emulators: not ready before the first timer run, ready after it.
 */
import { HttpRequest, InvocationContext, type HttpResponseInit, type LogLevel } from '@azure/functions';
import { MeshgateError } from '../../shared/core/errors';
import { heartbeatKey } from '../../shared/core/health/keys';
import { azureRegistrations, registerHttp, registerTimer, toHttpRequest, type AzureApp, type AzureRegistration } from '../../shared/adapters/azure/functions-runtime';
import { startDemoMcpServer, type DemoMcpServer } from '../../infra/local/demo-mcp-server';
import { retryWhile, storeTimedOut, TEST_REGIONS, useFunctionEnv, type FunctionEnv } from '../support/function-env';

interface Logged {
  readonly level: LogLevel;
  readonly text: string;
}

let health: Extract<AzureRegistration, { kind: 'http' }>;
let healthTick: Extract<AzureRegistration, { kind: 'timer' }>;
let backend: DemoMcpServer;
let env: FunctionEnv;

jest.setTimeout(60_000);

afterAll(async () => {
  await env?.();
  await backend?.close();
});

beforeAll(async () => {
  backend = await startDemoMcpServer('azure-health-backend');
  env = await useFunctionEnv('azure', { backends: [{ id: 'demo', url: backend.url, provider: 'azure' }] });
  // Outside the Functions host the library runs in "test mode" and warns that it skips registration.
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  await import('../../functions/azure/index');
  warn.mockRestore();
  const byName = new Map(azureRegistrations().map((r) => [r.name, r]));
  health = byName.get('health') as typeof health;
  healthTick = byName.get('healthTick') as typeof healthTick;
});

function context(name: string): { context: InvocationContext; logged: Logged[] } {
  const logged: Logged[] = [];
  const ctx = new InvocationContext({
    invocationId: '6f3b1c1e-0000-4000-8000-000000000001',
    functionName: name,
    logHandler: (level, ...args) => logged.push({ level, text: args.map(String).join(' ') }),
  });
  return { context: ctx, logged };
}

async function get(url: string, method = 'GET'): Promise<HttpResponseInit & { logged: Logged[] }> {
  const { context: ctx, logged } = context('health');
  const request = new HttpRequest({ method, url, headers: { accept: 'application/json', 'x-forwarded-for': '198.51.100.7:52311' } });
  return { ...(await health.handler(request, ctx)), logged };
}

const json = (init: HttpResponseInit): unknown => JSON.parse(String(init.body));
/** Once ready: a request whose bounded store read timed out on a starved machine is made again. */
const getReady = (url: string, method = 'GET'): ReturnType<typeof get> =>
  retryWhile(() => get(url, method), (r) => storeTimedOut(r.body) || (r.status === 503 && !r.body));

const timer = {
  isPastDue: false,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: '2026-11-25T17:00:00.000Z', next: '2026-11-25T17:00:05.000Z', lastUpdated: '2026-11-25T17:00:00.000Z' },
};

describe('azure health http (app.http v4)', () => {
  it('registers health on route "health" for every method, anonymous', () => {
    expect(health).toMatchObject({ kind: 'http', route: 'health', routePrefix: 'api' });
    expect([...health.methods].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
  });

  it('answers GET /api/health before the first timer run with 503: live, not ready, no heartbeat', async () => {
    const res = await get('http://localhost:7071/api/health');
    expect(res.status).toBe(503);
    expect(res.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(json(res)).toMatchObject({ status: 'not_ready', live: true, ready: false, cloud: 'azure', checks: { heartbeat: { ok: false } } });
    expect(res.logged).toEqual([]);
  });

  it('runs the timer function within its 4.5 s budget, then answers 200 ready', async () => {
    const { context: ctx, logged } = context('healthTick');
    await expect(healthTick.handler(timer, ctx)).resolves.toBeUndefined();
    expect(logged).toEqual([]);
    await env.replicated(heartbeatKey('azure'));
    const res = await getReady('http://localhost:7071/api/health');
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(json(res)).toMatchObject({
      status: 'ok',
      live: true,
      ready: true,
      cloud: 'azure',
      region: TEST_REGIONS.azure,
      version: env.buildVersion,
      checks: { store: { ok: true }, heartbeat: { ok: true } },
    });
    expect(res.logged).toEqual([]);
  });

  it('answers HEAD like GET without a body', async () => {
    const res = await getReady('http://localhost:7071/api/health', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.body ?? '').toBe('');
  });

  it('answers an unknown route with 404 JSON', async () => {
    const res = await get('http://localhost:7071/api/nope');
    expect(res.status).toBe(404);
    expect(res.headers).toMatchObject({ 'cache-control': 'no-store' });
    expect(json(res)).toEqual({ error: { code: 'not_found', message: 'no route for GET /nope' } });
  });

  it('answers another method with 405 and Allow', async () => {
    const res = await get('http://localhost:7071/api/health', 'DELETE');
    expect(res.status).toBe(405);
    expect(res.headers).toMatchObject({ allow: 'GET, HEAD' });
  });

  it('maps errors with toHttpResponse and logs them through the context', async () => {
    const registered: string[] = [];
    const app: AzureApp = { http: (name) => registered.push(name), timer: (name) => registered.push(name) };
    const handler = registerHttp(app, 'boom', async () => Promise.reject(new Error('token=abc123 rejected')), { route: 'boom' });
    const { context: ctx, logged } = context('boom');
    const res = await handler(new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/boom' }), ctx);
    expect(registered).toEqual(['boom']);
    expect(res.status).toBe(500);
    expect(json(res)).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(logged).toHaveLength(1);
    expect(logged[0]!.level).toBe('error');
    expect(logged[0]!.text).not.toContain('abc123');
    expect(JSON.parse(logged[0]!.text)).toMatchObject({ msg: 'http request failed', code: 'internal', path: '/api/boom' });
  });
});

describe('toHttpRequest (Azure HttpRequest → neutral)', () => {
  it('strips the route prefix and keeps query, headers, body and client address', async () => {
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://localhost:7071/api/health/x?a=1&a=2&b=3',
      headers: { 'Content-Type': 'application/json', 'x-forwarded-for': '198.51.100.7:52311, 10.0.0.1' },
      body: { string: '{"a":1}' },
    });
    expect(await toHttpRequest(request)).toEqual({
      method: 'POST',
      path: '/health/x',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7:52311, 10.0.0.1' },
      query: { a: '1,2', b: '3' },
      body: '{"a":1}',
      sourceIp: '198.51.100.7',
    });
  });

  it('leaves a path outside the prefix alone and honours a custom prefix', async () => {
    const request = new HttpRequest({ method: 'GET', url: 'http://localhost:7071/health' });
    expect((await toHttpRequest(request)).path).toBe('/health');
    expect((await toHttpRequest(request, '')).path).toBe('/health');
    expect((await toHttpRequest(new HttpRequest({ method: 'GET', url: 'http://h/v1/health' }), 'v1')).path).toBe('/health');
  });
});

describe('azure health tick (app.timer v4)', () => {
  it('is registered every 5 seconds', () => {
    expect(healthTick).toMatchObject({ kind: 'timer', schedule: '*/5 * * * * *' });
  });

  it('accepts a past-due timer payload without scheduleStatus', async () => {
    const { context: ctx, logged } = context('healthTick');
    await expect(healthTick.handler({ isPastDue: true }, ctx)).resolves.toBeUndefined();
    expect(logged).toEqual([]);
  });

  it('hands the tick its start plus the budget as deadline', async () => {
    const fn = jest.fn(async () => undefined);
    const app: AzureApp = { http: () => undefined, timer: () => undefined };
    const handler = registerTimer(app, 'budgeted', '0 * * * * *', fn, { budgetMs: 4_500, now: () => 10_000 });
    await handler(timer, context('budgeted').context);
    expect(fn).toHaveBeenCalledWith(timer, 14_500);
  });

  it.each([
    ['an empty object', {}, /isPastDue must be a boolean, got undefined/],
    ['a string isPastDue', { isPastDue: 'no' }, /isPastDue must be a boolean/],
    ['a bad scheduleStatus', { isPastDue: false, scheduleStatus: { next: 'soon' } }, /scheduleStatus.next must be an ISO-8601 timestamp/],
    ['null', null, /expected a timer object, got null/],
  ])('rejects %s with a clear validation error and logs it', async (_name, payload, reason) => {
    const { context: ctx, logged } = context('healthTick');
    const rejection = healthTick.handler(payload, ctx);
    await expect(rejection).rejects.toThrow(MeshgateError);
    await expect(rejection).rejects.toThrow(reason);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.level).toBe('error');
    expect(JSON.parse(logged[0]!.text)).toMatchObject({ msg: 'scheduled tick failed', code: 'validation' });
  });
});
