/**
 * The AWS router entry point as Lambda runs it behind a Function URL with RESPONSE_STREAM: middy 6 with
 * `streamifyResponse`, the `awslambda` globals and the HTTP integration prelude from our local stand-in of the
 * Node.js runtime (shared/adapters/local/lambda-streaming.ts), real demo MCP servers as backends.
 */
import type { Server } from 'node:http';
import { installLambdaStreamingGlobals, serveStreamingLambda, type StreamingHandler } from '../../shared/adapters/local';
import { captureStdout } from './support/capture';
import { baseUrl, close } from './support/server';
import { BROKEN_CONFIG, expectMisconfigured, routerCases, startRouterFixture, type RouterFixture } from './support/router-cases';

jest.mock('@middy/core', () => jest.requireActual<typeof import('./support/esm')>('./support/esm').requireEsmAsCjs('@middy/core'));
jest.setTimeout(60_000);

let fixture: RouterFixture;
let server: Server;
let entry: typeof import('../../functions/aws/router');

beforeAll(async () => {
  installLambdaStreamingGlobals();
  fixture = await startRouterFixture('aws');
  entry = await import('../../functions/aws/router');
  server = await serveStreamingLambda(entry.handler as unknown as StreamingHandler, 0, { functionName: 'router', timeoutMs: 30_000 });
});
afterAll(async () => {
  if (server) await close(server);
  const { routerService } = await import('../../shared/composition/router');
  await routerService().close();
  await fixture?.close();
});

describe('aws router (middy streamifyResponse + Function URL streaming)', () => {
  routerCases(() => fixture, () => baseUrl(server));

  it('answers 503 naming the misconfiguration when the function set cannot be built', async () => {
    const saved = process.env.MESHGATE_CONFIG_INLINE;
    process.env.MESHGATE_CONFIG_INLINE = BROKEN_CONFIG;
    let broken: Server | undefined;
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = captureStdout();
    try {
      await jest.isolateModulesAsync(async () => {
        const fresh = await import('../../functions/aws/router');
        broken = await serveStreamingLambda(fresh.handler as unknown as StreamingHandler, 0);
      });
      await expectMisconfigured(`${baseUrl(broken!)}/mcp`);
      expect(out.json()).toEqual([expect.objectContaining({ level: 'error', code: 'unavailable', status: 503, path: '/mcp' })]);
      expect(String(stderr.mock.calls[0]?.[0])).toContain('multi_cloud.providers: required');
    } finally {
      out.restore();
      stderr.mockRestore();
      process.env.MESHGATE_CONFIG_INLINE = saved;
      if (broken) await close(broken);
    }
  });
});
