/**
 * Rules that relate several fields of `multi_cloud`. Paths are relative to `multi_cloud`; each issue names
 * the fields it read (`dependsOn`), so it is not reported when one of them is already wrong on its own.
 */
import { CLOUD_NAMES, normalizeFqdn, regionProblem } from './fields';
import type { ConfigPath } from './issues';
import type { RawMultiCloud } from './schema';
import type { CloudName } from './types';

type Raw = RawMultiCloud;

export interface CrossFieldIssue {
  readonly path: ConfigPath;
  readonly reason: string;
  readonly dependsOn: readonly ConfigPath[];
}

/** An issue at `path` about the fields `dependsOn` (by default the field at `path` alone). */
const issue = (path: ConfigPath, reason: string, ...dependsOn: ConfigPath[]): CrossFieldIssue => ({
  path,
  reason,
  dependsOn: dependsOn.length > 0 ? dependsOn : [path],
});

export function crossFieldIssues(config: Raw): CrossFieldIssue[] {
  if (configuredProviders(config).length === 0) {
    return [issue(['providers'], `configure at least one of ${CLOUD_NAMES.join(', ')}`)];
  }
  return [
    ...defaultProviderIssues(config),
    ...backendIssues(config),
    ...peerIssues(config),
    ...dnsIssues(config.dns),
    ...healthIssues(config.health),
    ...routerIssues(config),
    ...replicationIssues(config),
  ];
}

export const configuredProviders = (config: Pick<Raw, 'providers'>): CloudName[] =>
  CLOUD_NAMES.filter((cloud) => config.providers[cloud] !== undefined);

/** A majority of the stores unless configured: 2 of 3, 2 of 2, 1 of 1. */
export const effectiveQuorum = (storeCount: number, configured: number | undefined): number =>
  configured ?? Math.floor(storeCount / 2) + 1;

const notConfigured = (cloud: CloudName): string => `provider ${cloud} is not configured under multi_cloud.providers`;

function defaultProviderIssues(config: Raw): CrossFieldIssue[] {
  const cloud = config.default_provider;
  if (config.providers[cloud] !== undefined) return [];
  return [issue(['default_provider'], notConfigured(cloud), ['default_provider'], ['providers', cloud])];
}

function backendIssues(config: Raw): CrossFieldIssue[] {
  const issues = config.backends.flatMap((backend, index) => backendFieldIssues(config, backend, index));
  issues.push(...duplicateIdIssues(config.backends));
  if (config.backends.length > 0 && config.backends.every((backend) => backend.weight === 0)) {
    const weights = config.backends.map((_, index): ConfigPath => ['backends', index, 'weight']);
    issues.push(issue(['backends'], 'at least one backend needs a weight above 0', ...weights));
  }
  return issues;
}

function backendFieldIssues(config: Raw, backend: Raw['backends'][number], index: number): CrossFieldIssue[] {
  const at = (field: string): ConfigPath => ['backends', index, field];
  const issues: CrossFieldIssue[] = [];
  if (config.providers[backend.provider] === undefined) {
    issues.push(issue(at('provider'), notConfigured(backend.provider), at('provider'), ['providers', backend.provider]));
  } else {
    const problem = regionProblem(backend.provider, backend.region);
    if (problem !== undefined) issues.push(issue(at('region'), problem, at('region'), at('provider')));
  }
  if ((backend.latitude === undefined) !== (backend.longitude === undefined)) {
    const missing = at(backend.latitude === undefined ? 'latitude' : 'longitude');
    issues.push(issue(missing, 'latitude and longitude must be set together', at('latitude'), at('longitude')));
  }
  return issues;
}

function duplicateIdIssues(backends: Raw['backends']): CrossFieldIssue[] {
  const firstIndex = new Map<string, number>();
  const issues: CrossFieldIssue[] = [];
  backends.forEach((backend, index) => {
    const first = firstIndex.get(backend.id);
    if (first === undefined) {
      firstIndex.set(backend.id, index);
      return;
    }
    const path = ['backends', index, 'id'];
    issues.push(issue(path, `duplicate backend id, first used by backends[${first}]`, path, ['backends', first, 'id']));
  });
  return issues;
}

function peerIssues(config: Raw): CrossFieldIssue[] {
  return CLOUD_NAMES.filter((cloud) => config.peers[cloud] !== undefined && config.providers[cloud] === undefined).map(
    (cloud) => issue(['peers', cloud], notConfigured(cloud), ['peers', cloud], ['providers', cloud]),
  );
}

function dnsIssues(dns: Raw['dns']): CrossFieldIssue[] {
  const zone = normalizeFqdn(dns.zone);
  const record = normalizeFqdn(dns.record);
  if (record === zone || record.endsWith(`.${zone}`)) return [];
  return [issue(['dns', 'record'], `must be within zone ${zone}`, ['dns', 'record'], ['dns', 'zone'])];
}

function healthIssues(health: Raw['health']): CrossFieldIssue[] {
  const field = (name: keyof Raw['health']): ConfigPath => ['health', name];
  const interval = field('probe_interval_seconds');
  const issues: CrossFieldIssue[] = [];
  if (health.probe_timeout_ms >= health.probe_interval_seconds * 1000) {
    const timeout = field('probe_timeout_ms');
    issues.push(issue(timeout, 'must be shorter than probe_interval_seconds', timeout, interval));
  }
  if (health.recheck_after_failure_ms !== undefined && health.recheck_after_failure_ms >= health.probe_interval_seconds * 1000) {
    const recheck = field('recheck_after_failure_ms');
    issues.push(issue(recheck, 'must be shorter than probe_interval_seconds', recheck, interval));
  }
  if (health.heartbeat_ttl_seconds <= health.probe_interval_seconds) {
    const ttl = field('heartbeat_ttl_seconds');
    issues.push(issue(ttl, 'must be longer than probe_interval_seconds', ttl, interval));
  }
  const needed = Math.max(health.failure_threshold, health.recovery_threshold);
  if (health.observations_kept < needed) {
    const kept = field('observations_kept');
    const reason = `must be at least ${needed} (the larger of failure_threshold and recovery_threshold)`;
    issues.push(issue(kept, reason, kept, field('failure_threshold'), field('recovery_threshold')));
  }
  return issues;
}

function routerIssues(config: Raw): CrossFieldIssue[] {
  if (config.router.http_prefixes.length === 0 || config.backends.some((b) => b.transport === 'http')) return [];
  const transports = config.backends.map((_, index): ConfigPath => ['backends', index, 'transport']);
  return [issue(['router', 'http_prefixes'], 'no backend has transport http to serve these prefixes', ['router', 'http_prefixes'], ...transports)];
}

function replicationIssues(config: Raw): CrossFieldIssue[] {
  const stores = configuredProviders(config).length;
  const { replication } = config;
  const write = effectiveQuorum(stores, replication.write_quorum);
  const read = effectiveQuorum(stores, replication.read_quorum);
  const issues: CrossFieldIssue[] = [];
  const tooLarge = `must be at most ${stores}, the number of configured stores`;
  if (write > stores) issues.push(issue(['replication', 'write_quorum'], tooLarge));
  if (read > stores) issues.push(issue(['replication', 'read_quorum'], tooLarge));
  if (Object.values(replication.consistency).includes('strong') && write + read <= stores) {
    const reason = `write_quorum + read_quorum must exceed ${stores} (the number of stores) while a key prefix is strong`;
    issues.push(issue(['replication'], reason));
  }
  return issues;
}
