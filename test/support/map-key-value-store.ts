/**
 * A strict single-store KeyValueStore over a Map, for the replication tests (the stores engineer owns the product
 * memory adapter). Follows the port's TSDoc to the letter: `absent` counts tombstones as existing, `version` is an
 * exact compare-and-set, `older` needs a strictly older stored version, records are copied in and out.
 */
import { MeshgateError } from '../../shared/core/errors';
import type { KeyValueStore, ListOptions, PutCondition, VersionedRecord } from '../../shared/ports/key-value-store';

const copy = (record: VersionedRecord): VersionedRecord => structuredClone(record);

export class MapKeyValueStore implements KeyValueStore {
  private readonly records = new Map<string, VersionedRecord>();

  constructor(readonly name: string) {}

  async get(key: string): Promise<VersionedRecord | undefined> {
    const record = this.records.get(key);
    return record && copy(record);
  }

  async put(record: VersionedRecord, condition?: PutCondition): Promise<void> {
    if (!record.key || typeof record.version !== 'string' || record.version === '') {
      throw new MeshgateError('validation', `${this.name}: invalid record`);
    }
    const current = this.records.get(record.key);
    if (condition?.kind === 'absent' && current) throw new MeshgateError('conflict', `${this.name}: ${record.key} exists`);
    if (condition?.kind === 'version' && current?.version !== condition.version) {
      throw new MeshgateError('conflict', `${this.name}: ${record.key} is not at version ${condition.version}`);
    }
    if (condition?.kind === 'older' && current && !(current.version < record.version)) {
      throw new MeshgateError('conflict', `${this.name}: ${record.key} holds ${current.version}`);
    }
    this.records.set(record.key, copy(record));
  }

  async delete(key: string, expectedVersion?: string): Promise<void> {
    const current = this.records.get(key);
    if (expectedVersion !== undefined) {
      if (!current) throw new MeshgateError('not_found', `${this.name}: ${key} is missing`);
      if (current.version !== expectedVersion) throw new MeshgateError('conflict', `${this.name}: ${key} is not at version ${expectedVersion}`);
    }
    this.records.delete(key);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<VersionedRecord[]> {
    const out = [...this.records.values()].filter((r) => r.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return (options.limit === undefined ? out : out.slice(0, options.limit)).map(copy);
  }

  /** Direct look at what this store holds (no faults, no copies needed by callers). */
  peek(key: string): VersionedRecord | undefined {
    const record = this.records.get(key);
    return record && copy(record);
  }

  /** Everything held, by key. */
  dump(): VersionedRecord[] {
    return [...this.records.values()].map(copy);
  }
}
