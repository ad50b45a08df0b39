/**
 * `GET /health`: liveness of this cloud's function set and its readiness.
 *
 * Answering at all proves the HTTP function is alive. Readiness needs two things: the store answers a
 * bounded-time read of this cloud's own heartbeat key, and that heartbeat (written by the timer function
 * every sub-tick) is younger than the heartbeat TTL. 200 when ready, 503 otherwise, always `no-store`.
 * Failures are reported by code only (`store: {ok: false, error: 'unavailable'}`), never by message.
 */
import { asMeshgateError, type HttpResult } from '../../core/errors';
import { heartbeatAgeMs, parseHeartbeat } from '../../core/health/heartbeat';
import { heartbeatKey } from '../../core/health/keys';
import type { Clock } from '../../ports/clock';
import type { Logger } from '../../ports/logger';
import type { StateStore } from '../../ports/state-store';
import { withTimeout } from './bounded';

export interface HealthIdentity {
  readonly cloud: string;
  readonly region: string;
  /** This function instance. */
  readonly nodeId: string;
  readonly buildVersion: string;
}

export interface GetHealthDeps extends HealthIdentity {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Heartbeat TTL and the bound on the store read, in ms. */
  readonly heartbeatTtlMs: number;
  readonly storeTimeoutMs: number;
}

export type HeartbeatCheck =
  | { ok: true; ageMs: number; ttlMs: number; at: string; nodeId: string }
  | { ok: false; reason: 'missing' | 'stale' | 'malformed' | 'unknown'; ageMs: number | null; ttlMs: number };

export type StoreCheck = { ok: true; latencyMs: number } | { ok: false; error: string };

export interface HealthBody {
  status: 'ok' | 'not_ready';
  live: true;
  ready: boolean;
  cloud: string;
  region: string;
  nodeId: string;
  version: string;
  time: string;
  checks: { store: StoreCheck; heartbeat: HeartbeatCheck };
}

export const HEALTH_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json',
  'cache-control': 'no-store',
});

export async function getHealth(deps: GetHealthDeps): Promise<HttpResult> {
  const started = deps.clock.now();
  const ttlMs = deps.heartbeatTtlMs;
  let store: StoreCheck;
  let heartbeat: HeartbeatCheck;
  try {
    const entry = await withTimeout(deps.store.get(heartbeatKey(deps.cloud)), deps.storeTimeoutMs, deps.clock, 'heartbeat read');
    const now = deps.clock.now();
    store = { ok: true, latencyMs: now - started };
    if (entry === undefined) {
      heartbeat = { ok: false, reason: 'missing', ageMs: null, ttlMs };
    } else {
      const hb = parseHeartbeat(entry.value);
      if (hb === undefined) {
        heartbeat = { ok: false, reason: 'malformed', ageMs: null, ttlMs };
      } else {
        const ageMs = heartbeatAgeMs(hb, now);
        heartbeat =
          ageMs <= ttlMs
            ? { ok: true, ageMs, ttlMs, at: new Date(hb.at).toISOString(), nodeId: hb.nodeId }
            : { ok: false, reason: 'stale', ageMs, ttlMs };
      }
    }
  } catch (err) {
    const error = asMeshgateError(err);
    deps.logger.warn({ event: 'health.store_check_failed', code: error.code, key: heartbeatKey(deps.cloud) }, 'health: store check failed');
    store = { ok: false, error: error.code };
    heartbeat = { ok: false, reason: 'unknown', ageMs: null, ttlMs };
  }

  const ready = store.ok && heartbeat.ok;
  const body: HealthBody = {
    status: ready ? 'ok' : 'not_ready',
    live: true,
    ready,
    cloud: deps.cloud,
    region: deps.region,
    nodeId: deps.nodeId,
    version: deps.buildVersion,
    time: new Date(deps.clock.now()).toISOString(),
    checks: { store, heartbeat },
  };
  return { status: ready ? 200 : 503, headers: { ...HEALTH_HEADERS }, body: JSON.stringify(body) };
}
