/**
 * The router entry point's behaviour, shared by the three clouds' handler tests: each test file serves its
 * cloud's entry point through the cloud's runtime library (or our faithful local stand-in) and runs these
 * cases against it, with two real demo MCP servers on loopback as backends (one answering JSON, one SSE) and
 * the replicated store on the run's emulators.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse, stringify } from 'yaml';
import { startDemoMcpServer, type DemoMcpServer } from '../../../infra/local/demo-mcp-server';
import type { CloudName } from '../../../shared/config';
import { useFunctionEnv, type FunctionEnv } from '../../support/function-env';

export const MAX_BODY_BYTES = 64 * 1024;
const PROTOCOL = '2025-06-18';

export interface RouterFixture {
  readonly env: FunctionEnv;
  /** Answers with JSON; first in round-robin order. */
  readonly json: DemoMcpServer;
  /** Answers with event streams; tools/call streams progress every 300 ms. */
  readonly sse: DemoMcpServer;
  /** Resolves when the SSE backend has finished (or abandoned) its latest response. */
  sseResponseDone(): Promise<'finished' | 'closed'>;
  close(): Promise<void>;
}

/**
 * Backends and the function set's environment, with a `router:` section added to the configuration:
 * round robin (so the two backends take turns deterministically) and a small body limit.
 */
export async function startRouterFixture(cloud: CloudName): Promise<RouterFixture> {
  const json = await startDemoMcpServer(`${cloud}-router-json`);
  const sse = await startDemoMcpServer(`${cloud}-router-sse`, 0, { responses: 'sse', progressSteps: 4, progressIntervalMs: 300 });
  let latest: Promise<'finished' | 'closed'> = Promise.resolve('finished');
  sse.server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    latest = new Promise((resolve) => res.once('close', () => resolve(res.writableFinished ? 'finished' : 'closed')));
  });
  const env = await useFunctionEnv(cloud, { backends: [{ id: 'json', url: json.url }, { id: 'sse', url: sse.url }] });
  const document = parse(env.yaml) as { multi_cloud: Record<string, unknown> };
  document.multi_cloud.router = { strategy: 'round_robin', max_body_bytes: MAX_BODY_BYTES, sse_keep_alive_ms: 0 };
  process.env.MESHGATE_CONFIG_INLINE = stringify(document);
  return {
    env,
    json,
    sse,
    sseResponseDone: () => latest,
    close: async () => {
      await env();
      await Promise.all([json.close(), sse.close()]);
    },
  };
}

const rpc = (id: number, method: string, params: Record<string, unknown> = {}): string => JSON.stringify({ jsonrpc: '2.0', id, method, params });

export const initialize = (id = 1): string =>
  rpc(id, 'initialize', { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'router-test', version: '1.0.0' } });

const mcpHeaders = (session?: string): Record<string, string> => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': PROTOCOL,
  ...(session === undefined ? {} : { 'mcp-session-id': session }),
});

export function post(url: string, body: string, session?: string, signal?: AbortSignal): Promise<Response> {
  return fetch(url, { method: 'POST', headers: mcpHeaders(session), body, ...(signal ? { signal } : {}) });
}

/** Reads an event stream chunk by chunk, calling `onChunk` with the text so far after each one. */
async function readChunks(res: Response, onChunk: (soFar: string) => Promise<void> | void): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
    await onChunk(text);
  }
}

/** Initializes sessions until one lands on `backend` (round robin: at most two tries). */
async function sessionOn(mcpUrl: string, backend: DemoMcpServer): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const res = await post(mcpUrl, initialize(attempt + 1));
    const session = res.headers.get('mcp-session-id');
    await res.text();
    if (session !== null && backend.sessions.has(session)) return session;
  }
  throw new Error(`no session landed on ${backend.name}`);
}

export interface RouterCaseOptions {
  /** The MCP endpoint's path at the entry point (Azure puts its route prefix in front). Default `/mcp`. */
  readonly mcpPath?: string;
  /** A path that reaches the router but that it does not serve. Default `/nope`. */
  readonly unservedPath?: string;
  /** Whether the runtime tells the handler that its client left. Default true. */
  readonly seesClientDisconnect?: boolean;
}

/** Registers the shared cases. `base()` is the entry point's origin. */
export function routerCases(fixture: () => RouterFixture, base: () => string, options: RouterCaseOptions = {}): void {
  const mcpPath = options.mcpPath ?? '/mcp';
  const mcpUrl = (): string => `${base()}${mcpPath}`;

  it('answers POST initialize with the backend JSON and passes Mcp-Session-Id through', async () => {
    const { json } = fixture();
    let res: Response | undefined;
    let session: string | null = null;
    for (let id = 1; id <= 2 && !(session !== null && json.sessions.has(session)); id++) {
      res = await post(mcpUrl(), initialize(id));
      session = res.headers.get('mcp-session-id');
      if (!json.sessions.has(session ?? '')) await res.text();
    }
    expect(res?.status).toBe(200);
    expect(res?.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.sessions.has(session ?? '')).toBe(true);
    const body = (await res!.json()) as { result: { serverInfo: { name: string } } };
    expect(body.result.serverInfo.name).toBe(json.name);
  });

  it('streams a tool call answered as SSE chunk by chunk: the first event arrives before the backend finished', async () => {
    const { sse, sseResponseDone } = fixture();
    const session = await sessionOn(mcpUrl(), sse);
    const res = await post(mcpUrl(), rpc(7, 'tools/call', { name: 'echo', arguments: { text: 'hi' }, _meta: { progressToken: 'p1' } }), session);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const done = sseResponseDone();
    let backendStateAtFirstEvent: string | undefined;
    const text = await readChunks(res, async (soFar) => {
      if (backendStateAtFirstEvent === undefined && soFar.includes('notifications/progress')) {
        backendStateAtFirstEvent = await Promise.race([done, Promise.resolve('streaming')]);
      }
    });
    expect(backendStateAtFirstEvent).toBe('streaming');
    expect(text.match(/notifications\/progress/g)).toHaveLength(4);
    expect(text).toContain(`"text":"${sse.name}: hi"`);
    await expect(done).resolves.toBe('finished');
  });

  (options.seesClientDisconnect ?? true ? it : it.skip)('stops the backend stream when the client goes away mid-stream', async () => {
    const { sse, sseResponseDone } = fixture();
    const session = await sessionOn(mcpUrl(), sse);
    const client = new AbortController();
    const res = await post(mcpUrl(), rpc(8, 'tools/call', { name: 'echo', arguments: { text: 'bye' }, _meta: { progressToken: 'p2' } }), session, client.signal);
    const done = sseResponseDone();
    await readChunks(res, (soFar) => {
      if (soFar.includes('notifications/progress')) client.abort();
    }).catch(() => undefined);
    await expect(done).resolves.toBe('closed');
  });

  it('forwards DELETE of a session to its backend, which ends it', async () => {
    const { json } = fixture();
    const session = await sessionOn(mcpUrl(), json);
    const res = await fetch(mcpUrl(), { method: 'DELETE', headers: mcpHeaders(session) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(json.sessions.has(session)).toBe(false);
  });

  it('answers 404 JSON for a path it does not serve', async () => {
    const res = await fetch(`${base()}${options.unservedPath ?? '/nope'}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('answers 413 to a body over router.max_body_bytes without sending it on', async () => {
    const padding = 'x'.repeat(MAX_BODY_BYTES);
    const res = await post(mcpUrl(), rpc(9, 'tools/call', { name: 'echo', arguments: { text: padding } }));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: -32600, message: `Request body exceeds ${MAX_BODY_BYTES} bytes` } });
  });
}

/** A configuration the schema rejects: the entry point must still answer, with 503. */
export const BROKEN_CONFIG = 'multi_cloud:\n  default_provider: aws\n';

export async function expectMisconfigured(url: string): Promise<void> {
  const res = await post(url, initialize());
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({ error: { code: 'unavailable', message: 'this function set is misconfigured; see its logs' } });
}
