/**
 * The replicated store over the real DynamoDB (moto), Cosmos DB (cosmosdb-server) and Firestore emulators, each
 * started by this file on its own port so it can be killed and restarted mid-test without disturbing other suites.
 *
 * Restarted emulators come back EMPTY (they keep data in memory): a restarted store has lost everything, which is
 * exactly what read repair has to fix.
 */
import { systemClock } from '../../shared/adapters/system-clock';
import { MeshgateError } from '../../shared/core/errors';
import type { KeyValueStore } from '../../shared/ports/key-value-store';
import { ReplicatedStore } from '../../shared/usecases/replicated-store';
import { startCosmos, startFirestore, startMoto, type RunningEmulator } from '../emulators/emulators';
import { closeTestStores, makeCosmosStore, makeDynamoStore, makeFirestoreStore } from '../emulators/stores';
import { FaultyKeyValueStore } from '../support/faulty-key-value-store';

jest.setTimeout(180_000);

/** Adapter deadline per call; the replicated store applies its own, shorter one (1500 ms) on top. */
const STORE_TIMEOUT_MS = 3_000;

interface Replica {
  readonly emulator: RunningEmulator;
  readonly store: KeyValueStore;
  /** Makes the restarted (empty) emulator usable again: creates the table / container. */
  readonly recreate: () => Promise<void>;
}

let moto: RunningEmulator | undefined;
let cosmos: RunningEmulator | undefined;
let firestore: RunningEmulator | undefined;
const built: ReplicatedStore[] = [];

beforeAll(async () => {
  const started = await Promise.allSettled([startMoto(), startCosmos(), startFirestore()]);
  const ok = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failed.length > 0) {
    await Promise.allSettled(ok.map((e) => e.stop()));
    throw new Error(`could not start the emulators: ${failed.map((e) => e.message).join('; ')}`);
  }
  [moto, cosmos, firestore] = ok;
});

// A test that fails half-way must not leave an emulator stopped for the next one.
afterEach(async () => {
  await Promise.all([moto, cosmos, firestore].map((emulator) => (emulator && emulator.pid() === undefined ? emulator.restart() : undefined)));
});

afterAll(async () => {
  await Promise.allSettled(built.map((store) => store.close()));
  await closeTestStores();
  await Promise.allSettled([moto?.stop(), cosmos?.stop(), firestore?.stop()]);
  for (const emulator of [moto, cosmos, firestore]) expect(emulator?.pid()).toBeUndefined();
});

/** Retries a setup step (creating a table on a loaded machine can outlast a client's request timeout). */
async function retried<T>(step: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (err) {
      if (attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

/** Fresh table / container / collection on each emulator, so every test starts empty. */
async function replicas(prefix: string): Promise<Replica[]> {
  const options = { timeoutMs: STORE_TIMEOUT_MS };
  const [dynamo, cosmosStore, firestoreStore] = await Promise.all([
    retried(() => makeDynamoStore(prefix, moto, options)),
    retried(() => makeCosmosStore(prefix, cosmos, options)),
    makeFirestoreStore(prefix, firestore, options),
  ]);
  // Connections are warm in production; here the first call of a fresh client (Firestore: gRPC channel and
  // emulator warm-up, about 1.5 s) can outlast the per-call deadline, so wait until each store answers.
  await Promise.all([dynamo, cosmosStore, firestoreStore].map((s) => eventually(async () => (await s.get('warm-up').then(() => true, () => false)), `${s.name} to answer`)));
  return [
    { emulator: moto as RunningEmulator, store: dynamo, recreate: () => retried(() => dynamo.ensureTable()) },
    { emulator: cosmos as RunningEmulator, store: cosmosStore, recreate: () => retried(() => cosmosStore.ensureContainer()) },
    { emulator: firestore as RunningEmulator, store: firestoreStore, recreate: async () => undefined },
  ];
}

function replicated(stores: readonly KeyValueStore[], nodeId: string): ReplicatedStore {
  // No background hand-off retries: a store that missed writes can only catch up by read repair.
  const store = new ReplicatedStore({ stores, clock: systemClock, nodeId, callTimeoutMs: 1_500, retry: { attempts: 0 } });
  built.push(store);
  return store;
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const STORE_NAMES = ['dynamodb (moto)', 'cosmos', 'firestore'] as const;

describe.each([0, 1, 2])('one store killed mid-run (%s)', (victim) => {
  it(`keeps reading and writing without ${STORE_NAMES[victim]}, then repairs it after its restart`, async () => {
    const set = await replicas(`repl-kill-${victim}`);
    const store = replicated(
      set.map((r) => r.store),
      `node-${victim}`,
    );
    const dead = set[victim] as Replica;
    const written = new Map<string, string>();

    // A steady stream of writes and quorum reads; the store is killed while it runs.
    let killed: Promise<void> | undefined;
    for (let i = 0; i < 24; i += 1) {
      const key = `svc/${i % 8}`;
      if (i === 6) killed = dead.emulator.stop();
      const entry = await store.put(key, { i });
      written.set(key, entry.version);
      await expect(store.get(key)).resolves.toMatchObject({ version: entry.version, value: { i } });
    }
    await killed;
    expect(dead.emulator.pid()).toBeUndefined();
    await expect(store.list('svc/')).resolves.toHaveLength(8);
    await store.settle();
    expect(store.stats().replicaFailures[dead.store.name]).toBeGreaterThan(0);

    await dead.emulator.restart();
    await dead.recreate();
    await eventually(async () => dead.store.get('warm-up').then(() => true, () => false), `${dead.store.name} to answer again`);
    // Quorum reads repair the restarted (empty) store in the background, key by key.
    await eventually(async () => {
      for (const key of written.keys()) await store.get(key);
      await store.settle();
      const held = await Promise.all([...written.keys()].map((key) => dead.store.get(key).catch(() => undefined)));
      return held.every((record, i) => record?.version === [...written.values()][i]);
    }, `${dead.store.name} to catch up`);
    for (const [key, version] of written) {
      await expect(dead.store.get(key)).resolves.toMatchObject({ key, version });
    }
    // (A repair whose answer came too late still lands but is not counted.)
    expect(store.stats().repairs).toBeGreaterThan(0);
  });
});

describe('two stores down', () => {
  it('rejects writes with a clear unavailable error and leaves nothing of them behind', async () => {
    const set = await replicas('repl-two-down');
    const store = replicated(
      set.map((r) => r.store),
      'node-two',
    );
    const before = await store.put('lease/scheduler', { holder: 'aws', term: 1 });
    const [dynamo, cosmosReplica, firestoreReplica] = set as [Replica, Replica, Replica];
    await Promise.all([dynamo.emulator.stop(), cosmosReplica.emulator.stop()]);

    const started = Date.now();
    const err = await store.put('lease/scheduler', { holder: 'gcp', term: 2 }, { expectedVersion: before.version }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshgateError);
    const failure = err as MeshgateError;
    expect(failure.code).toBe('unavailable');
    expect(failure.retryable).toBe(true);
    expect(failure.message).toMatch(
      // Each store's part is named with what its adapter reported (a refused connection, a timeout...).
      new RegExp(`^write of "lease/scheduler" reached 1 of 3 stores \\(need 2\\): ${dynamo.store.name} [a-z (),0-9]+, ${cosmosReplica.store.name} [a-z (),0-9]+$`),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(store.get('lease/scheduler')).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^read of "lease\/scheduler" reached 1 of 3 stores \(need 2\)/) });
    // The surviving store still holds the acknowledged version, untouched.
    await expect(firestoreReplica.store.get('lease/scheduler')).resolves.toMatchObject({ version: before.version, value: { holder: 'aws', term: 1 } });

    await Promise.all([dynamo.emulator.restart(), cosmosReplica.emulator.restart()]);
    await Promise.all([dynamo.recreate(), cosmosReplica.recreate()]);
    await Promise.all([dynamo, cosmosReplica].map((r) => eventually(async () => r.store.get('warm-up').then(() => true, () => false), `${r.store.name} to answer again`)));
    await store.settle();
    // The restarted stores are empty (their emulators lost everything): whatever a quorum read says now, it is
    // never the failed write.
    const after = await store.get('lease/scheduler');
    expect(after?.value).not.toEqual({ holder: 'gcp', term: 2 });
    for (const replica of set) {
      const held = await replica.store.get('lease/scheduler');
      expect(held?.value).not.toEqual({ holder: 'gcp', term: 2 });
    }
  });

  it.each([0, 1, 2])('undoes a write that only %s took, on the real store', async (taker) => {
    const set = await replicas(`repl-undo-${taker}`);
    // The other two stores answer reads but refuse writes (a write path outage), so the write reaches one store.
    const faulty = set.map((r) => new FaultyKeyValueStore(r.store));
    const store = replicated(faulty, `node-undo-${taker}`);
    const before = await store.put('cfg/mode', 'old', { ttlMs: 3_600_000 });
    await store.settle(); // the third store's write goes on after two acknowledged
    const snapshot = await set[taker]?.store.get('cfg/mode');
    expect(snapshot).toMatchObject({ value: 'old', version: before.version });
    faulty.forEach((f, i) => f.setMode(i === taker ? 'ok' : 'writes-down'));
    // The refusing stores are also slow, so the taker really writes before the quorum is known to be lost (a
    // write that is already doomed is not sent at all).
    faulty.forEach((f, i) => (f.delay = () => (i === taker ? 0 : 300)));

    await expect(store.put('cfg/mode', 'new')).rejects.toMatchObject({ code: 'unavailable' });
    await expect(store.put('cfg/created', 'x', { expectedVersion: null })).rejects.toMatchObject({ code: 'unavailable' });
    // Writes the taker saw: the first value, the failed write and its undo; the failed create and its undo.
    expect(faulty[taker]?.calls.filter((c) => c.op !== 'get').map((c) => `${c.op} ${c.key}`)).toEqual([
      'put cfg/mode',
      'put cfg/mode',
      'put cfg/mode',
      'put cfg/created',
      'delete cfg/created',
    ]);
    expect(store.stats().compensations).toBe(2);
    // Restored exactly (a put pinned to the failed version), and the created key removed again.
    await expect(set[taker]?.store.get('cfg/mode')).resolves.toEqual(snapshot);
    await expect(set[taker]?.store.get('cfg/created')).resolves.toBeUndefined();

    faulty.forEach((f) => f.setMode('ok'));
    await expect(store.get('cfg/mode')).resolves.toMatchObject({ value: 'old', version: before.version });
    await expect(store.get('cfg/created')).resolves.toBeUndefined();
  });
});
