/**
 * The undici Upstream on loopback: failures are classified so the router can tell "never sent" from "may have
 * been received", bodies arrive chunk by chunk, and an abort reaches the backend.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UndiciUpstream, classifyUndiciError } from '../../shared/adapters/http/undici-upstream';
import type { UpstreamFailure, UpstreamHandler, UpstreamRequest } from '../../shared/ports/upstream';

interface Outcome {
  status?: number;
  headers?: readonly string[];
  chunks: string[];
  chunkTimes: number[];
  failure?: UpstreamFailure;
  done: Promise<void>;
  abort?: () => void;
}

function call(upstream: UndiciUpstream, request: Partial<UpstreamRequest> & { origin: string }): Outcome {
  let settle!: () => void;
  const out: Outcome = { chunks: [], chunkTimes: [], done: new Promise((r) => (settle = r)) };
  const handler: UpstreamHandler = {
    onStart: (abort) => (out.abort = abort),
    onHeaders: (status, headers) => {
      out.status = status;
      out.headers = headers;
      return true;
    },
    onData: (chunk) => {
      out.chunks.push(Buffer.from(chunk).toString());
      out.chunkTimes.push(performance.now());
      return true;
    },
    onComplete: () => settle(),
    onError: (failure) => {
      out.failure = failure;
      settle();
    },
  };
  upstream.dispatch({ path: '/', method: 'GET', headers: [], body: null, headersTimeoutMs: 2000, bodyTimeoutMs: 2000, ...request }, handler);
  return out;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('UndiciUpstream', () => {
  const upstream = new UndiciUpstream({ connectTimeoutMs: 500 });
  const servers: Server[] = [];
  afterAll(async () => {
    await upstream.close();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('reports a refused connection as connect, not sent', async () => {
    const server = createServer();
    const origin = await listen(server);
    await new Promise((r) => server.close(r));
    const out = call(upstream, { origin, method: 'POST', body: Buffer.from('{}') });
    await out.done;
    expect(out.failure).toMatchObject({ kind: 'connect', requestSent: false, responseStarted: false });
  });

  it('reports a connection the backend drops after reading the request as reset, sent', async () => {
    const server = createServer((req) => req.on('data', () => req.socket.destroy()));
    servers.push(server);
    const origin = await listen(server);
    const out = call(upstream, { origin, method: 'POST', body: Buffer.from('{"jsonrpc":"2.0"}') });
    await out.done;
    expect(out.failure).toMatchObject({ kind: 'reset', requestSent: true });
  });

  it('reports a missing answer as timeout', async () => {
    const server = createServer(() => undefined);
    servers.push(server);
    const origin = await listen(server);
    const out = call(upstream, { origin, headersTimeoutMs: 50 });
    await out.done;
    expect(out.failure).toMatchObject({ kind: 'timeout', requestSent: true });
  });

  it('delivers the body chunk by chunk as the backend writes it, with headers as sent', async () => {
    // The backend sends its second chunk only after the client got the first: a buffering transport would hang.
    let firstSeen!: () => void;
    const clientGotFirst = new Promise<void>((r) => (firstSeen = r));
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'abc' });
      res.write('data: 1\n\n');
      void clientGotFirst.then(() => res.end('data: 2\n\n'));
    });
    servers.push(server);
    const origin = await listen(server);
    const out = call(upstream, { origin });
    while (out.chunks.length === 0 && out.failure === undefined) await new Promise((r) => setTimeout(r, 2));
    firstSeen();
    await out.done;
    expect(out.status).toBe(200);
    expect(out.headers).toEqual(expect.arrayContaining(['mcp-session-id', 'abc']));
    expect(out.chunks).toEqual(['data: 1\n\n', 'data: 2\n\n']);
  });

  it('aborts a call in flight, which the backend sees as a closed connection', async () => {
    let closed!: () => void;
    const backendSawClose = new Promise<void>((r) => (closed = r));
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n');
      req.socket.on('close', () => closed());
    });
    servers.push(server);
    const origin = await listen(server);
    const out = call(upstream, { origin, bodyTimeoutMs: 0 });
    while (out.chunks.length === 0) await new Promise((r) => setTimeout(r, 5));
    out.abort?.();
    await out.done;
    expect(out.failure?.kind).toBe('aborted');
    await backendSawClose;
  });

  it('classifies transport error codes', () => {
    expect(classifyUndiciError({ code: 'ECONNREFUSED' })).toBe('connect');
    expect(classifyUndiciError({ code: 'UND_ERR_CONNECT_TIMEOUT' })).toBe('connect');
    expect(classifyUndiciError({ code: 'UND_ERR_HEADERS_TIMEOUT' })).toBe('timeout');
    expect(classifyUndiciError({ code: 'UND_ERR_SOCKET' })).toBe('reset');
    expect(classifyUndiciError({ code: 'UND_ERR_ABORTED' })).toBe('aborted');
    expect(classifyUndiciError(new Error('odd'))).toBe('protocol');
    expect(classifyUndiciError(null)).toBe('protocol');
  });
});
