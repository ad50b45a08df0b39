/**
 * Unit tests of the router use case over a scripted upstream: retry rules, session affinity, the fast 404,
 * breakers, deadlines, bad input, streaming and header handling.
 */
import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store';
import { createRouter, FLAGS_KEY, ROLLOUT_KEY, SESSION_PREFIX, type Router, type RouterOptions } from '../../shared/usecases/router';
import { FakeSink, FakeUpstream, backend, fail, jsonOk, request, respond, rpc, tick } from './support';

const AWS = 'http://aws-1.test';
const AWS2 = 'http://aws-2.test';
const GCP = 'http://gcp-1.test';

function setup(over: Partial<RouterOptions> = {}): { router: Router; upstream: FakeUpstream; store: MemoryStateStore } {
  const upstream = new FakeUpstream();
  const store = new MemoryStateStore();
  const router = createRouter({
    backends: [backend('aws-1', 'aws'), backend('gcp-1', 'gcp')],
    upstream,
    store,
    strategy: 'round_robin',
    random: () => 0.5,
    ...over,
  });
  return { router, upstream, store };
}

function send(router: Router, req = request('POST', '/mcp', {}, rpc('tools/list'))): FakeSink {
  const sink = new FakeSink();
  router.handle(req, sink);
  return sink;
}

/** Initializes a session on whichever backend the strategy picks; returns the session id and that backend's origin. */
function initSession(router: Router, upstream: FakeUpstream, sessionId = 'sess-1'): string {
  send(router, request('POST', '/mcp', {}, rpc('initialize', 1, {})));
  const call = upstream.last();
  jsonOk(call, {}, ['Mcp-Session-Id', sessionId]);
  return call.request.origin;
}

describe('retry rules', () => {
  it('resends a request that never reached a backend to the other cloud', () => {
    const { router, upstream } = setup();
    const sink = send(router);
    fail(upstream.last(), 'connect', false);
    expect(upstream.origins()).toEqual([AWS, GCP]);
    jsonOk(upstream.last(), { tools: [] });
    expect(sink.status).toBe(200);
    expect(router.counters().retries).toBe(1);
  });

  it('resends a request whose connection broke before it was fully written', () => {
    const { router, upstream } = setup();
    const sink = send(router);
    fail(upstream.last(), 'reset', false);
    jsonOk(upstream.last());
    expect(upstream.origins()).toEqual([AWS, GCP]);
    expect(sink.status).toBe(200);
  });

  it('never resends a JSON-RPC POST that may have reached the backend', () => {
    const { router, upstream } = setup();
    const sink = send(router, request('POST', '/mcp', {}, rpc('tools/call', 7, { name: 'x' })));
    fail(upstream.last(), 'reset', true);
    expect(upstream.calls).toHaveLength(1);
    expect(sink.status).toBe(502);
    expect(sink.json()).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32000, message: expect.stringContaining('may have received the request, so it was not resent') },
    });
    expect(router.counters().retries).toBe(0);
  });

  it('resends JSON-RPC methods configured as safe, even after they were sent', () => {
    const { router, upstream } = setup({ retryRpcMethodsAfterSend: ['tools/list', 'ping'] });
    const sink = send(router);
    fail(upstream.last(), 'reset', true);
    jsonOk(upstream.last());
    expect(upstream.origins()).toEqual([AWS, GCP]);
    expect(sink.status).toBe(200);
    // A batch qualifies only when every request in it is listed.
    const batch = send(router, request('POST', '/mcp', {}, [rpc('ping', 1), rpc('tools/call', 2, { name: 'x' })]));
    fail(upstream.last(), 'reset', true);
    expect(batch.status).toBe(502);
  });

  it('answers a backend timeout with a JSON-RPC timeout error and does not resend', () => {
    const { router, upstream } = setup();
    const sink = send(router, request('POST', '/mcp', {}, rpc('tools/call', 'abc', { name: 'slow' })));
    fail(upstream.last(), 'timeout', true);
    expect(upstream.calls).toHaveLength(1);
    expect(sink.status).toBe(504);
    expect(sink.json()).toEqual({
      jsonrpc: '2.0',
      id: 'abc',
      error: { code: -32001, message: 'Request timed out: backend aws-1 did not answer in time' },
    });
    expect(router.counters().timeouts).toBe(1);
  });

  it('gives a request that may be resent a per-try timeout and resends it elsewhere when a backend hangs', () => {
    const { router, upstream } = setup({ retryRpcMethodsAfterSend: ['initialize'], perTryTimeoutMs: 3_000, requestTimeoutMs: 60_000 });
    const sink = send(router, request('POST', '/mcp', {}, rpc('initialize', 1, {})));
    expect(upstream.last().request.headersTimeoutMs).toBe(3_000);
    fail(upstream.last(), 'timeout', true);
    expect(upstream.last().request.headersTimeoutMs).toBe(3_000);
    jsonOk(upstream.last(), {}, ['Mcp-Session-Id', 'sess-9']);
    expect(upstream.origins()).toEqual([AWS, GCP]);
    expect(sink.status).toBe(200);
    // A request that must not be resent keeps the whole request timeout.
    send(router, request('POST', '/mcp', {}, rpc('tools/call', 2, { name: 'x' })));
    expect(upstream.last().request.headersTimeoutMs).toBe(60_000);
  });

  it('resends idempotent plain HTTP requests after they were sent, but not a POST', () => {
    const backends = [backend('aws-1', 'aws', { transport: 'http', url: 'http://aws-1.test/' }), backend('gcp-1', 'gcp', { transport: 'http', url: 'http://gcp-1.test/base/' })];
    const { router, upstream } = setup({ backends, httpPrefixes: ['/api/'] });
    const get = send(router, request('GET', '/api/items?x=1'));
    expect(upstream.last().request.path).toBe('/api/items?x=1');
    fail(upstream.last(), 'reset', true);
    expect(upstream.last().request.path).toBe('/base/api/items?x=1');
    respond(upstream.last(), 200, ['content-type', 'text/plain'], 'ok');
    expect(get.status).toBe(200);
    expect(get.body).toBe('ok');

    const post = send(router, request('POST', '/api/items', {}, { a: 1 }));
    fail(upstream.last(), 'reset', true);
    expect(post.status).toBe(502);
    expect(post.json()).toEqual({ error: { code: 'bad_gateway', message: expect.stringContaining('not resent') } });
  });

  it('retries 502/503/504 answers of idempotent requests elsewhere and passes them through otherwise', () => {
    const backends = [backend('aws-1', 'aws', { transport: 'http' }), backend('gcp-1', 'gcp', { transport: 'http' })];
    const { router, upstream } = setup({ backends, httpPrefixes: ['/'] });
    const get = send(router, request('GET', '/x'));
    respond(upstream.last(), 503, [], 'busy');
    respond(upstream.last(), 200, [], 'fine');
    expect(get.status).toBe(200);
    expect(get.body).toBe('fine');

    const post = send(router, request('POST', '/x', {}, 'data'));
    respond(upstream.last(), 503, ['content-type', 'text/plain'], 'busy');
    expect(post.status).toBe(503);
    expect(post.body).toBe('busy');
  });

  it('prefers another cloud on retry, and gives up after maxAttempts', () => {
    const backends = [backend('aws-1', 'aws'), backend('aws-2', 'aws'), backend('gcp-1', 'gcp')];
    const { router, upstream } = setup({ backends, maxAttempts: 2 });
    const sink = send(router);
    fail(upstream.last(), 'connect', false);
    expect(upstream.origins()).toEqual([AWS, GCP]);
    fail(upstream.last(), 'connect', false);
    expect(upstream.calls).toHaveLength(2);
    expect(sink.status).toBe(502);
    expect(upstream.origins()).not.toContain(AWS2);
  });

  it('answers 502 when the only backend cannot be reached and 503 when none is configured', () => {
    const { router, upstream } = setup({ backends: [backend('aws-1', 'aws')] });
    const sink = send(router);
    fail(upstream.last(), 'connect', false);
    expect(sink.status).toBe(502);
    expect(sink.json().error?.message).toContain('no other backend');
    const none = setup({ backends: [] });
    const empty = send(none.router);
    expect(empty.status).toBe(503);
    expect(empty.header('retry-after')).toBe('1');
  });
});

describe('session affinity', () => {
  it('binds the session of the first response and keeps it there, without store reads on cache hits', async () => {
    const { router, upstream, store } = setup();
    const owner = initSession(router, upstream);
    for (let i = 0; i < 5; i++) {
      send(router, request('POST', '/mcp', { 'Mcp-Session-Id': 'sess-1' }, rpc('tools/list', i)));
      expect(upstream.last().request.origin).toBe(owner);
      jsonOk(upstream.last());
    }
    await tick();
    expect(store.calls.get).toBe(0);
    expect((await store.get(`${SESSION_PREFIX}sess-1`))?.value).toEqual({ backend: 'aws-1', cloud: 'aws', boundAt: expect.any(Number) });
    expect(router.counters()).toMatchObject({ sessionsBound: 1, affinityCacheHits: 5 });
  });

  it('finds a binding written by another cloud\'s router in the store, then serves it from its cache', async () => {
    const first = setup();
    initSession(first.router, first.upstream, 'moved');
    await tick();
    // The second router starts its round robin at aws-1 as well; bind to gcp-1 to make the point.
    await first.store.put(`${SESSION_PREFIX}moved`, { backend: 'gcp-1', cloud: 'gcp', boundAt: 1 });
    const upstream = new FakeUpstream();
    const other = createRouter({ backends: [backend('aws-1', 'aws'), backend('gcp-1', 'gcp')], upstream, store: first.store, strategy: 'round_robin' });
    const reads = first.store.calls.get;
    send(other, request('POST', '/mcp', { 'mcp-session-id': 'moved' }, rpc('ping')));
    await tick();
    expect(upstream.last().request.origin).toBe(GCP);
    jsonOk(upstream.last());
    send(other, request('POST', '/mcp', { 'mcp-session-id': 'moved' }, rpc('ping')));
    expect(upstream.calls).toHaveLength(2);
    expect(first.store.calls.get - reads).toBe(1);
  });

  it('answers 404 at once, without sending, when the bound backend\'s breaker is open', () => {
    const { router, upstream } = setup({ breaker: { failureThreshold: 1 } });
    initSession(router, upstream);
    router.reportObservation('aws-1', { ok: false });
    expect(router.breakerPhase('aws-1')).toBe('open');
    const sink = send(router, request('POST', '/mcp', { 'mcp-session-id': 'sess-1' }, rpc('tools/list', 4)));
    expect(upstream.calls).toHaveLength(1);
    expect(sink.status).toBe(404);
    expect(sink.json()).toEqual({ jsonrpc: '2.0', id: 4, error: { code: -32001, message: expect.stringContaining('Session not found') } });
    expect(router.counters().sessionNotFoundFastFails).toBe(1);
  });

  it('answers 404 (session lost) when a session request without side effects gets no answer within the per-try timeout', async () => {
    const { router, upstream } = setup({ retryRpcMethodsAfterSend: ['tools/list'], perTryTimeoutMs: 3_000 });
    initSession(router, upstream);
    const listed = send(router, request('POST', '/mcp', { 'mcp-session-id': 'sess-1' }, rpc('tools/list', 7)));
    expect(upstream.last().request.headersTimeoutMs).toBe(3_000);
    fail(upstream.last(), 'timeout', true);
    expect(upstream.calls).toHaveLength(2);
    expect(listed.status).toBe(404);
    expect(listed.json()).toEqual({ jsonrpc: '2.0', id: 7, error: { code: -32001, message: 'Session not found: its backend aws-1 did not answer within 3000 ms; start a new session' } });
    expect(router.counters()).toMatchObject({ sessionBackendLost: 1, retries: 0 });
    // A tools/call on a session keeps the whole request timeout and answers 504: it may have acted.
    initSession(router, upstream, 'sess-2');
    const called = send(router, request('POST', '/mcp', { 'mcp-session-id': 'sess-2' }, rpc('tools/call', 8, { name: 'x' })));
    expect(upstream.last().request.headersTimeoutMs).toBe(60_000);
    fail(upstream.last(), 'timeout', true);
    expect(called.status).toBe(504);
    await tick();
  });

  it('answers 404 (session lost) and does not move the session when its backend refuses connections', () => {
    const { router, upstream } = setup();
    initSession(router, upstream);
    const sink = send(router, request('POST', '/mcp', { 'mcp-session-id': 'sess-1' }, rpc('tools/list')));
    fail(upstream.last(), 'connect', false);
    expect(upstream.calls).toHaveLength(2);
    expect(sink.status).toBe(404);
    expect(router.counters()).toMatchObject({ sessionBackendLost: 1, retries: 0 });
  });

  it('retries a session request on its own backend when the connection broke before it was written', () => {
    const { router, upstream } = setup();
    const owner = initSession(router, upstream);
    const sink = send(router, request('POST', '/mcp', { 'mcp-session-id': 'sess-1' }, rpc('tools/list')));
    fail(upstream.last(), 'reset', false);
    expect(upstream.origins()).toEqual([owner, owner, owner]);
    jsonOk(upstream.last());
    expect(sink.status).toBe(200);
  });

  it('forwards an unknown session by default and binds it when the backend accepts it; or 404s when configured', async () => {
    const { router, upstream } = setup();
    send(router, request('POST', '/mcp', { 'mcp-session-id': 'orphan' }, rpc('ping')));
    await tick();
    jsonOk(upstream.last());
    expect(router.counters()).toMatchObject({ sessionUnknown: 1, sessionsBound: 1 });
    const strict = setup({ unknownSession: 'not_found' });
    const sink = send(strict.router, request('POST', '/mcp', { 'mcp-session-id': 'orphan' }, rpc('ping')));
    await tick();
    expect(sink.status).toBe(404);
    expect(strict.upstream.calls).toHaveLength(0);
  });

  it('forgets a binding when the session is deleted', async () => {
    const { router, upstream, store } = setup();
    initSession(router, upstream);
    send(router, request('DELETE', '/mcp', { 'mcp-session-id': 'sess-1' }));
    expect(upstream.last().request.body).toBeNull();
    respond(upstream.last(), 200);
    await tick();
    expect(await store.get(`${SESSION_PREFIX}sess-1`)).toBeUndefined();
  });
});

describe('breakers and snapshot', () => {
  it('opens a backend\'s breaker after consecutive live failures and stops sending to it', () => {
    const { router, upstream } = setup();
    for (let i = 0; i < 10; i++) {
      send(router);
      if (upstream.last().request.origin === AWS) fail(upstream.last(), 'connect', false);
      jsonOk(upstream.last());
    }
    expect(router.breakerPhase('aws-1')).toBe('open');
    expect(router.counters().breakerOpens).toBe(1);
    const before = upstream.calls.length;
    for (let i = 0; i < 4; i++) jsonOk((send(router), upstream.last()));
    expect(upstream.origins().slice(before)).toEqual([GCP, GCP, GCP, GCP]);
  });

  it('counts 5xx answers as failures and lets the half-open trial close the breaker again', () => {
    let now = 1_000_000;
    const { router, upstream } = setup({ now: () => now, breaker: { failureThreshold: 2, coolDownMs: 1000 }, backends: [backend('aws-1', 'aws')] });
    respond((send(router), upstream.last()), 500);
    respond((send(router), upstream.last()), 500);
    expect(router.breakerPhase('aws-1')).toBe('open');
    now += 1000;
    expect(router.breakerPhase('aws-1')).toBe('half_open');
    jsonOk((send(router), upstream.last()));
    expect(router.breakerPhase('aws-1')).toBe('closed');
  });

  it('skips backends the caller marks unhealthy and takes weights from updates', () => {
    const { router, upstream } = setup();
    router.updateSnapshot([{ id: 'aws-1', healthy: false }]);
    for (let i = 0; i < 3; i++) jsonOk((send(router), upstream.last()));
    expect(upstream.origins()).toEqual([GCP, GCP, GCP]);
    router.updateSnapshot([{ id: 'aws-1', healthy: true }, { id: 'gcp-1', weight: 0 }]);
    jsonOk((send(router), upstream.last()));
    expect(upstream.last().request.origin).toBe(AWS);
    expect(router.snapshot().mcp.backends.map((b) => [b.id, b.healthy, b.weight])).toEqual([
      ['aws-1', true, 1],
      ['gcp-1', true, 0],
    ]);
  });
});

describe('deadlines', () => {
  it('times out at the client deadline with a JSON-RPC error, aborts the upstream call and forwards the budget', async () => {
    const { router, upstream } = setup();
    const started = Date.now();
    const sink = send(router, request('POST', '/mcp', { 'X-Meshgate-Timeout-Ms': '40' }, rpc('tools/call', 9, { name: 'x' })));
    const forwarded = upstream.last().request.headers;
    const budget = Number(forwarded[forwarded.indexOf('x-meshgate-timeout-ms') + 1]);
    expect(budget).toBeGreaterThan(0);
    expect(budget).toBeLessThanOrEqual(40);
    expect(upstream.last().request.headersTimeoutMs).toBeLessThanOrEqual(40);
    await tick(80);
    expect(sink.status).toBe(504);
    expect(sink.json()).toEqual({ jsonrpc: '2.0', id: 9, error: { code: -32001, message: expect.stringMatching(/^Request timed out: backend aws-1/) } });
    expect(Date.now() - started).toBeLessThan(500);
    expect(upstream.last().aborted).toBe(true);
  });

  it('answers 504 at once when the platform deadline has already passed', () => {
    const { router, upstream } = setup();
    const sink = send(router, { ...request('POST', '/mcp', {}, rpc('ping')), deadlineAt: Date.now() - 1 });
    expect(sink.status).toBe(504);
    expect(upstream.calls).toHaveLength(0);
  });
});

describe('bad input', () => {
  it.each([
    ['{not json', 400, -32700],
    ['', 400, -32700],
    ['[]', 400, -32600],
    ['{"jsonrpc":"1.0","id":1,"method":"x"}', 400, -32600],
    ['{"jsonrpc":"2.0","id":null,"method":"x"}', 400, -32600],
    ['{"jsonrpc":"2.0","id":1,"method":"x","params":5}', 400, -32600],
    ['{"jsonrpc":"2.0","id":1}', 400, -32600],
    ['[{"jsonrpc":"2.0","id":1,"method":"a"}, 3]', 400, -32600],
  ])('rejects body %j with %d / %d', (body, status, code) => {
    const { router, upstream } = setup();
    const sink = send(router, request('POST', '/mcp', {}, body));
    expect(sink.status).toBe(status);
    expect(sink.json().error?.code).toBe(code);
    expect(upstream.calls).toHaveLength(0);
  });

  it('answers 413 for oversized bodies, 404 for unknown paths, 405 for other methods and 400 for GET/DELETE without a session', () => {
    const { router, upstream } = setup();
    const big = send(router, { ...request('POST', '/mcp'), bodyTooLarge: true });
    expect(big.status).toBe(413);
    expect(big.header('connection')).toBe('close');
    expect(big.json().error?.message).toBe('Request body exceeds 1048576 bytes');
    const unknown = send(router, request('GET', '/admin'));
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toEqual({ error: { code: 'not_found', message: 'No route for /admin' } });
    const put = send(router, request('PUT', '/mcp', {}, '{}'));
    expect(put.status).toBe(405);
    expect(put.header('allow')).toBe('GET, POST, DELETE, OPTIONS');
    const preflight = send(router, request('OPTIONS', '/mcp', { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' }));
    expect(upstream.last().request.method).toBe('OPTIONS');
    respond(upstream.last(), 204, ['access-control-allow-origin', 'https://app.example']);
    expect(preflight.status).toBe(204);
    for (const method of ['GET', 'DELETE']) {
      const sink = send(router, request(method, '/mcp'));
      expect(sink.status).toBe(400);
      expect(sink.json().error?.message).toContain('Mcp-Session-Id header is required');
    }
    const badId = send(router, request('POST', '/mcp', { 'mcp-session-id': 'has space' }, rpc('ping')));
    expect(badId.status).toBe(400);
    expect(upstream.calls).toHaveLength(1);
    expect(router.counters()).toMatchObject({ bodyTooLarge: 1, notFound: 1, badRequests: 4 });
  });

  it('checks the 2026-07-28 mirror headers against the body', () => {
    const { router, upstream } = setup();
    const v = { 'MCP-Protocol-Version': '2026-07-28' };
    const call = rpc('tools/call', 1, { name: 'echo' });
    const cases: Array<[Record<string, string>, number]> = [
      [{ ...v, 'Mcp-Method': 'tools/call', 'Mcp-Name': 'echo' }, 200],
      [{ ...v, 'Mcp-Method': 'tools/list', 'Mcp-Name': 'echo' }, 400],
      [{ ...v, 'Mcp-Method': 'tools/call' }, 400],
      [{ ...v, 'Mcp-Name': 'echo' }, 400],
      [{ ...v, 'Mcp-Method': 'tools/call', 'Mcp-Name': 'other' }, 400],
      [{ 'MCP-Protocol-Version': '2025-06-18', 'Mcp-Method': 'nonsense' }, 200],
    ];
    for (const [headers, status] of cases) {
      const sink = send(router, request('POST', '/mcp', headers, call));
      if (status === 200) jsonOk(upstream.last());
      expect([headers, sink.status]).toEqual([headers, status]);
      if (status === 400) expect(sink.json().error?.code).toBe(-32020);
    }
    const list = send(router, request('POST', '/mcp', { ...v, 'Mcp-Method': 'tools/list', 'Mcp-Name': 'x' }, rpc('tools/list')));
    expect(list.status).toBe(400);
  });
});

describe('streaming and headers', () => {
  it('streams SSE chunk by chunk, marks it unbuffered and sends keep-alives only between events', async () => {
    const { router, upstream } = setup({ sseKeepAliveMs: 20 });
    const sink = send(router);
    const call = upstream.last();
    call.handler.onHeaders(200, ['Content-Type', 'text/event-stream', 'Connection', 'keep-alive', 'Transfer-Encoding', 'chunked'], () => undefined);
    expect(sink.header('x-accel-buffering')).toBe('no');
    expect(sink.header('connection')).toBeUndefined();
    expect(sink.header('transfer-encoding')).toBeUndefined();
    call.handler.onData(Buffer.from('event: message\ndata: {"a":1}\n\n'));
    expect(sink.body).toBe('event: message\ndata: {"a":1}\n\n');
    expect(sink.ended).toBe(false);
    await tick(60);
    expect(sink.body).toContain(': keep-alive\n\n');
    const kept = router.counters().keepAlivesSent;
    expect(kept).toBeGreaterThanOrEqual(1);
    // Mid-event: no comment may be injected.
    call.handler.onData(Buffer.from('data: {"partial":'));
    await tick(60);
    expect(router.counters().keepAlivesSent).toBe(kept);
    call.handler.onData(Buffer.from('true}\n\n'));
    call.handler.onComplete();
    expect(sink.ended).toBe(true);
    expect(router.counters()).toMatchObject({ sseStreams: 1, sseOpen: 0 });
  });

  it('pauses the upstream while the client cannot keep up', () => {
    const { router, upstream } = setup();
    const sink = send(router);
    const call = upstream.last();
    call.handler.onHeaders(200, ['content-type', 'text/event-stream'], () => {
      call.resumed += 1;
    });
    sink.writeOk = false;
    expect(call.handler.onData(Buffer.from('data: 1\n\n'))).toBe(false);
    sink.emit('drain');
    expect(call.resumed).toBe(1);
  });

  it('aborts the upstream request when the client goes away', () => {
    const { router, upstream } = setup();
    const sink = send(router);
    sink.hangUp();
    expect(upstream.last().aborted).toBe(true);
    expect(router.counters().clientAborts).toBe(1);
  });

  it('cuts the response when the backend fails mid-stream', () => {
    const { router, upstream } = setup();
    const sink = send(router);
    const call = upstream.last();
    call.handler.onHeaders(200, ['content-type', 'text/event-stream'], () => undefined);
    call.handler.onError({ kind: 'reset', requestSent: true, responseStarted: true, message: 'reset' });
    expect(sink.destroyed).toBe(true);
    expect(upstream.calls).toHaveLength(1);
  });

  it('strips hop-by-hop and spoofed headers, appends X-Forwarded-For and adds feature flags', () => {
    const { router, upstream } = setup({ flags: { beta: true, half: { percent: 0 } } });
    send(
      router,
      request('POST', '/mcp?trace=1', {
        Host: 'router.example',
        Connection: 'keep-alive',
        'Content-Length': '99',
        'X-Forwarded-For': '1.2.3.4',
        'Mcp-Meshgate-Flags': 'admin',
        traceparent: '00-abc-def-01',
        'Last-Event-ID': '42',
      }, rpc('ping')),
    );
    const { headers, path } = upstream.last().request;
    const names = headers.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(names).not.toContain('host');
    expect(names).not.toContain('connection');
    expect(names).not.toContain('content-length');
    expect(path).toBe('/mcp?trace=1');
    const value = (name: string): string | undefined => headers[headers.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === name) + 1];
    expect(value('x-forwarded-for')).toBe('1.2.3.4, 10.0.0.9');
    expect(value('mcp-meshgate-flags')).toBe('beta');
    expect(value('traceparent')).toBe('00-abc-def-01');
    expect(value('last-event-id')).toBe('42');
  });
});

describe('rollouts', () => {
  const versions = [backend('aws-1', 'aws', { version: 'v1' }), backend('gcp-1', 'gcp', { version: 'v2' })];

  it('sends everyone to the active colour and rolls back with one store write', async () => {
    const { router, upstream, store } = setup({ backends: versions, rollout: { stable: 'v1' } });
    for (let i = 0; i < 3; i++) jsonOk((send(router), upstream.last()));
    expect(new Set(upstream.origins())).toEqual(new Set([AWS]));
    await store.put(ROLLOUT_KEY, { stable: 'v1', blueGreen: { active: 'v2' } });
    await store.put(FLAGS_KEY, { beta: true });
    await router.refresh();
    jsonOk((send(router), upstream.last()));
    expect(upstream.last().request.origin).toBe(GCP);
    expect(upstream.last().request.headers).toContain('beta');
    await store.delete(ROLLOUT_KEY);
    await router.refresh();
    jsonOk((send(router), upstream.last()));
    expect(upstream.last().request.origin).toBe(AWS);
  });

  it('keeps the previous rollout when the stored one is invalid', async () => {
    const { router, upstream, store } = setup({ backends: versions, rollout: { stable: 'v1' } });
    await store.put(ROLLOUT_KEY, { stable: '' });
    await expect(router.refresh()).rejects.toThrow(/rollout.stable/);
    jsonOk((send(router), upstream.last()));
    expect(upstream.last().request.origin).toBe(AWS);
  });

  it('keeps a pinned session on its backend whatever its cohort', () => {
    const { router, upstream } = setup({ backends: versions, rollout: { stable: 'v1' } });
    initSession(router, upstream);
    router.setRollout({ stable: 'v1', blueGreen: { active: 'v2' } });
    send(router, request('POST', '/mcp', { 'mcp-session-id': 'sess-1' }, rpc('ping')));
    expect(upstream.last().request.origin).toBe(AWS);
  });
});
