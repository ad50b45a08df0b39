/**
 * Property tests of the router's request parsing: no input, however malformed, makes it throw, and whatever
 * the router accepts is well-formed JSON-RPC. Also drives whole requests through the router with random
 * methods, paths, headers and bodies: every one gets exactly one answer and nothing escapes as an exception.
 */
import fc from 'fast-check';
import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store';
import {
  createRouter,
  inspectJsonRpc,
  mirrorHeaderProblem,
  parseBudgetMs,
  scanHeaders,
} from '../../shared/usecases/router';
import { FakeSink, FakeUpstream, backend, jsonOk } from './support';

const jsonish = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.json({ maxDepth: 4 }).map((s) => Buffer.from(s)),
  fc
    .record({
      jsonrpc: fc.oneof(fc.constant('2.0'), fc.anything()),
      id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.anything()),
      method: fc.oneof(fc.constantFrom('initialize', 'tools/call', 'tools/list', 'resources/read', 'prompts/get'), fc.anything()),
      params: fc.oneof(fc.record({ name: fc.anything(), uri: fc.anything() }), fc.anything()),
      result: fc.anything(),
      error: fc.anything(),
    }, { requiredKeys: [] })
    .chain((m) => fc.oneof(fc.constant(m as unknown), fc.array(fc.constant(m as unknown), { maxLength: 3 })))
    .map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
);

const headerList = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('Mcp-Session-Id', 'MCP-Protocol-Version', 'Mcp-Method', 'Mcp-Name', 'Content-Length', 'Host', 'x-meshgate-timeout-ms', 'X-Forwarded-For', 'CloudFront-Viewer-Country'), fc.string({ maxLength: 20 })),
      fc.oneof(fc.constantFrom('2026-07-28', '2025-06-18', 'tools/call', 'echo', '5', '-1', 'abc'), fc.string({ maxLength: 40 })),
    ),
    { maxLength: 12 },
  )
  .map((pairs) => pairs.flat());

describe('request parser properties', () => {
  it('inspectJsonRpc never throws, and accepted bodies are JSON-RPC 2.0', () => {
    fc.assert(
      fc.property(jsonish, (body) => {
        const r = inspectJsonRpc(body);
        if (!r.ok) {
          expect([-32700, -32600]).toContain(r.problem.code);
          return;
        }
        const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
        const messages = Array.isArray(parsed) ? parsed : [parsed];
        expect(messages.length).toBe(r.rpc.count);
        for (const m of messages) expect((m as { jsonrpc?: unknown }).jsonrpc).toBe('2.0');
        if (r.rpc.method !== undefined) expect(typeof r.rpc.method).toBe('string');
        expect(r.rpc.id === null || typeof r.rpc.id === 'string' || typeof r.rpc.id === 'number').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('scanHeaders, mirrorHeaderProblem and parseBudgetMs never throw', () => {
    fc.assert(
      fc.property(headerList, jsonish, (raw, body) => {
        const h = scanHeaders(raw, { deadlineHeader: 'x-meshgate-timeout-ms', clientKeyHeader: 'x-meshgate-client-key', abKeyHeader: 'x-tenant' });
        expect(h.forward.length % 2).toBe(0);
        const names = h.forward.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
        expect(names).not.toContain('host');
        expect(names).not.toContain('content-length');
        const b = parseBudgetMs(h.deadline);
        expect(b === undefined || (Number.isInteger(b) && b >= 0)).toBe(true);
        const r = inspectJsonRpc(body);
        if (r.ok) {
          const problem = mirrorHeaderProblem(r.rpc, h.mcpMethod, h.mcpName);
          expect(problem === undefined || typeof problem === 'string').toBe(true);
        }
      }),
      { numRuns: 800 },
    );
  });

  it('the router answers every random request exactly once and never throws', async () => {
    const upstream = new FakeUpstream();
    upstream.auto = (call) => jsonOk(call);
    const router = createRouter({
      backends: [backend('aws-1', 'aws'), backend('gcp-1', 'gcp'), backend('web', 'azure', { transport: 'http' })],
      upstream,
      store: new MemoryStateStore(),
      httpPrefixes: ['/api/'],
      affinityLookupTimeoutMs: 5,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'HEAD', 'OPTIONS', 'PATCH', 'BREW'),
        fc.oneof(fc.constantFrom('/mcp', '/mcp?x=1', '/api/x', '/', '*', 'http://evil/mcp'), fc.string({ maxLength: 30 })),
        headerList,
        fc.option(jsonish, { nil: null }),
        fc.boolean(),
        async (method, url, rawHeaders, body, tooLarge) => {
          const sink = new FakeSink();
          expect(() => router.handle({ method, url, rawHeaders, body, bodyTooLarge: tooLarge }, sink)).not.toThrow();
          for (let i = 0; i < 20 && sink.status === undefined; i++) await new Promise((r) => setTimeout(r, 1));
          expect(sink.status).toBeGreaterThanOrEqual(200);
          expect(sink.ended || sink.destroyed).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
    router.close();
  });
});
