/**
 * Probe transport: one health probe of one target (a peer cloud's /health or an MCP backend).
 * The fetch implementation lives in shared/adapters/http/fetch-probe-client.ts.
 */

/**
 * How to probe a target.
 * - `meshgate-health`: `GET <url>`; healthy iff HTTP 200 with a JSON object carrying a string `status`.
 * - `mcp`: JSON-RPC `ping` over Streamable HTTP (POST, `Accept: application/json, text/event-stream`);
 *   healthy iff any JSON-RPC response arrives (a result, or a well-formed JSON-RPC error such as "session
 *   required") in a JSON or SSE body with a status below 500.
 * - `http`: `GET <url>`; healthy iff a response with a status below 500 arrives.
 */
export type ProbeProtocol = 'meshgate-health' | 'mcp' | 'http';

export interface ProbeTarget {
  /** Stable id: `cloud:<name>` or `backend:<id>`. Used for logs only by the client. */
  readonly id: string;
  /** Absolute http(s) URL to probe (for peers, the full `/health` URL). */
  readonly url: string;
  readonly protocol: ProbeProtocol;
}

/**
 * Why a probe failed.
 * - `timeout`: no complete answer within `timeoutMs` (connect, headers or body).
 * - `connection`: refused, reset, closed early, DNS or TLS failure.
 * - `http_status`: an answer with a status that means unhealthy (5xx; non-200 for meshgate-health; 4xx
 *   without a JSON-RPC body for mcp).
 * - `bad_response`: the body is not what the protocol expects (garbage, not JSON, no JSON-RPC response, too large).
 * - `aborted`: the caller's signal aborted the probe.
 * - `internal`: bad input (unparseable URL, unknown protocol, no timeout) or a bug in the client; reported, never thrown.
 */
export type ProbeErrorCode = 'timeout' | 'connection' | 'http_status' | 'bad_response' | 'aborted' | 'internal';

export interface ProbeResult {
  readonly ok: boolean;
  /** HTTP status of the answer, or null when none arrived. */
  readonly status: number | null;
  /** Time from the start of the probe to its verdict, including connection setup. */
  readonly latencyMs: number;
  /** Set exactly when `ok` is false. */
  readonly error?: ProbeErrorCode;
}

export interface ProbeOptions {
  /** Hard bound on the whole probe (connect + headers + body). */
  readonly timeoutMs: number;
  /** Aborts the probe early (invocation ending); the result then has error `aborted`. */
  readonly signal?: AbortSignal;
}

export interface ProbeClient {
  /**
   * Probes one target once. Never throws and never retries: every failure, including bad input, is a
   * result with `ok: false`. Resolves within `timeoutMs` (plus scheduling slack) or soon after `signal`
   * aborts. Side-effect free on the target apart from the request itself (a `ping` creates no MCP session).
   */
  probe(target: ProbeTarget, options: ProbeOptions): Promise<ProbeResult>;

  /** Releases connections. Idempotent. Optional for clients that hold none. */
  close?(): Promise<void>;
}
