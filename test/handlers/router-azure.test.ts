/**
 * The Azure router entry point through @azure/functions v4: the app's main (functions/azure/index.ts, with
 * `enableHttpStream`) registers it, and our local host serves the registrations with real HttpRequest,
 * InvocationContext and HttpResponse objects, writing bodies as the worker's HTTP stream proxy does.
 */
import type { Server } from 'node:http';
import { serveAzureApp } from '../../shared/adapters/local';
import { azureRegistrations } from '../../shared/adapters/azure/functions-runtime';
import { baseUrl, close } from './support/server';
import { BROKEN_CONFIG, expectMisconfigured, routerCases, startRouterFixture, type RouterFixture } from './support/router-cases';

jest.setTimeout(60_000);

let fixture: RouterFixture;
let server: Server;
const logs: unknown[][] = [];

beforeAll(async () => {
  fixture = await startRouterFixture('azure');
  // Outside the Functions host the library runs in "test mode" and warns that it skips registration.
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  await import('../../functions/azure/index');
  warn.mockRestore();
  jest.spyOn(process.stdout, 'write').mockImplementation((...args: unknown[]) => logs.push(args) > 0);
  server = await serveAzureApp(0);
});
afterAll(async () => {
  jest.restoreAllMocks();
  if (server) await close(server);
  const { routerService } = await import('../../shared/composition/router');
  await routerService().close();
  await fixture?.close();
});

describe('azure router (@azure/functions v4, HTTP streaming)', () => {
  it('registers the MCP route for GET, POST, DELETE and OPTIONS', () => {
    expect(azureRegistrations().find((r) => r.name === 'router')).toMatchObject({ kind: 'http', route: 'mcp', routePrefix: 'api', methods: ['GET', 'POST', 'DELETE', 'OPTIONS'] });
  });

  // Azure matches routes without regard to case and the router does not: `/api/MCP` reaches the router,
  // which does not serve `/MCP`. Paths with no route at all get the host's bare 404.
  routerCases(() => fixture, () => baseUrl(server), { mcpPath: '/api/mcp', unservedPath: '/api/MCP', seesClientDisconnect: false });

  it('answers 503 naming the misconfiguration when the function set cannot be built', async () => {
    const saved = process.env.MESHGATE_CONFIG_INLINE;
    process.env.MESHGATE_CONFIG_INLINE = BROKEN_CONFIG;
    let broken: Server | undefined;
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await jest.isolateModulesAsync(async () => {
        const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
        await import('../../functions/azure/index');
        warn.mockRestore();
        const local = await import('../../shared/adapters/local');
        broken = await local.serveAzureApp(0);
      });
      await expectMisconfigured(`${baseUrl(broken!)}/api/mcp`);
      expect(String(stderr.mock.calls[0]?.[0])).toContain('multi_cloud.providers: required');
    } finally {
      stderr.mockRestore();
      process.env.MESHGATE_CONFIG_INLINE = saved;
      if (broken) await close(broken);
    }
  });
});
