/**
 * The router as a plain Node HTTP server: for the local mesh, the benchmark, and any host without a function
 * runtime. The hot path is lean: Node's `IncomingMessage`/`ServerResponse` are handed to the use case as they
 * are (they already fit `RouterRequest`'s raw headers and `ResponseSink`), the lazily built `req.headers` object
 * is never touched, a single-chunk body is used without copying, and bodies over the limit are not read.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from '../../usecases/router';

export interface RouterServerOptions {
  readonly router: Router;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Idle keep-alive of client connections, ms. Default 65 000 (longer than common load balancers' 60 s). */
  readonly keepAliveTimeoutMs?: number;
}

export interface RouterServer {
  readonly server: Server;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** Stops accepting, ends idle connections and cuts open streams. */
  close(): Promise<void>;
  /**
   * Graceful stop: stops accepting, ends keep-alive connections as soon as they are idle (so requests in flight
   * finish), and cuts whatever is still open after `timeoutMs` (long SSE streams). Resolves once all are closed.
   */
  drain(timeoutMs?: number): Promise<void>;
}

/** How often a draining server closes connections that went idle since the last look. */
const DRAIN_POLL_MS = 50;
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

const NO_BODY: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Declared Content-Length from raw headers, or -1 when absent or unparseable. */
function declaredLength(raw: readonly string[]): number {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      const n = Number(raw[i + 1]);
      return Number.isSafeInteger(n) && n >= 0 ? n : -1;
    }
  }
  return -1;
}

/**
 * A body a framework in front already read (Google's functions-framework keeps it as `req.rawBody`); the
 * request stream is then consumed and will not emit it again.
 */
function preReadBody(req: IncomingMessage): Buffer | undefined {
  const raw = (req as IncomingMessage & { rawBody?: unknown }).rawBody;
  return Buffer.isBuffer(raw) ? raw : undefined;
}

/**
 * Handles one request: reads the body up to the router's limit, then hands the exchange to the router. Also
 * works as the user function of Google's functions-framework (an Express app), whose body parsers read the body
 * first and leave it in `req.rawBody`.
 */
export function routerRequestListener(router: Router): (req: IncomingMessage, res: ServerResponse) => void {
  const limit = router.maxBodyBytes;
  return (req, res) => {
    const method = req.method ?? 'GET';
    const remoteAddress = req.socket.remoteAddress;
    if (NO_BODY.has(method)) {
      router.handle({ method, url: req.url ?? '/', rawHeaders: req.rawHeaders, body: null, remoteAddress }, res);
      return;
    }
    const preRead = preReadBody(req);
    if (preRead !== undefined || req.readableEnded) {
      const size = preRead?.length ?? 0;
      const body = size === 0 ? null : (preRead as Buffer);
      router.handle({ method, url: req.url ?? '/', rawHeaders: req.rawHeaders, body: size > limit ? null : body, bodyTooLarge: size > limit, remoteAddress }, res);
      return;
    }
    if (declaredLength(req.rawHeaders) > limit) {
      router.handle({ method, url: req.url ?? '/', rawHeaders: req.rawHeaders, body: null, bodyTooLarge: true, remoteAddress }, res);
      return;
    }
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    let over = false;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        over = true;
        req.removeListener('data', onData);
        req.pause();
        router.handle({ method, url: req.url ?? '/', rawHeaders: req.rawHeaders, body: null, bodyTooLarge: true, remoteAddress }, res);
        return;
      }
      if (first === undefined) first = chunk;
      else (more ??= [first]).push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (over) return;
      const body = more !== undefined ? Buffer.concat(more, size) : first ?? null;
      router.handle({ method, url: req.url ?? '/', rawHeaders: req.rawHeaders, body, remoteAddress }, res);
    });
    req.once('error', () => undefined);
  };
}

export async function startRouterServer(options: RouterServerOptions): Promise<RouterServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer({ keepAliveTimeout: options.keepAliveTimeoutMs ?? 65_000 }, routerRequestListener(options.router));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    drain: (timeoutMs = DEFAULT_DRAIN_TIMEOUT_MS) =>
      new Promise<void>((resolve) => {
        const poll = setInterval(() => server.closeIdleConnections(), DRAIN_POLL_MS);
        const cut = setTimeout(() => server.closeAllConnections(), timeoutMs);
        server.close(() => {
          clearInterval(poll);
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
