/**
 * Request parsing for the router: one pass over the raw headers, JSON-RPC inspection of a POST body, and the
 * MCP 2026-07-28 rule that `Mcp-Method` / `Mcp-Name` mirror the body. Pure functions that never throw on any
 * input (property-tested with random bytes and headers): every problem is a value the router turns into a 400.
 */

/** JSON-RPC id as MCP allows it (string or number; null only in error answers we make ourselves). */
export type RpcId = string | number | null;

/** The first (or only) message of a body, which is what the mirror headers and error answers refer to. */
export interface RpcSummary {
  readonly kind: 'single' | 'batch';
  /** Messages in the body. */
  readonly count: number;
  /** `method` of each request or notification (responses have none), in body order. */
  readonly methods: readonly string[];
  /** Id of the first message that has one (for error answers). */
  readonly id: RpcId;
  /** `params.name` (tools/call, prompts/get) or `params.uri` (resources/read) of a single message. */
  readonly name: string | undefined;
  /** Method of a single request or notification. */
  readonly method: string | undefined;
  /** True when the body holds at least one request (something with an id that expects an answer). */
  readonly expectsAnswer: boolean;
}

export interface RpcProblem {
  /** -32700 parse error, -32600 invalid request. */
  readonly code: -32700 | -32600;
  readonly message: string;
  readonly id: RpcId;
}

export type RpcInspection = { readonly ok: true; readonly rpc: RpcSummary } | { readonly ok: false; readonly problem: RpcProblem };

const decoder = new TextDecoder('utf-8', { fatal: true });

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const own = (o: Record<string, unknown>, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Names the body addresses: `params.name` for tools and prompts, `params.uri` for resources. */
const NAME_PARAM: Readonly<Record<string, 'name' | 'uri'>> = Object.freeze({
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
});

export function nameParamOf(method: string): 'name' | 'uri' | undefined {
  return own(NAME_PARAM, method) ? NAME_PARAM[method] : undefined;
}

interface MessageCheck {
  readonly problem?: string;
  readonly id: RpcId;
  readonly method?: string;
  readonly name?: string;
  readonly isRequest: boolean;
}

function checkMessage(m: unknown): MessageCheck {
  if (!isObject(m)) return { problem: 'a JSON-RPC message must be an object', id: null, isRequest: false };
  const rawId = own(m, 'id') ? m.id : undefined;
  const id: RpcId = typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId)) ? rawId : null;
  if (m.jsonrpc !== '2.0') return { problem: 'jsonrpc must be "2.0"', id, isRequest: false };
  if (own(m, 'method')) {
    if (typeof m.method !== 'string' || m.method.length === 0) {
      return { problem: 'method must be a non-empty string', id, isRequest: false };
    }
    if (rawId !== undefined && id === null) {
      return { problem: 'id must be a string or a number', id, isRequest: false };
    }
    if (own(m, 'params') && m.params !== undefined && !isObject(m.params) && !Array.isArray(m.params)) {
      return { problem: 'params must be an object', id, isRequest: false };
    }
    const param = nameParamOf(m.method);
    let name: string | undefined;
    if (param !== undefined && isObject(m.params) && own(m.params, param) && typeof m.params[param] === 'string') {
      name = m.params[param] as string;
    }
    return name === undefined
      ? { id, method: m.method, isRequest: rawId !== undefined }
      : { id, method: m.method, name, isRequest: rawId !== undefined };
  }
  // A response (the client answering a server request): an id and exactly one of result / error.
  if (rawId === undefined) return { problem: 'a message needs a method, or an id with a result or error', id, isRequest: false };
  if (own(m, 'result') === own(m, 'error')) {
    return { problem: 'a response needs exactly one of result and error', id, isRequest: false };
  }
  return { id, isRequest: false };
}

/** Parses and checks a JSON-RPC body (one message or a non-empty batch). Never throws. */
export function inspectJsonRpc(body: Uint8Array | null): RpcInspection {
  if (body === null || body.length === 0) {
    return { ok: false, problem: { code: -32700, message: 'Parse error: empty body', id: null } };
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(decoder.decode(body)) as Json;
  } catch {
    return { ok: false, problem: { code: -32700, message: 'Parse error: body is not valid UTF-8 JSON', id: null } };
  }
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) {
      return { ok: false, problem: { code: -32600, message: 'Invalid Request: empty batch', id: null } };
    }
    const methods: string[] = [];
    let id: RpcId = null;
    let expectsAnswer = false;
    for (let i = 0; i < parsed.length; i++) {
      const c = checkMessage(parsed[i]);
      if (id === null && c.id !== null) id = c.id;
      if (c.problem !== undefined) {
        return { ok: false, problem: { code: -32600, message: `Invalid Request: batch[${i}]: ${c.problem}`, id: c.id } };
      }
      if (c.method !== undefined) methods.push(c.method);
      if (c.isRequest) expectsAnswer = true;
    }
    return { ok: true, rpc: { kind: 'batch', count: parsed.length, methods, id, name: undefined, method: undefined, expectsAnswer } };
  }
  const c = checkMessage(parsed);
  if (c.problem !== undefined) {
    return { ok: false, problem: { code: -32600, message: `Invalid Request: ${c.problem}`, id: c.id } };
  }
  return {
    ok: true,
    rpc: {
      kind: 'single',
      count: 1,
      methods: c.method === undefined ? [] : [c.method],
      id: c.id,
      name: c.name,
      method: c.method,
      expectsAnswer: c.isRequest,
    },
  };
}

/** The first MCP revision without sessions, whose requests carry `Mcp-Method` / `Mcp-Name`. */
export const SESSIONLESS_REVISION = '2026-07-28';

const REVISION = /^\d{4}-\d{2}-\d{2}$/;

/** True for `MCP-Protocol-Version` values at or after the sessionless revision (revisions are dates). */
export function isSessionlessRevision(version: string | undefined): boolean {
  return version !== undefined && REVISION.test(version) && version >= SESSIONLESS_REVISION;
}

/**
 * MCP 2026-07-28: `Mcp-Method` must equal the body's method, and `Mcp-Name` its `params.name` (tools/call,
 * prompts/get) or `params.uri` (resources/read); a missing required header or one with nothing to mirror is a
 * mismatch too. Returns a message naming the problem, or undefined when the headers agree with the body.
 */
export function mirrorHeaderProblem(rpc: RpcSummary, mcpMethod: string | undefined, mcpName: string | undefined): string | undefined {
  if (rpc.kind === 'batch') return `JSON-RPC batches are not part of MCP ${SESSIONLESS_REVISION}`;
  if (rpc.method === undefined) {
    if (mcpMethod !== undefined) return `Mcp-Method header '${clip(mcpMethod)}' given for a JSON-RPC response`;
    if (mcpName !== undefined) return `Mcp-Name header '${clip(mcpName)}' given for a JSON-RPC response`;
    return undefined;
  }
  if (mcpMethod === undefined) return 'Mcp-Method header is required';
  if (mcpMethod !== rpc.method) {
    return `Mcp-Method header '${clip(mcpMethod)}' does not match body method '${clip(rpc.method)}'`;
  }
  if (rpc.name === undefined) {
    if (mcpName !== undefined) return `Mcp-Name header '${clip(mcpName)}' given but the body names nothing`;
    return undefined;
  }
  if (mcpName === undefined) return `Mcp-Name header is required for ${rpc.method}`;
  if (mcpName !== rpc.name) return `Mcp-Name header '${clip(mcpName)}' does not match body value '${clip(rpc.name)}'`;
  return undefined;
}

/** Keeps echoed client input short and printable in error messages. */
export function clip(s: string): string {
  const printable = s.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 77)}...` : printable;
}

/** MCP session ids are 1+ visible ASCII characters (0x21–0x7E); we also cap the length. */
const SESSION_ID = /^[\x21-\x7e]{1,256}$/;

export const isValidSessionId = (id: string): boolean => SESSION_ID.test(id);

/** Headers the router reads; everything else is forwarded untouched (minus hop-by-hop headers). */
export interface ScannedHeaders {
  sessionId: string | undefined;
  protocolVersion: string | undefined;
  mcpMethod: string | undefined;
  mcpName: string | undefined;
  /** Raw value of the deadline header. */
  deadline: string | undefined;
  clientKey: string | undefined;
  /** Value of the A/B key header, when one is configured. */
  abKey: string | undefined;
  xForwardedFor: string | undefined;
  country: string | undefined;
  latitude: string | undefined;
  longitude: string | undefined;
  /** Flat list to forward: hop-by-hop, `host`, `content-length`, the deadline and flags headers removed. */
  forward: string[];
}

/** Request headers never forwarded: hop-by-hop (RFC 9110 §7.6.1), recomputed ones, and the router's own. */
const DROP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'x-forwarded-for',
  'mcp-meshgate-flags',
]);

export interface ScanOptions {
  /** Lower-case names. */
  readonly deadlineHeader: string;
  readonly clientKeyHeader: string;
  readonly abKeyHeader: string | undefined;
}

/**
 * One pass over raw headers. Repeated headers the router reads keep their first value; `Mcp-Session-Id` given
 * twice with different values yields `sessionId` = '' (invalid), so an ambiguous session is rejected.
 */
export function scanHeaders(raw: readonly string[], options: ScanOptions): ScannedHeaders {
  const out: ScannedHeaders = {
    sessionId: undefined,
    protocolVersion: undefined,
    mcpMethod: undefined,
    mcpName: undefined,
    deadline: undefined,
    clientKey: undefined,
    abKey: undefined,
    xForwardedFor: undefined,
    country: undefined,
    latitude: undefined,
    longitude: undefined,
    forward: [],
  };
  const forward = out.forward;
  const n = raw.length - (raw.length % 2);
  for (let i = 0; i < n; i += 2) {
    const rawName = raw[i];
    const value = raw[i + 1];
    if (typeof rawName !== 'string' || typeof value !== 'string') continue;
    const name = rawName.toLowerCase();
    if (DROP.has(name)) {
      if (name === 'x-forwarded-for') out.xForwardedFor = out.xForwardedFor === undefined ? value : `${out.xForwardedFor}, ${value}`;
      continue;
    }
    if (name === options.deadlineHeader) {
      out.deadline ??= value;
      continue;
    }
    if (name.charCodeAt(0) === 109 /* m */ && name.startsWith('mcp-')) {
      if (name === 'mcp-session-id') out.sessionId = out.sessionId === undefined || out.sessionId === value ? value : '';
      else if (name === 'mcp-protocol-version') out.protocolVersion ??= value;
      else if (name === 'mcp-method') out.mcpMethod ??= value;
      else if (name === 'mcp-name') out.mcpName ??= value;
    } else if (name === options.clientKeyHeader) {
      out.clientKey ??= value;
    } else if (name === 'cloudfront-viewer-country' || name === 'x-client-country') {
      out.country ??= value;
    } else if (name === 'x-client-geo-location') {
      // Google Cloud load balancer custom header, configured as "{client_region},{client_city}".
      out.country ??= value.split(',')[0];
    } else if (name === 'cloudfront-viewer-latitude') {
      out.latitude ??= value;
    } else if (name === 'cloudfront-viewer-longitude') {
      out.longitude ??= value;
    }
    if (name === options.abKeyHeader) out.abKey ??= value;
    forward.push(rawName, value);
  }
  return out;
}

/** A relative budget in ms from a header value: a non-negative integer (fractions are truncated), else undefined. */
export function parseBudgetMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (!/^\d{1,12}(\.\d+)?$/.test(trimmed)) return undefined;
  return Math.floor(Number(trimmed));
}
