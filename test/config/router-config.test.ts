import { readFileSync } from 'fs';
import { join } from 'path';
import { parseConfig } from '../../shared/config';
import { SECRETS, at, configText } from './fixtures';

const parse = (edit: (mc: Record<string, unknown>) => void = () => {}) => parseConfig(configText(edit), SECRETS);
const problems = (edit: (mc: Record<string, unknown>) => void): string => {
  try {
    parse(edit);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a validation error');
};

describe('router config', () => {
  it('defaults to the router use case defaults', () => {
    expect(parse().router).toEqual({
      workers: 1,
      strategy: 'weighted',
      mcpPath: '/mcp',
      httpPrefixes: [],
      maxBodyBytes: 1024 * 1024,
      requestTimeoutMs: 60_000,
      perTryTimeoutMs: 0,
      responseIdleTimeoutMs: 300_000,
      deadlineHeader: 'x-meshgate-timeout-ms',
      maxClientTimeoutMs: 300_000,
      maxAttempts: 3,
      retryRpcMethodsAfterSend: [],
      sseKeepAliveMs: 15_000,
      unknownSession: 'forward',
      failOpen: true,
      forwardedHeaders: true,
      clientKeyHeader: 'x-meshgate-client-key',
      affinityCacheSize: 100_000,
      sessionTtlSeconds: 86_400,
      affinityLookupTimeoutMs: 300,
      refreshSeconds: 5,
      upstream: { connections: 128, connectTimeoutMs: 2000 },
    });
  });

  it('camelCases what operators set and lower-cases header names', () => {
    const router = parse((mc) => {
      mc.router = {
        strategy: 'latency',
        mcp_path: '/v1/mcp',
        max_body_bytes: 4096,
        sse_keep_alive_ms: 0,
        unknown_session: 'not_found',
        deadline_header: 'X-Budget-Ms',
        retry_rpc_methods_after_send: ['ping'],
        upstream: { connections: 16 },
      };
    }).router;

    expect(router).toMatchObject({
      strategy: 'latency',
      mcpPath: '/v1/mcp',
      maxBodyBytes: 4096,
      sseKeepAliveMs: 0,
      unknownSession: 'not_found',
      deadlineHeader: 'x-budget-ms',
      retryRpcMethodsAfterSend: ['ping'],
      upstream: { connections: 16, connectTimeoutMs: 2000 },
    });
  });

  it.each([
    ['an unknown strategy', { strategy: 'fastest' }, 'multi_cloud.router.strategy: expected one of round_robin, weighted, latency, geographic, cost, performance'],
    ['a relative mcp path', { mcp_path: 'mcp' }, "multi_cloud.router.mcp_path: expected a path starting with '/'"],
    ['a zero body limit', { max_body_bytes: 0 }, 'multi_cloud.router.max_body_bytes: must be at least 1'],
    ['a bad unknown-session policy', { unknown_session: 'drop' }, 'multi_cloud.router.unknown_session: expected one of forward, not_found'],
    ['a negative keep-alive', { sse_keep_alive_ms: -1 }, 'multi_cloud.router.sse_keep_alive_ms: must be at least 0'],
    ['an unknown key', { sse_keepalive_ms: 1 }, 'multi_cloud.router.sse_keepalive_ms: unknown key'],
    ['a bad upstream size', { upstream: { connections: 0 } }, 'multi_cloud.router.upstream.connections: must be at least 1'],
  ])('names the path of %s', (_name, router, message) => {
    expect(problems((mc) => (mc.router = router))).toContain(message);
  });

  it('rejects http prefixes when no backend speaks plain http', () => {
    expect(problems((mc) => (mc.router = { http_prefixes: ['/api/'] }))).toContain(
      'multi_cloud.router.http_prefixes: no backend has transport http to serve these prefixes',
    );
    const ok = parse((mc) => {
      mc.router = { http_prefixes: ['/api/'] };
      at(mc, 'backends', 1).transport = 'http';
    });
    expect(ok.router.httpPrefixes).toEqual(['/api/']);
  });

  it('is documented field by field in meshgate.example.yaml', () => {
    const text = readFileSync(join(__dirname, '..', '..', 'meshgate.example.yaml'), 'utf8');
    const router = parseConfig(text, SECRETS).router;

    expect(router.retryRpcMethodsAfterSend).toEqual(['initialize', 'ping', 'tools/list']);
    for (const key of Object.keys(parse().router)) {
      const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      expect(text).toContain(`${snake}:`);
    }
  });

  it('takes router.workers as an integer >= 1 or "auto", and names router.workers when it is anything else', () => {
    expect(parse((mc) => (mc.router = { workers: 4 })).router.workers).toBe(4);
    expect(parse((mc) => (mc.router = { workers: 'auto' })).router.workers).toBe('auto');
    for (const bad of [0, -1, 1.5, 257, '2', 'all', true]) {
      expect(problems((mc) => (mc.router = { workers: bad }))).toContain('multi_cloud.router.workers: expected an integer from 1 to 256 or "auto"');
    }
  });
});
