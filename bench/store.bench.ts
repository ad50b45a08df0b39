/**
 * Store benchmark: write and read latency (p50/p99) of each single store on its emulator, through the REST
 * adapters the functions deploy with and through the SDK adapters, side by side with the replicated store
 * (quorum 2 of 3) over the three REST adapters, in one run with operations interleaved so machine noise hits
 * every subject alike. Writes bench/results/store.json.
 * Target (DESIGN §6): quorum write p50 ≤ 3× the slowest single-store write p50.
 */
import { createDynamoKeyValueStore } from '../shared/adapters/aws/dynamodb-key-value-store';
import { createDynamoRestKeyValueStore } from '../shared/adapters/aws/dynamodb-rest-key-value-store';
import { createCosmosKeyValueStore } from '../shared/adapters/azure/cosmos-key-value-store';
import { createCosmosRestKeyValueStore } from '../shared/adapters/azure/cosmos-rest-key-value-store';
import { createFirestoreKeyValueStore } from '../shared/adapters/gcp/firestore-key-value-store';
import { createFirestoreRestKeyValueStore } from '../shared/adapters/gcp/firestore-rest-key-value-store';
import { systemClock } from '../shared/adapters/system-clock';
import { encodeHlc, tickHlc, ZERO_HLC, type Hlc } from '../shared/core/hlc';
import type { KeyValueStore } from '../shared/ports/key-value-store';
import { ReplicatedStore } from '../shared/usecases/replicated-store';
import { startCosmos, startFirestore, startMoto, type RunningEmulator } from '../infra/local/emulators';
import { percentile, writeResult } from './support/results';

const ITERATIONS = Number(process.env.MESHGATE_BENCH_ITERATIONS ?? 300);
const WARMUP = 20;
const VALUE = { backend: 'aws-demo', ok: true, latencyMs: 12.5, samples: Array.from({ length: 20 }, (_, i) => i) };

interface Subject {
  readonly name: string;
  write(i: number): Promise<unknown>;
  read(i: number): Promise<unknown>;
}

function singleStoreSubject(store: KeyValueStore, label: string): Subject {
  let hlc: Hlc = ZERO_HLC;
  return {
    name: `${store.name}-${label}`,
    write: (i) => {
      hlc = tickHlc(hlc, Date.now(), 'bench');
      return store.put({ key: `bench/k${i % 50}`, value: VALUE, version: encodeHlc(hlc) });
    },
    read: (i) => store.get(`bench/k${i % 50}`),
  };
}

function replicatedSubject(name: string, store: ReplicatedStore, prefix: string): Subject {
  return { name, write: (i) => store.put(`${prefix}/k${i % 50}`, VALUE), read: (i) => store.get(`${prefix}/k${i % 50}`) };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function run(subjects: Subject[]): Promise<Record<string, { write: number[]; read: number[] }>> {
  const samples = Object.fromEntries(subjects.map((s) => [s.name, { write: [] as number[], read: [] as number[] }]));
  for (let i = 0; i < WARMUP + ITERATIONS; i += 1) {
    const order = subjects.map((_, k) => subjects[(i + k) % subjects.length]!);
    for (const subject of order) {
      const write = await timed(() => subject.write(i));
      const read = await timed(() => subject.read(i));
      if (i >= WARMUP) {
        samples[subject.name]!.write.push(write);
        samples[subject.name]!.read.push(read);
      }
    }
  }
  return samples;
}

const round = (n: number): number => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const emulators: RunningEmulator[] = [];
  try {
    const [moto, cosmos, firestore] = await Promise.all([startMoto(), startCosmos(), startFirestore()]);
    emulators.push(moto, cosmos, firestore);
    const dynamo = createDynamoKeyValueStore({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, table: 'bench' });
    await dynamo.ensureTable();
    const cosmosStore = createCosmosKeyValueStore({ endpoint: cosmos.endpoint, key: 'bench', database: 'bench', container: 'bench' });
    await cosmosStore.ensureContainer();
    const firestoreStore = createFirestoreKeyValueStore({ projectId: 'meshgate-bench', collection: 'bench', emulatorHost: firestore.endpoint });
    const sdkStores = [dynamo, cosmosStore, firestoreStore];
    const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
    const stores = [
      createDynamoRestKeyValueStore({ region: 'us-east-1', endpoint: moto.endpoint, credentials, table: 'bench-rest' }),
      createCosmosRestKeyValueStore({ endpoint: cosmos.endpoint, key: 'YmVuY2g=', database: 'bench', container: 'bench-rest' }),
      createFirestoreRestKeyValueStore({ projectId: 'meshgate-bench', collection: 'bench-rest', emulatorHost: firestore.endpoint }),
    ] as const;
    await stores[0].ensureTable();
    await stores[1].ensureContainer();
    const replicated = new ReplicatedStore({ stores: [...stores], clock: systemClock, nodeId: 'bench', consistency: { 'strong/': 'strong', 'eventual/': 'eventual' } });

    const samples = await run([
      ...stores.map((store) => singleStoreSubject(store, 'rest')),
      ...sdkStores.map((store) => singleStoreSubject(store, 'sdk')),
      replicatedSubject('replicated-strong', replicated, 'strong'),
      replicatedSubject('replicated-eventual', replicated, 'eventual'),
    ]);
    await replicated.close();
    await Promise.all([...stores, ...sdkStores].map((store) => store.close()));

    const summary = Object.fromEntries(
      Object.entries(samples).map(([name, { write, read }]) => [
        name,
        { writeP50Ms: round(percentile(write, 50)), writeP99Ms: round(percentile(write, 99)), readP50Ms: round(percentile(read, 50)), readP99Ms: round(percentile(read, 99)) },
      ]),
    );
    const slowestSingleWriteP50 = Math.max(...stores.map((s) => summary[`${s.name}-rest`]!.writeP50Ms));
    const slowestSingleReadP50 = Math.max(...stores.map((s) => summary[`${s.name}-rest`]!.readP50Ms));
    const quorumWriteRatio = round(summary['replicated-strong']!.writeP50Ms / slowestSingleWriteP50);
    writeResult('store', {
      iterations: ITERATIONS,
      emulators: { dynamodb: 'moto_server', cosmos: '@vercel/cosmosdb-server', firestore: 'gcloud Firestore emulator' },
      replicatedOver: 'the REST adapters (as deployed)',
      subjects: summary,
      quorumWriteP50VsSlowestSingle: quorumWriteRatio,
      quorumReadP50VsSlowestSingle: round(summary['replicated-strong']!.readP50Ms / slowestSingleReadP50),
      target: { quorumWriteP50VsSlowestSingleMax: 3, met: quorumWriteRatio <= 3 },
    });
  } finally {
    await Promise.all(emulators.map((emulator) => emulator.stop()));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
