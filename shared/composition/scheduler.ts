/**
 * The scheduler function's service, built on first use from the shared context: the timer tick (lease, verdict,
 * fenced DNS reconcile, audit) and `GET /scheduler/status`. Azure's timer fires every 5 s, so one Azure
 * invocation runs one sub-tick; EventBridge and Cloud Scheduler fire once a minute and the tick sub-ticks inside
 * the invocation.
 *
 * Targets: one weighted record per configured cloud at `dns.record`, whose value is the host of that cloud's
 * `peers` URL (A/AAAA for an address, CNAME for a name), weighted `dns.weightScale` when healthy.
 */
import { createRoute53DnsProvider } from '../adapters/aws/route53-dns-provider';
import { MeshgateError } from '../core/errors';
import { awsCredentialsFromEnv, configuredClouds, type MeshgateConfig } from '../config';
import type { DnsProvider } from '../ports/dns-provider';
import type { HttpHandlerFn, TimerHandlerFn } from '../ports/http';
import { createSchedulerService, type SchedulerService, type SchedulerTarget } from '../usecases/scheduler';
import { lazyService, type AppContext } from './context';

const SCHEDULE_SECONDS: Record<string, number> = { aws: 60, azure: 5, gcp: 60 };

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** One target per configured cloud that has a `peers` URL. */
export function schedulerTargets(config: Pick<MeshgateConfig, 'providers' | 'peers' | 'dns'>): SchedulerTarget[] {
  const targets: SchedulerTarget[] = [];
  for (const cloud of configuredClouds(config)) {
    const url = config.peers[cloud];
    if (url === undefined) continue;
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const type = IPV4.test(host) ? 'A' : host.includes(':') ? 'AAAA' : 'CNAME';
    targets.push({ id: cloud, cloud, type, values: [host], weight: config.dns.weightScale });
  }
  return targets;
}

/**
 * The DNS provider the leader writes to. Route 53 when `providers.aws.dns` is configured.
 * TODO(composition): take the per-cloud DNS provider from the context once it has one (Traffic Manager, Cloud DNS).
 */
export function schedulerDnsProvider(config: MeshgateConfig): DnsProvider {
  const aws = config.providers.aws;
  if (aws?.dns !== undefined) {
    return createRoute53DnsProvider({
      hostedZoneId: aws.dns.hostedZoneId,
      zoneName: config.dns.zone,
      ...(aws.endpoint === undefined ? {} : { endpoint: aws.endpoint }),
      // Without explicit credentials, the execution role's from the Lambda environment (as for DynamoDB).
      credentials: aws.credentials ?? (async () => awsCredentialsFromEnv()),
    });
  }
  throw new MeshgateError('validation', 'scheduler: no DNS provider configured (set multi_cloud.providers.aws.dns.hosted_zone_id)');
}

export function buildSchedulerService({ config, runtime, store, clock, logger }: AppContext, dnsProvider: DnsProvider = schedulerDnsProvider(config)): SchedulerService {
  return createSchedulerService({
    nodeId: `${runtime.nodeId}:scheduler`.slice(0, 64),
    store,
    dnsProvider,
    clock,
    logger,
    dns: config.dns,
    targets: schedulerTargets(config),
    observers: configuredClouds(config),
    verdict: {
      failureThreshold: config.health.failureThreshold,
      successThreshold: config.health.recoveryThreshold,
      holdDownMs: config.health.holdDownSeconds * 1000,
      // Three probe intervals: an observer that stopped probing (its cloud is gone) stops counting.
      staleAfterMs: 3 * config.health.probeIntervalSeconds * 1000,
      // Six probe intervals: targets that one event takes out are detected up to about two intervals apart.
      failOpenWindowMs: 6 * config.health.probeIntervalSeconds * 1000,
      // Two probe intervals: every observer probes every target once per interval.
      sharedFailureCheckMs: 2 * config.health.probeIntervalSeconds * 1000,
    },
    tuning: { scheduleSeconds: SCHEDULE_SECONDS[runtime.cloud] ?? 60 },
  });
}

const service = lazyService((context) => buildSchedulerService(context));

export const schedulerService: { http: HttpHandlerFn; tick: TimerHandlerFn } = {
  http: async (request) => service().http(request),
  tick: async (payload, deadlineAt) => service().tick(payload, deadlineAt),
};
