/**
 * Schema of `meshgate.yaml`. The file holds one top-level key, `multi_cloud` (the seed's block, extended with
 * the mesh's stores, DNS, backends, health, replication and peers). `parseConfig` turns the text into a frozen,
 * camelCased `MeshgateConfig` or throws one `validation` error listing every problem as `<path>: <reason>`.
 */
import { z } from 'zod';
import { STRATEGY_NAMES, type StrategyName } from '../core/routing/types';
import {
  awsAccountId,
  cloudDnsZoneName,
  cloudName,
  finiteNumber,
  fqdn,
  gcpProjectId,
  hostAndPort,
  hostedZoneId,
  httpUrl,
  integer,
  nonEmpty,
  reasonFor,
  region,
  secret,
  uuid,
} from './fields';
import { pruneAndFreeze } from './freeze';
import type { Env } from './interpolate';
import { configError, formatIssue, withoutFollowUps, type ConfigIssue, type ConfigPath } from './issues';
import { configuredProviders, crossFieldIssues, effectiveQuorum } from './rules';
import { toMeshgateConfig } from './to-config';
import type { Consistency, MeshgateConfig } from './types';
import { readYaml } from './yaml-source';

export type { BackendConfig, MeshgateConfig } from './types';

/** Consistency of the key spaces meshgate itself writes; configured prefixes are merged over these. */
export const DEFAULT_CONSISTENCY: Readonly<Record<string, Consistency>> = Object.freeze({
  'heartbeat/': 'eventual',
  'observation/': 'eventual',
  'session/': 'causal',
  'lease/': 'strong',
});

/** A credentials block whose entries all read as absent (`${UNSET:-}`) means "use the default chain". */
const optionalCredentials = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((value) => (isEmptyMapping(value) ? undefined : value), schema.optional());

const isEmptyMapping = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;

/** The seed's `services:` blocks are accepted and ignored: meshgate deploys functions, not those services. */
const seedServices = z.record(z.unknown()).optional();

const awsProvider = z
  .object({
    region: region('aws'),
    account_id: awsAccountId,
    credentials: optionalCredentials(z.object({ access_key_id: secret, secret_access_key: secret }).strict()),
    endpoint: httpUrl.optional(),
    store: z.object({ table: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name') }).strict(),
    dns: z.object({ hosted_zone_id: hostedZoneId }).strict().optional(),
    services: seedServices,
  })
  .strict();

const azureProvider = z
  .object({
    region: region('azure'),
    subscription_id: uuid,
    tenant_id: uuid,
    credentials: optionalCredentials(z.object({ client_id: secret, client_secret: secret }).strict()),
    store: z.object({ endpoint: httpUrl, key: secret, database: nonEmpty, container: nonEmpty }).strict(),
    traffic_manager: z.object({ resource_group: nonEmpty, profile: nonEmpty }).strict().optional(),
    services: seedServices,
  })
  .strict();

const gcpProvider = z
  .object({
    region: region('gcp'),
    project_id: gcpProjectId,
    credentials: optionalCredentials(z.object({ service_account_key: secret }).strict()),
    store: z.object({ collection: nonEmpty, emulator_host: hostAndPort.optional() }).strict(),
    dns: z.object({ managed_zone: cloudDnsZoneName }).strict().optional(),
    services: seedServices,
  })
  .strict();

const dns = z
  .object({ zone: fqdn, record: fqdn, ttl: integer(1, 86_400).default(30), weight_scale: integer(1, 1000).default(255) })
  .strict();

const backend = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "expected up to 64 letters, digits, '.', '_' or '-'"),
    url: httpUrl,
    provider: cloudName,
    region: nonEmpty,
    weight: integer(0, 255).default(100),
    version: nonEmpty.default('v1'),
    cost_per_million_requests: finiteNumber(0).default(0),
    latitude: finiteNumber(-90, 90).optional(),
    longitude: finiteNumber(-180, 180).optional(),
    transport: z.enum(['mcp', 'http']).default('mcp'),
  })
  .strict();

const health = z
  .object({
    probe_interval_seconds: integer(1).default(5),
    probe_timeout_ms: integer(1).default(2000),
    probe_concurrency: integer(1).default(8),
    failure_threshold: integer(1).default(2),
    recovery_threshold: integer(1).default(3),
    hold_down_seconds: integer(0).default(60),
    heartbeat_ttl_seconds: integer(1).default(30),
    observations_kept: integer(1).default(20),
    recheck_after_failure_ms: integer(0).optional(),
  })
  .strict();

const replication = z
  .object({
    write_quorum: integer(1).optional(),
    read_quorum: integer(1).optional(),
    consistency: z
      .record(nonEmpty, z.enum(['strong', 'eventual', 'causal']))
      .default({})
      .transform((configured) => ({ ...DEFAULT_CONSISTENCY, ...configured })),
  })
  .strict();

/** Upper bound of `router.workers` (a typo such as 1000 should not fork a thousand processes). */
export const MAX_ROUTER_WORKERS = 256;

/** An absolute request path; prefixes end with `/` unless they are a whole path. */
const requestPath = z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, "expected a path starting with '/'");
const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'expected an HTTP header name')
  .transform((name) => name.toLowerCase());

/** Worker processes of the plain Node router server: an integer >= 1, or `auto` (one per available CPU). */
const routerWorkers = z.unknown().transform((value, ctx): number | 'auto' => {
  if (value === 'auto') return 'auto';
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_ROUTER_WORKERS) return value;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected an integer from 1 to ${MAX_ROUTER_WORKERS} or "auto"` });
  return z.NEVER;
});

const router = z
  .object({
    workers: routerWorkers.default(1),
    strategy: z.enum(STRATEGY_NAMES as [StrategyName, ...StrategyName[]]).default('weighted'),
    mcp_path: requestPath.default('/mcp'),
    http_prefixes: z.array(requestPath).default([]),
    max_body_bytes: integer(1, 100 * 1024 * 1024).default(1024 * 1024),
    request_timeout_ms: integer(1).default(60_000),
    per_try_timeout_ms: integer(0).default(0),
    response_idle_timeout_ms: integer(0).default(300_000),
    deadline_header: headerName.default('x-meshgate-timeout-ms'),
    max_client_timeout_ms: integer(1).default(300_000),
    max_attempts: integer(1, 10).default(3),
    retry_rpc_methods_after_send: z.array(nonEmpty).default([]),
    sse_keep_alive_ms: integer(0).default(15_000),
    unknown_session: z.enum(['forward', 'not_found']).default('forward'),
    fail_open: z.boolean().default(true),
    forwarded_headers: z.boolean().default(true),
    client_key_header: headerName.default('x-meshgate-client-key'),
    affinity_cache_size: integer(1).default(100_000),
    session_ttl_seconds: integer(1).default(86_400),
    affinity_lookup_timeout_ms: integer(1).default(300),
    latency_budget_ms: integer(1).optional(),
    refresh_seconds: integer(1).default(5),
    upstream: z
      .object({ connections: integer(1, 4096).default(128), connect_timeout_ms: integer(1).default(2000) })
      .strict()
      .default({}),
  })
  .strict();

const multiCloudFields = z
  .object({
    enabled: z.boolean().default(true),
    default_provider: cloudName,
    providers: z.object({ aws: awsProvider.optional(), azure: azureProvider.optional(), gcp: gcpProvider.optional() }).strict(),
    dns,
    backends: z.array(backend).min(1),
    health: health.default({}),
    replication: replication.default({}),
    peers: z.object({ aws: httpUrl.optional(), azure: httpUrl.optional(), gcp: httpUrl.optional() }).strict().default({}),
    router: router.default({}),
  })
  .strict();

/** `multi_cloud` as written (snake_case), after field validation and defaults. */
export type RawMultiCloud = z.infer<typeof multiCloudFields>;

const multiCloud = multiCloudFields.superRefine((config, ctx) => {
  for (const { path, reason, dependsOn } of crossFieldIssues(config)) {
    const inputs = dependsOn.map((input) => [...ctx.path, ...input]);
    ctx.addIssue({ code: 'custom', path: [...path], message: reason, params: { dependsOn: inputs } });
  }
});

export const configFileSchema = z.object({ multi_cloud: multiCloud }).strict();

/**
 * Parses and validates the text of `meshgate.yaml`, interpolating `${VAR}` from `env`.
 * Throws `MeshgateError` (`validation`) listing every problem, one `<path>: <reason>` per line, also in
 * `details.errors`; no line contains a secret.
 */
export function parseConfig(text: string, env: Env, source = 'meshgate.yaml'): MeshgateConfig {
  const yaml = readYaml(text, env, source);
  const parsed = configFileSchema.safeParse(yaml.value, { errorMap: reasonFor });
  const schemaIssues = parsed.success ? [] : parsed.error.issues.flatMap(toConfigIssues);
  const issues = withoutFollowUps(yaml.issues, schemaIssues);
  if (!parsed.success || issues.length > 0) throw configError(source, issues.map(formatIssue));
  const raw = parsed.data.multi_cloud;
  const stores = configuredProviders(raw).length;
  return pruneAndFreeze(
    toMeshgateConfig(raw, source, {
      writeQuorum: effectiveQuorum(stores, raw.replication.write_quorum),
      readQuorum: effectiveQuorum(stores, raw.replication.read_quorum),
    }),
  );
}

/** zod reports all unknown keys of an object in one issue; we report each key at its own path. */
function toConfigIssues(issue: z.ZodIssue): ConfigIssue[] {
  const { path, message: reason } = issue;
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...path, key], reason }));
  const dependsOn = issue.code === 'custom' ? (issue.params?.dependsOn as ConfigPath[] | undefined) : undefined;
  return [dependsOn === undefined ? { path, reason } : { path, reason, dependsOn }];
}
