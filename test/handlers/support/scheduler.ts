/**
 * The scheduler the entry-point tests run behind each cloud's runtime: the real scheduler service over the
 * in-memory store and DNS zone `example.test`, on a virtual clock whose sleeps fire at once, all three clouds
 * observing. A test file puts it in place of the composition with
 * `jest.mock('../../shared/composition/scheduler', () => jest.requireActual<typeof import('./support/scheduler')>('./support/scheduler').compositionOf(() => mockScheduler))`
 * (jest only lets a mock factory reach variables named `mock…`).
 */
import { MemoryDnsProvider } from '../../../shared/adapters/memory/memory-dns-provider';
import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store';
import type { schedulerService } from '../../../shared/composition/scheduler';
import { createSchedulerService, type SchedulerService } from '../../../shared/usecases/scheduler';
import { CapturingLogger } from '../../health/support/fakes';
import { VirtualClock } from '../../health/support/virtual-clock';

type SchedulerDeps = Parameters<typeof createSchedulerService>[0];

export interface SchedulerUnderTest {
  readonly clock: VirtualClock;
  readonly store: MemoryStateStore;
  readonly zone: MemoryDnsProvider;
  readonly logger: CapturingLogger;
  readonly service: SchedulerService;
}

/** A scheduler on node `nodeId` writing `mcp.example.test` (TTL 30) for `targets`. */
export function schedulerUnderTest(nodeId: string, targets: SchedulerDeps['targets'], tuning?: SchedulerDeps['tuning']): SchedulerUnderTest {
  const clock = new VirtualClock(Date.now());
  const store = new MemoryStateStore({ now: () => clock.now() });
  const zone = new MemoryDnsProvider({ zone: 'example.test' });
  const logger = new CapturingLogger();
  const service = createSchedulerService({
    nodeId,
    store,
    dnsProvider: zone,
    clock,
    logger,
    dns: { record: 'mcp.example.test', ttl: 30 },
    targets,
    observers: ['aws', 'azure', 'gcp'],
    ...(tuning === undefined ? {} : { tuning }),
  });
  return { clock, store, zone, logger, service };
}

/** A-record targets 192.0.2.1-3 for aws, azure and gcp, all at `weight`. */
export const addressTargets = (weight: number): SchedulerDeps['targets'] =>
  (['aws', 'azure', 'gcp'] as const).map((cloud, i) => ({ id: cloud, cloud, type: 'A' as const, values: [`192.0.2.${i + 1}`], weight }));

/** The composition module's `schedulerService`, answering with the scheduler `current()` returns at call time. */
export function compositionOf(current: () => Pick<SchedulerUnderTest, 'service'>): { schedulerService: typeof schedulerService } {
  return {
    schedulerService: {
      http: (request) => current().service.http(request),
      tick: (payload, deadlineAt) => current().service.tick(payload, deadlineAt),
    },
  };
}
