/**
 * The AWS scheduler entry point through middy, with API Gateway v2 / EventBridge events and a Lambda context.
 * The composition is replaced by the real scheduler service over the in-memory store and DNS zone, on a clock
 * whose sleeps fire at once, so a minute of sub-ticks runs in milliseconds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { parse } from 'yaml';
import { MeshgateError } from '../../shared/core/errors';
import { readAudit } from '../../shared/usecases/scheduler';
import { httpApiEvent, lambdaContext, scheduledEvent } from './support/aws-events';
import { captureStdout, type Captured } from './support/capture';
import { schedulerUnderTest } from './support/scheduler';

jest.mock('@middy/core', () => jest.requireActual<typeof import('./support/esm')>('./support/esm').requireEsmAsCjs('@middy/core'));
jest.mock('../../shared/composition/scheduler', () => jest.requireActual<typeof import('./support/scheduler')>('./support/scheduler').compositionOf(() => mockScheduler));

const mockScheduler = schedulerUnderTest('aws-eu-west-1-0001:scheduler', [
  { id: 'aws', cloud: 'aws', type: 'CNAME', values: ['abc123.execute-api.eu-west-1.amazonaws.com'], weight: 255 },
  { id: 'azure', cloud: 'azure', type: 'CNAME', values: ['meshgate-prod.azurewebsites.net'], weight: 255 },
  { id: 'gcp', cloud: 'gcp', type: 'CNAME', values: ['europe-west1-meshgate.cloudfunctions.net'], weight: 255 },
]);
const { store, zone } = mockScheduler;

type Entry = typeof import('../../functions/aws/scheduler');
let entry: Entry;
let out: Captured;

beforeAll(async () => {
  entry = await import('../../functions/aws/scheduler');
});
beforeEach(() => {
  out = captureStdout();
});
afterEach(() => out.restore());

const status = (overrides: Parameters<typeof httpApiEvent>[0] = {}) => httpApiEvent({ rawPath: '/scheduler/status', routeKey: 'ANY /scheduler/status', ...overrides });
const call = async (event: unknown): Promise<APIGatewayProxyStructuredResultV2> =>
  (await entry.handler(event as never, lambdaContext())) as APIGatewayProxyStructuredResultV2;
const body = (result: APIGatewayProxyStructuredResultV2): Record<string, unknown> => JSON.parse(result.body ?? '') as Record<string, unknown>;

describe('aws scheduler (middy + API Gateway HTTP API v2 + EventBridge)', () => {
  it('answers GET /scheduler/status before any tick: nobody leads yet', async () => {
    const result = await call(status());
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(body(result)).toMatchObject({ node: 'aws-eu-west-1-0001:scheduler', leader: null, verdict: null, plan: null });
    expect(out.lines()).toEqual([]);
  });

  it('runs a minute of sub-ticks from one scheduled event: leads, writes the weighted records, audits', async () => {
    await expect(entry.tick(scheduledEvent, lambdaContext(60_000))).resolves.toBeUndefined();
    expect(out.lines()).toEqual([]);
    expect((await zone.records('mcp.example.test')).map((r) => [r.setId, r.type, r.weight])).toEqual([
      ['aws', 'CNAME', 255],
      ['azure', 'CNAME', 255],
      ['gcp', 'CNAME', 255],
    ]);
    expect(await zone.currentTerm()).toBe(1);
    const result = body(await call(status()));
    expect(result).toMatchObject({
      leader: { holder: 'aws-eu-west-1-0001:scheduler', term: 1, live: true },
      verdict: { term: 1, weights: { aws: 255, azure: 255, gcp: 255 }, allDown: false },
      plan: { term: 1, outcome: 'success', changeCount: 4 },
    });
    expect((await readAudit(store)).map((r) => r.kind)).toEqual(['lease.acquired', 'dns.plan', 'dns.apply']);
  });

  it('answers another method with 405 and Allow, and an unknown path with 404', async () => {
    const post = await call(status({ method: 'POST' }));
    expect(post.statusCode).toBe(405);
    expect(post.headers).toMatchObject({ allow: 'GET, HEAD', 'cache-control': 'no-store' });
    const nope = await call(status({ rawPath: '/scheduler/nope' }));
    expect(nope.statusCode).toBe(404);
    expect(body(nope)).toEqual({ error: { code: 'not_found', message: 'no route for GET /scheduler/nope' } });
  });

  it('answers 503 without details when the store is down, and logs one JSON line', async () => {
    store.setFault('unavailable');
    try {
      const result = await call(status());
      expect(result.statusCode).toBe(503);
      expect(body(result)).toEqual({ error: { code: 'unavailable', message: 'internal error' } });
      const [line, ...rest] = out.json();
      expect(rest).toEqual([]);
      expect(line).toMatchObject({ level: 'error', code: 'unavailable', status: 503, path: '/scheduler/status' });
    } finally {
      store.setFault('none');
    }
  });

  it.each([
    ['an S3 event', { ...scheduledEvent, 'detail-type': 'Object Created', source: 'aws.s3' }, /detail-type must be "Scheduled Event"/],
    ['a string', 'tick', /expected an EventBridge scheduled event object, got string/],
  ])('rejects %s with a clear validation error and logs it', async (_name, event, reason) => {
    const puts = store.calls.put;
    const rejection = entry.tick(event, lambdaContext(60_000));
    await expect(rejection).rejects.toThrow(MeshgateError);
    await expect(rejection).rejects.toThrow(reason);
    expect(store.calls.put).toBe(puts);
    const [line, ...rest] = out.json();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ level: 'error', msg: 'scheduled tick failed', code: 'validation' });
  });
});

describe('serverless.yml', () => {
  it('declares the scheduler status route and the minute tick like health', () => {
    const functions = (parse(readFileSync(join(__dirname, '../../serverless.yml'), 'utf8')) as { functions: Record<string, Record<string, unknown>> }).functions;
    expect(functions.scheduler).toMatchObject({
      handler: 'dist/aws/scheduler/index.handler',
      package: { patterns: ['dist/aws/scheduler/index.js'] },
      events: [{ httpApi: { method: '*', path: '/scheduler/status' } }],
    });
    expect(functions.schedulerTick).toMatchObject({
      handler: 'dist/aws/scheduler/index.tick',
      timeout: 60,
      maximumRetryAttempts: 0,
      package: { patterns: ['dist/aws/scheduler/index.js'] },
      events: [{ schedule: { rate: 'rate(1 minute)', enabled: true } }],
    });
  });
});
