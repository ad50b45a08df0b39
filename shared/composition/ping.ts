/**
 * Temporary liveness service behind every cloud's `health` function until the health use case lands:
 * `GET /health` answers `{status:'ok', cloud, region, version}` (never cached); the tick only checks what it
 * was given and returns.
 */
import { MeshgateError } from '../core/errors';
import type { HttpHandlerFn, TimerHandlerFn } from '../ports/http';
import { routeHttp } from '../usecases/http-router';

export interface RuntimeIdentity {
  readonly cloud: string;
  readonly region: string;
  readonly version: string;
}

export interface PingService {
  readonly http: HttpHandlerFn;
  readonly tick: TimerHandlerFn;
}

/**
 * Where this process runs, from the platform's own variables (`MESHGATE_CLOUD`/`MESHGATE_REGION`/
 * `MESHGATE_VERSION` override): Lambda sets `AWS_LAMBDA_FUNCTION_NAME` and `AWS_REGION`; Azure sets
 * `FUNCTIONS_WORKER_RUNTIME` and `REGION_NAME`; Cloud Functions sets `K_SERVICE`/`FUNCTION_TARGET`
 * (gen2 exposes no region variable: set `MESHGATE_REGION` at deploy time).
 */
export function runtimeIdentity(env: Readonly<Record<string, string | undefined>>, defaultVersion: string): RuntimeIdentity {
  const detected = env.AWS_LAMBDA_FUNCTION_NAME
    ? 'aws'
    : env.FUNCTIONS_WORKER_RUNTIME
      ? 'azure'
      : env.K_SERVICE || env.FUNCTION_TARGET
        ? 'gcp'
        : 'local';
  return {
    cloud: env.MESHGATE_CLOUD || detected,
    region: env.MESHGATE_REGION || env.AWS_REGION || env.REGION_NAME || env.FUNCTION_REGION || 'unknown',
    version: env.MESHGATE_VERSION || defaultVersion,
  };
}

export function createPingService(identity: RuntimeIdentity, now: () => number = Date.now): PingService {
  const body = JSON.stringify({ status: 'ok', cloud: identity.cloud, region: identity.region, version: identity.version });
  return {
    http: routeHttp({
      'GET /health': async () => ({ status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body }),
    }),
    tick: async (payload, deadlineAt) => {
      if (payload !== undefined && payload !== null && typeof payload !== 'object') {
        throw new MeshgateError('validation', `tick payload must be an object, got ${typeof payload}`);
      }
      if (!Number.isFinite(deadlineAt) || deadlineAt <= now()) {
        throw new MeshgateError('validation', 'tick deadline must be a finite time in the future');
      }
    },
  };
}
