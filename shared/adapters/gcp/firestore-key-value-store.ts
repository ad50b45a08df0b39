/**
 * {@link KeyValueStore} on one Firestore collection (Native mode), `@google-cloud/firestore`.
 *
 * Documents: id = {@link encodeKeyAsId}(key) (no `/`, never `.`, `..` or `__x__`), fields `key`, `version`,
 * `value` (JSON text: Firestore cannot hold nested arrays and reserves some map keys), `deleted`, `expiresAt`.
 *
 * Conditions go through {@link ReadCompareWriteKeyValueStore}: `absent` is `create` (ALREADY_EXISTS →
 * conflict); `version` reads, compares, then `update` with a `lastUpdateTime` precondition on the update time
 * read (FAILED_PRECONDITION → conflict); `older` does the same and re-reads when it loses a race. Two RPCs and
 * no transaction locks. `list` is `key >= prefix AND key < successor(prefix) ORDER BY key` (UTF-8 byte order).
 *
 * Failing fast: the client retries UNAVAILABLE internally for minutes and cannot be cancelled, so every call
 * runs under the store's deadline (default 3 s) and answers `unavailable` when it passes. The abandoned call
 * may still complete later — exactly what `unavailable` allows ("may or may not have happened"). gRPC's
 * reconnect backoff is capped at 1 s so a store that comes back is used again within about a second.
 */
import { Firestore, type CollectionReference, type Query, type Settings, type Timestamp } from '@google-cloud/firestore';
import { MeshgateError } from '../../core/errors';
import type { VersionedRecord } from '../../ports/key-value-store';
import {
  encodeKeyAsId,
  fromStored,
  isNetworkError,
  prefixUpperBound,
  ReadCompareWriteKeyValueStore,
  storeError,
  toStored,
  type BaseKeyValueStoreOptions,
  type ReadForWrite,
  type StoreOperation,
} from '../_base/base-key-value-store';

/** The collection calls this adapter makes. */
export type FirestoreCollectionApi = Pick<CollectionReference, 'doc' | 'where' | 'orderBy'>;

/** Firestore's document id limit is 1500 bytes; encoded ids are ASCII. */
const MAX_ID_LENGTH = 1500;
/**
 * How long the SDK may go on retrying one call on its own: 5 attempts with exponential backoff between them
 * (1 s × 1.5ⁿ, jittered). Against a refused port one `get()` took 44 s before it gave up (each attempt ~7 s).
 */
const SDK_RETRY_WINDOW_MS = 60_000;

/** gRPC status codes (google.rpc.Code). */
const GRPC = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface FirestoreKeyValueStoreOptions extends BaseKeyValueStoreOptions {
  /** Called by {@link FirestoreKeyValueStore.close}, e.g. to terminate a client the store owns. */
  readonly onClose?: () => Promise<void> | void;
}

export class FirestoreKeyValueStore extends ReadCompareWriteKeyValueStore<Timestamp> {
  readonly name = 'firestore';

  constructor(
    private readonly collection: FirestoreCollectionApi,
    private readonly options: FirestoreKeyValueStoreOptions = {},
  ) {
    super(options);
  }

  /**
   * Releases the client. Waits first (up to a minute) for calls the SDK is still retrying on its own after they
   * were answered `unavailable`, so closing while the store is unreachable can take that long.
   */
  async close(): Promise<void> {
    // The SDK keeps retrying a failed call after we answered `unavailable`. Terminating the client under such a
    // call makes the SDK's next attempt reject a promise nobody holds: an unhandled rejection that ends the process.
    await this.whenIdle(SDK_RETRY_WINDOW_MS);
    await this.options.onClose?.();
  }

  protected override async readForWrite(key: string): Promise<ReadForWrite<Timestamp> | undefined> {
    const snapshot = await this.doc(key).get();
    if (!snapshot.exists || !snapshot.updateTime) return undefined;
    return { record: fromStored(snapshot.data(), this.name), token: snapshot.updateTime };
  }

  protected override async insert(record: VersionedRecord): Promise<'ok' | 'exists'> {
    try {
      await this.doc(record.key).create(toStored(record));
      return 'ok';
    } catch (err) {
      if (grpcCode(err) === GRPC.ALREADY_EXISTS) return 'exists';
      throw err;
    }
  }

  protected override async replace(record: VersionedRecord, updateTime: Timestamp): Promise<'ok' | 'changed'> {
    try {
      // update() with every field is a full replacement, and unlike set() it takes a precondition.
      await this.doc(record.key).update({ ...toStored(record) }, { lastUpdateTime: updateTime });
      return 'ok';
    } catch (err) {
      const code = grpcCode(err);
      if (code === GRPC.FAILED_PRECONDITION || code === GRPC.NOT_FOUND) return 'changed';
      throw err;
    }
  }

  protected override async upsert(record: VersionedRecord): Promise<void> {
    await this.doc(record.key).set(toStored(record));
  }

  protected override async remove(key: string, updateTime: Timestamp | undefined): Promise<'ok' | 'missing' | 'changed'> {
    try {
      await this.doc(key).delete(updateTime === undefined ? undefined : { lastUpdateTime: updateTime });
      return 'ok'; // Firestore deletes of missing documents succeed: nothing to tell apart without a precondition
    } catch (err) {
      const code = grpcCode(err);
      if (code === GRPC.FAILED_PRECONDITION || code === GRPC.NOT_FOUND) return 'changed';
      throw err;
    }
  }

  protected override async listRecords(prefix: string, limit: number | undefined): Promise<VersionedRecord[]> {
    let query: Query;
    if (prefix === '') query = this.collection.orderBy('key');
    else {
      query = this.collection.where('key', '>=', prefix);
      const bound = prefixUpperBound(prefix);
      if (bound !== undefined) query = query.where('key', '<', bound);
      query = query.orderBy('key');
    }
    if (limit !== undefined) query = query.limit(limit);
    const snapshot = await query.get();
    return snapshot.docs.map((doc) => fromStored(doc.data(), this.name)).filter((record) => record.key.startsWith(prefix));
  }

  protected override translateError(err: unknown, op: StoreOperation, key: string): MeshgateError {
    const message = err instanceof Error ? err.message : String(err);
    const code = grpcCode(err);
    const extra = { cause: err, details: { grpcCode: code } };
    switch (code) {
      case GRPC.ALREADY_EXISTS:
      case GRPC.ABORTED:
        return storeError('conflict', this.name, op, key, message, extra);
      case GRPC.NOT_FOUND:
        return storeError('not_found', this.name, op, key, message, extra);
      case GRPC.INVALID_ARGUMENT:
        return storeError('validation', this.name, op, key, message, extra);
      case GRPC.PERMISSION_DENIED:
      case GRPC.UNAUTHENTICATED:
        return storeError('unauthorized', this.name, op, key, message, extra);
      case GRPC.RESOURCE_EXHAUSTED:
        return storeError('throttled', this.name, op, key, message, extra);
      case GRPC.CANCELLED:
      case GRPC.DEADLINE_EXCEEDED:
      case GRPC.INTERNAL:
      case GRPC.UNAVAILABLE:
        return storeError('unavailable', this.name, op, key, message, extra);
      default:
        // FAILED_PRECONDITION outside a guarded write means a missing index or similar: not the caller's race.
        if (isNetworkError(err)) return storeError('unavailable', this.name, op, key, message, extra);
        return storeError('internal', this.name, op, key, message, extra);
    }
  }

  private doc(key: string) {
    return this.collection.doc(encodeKeyAsId(key, MAX_ID_LENGTH));
  }
}

function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

export interface FirestoreKeyValueStoreConfig {
  readonly projectId: string;
  readonly collection: string;
  /** Named database (default `(default)`). */
  readonly databaseId?: string;
  /** `host:port` of the Firestore emulator; connects without TLS or credentials. */
  readonly emulatorHost?: string;
  /** Service account key; omit to use Application Default Credentials. */
  readonly credentials?: { readonly client_email: string; readonly private_key: string };
  /** Deadline per store call in ms (default 3000). */
  readonly timeoutMs?: number;
}

/**
 * Builds the real client and a store that owns it. Note: the Firestore SDK itself lets a
 * `FIRESTORE_EMULATOR_HOST` environment variable override `emulatorHost`/the production host.
 */
export function createFirestoreKeyValueStore(config: FirestoreKeyValueStoreConfig): FirestoreKeyValueStore {
  const settings: Settings = {
    projectId: config.projectId,
    ...(config.databaseId === undefined ? {} : { databaseId: config.databaseId }),
    // Emulator: plain gRPC, no credentials; a fixed universe domain stops google-auth probing the GCE metadata server.
    ...(config.emulatorHost === undefined ? {} : { host: config.emulatorHost, ssl: false, universeDomain: 'googleapis.com' }),
    ...(config.credentials === undefined ? {} : { credentials: { ...config.credentials } }),
    // Come back quickly after an outage instead of gRPC's default exponential reconnect backoff (up to 2 min).
    'grpc.initial_reconnect_backoff_ms': 250,
    'grpc.max_reconnect_backoff_ms': 1_000,
  };
  const firestore = new Firestore(settings);
  return new FirestoreKeyValueStore(firestore.collection(config.collection), {
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
    // terminate() waits for calls still retrying against a dead store; do not let that hang shutdown.
    onClose: () =>
      Promise.race([firestore.terminate(), new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref())]),
  });
}
