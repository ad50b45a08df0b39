/**
 * Wraps a KeyValueStore with injectable faults and latency, for replication tests.
 * - `down`: every call rejects with `unavailable` and touches nothing.
 * - `writes-down`: reads work, writes reject with `unavailable` and touch nothing.
 * - `ack-lost`: writes are applied, then reject with `unavailable` (the caller cannot tell).
 * - `hang`: calls wait until the mode changes, then proceed (a slow store whose requests land late).
 * Latency comes from `delay()` (ms, real timers); 0 means the call still yields to the event loop once.
 */
import { MeshgateError } from '../../shared/core/errors';
import type { KeyValueStore, ListOptions, PutCondition, VersionedRecord } from '../../shared/ports/key-value-store';

export type FaultMode = 'ok' | 'down' | 'writes-down' | 'ack-lost' | 'hang';

export interface CallLog {
  readonly op: 'get' | 'put' | 'delete' | 'list';
  readonly key: string;
  readonly condition?: PutCondition;
  readonly version?: string;
}

export class FaultyKeyValueStore implements KeyValueStore {
  private current: FaultMode = 'ok';
  private waiters: (() => void)[] = [];
  /** Every call that reached this wrapper, in order. */
  readonly calls: CallLog[] = [];
  /** Latency per call in ms. */
  delay: () => number = () => 0;
  /** Per-call fault chosen by the test (e.g. from a seeded random source); overrides the mode when defined. */
  chaos: ((op: CallLog['op']) => FaultMode | undefined) | undefined;
  /** Faults for the next N writes only (then back to the mode). */
  private nextWriteFaults: FaultMode[] = [];

  constructor(readonly inner: KeyValueStore) {}

  get name(): string {
    return this.inner.name;
  }

  get mode(): FaultMode {
    return this.current;
  }

  setMode(mode: FaultMode): void {
    this.current = mode;
    if (mode !== 'hang') {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** The next `count` writes get `mode` regardless of the store's mode. */
  failNextWrites(count: number, mode: FaultMode = 'writes-down'): void {
    for (let i = 0; i < count; i += 1) this.nextWriteFaults.push(mode);
  }

  async get(key: string): Promise<VersionedRecord | undefined> {
    this.calls.push({ op: 'get', key });
    await this.gate(false, 'get');
    return this.inner.get(key);
  }

  async put(record: VersionedRecord, condition?: PutCondition): Promise<void> {
    this.calls.push({ op: 'put', key: record.key, version: record.version, ...(condition ? { condition } : {}) });
    const mode = await this.gate(true, 'put');
    await this.inner.put(record, condition);
    if (mode === 'ack-lost') throw this.unavailable();
  }

  async delete(key: string, expectedVersion?: string): Promise<void> {
    this.calls.push({ op: 'delete', key, ...(expectedVersion ? { version: expectedVersion } : {}) });
    const mode = await this.gate(true, 'delete');
    await this.inner.delete(key, expectedVersion);
    if (mode === 'ack-lost') throw this.unavailable();
  }

  async list(prefix: string, options?: ListOptions): Promise<VersionedRecord[]> {
    this.calls.push({ op: 'list', key: prefix });
    await this.gate(false, 'list');
    return this.inner.list(prefix, options);
  }

  private unavailable(): MeshgateError {
    return new MeshgateError('unavailable', `${this.name} is unavailable (injected)`);
  }

  /** Applies latency and the fault; resolves with the mode the call proceeds under. */
  private async gate(write: boolean, op: CallLog['op']): Promise<FaultMode> {
    const oneOff = (write ? this.nextWriteFaults.shift() : undefined) ?? this.chaos?.(op);
    const ms = this.delay();
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    else await new Promise((resolve) => setImmediate(resolve));
    let mode = oneOff ?? this.current;
    while (mode === 'hang') {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      mode = this.current;
    }
    if (mode === 'down' || (write && mode === 'writes-down')) throw this.unavailable();
    return mode;
  }
}
