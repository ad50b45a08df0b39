/**
 * A single-node StateStore in memory, for unit tests of use cases. Honest about what callers rely on:
 * every write gets a fresh HLC version from the injected clock, compare-and-set checks the live version,
 * TTL is applied on read (expired entries are absent), deletes leave tombstones, and values are copied in
 * and out so callers cannot mutate stored state. Faults can be injected (`unavailable`, `hang`).
 */
import { MeshgateError } from '../../core/errors';
import { ZERO_HLC, assertNodeId, compareVersions, decodeHlc, encodeHlc, maxHlc, tickHlc, type Hlc } from '../../core/hlc';
import type { JsonValue } from '../../ports/key-value-store';
import type { CausalSession, Entry, ReadOptions, StateStore, WriteOptions } from '../../ports/state-store';

interface StoredRecord {
  readonly value: JsonValue;
  readonly version: string;
  readonly deleted: boolean;
  readonly expiresAt?: number;
}

/** `none`: normal; `unavailable`: every call rejects with `unavailable`; `hang`: every call never settles. */
export type MemoryStoreFault = 'none' | 'unavailable' | 'hang';

export interface MemoryStateStoreOptions {
  /** Time source for versions and TTL. Default Date.now. */
  readonly now?: () => number;
  /** Node id written into versions. Default `memory`. */
  readonly nodeId?: string;
}

const MAX_KEY_LENGTH = 512;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export class MemoryStateStore implements StateStore {
  private readonly records = new Map<string, StoredRecord>();
  private readonly now: () => number;
  private readonly nodeId: string;
  private last: Hlc = ZERO_HLC;
  private fault: MemoryStoreFault = 'none';
  /** Calls made, by operation (for tests that count I/O). */
  readonly calls = { get: 0, put: 0, delete: 0, list: 0 };

  constructor(options: MemoryStateStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.nodeId = assertNodeId(options.nodeId ?? 'memory');
  }

  /** Injects a fault for all later calls until reset with `'none'`. */
  setFault(fault: MemoryStoreFault): void {
    this.fault = fault;
  }

  /** Raw keys held, tombstones and expired entries included (what a real store would keep). */
  rawKeys(prefix = ''): string[] {
    return [...this.records.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async get<T extends JsonValue = JsonValue>(key: string, options?: ReadOptions): Promise<Entry<T> | undefined> {
    this.calls.get += 1;
    await this.gate();
    validateKey(key);
    const live = this.live(key);
    if (live === undefined) return undefined;
    observe(options?.session, live.version);
    return toEntry<T>(key, live);
  }

  async put<T extends JsonValue = JsonValue>(key: string, value: T, options: WriteOptions = {}): Promise<Entry<T>> {
    this.calls.put += 1;
    await this.gate();
    validateKey(key);
    if (options.ttlMs !== undefined && (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0)) {
      throw new MeshgateError('validation', `ttlMs must be a positive number, got ${options.ttlMs}`);
    }
    const copy = cloneJson(value);
    this.checkPrecondition(key, options.expectedVersion);
    const now = this.now();
    const version = this.nextVersion(now, options.session);
    const record: StoredRecord = {
      value: copy,
      version,
      deleted: false,
      ...(options.ttlMs === undefined ? {} : { expiresAt: now + options.ttlMs }),
    };
    this.records.set(key, record);
    observe(options.session, version);
    return toEntry<T>(key, record);
  }

  async delete(key: string, options: Omit<WriteOptions, 'ttlMs'> = {}): Promise<void> {
    this.calls.delete += 1;
    await this.gate();
    validateKey(key);
    this.checkPrecondition(key, options.expectedVersion);
    if (this.live(key) === undefined) return;
    const version = this.nextVersion(this.now(), options.session);
    this.records.set(key, { value: null, version, deleted: true });
    observe(options.session, version);
  }

  async list<T extends JsonValue = JsonValue>(prefix: string, options: ReadOptions & { limit?: number } = {}): Promise<Entry<T>[]> {
    this.calls.list += 1;
    await this.gate();
    const out: Entry<T>[] = [];
    for (const key of this.rawKeys(prefix)) {
      if (options.limit !== undefined && out.length >= options.limit) break;
      const live = this.live(key);
      if (live === undefined) continue;
      observe(options.session, live.version);
      out.push(toEntry<T>(key, live));
    }
    return out;
  }

  private live(key: string): StoredRecord | undefined {
    const record = this.records.get(key);
    if (record === undefined || record.deleted) return undefined;
    if (record.expiresAt !== undefined && record.expiresAt <= this.now()) return undefined;
    return record;
  }

  private checkPrecondition(key: string, expected: string | null | undefined): void {
    if (expected === undefined) return;
    const current = this.live(key);
    if (expected === null && current !== undefined) {
      throw new MeshgateError('conflict', `key ${key} already exists`, { details: { key } });
    }
    if (expected !== null && current?.version !== expected) {
      throw new MeshgateError('conflict', `key ${key} is not at the expected version`, { details: { key } });
    }
  }

  private nextVersion(now: number, session: CausalSession | undefined): string {
    if (session !== undefined && session.token !== '') this.last = maxHlc(this.last, decodeHlc(session.token));
    this.last = tickHlc(this.last, now, this.nodeId);
    return encodeHlc(this.last);
  }

  private gate(): Promise<void> {
    if (this.fault === 'unavailable') {
      return Promise.reject(new MeshgateError('unavailable', 'memory store unavailable (injected fault)'));
    }
    if (this.fault === 'hang') return new Promise<void>(() => undefined);
    return Promise.resolve();
  }
}

function validateKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || CONTROL_CHARS.test(key)) {
    throw new MeshgateError('validation', `invalid key: 1-${MAX_KEY_LENGTH} characters without control characters`);
  }
}

function cloneJson<T extends JsonValue>(value: T): T {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new MeshgateError('validation', 'value is not JSON-serialisable', { cause: err });
  }
  if (text === undefined) throw new MeshgateError('validation', 'value is not JSON-serialisable');
  return JSON.parse(text) as T;
}

function toEntry<T extends JsonValue>(key: string, record: StoredRecord): Entry<T> {
  return {
    key,
    value: cloneJson(record.value) as T,
    version: record.version,
    ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt }),
  };
}

function observe(session: CausalSession | undefined, version: string): void {
  if (session !== undefined && compareVersions(version, session.token) > 0) session.token = version;
}
