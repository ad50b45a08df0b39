/**
 * The router use case: MCP Streamable HTTP and plain HTTP proxying with session affinity, safe retries,
 * circuit breakers, rollouts and streaming. See docs/router.md.
 */
export { createRouter, Router, ROLLOUT_KEY, FLAGS_KEY } from './router';
export { SessionAffinity, SESSION_PREFIX, type SessionBinding } from './affinity';
export {
  inspectJsonRpc,
  mirrorHeaderProblem,
  scanHeaders,
  isSessionlessRevision,
  isValidSessionId,
  parseBudgetMs,
  SESSIONLESS_REVISION,
  type RpcInspection,
  type RpcSummary,
  type ScannedHeaders,
} from './parse';
export { RPC } from './responses';
export { backendsFromConfig, type BackendConfigLike } from './from-config';
export type {
  BackendObservation,
  BackendStatus,
  ResponseSink,
  RouterBackend,
  RouterCounters,
  RouterOptions,
  RouterRequest,
} from './types';
