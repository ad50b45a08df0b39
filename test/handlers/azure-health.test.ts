/** The Azure health entry point through @azure/functions v4: real HttpRequest and InvocationContext objects. */
import { HttpRequest, InvocationContext, type HttpResponseInit, type LogLevel } from '@azure/functions';
import { MeshgateError } from '../../shared/core/errors';
import { restoreEnv } from './support/server';
import { azureRegistrations, registerHttp, registerTimer, toHttpRequest, type AzureApp, type AzureRegistration } from '../../shared/adapters/azure/functions-runtime';

interface Logged {
  readonly level: LogLevel;
  readonly text: string;
}

let health: Extract<AzureRegistration, { kind: 'http' }>;
let healthTick: Extract<AzureRegistration, { kind: 'timer' }>;
const restore = restoreEnv(['FUNCTIONS_WORKER_RUNTIME', 'REGION_NAME']);

afterAll(() => restore());

beforeAll(async () => {
  process.env.FUNCTIONS_WORKER_RUNTIME = 'node';
  process.env.REGION_NAME = 'West Europe';
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

describe('azure health http (app.http v4)', () => {
  it('registers health on route "health" for every method, anonymous', () => {
    expect(health).toMatchObject({ kind: 'http', route: 'health', routePrefix: 'api' });
    expect([...health.methods].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
  });

  it('answers GET /api/health with uncached liveness JSON', async () => {
    const res = await get('http://localhost:7071/api/health');
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(json(res)).toEqual({ status: 'ok', cloud: 'azure', region: 'West Europe', version: '0.1.0' });
    expect(res.logged).toEqual([]);
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
  const timer = {
    isPastDue: false,
    schedule: { adjustForDST: true },
    scheduleStatus: { last: '2026-11-25T17:00:00.000Z', next: '2026-11-25T17:00:05.000Z', lastUpdated: '2026-11-25T17:00:00.000Z' },
  };

  it('is registered every 5 seconds', () => {
    expect(healthTick).toMatchObject({ kind: 'timer', schedule: '*/5 * * * * *' });
  });

  it('accepts a timer payload, with or without scheduleStatus', async () => {
    await expect(healthTick.handler(timer, context('healthTick').context)).resolves.toBeUndefined();
    await expect(healthTick.handler({ isPastDue: true }, context('healthTick').context)).resolves.toBeUndefined();
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
