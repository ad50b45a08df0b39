/**
 * The application's view of state: the replicated store (or a single store in tests).
 * Values are JSON; versions are encoded hybrid logical clocks.
 */
import type { JsonValue } from './key-value-store';

/**
 * Consistency of a key space, chosen per key prefix.
 * - `strong`: quorum writes with compare-and-set, quorum reads; the default.
 * - `eventual`: acknowledged after the first store accepts; fan-out to the others in the background with retry.
 * - `causal`: like eventual for writes, but reads honour a {@link CausalSession}: never older than what it saw.
 */
export type Consistency = 'strong' | 'eventual' | 'causal';

export interface Entry<T extends JsonValue = JsonValue> {
  readonly key: string;
  readonly value: T;
  /** Encoded HLC of the write that produced this value. */
  readonly version: string;
  /** Epoch ms after which the entry is treated as absent. */
  readonly expiresAt?: number;
}

/**
 * Session token for causal reads: carries the highest version this client has seen or written.
 * Serialisable (`token`) so it can travel between invocations or clouds.
 */
export interface CausalSession {
  token: string;
}

export interface ReadOptions {
  readonly session?: CausalSession;
}

export interface WriteOptions {
  /**
   * Compare-and-set: the current version must equal this, or, when `null`, the key must be absent.
   * Fails with `conflict` otherwise.
   */
  readonly expectedVersion?: string | null;
  /** Time to live from now; readers treat the entry as absent afterwards. */
  readonly ttlMs?: number;
  readonly session?: CausalSession;
}

/**
 * Replicated, versioned state.
 *
 * Errors: `validation` (bad key/value; nothing written), `conflict` (precondition failed or a concurrent
 * writer won; nothing of this write is visible), `unavailable` (no quorum; nothing of this write is visible
 * to quorum readers), `throttled`.
 */
export interface StateStore {
  get<T extends JsonValue = JsonValue>(key: string, options?: ReadOptions): Promise<Entry<T> | undefined>;
  put<T extends JsonValue = JsonValue>(key: string, value: T, options?: WriteOptions): Promise<Entry<T>>;
  /** Deletes by writing a tombstone version (so deletes replicate). Missing keys are a no-op unless CAS fails. */
  delete(key: string, options?: Omit<WriteOptions, 'ttlMs'>): Promise<void>;
  /** Live entries under a prefix, ascending by key. */
  list<T extends JsonValue = JsonValue>(prefix: string, options?: ReadOptions & { limit?: number }): Promise<Entry<T>[]>;
}
