/**
 * {@link KeyValueStore} on one DynamoDB table through the SDK's low-level client (GetItem, PutItem, DeleteItem,
 * Query, Scan with conditional expressions). Table, items, conditions and how `list` reads are described once, in
 * dynamodb-items.ts. Nothing here loops on failures: retries are the caller's decorator; the SDK's own attempts
 * are capped (`maxAttempts`, default 2) and time-boxed so a dead endpoint fails fast.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClientConfig,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
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
} from './dynamodb-items';

/** The one DynamoDB call this adapter makes. */
export type DynamoDbApi = Pick<DynamoDBClient, 'send'>;

type Item = Record<string, AttributeValue>;

export interface DynamoKeyValueStoreOptions extends BaseKeyValueStoreOptions {
  /** Called by {@link DynamoKeyValueStore.close}, e.g. to destroy a client the store owns. */
  readonly onClose?: () => Promise<void> | void;
}

export class DynamoKeyValueStore extends BaseKeyValueStore {
  readonly name = 'dynamodb';

  constructor(
    private readonly api: DynamoDbApi,
    readonly table: string,
    private readonly options: DynamoKeyValueStoreOptions = {},
  ) {
    super(options);
  }

  /**
   * Creates the table (on-demand capacity, `pk` hash + `sk` range) unless it exists, and waits until it is
   * ACTIVE. Idempotent; safe to call concurrently. Fails with `internal` if a table of that name exists with a
   * different key schema.
   */
  async ensureTable(waitMs = 60_000): Promise<void> {
    try {
      try {
        await this.api.send(
          new CreateTableCommand({
            TableName: this.table,
            ...TABLE_DEFINITION,
            AttributeDefinitions: [...TABLE_DEFINITION.AttributeDefinitions],
            KeySchema: [...TABLE_DEFINITION.KeySchema],
          }),
        );
      } catch (err) {
        if (errorName(err) !== 'ResourceInUseException') throw err;
      }
      const deadline = Date.now() + waitMs;
      for (;;) {
        const { Table } = await this.api.send(new DescribeTableCommand({ TableName: this.table }));
        this.checkSchema(Table);
        if (Table?.TableStatus === 'ACTIVE') return;
        if (Date.now() > deadline) throw storeError('unavailable', this.name, 'put', this.table, `table not ACTIVE after ${waitMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } catch (err) {
      throw err instanceof MeshgateError ? err : this.translateError(err, 'put', this.table);
    }
  }

  /** Releases the client when the store owns it (see {@link createDynamoKeyValueStore}). */
  async close(): Promise<void> {
    await this.options.onClose?.();
  }

  protected override async getRecord(key: string, signal: AbortSignal): Promise<VersionedRecord | undefined> {
    const { Item } = await this.api.send(new GetItemCommand({ TableName: this.table, Key: keyOf(key), ConsistentRead: true }), { abortSignal: signal });
    return Item ? this.decode(Item) : undefined;
  }

  protected override async putRecord(record: VersionedRecord, condition: PutCondition | undefined, signal: AbortSignal): Promise<void> {
    const item = itemOf(record);
    const expression = conditionExpression(condition, record.version);
    try {
      await this.api.send(
        new PutItemCommand({
          TableName: this.table,
          Item: item,
          ...expression,
          ...(expression ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
        }),
        { abortSignal: signal },
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException || errorName(err) === 'ConditionalCheckFailedException')) throw err;
      // Same messages as every other store: re-check the condition against the item DynamoDB returned.
      const current = oldItem(err);
      this.checkPutCondition(current && this.decode(current), record, condition);
      throw this.conflict('put', record.key, 'condition failed', current?.version?.S);
    }
  }

  protected override async deleteRecord(key: string, expectedVersion: string | undefined, signal: AbortSignal): Promise<void> {
    if (expectedVersion === undefined) {
      await this.api.send(new DeleteItemCommand({ TableName: this.table, Key: keyOf(key) }), { abortSignal: signal });
      return;
    }
    try {
      await this.api.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: keyOf(key),
          ...deleteCondition(expectedVersion),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        { abortSignal: signal },
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException || errorName(err) === 'ConditionalCheckFailedException')) throw err;
      const current = oldItem(err);
      this.checkDeleteCondition(current && this.decode(current), key, expectedVersion);
      throw this.conflict('delete', key, 'condition failed', current?.version?.S);
    }
  }

  protected override async listRecords(prefix: string, limit: number | undefined, signal: AbortSignal): Promise<VersionedRecord[]> {
    const out: VersionedRecord[] = [];
    let start: Item | undefined;
    if (isSinglePartitionPrefix(prefix)) {
      do {
        const page = await this.api.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': { S: partitionOf(prefix) }, ':prefix': { S: prefix } },
            ConsistentRead: true,
            ScanIndexForward: true,
            ...(limit === undefined ? {} : { Limit: limit - out.length }),
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
          { abortSignal: signal },
        );
        for (const item of page.Items ?? []) out.push(this.decode(item));
        start = page.LastEvaluatedKey;
      } while (start && (limit === undefined || out.length < limit));
      return limit === undefined ? out : out.slice(0, limit);
    }
    do {
      const page = await this.api.send(
        new ScanCommand({
          TableName: this.table,
          ConsistentRead: true,
          ...(prefix === '' ? {} : { FilterExpression: 'begins_with(sk, :prefix)', ExpressionAttributeValues: { ':prefix': { S: prefix } } }),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
        { abortSignal: signal },
      );
      for (const item of page.Items ?? []) out.push(this.decode(item));
      start = page.LastEvaluatedKey;
    } while (start);
    out.sort((a, b) => compareKeys(a.key, b.key));
    return limit === undefined ? out : out.slice(0, limit);
  }

  protected override translateError(err: unknown, op: StoreOperation, key: string): MeshgateError {
    const name = errorName(err);
    const message = err instanceof Error ? err.message : String(err);
    const extra = { cause: err, details: { table: this.table, sdkError: name } };
    if (name === 'ResourceNotFoundException') return storeError('unavailable', this.name, op, key, missingTableMessage(this.table, message), extra);
    const named = codeForDynamoError(name) ?? (isNetworkError(err) ? 'unavailable' : undefined);
    if (named) return storeError(named, this.name, op, key, message, extra);
    const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
    const code = codeForHttpStatus(status);
    if (code) return storeError(code, this.name, op, key, message, extra);
    return storeError('internal', this.name, op, key, message, extra);
  }

  private decode(item: Item): VersionedRecord {
    return decodeItem(item, this.name);
  }

  private checkSchema(table: TableDescription | undefined): void {
    const problem = keySchemaProblem(table?.KeySchema);
    if (problem) throw storeError('internal', this.name, 'put', this.table, problem);
  }
}

function errorName(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string' ? (err as { name: string }).name : '';
}

function oldItem(err: unknown): Item | undefined {
  return (err as { Item?: Item }).Item;
}

export interface DynamoKeyValueStoreConfig {
  readonly region: string;
  readonly table: string;
  /** Custom endpoint (moto, DynamoDB Local); omit for AWS. */
  readonly endpoint?: string;
  /** Static credentials; omit to use the SDK's default provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** SDK attempts per call (default 2): keep small, retries belong to the caller. */
  readonly maxAttempts?: number;
  /** TCP connect timeout in ms (default 1000). */
  readonly connectionTimeoutMs?: number;
  /** Socket inactivity timeout per attempt in ms (default 1500). */
  readonly requestTimeoutMs?: number;
  /** Deadline per store call in ms (default 3000). */
  readonly timeoutMs?: number;
}

/** Builds the real client (bounded attempts, short timeouts) and a store that owns it. */
export function createDynamoKeyValueStore(config: DynamoKeyValueStoreConfig): DynamoKeyValueStore {
  const clientConfig: DynamoDBClientConfig = {
    region: config.region,
    maxAttempts: config.maxAttempts ?? 2,
    requestHandler: {
      connectionTimeout: config.connectionTimeoutMs ?? 1_000,
      requestTimeout: config.requestTimeoutMs ?? 1_500,
      throwOnRequestTimeout: true, // otherwise the handler only logs a warning and keeps waiting
    },
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.credentials === undefined ? {} : { credentials: { ...config.credentials } }),
  };
  const client = new DynamoDBClient(clientConfig);
  return new DynamoKeyValueStore(client, config.table, {
    ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
    onClose: () => client.destroy(),
  });
}
