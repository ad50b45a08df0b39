/**
 * One physical store (a DynamoDB table, a Cosmos DB container, a Firestore collection, or memory).
 * The replicated store composes three of these; nothing else talks to them directly.
 */

/** JSON-compatible value as stored. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A record as held by one store. The limits below are {@link KeyValueStore}'s: every store enforces the same ones
 * (the tightest backend decides), so a record one store accepts, every store accepts.
 */
export interface VersionedRecord {
  /**
   * Key: 1-512 UTF-16 code units and at most 1024 bytes in UTF-8 (DynamoDB's sort-key limit), well-formed Unicode
   * (no unpaired surrogates), no control characters (U+0000-U+001F, U+007F-U+009F). Keys are grouped by
   * `/`-separated prefixes and ordered by Unicode code point, which is UTF-8 byte order.
   */
  readonly key: string;
  /**
   * The payload: JSON (finite numbers, plain objects, dense arrays, no cycles, nested at most 64 levels below the
   * top), at most 350 KiB (358 400 bytes) as UTF-8 JSON text, which leaves room for the rest of the item under
   * DynamoDB's 400 KB item limit. A tombstone carries `null` and `deleted: true`.
   */
  readonly value: JsonValue;
  /**
   * Opaque, totally ordered version chosen by the writer (an encoded HLC): 1-128 printable ASCII characters
   * (U+0021-U+007E, no spaces), so that plain string comparison orders versions the same way in every store.
   * Stores compare versions with plain string comparison and never invent one.
   */
  readonly version: string;
  /** Tombstone marker: the key was deleted at `version`. Kept so deletes replicate like writes. */
  readonly deleted?: boolean;
  /**
   * Epoch ms (a non-negative integer) after which readers treat the record as absent. Stores keep it; they do not
   * expire it.
   */
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
  /** Maximum number of records to return (a positive integer), in ascending key order. Default: all. */
  readonly limit?: number;
}

/**
 * A single key-value store with conditional writes.
 *
 * Every method either resolves or rejects with a `MeshgateError` whose code is one of:
 * `validation` (bad input; nothing written), `conflict` (a precondition failed; nothing written),
 * `not_found` (delete with a version precondition on a missing key), `unavailable` (store unreachable;
 * retryable; the write may or may not have happened), `throttled` (retryable; nothing written).
 *
 * Input is checked before any I/O, identically in every store; anything outside these limits rejects with
 * `validation` (not retryable), its message naming the field and the limit:
 * - keys (of `get`, `put`, `delete`) as {@link VersionedRecord.key}: at most 512 UTF-16 code units and 1024 UTF-8
 *   bytes; a `list` prefix is `''` (everything) or follows the same rules;
 * - versions (of records, `version` conditions and `expectedVersion`) as {@link VersionedRecord.version}:
 *   1-128 printable ASCII characters;
 * - values as {@link VersionedRecord.value}: JSON, at most 350 KiB serialised; a tombstone's value is `null`;
 *   `deleted` is a boolean; `expiresAt` a non-negative integer;
 * - a condition's `kind` is `absent`, `version` or `older`; {@link ListOptions.limit} is a positive integer.
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
