/**
 * Upstream over undici: one keep-alive `Pool` per backend origin, requests sent with `pool.dispatch` and a
 * small handler object, so response bodies flow chunk by chunk to the caller with backpressure and nothing is
 * buffered. Transport errors are classified into {@link UpstreamFailure} kinds; the flag `requestSent` comes
 * from undici's `onRequestSent` callback (the whole request was written to the socket).
 */
import { Pool, type Dispatcher } from 'undici';
import type { Upstream, UpstreamFailure, UpstreamFailureKind, UpstreamHandler, UpstreamRequest } from '../../ports/upstream';

export interface UndiciUpstreamOptions {
  /** Connections per backend origin. Default 128. */
  readonly connections?: number;
  /** Connect timeout, ms. Default 2000. */
  readonly connectTimeoutMs?: number;
  /**
   * How long an idle keep-alive connection is kept, ms. Default 4000: below Node's server default (5 s), so
   * the pool closes idle sockets before the backend does and a request rarely meets a half-closed socket.
   */
  readonly keepAliveTimeoutMs?: number;
  /** HTTP/1.1 pipelining depth. Default 1 (none): a slow response must not hold up the next request. */
  readonly pipelining?: number;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);
const ABORT_CODES = new Set(['UND_ERR_ABORTED', 'ABORT_ERR', 'UND_ERR_DESTROYED']);

export function classifyUndiciError(err: unknown): UpstreamFailureKind {
  const code = (err as { code?: unknown } | null)?.code;
  const name = (err as { name?: unknown } | null)?.name;
  if (typeof code === 'string') {
    if (CONNECT_CODES.has(code)) return 'connect';
    if (TIMEOUT_CODES.has(code)) return 'timeout';
    if (ABORT_CODES.has(code)) return 'aborted';
    if (RESET_CODES.has(code)) return 'reset';
  }
  if (name === 'AbortError') return 'aborted';
  return 'protocol';
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return `${code}${message}`.slice(0, 300);
}

/** Adapts an {@link UpstreamHandler} to undici's dispatch handler; one object per request. */
class Call implements Dispatcher.DispatchHandlers {
  private requestSent = false;
  private responseStarted = false;
  private done = false;

  constructor(private readonly handler: UpstreamHandler) {}

  onConnect(abort: (err?: Error) => void): void {
    this.handler.onStart(() => abort());
  }

  onRequestSent(): void {
    this.requestSent = true;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null, resume: () => void): boolean {
    this.responseStarted = true;
    const raw = rawHeaders ?? [];
    const headers = new Array<string>(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i];
      headers[i] = typeof v === 'string' ? v : v === undefined ? '' : v.toString('latin1');
    }
    return this.handler.onHeaders(statusCode, headers, resume);
  }

  onData(chunk: Buffer): boolean {
    return this.handler.onData(chunk);
  }

  onComplete(): void {
    if (this.done) return;
    this.done = true;
    this.handler.onComplete();
  }

  onError(err: Error): void {
    if (this.done) return;
    this.done = true;
    const failure: UpstreamFailure = {
      kind: classifyUndiciError(err),
      requestSent: this.requestSent,
      responseStarted: this.responseStarted,
      message: describe(err),
    };
    this.handler.onError(failure);
  }
}

export class UndiciUpstream implements Upstream {
  private readonly pools = new Map<string, Pool>();
  private readonly poolOptions: Pool.Options;
  private closed = false;

  constructor(options: UndiciUpstreamOptions = {}) {
    this.poolOptions = {
      connections: options.connections ?? 128,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
      keepAliveMaxTimeout: Math.max(options.keepAliveTimeoutMs ?? 4000, 4000),
      pipelining: options.pipelining ?? 1,
    };
  }

  dispatch(request: UpstreamRequest, handler: UpstreamHandler): void {
    const call = new Call(handler);
    let pool: Pool;
    try {
      if (this.closed) throw Object.assign(new Error('upstream closed'), { code: 'UND_ERR_DESTROYED' });
      pool = this.pool(request.origin);
    } catch (err) {
      call.onError(err as Error);
      return;
    }
    try {
      pool.dispatch(
        {
          path: request.path,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers as string[],
          body: request.body,
          headersTimeout: request.headersTimeoutMs,
          bodyTimeout: request.bodyTimeoutMs,
        },
        call,
      );
    } catch (err) {
      call.onError(err as Error);
    }
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, this.poolOptions);
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
