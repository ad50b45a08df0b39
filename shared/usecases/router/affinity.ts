/**
 * Session affinity: `Mcp-Session-Id` → backend id. Bindings live in the replicated store under
 * `session/<id>` (so a client that DNS moves to another cloud's router reaches the same backend) and in a
 * local LRU cache that keeps the store off the hot path: a cache hit costs a Map lookup, writes are fire and
 * forget (the `session/` key space is eventual/causal), and concurrent misses for one session share one read.
 */
import type { JsonValue } from '../../ports/key-value-store';
import type { StateStore } from '../../ports/state-store';
import type { RouterCounters } from './types';

export const SESSION_PREFIX = 'session/';

export interface SessionBinding {
  readonly backend: string;
  readonly cloud: string;
  /** Epoch ms the session was bound. */
  readonly boundAt: number;
}

export interface AffinityOptions {
  readonly cacheSize: number;
  readonly ttlMs: number;
  readonly lookupTimeoutMs: number;
  readonly now: () => number;
}

function isBinding(v: unknown): v is SessionBinding {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { backend?: unknown }).backend === 'string' &&
    typeof (v as { cloud?: unknown }).cloud === 'string'
  );
}

export class SessionAffinity {
  /** Insertion-ordered: the first key is the least recently used. */
  private readonly cache = new Map<string, string>();
  private readonly pending = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly store: StateStore,
    private readonly options: AffinityOptions,
    private readonly counters: RouterCounters,
  ) {}

  /** The cached backend of a session, refreshing its recency; undefined on a miss. */
  cached(sessionId: string): string | undefined {
    const backend = this.cache.get(sessionId);
    if (backend !== undefined) {
      this.cache.delete(sessionId);
      this.cache.set(sessionId, backend);
      this.counters.affinityCacheHits += 1;
    }
    return backend;
  }

  /**
   * Reads the binding from the store (bounded by `lookupTimeoutMs`) and caches it. Resolves undefined when there
   * is none, the store failed, or it did not answer in time. Never rejects.
   */
  lookup(sessionId: string): Promise<string | undefined> {
    const inFlight = this.pending.get(sessionId);
    if (inFlight !== undefined) return inFlight;
    this.counters.affinityStoreLookups += 1;
    const read = new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.counters.affinityStoreErrors += 1;
        resolve(undefined);
      }, this.options.lookupTimeoutMs);
      this.store.get(SESSION_PREFIX + sessionId).then(
        (entry) => {
          clearTimeout(timer);
          const value: unknown = entry?.value;
          if (isBinding(value)) {
            this.remember(sessionId, value.backend);
            resolve(value.backend);
          } else {
            resolve(undefined);
          }
        },
        () => {
          clearTimeout(timer);
          this.counters.affinityStoreErrors += 1;
          resolve(undefined);
        },
      );
    }).finally(() => this.pending.delete(sessionId));
    this.pending.set(sessionId, read);
    return read;
  }

  /** Binds a session to a backend: cached now, written to the store in the background. */
  bind(sessionId: string, backend: string, cloud: string): void {
    this.remember(sessionId, backend);
    this.counters.sessionsBound += 1;
    const value: SessionBinding = { backend, cloud, boundAt: this.options.now() };
    this.store
      .put(SESSION_PREFIX + sessionId, value as unknown as JsonValue, { ttlMs: this.options.ttlMs })
      .catch(() => {
        this.counters.affinityStoreErrors += 1;
      });
  }

  /** Drops a binding (session ended, or its backend is gone): from the cache now, from the store in the background. */
  forget(sessionId: string): void {
    this.cache.delete(sessionId);
    this.store.delete(SESSION_PREFIX + sessionId).catch(() => {
      this.counters.affinityStoreErrors += 1;
    });
  }

  get size(): number {
    return this.cache.size;
  }

  private remember(sessionId: string, backend: string): void {
    this.cache.delete(sessionId);
    this.cache.set(sessionId, backend);
    if (this.cache.size > this.options.cacheSize) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
  }
}
