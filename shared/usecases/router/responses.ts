/**
 * Answers the router writes itself. On the MCP endpoint every error is a JSON-RPC error object (with the
 * request's id when it is known) so an MCP client can surface it; elsewhere it is `{"error":{code,message}}`,
 * the shape `toHttpResponse` gives for the other functions.
 */
import type { RpcId } from './parse';
import type { ResponseSink } from './types';

/** JSON-RPC / MCP error codes the router uses. */
export const RPC = Object.freeze({
  parseError: -32700,
  invalidRequest: -32600,
  internalError: -32603,
  /** Generic server-side failure (MCP SDKs use it for "Bad Request: ..." and "No backend"). */
  serverError: -32000,
  /** MCP: session not found / request timed out. */
  sessionOrTimeout: -32001,
  /** MCP 2026-07-28: mirror headers missing or not matching the body. */
  headerMismatch: -32020,
});

export type PlainCode = 'validation' | 'not_found' | 'too_large' | 'method_not_allowed' | 'unavailable' | 'bad_gateway' | 'timeout' | 'internal';

const JSON_HEADERS: readonly string[] = Object.freeze(['content-type', 'application/json', 'cache-control', 'no-store']);

function write(res: ResponseSink, status: number, body: string, extra: readonly string[] | undefined): void {
  const headers = extra === undefined ? JSON_HEADERS.slice() : [...JSON_HEADERS, ...extra];
  headers.push('content-length', String(Buffer.byteLength(body)));
  res.writeHead(status, headers);
  res.end(body);
}

export function sendRpcError(
  res: ResponseSink,
  status: number,
  id: RpcId,
  code: number,
  message: string,
  extra?: readonly string[],
): void {
  write(res, status, JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }), extra);
}

export function sendPlainError(res: ResponseSink, status: number, code: PlainCode, message: string, extra?: readonly string[]): void {
  write(res, status, JSON.stringify({ error: { code, message } }), extra);
}
