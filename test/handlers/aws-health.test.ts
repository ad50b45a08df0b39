/**
 * The AWS health entry point through middy, with API Gateway v2 / EventBridge events and a Lambda context,
 * against the replicated store on the run's emulators: not ready before the first tick, ready after it.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MeshgateError } from '../../shared/core/errors';
import { heartbeatKey } from '../../shared/core/health/keys';
import { httpErrorHandler, lambdaHttp, lambdaSchedule, toHttpRequest } from '../../shared/adapters/aws/lambda-runtime';
import { startDemoMcpServer, type DemoMcpServer } from '../../infra/local/demo-mcp-server';
import { retryWhile, storeTimedOut, TEST_REGIONS, TEST_TICK_BUDGET_MS, useFunctionEnv, type FunctionEnv } from '../support/function-env';
import { httpApiEvent, lambdaContext, scheduledEvent } from './support/aws-events';
import { captureStdout, type Captured } from './support/capture';

jest.mock('@middy/core', () => jest.requireActual<typeof import('./support/esm')>('./support/esm').requireEsmAsCjs('@middy/core'));
jest.setTimeout(60_000);

type Entry = typeof import('../../functions/aws/health');
let entry: Entry;
let middy: typeof import('@middy/core').default;
let out: Captured;
let backend: DemoMcpServer;
let env: FunctionEnv;

beforeAll(async () => {
  backend = await startDemoMcpServer('aws-health-backend');
  env = await useFunctionEnv('aws', { backends: [{ id: 'demo', url: backend.url }] });
  entry = await import('../../functions/aws/health');
  middy = (await import('@middy/core')).default;
});
afterAll(async () => {
  await env?.();
  await backend?.close();
});
beforeEach(() => {
  out = captureStdout();
});
afterEach(() => out.restore());

const call = async (event: unknown): Promise<APIGatewayProxyStructuredResultV2> =>
  (await entry.handler(event as never, lambdaContext())) as APIGatewayProxyStructuredResultV2;
const body = (result: APIGatewayProxyStructuredResultV2): Record<string, unknown> => JSON.parse(result.body ?? '') as Record<string, unknown>;
/** Once ready: a GET whose bounded store read timed out on a starved machine is asked again. */
const callReady = (event: unknown): Promise<APIGatewayProxyStructuredResultV2> => retryWhile(() => call(event), (r) => storeTimedOut(r.body) || (r.statusCode === 503 && !r.body));

describe('aws health http (middy + API Gateway HTTP API v2)', () => {
  it('answers GET /health before the first tick with 503: live, not ready, no heartbeat', async () => {
    const result = await call(httpApiEvent());
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(body(result)).toMatchObject({ status: 'not_ready', live: true, ready: false, cloud: 'aws', checks: { heartbeat: { ok: false } } });
    expect(out.lines()).toEqual([]);
  });

  it('runs the tick from an EventBridge scheduled event within the Lambda deadline, then answers 200 ready', async () => {
    await expect(entry.tick(scheduledEvent, lambdaContext(TEST_TICK_BUDGET_MS))).resolves.toBeUndefined();
    await env.replicated(heartbeatKey('aws'));
    const result = await callReady(httpApiEvent());
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(body(result)).toMatchObject({
      status: 'ok',
      live: true,
      ready: true,
      cloud: 'aws',
      region: TEST_REGIONS.aws,
      version: env.buildVersion,
      checks: { store: { ok: true }, heartbeat: { ok: true } },
    });
    expect(out.lines()).toEqual([]);
  });

  it('strips a named stage from rawPath', async () => {
    expect((await callReady(httpApiEvent({ rawPath: '/prod/health', stage: 'prod' }))).statusCode).toBe(200);
  });

  it('answers HEAD like GET without a body', async () => {
    const result = await callReady(httpApiEvent({ method: 'HEAD' }));
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe('');
  });

  it('answers an unknown route with 404 JSON', async () => {
    const result = await call(httpApiEvent({ rawPath: '/nope' }));
    expect(result.statusCode).toBe(404);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(body(result)).toEqual({ error: { code: 'not_found', message: 'no route for GET /nope' } });
  });

  it('answers another method with 405 and Allow', async () => {
    const result = await call(httpApiEvent({ method: 'POST' }));
    expect(result.statusCode).toBe(405);
    expect(result.headers).toMatchObject({ allow: 'GET, HEAD', 'cache-control': 'no-store' });
    expect(body(result)).toMatchObject({ error: { code: 'method_not_allowed' } });
  });

  it('rejects a REST API (payload 1.0) event with 400 and logs one JSON line', async () => {
    const result = await call({ resource: '/health', path: '/health', httpMethod: 'GET', requestContext: {} });
    expect(result.statusCode).toBe(400);
    expect(body(result)).toMatchObject({ error: { code: 'validation' } });
    const [line, ...rest] = out.json();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ level: 'warn', code: 'validation', status: 400, requestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678' });
  });
});

describe('httpErrorHandler', () => {
  it('turns an internal failure into a generic 500 and logs it without secrets', async () => {
    const failing = middy(
      lambdaHttp(async () => {
        throw new Error('connect failed: AccountKey=c2VjcmV0 password=hunter2 Authorization: Bearer abc.def');
      }),
    ).use(httpErrorHandler());
    const result = (await failing(httpApiEvent(), lambdaContext())) as APIGatewayProxyStructuredResultV2;
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body ?? '')).toEqual({ error: { code: 'internal', message: 'internal error' } });
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/c2VjcmV0|hunter2|abc\.def/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', code: 'internal', status: 500, method: 'GET', path: '/health' });
  });

  it('keeps an exposed error code and message', async () => {
    const conflict = middy(lambdaHttp(async () => Promise.reject(new MeshgateError('conflict', 'lease held by gcp')))).use(httpErrorHandler());
    const result = (await conflict(httpApiEvent(), lambdaContext())) as APIGatewayProxyStructuredResultV2;
    expect(result.statusCode).toBe(409);
    expect(JSON.parse(result.body ?? '')).toEqual({ error: { code: 'conflict', message: 'lease held by gcp' } });
  });
});

describe('toHttpRequest (API Gateway v2 → neutral)', () => {
  it('maps cookies, query, headers, base64 body and source IP', () => {
    const request = toHttpRequest(
      httpApiEvent({ method: 'post', headers: { 'Content-Type': 'application/json' }, body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true }),
    );
    expect(request).toMatchObject({
      method: 'POST',
      path: '/health',
      headers: { 'content-type': 'application/json', cookie: 'cookie1=a; cookie2=b' },
      query: { parameter1: 'value1,value2', parameter2: 'value' },
      body: '{"a":1}',
      sourceIp: '192.0.2.1',
    });
  });

  it('parses rawQueryString when queryStringParameters is absent', () => {
    const { queryStringParameters: _q, ...event } = httpApiEvent();
    expect(toHttpRequest(event).query).toEqual({ parameter1: 'value1,value2', parameter2: 'value' });
  });

  it('keeps a path that only starts like the stage', () => {
    expect(toHttpRequest(httpApiEvent({ rawPath: '/production/health', stage: 'prod' })).path).toBe('/production/health');
  });
});

describe('aws health tick (middy + EventBridge scheduled event)', () => {
  it('hands the tick the invocation deadline from the context', async () => {
    const fn = jest.fn(async () => undefined);
    await middy(lambdaSchedule(fn, { now: () => 1_000 }))(scheduledEvent, { ...lambdaContext(), getRemainingTimeInMillis: () => 59_000 });
    expect(fn).toHaveBeenCalledWith(scheduledEvent, 60_000);
  });

  it.each([
    ['an S3 event', { ...scheduledEvent, 'detail-type': 'Object Created', source: 'aws.s3' }, /detail-type must be "Scheduled Event", got "Object Created"/],
    ['a custom source', { ...scheduledEvent, source: 'my.app' }, /source must be "aws.events"/],
    ['no time', { ...scheduledEvent, time: undefined }, /time must be an ISO-8601 timestamp/],
    ['a string', 'tick', /expected an EventBridge scheduled event object, got string/],
  ])('rejects %s with a clear validation error and logs it', async (_name, event, reason) => {
    const rejection = entry.tick(event, lambdaContext(TEST_TICK_BUDGET_MS));
    await expect(rejection).rejects.toThrow(MeshgateError);
    await expect(rejection).rejects.toThrow(reason);
    const [line, ...rest] = out.json();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ level: 'error', msg: 'scheduled tick failed', code: 'validation' });
    expect(String(line?.error)).toMatch(/^malformed scheduled event: /);
  });
});
