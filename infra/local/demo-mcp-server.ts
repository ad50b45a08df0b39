/**
 * A small MCP server speaking Streamable HTTP (JSON responses), used as a backend by the local mesh and tests.
 * It implements `initialize` (issuing an `Mcp-Session-Id`), `ping`, `tools/list` and `tools/call` of an `echo`
 * tool, answers notifications with 202, ends sessions on DELETE, and rejects unknown sessions with 404 as the
 * MCP transport specification requires.
 *
 * With `{ responses: 'sse' }` it answers requests as `text/event-stream` instead: a `tools/call` whose
 * `params._meta.progressToken` is set first streams `notifications/progress` events, one every
 * `progressIntervalMs`, then the result; and GET with a known session opens the server-to-client event stream
 * (held open until the client or the server closes it). The default stays plain JSON answers and 405 on GET.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

type JsonRpcMessage = { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };

export interface DemoMcpServer {
  readonly server: Server;
  readonly url: string;
  readonly name: string;
  /** Sessions this server has issued and not yet ended. */
  readonly sessions: Set<string>;
  close(): Promise<void>;
}

export interface DemoMcpServerOptions {
  /** `json` (default): one JSON answer per request. `sse`: answers as event streams, with progress on tools/call. */
  readonly responses?: 'json' | 'sse';
  /** Progress notifications sent before a tools/call result in `sse` mode. Default 3. */
  readonly progressSteps?: number;
  /** Pause before each progress notification, ms. Default 20. */
  readonly progressIntervalMs?: number;
}

const PROTOCOL_VERSION = '2025-06-18';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, body === undefined ? headers : { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

function answer(name: string, message: JsonRpcMessage): unknown {
  switch (message.method) {
    case 'initialize':
      return { protocolVersion: PROTOCOL_VERSION, capabilities: { tools: {} }, serverInfo: { name, version: '1.0.0' } };
    case 'ping':
      return {};
    case 'tools/list':
      return { tools: [{ name: 'echo', description: 'Echoes its text argument', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }] };
    case 'tools/call': {
      const text = (message.params as { arguments?: { text?: unknown } } | undefined)?.arguments?.text;
      return { content: [{ type: 'text', text: `${name}: ${String(text ?? '')}` }] };
    }
    default:
      return undefined;
  }
}

function sseEvent(res: ServerResponse, message: unknown): void {
  res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Answers one request as an event stream: progress notifications (tools/call with a progress token), then the answer. */
async function streamAnswer(res: ServerResponse, message: JsonRpcMessage, reply: unknown, options: DemoMcpServerOptions, headers: Record<string, string> = {}): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  const token = (message.params as { _meta?: { progressToken?: unknown } } | undefined)?._meta?.progressToken;
  if (message.method === 'tools/call' && (typeof token === 'string' || typeof token === 'number')) {
    const steps = options.progressSteps ?? 3;
    for (let i = 1; i <= steps && !res.destroyed; i++) {
      await pause(options.progressIntervalMs ?? 20);
      sseEvent(res, { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: i, total: steps, message: `step ${i} of ${steps}` } });
    }
  }
  if (!res.destroyed) sseEvent(res, reply);
  res.end();
}

async function handle(name: string, sessions: Set<string>, req: IncomingMessage, res: ServerResponse, options: DemoMcpServerOptions = {}): Promise<void> {
  const sessionId = req.headers['mcp-session-id'];
  const sse = options.responses === 'sse';
  if (req.method === 'DELETE') {
    const known = typeof sessionId === 'string' && sessions.delete(sessionId);
    return send(res, known ? 200 : 404);
  }
  if (req.method === 'GET' && sse) {
    if (typeof sessionId !== 'string' || !sessions.has(sessionId)) return send(res, sessionId === undefined ? 400 : 404);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    return;
  }
  if (req.method !== 'POST') return send(res, 405, undefined, { allow: 'POST, DELETE' });
  let message: JsonRpcMessage;
  try {
    message = JSON.parse(await readBody(req)) as JsonRpcMessage;
  } catch {
    return send(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  }
  if (message.method === 'initialize') {
    const issued = randomUUID();
    sessions.add(issued);
    if (sse) return streamAnswer(res, message, { jsonrpc: '2.0', id: message.id, result: answer(name, message) }, options, { 'mcp-session-id': issued });
    return send(res, 200, { jsonrpc: '2.0', id: message.id, result: answer(name, message) }, { 'mcp-session-id': issued });
  }
  if (typeof sessionId === 'string' && !sessions.has(sessionId)) {
    return send(res, 404, { jsonrpc: '2.0', id: message.id ?? null, error: { code: -32001, message: 'Session not found' } });
  }
  if (message.id === undefined) return send(res, 202);
  const result = answer(name, message);
  if (sse) {
    const reply = result === undefined
      ? { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: `Method not found: ${String(message.method)}` } }
      : { jsonrpc: '2.0', id: message.id, result };
    return streamAnswer(res, message, reply, options);
  }
  if (result === undefined) {
    return send(res, 200, { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: `Method not found: ${String(message.method)}` } });
  }
  send(res, 200, { jsonrpc: '2.0', id: message.id, result });
}

export async function startDemoMcpServer(name: string, port = 0, options: DemoMcpServerOptions = {}): Promise<DemoMcpServer> {
  const sessions = new Set<string>();
  const server = createServer((req, res) => {
    handle(name, sessions, req, res, options).catch(() => send(res, 500));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  return {
    server,
    name,
    sessions,
    url: `http://127.0.0.1:${boundPort}/mcp`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
