/**
 * KeyValueStore contract against the in-memory fake, plus the fake's fault-injection switch.
 */
import { MemoryKeyValueStore } from '../../shared/adapters/memory/memory-key-value-store';
import { describeKeyValueStoreContract, v } from '../../shared/ports/__contract__/key-value-store.contract';

describeKeyValueStoreContract('memory', async () => new MemoryKeyValueStore());

describe('MemoryKeyValueStore fault injection', () => {
  it('rejects every call with unavailable while unavailable, and serves the same data again afterwards', async () => {
    const store = new MemoryKeyValueStore({ name: 'mem-a' });
    await store.put({ key: 'k/1', value: 1, version: v(1) });
    store.setAvailable(false);
    expect(store.isAvailable()).toBe(false);
    const calls: Array<Promise<unknown>> = [
      store.get('k/1'),
      store.put({ key: 'k/2', value: 2, version: v(2) }),
      store.put({ key: 'k/1', value: 3, version: v(3) }, { kind: 'older' }),
      store.delete('k/1'),
      store.delete('k/1', v(1)),
      store.list('k/'),
    ];
    for (const call of calls) {
      await expect(call).rejects.toMatchObject({ code: 'unavailable', retryable: true, message: expect.stringMatching(/^mem-a: /) });
    }
    store.setAvailable(true);
    await expect(store.list('k/')).resolves.toEqual([{ key: 'k/1', value: 1, version: v(1) }]);
  });

  it('still reports bad input as validation while unavailable (clients validate before any I/O)', async () => {
    const store = new MemoryKeyValueStore();
    store.setAvailable(false);
    await expect(store.get('')).rejects.toMatchObject({ code: 'validation' });
  });

  it('defaults its name to memory', () => {
    expect(new MemoryKeyValueStore().name).toBe('memory');
  });
});
