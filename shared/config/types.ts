/**
 * The validated configuration every part of meshgate receives: camelCased, with defaults applied and
 * frozen at every level. Built only by `parseConfig`/`loadConfig`; the YAML keys are the snake_case
 * spellings of these fields, under `multi_cloud:`.
 */
import type { CloudName } from '../ports/cloud-provider';
import type { Consistency } from '../ports/state-store';
import type { StrategyName } from '../core/routing/types';

export type { CloudName, Consistency };

export const CLOUDS: readonly CloudName[] = Object.freeze(['aws', 'azure', 'gcp'] as const);

export type BackendTransport = 'mcp' | 'http';

export interface AwsProviderConfig {
  readonly region: string;
  /** Twelve digits, kept as a string so leading zeros survive. */
  readonly accountId: string;
  /** Absent: the SDK's default credential chain (role, environment, profile). Secret. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Custom endpoint for DynamoDB and Route 53 (an emulator on loopback, a VPC endpoint). */
  readonly endpoint?: string;
  readonly store: { readonly table: string };
  readonly dns?: { readonly hostedZoneId: string };
}

export interface AzureProviderConfig {
  readonly region: string;
  readonly subscriptionId: string;
  readonly tenantId: string;
  /** Absent: DefaultAzureCredential (managed identity, environment, CLI). Secret. */
  readonly credentials?: { readonly clientId: string; readonly clientSecret: string };
  /** Cosmos DB account; `key` is a secret. */
  readonly store: { readonly endpoint: string; readonly key: string; readonly database: string; readonly container: string };
  readonly trafficManager?: { readonly resourceGroup: string; readonly profile: string };
}

export interface GcpProviderConfig {
  readonly region: string;
  readonly projectId: string;
  /** Absent: Application Default Credentials. The key (JSON) is a secret. */
  readonly credentials?: { readonly serviceAccountKey: string };
  /** `emulatorHost` (host:port) points Firestore at an emulator. */
  readonly store: { readonly collection: string; readonly emulatorHost?: string };
  readonly dns?: { readonly managedZone: string };
}

/** Only configured clouds are present as keys. */
export interface ProvidersConfig {
  readonly aws?: AwsProviderConfig;
  readonly azure?: AzureProviderConfig;
  readonly gcp?: GcpProviderConfig;
}

export interface DnsConfig {
  /** Lower case, with trailing dot. */
  readonly zone: string;
  /** Lower case, with trailing dot; equal to or under `zone`. */
  readonly record: string;
  readonly ttl: number;
  /** Weight given to a fully healthy cloud in the DNS provider's range. */
  readonly weightScale: number;
}

export interface BackendConfig {
  readonly id: string;
  readonly url: string;
  readonly provider: CloudName;
  readonly region: string;
  /** 0-255; 0 takes the backend out of rotation. */
  readonly weight: number;
  readonly version: string;
  readonly costPerMillionRequests: number;
  /** Either both or neither of latitude and longitude are set. */
  readonly latitude?: number;
  readonly longitude?: number;
  readonly transport: BackendTransport;
}

export interface HealthConfig {
  readonly probeIntervalSeconds: number;
  readonly probeTimeoutMs: number;
  readonly probeConcurrency: number;
  readonly failureThreshold: number;
  readonly recoveryThreshold: number;
  readonly holdDownSeconds: number;
  readonly heartbeatTtlSeconds: number;
  readonly observationsKept: number;
  /** Re-probe a target this soon after its first failure; 0 = off. */
  readonly recheckAfterFailureMs?: number;
}

export interface ReplicationConfig {
  /** Defaults to a majority of the configured stores (2 of 3, 2 of 2, 1 of 1). */
  readonly writeQuorum: number;
  readonly readQuorum: number;
  /** Key prefix -> consistency; the built-in prefixes are merged under the configured ones. */
  readonly consistency: Readonly<Record<string, Consistency>>;
}

/** The router function: what it serves, how it picks and forwards. Defaults match `RouterOptions`. */
export interface RouterConfig {
  /**
   * Worker processes of the plain Node router server (local mesh, containers), sharing its port through
   * node:cluster; `auto` is one per available CPU (`os.availableParallelism()`). Serverless entry points ignore it:
   * there the platform scales instances. Default 1 (no cluster).
   */
  readonly workers: number | 'auto';
  readonly strategy: StrategyName;
  /** Path of the MCP endpoint, e.g. `/mcp`. */
  readonly mcpPath: string;
  /** Path prefixes proxied as plain HTTP to `http` backends; empty: every other path is 404. */
  readonly httpPrefixes: readonly string[];
  readonly maxBodyBytes: number;
  readonly requestTimeoutMs: number;
  /** Per-attempt wait for response headers of a request that may be resent; 0 = none. */
  readonly perTryTimeoutMs: number;
  /** 0 = no limit on the silence between body chunks of a POST's answer. */
  readonly responseIdleTimeoutMs: number;
  /** Lower-case request header carrying the client's budget in ms. */
  readonly deadlineHeader: string;
  readonly maxClientTimeoutMs: number;
  readonly maxAttempts: number;
  /** JSON-RPC methods safe to resend after they may have reached a backend. */
  readonly retryRpcMethodsAfterSend: readonly string[];
  /** 0 = no keep-alive comments. */
  readonly sseKeepAliveMs: number;
  readonly unknownSession: 'forward' | 'not_found';
  readonly failOpen: boolean;
  readonly forwardedHeaders: boolean;
  /** Lower-case request header whose value keys rollouts and flags. */
  readonly clientKeyHeader: string;
  readonly affinityCacheSize: number;
  readonly sessionTtlSeconds: number;
  readonly affinityLookupTimeoutMs: number;
  /** Latency budget of the `cost` strategy. */
  readonly latencyBudgetMs?: number;
  /** How often the router re-reads health observations and the stored rollout/flags. */
  readonly refreshSeconds: number;
  /** Keep-alive pool per backend origin. */
  readonly upstream: { readonly connections: number; readonly connectTimeoutMs: number };
}

/** Base URL of each cloud's function set, used for peer health probes. */
export type PeersConfig = Readonly<Partial<Record<CloudName, string>>>;

export interface MeshgateConfig {
  /** Where the configuration came from (file path or `MESHGATE_CONFIG_INLINE`), for logs. */
  readonly source: string;
  readonly enabled: boolean;
  readonly defaultProvider: CloudName;
  readonly providers: ProvidersConfig;
  readonly dns: DnsConfig;
  readonly backends: readonly BackendConfig[];
  readonly health: HealthConfig;
  readonly replication: ReplicationConfig;
  readonly peers: PeersConfig;
  readonly router: RouterConfig;
}

/** The clouds that have a provider section, in the fixed order aws, azure, gcp. */
export const configuredClouds = (config: Pick<MeshgateConfig, 'providers'>): CloudName[] =>
  CLOUDS.filter((cloud) => config.providers[cloud] !== undefined);
