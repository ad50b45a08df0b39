/**
 * In-process {@link KeyValueStore} for unit tests, as strict as the real stores: same validation, same
 * conditions, same errors, same key order (code point / UTF-8 byte order, like DynamoDB and Firestore).
 *
 * Records are copied in and out, so callers can never change stored state by mutating an object.
 * `setAvailable(false)` makes every call reject with `unavailable` (after input validation, as a real client
 * validates before it touches the network) until `setAvailable(true)`.
 */
import type { PutCondition, VersionedRecord } from '../../ports/key-value-store';
import { BaseKeyValueStore, compareKeys, storeError, type StoreOperation } from '../_base/base-key-value-store';
import type { MeshgateError } from '../../core/errors';

export interface MemoryKeyValueStoreOptions {
  /** Name in logs and errors (default `memory`); give each of several fakes its own. */
  readonly name?: string;
}

export class MemoryKeyValueStore extends BaseKeyValueStore {
  readonly name: string;
  private readonly records = new Map<string, VersionedRecord>();
  private available = true;

  constructor(options: MemoryKeyValueStoreOptions = {}) {
    super({ timeoutMs: 0 });
    this.name = options.name ?? 'memory';
  }

  /** Fault injection: while `false`, every call rejects with `unavailable` and nothing is read or written. */
  setAvailable(available: boolean): void {
    this.available = available;
  }

  isAvailable(): boolean {
    return this.available;
  }

  /** Number of records held, tombstones included (test helper). */
  get size(): number {
    return this.records.size;
  }

  protected override async getRecord(key: string): Promise<VersionedRecord | undefined> {
    this.assertAvailable('get', key);
    const record = this.records.get(key);
    return record && structuredClone(record);
  }

  protected override async putRecord(record: VersionedRecord, condition: PutCondition | undefined): Promise<void> {
    this.assertAvailable('put', record.key);
    this.checkPutCondition(this.records.get(record.key), record, condition);
    this.records.set(record.key, structuredClone(record));
  }

  protected override async deleteRecord(key: string, expectedVersion: string | undefined): Promise<void> {
    this.assertAvailable('delete', key);
    if (expectedVersion !== undefined) this.checkDeleteCondition(this.records.get(key), key, expectedVersion);
    this.records.delete(key);
  }

  protected override async listRecords(prefix: string, limit: number | undefined): Promise<VersionedRecord[]> {
    this.assertAvailable('list', prefix);
    const keys = [...this.records.keys()].filter((key) => key.startsWith(prefix)).sort(compareKeys);
    return keys.slice(0, limit).map((key) => structuredClone(this.records.get(key) as VersionedRecord));
  }

  protected override translateError(err: unknown, op: StoreOperation, key: string): MeshgateError {
    return storeError('internal', this.name, op, key, err instanceof Error ? err.message : String(err), { cause: err });
  }

  private assertAvailable(op: StoreOperation, key: string): void {
    if (!this.available) throw storeError('unavailable', this.name, op, key, 'store is unavailable (fault injected)');
  }
}
