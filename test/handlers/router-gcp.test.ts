/**
 * The GCP router entry point through the Functions Framework's own server (getTestServer) over loopback: its
 * body parsing, its Express request and response, real demo MCP servers as backends.
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { captureStdout } from './support/capture';
import { onLoopback } from './support/server';
import { BROKEN_CONFIG, expectMisconfigured, routerCases, startRouterFixture, type RouterFixture } from './support/router-cases';

jest.setTimeout(60_000);

let fixture: RouterFixture;
let server: Awaited<ReturnType<typeof onLoopback>>;

beforeAll(async () => {
  fixture = await startRouterFixture('gcp');
  const entry = await import('../../functions/gcp/router');
  expect(typeof entry.router).toBe('function');
  server = await onLoopback(getTestServer('router'));
});
afterAll(async () => {
  await server?.close();
  const { routerService } = await import('../../shared/composition/router');
  await routerService().close();
  await fixture?.close();
});

describe('gcp router (functions-framework http)', () => {
  routerCases(() => fixture, () => server.url);

  it('answers 503 naming the misconfiguration when the function set cannot be built', async () => {
    const saved = process.env.MESHGATE_CONFIG_INLINE;
    process.env.MESHGATE_CONFIG_INLINE = BROKEN_CONFIG;
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = captureStdout();
    let broken: Awaited<ReturnType<typeof onLoopback>> | undefined;
    try {
      await jest.isolateModulesAsync(async () => {
        const fresh = await import('../../functions/gcp/router');
        http('brokenRouter', fresh.router);
      });
      broken = await onLoopback(getTestServer('brokenRouter'));
      await expectMisconfigured(`${broken.url}/mcp`);
      expect(out.json()).toEqual([expect.objectContaining({ severity: 'ERROR', code: 'unavailable', status: 503 })]);
      expect(String(stderr.mock.calls[0]?.[0])).toContain('multi_cloud.providers: required');
    } finally {
      out.restore();
      stderr.mockRestore();
      process.env.MESHGATE_CONFIG_INLINE = saved;
      await broken?.close();
    }
  });
});
