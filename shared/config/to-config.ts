/** Maps validated `multi_cloud` data (snake_case, as written) onto the camelCased `MeshgateConfig`. */
import type { RawMultiCloud } from './schema';
import type {
  AwsProviderConfig,
  AzureProviderConfig,
  BackendConfig,
  GcpProviderConfig,
  HealthConfig,
  MeshgateConfig,
  ProvidersConfig,
  RouterConfig,
} from './types';

type Raw = RawMultiCloud;
type RawProviders = Raw['providers'];

export interface Quorums {
  readonly writeQuorum: number;
  readonly readQuorum: number;
}

export function toMeshgateConfig(raw: Raw, source: string, quorums: Quorums): MeshgateConfig {
  return {
    source,
    enabled: raw.enabled,
    defaultProvider: raw.default_provider,
    providers: toProviders(raw.providers),
    dns: { zone: raw.dns.zone, record: raw.dns.record, ttl: raw.dns.ttl, weightScale: raw.dns.weight_scale },
    backends: raw.backends.map(toBackend),
    health: toHealth(raw.health),
    replication: { ...quorums, consistency: raw.replication.consistency },
    peers: raw.peers,
    router: toRouter(raw.router),
  };
}

function toProviders(raw: RawProviders): ProvidersConfig {
  return {
    aws: raw.aws && toAws(raw.aws),
    azure: raw.azure && toAzure(raw.azure),
    gcp: raw.gcp && toGcp(raw.gcp),
  };
}

function toAws(raw: NonNullable<RawProviders['aws']>): AwsProviderConfig {
  const { credentials, dns } = raw;
  return {
    region: raw.region,
    accountId: raw.account_id,
    credentials: credentials && { accessKeyId: credentials.access_key_id, secretAccessKey: credentials.secret_access_key },
    endpoint: raw.endpoint,
    store: { table: raw.store.table },
    dns: dns && { hostedZoneId: dns.hosted_zone_id },
  };
}

function toAzure(raw: NonNullable<RawProviders['azure']>): AzureProviderConfig {
  const { credentials, traffic_manager: trafficManager } = raw;
  return {
    region: raw.region,
    subscriptionId: raw.subscription_id,
    tenantId: raw.tenant_id,
    credentials: credentials && { clientId: credentials.client_id, clientSecret: credentials.client_secret },
    store: { ...raw.store },
    trafficManager: trafficManager && { resourceGroup: trafficManager.resource_group, profile: trafficManager.profile },
  };
}

function toGcp(raw: NonNullable<RawProviders['gcp']>): GcpProviderConfig {
  const { credentials, dns } = raw;
  return {
    region: raw.region,
    projectId: raw.project_id,
    credentials: credentials && { serviceAccountKey: credentials.service_account_key },
    store: { collection: raw.store.collection, emulatorHost: raw.store.emulator_host },
    dns: dns && { managedZone: dns.managed_zone },
  };
}

function toBackend(raw: Raw['backends'][number]): BackendConfig {
  return {
    id: raw.id,
    url: raw.url,
    provider: raw.provider,
    region: raw.region,
    weight: raw.weight,
    version: raw.version,
    costPerMillionRequests: raw.cost_per_million_requests,
    latitude: raw.latitude,
    longitude: raw.longitude,
    transport: raw.transport,
  };
}

function toHealth(raw: Raw['health']): HealthConfig {
  return {
    probeIntervalSeconds: raw.probe_interval_seconds,
    probeTimeoutMs: raw.probe_timeout_ms,
    probeConcurrency: raw.probe_concurrency,
    failureThreshold: raw.failure_threshold,
    recoveryThreshold: raw.recovery_threshold,
    holdDownSeconds: raw.hold_down_seconds,
    heartbeatTtlSeconds: raw.heartbeat_ttl_seconds,
    observationsKept: raw.observations_kept,
    ...(raw.recheck_after_failure_ms === undefined ? {} : { recheckAfterFailureMs: raw.recheck_after_failure_ms }),
  };
}

function toRouter(raw: Raw['router']): RouterConfig {
  return {
    workers: raw.workers,
    strategy: raw.strategy,
    mcpPath: raw.mcp_path,
    httpPrefixes: raw.http_prefixes,
    maxBodyBytes: raw.max_body_bytes,
    requestTimeoutMs: raw.request_timeout_ms,
    perTryTimeoutMs: raw.per_try_timeout_ms,
    responseIdleTimeoutMs: raw.response_idle_timeout_ms,
    deadlineHeader: raw.deadline_header,
    maxClientTimeoutMs: raw.max_client_timeout_ms,
    maxAttempts: raw.max_attempts,
    retryRpcMethodsAfterSend: raw.retry_rpc_methods_after_send,
    sseKeepAliveMs: raw.sse_keep_alive_ms,
    unknownSession: raw.unknown_session,
    failOpen: raw.fail_open,
    forwardedHeaders: raw.forwarded_headers,
    clientKeyHeader: raw.client_key_header,
    affinityCacheSize: raw.affinity_cache_size,
    sessionTtlSeconds: raw.session_ttl_seconds,
    affinityLookupTimeoutMs: raw.affinity_lookup_timeout_ms,
    latencyBudgetMs: raw.latency_budget_ms,
    refreshSeconds: raw.refresh_seconds,
    upstream: { connections: raw.upstream.connections, connectTimeoutMs: raw.upstream.connect_timeout_ms },
  };
}
