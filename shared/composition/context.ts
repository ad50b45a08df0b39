/**
 * The composition root shared by every function: configuration, runtime identity, logger, clock and the
 * replicated store, built once per process (per warm Lambda sandbox, Azure worker or Cloud Functions instance)
 * on first use, so a misconfigured function set fails its invocations with a logged, named error instead of
 * crashing at import.
 */
import { MeshgateError } from '../core/errors';
import { createDynamoRestKeyValueStore } from '../adapters/aws/dynamodb-rest-key-value-store';
import { createCosmosRestKeyValueStore } from '../adapters/azure/cosmos-rest-key-value-store';
import { createFirestoreRestKeyValueStore } from '../adapters/gcp/firestore-rest-key-value-store';
import type { ServiceAccountKey } from '../adapters/gcp/google-auth';
import { createPinoLogger } from '../adapters/log/pino-logger';
import { systemClock } from '../adapters/system-clock';
import { awsCredentialsFromEnv, loadConfig, loadRuntime, type MeshgateConfig, type Runtime } from '../config';
import type { Clock } from '../ports/clock';
import type { KeyValueStore } from '../ports/key-value-store';
import type { Logger } from '../ports/logger';
import { ReplicatedStore } from '../usecases/replicated-store';

export interface AppContext {
  readonly config: MeshgateConfig;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly store: ReplicatedStore;
}

/**
 * One KeyValueStore per configured cloud: DynamoDB, Cosmos DB, Firestore. Every function writes to all three,
 * so every bundle carries all three clients: each is reached through its REST API on the runtime's fetch
 * (about 60 KB together) rather than its SDK (~3 MB with gRPC and the AWS SDK), which keeps each function within
 * the cold-start budget. The SDK adapters hold the same data layout and remain available. Without explicit AWS
 * credentials, DynamoDB calls use the execution role's credentials from the Lambda environment.
 */
export function createStores(config: MeshgateConfig): KeyValueStore[] {
  const { aws, azure, gcp } = config.providers;
  const stores: KeyValueStore[] = [];
  if (aws) {
    stores.push(
      createDynamoRestKeyValueStore({
        region: aws.region,
        table: aws.store.table,
        ...(aws.endpoint === undefined ? {} : { endpoint: aws.endpoint }),
        credentials: aws.credentials ?? (async () => awsCredentialsFromEnv()),
      }),
    );
  }
  if (azure) stores.push(createCosmosRestKeyValueStore({ ...azure.store }));
  if (gcp) {
    stores.push(
      createFirestoreRestKeyValueStore({
        projectId: gcp.projectId,
        collection: gcp.store.collection,
        ...(gcp.store.emulatorHost === undefined ? {} : { emulatorHost: gcp.store.emulatorHost }),
        ...(gcp.credentials === undefined ? {} : { credentials: serviceAccount(gcp.credentials.serviceAccountKey) }),
      }),
    );
  }
  return stores;
}

function serviceAccount(json: string): ServiceAccountKey {
  try {
    const key = JSON.parse(json) as Record<string, unknown>;
    if (typeof key.client_email === 'string' && typeof key.private_key === 'string') {
      return {
        client_email: key.client_email,
        private_key: key.private_key,
        ...(typeof key.private_key_id === 'string' ? { private_key_id: key.private_key_id } : {}),
        ...(typeof key.token_uri === 'string' ? { token_uri: key.token_uri } : {}),
      };
    }
  } catch {
    // fall through to the error below; the key itself must never reach a message
  }
  throw new MeshgateError('validation', 'multi_cloud.providers.gcp.credentials.service_account_key: expected a service account JSON key with client_email and private_key');
}

export function createAppContext(config: MeshgateConfig, runtime: Runtime): AppContext {
  const logger = createPinoLogger({ level: runtime.logLevel, fields: { cloud: runtime.cloud, nodeId: runtime.nodeId } });
  const store = new ReplicatedStore({
    stores: createStores(config),
    clock: systemClock,
    nodeId: runtime.nodeId,
    writeQuorum: config.replication.writeQuorum,
    readQuorum: config.replication.readQuorum,
    consistency: config.replication.consistency,
    logger,
  });
  return { config, runtime, logger, clock: systemClock, store };
}

/**
 * Builds `make(context)` once, on first call, from the process environment. A configuration error is logged
 * (without secrets) and every call then fails with `unavailable`, naming the fix in the log, not the response.
 */
export function lazyService<T>(make: (context: AppContext) => T): () => T {
  let built: { value: T } | { error: MeshgateError } | undefined;
  return () => {
    if (built === undefined) {
      try {
        const config = loadConfig();
        built = { value: make(createAppContext(config, loadRuntime({ config }))) };
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        process.stderr.write(`${JSON.stringify({ level: 'fatal', event: 'composition.failed', error: reason })}\n`);
        built = { error: new MeshgateError('unavailable', 'this function set is misconfigured; see its logs', { cause: err, retryable: false, expose: true }) };
      }
    }
    if ('error' in built) throw built.error;
    return built.value;
  };
}
