/** The local hosts serve each cloud's real entry points over loopback. */
import type { Server } from 'node:http';
import { serveAwsHandler, serveAzureApp, serveGcpFunction } from '../../shared/adapters/local';
import { baseUrl, close } from './support/server';

jest.mock('@middy/core', () => jest.requireActual<typeof import('./support/esm')>('./support/esm').requireEsmAsCjs('@middy/core'));

const servers: Server[] = [];
let aws: string;
let azure: string;
let gcp: string;

beforeAll(async () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const awsEntry = await import('../../functions/aws/health');
  await import('../../functions/azure/index');
  await import('../../functions/gcp/health');
  warn.mockRestore();
  servers.push(await serveAwsHandler(awsEntry.handler, 0, { functionName: 'health' }), await serveAzureApp(0), await serveGcpFunction('health', 0));
  [aws, azure, gcp] = servers.map(baseUrl) as [string, string, string];
});
afterAll(async () => {
  await Promise.all(servers.map(close));
});

describe('local hosts', () => {
  it.each([
    ['aws', () => `${aws}/health`],
    ['azure', () => `${azure}/api/health`],
    ['gcp', () => `${gcp}/health`],
  ])('%s serves GET /health', async (_cloud, url) => {
    const res = await fetch(url());
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ status: 'ok', version: '0.1.0' });
  });

  it.each([
    ['aws', () => `${aws}/health`],
    ['azure', () => `${azure}/api/health`],
    ['gcp', () => `${gcp}/health`],
  ])('%s answers 405 with Allow for POST /health', async (_cloud, url) => {
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
