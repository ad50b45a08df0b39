/**
 * The health function's service, built on first use from the shared context: `GET /health` and the tick.
 * Azure's timer fires every 5 s, so one Azure invocation runs one sub-tick; EventBridge and Cloud Scheduler
 * fire once a minute and the tick sub-ticks inside the invocation.
 */
import { createFetchProbeClient } from '../adapters/http/fetch-probe-client';
import type { HttpHandlerFn, TimerHandlerFn } from '../ports/http';
import { createHealthService, type HealthService } from '../usecases/health';
import { lazyService, type AppContext } from './context';

const SCHEDULE_SECONDS: Record<string, number> = { aws: 60, azure: 5, gcp: 60 };

export function buildHealthService({ config, runtime, store, clock, logger }: AppContext): HealthService {
  return createHealthService({
    cloud: runtime.cloud,
    region: runtime.region,
    nodeId: runtime.nodeId,
    buildVersion: runtime.buildVersion,
    store,
    probes: createFetchProbeClient(),
    clock,
    logger,
    settings: { ...config.health, scheduleSeconds: SCHEDULE_SECONDS[runtime.cloud] ?? 60 },
    peers: Object.entries(config.peers).map(([cloud, url]) => ({ cloud, url })),
    backends: config.backends.map(({ id, url, transport }) => ({ id, url, transport })),
  });
}

const service = lazyService(buildHealthService);

export const healthService: { http: HttpHandlerFn; tick: TimerHandlerFn } = {
  http: (request) => service().http(request),
  tick: (payload, deadlineAt) => service().tick(payload, deadlineAt),
};
