/**
 * Each cloud store adapter, SDK and REST, against its own emulator (not the shared ones): while the emulator is
 * down every call answers `unavailable` (retryable) within its deadline instead of hanging; after `restart()` on
 * the same port the same store object works again once its table/container is recreated (restarted emulators are
 * empty).
 */
import type { KeyValueStore } from '../../shared/ports/key-value-store';
import { v } from '../../shared/ports/__contract__/key-value-store.contract';
import { startCosmos, startFirestore, startMoto, type RunningEmulator } from '../emulators/emulators';
import { closeTestStores, makeCosmosRestStore, makeCosmosStore, makeDynamoStore, makeFirestoreRestStore, makeFirestoreStore } from '../emulators/stores';

const TIMEOUT_MS = 2_000;
/** Scheduling slack on a loaded 2-core machine. */
const SLACK_MS = 2_500;

interface Subject {
  readonly store: KeyValueStore;
  /** Recreates what the restarted (empty) emulator lost. */
  readonly recreate: () => Promise<void>;
}

const cases: Array<[string, () => Promise<RunningEmulator>, (emulator: RunningEmulator) => Promise<Subject>]> = [
  [
    'dynamodb',
    startMoto,
    async (emulator) => {
      const store = await makeDynamoStore('outage', emulator, { timeoutMs: TIMEOUT_MS });
      return { store, recreate: () => store.ensureTable() };
    },
  ],
  [
    'cosmos',
    startCosmos,
    async (emulator) => {
      const store = await makeCosmosStore('outage', emulator, { timeoutMs: TIMEOUT_MS });
      return { store, recreate: () => store.ensureContainer() };
    },
  ],
  [
    'firestore',
    startFirestore,
    async (emulator) => ({ store: await makeFirestoreStore('outage', emulator, { timeoutMs: TIMEOUT_MS }), recreate: async () => undefined }),
  ],
  [
    'cosmos-rest',
    startCosmos,
    async (emulator) => {
      const store = await makeCosmosRestStore('outage-rest', emulator, { timeoutMs: TIMEOUT_MS });
      return { store, recreate: () => store.ensureContainer() };
    },
  ],
  [
    'firestore-rest',
    startFirestore,
    async (emulator) => ({ store: await makeFirestoreRestStore('outage-rest', emulator, { timeoutMs: TIMEOUT_MS }), recreate: async () => undefined }),
  ],
];

async function eventually<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe.each(cases)('%s adapter through an outage of its emulator', (_name, start, make) => {
  let emulator: RunningEmulator | undefined;

  beforeAll(async () => {
    emulator = await start();
  }, 120_000);

  afterAll(async () => {
    await closeTestStores();
    await emulator?.stop();
  }, 60_000);

  it('answers unavailable within its deadline while down, and recovers after a restart on the same port', async () => {
    if (!emulator) throw new Error('emulator did not start');
    const { store, recreate } = await make(emulator);
    const before = { key: 'outage/before', value: { n: 1 }, version: v(1) };
    await store.put(before);
    const port = emulator.port;

    await emulator.stop();
    expect(emulator.pid()).toBeUndefined();
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['get', () => store.get('outage/before')],
      ['put', () => store.put({ key: 'outage/during', value: 2, version: v(2) })],
      ['conditional put', () => store.put({ key: 'outage/before', value: 3, version: v(3) }, { kind: 'version', version: v(1) })],
      ['older put', () => store.put({ key: 'outage/before', value: 3, version: v(3) }, { kind: 'older' })],
      ['delete', () => store.delete('outage/before', v(1))],
      ['list', () => store.list('outage/')],
    ];
    for (const [label, call] of calls) {
      const started = Date.now();
      const outcome = await call().then(
        () => ({ label, code: 'resolved', message: '' }),
        (err: { code?: string; retryable?: boolean; message?: string }) => ({ label, code: err.code, retryable: err.retryable, message: err.message }),
      );
      expect(outcome).toEqual({ label, code: 'unavailable', retryable: true, message: expect.any(String) });
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    }

    await emulator.restart();
    expect(emulator.port).toBe(port);
    expect(emulator.pid()).toEqual(expect.any(Number));
    await eventually(recreate, 15_000);
    const after = { key: 'outage/after', value: { n: 4 }, version: v(4) };
    await eventually(() => store.put(after), 15_000);
    await expect(store.get('outage/after')).resolves.toEqual(after);
    await expect(store.get('outage/before')).resolves.toBeUndefined(); // the emulator came back empty
  }, 120_000);
});

describe('firestore adapter closed while the SDK still retries a call against a dead emulator', () => {
  let emulator: RunningEmulator | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  beforeAll(async () => {
    emulator = await startFirestore();
    process.on('unhandledRejection', onUnhandled);
  }, 120_000);

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await emulator?.stop();
  });

  it('waits for the retried call to settle before terminating the client: no unhandled rejection', async () => {
    if (!emulator) throw new Error('emulator did not start');
    const store = await makeFirestoreStore('outage-close', emulator, { timeoutMs: TIMEOUT_MS });
    await store.put({ key: 'close/before', value: 1, version: v(1) });
    await emulator.stop();

    // Answered `unavailable` at the deadline while the SDK keeps retrying with backoff.
    await expect(store.get('close/before')).rejects.toMatchObject({ code: 'unavailable' });
    let closed = false;
    const closing = store.close().then(() => (closed = true));
    // Longer than terminate() itself is given (2 s): close has not even started it while the SDK still retries.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(closed).toBe(false);

    await emulator.restart(); // the retry now gets an answer, so the client can be released
    await closing;
    // Without the wait, the SDK's next attempt after terminate() rejected a promise nobody held.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(unhandled).toEqual([]);
  }, 90_000);
});
