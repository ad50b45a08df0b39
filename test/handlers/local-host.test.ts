/**
 * The local hosts serve each cloud's real entry points over loopback. One process holds one composition
 * root, so all three entry points share the function set configured here (MESHGATE_CLOUD=aws); each cloud
 * on its own composition is test/integration/health-mesh.test.ts.
 */
import type { Server } from 'node:http';
import { serveAwsHandler, serveAzureApp, serveGcpFunction } from '../../shared/adapters/local';
import { heartbeatKey } from '../../shared/core/health/keys';
import { startDemoMcpServer, type DemoMcpServer } from '../../infra/local/demo-mcp-server';
import { retryWhile, storeTimedOut, TEST_TICK_BUDGET_MS, useFunctionEnv, type FunctionEnv } from '../support/function-env';
import { scheduledEvent, lambdaContext } from './support/aws-events';
import { baseUrl, close } from './support/server';

jest.mock('@middy/core', () => jest.requireActual<typeof import('./support/esm')>('./support/esm').requireEsmAsCjs('@middy/core'));
jest.setTimeout(60_000);

const servers: Server[] = [];
let aws: string;
let azure: string;
let gcp: string;
let awsEntry: typeof import('../../functions/aws/health');
let backend: DemoMcpServer;
let env: FunctionEnv;

beforeAll(async () => {
  backend = await startDemoMcpServer('local-host-backend');
  env = await useFunctionEnv('aws', { backends: [{ id: 'demo', url: backend.url }] });
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  awsEntry = await import('../../functions/aws/health');
  await import('../../functions/azure/index');
  await import('../../functions/gcp/health');
  warn.mockRestore();
  servers.push(await serveAwsHandler(awsEntry.handler, 0, { functionName: 'health' }), await serveAzureApp(0), await serveGcpFunction('health', 0));
  [aws, azure, gcp] = servers.map(baseUrl) as [string, string, string];
});
afterAll(async () => {
  await Promise.all(servers.map(close));
  await env?.();
  await backend?.close();
});

const HEALTH_URLS: [string, () => string][] = [
  ['aws', () => `${aws}/health`],
  ['azure', () => `${azure}/api/health`],
  ['gcp', () => `${gcp}/health`],
];

describe('local hosts', () => {
  it.each(HEALTH_URLS)('%s serves GET /health: 503 not ready before the first tick', async (_cloud, url) => {
    const res = await fetch(url());
    expect(res.status).toBe(503);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ live: true, ready: false, checks: { heartbeat: { ok: false } } });
  });

  it('runs the tick through the Lambda entry point', async () => {
    await expect(awsEntry.tick(scheduledEvent, lambdaContext(TEST_TICK_BUDGET_MS))).resolves.toBeUndefined();
    await env.replicated(heartbeatKey('aws'));
  });

  it.each(HEALTH_URLS)('%s serves GET /health: 200 ready after the tick', async (_cloud, url) => {
    // A read of the store that timed out on a starved machine is asked again; any other answer is final.
    const once = async () => {
      const res = await fetch(url());
      return { res, text: await res.text() };
    };
    const { res, text } = await retryWhile(once, (r) => storeTimedOut(r.text));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(JSON.parse(text)).toMatchObject({ status: 'ok', ready: true, cloud: 'aws', version: env.buildVersion });
  });

  it.each(HEALTH_URLS)('%s answers 405 with Allow for POST /health', async (_cloud, url) => {
    const res = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('aws: unknown paths reach the function and get 404 JSON', async () => {
    const res = await fetch(`${aws}/nope?x=1`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no route for GET /nope' } });
  });

  it('azure: paths no function registered get the host-style bare 404', async () => {
    const res = await fetch(`${azure}/api/nope`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('');
  });
});
