/**
 * A function set's environment for a test file, against the run's emulators (started by
 * test/emulators/global-setup.ts): a YAML configuration with the three providers on fresh, provisioned
 * tables/containers/collections, the backends and peers the test passes in and short health timings, handed
 * to the code under test the way a deployment hands it over (MESHGATE_CONFIG_INLINE, MESHGATE_CLOUD, ...).
 *
 * jest gives each test file its own process.env copy and module registry, and the composition root builds
 * its services lazily on first call, so `await useFunctionEnv('aws', ...)` in `beforeAll` is enough for the
 * entry points in functions/<cloud> to pick the configuration up.
 *
 * The configuration alone (for a test that builds services itself) comes from {@link functionConfig} and
 * {@link provisionStores}.
 */
import { stringify } from 'yaml';
import { createStores } from '../../shared/composition/context';
import { parseConfig, type CloudName, type LogLevel, type MeshgateConfig } from '../../shared/config';
import type { KeyValueStore } from '../../shared/ports/key-value-store';
import {
  ENV_COSMOS_ENDPOINT,
  ENV_FIRESTORE_HOST,
  ENV_MOTO_ENDPOINT,
  TEST_AWS_CREDENTIALS,
  TEST_COSMOS_DATABASE,
  TEST_FIRESTORE_PROJECT,
  uniqueName,
} from '../emulators/stores';

export interface TestBackend {
  readonly id: string;
  readonly url: string;
  /** Default `mcp`. */
  readonly transport?: 'mcp' | 'http';
  /** The cloud it is said to run on; default aws. */
  readonly provider?: CloudName;
}

/** The `health:` block, snake_case as in meshgate.yaml. */
export interface TestHealthSettings {
  readonly probe_interval_seconds?: number;
  readonly probe_timeout_ms?: number;
  readonly probe_concurrency?: number;
  readonly failure_threshold?: number;
  readonly recovery_threshold?: number;
  readonly hold_down_seconds?: number;
  readonly heartbeat_ttl_seconds?: number;
  readonly observations_kept?: number;
}

export interface FunctionConfigOptions {
  /**
   * MCP (or plain HTTP) backends the health tick probes, e.g. a `startDemoMcpServer` URL. At least one is
   * required by the schema; without any, one on a closed loopback port (every probe fails fast) stands in.
   */
  readonly backends?: readonly TestBackend[];
  /** Base URL of each cloud's function set (Azure's ends with `/api`). Default none. */
  readonly peers?: Partial<Record<CloudName, string>>;
  /** Merged over {@link TEST_HEALTH}. */
  readonly health?: TestHealthSettings;
  /** Region per cloud; default {@link TEST_REGIONS}. */
  readonly regions?: Partial<Record<CloudName, string>>;
  /** Prefix of the fresh table/container/collection names. Default `fn`. */
  readonly prefix?: string;
}

export interface FunctionEnvOptions extends FunctionConfigOptions {
  /** MESHGATE_BUILD_VERSION; default {@link TEST_BUILD_VERSION}. */
  readonly buildVersion?: string;
  /** MESHGATE_LOG_LEVEL; default `silent`, so assertions on captured stdout see only the runtime adapters' lines. */
  readonly logLevel?: LogLevel;
  /** MESHGATE_NODE_ID; unset by default (the function picks `<cloud>-<region>-<random>`). */
  readonly nodeId?: string;
}

/**
 * Short timings: a sub-tick every 3 s with 2 s probe timeouts, and every store call bounded at the most the
 * health function allows, min(1000, timeout / 2) = 1000 ms: room enough on a loaded two-core machine.
 */
export const TEST_HEALTH: Readonly<TestHealthSettings> = Object.freeze({
  probe_interval_seconds: 3,
  probe_timeout_ms: 2000,
  heartbeat_ttl_seconds: 15,
});

/**
 * A tick deadline this far away runs exactly one sub-tick at {@link TEST_HEALTH}'s timings: the tick keeps
 * 1 s free before its deadline and starts a sub-tick only while a whole probe timeout still fits, so the
 * window is 4 s and the second sub-tick (at 3 s, ending at 5 s) does not fit. The sub-tick's probes end
 * within its 3 s interval and their writes within the window, so a tick usually returns 2 s, and at the
 * latest 1 s, before the deadline: slack for a starved event loop before a Lambda-style deadline (middy's
 * timeout) is missed.
 */
export const TEST_TICK_BUDGET_MS = 5_000;

export const TEST_REGIONS: Readonly<Record<CloudName, string>> = Object.freeze({ aws: 'eu-west-1', azure: 'westeurope', gcp: 'europe-west1' });
export const TEST_BUILD_VERSION = '1.2.3-test';

/** Nothing listens on the discard port: a stand-in backend whose probes fail with `connection` at once. */
const CLOSED_BACKEND: TestBackend = { id: 'closed', url: 'http://127.0.0.1:9/mcp' };

function endpoint(variable: string): string {
  const value = process.env[variable];
  if (!value) throw new Error(`${variable} is not set: run through jest (globalSetup starts the emulators)`);
  return value;
}

/**
 * The configuration YAML (and its parsed form) of a three-cloud mesh on the run's emulators, each store on a
 * fresh name. Call {@link provisionStores} before a function uses it.
 */
export function functionConfig(options: FunctionConfigOptions = {}): { yaml: string; config: MeshgateConfig } {
  const regions = { ...TEST_REGIONS, ...options.regions };
  const prefix = options.prefix ?? 'fn';
  const backends = options.backends?.length ? options.backends : [CLOSED_BACKEND];
  const document = {
    multi_cloud: {
      enabled: true,
      default_provider: 'aws',
      providers: {
        aws: {
          region: regions.aws,
          account_id: '123456789012',
          credentials: { access_key_id: TEST_AWS_CREDENTIALS.accessKeyId, secret_access_key: TEST_AWS_CREDENTIALS.secretAccessKey },
          endpoint: endpoint(ENV_MOTO_ENDPOINT),
          store: { table: uniqueName(`${prefix}-aws`) },
        },
        azure: {
          region: regions.azure,
          subscription_id: '00000000-0000-0000-0000-000000000000',
          tenant_id: '00000000-0000-0000-0000-000000000000',
          store: { endpoint: endpoint(ENV_COSMOS_ENDPOINT), key: 'emulator', database: TEST_COSMOS_DATABASE, container: uniqueName(`${prefix}-azure`) },
        },
        gcp: {
          region: regions.gcp,
          project_id: TEST_FIRESTORE_PROJECT,
          store: { collection: uniqueName(`${prefix}-gcp`), emulator_host: endpoint(ENV_FIRESTORE_HOST) },
        },
      },
      dns: { zone: 'meshgate.test', record: 'mcp.meshgate.test', ttl: 5 },
      backends: backends.map((b) => {
        const provider = b.provider ?? 'aws';
        return { id: b.id, url: b.url, provider, region: regions[provider], transport: b.transport ?? 'mcp' };
      }),
      health: { ...TEST_HEALTH, ...options.health },
      peers: { ...options.peers },
    },
  };
  const yaml = stringify(document);
  return { yaml, config: parseConfig(yaml, {}, 'test/support/function-env') };
}

type Provisionable = KeyValueStore & { ensureTable?: () => Promise<void>; ensureContainer?: () => Promise<void>; close?: () => Promise<void> };

/** Creates the configuration's DynamoDB table and Cosmos container (Firestore needs nothing), then lets go of the clients. */
export async function provisionStores(config: MeshgateConfig): Promise<void> {
  const stores = createStores(config) as Provisionable[];
  try {
    await Promise.all(stores.map((store) => (store.ensureTable ?? store.ensureContainer)?.call(store)));
  } finally {
    await closeStores(stores);
  }
}

/** Closes clients made by `createStores` (the port has no `close`; every adapter does). */
export async function closeStores(stores: readonly KeyValueStore[]): Promise<void> {
  await Promise.allSettled(stores.map((store) => (store as Provisionable).close?.()));
}

/** A restore function (also closing what it opened) that carries the configuration it installed. */
export interface FunctionEnv {
  (): Promise<void>;
  readonly cloud: CloudName;
  readonly yaml: string;
  readonly config: MeshgateConfig;
  readonly buildVersion: string;
  /**
   * Resolves once every store holds `key`: the background fan-out of an `eventual` write (heartbeats and
   * observations are acknowledged by the first store that takes them) has reached every replica, so any
   * replica's answer sees it. Rejects after `timeoutMs`, naming the stores still missing it.
   */
  replicated(key: string, timeoutMs?: number): Promise<void>;
}

const VARIABLES = ['MESHGATE_CLOUD', 'MESHGATE_CONFIG', 'MESHGATE_CONFIG_INLINE', 'MESHGATE_BUILD_VERSION', 'MESHGATE_LOG_LEVEL', 'MESHGATE_NODE_ID'] as const;

/**
 * Provisions fresh stores, then points this test file's function set (cloud `cloud`) at them through the
 * environment. Call in `beforeAll`, before the first call into a function; `afterAll(env)` restores.
 */
export async function useFunctionEnv(cloud: CloudName, options: FunctionEnvOptions = {}): Promise<FunctionEnv> {
  const { yaml, config } = functionConfig({ prefix: `fn-${cloud}`, ...options });
  await provisionStores(config);
  const buildVersion = options.buildVersion ?? TEST_BUILD_VERSION;
  const saved = new Map(VARIABLES.map((name) => [name, process.env[name]] as const));
  for (const name of VARIABLES) delete process.env[name];
  process.env.MESHGATE_CLOUD = cloud;
  process.env.MESHGATE_CONFIG_INLINE = yaml;
  process.env.MESHGATE_BUILD_VERSION = buildVersion;
  process.env.MESHGATE_LOG_LEVEL = options.logLevel ?? 'silent';
  if (options.nodeId !== undefined) process.env.MESHGATE_NODE_ID = options.nodeId;

  let readers: KeyValueStore[] | undefined;
  const restore = async (): Promise<void> => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    if (readers !== undefined) await closeStores(readers.splice(0));
  };
  const replicated = async (key: string, timeoutMs = 10_000): Promise<void> => {
    readers ??= createStores(config);
    const stores = readers;
    const until = Date.now() + timeoutMs;
    for (;;) {
      const answers = await Promise.all(stores.map((store) => store.get(key).then((record) => record !== undefined, () => false)));
      if (answers.every(Boolean)) return;
      if (Date.now() >= until) {
        const missing = stores.filter((_, i) => !answers[i]).map((store) => store.name);
        throw new Error(`${key} did not reach every store within ${timeoutMs} ms; missing from ${missing.join(', ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return Object.assign(restore, { cloud, yaml, config, buildVersion, replicated });
}

/**
 * True when a `GET /health` body says the bounded read of the store timed out (`checks.store.error: 'timeout'`).
 * The read is bounded at 1 s; a machine starved of CPU can miss that without anything being wrong.
 */
export function storeTimedOut(body: unknown): boolean {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? null);
  try {
    const parsed = JSON.parse(text) as { checks?: { store?: { ok?: unknown; error?: unknown } } };
    return parsed.checks?.store?.ok === false && parsed.checks.store.error === 'timeout';
  } catch {
    return false;
  }
}

/**
 * Calls `read` until `retry(result)` is false, at most `attempts` times, and returns the last result: for
 * repeating a `GET /health` whose store read timed out ({@link storeTimedOut}), never any other answer.
 */
export async function retryWhile<T>(read: () => Promise<T>, retry: (result: T) => boolean, attempts = 3): Promise<T> {
  let result = await read();
  for (let attempt = 1; attempt < attempts && retry(result); attempt += 1) result = await read();
  return result;
}
