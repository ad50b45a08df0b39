/**
 * One physical store (a DynamoDB table, a Cosmos DB container, a Firestore collection, or memory).
 * The replicated store composes three of these; nothing else talks to them directly.
 */

/** JSON-compatible value as stored. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A record as held by one store. */
export interface VersionedRecord {
  /** Key, 1-512 characters, no control characters. Keys are grouped by `/`-separated prefixes. */
  readonly key: string;
  /** The payload. A tombstone carries `null` and `deleted: true`. */
  readonly value: JsonValue;
  /**
   * Opaque, totally ordered version chosen by the writer (an encoded HLC). Stores compare versions with
   * plain string comparison and never invent one.
   */
  readonly version: string;
  /** Tombstone marker: the key was deleted at `version`. Kept so deletes replicate like writes. */
  readonly deleted?: boolean;
  /** Epoch ms after which readers treat the record as absent. Stores keep it; they do not expire it. */
  readonly expiresAt?: number;
}

/**
 * Precondition for {@link KeyValueStore.put}.
 * - `absent`: create only; fails with `conflict` when the key exists (tombstones count as existing).
 * - `version`: compare-and-set; fails with `conflict` unless the stored version equals `version`.
 * - `older`: last-writer-wins; writes only when the key is absent or its stored version sorts strictly before
 *   the new record's version, otherwise fails with `conflict`. Used for replication and read repair.
 */
export type PutCondition =
  | { readonly kind: 'absent' }
  | { readonly kind: 'version'; readonly version: string }
  | { readonly kind: 'older' };

export interface ListOptions {
  /** Maximum number of records to return, in ascending key order. Default: all. */
  readonly limit?: number;
}

/**
 * A single key-value store with conditional writes.
 *
 * Every method either resolves or rejects with a `MeshgateError` whose code is one of:
 * `validation` (bad key or record; nothing written), `conflict` (a precondition failed; nothing written),
 * `not_found` (delete with a version precondition on a missing key), `unavailable` (store unreachable;
 * retryable; the write may or may not have happened), `throttled` (retryable; nothing written).
 */
export interface KeyValueStore {
  /** Stable name used in logs and metrics, e.g. `dynamodb`, `cosmos`, `firestore`, `memory`. */
  readonly name: string;

  /**
   * Reads one record, tombstones and expired records included (filtering is the caller's business).
   * Strongly consistent within this store. Resolves `undefined` when the key was never written.
   */
  get(key: string): Promise<VersionedRecord | undefined>;

  /**
   * Writes a record atomically, honouring `condition` when given (unconditional otherwise).
   * Idempotent when repeated with the same record and an `older` condition is not involved.
   */
  put(record: VersionedRecord, condition?: PutCondition): Promise<void>;

  /**
   * Removes a record physically. With `expectedVersion`, only when the stored version matches
   * (`conflict` otherwise, `not_found` when missing). Without it, deleting a missing key is a no-op.
   */
  delete(key: string, expectedVersion?: string): Promise<void>;

  /** Records whose key starts with `prefix`, ascending by key, tombstones and expired records included. */
  list(prefix: string, options?: ListOptions): Promise<VersionedRecord[]>;
}
