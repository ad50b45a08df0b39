/**
 * {@link KeyValueStore} on one DynamoDB table over the DynamoDB JSON protocol (1.0) and Node's global `fetch`,
 * signed with AWS Signature Version 4 (sigv4.ts, node:crypto): none of @aws-sdk/client-dynamodb's ~450 KB
 * (@smithy/core, nested clients, bowser) in the bundle or in module init.
 *
 * Table, items, conditions and how `list` reads are the SDK adapter's (dynamodb-key-value-store.ts), described
 * once in dynamodb-items.ts, so either adapter reads what the other wrote.
 *
 * Calls: `POST /` with `Content-Type: application/x-amz-json-1.0` and `X-Amz-Target: DynamoDB_20120810.<Op>`, all
 * under the store's deadline (the request is aborted when it passes):
 * - get: GetItem, strongly consistent;
 * - put: PutItem with the layout's condition; a failed condition returns the old item (`ALL_OLD`), which is
 *   re-checked so the message says what was found; versioned deletes: DeleteItem;
 * - list: Query or Scan as the layout says, paged with `ExclusiveStartKey`.
 *
 * Errors come from the JSON body's `__type` (text after `#`): ConditionalCheckFailedException → `conflict`;
 * ProvisionedThroughputExceeded/Throttling/RequestLimitExceeded → `throttled`; ResourceNotFoundException →
 * `unavailable` ("table does not exist (ensureTable() creates it)"); UnrecognizedClient/AccessDenied/signature
 * and token errors → `unauthorized`; ValidationException → `validation`; other 5xx, network failures and the
 * deadline → `unavailable`. The secret access key never leaves the signer, and the session token and secret are
 * redacted from any service message kept in an error (signature errors echo the canonical request).
 */
import { MeshgateError } from '../../core/errors';
import type { PutCondition, VersionedRecord } from '../../ports/key-value-store';
import {
  BaseKeyValueStore,
  codeForHttpStatus,
  compareKeys,
  isNetworkError,
  isSinglePartitionPrefix,
  partitionOf,
  storeError,
  type BaseKeyValueStoreOptions,
  type StoreOperation,
} from '../_base/base-key-value-store';
import {
  codeForDynamoError,
  conditionExpression,
  decodeItem,
  deleteCondition,
  itemOf,
  keyOf,
  keySchemaProblem,
  missingTableMessage,
  TABLE_DEFINITION,
  type ReadableItem,
} from './dynamodb-items';
import { signRequest, type AwsCredentials, type AwsCredentialsProvider } from './sigv4';

export type { AwsCredentials, AwsCredentialsProvider } from './sigv4';

export const DYNAMODB_TARGET_PREFIX = 'DynamoDB_20120810';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
/** Longest service message kept in an error. */
const MAX_MESSAGE_LENGTH = 300;

export type DynamoOperation = 'GetItem' | 'PutItem' | 'DeleteItem' | 'Query' | 'Scan' | 'CreateTable' | 'DescribeTable';

/** A DynamoDB error answer: HTTP status and the short `__type` (e.g. `ConditionalCheckFailedException`). */
export class DynamoRestError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    /** The old item of a failed condition (`ReturnValuesOnConditionCheckFailure: ALL_OLD`). */
    readonly item?: ReadableItem,
  ) {
    super(message);
    this.name = 'DynamoRestError';
  }
}

/** Credentials could not be resolved (the provider failed or returned something unusable). */
export class AwsCredentialsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AwsCredentialsError';
  }
}

interface Page {
  Items?: ReadableItem[];
  LastEvaluatedKey?: Record<string, unknown>;
}

export interface DynamoRestKeyValueStoreOptions extends BaseKeyValueStoreOptions {
  readonly region: string;
  readonly table: string;
  /** Default `https://dynamodb.<region>.amazonaws.com/`; e.g. `http://127.0.0.1:PORT` for moto or DynamoDB Local. */
  readonly endpoint?: string;
  /** Called for every request (cache inside it if resolving is expensive). */
  readonly credentials: AwsCredentialsProvider;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Clock for `X-Amz-Date`; default `() => new Date()`. */
  readonly now?: () => Date;
}

export class DynamoRestKeyValueStore extends BaseKeyValueStore {
  readonly name = 'dynamodb';
  readonly table: string;
  private readonly region: string;
  private readonly url: string;
  private readonly credentials: AwsCredentialsProvider;
  private readonly fetchApi: typeof fetch;
  private readonly now: () => Date;

  constructor(options: DynamoRestKeyValueStoreOptions) {
    super(options);
    if (typeof options.region !== 'string' || !/^[a-z0-9-]+$/.test(options.region)) {
      throw new MeshgateError('validation', 'dynamodb: region must be a region name such as us-east-1');
    }
    if (typeof options.table !== 'string' || !/^[A-Za-z0-9_.-]{3,255}$/.test(options.table)) {
      throw new MeshgateError('validation', 'dynamodb: table must be 3-255 characters of A-Z a-z 0-9 _ - .');
    }
    const url = new URL(options.endpoint ?? `https://dynamodb.${options.region}.amazonaws.com/`);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new MeshgateError('validation', 'dynamodb: endpoint must be an http(s) URL');
    this.region = options.region;
    this.table = options.table;
    this.url = url.toString();
    this.credentials = options.credentials;
    this.fetchApi = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? (() => new Date());
  }

  /** Nothing to release (requests use the global fetch's connection pool); kept for symmetry with the SDK adapter. */
  async close(): Promise<void> {}

  /**
   * Creates the table (on-demand capacity, `pk` hash + `sk` range) unless it exists, and waits until it is
   * ACTIVE. Idempotent; safe to call concurrently. Fails with `internal` if a table of that name exists with a
   * different key schema.
   */
  async ensureTable(waitMs = 60_000): Promise<void> {
    try {
      try {
        await this.call('CreateTable', { TableName: this.table, ...TABLE_DEFINITION });
      } catch (err) {
        if (!(err instanceof DynamoRestError && err.type === 'ResourceInUseException')) throw err;
      }
      const deadline = Date.now() + waitMs;
      for (;;) {
        const { Table } = (await this.call('DescribeTable', { TableName: this.table })) as {
          Table?: { TableStatus?: string; KeySchema?: Array<{ AttributeName?: string; KeyType?: string }> };
        };
        const problem = keySchemaProblem(Table?.KeySchema);
        if (problem) throw storeError('internal', this.name, 'put', this.table, problem);
        if (Table?.TableStatus === 'ACTIVE') return;
        if (Date.now() > deadline) throw storeError('unavailable', this.name, 'put', this.table, `table not ACTIVE after ${waitMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } catch (err) {
      throw err instanceof MeshgateError ? err : this.translateError(err, 'put', this.table);
    }
  }

  protected override async getRecord(key: string, signal: AbortSignal): Promise<VersionedRecord | undefined> {
    const { Item } = (await this.call('GetItem', { TableName: this.table, Key: keyOf(key), ConsistentRead: true }, signal)) as { Item?: ReadableItem };
    return Item ? decodeItem(Item, this.name) : undefined;
  }

  protected override async putRecord(record: VersionedRecord, condition: PutCondition | undefined, signal: AbortSignal): Promise<void> {
    const expression = conditionExpression(condition, record.version);
    try {
      await this.call(
        'PutItem',
        { TableName: this.table, Item: itemOf(record), ...expression, ...(expression ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } : {}) },
        signal,
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      // Same messages as every other store: re-check the condition against the item DynamoDB returned.
      const current = err.item && decodeItem(err.item, this.name);
      this.checkPutCondition(current, record, condition);
      throw this.conflict('put', record.key, 'condition failed', current?.version);
    }
  }

  protected override async deleteRecord(key: string, expectedVersion: string | undefined, signal: AbortSignal): Promise<void> {
    if (expectedVersion === undefined) {
      await this.call('DeleteItem', { TableName: this.table, Key: keyOf(key) }, signal);
      return;
    }
    try {
      await this.call(
        'DeleteItem',
        { TableName: this.table, Key: keyOf(key), ...deleteCondition(expectedVersion), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
        signal,
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const current = err.item && decodeItem(err.item, this.name);
      this.checkDeleteCondition(current, key, expectedVersion);
      throw this.conflict('delete', key, 'condition failed', current?.version);
    }
  }

  protected override async listRecords(prefix: string, limit: number | undefined, signal: AbortSignal): Promise<VersionedRecord[]> {
    const out: VersionedRecord[] = [];
    let start: Record<string, unknown> | undefined;
    if (isSinglePartitionPrefix(prefix)) {
      do {
        const page = (await this.call(
          'Query',
          {
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': { S: partitionOf(prefix) }, ':prefix': { S: prefix } },
            ConsistentRead: true,
            ScanIndexForward: true,
            ...(limit === undefined ? {} : { Limit: limit - out.length }),
            ...(start ? { ExclusiveStartKey: start } : {}),
          },
          signal,
        )) as Page;
        for (const item of page.Items ?? []) out.push(decodeItem(item, this.name));
        start = page.LastEvaluatedKey;
      } while (start && (limit === undefined || out.length < limit));
      return limit === undefined ? out : out.slice(0, limit);
    }
    do {
      const page = (await this.call(
        'Scan',
        {
          TableName: this.table,
          ConsistentRead: true,
          ...(prefix === '' ? {} : { FilterExpression: 'begins_with(sk, :prefix)', ExpressionAttributeValues: { ':prefix': { S: prefix } } }),
          ...(start ? { ExclusiveStartKey: start } : {}),
        },
        signal,
      )) as Page;
      for (const item of page.Items ?? []) out.push(decodeItem(item, this.name));
      start = page.LastEvaluatedKey;
    } while (start);
    out.sort((a, b) => compareKeys(a.key, b.key));
    return limit === undefined ? out : out.slice(0, limit);
  }

  protected override translateError(err: unknown, op: StoreOperation, key: string): MeshgateError {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof AwsCredentialsError) return storeError('unauthorized', this.name, op, key, message, { cause: err, details: { table: this.table } });
    if (!(err instanceof DynamoRestError)) {
      const code = isNetworkError(err) ? 'unavailable' : 'internal';
      return storeError(code, this.name, op, key, message, { cause: err, details: { table: this.table } });
    }
    const extra = { cause: err, details: { table: this.table, status: err.status, awsError: err.type } };
    if (err.type === 'ResourceNotFoundException') return storeError('unavailable', this.name, op, key, missingTableMessage(this.table, message), extra);
    const code = codeForDynamoError(err.type) ?? codeForHttpStatus(err.status) ?? 'internal';
    return storeError(code, this.name, op, key, message, extra);
  }

  // ---- requests ------------------------------------------------------------------------------------------------

  /** Sends one signed operation; resolves the parsed 200 answer, rejects with {@link DynamoRestError} otherwise. */
  private async call(operation: DynamoOperation, input: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const credentials = await this.resolveCredentials();
    const body = JSON.stringify(input);
    const headers = signRequest(
      { method: 'POST', url: this.url, headers: { 'Content-Type': CONTENT_TYPE, 'X-Amz-Target': `${DYNAMODB_TARGET_PREFIX}.${operation}` }, body },
      credentials,
      { region: this.region, service: 'dynamodb' },
      this.now(),
    );
    const abort = signal ?? (this.timeoutMs > 0 ? AbortSignal.timeout(this.timeoutMs) : undefined);
    const response = await this.fetchApi(this.url, { method: 'POST', headers, body, ...(abort ? { signal: abort } : {}) });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      if (response.ok) throw new DynamoRestError(response.status, '', 'answer is not JSON');
    }
    if (response.ok) {
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new DynamoRestError(response.status, '', 'answer is not a JSON object');
      return parsed as Record<string, unknown>;
    }
    throw errorOf(response.status, parsed, credentials);
  }

  private async resolveCredentials(): Promise<AwsCredentials> {
    let credentials: AwsCredentials;
    try {
      credentials = await this.credentials();
    } catch (err) {
      throw new AwsCredentialsError(`could not resolve AWS credentials: ${err instanceof Error ? err.name : 'error'}`, { cause: err });
    }
    if (!credentials || typeof credentials.accessKeyId !== 'string' || credentials.accessKeyId === '' || typeof credentials.secretAccessKey !== 'string' || credentials.secretAccessKey === '') {
      throw new AwsCredentialsError('AWS credentials are missing an access key id or secret access key');
    }
    return credentials;
  }
}

function isConditionFailure(err: unknown): err is DynamoRestError {
  return err instanceof DynamoRestError && err.type === 'ConditionalCheckFailedException';
}

/** The error for a non-200 answer: short `__type` and the first line of the message, secrets redacted. */
function errorOf(status: number, body: unknown, credentials: AwsCredentials): DynamoRestError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { __type?: unknown; message?: unknown; Message?: unknown; Item?: unknown };
  const type = typeof b.__type === 'string' ? (b.__type.split('#').pop() ?? '') : '';
  const raw = typeof b.message === 'string' ? b.message : typeof b.Message === 'string' ? b.Message : '';
  const text = redact(raw.split('\n')[0] ?? '', credentials).slice(0, MAX_MESSAGE_LENGTH);
  const item = typeof b.Item === 'object' && b.Item !== null ? (b.Item as ReadableItem) : undefined;
  return new DynamoRestError(status, type, `${type || `HTTP ${status}`}${text === '' ? '' : `: ${text}`}`, item);
}

function redact(text: string, credentials: AwsCredentials): string {
  let out = text;
  for (const secret of [credentials.secretAccessKey, credentials.sessionToken]) {
    if (secret) out = out.split(secret).join('[redacted]');
  }
  return out;
}

export interface DynamoRestKeyValueStoreConfig {
  readonly region: string;
  readonly table: string;
  /** Custom endpoint (moto, DynamoDB Local); omit for AWS. */
  readonly endpoint?: string;
  /** Static credentials, or a provider called per request (e.g. the Lambda runtime's, passed in by the composition). */
  readonly credentials: AwsCredentialsProvider | AwsCredentials;
  /** Deadline per store call in ms (default 3000). */
  readonly timeoutMs?: number;
}

/** Builds a store signing with the given credentials. Call `ensureTable()` once to create the table if missing. */
export function createDynamoRestKeyValueStore(config: DynamoRestKeyValueStoreConfig): DynamoRestKeyValueStore {
  const { credentials } = config;
  let provider: AwsCredentialsProvider;
  if (typeof credentials === 'function') {
    provider = credentials;
  } else {
    const fixed: AwsCredentials = { ...credentials };
    provider = async () => fixed;
  }
  return new DynamoRestKeyValueStore({
    region: config.region,
    table: config.table,
    credentials: provider,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
  });
}
