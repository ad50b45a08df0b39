import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseParser, FetchProbeClient, isJsonRpcResponse } from '../../shared/adapters/http/fetch-probe-client';
import type { ProbeProtocol, ProbeResult } from '../../shared/ports/probe';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const routes = new Map<string, Handler>();
const seen: { path: string; method: string; headers: IncomingMessage['headers']; body: string }[] = [];
let server: Server;
let base: string;
const client = new FetchProbeClient();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      seen.push({ path, method: req.method ?? '', headers: req.headers, body });
      const handler = routes.get(path);
      if (handler) handler(req, res, body);
      else res.writeHead(404).end('no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await client.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function rpcResult(body: string): string {
  let id: unknown = null;
  try {
    id = (JSON.parse(body) as { id?: unknown }).id ?? null;
  } catch {
    // not a JSON-RPC request: answer with id null
  }
  return JSON.stringify({ jsonrpc: '2.0', id, result: {} });
}
const json = (res: ServerResponse, status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(typeof value === 'string' ? value : JSON.stringify(value));

routes.set('/mcp-json', (_req, res, body) => json(res, 200, rpcResult(body)));
routes.set('/mcp-sse', (_req, res, body) => {
  // Stream stays open after the answer, as Streamable HTTP servers may do: the probe must not wait for the end.
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(': keep-alive comment\n\n');
  res.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{}}\n\n');
  const text = rpcResult(body);
  res.write(`id: 1\nevent: message\ndata: ${text.slice(0, 10)}`);
  setTimeout(() => res.write(`${text.slice(10)}\r\n\r\n`), 20);
});
routes.set('/mcp-session-required', (_req, res) =>
  json(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Bad Request: No valid session ID provided' } }),
);
routes.set('/mcp-500', (_req, res) => json(res, 500, { jsonrpc: '2.0', id: null, error: { code: -32603, message: 'boom' } }));
routes.set('/mcp-garbage', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops</html>'));
routes.set('/mcp-not-rpc', (_req, res) => json(res, 200, { jsonrpc: '2.0', id: 1 }));
routes.set('/mcp-sse-empty', (_req, res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: hello\n\n'));
routes.set('/mcp-huge', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('x'.repeat(256 * 1024)));
routes.set('/hang', () => undefined);
routes.set('/hang-body', (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"status":');
});
routes.set('/close', (req) => req.socket.destroy());
routes.set('/not-http', (req) => {
  req.socket.write('SSH-2.0-OpenSSH_9.0\r\n\r\n');
  req.socket.end();
});
routes.set('/peer-ok/health', (_req, res) => json(res, 200, { status: 'ok', cloud: 'azure' }));
routes.set('/peer-not-ready/health', (_req, res) => json(res, 503, { status: 'not_ready' }));
routes.set('/peer-bad-json/health', (_req, res) => json(res, 200, '{"status": "ok"'));
routes.set('/peer-no-status/health', (_req, res) => json(res, 200, { ready: true }));
routes.set('/peer-array/health', (_req, res) => json(res, 200, [{ status: 'ok' }]));
routes.set('/http-404', (_req, res) => res.writeHead(404).end());
routes.set('/http-502', (_req, res) => res.writeHead(502).end());

const probe = (path: string, protocol: ProbeProtocol, timeoutMs = 1000, signal?: AbortSignal): Promise<ProbeResult> =>
  client.probe({ id: `t:${path}`, url: `${base}${path}`, protocol }, { timeoutMs, ...(signal ? { signal } : {}) });

describe('FetchProbeClient against loopback servers', () => {
  it('sends a JSON-RPC ping over Streamable HTTP and accepts a JSON answer', async () => {
    const r = await probe('/mcp-json', 'mcp');
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(r.error).toBeUndefined();
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    const req = seen.filter((s) => s.path === '/mcp-json').at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.headers.accept).toBe('application/json, text/event-stream');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['mcp-protocol-version']).toBe('2025-06-18');
    expect(JSON.parse(req.body)).toMatchObject({ jsonrpc: '2.0', method: 'ping' });
    expect(JSON.parse(req.body)).not.toHaveProperty('params');
  });

  it('reads SSE data lines until the response, skipping notifications, without waiting for the stream to end', async () => {
    const r = await probe('/mcp-sse', 'mcp', 2000);
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(r.latencyMs).toBeLessThan(1500);
  });

  it('counts a well-formed JSON-RPC error (session required) as alive', async () => {
    expect(await probe('/mcp-session-required', 'mcp')).toMatchObject({ ok: true, status: 400 });
  });

  it.each([
    ['/mcp-500', 500, 'http_status'],
    ['/mcp-garbage', 200, 'bad_response'],
    ['/mcp-not-rpc', 200, 'bad_response'],
    ['/mcp-sse-empty', 200, 'bad_response'],
    ['/mcp-huge', 200, 'bad_response'],
    ['/nowhere', 404, 'http_status'],
  ])('fails MCP %s with status %s and %s', async (path, status, error) => {
    expect(await probe(path, 'mcp')).toMatchObject({ ok: false, status, error });
  });

  it('times out a server that never answers, within the per-target timeout', async () => {
    const t0 = performance.now();
    const r = await probe('/hang', 'mcp', 300);
    expect(r).toMatchObject({ ok: false, status: null, error: 'timeout' });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(r.latencyMs).toBeGreaterThanOrEqual(290);
  });

  it('times out a body that stalls after the headers', async () => {
    expect(await probe('/hang-body', 'meshgate-health', 300)).toMatchObject({ ok: false, status: 200, error: 'timeout' });
  });

  it('reports a closed connection, a refused port and a non-HTTP answer as failures', async () => {
    expect(await probe('/close', 'mcp')).toMatchObject({ ok: false, status: null, error: 'connection' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await client.probe({ id: 'x', url: `http://127.0.0.1:${port}/health`, protocol: 'meshgate-health' }, { timeoutMs: 1000 })).toMatchObject({
      ok: false,
      status: null,
      error: 'connection',
    });
    const garbage = await probe('/not-http', 'mcp');
    expect(garbage.ok).toBe(false);
    expect(['bad_response', 'connection']).toContain(garbage.error);
  });

  it('checks peers: 200 with a JSON status is healthy, anything else is not', async () => {
    expect(await probe('/peer-ok/health', 'meshgate-health')).toMatchObject({ ok: true, status: 200 });
    expect(seen.filter((s) => s.path === '/peer-ok/health').at(-1)?.method).toBe('GET');
    expect(await probe('/peer-not-ready/health', 'meshgate-health')).toMatchObject({ ok: false, status: 503, error: 'http_status' });
    expect(await probe('/peer-bad-json/health', 'meshgate-health')).toMatchObject({ ok: false, status: 200, error: 'bad_response' });
    expect(await probe('/peer-no-status/health', 'meshgate-health')).toMatchObject({ ok: false, error: 'bad_response' });
    expect(await probe('/peer-array/health', 'meshgate-health')).toMatchObject({ ok: false, error: 'bad_response' });
  });

  it('checks plain HTTP backends: any answer below 500 is alive', async () => {
    expect(await probe('/http-404', 'http')).toMatchObject({ ok: true, status: 404 });
    expect(await probe('/http-502', 'http')).toMatchObject({ ok: false, status: 502, error: 'http_status' });
  });

  it('stops when the caller aborts, and reports an already aborted signal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const t0 = performance.now();
    expect(await probe('/hang', 'mcp', 5000, controller.signal)).toMatchObject({ ok: false, error: 'aborted' });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await probe('/mcp-json', 'mcp', 1000, AbortSignal.abort())).toMatchObject({ ok: false, error: 'aborted', status: null });
  });

  it('never throws, even for bad input', async () => {
    await expect(client.probe({ id: 'x', url: 'not a url', protocol: 'mcp' }, { timeoutMs: 100 })).resolves.toMatchObject({ ok: false, error: 'internal' });
    await expect(client.probe({ id: 'x', url: 'ftp://127.0.0.1/', protocol: 'mcp' }, { timeoutMs: 100 })).resolves.toMatchObject({ ok: false, error: 'internal' });
    await expect(client.probe({ id: 'x', url: `${base}/mcp-json`, protocol: 'smtp' as ProbeProtocol }, { timeoutMs: 100 })).resolves.toMatchObject({ ok: false, error: 'internal' });
    await expect(client.probe({ id: 'x', url: `${base}/mcp-json`, protocol: 'mcp' }, { timeoutMs: Number.NaN })).resolves.toMatchObject({ ok: false, error: 'internal' });
  });

  it('runs many probes concurrently against a mix of good and bad targets', async () => {
    const paths = ['/mcp-json', '/mcp-sse', '/mcp-500', '/hang', '/close', '/peer-bad-json/health'];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const path = paths[i % paths.length]!;
        return probe(path, 'mcp', path === '/hang' ? 400 : 5000);
      }),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect(results.filter((r) => r.error === 'timeout')).toHaveLength(5);
  });
});

describe('SSE and JSON-RPC parsing', () => {
  it('joins multi-line data, ignores comments and other fields, handles CRLF split across chunks', () => {
    const p = new SseParser();
    expect(p.push(': hi\nevent: message\ndata: a\ndata:b\r')).toEqual([]);
    expect(p.push('\n\r\ndata: c')).toEqual(['a\nb']);
    expect(p.end()).toEqual(['c']);
  });

  it('recognises responses only', () => {
    expect(isJsonRpcResponse({ jsonrpc: '2.0', id: 1, result: {} })).toBe(true);
    expect(isJsonRpcResponse({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'x' } })).toBe(true);
    expect(isJsonRpcResponse({ jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'x' } })).toBe(false);
    expect(isJsonRpcResponse({ jsonrpc: '2.0', id: 1, method: 'ping' })).toBe(false);
    expect(isJsonRpcResponse({ jsonrpc: '1.0', id: 1, result: {} })).toBe(false);
    expect(isJsonRpcResponse({ jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'x' } })).toBe(false);
  });
});
