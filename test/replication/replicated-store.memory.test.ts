/**
 * The replicated store over the product in-memory adapter (MemoryKeyValueStore, as strict as the real stores),
 * faults injected with its own `setAvailable(false)` switch: checks that the records and preconditions the
 * replicated store sends are ones a strict store accepts.
 */
import { MemoryKeyValueStore } from '../../shared/adapters/memory/memory-key-value-store';
import { systemClock } from '../../shared/adapters/system-clock';
import { MeshgateError } from '../../shared/core/errors';
import { ReplicatedStore } from '../../shared/usecases/replicated-store';

const names = ['dynamodb', 'cosmos', 'firestore'];
let stores: MemoryKeyValueStore[];
let nodes: ReplicatedStore[];

function node(nodeId: string, consistency: Record<string, 'strong' | 'eventual' | 'causal'> = { 'hb/': 'eventual' }): ReplicatedStore {
  const built = new ReplicatedStore({ stores, clock: systemClock, nodeId, consistency, callTimeoutMs: 500, retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 } });
  nodes.push(built);
  return built;
}

beforeEach(() => {
  stores = names.map((name) => new MemoryKeyValueStore({ name }));
  nodes = [];
});
afterEach(async () => {
  for (const store of stores) store.setAvailable(true);
  await Promise.all(nodes.map((n) => n.close()));
});

it('writes, reads, deletes and lists through a strict store', async () => {
  const store = node('n1');
  const a = await store.put('svc/a', { ok: true }, { ttlMs: 60_000 });
  await store.put('svc/b', [1, 2]);
  await store.delete('svc/b');
  await expect(store.get('svc/a')).resolves.toEqual(a);
  await expect(store.list('svc/')).resolves.toEqual([a]);
  await store.settle();
  for (const s of stores) await expect(s.get('svc/b')).resolves.toMatchObject({ deleted: true, value: null });
});

it('keeps writing with one store down, rolls back when two are down, catches up by read repair', async () => {
  const store = node('n1');
  const first = await store.put('lease/l', 'one', { expectedVersion: null });
  stores[2]?.setAvailable(false);
  const second = await store.put('lease/l', 'two', { expectedVersion: first.version });
  stores[1]?.setAvailable(false);
  const err = await store.put('lease/l', 'three', { expectedVersion: second.version }).catch((e: unknown) => e as MeshgateError);
  expect(err).toBeInstanceOf(MeshgateError);
  expect((err as MeshgateError).message).toBe('write of "lease/l" reached 1 of 3 stores (need 2): cosmos unavailable, firestore unavailable');
  stores[1]?.setAvailable(true);
  stores[2]?.setAvailable(true);
  await expect(store.get('lease/l')).resolves.toMatchObject({ value: 'two', version: second.version });
  await store.settle();
  for (const s of stores) await expect(s.get('lease/l')).resolves.toMatchObject({ value: 'two' });
});

it('lets one of several compare-and-set writers win', async () => {
  const base = await node('n0').put('lease/race', 0);
  const writers = ['a', 'b', 'c', 'd'].map((id) => node(id));
  const results = await Promise.allSettled(writers.map((w, i) => w.put('lease/race', i + 1, { expectedVersion: base.version })));
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
});

it('fans eventual writes out to a store that comes back', async () => {
  const store = node('n1');
  stores[1]?.setAvailable(false);
  const written = await store.put('hb/aws', { at: 1 });
  setTimeout(() => stores[1]?.setAvailable(true), 15);
  await store.settle();
  await expect(stores[1]?.get('hb/aws')).resolves.toMatchObject({ version: written.version });
});
