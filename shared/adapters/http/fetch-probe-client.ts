/**
 * ProbeClient over Node's built-in fetch (no HTTP library in the bundle): peer /health checks, MCP `ping` over Streamable HTTP, plain HTTP checks.
 *
 * MCP (spec 2025-06-18): `ping` is a request either side may send at any time, and the lifecycle allows
 * pings before initialization, so a probe sends a bare `ping` and creates no session. Servers that insist
 * on a session answer with a JSON-RPC error (often with HTTP 400); that still proves the server is up and
 * speaking JSON-RPC, so any well-formed JSON-RPC response, result or error, counts as healthy as long as
 * the HTTP status is below 500. The answer may be `application/json` or an SSE stream (`text/event-stream`),
 * whose `data:` lines are read until the first JSON-RPC response; the stream is then closed.
 *
 * Every probe has its own deadline (one AbortController covers connect, headers and body), reads at most
 * `maxBodyBytes`, and stops reading as soon as the verdict is known. The client never throws.
 */
import { isJsonObject as isObject } from '../../core/health/json';
import type { ProbeClient, ProbeErrorCode, ProbeOptions, ProbeProtocol, ProbeResult, ProbeTarget } from '../../ports/probe';

export interface FetchProbeClientOptions {
  /** The fetch to use. Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Largest body read before the answer counts as `bad_response`. Default 64 KiB. */
  readonly maxBodyBytes?: number;
  readonly userAgent?: string;
}

export const MCP_PROTOCOL_VERSION = '2025-06-18';
const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

type RequestShape = { method: string; headers: Record<string, string>; body?: string };

const PROTOCOLS: ReadonlySet<string> = new Set<ProbeProtocol>(['meshgate-health', 'mcp', 'http']);

type Verdict = { ok: true } | { ok: false; error: ProbeErrorCode };

export class FetchProbeClient implements ProbeClient {
  private readonly fetch: typeof fetch;
  private readonly maxBodyBytes: number;
  private readonly userAgent: string;
  private seq = 0;

  constructor(options: FetchProbeClientOptions = {}) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.userAgent = options.userAgent ?? 'meshgate-probe';
  }

  async probe(target: ProbeTarget, options: ProbeOptions): Promise<ProbeResult> {
    const started = performance.now();
    let status: number | null = null;
    const result = (verdict: Verdict): ProbeResult => {
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      return verdict.ok ? { ok: true, status, latencyMs } : { ok: false, status, latencyMs, error: verdict.error };
    };

    if (options.signal?.aborted) return result({ ok: false, error: 'aborted' });
    const timeoutMs = Number.isFinite(options.timeoutMs) ? Math.max(1, Math.floor(options.timeoutMs)) : 0;
    let url: URL;
    try {
      url = new URL(target.url);
      const known = PROTOCOLS.has(target.protocol);
      if ((url.protocol !== 'http:' && url.protocol !== 'https:') || timeoutMs === 0 || !known) throw new Error('bad probe input');
    } catch {
      return result({ ok: false, error: 'internal' });
    }

    const controller = new AbortController();
    let why: 'timeout' | 'aborted' | undefined;
    const timer = setTimeout(() => {
      why ??= 'timeout';
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => {
      why ??= 'aborted';
      controller.abort();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    let body: ReadableStream<Uint8Array> | null = null;
    try {
      const res = await this.fetch(url, { ...this.requestFor(target.protocol), signal: controller.signal, redirect: 'manual' });
      status = res.status;
      body = res.body;
      const chunks: AsyncIterable<Uint8Array> = res.body ?? emptyBody();
      return result(await this.judge(target.protocol, res.status, (res.headers.get('content-type') ?? '').toLowerCase(), chunks));
    } catch (err) {
      return result({ ok: false, error: why ?? classify(err) });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Stop reading once the verdict is known; a cancelled unfinished body is expected, not an error.
      if (body !== null) body.cancel().catch(() => undefined);
    }
  }

  /** Nothing to release: connections belong to the runtime's global fetch pool. */
  async close(): Promise<void> {}

  private requestFor(protocol: ProbeTarget['protocol']): RequestShape {
    if (protocol !== 'mcp') {
      return { method: 'GET', headers: { accept: 'application/json', 'user-agent': this.userAgent } };
    }
    this.seq += 1;
    return {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MCP_PROTOCOL_VERSION,
        'user-agent': this.userAgent,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: `meshgate-probe-${this.seq}`, method: 'ping' }),
    };
  }

  private async judge(
    protocol: ProbeTarget['protocol'],
    status: number,
    contentType: string,
    body: AsyncIterable<Uint8Array>,
  ): Promise<Verdict> {
    switch (protocol) {
      case 'http':
        return status < 500 ? { ok: true } : { ok: false, error: 'http_status' };
      case 'meshgate-health': {
        if (status !== 200) return { ok: false, error: 'http_status' };
        const text = await readText(body, this.maxBodyBytes);
        if (text === undefined) return { ok: false, error: 'bad_response' };
        const parsed = parseJson(text);
        const ok = isObject(parsed) && typeof parsed.status === 'string';
        return ok ? { ok: true } : { ok: false, error: 'bad_response' };
      }
      case 'mcp': {
        if (status >= 500) return { ok: false, error: 'http_status' };
        const found = contentType.includes('text/event-stream')
          ? await findInSse(body, this.maxBodyBytes)
          : findInText(await readText(body, this.maxBodyBytes));
        if (found) return { ok: true };
        return { ok: false, error: status >= 400 ? 'http_status' : 'bad_response' };
      }
      default:
        return { ok: false, error: 'internal' };
    }
  }
}

export const createFetchProbeClient = (options?: FetchProbeClientOptions): FetchProbeClient => new FetchProbeClient(options);

async function* emptyBody(): AsyncIterable<Uint8Array> {}

/** fetch wraps network failures in `TypeError('fetch failed')` with the socket or parser error as `cause`. */
function errorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  if ('code' in err) return String((err as { code: unknown }).code);
  return 'cause' in err ? errorCode((err as { cause: unknown }).cause) : '';
}

function classify(err: unknown): ProbeErrorCode {
  const code = errorCode(err);
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') return 'bad_response';
  if (code === 'UND_ERR_INVALID_ARG') return 'internal';
  return 'connection';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A JSON-RPC 2.0 response: `result`, or an `error` with an integer code and a string message. */
export function isJsonRpcResponse(v: unknown): boolean {
  if (!isObject(v) || v.jsonrpc !== '2.0' || !('id' in v)) return false;
  const id = v.id;
  if (id !== null && typeof id !== 'string' && typeof id !== 'number') return false;
  const hasResult = 'result' in v;
  const hasError = 'error' in v;
  if (hasResult === hasError) return false;
  if (hasResult) return true;
  const e = v.error;
  return isObject(e) && typeof e.code === 'number' && Number.isInteger(e.code) && typeof e.message === 'string';
}

const containsResponse = (v: unknown): boolean => (Array.isArray(v) ? v.some(isJsonRpcResponse) : isJsonRpcResponse(v));

/** A JSON body holding a JSON-RPC response; failing that, the text read as SSE (servers that mislabel it). */
function findInText(text: string | undefined): boolean {
  if (text === undefined) return false;
  if (containsResponse(parseJson(text))) return true;
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()].some((data) => containsResponse(parseJson(data)));
}

/** Reads the whole body as UTF-8, or undefined when it exceeds `limit` bytes. */
async function readText(body: AsyncIterable<Uint8Array | string>, limit: number): Promise<string | undefined> {
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > limit) return undefined;
    text += decoder.decode(bytes, { stream: true });
  }
  return text + decoder.decode();
}

/** Reads SSE events until one carries a JSON-RPC response (then stops reading), the stream ends, or `limit`. */
async function findInSse(body: AsyncIterable<Uint8Array | string>, limit: number): Promise<boolean> {
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let size = 0;
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > limit) return false;
    if (parser.push(decoder.decode(bytes, { stream: true })).some((data) => containsResponse(parseJson(data)))) return true;
  }
  return parser.end().some((data) => containsResponse(parseJson(data)));
}

/** Minimal incremental parser for `text/event-stream`: yields each event's joined `data:` lines. */
export class SseParser {
  private buffer = '';
  private data: string[] = [];

  push(text: string): string[] {
    this.buffer += text;
    const events: string[] = [];
    for (;;) {
      const match = /\r\n|\n|\r/.exec(this.buffer);
      if (match === null) break;
      // A trailing \r may be the first half of \r\n: wait for the next chunk.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line, events);
    }
    return events;
  }

  /** Flushes what is left when the stream ends (lenient: an unterminated last event counts). */
  end(): string[] {
    const events: string[] = [];
    if (this.buffer !== '') this.line(this.buffer.replace(/\r$/, ''), events);
    this.buffer = '';
    this.line('', events);
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line === '') {
      if (this.data.length > 0) events.push(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== 'data') return;
    const value = colon === -1 ? '' : line.slice(colon + 1);
    this.data.push(value.startsWith(' ') ? value.slice(1) : value);
  }
}
