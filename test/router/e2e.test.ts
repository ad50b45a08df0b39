/**
 * End to end on loopback: two demo MCP servers on two "clouds" (aws, gcp) behind the router's Node server, driven
 * by the MCP TypeScript SDK's real client over Streamable HTTP. Covers initialize, tools/list, a tool call with
 * progress notifications streamed over SSE, the loss of the session's backend (404 at once, recovery by
 * re-initializing on the other cloud), and that no safely retryable request is lost when a backend dies.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startDemoMcpServer, type DemoMcpServer } from '../../infra/local/demo-mcp-server';
import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store';
import { UndiciUpstream } from '../../shared/adapters/http/undici-upstream';
import { startRouterServer, type RouterServer } from '../../shared/adapters/http/node-router-server';
import { createRouter, SESSION_PREFIX, type Router } from '../../shared/usecases/router';

interface Mesh {
  aws: DemoMcpServer;
  gcp: DemoMcpServer;
  store: MemoryStateStore;
  upstream: UndiciUpstream;
  router: Router;
  server: RouterServer;
  clients: Client[];
}

async function startMesh(): Promise<Mesh> {
  const options = { responses: 'sse' as const, progressSteps: 3, progressIntervalMs: 25 };
  const aws = await startDemoMcpServer('aws-demo', 0, options);
  const gcp = await startDemoMcpServer('gcp-demo', 0, options);
  const store = new MemoryStateStore();
  const upstream = new UndiciUpstream({ connectTimeoutMs: 1000 });
  const router = createRouter({
    backends: [
      { id: 'aws-1', cloud: 'aws', region: 'us-east-1', url: aws.url, weight: 1, version: 'v1', transport: 'mcp' },
      { id: 'gcp-1', cloud: 'gcp', region: 'us-central1', url: gcp.url, weight: 1, version: 'v1', transport: 'mcp' },
    ],
    upstream,
    store,
    strategy: 'round_robin',
    sseKeepAliveMs: 40,
  });
  const server = await startRouterServer({ router });
  return { aws, gcp, store, upstream, router, server, clients: [] };
}

async function stopMesh(mesh: Mesh): Promise<void> {
  await Promise.all(mesh.clients.map((c) => c.close().catch(() => undefined)));
  mesh.router.close();
  await mesh.server.close();
  await mesh.upstream.close();
  for (const demo of [mesh.aws, mesh.gcp]) {
    demo.server.closeAllConnections();
    if (demo.server.listening) await demo.close();
  }
}

/** Stops a backend the hard way: every connection cut, the port closed. */
async function kill(demo: DemoMcpServer): Promise<void> {
  demo.server.closeAllConnections();
  await demo.close();
}

async function connect(mesh: Mesh): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  client.onerror = () => undefined; // the standalone GET stream's reconnect errors after a kill are expected
  const transport = new StreamableHTTPClientTransport(new URL(`${mesh.server.url}/mcp`));
  await client.connect(transport);
  mesh.clients.push(client);
  return { client, transport };
}

const textOf = (result: unknown): string =>
  ((result as { content?: Array<{ text?: string }> }).content ?? []).map((c) => c.text ?? '').join('');

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
}

describe('router end to end with a real MCP client', () => {
  let mesh: Mesh;
  beforeEach(async () => {
    mesh = await startMesh();
  });
  afterEach(async () => {
    await stopMesh(mesh);
  });

  it('runs a session through the router, survives the loss of its backend and recovers on the other cloud', async () => {
    const { client, transport } = await connect(mesh);
    const sessionId = transport.sessionId as string;
    expect(sessionId).toBeDefined();

    // The binding reached the store (written in the background).
    await new Promise((r) => setTimeout(r, 20));
    const binding = await mesh.store.get<{ backend: string }>(`${SESSION_PREFIX}${sessionId}`);
    expect(binding?.value.backend).toMatch(/^(aws-1|gcp-1)$/);
    const owner = binding?.value.backend === 'aws-1' ? mesh.aws : mesh.gcp;
    const survivor = owner === mesh.aws ? mesh.gcp : mesh.aws;

    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(['echo']);

    // A tool call answered as an SSE stream with progress notifications first: they arrive one by one, before
    // the result, so the stream is forwarded as it is produced, not buffered.
    const progressAt: number[] = [];
    const started = performance.now();
    const result = await client.callTool({ name: 'echo', arguments: { text: 'hello' } }, undefined, {
      onprogress: () => progressAt.push(performance.now()),
    });
    const resolvedAt = performance.now();
    expect(textOf(result)).toBe(`${owner.name}: hello`);
    expect(progressAt).toHaveLength(3);
    expect((progressAt[0] as number) - started).toBeGreaterThanOrEqual(15);
    expect(resolvedAt - (progressAt[0] as number)).toBeGreaterThanOrEqual(30);

    // Every request of the session went to the same backend.
    for (let i = 0; i < 4; i++) {
      expect(textOf(await client.callTool({ name: 'echo', arguments: { text: `n${i}` } }))).toBe(`${owner.name}: n${i}`);
    }

    // Kill the session's backend mid-session: the next request gets 404 (session not found) at once.
    await kill(owner);
    const before = performance.now();
    const failure = await client.callTool({ name: 'echo', arguments: { text: 'after kill' } }).catch((err: unknown) => err);
    const elapsed = performance.now() - before;
    expect((failure as { code?: number }).code).toBe(404);
    expect(elapsed).toBeLessThan(2000); // no waiting on timeouts (connect refused is immediate)
    const counters = mesh.router.counters();
    expect(counters.sessionBackendLost + counters.sessionNotFoundFastFails).toBeGreaterThanOrEqual(1);

    // The client re-initializes: the new session lands on the surviving cloud, whatever the strategy picks first
    // (a pick of the dead backend is refused before anything is sent, so it is retried on the other cloud).
    for (let i = 0; i < 3; i++) {
      const again = await connect(mesh);
      expect(again.transport.sessionId).not.toBe(sessionId);
      const answer = await again.client.callTool({ name: 'echo', arguments: { text: 'recovered' } }, undefined, {
        onprogress: () => undefined,
      });
      expect(textOf(answer)).toBe(`${survivor.name}: recovered`);
    }
  });

  it('loses no safely retryable request when a backend dies: connection refused is retried on the other cloud', async () => {
    await kill(mesh.aws);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(`${mesh.server.url}/mcp`, {
          jsonrpc: '2.0',
          id: i,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'burst', version: '1' } },
        }).then(async (r) => ({ status: r.status, body: await r.text() })),
      ),
    );
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body).toContain('gcp-demo');
    }
    const counters = mesh.router.counters();
    expect(counters.retries).toBeGreaterThanOrEqual(1);
    expect(counters.noBackend).toBe(0);
  });

  it('answers 404 without touching the network when the health verdict says the bound backend is down', async () => {
    const init = await post(`${mesh.server.url}/mcp`, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    const sessionId = init.headers.get('mcp-session-id') as string;
    await init.text();
    const owner = (await mesh.store.get<{ backend: string }>(`${SESSION_PREFIX}${sessionId}`))?.value.backend as string;
    mesh.router.updateSnapshot([{ id: owner, healthy: false }]);
    const started = performance.now();
    const r = await post(
      `${mesh.server.url}/mcp`,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { 'mcp-session-id': sessionId },
    );
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ jsonrpc: '2.0', id: 2, error: { code: -32001, message: expect.stringContaining('Session not found') } });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(mesh.router.counters().sessionNotFoundFastFails).toBe(1);
    // The backend still holds the session: the router never forwarded the request.
    const demo = owner === 'aws-1' ? mesh.aws : mesh.gcp;
    expect(demo.sessions.has(sessionId)).toBe(true);
  });

  it('proxies the GET event stream with X-Accel-Buffering: no and keep-alive comments, and ends sessions with DELETE', async () => {
    const init = await post(`${mesh.server.url}/mcp`, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    const sessionId = init.headers.get('mcp-session-id') as string;
    await init.text();
    const controller = new AbortController();
    const stream = await fetch(`${mesh.server.url}/mcp`, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain(': keep-alive');
    controller.abort();
    await reader.cancel().catch(() => undefined);

    const del = await fetch(`${mesh.server.url}/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
    expect(del.status).toBe(200);
    await del.text();
    expect(mesh.aws.sessions.has(sessionId) || mesh.gcp.sessions.has(sessionId)).toBe(false);
    // The binding is gone too: the next request with that id is forwarded as unknown and the backend says 404.
    const after = await post(`${mesh.server.url}/mcp`, { jsonrpc: '2.0', id: 3, method: 'ping' }, { 'mcp-session-id': sessionId });
    expect(after.status).toBe(404);
    await after.text();
  });
});
