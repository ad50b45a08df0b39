import { MemoryStateStore } from '../../../shared/adapters/memory/memory-state-store';
import { DEFAULT_HEALTH_SETTINGS, type HealthConfig } from '../../../shared/core/health/settings';
import type { HttpRequestLike } from '../../../shared/ports/http';
import type { StateStore } from '../../../shared/ports/state-store';
import type { ProbeClient } from '../../../shared/ports/probe';
import type { BackendEndpoint, HealthServiceDeps, PeerEndpoint } from '../../../shared/usecases/health';
import { CapturingLogger, seededRandom } from './fakes';
import { VirtualClock } from './virtual-clock';

export const PEERS: PeerEndpoint[] = [
  { cloud: 'aws', url: 'https://aws.example.test/' },
  { cloud: 'azure', url: 'https://azure.example.test/api' },
  { cloud: 'gcp', url: 'https://gcp.example.test' },
];

export const BACKENDS: BackendEndpoint[] = [
  { id: 'mcp-eu', url: 'https://mcp-eu.example.test/mcp', transport: 'mcp' },
  { id: 'mcp-us', url: 'https://mcp-us.example.test/mcp', transport: 'mcp' },
];

export function depsFor(
  cloud: string,
  parts: { clock: VirtualClock; store?: StateStore; probes: ProbeClient; logger?: CapturingLogger; settings?: Partial<HealthConfig>; backends?: BackendEndpoint[]; seed?: number },
): HealthServiceDeps & { store: StateStore; logger: CapturingLogger } {
  return {
    cloud,
    region: `${cloud}-region-1`,
    nodeId: `${cloud}-node-1`,
    buildVersion: '1.2.3',
    store: parts.store ?? new MemoryStateStore({ now: () => parts.clock.now() }),
    probes: parts.probes,
    clock: parts.clock,
    logger: parts.logger ?? new CapturingLogger(),
    settings: { ...DEFAULT_HEALTH_SETTINGS, ...parts.settings },
    peers: PEERS,
    backends: parts.backends ?? BACKENDS,
    random: seededRandom(parts.seed ?? 42),
  };
}

export const request = (method: string, path: string): HttpRequestLike => ({ method, path, headers: {}, query: {}, body: '' });
