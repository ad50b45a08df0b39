import { decodeHlc } from '../../shared/core/hlc';
import { MemoryStateStore } from '../../shared/adapters/memory/memory-state-store';

describe('MemoryStateStore', () => {
  let now = 1_000_000;
  const store = () => new MemoryStateStore({ now: () => now, nodeId: 'n1' });
  beforeEach(() => {
    now = 1_000_000;
  });

  it('versions every write with an increasing HLC from the clock', async () => {
    const s = store();
    const a = await s.put('k', 1);
    const b = await s.put('k', 2);
    expect(decodeHlc(a.version)).toEqual({ wallMs: now, counter: 0, node: 'n1' });
    expect(decodeHlc(b.version)).toEqual({ wallMs: now, counter: 1, node: 'n1' });
    expect(b.version > a.version).toBe(true);
    expect((await s.get('k'))?.value).toBe(2);
  });

  it('compare-and-set checks the live version', async () => {
    const s = store();
    await expect(s.put('k', 1, { expectedVersion: 'nope' })).rejects.toMatchObject({ code: 'conflict' });
    const first = await s.put('k', 1, { expectedVersion: null });
    await expect(s.put('k', 2, { expectedVersion: null })).rejects.toMatchObject({ code: 'conflict' });
    await s.put('k', 2, { expectedVersion: first.version });
    await expect(s.put('k', 3, { expectedVersion: first.version })).rejects.toMatchObject({ code: 'conflict' });
    await expect(s.delete('k', { expectedVersion: first.version })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('applies TTL on read and treats expired keys as absent for CAS', async () => {
    const s = store();
    await s.put('heartbeat/aws', { at: now }, { ttlMs: 1000 });
    now += 999;
    expect(await s.get('heartbeat/aws')).toBeDefined();
    now += 1;
    expect(await s.get('heartbeat/aws')).toBeUndefined();
    expect(await s.list('heartbeat/')).toEqual([]);
    expect(s.rawKeys('heartbeat/')).toEqual(['heartbeat/aws']); // still held, like a real store
    await s.put('heartbeat/aws', { at: now }, { expectedVersion: null });
  });

  it('deletes with tombstones and lists live entries by prefix in key order', async () => {
    const s = store();
    await s.put('a/2', 2);
    await s.put('a/1', 1);
    await s.put('b/1', 3);
    await s.delete('a/2');
    expect((await s.list('a/')).map((e) => e.key)).toEqual(['a/1']);
    expect(s.rawKeys('a/')).toEqual(['a/1', 'a/2']);
    expect((await s.list('', { limit: 1 })).map((e) => e.key)).toEqual(['a/1']);
  });

  it('copies values in and out', async () => {
    const s = store();
    const value = { nested: { n: 1 } };
    await s.put('k', value);
    value.nested.n = 2;
    const read = await s.get<{ nested: { n: number } }>('k');
    expect(read?.value.nested.n).toBe(1);
  });

  it('validates keys and ttl, and injects faults', async () => {
    const s = store();
    await expect(s.put('', 1)).rejects.toMatchObject({ code: 'validation' });
    await expect(s.put('a\nb', 1)).rejects.toMatchObject({ code: 'validation' });
    await expect(s.put('k', 1, { ttlMs: 0 })).rejects.toMatchObject({ code: 'validation' });
    s.setFault('unavailable');
    await expect(s.get('k')).rejects.toMatchObject({ code: 'unavailable', retryable: true });
    s.setFault('none');
    await s.put('k', 1);
  });

  it('advances a causal session token', async () => {
    const s = store();
    const session = { token: '' };
    const e = await s.put('k', 1, { session });
    expect(session.token).toBe(e.version);
  });
});
