/**
 * The DynamoDB table design shared by the SDK adapter (dynamodb-key-value-store.ts) and the fetch-based one
 * (dynamodb-rest-key-value-store.ts), so either reads what the other wrote. This is the one description of it;
 * the adapters describe only how they talk to DynamoDB. No SDK imports: the attribute values here are plain
 * DynamoDB JSON, which is also what the SDK's low-level client takes.
 *
 * Table: partition key `pk` (S) = {@link partitionOf}(key) (the text up to and including the first `/`, or the
 * whole key), sort key `sk` (S) = the full key, on-demand capacity. All keys under one first segment share a
 * partition key (an item collection): fine for control-plane volumes.
 * Items: `pk`, `sk`, `version` (S), `value` (S, JSON text), `deleted` (BOOL), `expiresAt` (N, only when set).
 * Conditions: `absent` = `attribute_not_exists(pk)`, `version` = `#version = :v`, `older` =
 * `attribute_not_exists(pk) OR #version < :v` (versions are printable ASCII, so DynamoDB's byte-wise string
 * comparison matches the port's); a versioned delete is conditional on `#version = :v`.
 * Listing: DynamoDB cannot query a hash key by prefix, so
 * - `list(prefix)` with a `/` in the prefix is a strongly consistent Query on one partition with
 *   `begins_with(sk, :prefix)`, in sort-key order (UTF-8 bytes), paginated until `limit` or the end;
 * - `list(prefix)` without `/` (e.g. `meshgate` or ``) may span partitions and falls back to a consistent Scan
 *   with a `begins_with` filter, paginated fully and sorted by the adapter. Scans read the whole table: keep prefixes
 *   that include a `/` on hot paths.
 */
import type { ErrorCode } from '../../core/errors';
import type { PutCondition, VersionedRecord } from '../../ports/key-value-store';
import { fromStored, partitionOf, toStored } from '../_base/base-key-value-store';

/** An attribute value as this layout writes it (assignable to the SDK's `AttributeValue`). */
export type DynamoAttribute = { S: string } | { N: string } | { BOOL: boolean };
export type DynamoItem = Record<string, DynamoAttribute>;

/** What {@link decodeItem} reads of an attribute (the SDK's `AttributeValue` and plain DynamoDB JSON both fit). */
export interface ReadableAttribute {
  readonly S?: string;
  readonly N?: string;
  readonly BOOL?: boolean;
}
export type ReadableItem = Readonly<Record<string, ReadableAttribute | undefined>>;

export const VERSION_NAMES = { '#version': 'version' } as const;

/** CreateTable parameters (besides `TableName`). */
export const TABLE_DEFINITION = {
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
} as const;

/** The primary key of `key`'s item. */
export function keyOf(key: string): DynamoItem {
  return { pk: { S: partitionOf(key) }, sk: { S: key } };
}

/** The whole item for a record. */
export function itemOf(record: VersionedRecord): DynamoItem {
  const stored = toStored(record);
  return {
    ...keyOf(record.key),
    version: { S: stored.version },
    value: { S: stored.value },
    deleted: { BOOL: stored.deleted },
    ...(stored.expiresAt === null ? {} : { expiresAt: { N: String(stored.expiresAt) } }),
  };
}

/** Reads an item back; anything malformed is `internal`. */
export function decodeItem(item: ReadableItem, store: string): VersionedRecord {
  return fromStored(
    { key: item.sk?.S, version: item.version?.S, value: item.value?.S, deleted: item.deleted?.BOOL, expiresAt: item.expiresAt?.N },
    store,
  );
}

export interface ConditionParams {
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: DynamoItem;
}

/** The PutItem condition for a port condition (`older` compares with the new record's version). */
export function conditionExpression(condition: PutCondition | undefined, newVersion: string): ConditionParams | undefined {
  switch (condition?.kind) {
    case undefined:
      return undefined;
    case 'absent':
      return { ConditionExpression: 'attribute_not_exists(pk)' };
    case 'version':
      return { ConditionExpression: '#version = :v', ExpressionAttributeNames: { ...VERSION_NAMES }, ExpressionAttributeValues: { ':v': { S: condition.version } } };
    case 'older':
      return {
        ConditionExpression: 'attribute_not_exists(pk) OR #version < :v',
        ExpressionAttributeNames: { ...VERSION_NAMES },
        ExpressionAttributeValues: { ':v': { S: newVersion } },
      };
  }
}

/** The DeleteItem condition of a versioned delete. */
export function deleteCondition(expectedVersion: string): ConditionParams {
  return { ConditionExpression: '#version = :v', ExpressionAttributeNames: { ...VERSION_NAMES }, ExpressionAttributeValues: { ':v': { S: expectedVersion } } };
}

/** `undefined` when a table's key schema is ours, otherwise a message saying what it is. */
export function keySchemaProblem(keySchema: ReadonlyArray<{ AttributeName?: string; KeyType?: string }> | undefined): string | undefined {
  const schema = (keySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).sort().join(',');
  return schema === 'pk:HASH,sk:RANGE' ? undefined : `table exists with key schema [${schema}], expected pk (HASH, S) + sk (RANGE, S)`;
}

const THROTTLED: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'TooManyRequestsException',
]);
const UNAUTHORIZED: ReadonlySet<string> = new Set([
  'UnrecognizedClientException',
  'AccessDeniedException',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'IncompleteSignatureException',
]);
const UNAVAILABLE: ReadonlySet<string> = new Set(['InternalServerError', 'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException']);

/** Error code for a DynamoDB error name (`ConditionalCheckFailedException`, ...); `undefined` when it says nothing. */
export function codeForDynamoError(name: string): ErrorCode | undefined {
  if (name === 'ConditionalCheckFailedException' || name === 'TransactionConflictException') return 'conflict';
  if (THROTTLED.has(name)) return 'throttled';
  if (UNAUTHORIZED.has(name)) return 'unauthorized';
  if (name === 'ResourceNotFoundException' || UNAVAILABLE.has(name)) return 'unavailable';
  if (name === 'ValidationException') return 'validation';
  return undefined;
}

/** The message of a missing table (both adapters say the same). */
export function missingTableMessage(table: string, message: string): string {
  return `table "${table}" does not exist (ensureTable() creates it): ${message}`;
}
