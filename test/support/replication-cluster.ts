/**
 * Builds ReplicatedStores over three in-memory replicas wrapped with fault injection (names as in production:
 * dynamodb, cosmos, firestore). Several "nodes" (writers with their own HLC) can share the same replicas.
 */
import { systemClock } from '../../shared/adapters/system-clock';
import type { KeyValueStore } from '../../shared/ports/key-value-store';
import { ReplicatedStore, type ReplicatedStoreOptions } from '../../shared/usecases/replicated-store';
import { FaultyKeyValueStore } from './faulty-key-value-store';
import { MapKeyValueStore } from './map-key-value-store';

export const STORE_NAMES = ['dynamodb', 'cosmos', 'firestore'] as const;

export type NodeOptions = Partial<Omit<ReplicatedStoreOptions, 'stores'>>;

export interface Cluster {
  /** Replicas as the store sees them (with faults). */
  readonly replicas: FaultyKeyValueStore[];
  /** The maps underneath (no faults) for direct assertions. */
  readonly maps: MapKeyValueStore[];
  /** The first node. */
  readonly store: ReplicatedStore;
  /** Another writer over the same replicas. */
  node(nodeId: string, options?: NodeOptions): ReplicatedStore;
  /** Settles and closes every node built so far. */
  close(): Promise<void>;
}

export function makeCluster(options: NodeOptions & { stores?: KeyValueStore[] } = {}): Cluster {
  const maps = STORE_NAMES.map((name) => new MapKeyValueStore(name));
  const replicas = (options.stores ?? maps).map((inner) => new FaultyKeyValueStore(inner));
  const nodes: ReplicatedStore[] = [];
  const node = (nodeId: string, extra: NodeOptions = {}): ReplicatedStore => {
    const built = new ReplicatedStore({
      clock: systemClock,
      callTimeoutMs: 250,
      retry: { attempts: 6, baseDelayMs: 5, maxDelayMs: 40 },
      ...options,
      ...extra,
      nodeId,
      stores: replicas,
    });
    nodes.push(built);
    return built;
  };
  const store = node(options.nodeId ?? 'node-a');
  return {
    replicas,
    maps,
    store,
    node,
    close: async () => {
      for (const replica of replicas) replica.setMode('ok');
      await Promise.all(nodes.map((n) => n.close()));
    },
  };
}
