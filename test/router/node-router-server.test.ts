/**
 * The Node server adapter over real sockets: body limits (declared and streamed), unknown paths, and a client
 * that hangs up mid-stream aborting the backend request. The same request listener served by Google's
 * functions-framework (its Express server reads the body first) proxies bodies and enforces the limit too.
 */
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store';
import { UndiciUpstream } from '../../shared/adapters/http/undici-upstream';
import { routerRequestListener, startRouterServer, type RouterServer } from '../../shared/adapters/http/node-router-server';
import { createRouter, type Router } from '../../shared/usecases/router';

describe('startRouterServer', () => {
  let backend: Server;
  let backendClosed: Promise<void>;
  let router: Router;
  let server: RouterServer;
  const upstream = new UndiciUpstream();

  beforeAll(async () => {
    let onClose!: () => void;
    backendClosed = new Promise((r) => (onClose = r));
    backend = createServer((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: first\n\n');
        req.socket.on('close', onClose);
        return;
      }
      if (req.url === '/api/echo') {
        req.pipe(res);
        return;
      }
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/`;
    router = createRouter({
      backends: [{ id: 'web', cloud: 'aws', region: 'us-east-1', url, weight: 1, version: 'v1', transport: 'http' }],
      upstream,
      store: new MemoryStateStore(),
      httpPrefixes: ['/api/', '/stream'],
      maxBodyBytes: 1000,
    });
    server = await startRouterServer({ router });
  });

  afterAll(async () => {
    router.close();
    await server.close();
    await upstream.close();
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  it('proxies a body within the limit and answers 413 to one declared or streamed beyond it', async () => {
    const ok = await fetch(`${server.url}/api/x`, { method: 'POST', body: 'a'.repeat(1000) });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('ok');

    const declared = await fetch(`${server.url}/api/x`, { method: 'POST', body: 'a'.repeat(1001) });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: { code: 'too_large', message: 'Request body exceeds 1000 bytes' } });

    // Chunked upload without a Content-Length: cut off once it passes the limit.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${server.url}/api/x`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 5; i++) req.write('b'.repeat(400));
      req.end();
    });
    expect(streamed).toBe(413);
    expect(router.counters().bodyTooLarge).toBe(2);
  });

  it('answers unknown paths with 404 JSON', async () => {
    const r = await fetch(`${server.url}/nope`);
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('application/json');
  });

  it('aborts the backend request when the client hangs up mid-stream', async () => {
    const controller = new AbortController();
    const r = await fetch(`${server.url}/stream`, { signal: controller.signal });
    const reader = (r.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
    controller.abort();
    await backendClosed;
    for (let i = 0; i < 50 && router.counters().clientAborts === 0; i++) await new Promise((res) => setTimeout(res, 10));
    expect(router.counters().clientAborts).toBe(1);
  });

  describe('served by functions-framework', () => {
    let ff: Server;
    let ffUrl: string;

    beforeAll(async () => {
      registerHttp('router-under-test', routerRequestListener(router));
      ff = getTestServer('router-under-test');
      await new Promise<void>((r) => ff.listen(0, '127.0.0.1', r));
      ffUrl = `http://127.0.0.1:${(ff.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      ff.closeAllConnections();
      await new Promise((r) => ff.close(r));
    });

    it('forwards the body the framework already read, and answers 413 beyond the limit', async () => {
      const json = await fetch(`${ffUrl}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      expect(json.status).toBe(200);
      expect(await json.text()).toBe('{"a":1}');
      const bytes = await fetch(`${ffUrl}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'x'.repeat(1000) });
      expect(await bytes.text()).toBe('x'.repeat(1000));
      const before = router.counters().bodyTooLarge;
      const big = await fetch(`${ffUrl}/api/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'y'.repeat(1001) });
      expect(big.status).toBe(413);
      expect(router.counters().bodyTooLarge).toBe(before + 1);
    });

    it('proxies a GET and answers unknown paths with 404', async () => {
      const ok = await fetch(`${ffUrl}/api/x`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('ok');
      expect((await fetch(`${ffUrl}/nope`)).status).toBe(404);
    });
  });
});
