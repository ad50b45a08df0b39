/**
 * {@link KeyValueStore} on one Cosmos DB (NoSQL API) container, `@azure/cosmos` v4.
 *
 * Items: `id` = {@link encodeKeyAsId}(key) (Cosmos ids may not hold `/ \ ? #` and stop at 255 characters),
 * partition key path `/pk` = {@link partitionOf}(key) (text up to and including the first `/`), plus `key`,
 * `version`, `value` (JSON text), `deleted`, `expiresAt`.
 *
 * Conditions go through {@link ReadCompareWriteKeyValueStore}: `absent` is `items.create` (409 → conflict);
 * `version` reads, compares, then `replace` with `IfMatch` on the ETag read (412 → conflict); `older` does the
 * same and re-reads when it loses a race. `list` is a SQL query `STARTSWITH(c.key, @prefix) ORDER BY c.key`,
 * inside one partition when the prefix holds a `/`, cross-partition otherwise.
 */
import { CosmosClient, type Container, type ItemResponse, type SqlQuerySpec } from '@azure/cosmos';
import { MeshgateError } from '../../core/errors';
import type { VersionedRecord } from '../../ports/key-value-store';
import {
  codeForHttpStatus,
  encodeKeyAsId,
  fromStored,
  isNetworkError,
  isSinglePartitionPrefix,
  partitionOf,
  ReadCompareWriteKeyValueStore,
  storeError,
  toStored,
  type BaseKeyValueStoreOptions,
  type ReadForWrite,
  type StoredRecord,
  type StoreOperation,
} from '../_base/base-key-value-store';

/** The container calls this adapter makes. */
export type CosmosContainerApi = Pick<Container, 'item' | 'items'>;

/** Cosmos DB's id limit. */
const MAX_ID_LENGTH = 255;
const PAGE_SIZE = 100;
/** Substatus of a 404 whose container or database is missing (not the item). */
const OWNER_RESOURCE_MISSING = 1003;

interface CosmosItem extends StoredRecord {
  id: string;
  pk: string;
}

export interface CosmosKeyValueStoreOptions extends BaseKeyValueStoreOptions {
  /** Creates database and container when missing; used by {@link CosmosKeyValueStore.ensureContainer}. */
  readonly provision?: () => Promise<void>;
  /** Called by {@link CosmosKeyValueStore.close}, e.g. to dispose a client the store owns. */
  readonly onClose?: () => Promise<void> | void;
}

export class CosmosKeyValueStore extends ReadCompareWriteKeyValueStore<string> {
  readonly name = 'cosmos';

  constructor(
    private readonly container: CosmosContainerApi,
    private readonly options: CosmosKeyValueStoreOptions = {},
  ) {
    super(options);
  }

  /** Creates the database and container (partition key `/pk`) when missing. Idempotent. */
  async ensureContainer(): Promise<void> {
    if (!this.options.provision) {
      throw new MeshgateError('internal', 'cosmos: this store was built around an existing container; create it with partition key /pk');
    }
    try {
      await this.options.provision();
    } catch (err) {
      throw err instanceof MeshgateError ? err : this.translateError(err, 'put', '(container)');
    }
  }

  async close(): Promise<void> {
    await this.options.onClose?.();
  }

  protected override async readForWrite(key: string, abortSignal: AbortSignal): Promise<ReadForWrite<string> | undefined> {
    const response: ItemResponse<CosmosItem> = await this.container
      .item(encodeKeyAsId(key, MAX_ID_LENGTH), partitionOf(key))
      .read<CosmosItem>({ abortSignal });
    if (response.statusCode === 404 || !response.resource) {
      if (response.substatus === OWNER_RESOURCE_MISSING) {
        throw storeError('unavailable', this.name, 'get', key, 'container or database does not exist (ensureContainer() creates it)');
      }
      return undefined;
    }
    return { record: fromStored(response.resource, this.name), token: response.etag };
  }

  protected override async insert(record: VersionedRecord, abortSignal: AbortSignal): Promise<'ok' | 'exists'> {
    try {
      await this.container.items.create(toItem(record), { abortSignal });
      return 'ok';
    } catch (err) {
      if (statusOf(err) === 409) return 'exists';
      throw err;
    }
  }

  protected override async replace(record: VersionedRecord, etag: string, abortSignal: AbortSignal): Promise<'ok' | 'changed'> {
    try {
      await this.container
        .item(encodeKeyAsId(record.key, MAX_ID_LENGTH), partitionOf(record.key))
        .replace(toItem(record), { accessCondition: { type: 'IfMatch', condition: etag }, abortSignal });
      return 'ok';
    } catch (err) {
      const status = statusOf(err);
      if (status === 412 || status === 404) return 'changed';
      throw err;
    }
  }

  protected override async upsert(record: VersionedRecord, abortSignal: AbortSignal): Promise<void> {
    await this.container.items.upsert(toItem(record), { abortSignal });
  }

  protected override async remove(key: string, etag: string | undefined, abortSignal: AbortSignal): Promise<'ok' | 'missing' | 'changed'> {
    try {
      await this.container
        .item(encodeKeyAsId(key, MAX_ID_LENGTH), partitionOf(key))
        .delete(etag === undefined ? { abortSignal } : { accessCondition: { type: 'IfMatch', condition: etag }, abortSignal });
      return 'ok';
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 && (err as { substatus?: number }).substatus !== OWNER_RESOURCE_MISSING) return 'missing';
      if (status === 412) return 'changed';
      throw err;
    }
  }

  protected override async listRecords(prefix: string, limit: number | undefined, abortSignal: AbortSignal): Promise<VersionedRecord[]> {
    const query: SqlQuerySpec = {
      query: 'SELECT * FROM c WHERE STARTSWITH(c.key, @prefix) ORDER BY c.key ASC',
      parameters: [{ name: '@prefix', value: prefix }],
    };
    const iterator = this.container.items.query<CosmosItem>(query, {
      maxItemCount: Math.min(limit ?? PAGE_SIZE, PAGE_SIZE),
      abortSignal,
      ...(isSinglePartitionPrefix(prefix) ? { partitionKey: partitionOf(prefix) } : {}),
    });
    const out: VersionedRecord[] = [];
    while (iterator.hasMoreResults() && (limit === undefined || out.length < limit)) {
      const { resources } = await iterator.fetchNext();
      for (const item of resources ?? []) out.push(fromStored(item, this.name));
    }
    return limit === undefined ? out : out.slice(0, limit);
  }

  protected override translateError(err: unknown, op: StoreOperation, key: string): MeshgateError {
    const message = err instanceof Error ? err.message : String(err);
    const status = statusOf(err);
    const substatus = (err as { substatus?: number } | undefined)?.substatus;
    const extra = { cause: err, details: { status, substatus } };
    if (status === 409 || status === 412) return storeError('conflict', this.name, op, key, message, extra);
    if (status === 404) {
      return substatus === OWNER_RESOURCE_MISSING
        ? storeError('unavailable', this.name, op, key, `container or database does not exist (ensureContainer() creates it): ${message}`, extra)
        : storeError('not_found', this.name, op, key, message, extra);
    }
    if (status === 400 || status === 413) return storeError('validation', this.name, op, key, message, extra);
    const code = codeForHttpStatus(status);
    if (code) return storeError(code, this.name, op, key, message, extra);
    if (isNetworkError(err)) return storeError('unavailable', this.name, op, key, message, extra);
    return storeError('internal', this.name, op, key, message, extra);
  }
}

function toItem(record: VersionedRecord): CosmosItem {
  return { id: encodeKeyAsId(record.key, MAX_ID_LENGTH), pk: partitionOf(record.key), ...toStored(record) };
}

/** HTTP status of a Cosmos error (`code` is numeric for service answers, a string for transport errors). */
function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown } | undefined)?.code ?? (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export interface CosmosKeyValueStoreConfig {
  /** Account endpoint, e.g. `https://acct.documents.azure.com:443/` or `http://127.0.0.1:PORT` (emulator). */
  readonly endpoint: string;
  readonly key: string;
  readonly database: string;
  readonly container: string;
  /** Per-request HTTP timeout in ms (default 1500). */
  readonly requestTimeoutMs?: number;
  /** Deadline per store call in ms (default 3000). */
  readonly timeoutMs?: number;
  /** Multi-region endpoint discovery (default false: talk to `endpoint` only; required by the emulator). */
  readonly enableEndpointDiscovery?: boolean;
}

/** Builds the real client (one throttle retry, short timeouts) and a store that owns it. */
export function createCosmosKeyValueStore(config: CosmosKeyValueStoreConfig): CosmosKeyValueStore {
  const client = new CosmosClient({
    endpoint: config.endpoint,
    key: config.key,
    connectionPolicy: {
      enableEndpointDiscovery: config.enableEndpointDiscovery ?? false,
      requestTimeout: config.requestTimeoutMs ?? 1_500,
      retryOptions: { maxRetryAttemptCount: 1, fixedRetryIntervalInMilliseconds: 100, maxWaitTimeInSeconds: 1 },
    },
  });
  const database = client.database(config.database);
  const provision = async (): Promise<void> => {
    await onceMoreOnConflict(() => client.databases.createIfNotExists({ id: config.database }));
    const { resource } = await onceMoreOnConflict(() =>
      database.containers.createIfNotExists({ id: config.container, partitionKey: { paths: ['/pk'] } }),
    );
    const paths = resource?.partitionKey?.paths ?? [];
    if (paths.length !== 1 || paths[0] !== '/pk') {
      throw new MeshgateError('internal', `cosmos: container "${config.container}" exists with partition key [${paths.join(', ')}], expected /pk`);
    }
  };
  return new CosmosKeyValueStore(database.container(config.container), {
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
    provision,
    onClose: () => client.dispose(),
  });
}

/** `createIfNotExists` is read-then-create: a concurrent creator makes it fail with 409; the retry reads it. */
async function onceMoreOnConflict<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
    return call();
  }
}
