/**
 * Test doubles for the router use case: a scriptable Upstream (each dispatch is recorded and answered by the
 * test) and a ResponseSink that records what the client would see.
 */
import { EventEmitter } from 'node:events';
import type { Upstream, UpstreamFailureKind, UpstreamHandler, UpstreamRequest } from '../../shared/ports/upstream';
import type { ResponseSink, RouterBackend, RouterRequest } from '../../shared/usecases/router';

export interface FakeCall {
  readonly request: UpstreamRequest;
  readonly handler: UpstreamHandler;
  aborted: boolean;
  resumed: number;
}

export class FakeUpstream implements Upstream {
  readonly calls: FakeCall[] = [];
  /** When set, answers every dispatch at once. */
  auto: ((call: FakeCall) => void) | undefined;

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    const call: FakeCall = { request, handler, aborted: false, resumed: 0 };
    this.calls.push(call);
    handler.onStart(() => {
      if (call.aborted) return;
      call.aborted = true;
      handler.onError({ kind: 'aborted', requestSent: true, responseStarted: false, message: 'aborted' });
    });
    this.auto?.(call);
  }

  async close(): Promise<void> {}

  last(): FakeCall {
    const call = this.calls[this.calls.length - 1];
    if (call === undefined) throw new Error('no upstream call');
    return call;
  }

  /** Origins of every dispatch, in order. */
  origins(): string[] {
    return this.calls.map((c) => c.request.origin);
  }
}

export function respond(call: FakeCall, status: number, headers: string[] = [], body?: string): void {
  const ok = call.handler.onHeaders(status, headers, () => {
    call.resumed += 1;
  });
  if (!ok) return;
  if (body !== undefined) call.handler.onData(Buffer.from(body));
  call.handler.onComplete();
}

export function fail(call: FakeCall, kind: UpstreamFailureKind, requestSent: boolean): void {
  call.handler.onError({ kind, requestSent, responseStarted: false, message: `${kind} (test)` });
}

export const jsonOk = (call: FakeCall, result: unknown = {}, extra: string[] = []): void =>
  respond(call, 200, ['Content-Type', 'application/json', ...extra], JSON.stringify({ jsonrpc: '2.0', id: 1, result }));

export class FakeSink extends EventEmitter implements ResponseSink {
  status: number | undefined;
  headers: string[] = [];
  readonly chunks: string[] = [];
  ended = false;
  destroyed = false;
  writeOk = true;

  writeHead(status: number, headers: string[]): this {
    if (this.status !== undefined) throw new Error('writeHead twice');
    this.status = status;
    this.headers = headers;
    return this;
  }

  write(chunk: Uint8Array | string): boolean {
    this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return this.writeOk;
  }

  end(chunk?: Uint8Array | string): this {
    if (chunk !== undefined) this.write(chunk);
    this.ended = true;
    this.emit('close');
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    this.emit('close');
    return this;
  }

  /** The client hangs up. */
  hangUp(): void {
    this.emit('close');
  }

  get body(): string {
    return this.chunks.join('');
  }

  json(): { jsonrpc?: string; id?: unknown; error?: { code: number | string; message: string }; result?: unknown } {
    return JSON.parse(this.body) as never;
  }

  header(name: string): string | undefined {
    for (let i = 0; i < this.headers.length; i += 2) {
      if (this.headers[i]?.toLowerCase() === name.toLowerCase()) return this.headers[i + 1];
    }
    return undefined;
  }
}

export function request(method: string, url: string, headers: Record<string, string> = {}, body?: unknown): RouterRequest {
  const rawHeaders = Object.entries(headers).flat();
  const payload = body === undefined ? null : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { method, url, rawHeaders, body: payload, remoteAddress: '10.0.0.9' };
}

export const rpc = (method: string, id: number | string | undefined = 1, params?: unknown): unknown => ({
  jsonrpc: '2.0',
  ...(id === undefined ? {} : { id }),
  method,
  ...(params === undefined ? {} : { params }),
});

export function backend(id: string, cloud: RouterBackend['cloud'], over: Partial<RouterBackend> = {}): RouterBackend {
  return { id, cloud, region: 'us-east-1', url: `http://${id}.test:80/mcp`, weight: 1, version: 'v1', transport: 'mcp', ...over };
}

export const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
