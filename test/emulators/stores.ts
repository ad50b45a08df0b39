/**
 * Store adapters wired to the emulators, each on its own fresh table/container/collection so tests never see
 * each other's data. Without an emulator argument they use the run's shared emulators (started by
 * global-setup.ts, endpoints in MESHGATE_TEST_*); pass a {@link RunningEmulator} from `startMoto()` etc. to use
 * your own (e.g. to stop and restart it mid-test).
 *
 * After `emulator.restart()` the emulator is empty: call `store.ensureTable()` / `store.ensureContainer()` again
 * (Firestore needs nothing). Call {@link closeTestStores} in `afterAll` to release every client made here.
 */
import { randomBytes } from 'node:crypto';
import { createDynamoKeyValueStore, type DynamoKeyValueStore } from '../../shared/adapters/aws/dynamodb-key-value-store';
import { createCosmosKeyValueStore, type CosmosKeyValueStore } from '../../shared/adapters/azure/cosmos-key-value-store';
import { createFirestoreKeyValueStore, type FirestoreKeyValueStore } from '../../shared/adapters/gcp/firestore-key-value-store';
import { MemoryKeyValueStore } from '../../shared/adapters/memory/memory-key-value-store';
import type { KeyValueStore } from '../../shared/ports/key-value-store';
import { ENV_COSMOS_ENDPOINT, ENV_FIRESTORE_HOST, ENV_MOTO_ENDPOINT, type RunningEmulator } from './emulators';

export { ENV_COSMOS_ENDPOINT, ENV_FIRESTORE_HOST, ENV_MOTO_ENDPOINT };

export const TEST_AWS_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;
export const TEST_REGION = 'us-east-1';
export const TEST_COSMOS_DATABASE = 'meshgate-test';
export const TEST_FIRESTORE_PROJECT = 'meshgate-test';

export interface TestStoreOptions {
  /** Deadline per store call in ms (default {@link TEST_TIMEOUT_MS}; the adapters' own default is 3000). */
  readonly timeoutMs?: number;
}

/**
 * Deadline per store call for test stores unless a test asks for another: generous, because tests share two
 * cores with three emulators and other suites, and a contract test checks behaviour, not latency. Tests about
 * failing fast pass their own `timeoutMs`.
 */
export const TEST_TIMEOUT_MS = 10_000;

const closers: Array<() => Promise<void>> = [];
let counter = 0;

/** `<prefix>-<pid>-<n>-<random>`, restricted to characters every store accepts in table/container names. */
export function uniqueName(prefix: string): string {
  counter += 1;
  const clean = prefix.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 60) || 't';
  return `${clean}-${process.pid}-${counter}-${randomBytes(3).toString('hex')}`;
}

function endpointFor(emulator: RunningEmulator | undefined, variable: string, expected: RunningEmulator['name']): string {
  if (emulator) {
    if (emulator.name !== expected) throw new Error(`expected a ${expected} emulator, got ${emulator.name}`);
    return emulator.endpoint;
  }
  const endpoint = process.env[variable];
  if (!endpoint) {
    throw new Error(`${variable} is not set: run through jest (globalSetup starts the emulators) or pass a RunningEmulator`);
  }
  return endpoint;
}

function track<T extends { close(): Promise<void> }>(store: T): T {
  closers.push(() => store.close());
  return store;
}

/** A DynamoDB store on a new table in moto (table created and ACTIVE). */
export async function makeDynamoStore(prefix: string, emulator?: RunningEmulator, options: TestStoreOptions = {}): Promise<DynamoKeyValueStore> {
  const store = track(
    createDynamoKeyValueStore({
      region: TEST_REGION,
      endpoint: endpointFor(emulator, ENV_MOTO_ENDPOINT, 'moto'),
      credentials: TEST_AWS_CREDENTIALS,
      table: uniqueName(prefix),
      timeoutMs: options.timeoutMs ?? TEST_TIMEOUT_MS,
    }),
  );
  await store.ensureTable();
  return store;
}

/** A Cosmos DB store on a new container (partition key /pk) in cosmosdb-server. */
export async function makeCosmosStore(prefix: string, emulator?: RunningEmulator, options: TestStoreOptions = {}): Promise<CosmosKeyValueStore> {
  const store = track(
    createCosmosKeyValueStore({
      endpoint: endpointFor(emulator, ENV_COSMOS_ENDPOINT, 'cosmos'),
      key: 'emulator',
      database: TEST_COSMOS_DATABASE,
      container: uniqueName(prefix),
      timeoutMs: options.timeoutMs ?? TEST_TIMEOUT_MS,
    }),
  );
  await store.ensureContainer();
  return store;
}

/**
 * A Firestore store on a new collection in the Firestore emulator, with its gRPC channel already open (the
 * first call of a new client loads protos and connects, which can take longer than the 3 s deadline on a
 * loaded machine; like ensureTable() for the others, this keeps that out of the test's own calls).
 */
export async function makeFirestoreStore(prefix: string, emulator?: RunningEmulator, options: TestStoreOptions = {}): Promise<FirestoreKeyValueStore> {
  const store = track(
    createFirestoreKeyValueStore({
      projectId: TEST_FIRESTORE_PROJECT,
      collection: uniqueName(prefix),
      emulatorHost: endpointFor(emulator, ENV_FIRESTORE_HOST, 'firestore'),
      timeoutMs: options.timeoutMs ?? TEST_TIMEOUT_MS,
    }),
  );
  for (let attempt = 1; ; attempt += 1) {
    try {
      await store.get('warm-up/connect'); // the timed-out call keeps connecting in the background
      return store;
    } catch (err) {
      if (attempt >= 5 || (err as { code?: unknown }).code !== 'unavailable') throw err;
    }
  }
}

export type StoreKind = 'memory' | 'dynamodb' | 'cosmos' | 'firestore';

/** Any of the four, by name (memory ignores the emulator). */
export async function makeStore(kind: StoreKind, prefix: string, emulator?: RunningEmulator, options: TestStoreOptions = {}): Promise<KeyValueStore> {
  switch (kind) {
    case 'memory':
      return new MemoryKeyValueStore({ name: uniqueName(prefix) });
    case 'dynamodb':
      return makeDynamoStore(prefix, emulator, options);
    case 'cosmos':
      return makeCosmosStore(prefix, emulator, options);
    case 'firestore':
      return makeFirestoreStore(prefix, emulator, options);
  }
}

/** Closes every client created by this module so far (call in afterAll). */
export async function closeTestStores(): Promise<void> {
  const pending = closers.splice(0);
  await Promise.allSettled(pending.map((close) => close()));
}

// ---- REST adapters (fetch-based, no SDK) ----------------------------------------------------------------------
// Imports kept next to their factories so this section stays a self-contained addition.
import { createCosmosRestKeyValueStore, type CosmosRestKeyValueStore } from '../../shared/adapters/azure/cosmos-rest-key-value-store';
import { createFirestoreRestKeyValueStore, type FirestoreRestKeyValueStore } from '../../shared/adapters/gcp/firestore-rest-key-value-store';

export interface TestRestStoreOptions extends TestStoreOptions {
  /** Use this container/collection (e.g. one an SDK store also uses) instead of a fresh uniqueName(prefix). */
  readonly name?: string;
}

/** A Firestore REST store on a new collection in the Firestore emulator (plain HTTP, the emulator's `owner` token). */
export async function makeFirestoreRestStore(prefix: string, emulator?: RunningEmulator, options: TestRestStoreOptions = {}): Promise<FirestoreRestKeyValueStore> {
  const { name, ...rest } = options;
  return track(
    createFirestoreRestKeyValueStore({
      projectId: TEST_FIRESTORE_PROJECT,
      collection: name ?? uniqueName(prefix),
      emulatorHost: endpointFor(emulator, ENV_FIRESTORE_HOST, 'firestore'),
      ...rest,
    }),
  );
}

/** A Cosmos DB REST store on a new container (partition key /pk) in cosmosdb-server, created by ensureContainer(). */
export async function makeCosmosRestStore(prefix: string, emulator?: RunningEmulator, options: TestRestStoreOptions = {}): Promise<CosmosRestKeyValueStore> {
  const { name, ...rest } = options;
  const store = track(
    createCosmosRestKeyValueStore({
      endpoint: endpointFor(emulator, ENV_COSMOS_ENDPOINT, 'cosmos'),
      key: 'emulator',
      database: TEST_COSMOS_DATABASE,
      container: name ?? uniqueName(prefix),
      ...rest,
    }),
  );
  await store.ensureContainer();
  return store;
}


// ---- DynamoDB REST adapter (fetch + SigV4, no SDK) -------------------------------------------------------------
import { createDynamoRestKeyValueStore, type DynamoRestKeyValueStore } from '../../shared/adapters/aws/dynamodb-rest-key-value-store';

/** A DynamoDB REST store on a new table in moto (or on `options.table`, e.g. one an SDK store also uses), table ACTIVE. */
export async function makeDynamoRestStore(
  prefix: string,
  emulator?: RunningEmulator,
  options: TestStoreOptions & { readonly table?: string } = {},
): Promise<DynamoRestKeyValueStore> {
  const { table, ...rest } = options;
  const store = track(
    createDynamoRestKeyValueStore({
      region: TEST_REGION,
      endpoint: endpointFor(emulator, ENV_MOTO_ENDPOINT, 'moto'),
      credentials: TEST_AWS_CREDENTIALS,
      table: table ?? uniqueName(prefix),
      ...rest,
    }),
  );
  await store.ensureTable();
  return store;
}
