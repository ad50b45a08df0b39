/**
 * The router use case's own CPU cost per request, without sockets: `Router.handle` with an upstream that answers
 * at once and a sink that discards the answer. Three backends on three clouds (weighted strategy), a browser-like
 * request head and a Node-like response head. Prints CPU ns per request (process CPU time, so time
 * spent waiting for a CPU is not counted) for a plain GET and an MCP JSON-RPC POST, best of several runs.
 * Usage: `npx tsx bench/support/router-bench-inproc.ts [iterations]`.
 */
import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store';
import type { Upstream, UpstreamHandler, UpstreamRequest } from '../../shared/ports/upstream';
import { createRouter, type ResponseSink, type RouterRequest } from '../../shared/usecases/router';

const RESPONSE_HEAD = ['Content-Type', 'application/json', 'Content-Length', '37', 'Date', 'Wed, 25 Nov 2026 22:00:00 GMT', 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=65'];
const BODY = Buffer.from('{"ok":true,"service":"bench-backend"}');
const noop = (): void => undefined;

class InstantUpstream implements Upstream {
  dispatch(_request: UpstreamRequest, handler: UpstreamHandler): void {
    handler.onStart(noop);
    if (handler.onHeaders(200, RESPONSE_HEAD, noop)) handler.onData(BODY);
    handler.onComplete();
  }
  async close(): Promise<void> {}
}

class NullSink implements ResponseSink {
  private onClose: (() => void) | undefined;
  writeHead(): unknown {
    return this;
  }
  write(): boolean {
    return true;
  }
  end(): unknown {
    const close = this.onClose;
    this.onClose = undefined;
    close?.();
    return this;
  }
  once(event: 'drain' | 'close', listener: () => void): unknown {
    if (event === 'close') this.onClose = listener;
    return this;
  }
  destroy(): unknown {
    return this;
  }
}

function measure(label: string, iterations: number, makeRequest: () => RouterRequest, handle: (r: RouterRequest, s: ResponseSink) => void): void {
  const sink = new NullSink();
  let best = Infinity;
  for (let run = 0; run < 7; run++) {
    const started = process.cpuUsage();
    for (let i = 0; i < iterations; i++) handle(makeRequest(), sink);
    const used = process.cpuUsage(started);
    best = Math.min(best, ((used.user + used.system) * 1000) / iterations);
  }
  console.log(`${label}: ${Math.round(best)} ns/request`);
}

function main(): void {
  const iterations = Number(process.argv[2] ?? 200_000);
  const backends = (['aws', 'azure', 'gcp'] as const).flatMap((cloud, i) => [
    { id: `${cloud}-web`, cloud, region: 'r1', url: `http://127.0.0.1:${9000 + i}/`, weight: 1, version: 'v1', transport: 'http' as const },
    { id: `${cloud}-mcp`, cloud, region: 'r1', url: `http://127.0.0.1:${9000 + i}/mcp`, weight: 1, version: 'v1', transport: 'mcp' as const },
  ]);
  const router = createRouter({ backends, upstream: new InstantUpstream(), store: new MemoryStateStore(), strategy: 'weighted', httpPrefixes: ['/'] });
  const handle = (r: RouterRequest, s: ResponseSink): void => router.handle(r, s);
  const getHead = ['Host', '127.0.0.1:8080', 'User-Agent', 'bench/1.0', 'Accept', '*/*', 'traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'];
  measure('GET /', iterations, () => ({ method: 'GET', url: '/', rawHeaders: getHead, body: null, remoteAddress: '127.0.0.1' }), handle);
  const postHead = ['Host', '127.0.0.1:8080', 'Content-Type', 'application/json', 'Accept', 'application/json, text/event-stream', 'Content-Length', '46'];
  const postBody = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/list"}');
  measure('POST /mcp', iterations, () => ({ method: 'POST', url: '/mcp', rawHeaders: postHead, body: postBody, remoteAddress: '127.0.0.1' }), handle);
  const c = router.counters();
  if (c.proxied !== c.requests) throw new Error(`not every request was proxied: ${JSON.stringify(c)}`);
}

main();
